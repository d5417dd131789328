package aqflogtimestamps_test

import (
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/aqflogtimestamps"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

func run(t *testing.T, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), nil, aqflogtimestamps.New())
}

func TestRecords(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2024, 3, 14, 10, 0, 7, 0, paris)
	spec := fixture.AQFLogsSpec{Files: []fixture.AQFLogFile{
		{DevicePath: "/data/anr/anr_2024-03-14-10-00-07-123", Data: []byte("x"), ModTime: t1, Zip: true, Extended: true},
		{DevicePath: "/data/system/uiderrors.txt", Data: []byte("x"), ModTime: t1, Zip: true},
		{DevicePath: "/proc/last_kmsg", Data: []byte("x"), ModTime: time.Date(2024, 3, 14, 9, 0, 0, 0, time.UTC)},
	}}
	files := fixture.AQFLogsFiles(spec)
	// The device's zone is not the zip writer's: it is not used.
	files["getprop.txt"] = &fstest.MapFile{Data: []byte("[persist.sys.timezone]: [Asia/Tokyo]\n")}
	files["packages.json"] = &fstest.MapFile{Data: []byte("[]")}
	o := run(t, files)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"path": "logs/data/anr/anr_2024-03-14-10-00-07-123", "device_path": "/data/anr/anr_2024-03-14-10-00-07-123",
			"modified_time": "2024-03-14 09:00:07.000000", "modified_time_local": "2024-03-14 10:00:06", "clock": "UTC"},
		{"path": "logs/data/system/uiderrors.txt", "device_path": "/data/system/uiderrors.txt",
			"modified_time": nil, "modified_time_local": "2024-03-14 10:00:06", "clock": aqflogtimestamps.ClockZipLocal},
		{"path": "logs/proc/last_kmsg", "device_path": "/proc/last_kmsg",
			"modified_time": "2024-03-14 09:00:00.000000", "modified_time_local": "", "clock": "file system"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2024-03-14 09:00:00.000000","AQFLogTimestamps","M---","logs/proc/last_kmsg"`,
		`"2024-03-14 09:00:07.000000","AQFLogTimestamps","M---","logs/data/anr/anr_2024-03-14-10-00-07-123"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v", o.Alerts)
	}
}

func TestSample(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	spec := fixture.SampleAQFLogs(now, 12, 3)
	o := run(t, fixture.AQFLogsFiles(spec))
	if o.Status.State != module.OK || len(o.List(t)) != 12 || len(o.Timeline) != 12 {
		t.Errorf("status %+v, %d records, %d timeline rows", o.Status, len(o.List(t)), len(o.Timeline))
	}
}

func TestAbsent(t *testing.T) {
	for name, m := range map[string]fstest.MapFS{
		"no logs":      {"packages.json": &fstest.MapFile{Data: []byte("[]")}},
		"logs is file": {"logs": &fstest.MapFile{Data: []byte("x")}},
	} {
		if o := run(t, m); o.Status.State != module.Skipped {
			t.Errorf("%s: %+v", name, o.Status)
		}
	}
	o := run(t, fstest.MapFS{"logs/data": &fstest.MapFile{Mode: fs.ModeDir | 0o755}})
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("empty logs: %+v", o.Status)
	}
	o = moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fixture.AQFLogsFiles(fixture.SampleAQFLogs(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 2, 1))), nil, aqflogtimestamps.New())
	if o.Status.State != module.Skipped {
		t.Errorf("other kind: %+v", o.Status)
	}
}
