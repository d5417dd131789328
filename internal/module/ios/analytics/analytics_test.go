package analytics_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/analytics"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2023, 6, 1, 8, 30, 0, 0, time.UTC)

func files(t *testing.T, spec fixture.AnalyticsSpec) fstest.MapFS {
	t.Helper()
	f, err := fixture.AnalyticsFiles(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func runFS(t *testing.T, f fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return reloaded(t, moduletest.Run(t, memfs.New(acquire.IOSFilesystem, f), ix, analytics.New()), ix)
}

// reloaded checks that the records of o read back to the same JSON and raise the
// same alerts with the indicators ix, as check-iocs would, and returns o.
func reloaded(t *testing.T, o *moduletest.Outcome, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	moduletest.ReloadExact(t, o, ix, analytics.New())
	return o
}

func run(t *testing.T, spec fixture.AnalyticsSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return runFS(t, files(t, spec), ix)
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339), a.Indicator.MatchedOn))
	}
	return out
}

func event(table string, at time.Time, attrs map[string]any) fixture.AnalyticsEvent {
	return fixture.AnalyticsEvent{Table: table, At: at, Attrs: attrs}
}

// small has one database of each layout.
func small(t *testing.T) fixture.AnalyticsSpec {
	return fixture.AnalyticsSpec{DBs: []fixture.AnalyticsDB{
		{Name: "trust_analytics.db", Events: []fixture.AnalyticsEvent{
			event("soft_failures", t0.Add(time.Hour), map[string]any{"eventType": "TrustdOCSPResponseCheck", "build": "20F66", "errorCode": int64(-9806)}),
			event("hard_failures", t0, map[string]any{"eventType": "TrustdCTLogListUpdate", "build": "20F66", "nested": map[string]any{"list": []any{"a", int64(1)}}}),
			event("notes", t0.Add(2*time.Hour+500*time.Millisecond), map[string]any{"eventType": "Note", "blob": []byte{1, 2}}),
		}},
		{Name: "ckks_analytics.db", Schema: fixture.AnalyticsLegacy, Events: []fixture.AnalyticsEvent{
			event("all_events", t0.Add(-time.Hour), map[string]any{"eventType": "CKKSEventFetchAllChanges", "build": "20E252"}),
			event("soft_failures", time.Time{}, map[string]any{"eventType": "NoTime"}),
		}},
	}}
}

func TestInfo(t *testing.T) {
	info := analytics.New().Info()
	if info.Name != "analytics" || info.Class != "Analytics" || info.Kinds[0] != acquire.IOSFilesystem || info.Paths[0] != "private/var/Keychains/Analytics/*.db" {
		t.Errorf("info %+v", info)
	}
}

func TestRecords(t *testing.T) {
	o := run(t, small(t), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
	}
	want := []map[string]any{
		{"eventType": "CKKSEventFetchAllChanges", "build": "20E252", "isodate": "2023-06-01 07:30:00.000000", "artifact": "ckks_analytics.db", "table": "all_events"},
		{"eventType": "NoTime", "isodate": nil, "artifact": "ckks_analytics.db", "table": "soft_failures"},
		{"eventType": "TrustdCTLogListUpdate", "build": "20F66", "nested": map[string]any{"list": []any{"a", 1.0}},
			"isodate": "2023-06-01 08:30:00.000000", "artifact": "trust_analytics.db", "table": "hard_failures"},
		{"eventType": "TrustdOCSPResponseCheck", "build": "20F66", "errorCode": -9806.0, "isodate": "2023-06-01 09:30:00.000000", "artifact": "trust_analytics.db", "table": "soft_failures"},
		{"eventType": "Note", "blob": "AQI=", "isodate": "2023-06-01 10:30:00.500000", "artifact": "trust_analytics.db", "table": "notes"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2023-06-01 07:30:00.000000","Analytics","ckks_analytics.db","all_events CKKSEventFetchAllChanges, build 20E252"`,
		`"2023-06-01 08:30:00.000000","Analytics","trust_analytics.db","hard_failures TrustdCTLogListUpdate, build 20F66"`,
		`"2023-06-01 09:30:00.000000","Analytics","trust_analytics.db","soft_failures TrustdOCSPResponseCheck, errorCode -9806, build 20F66"`,
		`"2023-06-01 10:30:00.500000","Analytics","trust_analytics.db","notes Note"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestWALOnlyRows(t *testing.T) {
	spec := fixture.AnalyticsSpec{DBs: []fixture.AnalyticsDB{{Name: "sos_analytics.db", Events: []fixture.AnalyticsEvent{
		event("soft_failures", t0, map[string]any{"eventType": "A"}),
		{Table: "hard_failures", At: t0.Add(time.Minute), Attrs: map[string]any{"eventType": "B"}, WAL: true},
	}}}}
	f := files(t, spec)
	if f["private/var/Keychains/Analytics/sos_analytics.db-wal"] == nil {
		t.Fatal("no -wal file")
	}
	o := runFS(t, f, nil)
	got := moduletest.Project(o.List(t), "eventType", "table")
	want := []map[string]any{{"eventType": "A", "table": "soft_failures"}, {"eventType": "B", "table": "hard_failures"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestBadEvents(t *testing.T) {
	arr, err := plist.Marshal([]any{"x"}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	spec := fixture.AnalyticsSpec{DBs: []fixture.AnalyticsDB{{Name: "x.db", Events: []fixture.AnalyticsEvent{
		{Table: "soft_failures", At: t0, Raw: []byte("bplist00garbage")},
		{Table: "soft_failures", At: t0.Add(time.Second), Raw: arr},
		{Table: "soft_failures", At: t0.Add(2 * time.Second)},
		event("soft_failures", t0.Add(3*time.Second), map[string]any{"eventType": "ok"}),
	}}}}
	o := run(t, spec, nil)
	if o.Status.State != module.Partial || o.Status.Records != 4 || len(o.Status.Problems) != 2 {
		t.Fatalf("status %+v, want partial with 4 records and 2 problems", o.Status)
	}
	if !strings.Contains(o.Status.Problems[1], "not a dictionary") {
		t.Errorf("problem %q", o.Status.Problems[1])
	}
	got := moduletest.Project(o.List(t), "eventType", "isodate")
	want := []map[string]any{
		{"isodate": "2023-06-01 08:30:00.000000"}, {"isodate": "2023-06-01 08:30:01.000000"},
		{"isodate": "2023-06-01 08:30:02.000000"}, {"eventType": "ok", "isodate": "2023-06-01 08:30:03.000000"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestUnreadable(t *testing.T) {
	valid, _, err := fixture.AnalyticsDBFiles(fixture.SampleAnalytics(fixture.Epoch, 600, 1).DBs[0])
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE samples (id INTEGER PRIMARY KEY, timestamp REAL, name STRING, value REAL);"})
	if err != nil {
		t.Fatal(err)
	}
	const name = "private/var/Keychains/Analytics/trust_analytics.db"
	tests := []struct {
		name   string
		data   []byte
		state  module.State
		reason string
	}{
		{"absent", nil, module.Skipped, "not in this acquisition"},
		{"not_sqlite", []byte("this is not a database at all, really"), module.Failed, "not a SQLite database"},
		{"truncated", valid[:len(valid)/3], module.Failed, "malformed"},
		{"missing_tables", other, module.Failed, "not an SFAnalytics database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fstest.MapFS{"private/var/Keychains/keychain-2.db-x": &fstest.MapFile{Data: []byte("x")}}
			if tc.data != nil {
				f[name] = &fstest.MapFile{Data: tc.data}
			}
			o := runFS(t, f, nil)
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
	t.Run("one_of_two_corrupt", func(t *testing.T) {
		f := files(t, small(t))
		f[name] = &fstest.MapFile{Data: []byte("garbage garbage garbage garbage")}
		o := runFS(t, f, nil)
		if o.Status.State != module.Partial || o.Status.Records != 2 {
			t.Errorf("status %+v, want partial with the 2 records of ckks_analytics.db", o.Status)
		}
	})
}

func TestIndicators(t *testing.T) {
	withProcess := fixture.AnalyticsSpec{}
	fixture.PlantAnalyticsProcess(&withProcess, "bh", t0)
	withDomain := fixture.AnalyticsSpec{}
	fixture.PlantAnalyticsDomain(&withDomain, "c2.evil.example", t0)
	nested := fixture.AnalyticsSpec{DBs: []fixture.AnalyticsDB{{Name: "a.db", Events: []fixture.AnalyticsEvent{
		event("soft_failures", t0, map[string]any{"errorChain": []any{map[string]any{"url": "visit https://evil.example/x now"}}}),
	}}}}
	urlWithProcessName := fixture.AnalyticsSpec{DBs: []fixture.AnalyticsDB{{Name: "a.db", Events: []fixture.AnalyticsEvent{
		event("soft_failures", t0, map[string]any{"u": "https://news.example/bh"}),
	}}}}
	tests := []struct {
		name string
		spec fixture.AnalyticsSpec
		ix   *ioc.Index
		want []string
	}{
		{"process", withProcess, moduletest.Index("processes", "bh"), []string{"CRITICAL ioc/process 2023-06-01T08:30:00Z bh"}},
		{"domain", withDomain, moduletest.Index("domains", "evil.example"), []string{"CRITICAL ioc/domain 2023-06-01T08:30:00Z evil.example"}},
		{"url_in_nested_text", nested, moduletest.Index("domains", "evil.example"), []string{"CRITICAL ioc/domain 2023-06-01T08:30:00Z evil.example"}},
		{"fp_similar_process", withProcess, moduletest.Index("processes", "bhd"), nil},
		{"fp_similar_domain", withDomain, moduletest.Index("domains", "vil.example"), nil},
		{"fp_url_path_is_not_a_process", urlWithProcessName, moduletest.Index("processes", "bh"), nil},
		{"fp_sample", fixture.SampleAnalytics(fixture.Epoch, 200, 2), moduletest.Index("processes", "bh", "domains", "evil.example"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.spec, tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, withProcess, moduletest.Index("processes", "bh"))
		want := `Found a known suspicious process "bh" in a soft_failures event "NetworkingTLSHandshake" of networking_analytics.db logged on 2023-06-01 08:30:00.000000, matching indicator "bh" from "Test Spyware" (test.stix2)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts %v, want one with message %q", summary(o.Alerts), want)
		}
	})
}

func TestURLs(t *testing.T) {
	spec := fixture.AnalyticsSpec{DBs: []fixture.AnalyticsDB{{Name: "a.db", Events: []fixture.AnalyticsEvent{
		event("soft_failures", t0, map[string]any{"u": "failed https://news.example/a and http://b.example/", "host": "c.example"}),
	}}}}
	o := run(t, spec, nil)
	var got []string
	for _, u := range o.URLs {
		got = append(got, fmt.Sprint(u["url"]))
	}
	if diff := cmp.Diff([]string{"https://news.example/a", "http://b.example/"}, got); diff != "" {
		t.Errorf("urls (-want +got):\n%s\n%v", diff, o.URLs)
	}
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleAnalytics(fixture.Epoch, 300, 7)
	if diff := cmp.Diff(spec, fixture.SampleAnalytics(fixture.Epoch, 300, 7)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, spec, nil)
	if o.Status.State != module.OK || o.Status.Records != 300 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, 300 records, no alert", o.Status, summary(o.Alerts))
	}
}

func TestStringsBounded(t *testing.T) {
	data := map[string]any{}
	for i := range analytics.MaxStrings + 50 {
		data[fmt.Sprintf("k%05d", i)] = fmt.Sprintf("v%d", i)
	}
	var deep any = "deepest"
	for range 100 {
		deep = []any{deep}
	}
	data["deep"] = deep
	r := &analytics.Record{Data: data}
	got := r.Strings()
	if len(got) != analytics.MaxStrings || got[0] != "v0" {
		t.Errorf("%d strings starting %q, want %d starting v0", len(got), got[0], analytics.MaxStrings)
	}
	for _, s := range got {
		if s == "deepest" {
			t.Error("walked deeper than the bound")
		}
	}
}

// TestDecodeMVTRecord checks records the way MVT writes them: the event's keys, isodate
// and artifact (MVT writes no table).
func TestDecodeMVTRecord(t *testing.T) {
	tests := []struct {
		name   string
		record string
		ix     *ioc.Index
		want   []string
		msg    string
	}{
		{"process", `{"eventType": "NetworkingTLSHandshake", "errorCode": -9806, "build": "20F66", "process": "bh",
			"isodate": "2023-06-01 08:30:00.000000", "artifact": "networking_analytics.db"}`, moduletest.Index("processes", "bh"),
			[]string{"CRITICAL ioc/process 2023-06-01T08:30:00Z bh"},
			`Found a known suspicious process "bh" in an event "NetworkingTLSHandshake" of networking_analytics.db logged on 2023-06-01 08:30:00.000000, matching indicator "bh" from "Test Spyware" (test.stix2)`},
		{"domain_in_nested_text", `{"eventType": "x", "errorChain": [{"url": "visit https://evil.example/x now", "code": 3}],
			"isodate": "2023-06-01 08:30:00.000000", "artifact": "a.db"}`, moduletest.Index("domains", "evil.example"),
			[]string{"CRITICAL ioc/domain 2023-06-01T08:30:00Z evil.example"}, ""},
		{"host", `{"eventType": "x", "host": "c2.evil.example", "isodate": "2023-06-01 08:30:00.000000", "artifact": "a.db"}`,
			moduletest.Index("domains", "evil.example"), []string{"CRITICAL ioc/domain 2023-06-01T08:30:00Z evil.example"}, ""},
		{"clean", `{"eventType": "x", "host": "apple.com", "isodate": "2023-06-01 08:30:00.000000", "artifact": "a.db"}`,
			moduletest.Index("domains", "evil.example", "processes", "bh"), nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := analytics.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			var got []alert.Alert
			r := check.NewReporter(analytics.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tc.ix))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			if tc.msg != "" && (len(got) != 1 || got[0].Message != tc.msg) {
				t.Errorf("alerts %v, want one with message %q", summary(got), tc.msg)
			}
		})
	}
}
