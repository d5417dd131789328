package rootbinaries_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/rootbinaries"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

func run(t *testing.T, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), moduletest.Index("file_paths", "/system/xbin/su"), rootbinaries.New())
}

func TestRecordsAndAlerts(t *testing.T) {
	spec := fixture.SampleAQFRootBinaries()
	fixture.PlantAQFRootBinary(&spec, "/system/xbin/su")
	fixture.PlantAQFRootBinary(&spec, " /debug_ramdisk/Magisk ")
	fixture.PlantAQFRootBinary(&spec, "/data/local/tmp/SuperSu.apk")
	fixture.PlantAQFRootBinary(&spec, "/sbin/rootme")
	o := run(t, fixture.AQFRootBinariesFiles(spec))
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"path": "/system/xbin/su", "binary_name": "su", "description": "SuperUser binary"},
		{"path": "/debug_ramdisk/Magisk", "binary_name": "magisk", "description": "Magisk root framework"},
		{"path": "/data/local/tmp/SuperSu.apk", "binary_name": "supersu.apk", "description": "SuperSU app"},
		{"path": "/sbin/rootme", "binary_name": "rootme", "description": "Unknown root binary"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	var got []string
	for _, a := range o.Alerts {
		got = append(got, a.Level.String()+" "+a.Check+" "+a.Message)
	}
	wantAlerts := []string{
		`HIGH root_binaries/root-binary Found root binary "su" at path "/system/xbin/su" (SuperUser binary)`,
		`HIGH root_binaries/root-binary Found root binary "magisk" at path "/debug_ramdisk/Magisk" (Magisk root framework)`,
		`HIGH root_binaries/root-binary Found root binary "supersu.apk" at path "/data/local/tmp/SuperSu.apk" (SuperSU app)`,
		`HIGH root_binaries/root-binary Found root binary "rootme" at path "/sbin/rootme" (Unknown root binary)`,
	}
	if diff := cmp.Diff(wantAlerts, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, moduletest.Index("file_paths", "/system/xbin/su"), rootbinaries.New())
	if len(o.Timeline) != 0 {
		t.Errorf("timeline %v", o.Timeline)
	}
}

// False positive side: an empty list (what androidqf writes on an unrooted phone),
// null, and entries that are not paths raise nothing.
func TestClean(t *testing.T) {
	for _, data := range []string{"[]", "null", "", `["", null]`} {
		o := run(t, fstest.MapFS{"root_binaries.json": {Data: []byte(data)}})
		if o.Status.State != module.OK || len(o.List(t)) != 0 || len(o.Alerts) != 0 {
			t.Errorf("%q: %+v, %d alerts", data, o.Status, len(o.Alerts))
		}
	}
	o := run(t, fixture.AQFRootBinariesFiles(fixture.SampleAQFRootBinaries()))
	for _, a := range o.Alerts {
		if a.Level >= alert.High {
			t.Errorf("sample raised %v", a)
		}
	}
	o = run(t, fstest.MapFS{"root_binaries.json": {Data: []byte(`["/su", 3, {"a":1}]`)}})
	if o.Status.State != module.Partial || len(o.List(t)) != 1 || len(o.Status.Problems) != 2 {
		t.Errorf("odd entries: %+v", o.Status)
	}
}

func TestAbsentAndCorrupt(t *testing.T) {
	if o := run(t, fstest.MapFS{"getprop.txt": {Data: []byte("")}}); o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	for _, data := range []string{"{", `{"su": true}`, "\x00garbage"} {
		o := run(t, fstest.MapFS{"root_binaries.json": {Data: []byte(data)}})
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not a JSON list of paths") {
			t.Errorf("%q: %+v", data, o.Status)
		}
	}
}

// TestDecodeMVTRecord reads binaries the way MVT writes them into
// root_binaries.json ({path, binary_name, description}) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("file_paths", "/system/xbin/su")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"su", `{"path": "/system/xbin/su", "binary_name": "su", "description": "SuperUser binary"}`,
			[]string{`root_binaries/root-binary Found root binary "su" at path "/system/xbin/su" (SuperUser binary)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := rootbinaries.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
			})
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
