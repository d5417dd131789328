package timefmt_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/timefmt"
)

// FuzzParse reads arbitrary text as a time of a results file (timeline.csv, records and
// alerts read back by check-iocs and report): nothing may panic, a time read is in UTC,
// and it survives being written and read again (to the microsecond the format keeps);
// a JSON value never fails a record.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		timefmt.Format(time.Date(2026, 3, 14, 9, 26, 53, 123456789, time.UTC)),
		"2021-07-18 10:30:15", "2021-07-18 10:30:15.1", "2021-07-18T10:30:15.5+14:00", "0000-01-01T00:00:00Z",
		"9999-12-31 23:59:59.999999999", "", " ", "0", "2021-02-30 00:00:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := timefmt.Parse(s)
		if err != nil {
			if !tm.IsZero() {
				t.Fatalf("error %v with a time %v", err, tm)
			}
		} else {
			if tm.Location() != time.UTC {
				t.Fatalf("%q read in %v", s, tm.Location())
			}
			back, err := timefmt.Parse(timefmt.Format(tm))
			if err != nil || !back.Equal(tm.Truncate(time.Microsecond)) && !(tm.Truncate(time.Microsecond).IsZero() && back.IsZero()) {
				t.Fatalf("%q → %v → %q → %v (%v)", s, tm, timefmt.Format(tm), back, err)
			}
		}
		raw, _ := json.Marshal(s)
		for _, b := range [][]byte{raw, []byte(s)} {
			var v timefmt.Time
			if err := json.Unmarshal(b, &v); err != nil && json.Valid(b) {
				t.Fatalf("%s: %v", b, err)
			}
			var w timefmt.TimeText
			if err := w.UnmarshalJSON(b); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
		}
	})
}
