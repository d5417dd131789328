package dumpsysgetprop_test

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
	"github.com/spytrace/spytrace/internal/module/android/dumpsysgetprop"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

func run(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), ix, dumpsysgetprop.New())
}

func files(ps []fixture.AndroidProp, header bool) fstest.MapFS {
	m := fstest.MapFS{fixture.AndroidPropsSection: {Data: fixture.AndroidSystemProperties(ps)}}
	if header {
		m[fixture.AndroidHeaderSection] = &fstest.MapFile{Data: fixture.AndroidDumpstateHeader(now)}
	}
	return m
}

func TestRecords(t *testing.T) {
	ps := []fixture.AndroidProp{
		{Name: "persist.sys.timezone", Value: "Europe/Berlin"},
		{Name: "ro.build.version.security_patch", Value: "2024-02-05"},
		{Name: "ro.empty", Value: ""},
	}
	o := run(t, files(ps, true), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{
		{"name": "persist.sys.timezone", "value": "Europe/Berlin"},
		{"name": "ro.build.version.security_patch", "value": "2024-02-05", "bugreport_date": "2024-03-14 10:00:00"},
		{"name": "ro.empty", "value": ""},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.Timeline) != 0 {
		t.Errorf("alerts = %v, timeline = %v", o.Alerts, o.Timeline)
	}
}

func TestAbsent(t *testing.T) {
	o := run(t, fstest.MapFS{fixture.AndroidHeaderSection: {Data: fixture.AndroidDumpstateHeader(now)}}, nil)
	if o.Status.State != module.Skipped {
		t.Fatalf("status = %+v", o.Status)
	}
}

func TestUnclosedValue(t *testing.T) {
	o := run(t, fstest.MapFS{fixture.AndroidPropsSection: {Data: []byte("[a]: [b]\n[c]: [open\n")}}, nil)
	if o.Status.State != module.Partial || len(o.List(t)) != 1 {
		t.Fatalf("status = %+v, records = %v", o.Status, o.List(t))
	}
}

func TestOldPatch(t *testing.T) {
	sample := fixture.SampleAndroidProps(now, 5, 1)
	planted := fixture.SampleAndroidProps(now, 5, 1)
	fixture.PlantOldSecurityPatch(&planted, now)

	o := run(t, files(planted, true), nil)
	got := o.AlertsOf(dumpsysgetprop.OldPatch.ID)
	if len(got) != 1 || got[0].Level != alert.Medium {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsysgetprop.New())
	// the same patch level without the bug report's date: no comparison with today
	if o := run(t, files(planted, false), nil); len(o.Alerts) != 0 {
		t.Errorf("without a date: alerts = %+v", o.Alerts)
	}
	// false positive: a recent patch
	if o := run(t, files(sample, true), nil); len(o.Alerts) != 0 {
		t.Errorf("clean: alerts = %+v", o.Alerts)
	}
}

func TestPatchTooOld(t *testing.T) {
	tests := []struct {
		patch, date string
		want        bool
	}{
		{"2023-09-01", "2024-03-14 10:00:00", true}, // 195 days: more than 6×31
		{"2023-09-05", "2024-03-14 10:00:00", true},
		{"2023-09-10", "2024-03-14", false},
		{"2023-01", "2024-03-14", true},
		{"garbage", "2024-03-14", false},
		{"2020-01-01", "", false},
	}
	for _, tt := range tests {
		if _, got := dumpsysgetprop.PatchTooOld(tt.patch, tt.date); got != tt.want {
			t.Errorf("PatchTooOld(%q, %q) = %v", tt.patch, tt.date, got)
		}
	}
}

func TestPropertyIndicator(t *testing.T) {
	ix := moduletest.Index(string(ioc.AndroidProperty), "persist.sys.spy")
	ps := fixture.SampleAndroidProps(now, 5, 2)
	fixture.PlantAndroidProperty(&ps, "persist.sys.spy", "1")
	o := run(t, files(ps, true), ix)
	got := o.AlertsOf("ioc/android_property")
	if len(got) != 1 || got[0].Level != alert.Critical || got[0].Indicator.Value != "persist.sys.spy" {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, ix, dumpsysgetprop.New())
	// false positive: a longer name with the indicator as prefix
	ps = fixture.SampleAndroidProps(now, 5, 2)
	fixture.PlantAndroidProperty(&ps, "persist.sys.spyglass", "1")
	if o := run(t, files(ps, true), ix); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[a]: [b]\n[ro.build.version.security_patch]: [2020-01-01]\n"), "2024-03-14 10:00:00")
	f.Fuzz(func(t *testing.T, data []byte, date string) {
		recs, _ := dumpsysgetprop.Parse(data, date)
		for _, r := range recs {
			dumpsysgetprop.PatchTooOld(r.Value, r.BugreportDate)
		}
	})
}

// TestDecodeMVTRecord reads properties the way MVT writes them into
// dumpsys_get_prop.json ({name, value}) and checks them again: the property indicator
// matches; the security patch level is not judged, MVT's record holding no date to
// compare it with (MVT compares it with the day it runs).
func TestDecodeMVTRecord(t *testing.T) {
	tests := []struct {
		name   string
		ix     *ioc.Index
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"indicator", moduletest.Index(string(ioc.AndroidProperty), "persist.sys.spy"), `{"name": "persist.sys.spy", "value": "1"}`,
			[]string{`ioc/android_property Found a known suspicious system property "persist.sys.spy" in the system properties`}},
		{"old patch, no date", nil, `{"name": "ro.build.version.security_patch", "value": "2019-01-05"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysgetprop.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
			})
			ck := m.NewChecker(check.NewEnv(tc.ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
