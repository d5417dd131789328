package bugreporttimestamps_test

import (
	"archive/zip"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/bugreporttimestamps"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}()

func run(t *testing.T, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), nil, bugreporttimestamps.New())
}

// entry is a zip entry as dumpstate writes it (MS-DOS time, wall clock of t's zone),
// or with an extended timestamp when utc.
func entry(name string, t time.Time, utc bool) *fstest.MapFile {
	h := fixture.TombstoneZipHeader(name, t, utc)
	return &fstest.MapFile{Data: []byte("x"), ModTime: h.Modified, Sys: h}
}

const props = "[persist.sys.timezone]: [Europe/Paris]\n"

func TestRecords(t *testing.T) {
	// Winter and summer time in Paris: +01:00 and +02:00.
	winter := time.Date(2024, 3, 14, 10, 0, 7, 0, paris)
	summer := time.Date(2024, 7, 1, 23, 30, 0, 0, paris)
	m := fstest.MapFS{
		"FS/data/tombstones/tombstone_00":   entry("FS/data/tombstones/tombstone_00", winter, false),
		"FS/data/anr/anr_2024-07-01-23-30":  entry("FS/data/anr/anr_2024-07-01-23-30", summer, false),
		"FS/proc/version":                   entry("FS/proc/version", winter, true),
		"dumpstate-2024-03-14-10-00-00.txt": entry("dumpstate-2024-03-14-10-00-00.txt", winter, false),
		"@sections/system_properties":       &fstest.MapFile{Data: []byte(props)},
	}
	o := run(t, m)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v)", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	want := []map[string]any{
		{"path": "FS/data/anr/anr_2024-07-01-23-30", "modified_time": "2024-07-01 21:30:00.000000", "modified_time_local": "2024-07-01 23:30:00", "clock": "Europe/Paris"},
		{"path": "FS/data/tombstones/tombstone_00", "modified_time": "2024-03-14 09:00:06.000000", "modified_time_local": "2024-03-14 10:00:06", "clock": "Europe/Paris"},
		{"path": "FS/proc/version", "modified_time": "2024-03-14 09:00:07.000000", "modified_time_local": "2024-03-14 10:00:06", "clock": "UTC"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2024-03-14 09:00:06.000000","BugReportTimestamps","M---","FS/data/tombstones/tombstone_00"`,
		`"2024-03-14 09:00:07.000000","BugReportTimestamps","M---","FS/proc/version"`,
		`"2024-07-01 21:30:00.000000","BugReportTimestamps","M---","FS/data/anr/anr_2024-07-01-23-30"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestZoneUnknown(t *testing.T) {
	wall := time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)
	for name, props := range map[string]string{
		"no properties":   "",
		"no zone":         "[ro.build.version.release]: [14]\n",
		"unknown zone":    "[persist.sys.timezone]: [Mars/Olympus_Mons]\n",
		"hostile zone":    "[persist.sys.timezone]: [../../etc/passwd]\n",
		"malformed value": "[persist.sys.timezone]: Europe/Paris\n",
	} {
		m := fstest.MapFS{"FS/data/system/packages.xml": entry("FS/data/system/packages.xml", wall, false)}
		if props != "" {
			m["@sections/system_properties"] = &fstest.MapFile{Data: []byte(props)}
		}
		o := run(t, m)
		want := []map[string]any{{"path": "FS/data/system/packages.xml", "modified_time": nil,
			"modified_time_local": "2024-03-14 10:00:00", "clock": "device local, zone unknown"}}
		if diff := cmp.Diff(want, o.List(t)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		if len(o.Timeline) != 0 {
			t.Errorf("%s: timeline %q, want none (time not known in UTC)", name, o.Timeline)
		}
	}
}

// TestFolder: an extracted bug report gives file-system times.
func TestFolder(t *testing.T) {
	mt := time.Date(2024, 3, 14, 9, 0, 0, 0, time.UTC)
	o := run(t, fstest.MapFS{"FS/data/tombstones/tombstone_00": &fstest.MapFile{Data: []byte("x"), ModTime: mt}})
	want := []map[string]any{{"path": "FS/data/tombstones/tombstone_00", "modified_time": "2024-03-14 09:00:00.000000",
		"modified_time_local": "", "clock": "file system"}}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFileTime(t *testing.T) {
	zone, ok := bugreporttimestamps.ParseZone([]byte("[persist.sys.timezone]: [Asia/Kolkata]\n"))
	if !ok || zone.Name != "Asia/Kolkata" {
		t.Fatalf("zone %+v %v", zone, ok)
	}
	// Impossible MS-DOS date, no Modified: zone unknown rather than a nonsense time.
	h := &zip.FileHeader{Name: "x", ModifiedDate: 0x1f << 5, ModifiedTime: 0}
	m := fstest.MapFS{"x": &fstest.MapFile{Sys: h}}
	st, err := m.Stat("x")
	if err != nil {
		t.Fatal(err)
	}
	got := bugreporttimestamps.FileTime(st, zone)
	if !got.UTC.IsZero() || got.Local != "" || got.Clock != bugreporttimestamps.ClockUnknown {
		t.Errorf("bad MS-DOS date: %+v", got)
	}
	// A truncated extra field is not an extended timestamp.
	h = fixture.TombstoneZipHeader("y", time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), false)
	h.Extra = []byte{0x55, 0x54, 9, 0, 1}
	m["y"] = &fstest.MapFile{Sys: h}
	st, _ = m.Stat("y")
	got = bugreporttimestamps.FileTime(st, zone)
	if got.Clock != "Asia/Kolkata" || got.UTC != time.Date(2024, 1, 1, 6, 30, 0, 0, time.UTC) {
		t.Errorf("truncated extra: %+v", got)
	}
}

func TestAbsent(t *testing.T) {
	for name, m := range map[string]fstest.MapFS{
		"no FS":      {"main_entry.txt": &fstest.MapFile{Data: []byte("dumpstate.txt")}},
		"FS is file": {"FS": &fstest.MapFile{Data: []byte("x")}},
	} {
		o := run(t, m)
		if o.Status.State != module.Skipped {
			t.Errorf("%s: status %s (%s), want skipped", name, o.Status.State, o.Status.Reason)
		}
	}
	// An empty FS/ folder: no records, not an error.
	o := run(t, fstest.MapFS{"FS/data": &fstest.MapFile{Mode: fs.ModeDir | 0o755}})
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("empty FS: status %s, %d records", o.Status.State, len(o.List(t)))
	}
}
