package dumpsysactivities_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysactivities"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

func run(t *testing.T, section []byte, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	files := fstest.MapFS{fixture.AndroidPackageSection: {Data: section}}
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), ix, dumpsysactivities.New())
}

func TestRecords(t *testing.T) {
	spec := fixture.AndroidPackageSpec{
		Activities: []fixture.AndroidResolverEntry{
			{Intent: fixture.AndroidIntentMain, Component: "com.whatsapp/.Main"},
			{Intent: "android.settings.SETTINGS", Component: "com.android.settings/.Settings"},
			{Intent: fixture.AndroidIntentMain, Component: "org.wikipedia/org.wikipedia.main.MainActivity"},
		},
		Receivers: []fixture.AndroidResolverEntry{{Intent: fixture.AndroidIntentBoot, Component: "com.whatsapp/.Boot"}},
	}
	o := run(t, fixture.PackageSectionText(spec), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{
		{"intent": fixture.AndroidIntentMain, "package_name": "com.whatsapp", "activity": "com.whatsapp/.Main"},
		{"intent": fixture.AndroidIntentMain, "package_name": "org.wikipedia", "activity": "org.wikipedia/org.wikipedia.main.MainActivity"},
		{"intent": "android.settings.SETTINGS", "package_name": "com.android.settings", "activity": "com.android.settings/.Settings"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.Timeline) != 0 {
		t.Errorf("alerts = %v, timeline = %v", o.Alerts, o.Timeline)
	}
}

func TestAbsentAndGarbage(t *testing.T) {
	o := moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fstest.MapFS{"x.txt": {Data: []byte("x")}}), nil, dumpsysactivities.New())
	if o.Status.State != module.Skipped {
		t.Errorf("absent: status = %+v", o.Status)
	}
	o = run(t, []byte("Activity Resolver Table:\n  Non-Data Actions:\n        1 orphan/.Entry\n      a:\n        2\n"), nil)
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("garbage: status = %+v, records = %v", o.Status, o.List(t))
	}
}

func TestIndicator(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 4, 1)
	fixture.PlantAndroidIndicatorPackage(&spec, "com.spy.agent", now)
	o := run(t, fixture.PackageSectionText(spec), moduletest.Index("app_ids", "com.spy.agent"))
	got := o.AlertsOf("ioc/app_id")
	if len(got) != 1 || got[0].Level != alert.Critical || !strings.Contains(got[0].Message, "com.spy.agent/.MainActivity") || len(o.Alerts) != 1 {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index("app_ids", "com.spy.agent"), dumpsysactivities.New())
	o = run(t, fixture.PackageSectionText(fixture.SampleAndroidPackages(now, 4, 1)), moduletest.Index("app_ids", "com.spy.agent"))
	if len(o.Alerts) != 0 {
		t.Errorf("false positive: %+v", o.Alerts)
	}
}

func FuzzParseActivities(f *testing.F) {
	f.Add(fixture.PackageSectionText(fixture.SampleAndroidPackages(now, 2, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range dumpsysactivities.Parse(data) {
			if r.Intent == "" || !strings.Contains(r.Activity, "/") {
				t.Fatalf("record %+v", r)
			}
		}
	})
}

// TestDecodeMVTRecord reads activities the way MVT writes them into
// dumpsys_activities.json ({intent, package_name, activity}) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("app_ids", "com.spy.agent")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"indicator", `{"intent": "android.intent.action.MAIN", "package_name": "com.spy.agent", "activity": "com.spy.agent/.MainActivity"}`,
			[]string{`ioc/app_id Found a known suspicious app identifier "com.spy.agent" in an activity for android.intent.action.MAIN (com.spy.agent/.MainActivity)`}},
		{"other app", `{"intent": "android.intent.action.MAIN", "package_name": "com.spy.agent.helper", "activity": "com.spy.agent.helper/.A"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysactivities.New()
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
