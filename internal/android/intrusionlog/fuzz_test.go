package intrusionlog_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/android/intrusionlog"
)

func FuzzReader(f *testing.F) {
	f.Add([]byte("{\"dns_event\":{\"event_time\":1700000000000,\"hostname\":\"a\",\"ip_addresses\":[\"/192.0.2.1\"]}}\n"))
	f.Add([]byte("\xef\xbb\xbf{\"security_event\":{\"event_time\":1700000000000000000,\"x\":{\"y\":[1,{\"z\":null}]}}}\r\n\n"))
	f.Add([]byte("{\"a\":{},\"b\":{}}\n{\"a\":1}\n[]\n{\"c\":{\"d\":\"\xff\"}}"))
	f.Add([]byte(strings.Repeat("{", 300) + "\n" + strings.Repeat("x", 5000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := intrusionlog.NewReader(bytes.NewReader(data), intrusionlog.Options{MaxLineBytes: 4096, MaxLines: 1000})
		seen := intrusionlog.NewSeen(100)
		for i := 0; ; i++ {
			if i > 2*len(data)+1100 {
				t.Fatal("reader does not end")
			}
			ev, err := rd.Next()
			if err == io.EOF || errors.Is(err, intrusionlog.ErrTooManyLines) {
				break
			}
			var le *intrusionlog.LineError
			if errors.As(err, &le) {
				continue
			}
			if err != nil {
				t.Fatalf("in-memory read failed: %v", err)
			}
			if ev.Fields == nil || !utf8.ValidString(ev.Type) || ev.Line < 1 {
				t.Fatalf("bad event %+v", ev)
			}
			seen.Dup(ev.Key)
		}
		st := rd.Stats()
		if st.Lines > 1000 || st.Invalid+st.TooLong > st.Lines {
			t.Fatalf("stats %+v", st)
		}
	})
}
