package dumpsysappops_test

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
	"github.com/spytrace/spytrace/internal/module/android/dumpsysappops"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

// now is the dump's time, 11:00 in Berlin.
var (
	berlin = fixture.AndroidSampleLocation()
	now    = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)
)

func files(pkgs []fixture.AppopsPackage, zone bool) fstest.MapFS {
	m := fstest.MapFS{
		fixture.AndroidAppopsSection: {Data: fixture.AndroidAppops(now, berlin, pkgs)},
		fixture.AndroidHeaderSection: {Data: fixture.AndroidDumpstateHeader(now.In(berlin))},
	}
	if zone {
		m[fixture.AndroidPropsSection] = &fstest.MapFile{Data: fixture.AndroidSystemProperties([]fixture.AndroidProp{{Name: "persist.sys.timezone", Value: fixture.AndroidSampleZone}})}
	}
	return m
}

func run(t *testing.T, fs fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fs), ix, dumpsysappops.New())
}

var pkgs = []fixture.AppopsPackage{{UID: "u0a103", Package: "com.facebook.katana", Ops: []fixture.AppopsOp{
	{Name: "READ_CONTACTS", Mode: "allow", Entries: []fixture.AppopsEntry{{Access: "Access", State: "bg-tpd", Time: now.Add(-2 * time.Hour)}}},
	{Name: "WRITE_SMS", Mode: "ignore", Entries: []fixture.AppopsEntry{{Access: "Reject", State: "fg-s", Time: now.Add(-26 * time.Hour)}}},
	{Name: "TOAST_WINDOW", Mode: "allow"},
}}}

func TestRecords(t *testing.T) {
	o := run(t, files(pkgs, true), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{{
		"package_name": "com.facebook.katana", "uid": "u0a103", "clock": "Europe/Berlin",
		"permissions": []any{
			map[string]any{"name": "READ_CONTACTS", "access": "allow", "entries": []any{map[string]any{
				"access": "Access", "type": "bg-tpd", "timestamp": "2024-03-14 08:00:00.000000",
				"timestamp_local": "2024-03-14 09:00:00.000", "relative": "-2h0m0s0ms"}}},
			map[string]any{"name": "WRITE_SMS", "access": "ignore", "entries": []any{map[string]any{
				"access": "Reject", "type": "fg-s", "timestamp": "2024-03-13 08:00:00.000000",
				"timestamp_local": "2024-03-13 09:00:00.000", "relative": "-1d2h0m0s0ms"}}},
			map[string]any{"name": "TOAST_WINDOW", "access": "allow", "entries": []any{}},
		},
	}}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2024-03-13 08:00:00.000000","DumpsysAppops","Reject","com.facebook.katana access to WRITE_SMS: Reject"`,
		`"2024-03-14 08:00:00.000000","DumpsysAppops","Access","com.facebook.katana access to READ_CONTACTS: Access"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestZoneUnknown(t *testing.T) {
	o := run(t, files(pkgs, false), nil)
	recs := o.List(t)
	if len(recs) != 1 || recs[0]["clock"] != "device local, zone unknown" {
		t.Fatalf("records = %v", recs)
	}
	e := recs[0]["permissions"].([]any)[0].(map[string]any)["entries"].([]any)[0].(map[string]any)
	if e["timestamp"] != nil || e["timestamp_local"] != "2024-03-14 09:00:00.000" {
		t.Errorf("entry = %v", e)
	}
	if len(o.Timeline) != 0 {
		t.Errorf("timeline = %v", o.Timeline)
	}
}

func TestOldFormatRelative(t *testing.T) {
	text := "Current AppOps Service state:\n  Uid u0a50:\n    Package com.example.app:\n" +
		"      CAMERA (allow): time=+1h0m0s0ms ago; rejectTime=+2d0h0m0s0ms ago\n\n"
	c := dumpsysappops.Clock{Zone: time.UTC, Name: "UTC", Dump: time.Date(2019, 5, 1, 12, 0, 0, 0, time.UTC)}
	got := dumpsysappops.Parse([]byte(text), c)
	if len(got) != 1 || len(got[0].Permissions) != 1 || len(got[0].Permissions[0].Entries) != 2 {
		t.Fatalf("got %+v", got)
	}
	es := got[0].Permissions[0].Entries
	if es[0].Access != "Access" || es[0].TimestampLocal != "2019-05-01 11:00:00.000" ||
		es[1].Access != "Reject" || es[1].TimestampLocal != "2019-04-29 12:00:00.000" {
		t.Errorf("entries = %+v %+v", es[0], es[1])
	}
}

func TestAbsentAndEmpty(t *testing.T) {
	o := run(t, fstest.MapFS{fixture.AndroidHeaderSection: {Data: fixture.AndroidDumpstateHeader(now)}}, nil)
	if o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	o = run(t, fstest.MapFS{fixture.AndroidAppopsSection: {Data: []byte("Can't find service: appops\n")}}, nil)
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("empty: %+v %v", o.Status, o.List(t))
	}
}

func TestHeuristics(t *testing.T) {
	at := now.Add(-3 * time.Hour)
	tests := []struct {
		name  string
		plant func(*[]fixture.AppopsPackage)
		check string
		n     int
	}{
		{"install", func(p *[]fixture.AppopsPackage) { fixture.PlantAppopsInstallPackages(p, "com.example.browser", at) }, dumpsysappops.InstallPackages.ID, 1},
		{"shell", func(p *[]fixture.AppopsPackage) { fixture.PlantAppopsShell(p, "READ_CLIPBOARD", at) }, dumpsysappops.ShellOp.ID, 1},
		{"clean", func(*[]fixture.AppopsPackage) {}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fixture.SampleAppops(now, 12, 7)
			tt.plant(&p)
			o := run(t, files(p, true), nil)
			if len(o.Alerts) != tt.n || (tt.n > 0 && (o.Alerts[0].Check != tt.check || o.Alerts[0].Level != alert.Medium)) {
				t.Fatalf("alerts = %+v", o.Alerts)
			}
			moduletest.Reload(t, o, nil, dumpsysappops.New())
		})
	}
	// an install permission without recorded accesses still raises one alert
	p := []fixture.AppopsPackage{{UID: "u0a1", Package: "org.fdroid.fdroid", Ops: []fixture.AppopsOp{{Name: "REQUEST_INSTALL_PACKAGES", Mode: "allow"}}}}
	if o := run(t, files(p, true), nil); len(o.AlertsOf(dumpsysappops.InstallPackages.ID)) != 1 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func TestAppIndicator(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent")
	p := fixture.SampleAppops(now, 5, 3)
	fixture.PlantAppopsApp(&p, "com.spy.agent", now.Add(-time.Hour))
	o := run(t, files(p, true), ix)
	got := o.AlertsOf("ioc/app_id")
	if len(got) != 1 || got[0].Level != alert.Critical {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, ix, dumpsysappops.New())
	// false positive: a similar name
	p = fixture.SampleAppops(now, 5, 3)
	fixture.PlantAppopsApp(&p, "com.spy.agent.helper", now.Add(-time.Hour))
	if o := run(t, files(p, true), ix); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture.AndroidAppops(now, time.UTC, pkgs))
	f.Add([]byte("  Uid 1:\n    Package a:\n      X (allow): time=+1s ago\n          Reject: [x]2020-01-01 00:00:00.000 (-1s)\n"))
	c := dumpsysappops.Clock{Zone: time.UTC, Name: "UTC", Dump: now}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range dumpsysappops.Parse(data, c) {
			p.Timeline()
		}
	})
}

// TestDecodeMVTRecord reads packages the way MVT writes them into
// dumpsys_appops.json ({package_name, uid, permissions[{name, access, entries[{access,
// type, timestamp}]}]}, timestamps on the device's clock) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent")
	pkg := func(name, perm, entries string) string {
		return `{"package_name": "` + name + `", "permissions": [{"name": "` + perm + `", "entries": [` + entries + `], "access": "allow"}], "uid": "u0a123"}`
	}
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"indicator", pkg("com.spy.agent", "CAMERA", `{"access": "Access", "type": "fg-s", "timestamp": "2024-03-14 09:00:00.123000"}`),
			[]string{`ioc/app_id Found a known suspicious app identifier "com.spy.agent" in the app operations of uid u0a123`}},
		{"install packages", pkg("com.example.browser", "REQUEST_INSTALL_PACKAGES", `{"access": "Access", "type": "fg-s", "timestamp": "2024-03-14 09:00:00.123000"}`),
			[]string{dumpsysappops.InstallPackages.ID + ` Package "com.example.browser" had risky permission "REQUEST_INSTALL_PACKAGES" set to "Access" at 2024-03-14 09:00:00.123 (device local, zone unknown)`}},
		{"shell without entries", pkg("com.android.shell", "READ_CLIPBOARD", ``),
			[]string{dumpsysappops.ShellOp.ID + ` Risky package "com.android.shell" had "READ_CLIPBOARD" permission set to "Unknown" at an unknown time (device local, zone unknown)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysappops.New()
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
