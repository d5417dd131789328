package timeline_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/report/timeline"
)

// FuzzRead reads arbitrary bytes as a timeline.csv (a results folder read back may come
// from anywhere) and writes what it read again: nothing may panic, no row may be
// longer than MaxRowBytes, and once written by spytrace a timeline must read back to
// the same file (write∘read is idempotent).
func FuzzRead(f *testing.F) {
	evs := []timeline.Event{
		{Time: time.Date(2026, 3, 4, 9, 32, 53, 123456000, time.UTC), Plugin: "SMS", Event: "sms_received", Description: "=HYPERLINK(\"x\") \"quoted\"\nsecond line"},
		{Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Plugin: "Manifest", Event: "file_created", Description: "'plain apostrophe\r\n\x1b[2J"},
	}
	f.Add(writeEvents(f, evs))
	f.Add([]byte("\"UTC Timestamp\",\"Plugin\",\"Event\",\"Description\"\r\n\"2021-07-18T10:30:15Z\",\"x\",\"y\",\"z\",\"extra\"\r\n\"\",\"a\",\"b\",\"c\"\r\n"))
	f.Add([]byte("UTC Timestamp,Plugin,Event,Description\n2021-07-18 10:30:15,\"un\"\"closed\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []timeline.Event
		err := timeline.Read(bytes.NewReader(data), func(e timeline.Event) error {
			if n := len(e.Plugin) + len(e.Event) + len(e.Description); n > timeline.MaxRowBytes || n > len(data) {
				t.Fatalf("a row of %d bytes read from %d bytes", n, len(data))
			}
			got = append(got, e)
			return nil
		})
		if err != nil && len(got) == 0 {
			return
		}
		once := writeEvents(t, got)
		var again []timeline.Event
		if err := timeline.Read(bytes.NewReader(once), func(e timeline.Event) error { again = append(again, e); return nil }); err != nil {
			t.Fatalf("a timeline written by spytrace does not read back: %v\n%q", err, once)
		}
		if twice := writeEvents(t, again); !bytes.Equal(once, twice) {
			t.Fatalf("written, read and written again differs:\n%q\n%q", once, twice)
		}
	})
}

// writeEvents writes evs as timeline.csv through a Spool.
func writeEvents(t testing.TB, evs []timeline.Event) []byte {
	s := timeline.NewSpool(t.TempDir(), 0)
	for _, e := range evs {
		s.Add(e)
	}
	var b strings.Builder
	if _, err := s.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}
