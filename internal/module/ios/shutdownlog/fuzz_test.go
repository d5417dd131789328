package shutdownlog_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/module/ios/shutdownlog"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(twoBlocks))
	f.Add([]byte("After 0.1s, remaining client pid: 1 (/a)\nSIGTERM: @1697189234\n"))
	f.Add([]byte("\t\tremaining client pid: -1431655766 (/x (y)/z)\nSIGTERM: [1e300]\n"))
	f.Add([]byte(strings.Repeat("x", shutdownlog.MaxLine+1) + "\nSIGTERM: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, err := shutdownlog.Parse(bytes.NewReader(data), "shutdown.log")
		if err != nil {
			t.Fatalf("parse of an in-memory reader failed: %v", err)
		}
		for _, r := range recs {
			if !utf8.ValidString(r.Client) || r.PID == "" || r.RebootIndex < 1 || r.TimesDelayed < 0 {
				t.Fatalf("bad record %+v", r)
			}
			if r.Command+func() string {
				if r.UUID == "" {
					return ""
				}
				return "/" + r.UUID
			}() != r.Client {
				t.Fatalf("command %q + uuid %q != client %q", r.Command, r.UUID, r.Client)
			}
			if !r.Isodate.IsZero() && !r.Complete {
				t.Fatalf("dated record not complete: %+v", r)
			}
		}
	})
}
