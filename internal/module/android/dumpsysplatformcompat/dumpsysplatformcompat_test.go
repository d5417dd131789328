package dumpsysplatformcompat_test

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
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysplatformcompat"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

func run(t *testing.T, section []byte, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	files := fstest.MapFS{fixture.AndroidPlatformCompatSection: {Data: section}}
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), ix, dumpsysplatformcompat.New())
}

func TestRecords(t *testing.T) {
	spec := fixture.SampleAndroidPlatformCompat()
	fixture.PlantAndroidUninstalledApp(&spec, "org.example.removed")
	o := run(t, fixture.PlatformCompatSectionText(spec), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{{"package_name": "com.king.candycrushsaga"}, {"package_name": "com.adobe.psmobile"}, {"package_name": "org.example.removed"}}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts = %v", o.Alerts)
	}
}

// The override list is read whatever follows it, with leading spaces, duplicates once.
func TestParseVariants(t *testing.T) {
	for text, want := range map[string][]string{
		"  ChangeId(168419799; name=DOWNSCALED; rawOverrides={a.b=false, c.d=true,a.b=false})":                   {"a.b", "c.d"},
		"ChangeId(168419799; disabled; rawOverrides={x.y=false}; overridable)\nChangeId(1; rawOverrides={no=1})": {"x.y"},
		"ChangeId(168419799; name=DOWNSCALED; packageOverrides={p.q=false})":                                     nil,
		"ChangeId(168419799; name=DOWNSCALED; rawOverrides={}":                                                   nil,
		"ChangeId(168419799; name=DOWNSCALED; rawOverrides={unclosed=false, z.z":                                 {"unclosed", "z.z"},
	} {
		var got []string
		for _, r := range dumpsysplatformcompat.Parse([]byte(text)) {
			got = append(got, r.PackageName)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", text, diff)
		}
	}
}

func TestAbsentAndGarbage(t *testing.T) {
	o := moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fstest.MapFS{"x.txt": {Data: []byte("x")}}), nil, dumpsysplatformcompat.New())
	if o.Status.State != module.Skipped {
		t.Errorf("absent: status = %+v", o.Status)
	}
	o = run(t, []byte("\x00\xffnot a platform_compat dump\n"), nil)
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("garbage: status = %+v, records = %v", o.Status, o.List(t))
	}
}

func TestIndicator(t *testing.T) {
	spec := fixture.SampleAndroidPlatformCompat()
	fixture.PlantAndroidUninstalledApp(&spec, "com.spy.agent")
	o := run(t, fixture.PlatformCompatSectionText(spec), moduletest.Index("app_ids", "com.spy.agent"))
	got := o.AlertsOf("ioc/app_id")
	if len(got) != 1 || got[0].Level != alert.Critical || len(o.Alerts) != 1 {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index("app_ids", "com.spy.agent"), dumpsysplatformcompat.New())
	o = run(t, fixture.PlatformCompatSectionText(fixture.SampleAndroidPlatformCompat()), moduletest.Index("app_ids", "com.spy.agent"))
	if len(o.Alerts) != 0 {
		t.Errorf("false positive: %+v", o.Alerts)
	}
}

func FuzzParsePlatformCompat(f *testing.F) {
	f.Add(fixture.PlatformCompatSectionText(fixture.AndroidPlatformCompatSpec{Installed: []string{"a"}, Uninstalled: []string{"b"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[string]bool{}
		for _, r := range dumpsysplatformcompat.Parse(data) {
			if r.PackageName == "" || seen[r.PackageName] {
				t.Fatalf("record %+v", r)
			}
			seen[r.PackageName] = true
		}
	})
}

// TestDecodeMVTRecord reads the apps the way MVT writes them into
// dumpsys_platform_compat.json ({package_name}) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("app_ids", "com.spy.agent")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"indicator", `{"package_name": "com.spy.agent"}`,
			[]string{`ioc/app_id Found a known suspicious app identifier "com.spy.agent" in the compatibility overrides of uninstalled apps`}},
		{"other app", `{"package_name": "com.example.game"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysplatformcompat.New()
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
