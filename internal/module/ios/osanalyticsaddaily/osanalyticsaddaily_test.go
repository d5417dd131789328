package osanalyticsaddaily_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/osanalyticsaddaily"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var (
	t0 = time.Date(2021, 7, 4, 3, 12, 9, 0, time.UTC)
	t1 = t0.Add(26 * time.Hour)
)

func backup(t testing.TB, spec *fixture.OSAnalyticsSpec) *fixture.Backup {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if spec != nil {
		if err := fixture.AddOSAnalytics(b, *spec); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func run(t *testing.T, ix *ioc.Index, spec *fixture.OSAnalyticsSpec) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, moduletest.OpenBackup(t, backup(t, spec)), ix, osanalyticsaddaily.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

func TestRecords(t *testing.T) {
	spec := fixture.OSAnalyticsSpec{
		Entries: []fixture.NetUsageEntry{
			{Process: "nsurlsessiond", Date: t1, WifiIn: 1_500_000_000, WifiOut: 25_000, WwanIn: 0, WwanOut: 7},
			{Process: "com.apple.mobilesafari", Date: t0, WifiIn: 10, WifiOut: 20, WwanIn: 30, WwanOut: 40},
		},
		Other: map[string]any{"lastReportDate": t1},
	}
	o := run(t, nil, &spec)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"package": "com.apple.mobilesafari", "ts": "2021-07-04 03:12:09.000000", "wifi_in": 10.0, "wifi_out": 20.0, "wwan_in": 30.0, "wwan_out": 40.0},
		{"package": "nsurlsessiond", "ts": "2021-07-05 05:12:09.000000", "wifi_in": 1.5e9, "wifi_out": 25000.0, "wwan_in": 0.0, "wwan_out": 7.0},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2021-07-04 03:12:09.000000","OSAnalyticsADDaily","osanalytics_addaily","com.apple.mobilesafari WIFI IN: 10, WIFI OUT: 20 - WWAN IN: 30, WWAN OUT: 40"`,
		`"2021-07-05 05:12:09.000000","OSAnalyticsADDaily","osanalytics_addaily","nsurlsessiond WIFI IN: 1500000000, WIFI OUT: 25000 - WWAN IN: 0, WWAN OUT: 7"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.URLs) != 0 {
		t.Errorf("alerts %v, urls %v: want none", summary(o.Alerts), o.URLs)
	}
}

func TestHostileEntries(t *testing.T) {
	mac := timefmt.ToMacAbsolute(t0)
	spec := fixture.OSAnalyticsSpec{Entries: []fixture.NetUsageEntry{
		{Process: "a_short", Raw: []any{t0, int64(5)}},
		{Process: "b_types", Raw: []any{"yesterday", "many", 1.5, int64(3), true}},
		{Process: "c_not_array", Raw: "oops"},
		{Process: "d_mac_number", Raw: []any{mac, int64(1), int64(2), int64(3), int64(4)}},
		{Process: "e_empty", Raw: []any{}},
		{Process: "f_good", Date: t1, WifiIn: 1, WifiOut: 2, WwanIn: 3, WwanOut: 4},
		{Process: "g_bad_date", Raw: []any{-1e300, int64(1), int64(2), int64(3), int64(4)}},
	}}
	o := run(t, nil, &spec)
	if o.Status.State != module.Partial {
		t.Fatalf("status %+v, want partial", o.Status)
	}
	want := []map[string]any{
		{"package": "a_short", "ts": "2021-07-04 03:12:09.000000", "wifi_in": 5.0, "wifi_out": nil, "wwan_in": nil, "wwan_out": nil},
		{"package": "b_types", "ts": nil, "wifi_in": nil, "wifi_out": nil, "wwan_in": 3.0, "wwan_out": nil},
		{"package": "c_not_array", "ts": nil, "wifi_in": nil, "wifi_out": nil, "wwan_in": nil, "wwan_out": nil},
		{"package": "d_mac_number", "ts": "2021-07-04 03:12:09.000000", "wifi_in": 1.0, "wifi_out": 2.0, "wwan_in": 3.0, "wwan_out": 4.0},
		{"package": "e_empty", "ts": nil, "wifi_in": nil, "wifi_out": nil, "wwan_in": nil, "wwan_out": nil},
		{"package": "f_good", "ts": "2021-07-05 05:12:09.000000", "wifi_in": 1.0, "wifi_out": 2.0, "wwan_in": 3.0, "wwan_out": 4.0},
		{"package": "g_bad_date", "ts": nil, "wifi_in": 1.0, "wifi_out": 2.0, "wwan_in": 3.0, "wwan_out": 4.0},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	file := "HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist"
	wantProblems := []string{
		file + `: netUsageBaseline entry "a_short" has 2 values, want 5`,
		file + `: netUsageBaseline entry "b_types" has a string where the date should be, has a string as wifi_in, has the number 1.5 as wifi_out, has a boolean as wwan_out`,
		file + `: netUsageBaseline entry "c_not_array" is a string, want an array`,
		file + `: netUsageBaseline entry "e_empty" has 0 values, want 5`,
		file + `: netUsageBaseline entry "g_bad_date" has an implausible date`,
	}
	if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 3 {
		t.Errorf("timeline %q, want 3 rows (entries with a date)", o.Timeline)
	}
}

func TestUnreadable(t *testing.T) {
	xml := func(body string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0">` + body + `</plist>`)
	}
	tests := []struct {
		name    string
		content []byte // nil: no file
		state   module.State
		reason  string
		records int
	}{
		{"absent", nil, module.Skipped, "not in this acquisition", 0},
		{"not_a_plist", []byte("this is not a property list"), module.Failed, "read \"HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist\"", 0},
		{"truncated", []byte("bplist00\x00\x01"), module.Failed, "read", 0},
		{"top_level_array", xml(`<array><string>x</string></array>`), module.Failed, "top level is an array, want a dictionary", 0},
		{"baseline_not_dict", xml(`<dict><key>netUsageBaseline</key><integer>3</integer></dict>`), module.Failed, "netUsageBaseline is an integer, want a dictionary", 0},
		{"no_baseline", xml(`<dict><key>other</key><true/></dict>`), module.OK, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := backup(t, nil)
			if tc.content != nil {
				b.AddFile(fixture.OSAnalyticsDomain, fixture.OSAnalyticsPath, tc.content)
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, osanalyticsaddaily.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) || o.Status.Records != tc.records {
				t.Errorf("status %s (%q, %d records), want %s with %q", o.Status.State, o.Status.Reason, o.Status.Records, tc.state, tc.reason)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	ix := moduletest.Index("processes", "roleaccountd")
	planted := fixture.SampleOSAnalytics(fixture.Epoch, 8, 3)
	fixture.PlantNetUsageBaseline(&planted, "roleaccountd", t0)
	similar := fixture.SampleOSAnalytics(fixture.Epoch, 8, 3)
	fixture.PlantNetUsageBaseline(&similar, "roleaccountd2", t0)
	tests := []struct {
		name string
		ix   *ioc.Index
		spec fixture.OSAnalyticsSpec
		want []string
	}{
		{"planted", ix, planted, []string{"CRITICAL ioc/process 2021-07-04T03:12:09Z"}},
		{"planted_without_indicators", nil, planted, nil},
		{"similar_name", ix, similar, nil},
		{"sample", ix, fixture.SampleOSAnalytics(fixture.Epoch, 30, 3), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, &tc.spec)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, osanalyticsaddaily.New())
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, ix, &planted)
		want := `Found a known suspicious process "roleaccountd" in the network usage baseline of iOS analytics dated 2021-07-04 03:12:09.000000, matching indicator "roleaccountd" from "Test Spyware" (test.stix2)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts %+v, want one with message %q", o.Alerts, want)
		}
	})
}

// TestDecodeMVTRecord reads a record the way MVT writes it and checks it again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("processes", "roleaccountd")
	tests := []struct {
		name   string
		record string
		want   []string
	}{
		{"process", `{"package": "roleaccountd", "ts": "2021-07-04 03:12:09.000000", "wifi_in": 1234, "wifi_out": 0, "wwan_in": 5, "wwan_out": 6}`,
			[]string{"CRITICAL ioc/process 2021-07-04T03:12:09Z"}},
		{"other_process", `{"package": "nsurlsessiond", "ts": "2021-07-04 03:12:09.000000", "wifi_in": 1, "wifi_out": 2, "wwan_in": 3, "wwan_out": 4}`, nil},
		{"no_date", `{"package": "roleaccountd", "ts": null, "wifi_in": null, "wifi_out": null, "wwan_in": null, "wwan_out": null}`,
			[]string{"CRITICAL ioc/process 0001-01-01T00:00:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := osanalyticsaddaily.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) { got = append(got, a) })
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleOSAnalytics(fixture.Epoch, 80, 9)
	if diff := cmp.Diff(spec, fixture.SampleOSAnalytics(fixture.Epoch, 80, 9)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, nil, &spec)
	if o.Status.State != module.OK || o.Status.Records != 80 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, 80 records, no alert", o.Status, summary(o.Alerts))
	}
}

func FuzzParse(f *testing.F) {
	b := backup(f, &fixture.OSAnalyticsSpec{Entries: []fixture.NetUsageEntry{
		{Process: "bh", Date: fixture.Epoch, WifiIn: 1, WifiOut: 2, WwanIn: 3, WwanOut: 4},
		{Process: "x", Raw: []any{1.5, "y"}},
	}})
	f.Add(b.Files[0].Content)
	f.Add([]byte(`<?xml version="1.0"?><plist version="1.0"><dict><key>netUsageBaseline</key><dict>` +
		`<key>p</key><array><date>2021-07-04T03:12:09Z</date><integer>1</integer><real>2</real></array></dict></dict></plist>`))
	if data, err := plist.Marshal(map[string]any{"netUsageBaseline": map[string]any{"q": []any{}}}, plist.BinaryFormat); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, problems, err := osanalyticsaddaily.Parse(data)
		if err != nil {
			if len(recs) != 0 {
				t.Fatalf("records with an error")
			}
			return
		}
		for _, r := range recs {
			if !r.Date.IsZero() && r.Date.Location() != time.UTC {
				t.Fatalf("time not in UTC: %+v", r)
			}
			_ = r.Timeline()
		}
		if len(problems) > len(recs) {
			t.Fatalf("%d problems for %d records", len(problems), len(recs))
		}
	})
}
