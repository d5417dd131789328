package aqfgetprop_test

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
	"github.com/spytrace/spytrace/internal/module/android/aqfgetprop"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

func run(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), ix, aqfgetprop.New())
}

func files(ps []fixture.AndroidProp, acquisition bool) fstest.MapFS {
	m := fstest.MapFS{fixture.AQFGetpropText: {Data: fixture.AndroidSystemProperties(ps)}}
	if acquisition {
		m[fixture.AQFAcquisitionName] = &fstest.MapFile{Data: fixture.AQFAcquisitionJSON(fixture.SampleAQFAcquisition(now))}
	}
	return m
}

var small = []fixture.AndroidProp{
	{Name: "persist.sys.timezone", Value: "Europe/Berlin"},
	{Name: "ro.build.version.security_patch", Value: "2024-02-05"},
	{Name: "ro.empty", Value: ""},
}

var smallWant = []map[string]any{
	{"name": "persist.sys.timezone", "value": "Europe/Berlin"},
	{"name": "ro.build.version.security_patch", "value": "2024-02-05", "acquisition_started": "2024-03-14T10:00:00Z"},
	{"name": "ro.empty", "value": ""},
}

func TestRecords(t *testing.T) {
	o := run(t, files(small, true), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	if diff := cmp.Diff(smallWant, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.Timeline) != 0 {
		t.Errorf("alerts = %v, timeline = %v", o.Alerts, o.Timeline)
	}
}

// androidqf's 2022 getprop.json, as a list and as an object (sorted by name).
func TestJSON(t *testing.T) {
	for _, asObject := range []bool{false, true} {
		m := fstest.MapFS{
			fixture.AQFGetpropJSONName: {Data: fixture.AQFGetpropJSON(small, asObject)},
			fixture.AQFAcquisitionName: {Data: fixture.AQFAcquisitionJSON(fixture.SampleAQFAcquisition(now))},
		}
		o := run(t, m, nil)
		if o.Status.State != module.OK {
			t.Fatalf("status = %+v", o.Status)
		}
		if diff := cmp.Diff(smallWant, o.List(t)); diff != "" {
			t.Errorf("object %v: records (-want +got):\n%s", asObject, diff)
		}
	}
	// both files: getprop.txt wins
	m := files(small[:1], true)
	m[fixture.AQFGetpropJSONName] = &fstest.MapFile{Data: fixture.AQFGetpropJSON(small, false)}
	if o := run(t, m, nil); len(o.List(t)) != 1 {
		t.Errorf("records = %v", o.List(t))
	}
}

func TestAbsentAndCorrupt(t *testing.T) {
	if o := run(t, fstest.MapFS{fixture.AQFAcquisitionName: {Data: []byte("{}")}}, nil); o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	for name, data := range map[string]string{
		fixture.AQFGetpropText:     "\x00\x01binary garbage\nno properties here\n",
		fixture.AQFGetpropJSONName: `"a string"`,
	} {
		o := run(t, fstest.MapFS{name: {Data: []byte(data)}}, nil)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, name) {
			t.Errorf("%s: %+v", name, o.Status)
		}
	}
	// an unclosed multi-line value: partial
	o := run(t, fstest.MapFS{fixture.AQFGetpropText: {Data: []byte("[a]: [b]\n[c]: [open\n")}}, nil)
	if o.Status.State != module.Partial || len(o.List(t)) != 1 {
		t.Errorf("status = %+v", o.Status)
	}
	// a broken acquisition.json: a problem, the properties are still read
	m := files(small, false)
	m[fixture.AQFAcquisitionName] = &fstest.MapFile{Data: []byte(`{"started": "yesterday"}`)}
	o = run(t, m, nil)
	if o.Status.State != module.Partial || len(o.List(t)) != 3 {
		t.Errorf("status = %+v", o.Status)
	}
}

func TestOldPatch(t *testing.T) {
	planted := fixture.SampleAndroidProps(now, 5, 1)
	fixture.PlantOldSecurityPatch(&planted, now)
	o := run(t, files(planted, true), nil)
	got := o.AlertsOf(aqfgetprop.OldPatch.ID)
	if len(got) != 1 || got[0].Level != alert.Medium || len(o.Alerts) != 1 {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, aqfgetprop.New())
	// without acquisition.json: no comparison with the analyst's clock
	if o := run(t, files(planted, false), nil); len(o.Alerts) != 0 {
		t.Errorf("without a date: alerts = %+v", o.Alerts)
	}
	// false positive: a recent patch
	if o := run(t, files(fixture.SampleAndroidProps(now, 5, 1), true), nil); len(o.Alerts) != 0 {
		t.Errorf("clean: alerts = %+v", o.Alerts)
	}
}

func TestPatchTooOld(t *testing.T) {
	tests := []struct {
		patch, started string
		want           bool
	}{
		{"2023-09-01", "2024-03-14T10:00:00Z", true},
		{"2023-09-10", "2024-03-14T10:00:00Z", false},
		{"2023-01", "2024-03-14T10:00:00+01:00", true},
		{"garbage", "2024-03-14T10:00:00Z", false},
		{"2020-01-01", "", false},
	}
	for _, tt := range tests {
		if _, got := aqfgetprop.PatchTooOld(tt.patch, tt.started); got != tt.want {
			t.Errorf("PatchTooOld(%q, %q) = %v", tt.patch, tt.started, got)
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
	moduletest.Reload(t, o, ix, aqfgetprop.New())
	ps = fixture.SampleAndroidProps(now, 5, 2)
	fixture.PlantAndroidProperty(&ps, "persist.sys.spyglass", "1")
	if o := run(t, files(ps, true), ix); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func FuzzAcquisitionStarted(f *testing.F) {
	f.Add(fixture.AQFAcquisitionJSON(fixture.SampleAQFAcquisition(now)), "2023-01-01")
	f.Fuzz(func(t *testing.T, data []byte, patch string) {
		s, _, err := aqfgetprop.AcquisitionStarted(data)
		if err == nil {
			aqfgetprop.PatchTooOld(patch, s)
		}
	})
}

// TestDecodeMVTRecord reads properties the way MVT writes them into
// aqf_get_prop.json ({name, value}) and checks them again: the property indicator
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
			m := aqfgetprop.New()
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
