package aqfsettings_test

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
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/aqfsettings"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

func run(t *testing.T, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), nil, aqfsettings.New())
}

func textFiles(spec fixture.AQFSettingsSpec) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range fixture.AQFSettingsFiles(spec) {
		m[name] = &fstest.MapFile{Data: data}
	}
	return m
}

var small = fixture.AQFSettingsSpec{
	"global": {{Key: "adb_enabled", Value: "1"}, {Key: "device_name", Value: "a=b phone"}},
	"secure": {{Key: "android_id", Value: "9774d56d682e549c"}},
}

var smallWant = []map[string]any{
	{"namespace": "global", "key": "adb_enabled", "value": "1"},
	{"namespace": "global", "key": "device_name", "value": "a=b phone"},
	{"namespace": "secure", "key": "android_id", "value": "9774d56d682e549c"},
}

func TestRecords(t *testing.T) {
	o := run(t, textFiles(small))
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	if diff := cmp.Diff(smallWant, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.Timeline) != 0 {
		t.Errorf("alerts = %v", o.Alerts)
	}
}

// androidqf's 2022 settings.json.
func TestJSON(t *testing.T) {
	o := run(t, fstest.MapFS{fixture.AQFSettingsJSONName: {Data: fixture.AQFSettingsJSON(small)}})
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	if diff := cmp.Diff(smallWant, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// numbers, null and a namespace given as text
	o = run(t, fstest.MapFS{fixture.AQFSettingsJSONName: {Data: []byte(`{"global": {"a": 1, "b": null}, "system": "x=1\ny=2\n", "bad": 3}`)}})
	want := []map[string]any{
		{"namespace": "global", "key": "a", "value": "1"},
		{"namespace": "global", "key": "b", "value": "null"},
		{"namespace": "system", "key": "x", "value": "1"},
		{"namespace": "system", "key": "y", "value": "2"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" || o.Status.State != module.Partial {
		t.Errorf("status %+v, records (-want +got):\n%s", o.Status, diff)
	}
}

func TestMultiLineAndCorrupt(t *testing.T) {
	o := run(t, fstest.MapFS{"settings_secure.txt": {Data: []byte("orphan line\nenabled_notification_listeners=a/b\nc/d\n\nx=1\r\n")}})
	want := []map[string]any{
		{"namespace": "secure", "key": "enabled_notification_listeners", "value": "a/b\nc/d"},
		{"namespace": "secure", "key": "x", "value": "1"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" || o.Status.State != module.Partial {
		t.Errorf("status %+v, records (-want +got):\n%s", o.Status, diff)
	}
	if o := run(t, fstest.MapFS{"settings_global.txt": {Data: []byte("\x00\x01\x02 garbage")}}); o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "settings_global.txt") {
		t.Errorf("garbage: %+v", o.Status)
	}
	if o := run(t, fstest.MapFS{"settings.json": {Data: []byte("[1]")}}); o.Status.State != module.Failed {
		t.Errorf("bad json: %+v", o.Status)
	}
	// one bad file out of two: partial
	m := textFiles(small)
	m["settings_system.txt"] = &fstest.MapFile{Data: []byte("garbage")}
	if o := run(t, m); o.Status.State != module.Partial || len(o.List(t)) != 3 {
		t.Errorf("one bad: %+v", o.Status)
	}
	if o := run(t, fstest.MapFS{"getprop.txt": {Data: []byte("[a]: [b]")}}); o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
}

func TestNamespace(t *testing.T) {
	for in, want := range map[string]string{"settings_global.txt": "global", "settings_secure.txt": "secure", "settings_x_y.txt": "y"} {
		if got := aqfsettings.Namespace(in); got != want {
			t.Errorf("Namespace(%q) = %q", in, got)
		}
	}
}

func TestDangerousSettings(t *testing.T) {
	clean := fixture.SampleAQFSettings(now, 10, 1)
	if o := run(t, textFiles(clean)); len(o.Alerts) != 0 || o.Status.State != module.OK {
		t.Fatalf("clean: %+v %+v", o.Status, o.Alerts)
	}
	for key, d := range aqfsettings.DangerousSettings {
		spec := fixture.SampleAQFSettings(now, 10, 1)
		bad := "0"
		if d.Safe == "0" {
			bad = "1"
		}
		fixture.PlantAQFDangerousSetting(spec, "global", key, bad)
		o := run(t, textFiles(spec))
		if len(o.Alerts) != 1 || o.Alerts[0].Check != aqfsettings.DangerousSettingID || o.Alerts[0].Level != alert.Medium ||
			!strings.Contains(o.Alerts[0].Message, key) || o.Alerts[0].Meaning == "" || o.Alerts[0].Advice == "" {
			t.Errorf("%s: alerts %+v", key, o.Alerts)
		}
		moduletest.Reload(t, o, nil, aqfsettings.New())
		// false positive: the same setting at its safe value, in settings.json
		fixture.PlantAQFDangerousSetting(spec, "global", key, d.Safe)
		if o := run(t, fstest.MapFS{"settings.json": {Data: fixture.AQFSettingsJSON(spec)}}); len(o.Alerts) != 0 {
			t.Errorf("%s safe: alerts %+v", key, o.Alerts)
		}
	}
	if len(aqfsettings.DangerousSettings) != 11 {
		t.Errorf("%d dangerous settings", len(aqfsettings.DangerousSettings))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("a=b\nc\n=d\n"), true)
	f.Add(fixture.AQFSettingsJSON(small), false)
	f.Fuzz(func(t *testing.T, data []byte, text bool) {
		if text {
			recs, _ := aqfsettings.ParseText("global", data)
			for _, r := range recs {
				if r.Key == "" {
					t.Fatal("empty key")
				}
			}
			return
		}
		aqfsettings.ParseJSON(data)
	})
}

// TestDecodeMVTRecord reads MVT's aqf_settings.json, one object of namespace → {key:
// value}, and checks every setting of it again.
func TestDecodeMVTRecord(t *testing.T) {
	const mvt = `{"global": {"adb_enabled": "1", "package_verifier_enable": "0", "upload_apk_enable": "1"},
		"secure": {"android_id": "9774d56d682e549c", "accessibility_enabled": "1"},
		"system": {"screen_brightness": "102"}}`
	m := aqfsettings.New()
	rec, err := m.DecodeRecord([]byte(mvt))
	if err != nil {
		t.Fatal(err)
	}
	if recs, ok := rec.(aqfsettings.Settings); !ok || len(recs) != 6 {
		t.Fatalf("decoded %#v", rec)
	}
	var got []string
	rep := check.NewReporter(m.Info().Name, func(a alert.Alert) { got = append(got, a.Check+" "+a.Message) })
	ck := m.NewChecker(check.NewEnv(nil))
	ck.Check(rec, rep)
	ck.Finish(rep)
	want := []string{"package_verifier_enable = 0", "accessibility_enabled = 1"}
	if len(got) != len(want) {
		t.Fatalf("alerts %q", got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], aqfsettings.DangerousSettingID+" Found suspicious ") || !strings.Contains(got[i], w) {
			t.Errorf("alert %d = %q, want %q", i, got[i], w)
		}
	}
	// a spytrace record is still read as one setting
	rec, err = m.DecodeRecord([]byte(`{"namespace": "global", "key": "package_verifier_enable", "value": "0"}`))
	if s, ok := rec.(*aqfsettings.Setting); err != nil || !ok || s.Key != "package_verifier_enable" {
		t.Errorf("decoded %#v, %v", rec, err)
	}
}
