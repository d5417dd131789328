package locationdclients_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/locationdclients"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2021, 7, 4, 3, 12, 9, 0, time.UTC)
	t1 = t0.Add(90 * time.Minute)
	t2 = t0.Add(-48 * time.Hour)
)

const rootFile = "RootDomain/Library/Caches/locationd/clients.plist"

func backup(t testing.TB, spec *fixture.LocationdSpec) *fixture.Backup {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if spec != nil {
		if err := fixture.AddLocationdClients(b, *spec); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func runBackup(t *testing.T, ix *ioc.Index, b *fixture.Backup) *moduletest.Outcome {
	t.Helper()
	return reloaded(t, moduletest.Run(t, moduletest.OpenBackup(t, b), ix, locationdclients.New()), ix)
}

// reloaded checks that the records of o read back to the same JSON and raise the
// same alerts with the indicators ix, as check-iocs would, and returns o.
func reloaded(t *testing.T, o *moduletest.Outcome, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	moduletest.ReloadExact(t, o, ix, locationdclients.New())
	return o
}

func run(t *testing.T, ix *ioc.Index, spec fixture.LocationdSpec) *moduletest.Outcome {
	t.Helper()
	return runBackup(t, ix, backup(t, &spec))
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		ind := ""
		if a.Indicator != nil {
			ind = " " + a.Indicator.MatchedOn
		}
		out = append(out, fmt.Sprintf("%s %s %s%s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339), ind))
	}
	return out
}

func smallSpec() fixture.LocationdSpec {
	return fixture.LocationdSpec{
		Other: map[string]any{"LastMigrationVersion": int64(3)},
		Clients: []fixture.LocationdClient{
			{Key: "com.apple.Maps", BundleID: "com.apple.Maps", Executable: "/Applications/Maps.app/Maps", Authorization: 2,
				Times: map[string]time.Time{"LocationTimeStopped": t1, "ConsumptionPeriodBegin": t2},
				Token: []byte{0xde, 0xad, 0xbe, 0xef}, Extra: map[string]any{"Whitelisted": false, "SupportedAuthorizationMask": int64(3)}},
			{Key: "com.apple.locationd.bundle-/System/Library/LocationBundles/TimeZone.bundle",
				BundlePath: "/System/Library/LocationBundles/TimeZone.bundle", Authorization: 4, Registered: true,
				Times: map[string]time.Time{"ReceivingLocationInformationTimeStopped": t0}},
			{Key: "icom.apple.weather:", BundleID: "com.apple.weather",
				Times: map[string]time.Time{"BackgroundLocationTimeStopped": t0, "FenceTimeStopped": t1}},
		},
	}
}

func TestRecords(t *testing.T) {
	o := run(t, nil, smallSpec())
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{
			"package": "com.apple.Maps", "BundleId": "com.apple.Maps", "Executable": "/Applications/Maps.app/Maps",
			"Authorization": 2.0, "Whitelisted": false, "SupportedAuthorizationMask": 3.0, "ClientStorageToken": "3q2+7w==",
			"LocationTimeStopped": "2021-07-04 04:42:09.000000", "ConsumptionPeriodBegin": "2021-07-02 03:12:09.000000",
			"client_key": "com.apple.Maps", "source_file": rootFile,
		},
		{
			"package":    "com.apple.locationd.bundle-/System/Library/LocationBundles/TimeZone.bundle",
			"client_key": "com.apple.locationd.bundle-/System/Library/LocationBundles/TimeZone.bundle",
			"BundlePath": "/System/Library/LocationBundles/TimeZone.bundle", "Authorization": 4.0, "Registered": true,
			"ReceivingLocationInformationTimeStopped": "2021-07-04 03:12:09.000000", "source_file": rootFile,
		},
		{
			"package": "icom.apple.weather", "BundleId": "com.apple.weather",
			"BackgroundLocationTimeStopped": "2021-07-04 03:12:09.000000", "FenceTimeStopped": "2021-07-04 04:42:09.000000",
			"client_key": "icom.apple.weather:", "source_file": rootFile,
		},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2021-07-02 03:12:09.000000","LocationdClients","ConsumptionPeriodBegin","ConsumptionPeriodBegin from com.apple.Maps"`,
		`"2021-07-04 03:12:09.000000","LocationdClients","BackgroundLocationTimeStopped","BackgroundLocationTimeStopped from icom.apple.weather"`,
		`"2021-07-04 03:12:09.000000","LocationdClients","ReceivingLocationInformationTimeStopped","ReceivingLocationInformationTimeStopped from com.apple.locationd.bundle-/System/Library/LocationBundles/TimeZone.bundle"`,
		`"2021-07-04 04:42:09.000000","LocationdClients","FenceTimeStopped","FenceTimeStopped from icom.apple.weather"`,
		`"2021-07-04 04:42:09.000000","LocationdClients","LocationTimeStopped","LocationTimeStopped from com.apple.Maps"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}
}

func TestBothFiles(t *testing.T) {
	b := backup(t, &fixture.LocationdSpec{Clients: []fixture.LocationdClient{{Key: "com.apple.Maps", Times: map[string]time.Time{"LocationTimeStopped": t0}}}})
	mobile := backup(t, &fixture.LocationdSpec{Clients: []fixture.LocationdClient{{Key: "com.apple.Maps", Times: map[string]time.Time{"LocationTimeStopped": t1}}}})
	b.AddFile("HomeDomain", fixture.LocationdPath, mobile.Files[0].Content)
	o := runBackup(t, nil, b)
	got := moduletest.Project(o.List(t), "package", "LocationTimeStopped", "source_file")
	want := []map[string]any{
		{"package": "com.apple.Maps", "LocationTimeStopped": "2021-07-04 04:42:09.000000", "source_file": "HomeDomain/Library/Caches/locationd/clients.plist"},
		{"package": "com.apple.Maps", "LocationTimeStopped": "2021-07-04 03:12:09.000000", "source_file": rootFile},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestDates(t *testing.T) {
	spec := fixture.LocationdSpec{Clients: []fixture.LocationdClient{
		{Key: "a.date", Extra: map[string]any{"LocationTimeStopped": t0, "VisitTimeStopped": time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{Key: "b.zero", Extra: map[string]any{"LocationTimeStopped": 0.0, "FenceTimeStopped": int64(646_974_729)}},
		{Key: "c.text", Extra: map[string]any{"LocationTimeStopped": "yesterday", "Executable": int64(7)}},
	}}
	o := run(t, nil, spec)
	if o.Status.State != module.Partial {
		t.Fatalf("status %+v, want partial", o.Status)
	}
	got := moduletest.Project(o.List(t), "package", "LocationTimeStopped", "VisitTimeStopped", "FenceTimeStopped", "Executable")
	want := []map[string]any{
		{"package": "a.date", "LocationTimeStopped": "2021-07-04 03:12:09.000000", "VisitTimeStopped": nil},
		{"package": "b.zero", "LocationTimeStopped": nil, "FenceTimeStopped": "2021-07-03 03:12:09.000000"},
		{"package": "c.text", "LocationTimeStopped": nil, "Executable": 7.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantProblems := []string{rootFile + `: client "c.text": LocationTimeStopped is a string, want a date`}
	if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 2 {
		t.Errorf("timeline %q, want the two plausible dates", o.Timeline)
	}
}

func TestUnreadable(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		state   module.State
		reason  string
	}{
		{"absent", nil, module.Skipped, "not in this acquisition"},
		{"not_a_plist", []byte("garbage, not a plist"), module.Failed, `read "` + rootFile + `"`},
		{"truncated", []byte("bplist00\x01"), module.Failed, "read"},
		{"top_level_array", []byte(`<?xml version="1.0"?><plist version="1.0"><array/></plist>`), module.Failed, "top level is an array, want a dictionary"},
		{"no_clients", []byte(`<?xml version="1.0"?><plist version="1.0"><dict><key>x</key><integer>1</integer></dict></plist>`), module.OK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := backup(t, nil)
			if tc.content != nil {
				b.AddFile(fixture.LocationdDomain, fixture.LocationdPath, tc.content)
			}
			o := runBackup(t, nil, b)
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) || o.Status.Records != 0 {
				t.Errorf("status %s (%q, %d records), want %s with %q", o.Status.State, o.Status.Reason, o.Status.Records, tc.state, tc.reason)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	planted := func(key string) fixture.LocationdSpec {
		spec := fixture.SampleLocationdClients(fixture.Epoch, 10, 4)
		fixture.PlantLocationdClient(&spec, key, t0)
		return spec
	}
	procs := moduletest.Index("processes", "Diagnosticd", "processes", "roleaccountd", "processes", "com.apple.Diagnosticd")
	paths := moduletest.Index("file_paths", "/private/var/db/com.apple.xpc.roleaccountd.staging/")
	names := moduletest.Index("file_names", "ABUSRAT.bundle")
	tests := []struct {
		name string
		ix   *ioc.Index
		spec fixture.LocationdSpec
		want []string
	}{
		{"key_and_bundle_id", procs, planted("Diagnosticd"), []string{"HIGH ioc/process 2021-07-04T03:12:09Z Diagnosticd"}},
		{"bundle_id_differs", procs, func() fixture.LocationdSpec {
			s := fixture.LocationdSpec{}
			fixture.PlantLocationdClient(&s, "com.example.helper", t0)
			s.Clients[0].BundleID = "com.apple.Diagnosticd"
			return s
		}(), []string{"HIGH ioc/process 2021-07-04T03:12:09Z com.apple.Diagnosticd"}},
		{"executable_key", procs, planted("com.apple.locationd.executable-/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd"),
			[]string{"HIGH ioc/process 2021-07-04T03:12:09Z roleaccountd"}},
		{"executable_path", paths, planted("com.apple.locationd.executable-/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd"),
			[]string{"HIGH ioc/file_path 2021-07-04T03:12:09Z /private/var/db/com.apple.xpc.roleaccountd.staging"}},
		{"bundle_name", names, planted("com.apple.locationd.bundle-/System/Library/LocationBundles/ABUSRAT.bundle"),
			[]string{"HIGH ioc/file_name 2021-07-04T03:12:09Z ABUSRAT.bundle"}},
		{"ios17_key", procs, func() fixture.LocationdSpec {
			s := fixture.LocationdSpec{}
			fixture.PlantLocationdClient(&s, "iroleaccountd:", t0)
			s.Clients[0].BundleID = ""
			return s
		}(), []string{"HIGH ioc/process 2021-07-04T03:12:09Z roleaccountd"}},
		{"without_indicators", nil, planted("Diagnosticd"), nil},
		{"similar_name", procs, planted("Diagnosticd2"), nil},
		{"i_prefix_without_colon", procs, func() fixture.LocationdSpec {
			s := fixture.LocationdSpec{}
			fixture.PlantLocationdClient(&s, "iroleaccountd", t0)
			s.Clients[0].BundleID = ""
			return s
		}(), nil},
		{"sample", moduletest.Index("processes", "Diagnosticd", "file_paths", "/private/var/db/"), fixture.SampleLocationdClients(fixture.Epoch, 60, 4), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, tc.spec)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, procs, planted("Diagnosticd"))
		want := `Found a known suspicious process "Diagnosticd" in locationd's list of location clients, entry Diagnosticd, last active 2021-07-04 03:12:09.000000, matching indicator "Diagnosticd" from "Test Spyware" (test.stix2)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts %+v, want one with message %q", o.Alerts, want)
		}
	})
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleLocationdClients(fixture.Epoch, 60, 9)
	if diff := cmp.Diff(spec, fixture.SampleLocationdClients(fixture.Epoch, 60, 9)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, nil, spec)
	if o.Status.State != module.OK || o.Status.Records != 60 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, 60 records, no alert", o.Status, summary(o.Alerts))
	}
}

func TestDependencyFields(t *testing.T) {
	// The triangulation check reads Package and LocationTimeStopped of these records.
	spec := fixture.LocationdSpec{}
	fixture.PlantLocationdClient(&spec, "com.apple.locationd.executable-/usr/libexec/x", t0)
	b := backup(t, &spec)
	recs, _, err := locationdclients.Parse(b.Files[0].Content, rootFile)
	if err != nil || len(recs) != 1 {
		t.Fatalf("parse: %v, %d records", err, len(recs))
	}
	if r := recs[0]; r.Package != "com.apple.locationd.executable-/usr/libexec/x" || !r.LocationTimeStopped.Equal(t0) {
		t.Errorf("record %+v", r)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(backup(f, func() *fixture.LocationdSpec { s := smallSpec(); return &s }()).Files[0].Content)
	f.Add([]byte(`<?xml version="1.0"?><plist version="1.0"><dict><key>icom.x:</key><dict>` +
		`<key>LocationTimeStopped</key><string>x</string><key>Registered</key><true/><key>BundlePath</key><data>AAE=</data></dict></dict></plist>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, err := locationdclients.Parse(data, "x.plist")
		if err != nil {
			return
		}
		for _, r := range recs {
			if _, err := r.MarshalJSON(); err != nil {
				t.Fatalf("record does not encode: %v", err)
			}
			for _, ev := range r.Timeline() {
				if ev.Time.Location() != time.UTC {
					t.Fatalf("time not in UTC: %+v", ev)
				}
			}
		}
	})
}

// TestDecodeMVTRecord checks records the way MVT writes them: the client's keys, the
// dates among TimeKeys as time strings, and package (the key without trailing colons;
// MVT writes no client_key).
func TestDecodeMVTRecord(t *testing.T) {
	record := func(pkg, fields string) string {
		return `{"Authorization": 2, "SupportedAuthorizationMask": 3, "Whitelisted": false,` + fields +
			` "LocationTimeStopped": "2021-07-04 03:12:09.000000", "ConsumptionPeriodBegin": "2021-07-02 03:12:09.000000",
			"package": "` + pkg + `"}`
	}
	procs := moduletest.Index("processes", "Diagnosticd", "processes", "roleaccountd", "processes", "com.apple.Diagnosticd")
	tests := []struct {
		name   string
		record string
		ix     *ioc.Index
		want   []string
	}{
		{"package", record("Diagnosticd", ` "BundleId": "Diagnosticd",`), procs, []string{"HIGH ioc/process 2021-07-04T03:12:09Z Diagnosticd"}},
		{"bundle_id", record("com.example.helper", ` "BundleId": "com.apple.Diagnosticd",`), procs,
			[]string{"HIGH ioc/process 2021-07-04T03:12:09Z com.apple.Diagnosticd"}},
		{"executable_key", record("com.apple.locationd.executable-/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd",
			` "Executable": "/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd",`),
			moduletest.Index("file_paths", "/private/var/db/com.apple.xpc.roleaccountd.staging/"),
			[]string{"HIGH ioc/file_path 2021-07-04T03:12:09Z /private/var/db/com.apple.xpc.roleaccountd.staging"}},
		{"latest_date", strings.Replace(record("Diagnosticd", ""), `"2021-07-02 03:12:09.000000"`, `"2021-07-05 00:00:00.000000"`, 1), procs,
			[]string{"HIGH ioc/process 2021-07-05T00:00:00Z Diagnosticd"}},
		{"clean", record("com.apple.Maps", ` "BundleId": "com.apple.Maps", "Executable": "/Applications/Maps.app/Maps",`), procs, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := locationdclients.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			var got []alert.Alert
			r := check.NewReporter(locationdclients.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tc.ix))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
