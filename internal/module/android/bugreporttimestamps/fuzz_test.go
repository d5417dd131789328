package bugreporttimestamps_test

import (
	"archive/zip"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/android/bugreporttimestamps"
)

// FuzzParseZone reads arbitrary bytes as the bug report's system properties: nothing
// may panic, a zone is loaded only when ok says so, and the name kept is valid UTF-8.
func FuzzParseZone(f *testing.F) {
	f.Add([]byte(props))
	f.Add(fixture.AndroidSystemProperties(fixture.SampleAndroidProps(fixture.Epoch, 20, 1)))
	f.Add([]byte("[persist.sys.timezone]: [../../etc/passwd]\n[persist.sys.timezone]: [\xff]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		z, ok := bugreporttimestamps.ParseZone(data)
		if ok != (z.Loc != nil) || !utf8.ValidString(z.Name) || ok && z.Name == "" {
			t.Fatalf("zone %+v ok %v", z, ok)
		}
	})
}

// FuzzFileTime reads arbitrary zip header fields (MS-DOS date and time, extra field,
// the time archive/zip decoded) as a bug-report entry's time: nothing may panic, a wall
// clock shown is a real date, and a time given in a zone is that wall clock there.
func FuzzFileTime(f *testing.F) {
	for _, utc := range []bool{false, true} {
		h := fixture.TombstoneZipHeader("FS/data/tombstones/tombstone_00", time.Date(2024, 3, 14, 10, 0, 7, 0, paris), utc)
		f.Add(h.ModifiedDate, h.ModifiedTime, h.Extra, h.Modified.Unix(), true)
	}
	f.Add(uint16(0), uint16(0), []byte("UT\x05\x00\x01\x00\x00\x00\x80"), int64(-1<<40), false)
	f.Fuzz(func(t *testing.T, date, clock uint16, extra []byte, modified int64, inParis bool) {
		h := &zip.FileHeader{Name: "x", ModifiedDate: date, ModifiedTime: clock, Extra: extra}
		if modified != 0 {
			h.Modified = time.Unix(modified, 0)
		}
		zone := bugreporttimestamps.Zone{}
		if inParis {
			zone = bugreporttimestamps.Zone{Name: "Europe/Paris", Loc: paris}
		}
		got := bugreporttimestamps.FileTime(h.FileInfo(), zone)
		if got.Local != "" {
			if _, err := time.Parse(bugreporttimestamps.LocalLayout, got.Local); err != nil {
				t.Fatalf("local time %q: %v", got.Local, err)
			}
		}
		switch got.Clock {
		case bugreporttimestamps.ClockUTC:
			if got.UTC.IsZero() {
				t.Fatalf("%+v", got)
			}
		case bugreporttimestamps.ClockUnknown:
			if !got.UTC.IsZero() {
				t.Fatalf("%+v", got)
			}
		case zone.Name:
			if got.UTC.IsZero() || got.Local == "" || zone.Loc == nil {
				t.Fatalf("%+v", got)
			}
		default:
			t.Fatalf("clock %q", got.Clock)
		}
	})
}

// TestFileTimeOutOfRange: a zip entry without an MS-DOS time whose extra field gives a
// time out of range (archive/zip reads NTFS times up to year 30,000 and back to year
// -27,000) has an unknown time, not a wall clock of year -32873; an extended
// timestamp of 1970 is no UTC time either.
func TestFileTimeOutOfRange(t *testing.T) {
	for _, h := range []*zip.FileHeader{
		{Name: "x", Modified: time.Unix(-1<<40, 0)},
		{Name: "x", Modified: time.Date(29000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "x", Modified: time.Unix(0, 0), Extra: []byte("UT\x05\x00\x01\x00\x00\x00\x00")},
	} {
		got := bugreporttimestamps.FileTime(h.FileInfo(), bugreporttimestamps.Zone{Name: "Europe/Paris", Loc: paris})
		if got.Clock != bugreporttimestamps.ClockUnknown || !got.UTC.IsZero() || got.Local != "" {
			t.Errorf("Modified %v: %+v", h.Modified, got)
		}
	}
}
