package datausage_test

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
	"github.com/spytrace/spytrace/internal/module/ios/datausage"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2021, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(90 * time.Minute)
)

// run builds a backup holding spec and runs the module on it.
func run(t *testing.T, spec fixture.DataUsageSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddDataUsage(b, spec); err != nil {
		t.Fatal(err)
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, datausage.New())
}

// summary writes each alert as "LEVEL check event-time".
func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

func procNames(o *moduletest.Outcome, t *testing.T) []string {
	var out []string
	for _, r := range o.List(t) {
		out = append(out, fmt.Sprint(r["proc_name"]))
	}
	return out
}

// twoProcesses has a daemon with one usage row and an app process without usage.
func twoProcesses(schema string) fixture.DataUsageSpec {
	return fixture.DataUsageSpec{
		Schema: schema,
		Processes: []fixture.DataUsageProcess{
			{ID: 1, Name: "nsurlsessiond", First: t0, Last: t0.Add(time.Hour)},
			{ID: 2, Name: "com.apple.WebKit.Networking/com.apple.mobilesafari", Bundle: "com.apple.mobilesafari", First: t1, Last: t1.Add(2 * time.Second)},
		},
		Live: []fixture.DataUsageLive{
			{ID: 7, Process: 1, At: t0.Add(30 * time.Minute), WiFiIn: 1024, WiFiOut: 256, WWANIn: 4096, WWANOut: 512},
		},
	}
}

func TestSchemaVariants(t *testing.T) {
	daemon := map[string]any{
		"first_isodate": "2021-07-01 10:00:00.000000", "isodate": "2021-07-01 11:00:00.000000",
		"proc_name": "nsurlsessiond", "bundle_id": "", "proc_id": 1.0,
		"wifi_in": 1024.0, "wifi_out": 256.0, "wwan_in": 4096.0, "wwan_out": 512.0,
		"live_id": 7.0, "live_proc_id": 1.0, "live_isodate": "2021-07-01 10:30:00.000000",
		"process": "nsurlsessiond",
	}
	app := map[string]any{
		"first_isodate": "2021-07-01 11:30:00.000000", "isodate": "2021-07-01 11:30:02.000000",
		"proc_name": "com.apple.WebKit.Networking/com.apple.mobilesafari", "bundle_id": "com.apple.mobilesafari",
		"proc_id": 2.0, "wifi_in": nil, "wifi_out": nil, "wwan_in": nil, "wwan_out": nil,
		"live_id": nil, "live_proc_id": nil, "live_isodate": nil,
		"process": "com.apple.WebKit.Networking", "process_bundle_id": "com.apple.mobilesafari",
	}
	withoutWiFi := map[string]any{}
	for k, v := range daemon {
		withoutWiFi[k] = v
	}
	withoutWiFi["wifi_in"], withoutWiFi["wifi_out"] = nil, nil
	appEvents := []string{
		`"2021-07-01 11:30:00.000000","Datausage","first_usage","com.apple.WebKit.Networking/com.apple.mobilesafari (bundle com.apple.mobilesafari, process id 2)"`,
		`"2021-07-01 11:30:02.000000","Datausage","current_usage","com.apple.WebKit.Networking/com.apple.mobilesafari (bundle com.apple.mobilesafari, process id 2)"`,
	}
	tests := []struct {
		name     string
		schema   string
		records  []map[string]any
		timeline []string
	}{
		{
			name:    "ios14",
			schema:  fixture.DataUsageIOS14,
			records: []map[string]any{daemon, app},
			timeline: append([]string{
				`"2021-07-01 10:00:00.000000","Datausage","first_usage","nsurlsessiond (process id 1)"`,
				`"2021-07-01 10:30:00.000000","Datausage","live_usage","nsurlsessiond (process id 1) WIFI IN 1024 OUT 256 WWAN IN 4096 OUT 512"`,
				`"2021-07-01 11:00:00.000000","Datausage","current_usage","nsurlsessiond (process id 1)"`,
			}, appEvents...),
		},
		{
			name:    "wwan_only",
			schema:  fixture.DataUsageWWANOnly,
			records: []map[string]any{withoutWiFi, app},
			timeline: append([]string{
				`"2021-07-01 10:00:00.000000","Datausage","first_usage","nsurlsessiond (process id 1)"`,
				`"2021-07-01 10:30:00.000000","Datausage","live_usage","nsurlsessiond (process id 1) WWAN IN 4096 OUT 512"`,
				`"2021-07-01 11:00:00.000000","Datausage","current_usage","nsurlsessiond (process id 1)"`,
			}, appEvents...),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, twoProcesses(tc.schema), nil)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
			}
			if diff := cmp.Diff(tc.records, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.timeline, o.Timeline); diff != "" {
				t.Errorf("timeline (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 || len(o.URLs) != 0 {
				t.Errorf("alerts %v, urls %v: want none", summary(o.Alerts), o.URLs)
			}
		})
	}
}

func TestWALOnlyRows(t *testing.T) {
	spec := twoProcesses("")
	spec.Processes = append(spec.Processes, fixture.DataUsageProcess{ID: 3, Name: "bh", First: t1.Add(time.Minute), WAL: true})
	spec.Live = append(spec.Live, fixture.DataUsageLive{Process: 3, At: t1.Add(2 * time.Minute), WWANIn: 10, WAL: true})
	o := run(t, spec, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
	}
	want := []string{"nsurlsessiond", "com.apple.WebKit.Networking/com.apple.mobilesafari", "bh"}
	if diff := cmp.Diff(want, procNames(o, t)); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
}

func TestEmptyDatabase(t *testing.T) {
	o := run(t, fixture.DataUsageSpec{}, nil)
	if o.Status.State != module.OK || o.Status.Records != 0 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok with no record and no alert", o.Status, summary(o.Alerts))
	}
}

func TestUnreadable(t *testing.T) {
	valid := func(t *testing.T) []byte {
		b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
		if err := fixture.AddDataUsage(b, fixture.SampleDataUsage(fixture.Epoch, 400, 1)); err != nil {
			t.Fatal(err)
		}
		return b.Lookup(fixture.DataUsageDomain, fixture.DataUsagePath).Content
	}
	otherDB, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE ZOTHER (Z_PK INTEGER PRIMARY KEY);"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte // nil: no file
		state  module.State
		reason string
	}{
		{"absent", nil, module.Skipped, "not in this acquisition"},
		{"not_sqlite", func(*testing.T) []byte { return []byte("bplist00 this is not a database") }, module.Failed, "not a SQLite database"},
		{"truncated", func(t *testing.T) []byte { d := valid(t); return d[:len(d)/3] }, module.Failed, "malformed"},
		{"other_database", func(*testing.T) []byte { return otherDB }, module.Failed, "no ZPROCESS table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				b.AddFile(fixture.DataUsageDomain, fixture.DataUsagePath, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, datausage.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	process := func(name, bundle string, live int) fixture.DataUsageSpec {
		spec := fixture.DataUsageSpec{Processes: []fixture.DataUsageProcess{
			{Name: "apsd", First: t0.Add(-time.Hour)},
			{Name: name, Bundle: bundle, First: t0, Last: t1},
		}}
		for i := range live {
			spec.Live = append(spec.Live, fixture.DataUsageLive{Process: 2, At: t0.Add(time.Duration(i+1) * time.Minute), WWANIn: 100})
		}
		return spec
	}
	tests := []struct {
		name string
		spec fixture.DataUsageSpec
		ix   *ioc.Index
		want []string
	}{
		{"process_name", process("bh", "", 1), moduletest.Index("processes", "bh"),
			[]string{"CRITICAL ioc/process 2021-07-01T10:00:00Z"}},
		{"process_part_of_combined_name", process("launchafd/com.apple.launchafd", "com.apple.launchafd", 0), moduletest.Index("processes", "launchafd"),
			[]string{"CRITICAL ioc/process 2021-07-01T10:00:00Z"}},
		{"bundle_as_process", process("Helper", "com.example.helper", 0), moduletest.Index("processes", "com.example.helper"),
			[]string{"CRITICAL ioc/process 2021-07-01T10:00:00Z"}},
		{"bundle_as_app_id", process("Helper", "com.example.helper", 0), moduletest.Index("app_ids", "com.example.helper"),
			[]string{"CRITICAL ioc/app_id 2021-07-01T10:00:00Z"}},
		{"once_per_process", process("bh", "", 3), moduletest.Index("processes", "bh"),
			[]string{"CRITICAL ioc/process 2021-07-01T10:00:00Z"}},
		{"similar_names_do_not_match", process("bhd", "com.example.bh", 2), moduletest.Index("processes", "bh", "app_ids", "com.example"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.spec, tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, datausage.New())
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, process("bh", "", 1), moduletest.Index("processes", "bh"))
		want := `Found a known suspicious process "bh" in the network usage of process "bh", first seen on 2021-07-01 10:00:00.000000, matching indicator "bh" from "Test Spyware" (test.stix2)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts %+v, want one with message %q", o.Alerts, want)
		}
	})
}

func TestDeletedProcess(t *testing.T) {
	base := func() fixture.DataUsageSpec {
		return fixture.DataUsageSpec{
			Processes: []fixture.DataUsageProcess{{Name: "apsd", First: t0.Add(-time.Hour)}},
			Live:      []fixture.DataUsageLive{{Process: 1, At: t0, WWANIn: 1}},
		}
	}
	oneDeleted := base()
	id := fixture.PlantDeletedProcess(&oneDeleted, "bh", t0)
	fixture.PlantProcess(&oneDeleted, "nsurlsessiond", "", t1)
	twoDeleted := base()
	fixture.PlantDeletedProcess(&twoDeleted, "bh", t0)
	fixture.PlantDeletedProcess(&twoDeleted, "msgacntd", t1)
	noProcessRef := base()
	noProcessRef.Live = append(noProcessRef.Live, fixture.DataUsageLive{Process: 0, At: t1, WWANIn: 5})
	tests := []struct {
		name string
		spec fixture.DataUsageSpec
		want []string
	}{
		{"one_deleted_process", oneDeleted, []string{"HIGH datausage/deleted-process 2021-07-01T10:00:03Z"}},
		{"two_deleted_processes", twoDeleted, []string{"HIGH datausage/deleted-process 2021-07-01T10:00:03Z", "HIGH datausage/deleted-process 2021-07-01T11:30:03Z"}},
		{"usage_without_process_reference", noProcessRef, nil},
		{"intact_database", base(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.spec, nil)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, nil, datausage.New())
		})
	}
	t.Run("usage_row_without_process", func(t *testing.T) {
		o := run(t, noProcessRef, nil)
		want := `"2021-07-01 11:30:00.000000","Datausage","live_usage","(unnamed) WIFI IN 0 OUT 0 WWAN IN 5 OUT 0"`
		if got := o.Timeline[len(o.Timeline)-1]; got != want {
			t.Errorf("last timeline row %s, want %s", got, want)
		}
	})
	t.Run("alert_lists_usage_rows", func(t *testing.T) {
		o := run(t, oneDeleted, nil)
		if diff := cmp.Diff([]string{"apsd", datausage.ManipulatedName, datausage.ManipulatedName, "nsurlsessiond"}, procNames(o, t)); diff != "" {
			t.Errorf("processes (-want +got):\n%s", diff)
		}
		a := o.AlertsOf(datausage.DeletedProcess.ID)
		if len(a) != 1 {
			t.Fatalf("got %d deleted-process alerts, want 1", len(a))
		}
		ev, ok := a[0].Event.(*datausage.DeletedProcessEvent)
		if !ok || ev.LiveProcID != id || ev.LiveRowsAll != 2 || len(ev.LiveRows) != 2 {
			t.Errorf("alert event %#v, want the 2 usage rows of process %d", a[0].Event, id)
		}
		want := "Found network usage of process id 2, whose process record was deleted from DataUsage.sqlite (2 usage row(s) from 2021-07-01 10:00:03.000000 to 2021-07-01 10:10:00.000000)"
		if a[0].Message != want {
			t.Errorf("message %q, want %q", a[0].Message, want)
		}
	})
}

func TestMissingProcess(t *testing.T) {
	procs := func(ids ...int64) fixture.DataUsageSpec {
		var spec fixture.DataUsageSpec
		for i, id := range ids {
			spec.Processes = append(spec.Processes, fixture.DataUsageProcess{ID: id, Name: fmt.Sprintf("proc%d", id), First: t0.Add(time.Duration(i) * time.Hour)})
		}
		return spec
	}
	innerGap := procs(1, 2, 5)
	trailing := procs(1, 2)
	trailing.MaxProcessID = 4
	huge := procs(1, 2)
	huge.MaxProcessID = 1 << 40
	deletedInGap := procs(1)
	fixture.PlantDeletedProcess(&deletedInGap, "bh", t1)
	deletedInGap.Processes = append(deletedInGap.Processes, fixture.DataUsageProcess{ID: 3, Name: "proc3", First: t1.Add(time.Hour)})
	planted := procs(1, 2)
	fixture.PlantProcessGap(&planted, t1, 3)
	fixture.PlantProcess(&planted, "apsd", "", t1.Add(time.Hour))
	tests := []struct {
		name      string
		spec      fixture.DataUsageSpec
		want      []string
		synthetic int
		message   string
	}{
		{"inner_gap", innerGap, []string{"LOW datausage/missing-process 2021-07-01T11:00:00Z"}, 2,
			`Process ids 3 to 4 (2) are missing from DataUsage.sqlite, after "proc2" (id 2, first seen on 2021-07-01 11:00:00.000000) and before "proc5" (id 5, first seen on 2021-07-01 12:00:00.000000)`},
		{"planted_gap", planted, []string{"LOW datausage/missing-process 2021-07-01T11:00:00Z"}, 3, ""},
		{"ids_deleted_after_the_last", trailing, []string{"LOW datausage/missing-process 2021-07-01T11:00:00Z"}, 2,
			`Process ids 3 to 4 (2) are missing from DataUsage.sqlite, after "proc2" (id 2, first seen on 2021-07-01 11:00:00.000000), the last process kept (Z_PRIMARYKEY shows these ids were handed out)`},
		{"hostile_z_max", huge, []string{"LOW datausage/missing-process 2021-07-01T11:00:00Z"}, 100, ""},
		{"deleted_process_is_not_a_gap", deletedInGap, []string{"HIGH datausage/deleted-process 2021-07-01T11:30:03Z"}, 0, ""},
		{"contiguous_ids", procs(1, 2, 3), nil, 0, ""},
		{"old_processes_pruned_before_the_first", procs(50, 51), nil, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.spec, nil)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, nil, datausage.New())
			synthetic := 0
			for _, r := range o.List(t) {
				if r["synthetic"] == true {
					synthetic++
					if !strings.HasPrefix(fmt.Sprint(r["proc_name"]), "MISSING [follows ") {
						t.Errorf("synthetic record named %q", r["proc_name"])
					}
				}
			}
			if synthetic != tc.synthetic {
				t.Errorf("%d synthetic records, want %d", synthetic, tc.synthetic)
			}
			if tc.message != "" && (len(o.Alerts) == 0 || o.Alerts[0].Message != tc.message) {
				t.Errorf("alerts %v, want message %q", o.Alerts, tc.message)
			}
		})
	}
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleDataUsage(fixture.Epoch, 300, 7)
	if diff := cmp.Diff(spec, fixture.SampleDataUsage(fixture.Epoch, 300, 7)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	withUsage := map[int64]bool{}
	for _, l := range spec.Live {
		withUsage[l.Process] = true
	}
	o := run(t, spec, nil)
	want := len(spec.Live) + len(spec.Processes) - len(withUsage)
	if o.Status.State != module.OK || o.Status.Records != want || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, %d records, no alert", o.Status, summary(o.Alerts), want)
	}
}

// TestDecodeMVTRecord checks the checks on datausage.json as MVT writes it: MVT's twelve
// keys, sorted by first_isodate, 0 for a missing timestamp, usage rows of a deleted
// process renamed "MANIPULATED [process record deleted]" and a placeholder record
// "MISSING [follows <name>]" for each missing process id.
func TestDecodeMVTRecord(t *testing.T) {
	records := []string{
		`{"first_isodate": 0, "isodate": 0, "proc_name": "apsd", "bundle_id": null, "proc_id": 1, "wifi_in": null,
			"wifi_out": null, "wwan_in": null, "wwan_out": null, "live_id": null, "live_proc_id": null, "live_isodate": 0}`,
		`{"first_isodate": "2021-07-01 10:00:00.000000", "isodate": "2021-07-01 11:30:00.000000", "proc_name": "launchafd/com.apple.launchafd",
			"bundle_id": "com.apple.launchafd", "proc_id": 2, "wifi_in": 10, "wifi_out": 20, "wwan_in": 30, "wwan_out": 40,
			"live_id": 5, "live_proc_id": 2, "live_isodate": "2021-07-01 10:05:00.000000"}`,
		`{"first_isodate": "2021-07-01 10:00:00.000000", "isodate": null, "proc_name": "MISSING [follows launchafd/com.apple.launchafd]",
			"bundle_id": null, "proc_id": 3, "wifi_in": null, "wifi_out": null, "wwan_in": null, "wwan_out": null,
			"live_id": null, "live_proc_id": 3, "live_isodate": "2021-07-01 10:00:00.000000"}`,
		`{"first_isodate": "2021-07-01 10:20:00.000000", "isodate": "2021-07-01 10:20:00.000000", "proc_name": "MANIPULATED [process record deleted]",
			"bundle_id": null, "proc_id": null, "wifi_in": null, "wifi_out": null, "wwan_in": 100, "wwan_out": 0,
			"live_id": 8, "live_proc_id": 9, "live_isodate": "2021-07-01 10:20:00.000000"}`,
		`{"first_isodate": "2021-07-01 10:25:00.000000", "isodate": "2021-07-01 10:25:00.000000", "proc_name": "MANIPULATED [process record deleted]",
			"bundle_id": null, "proc_id": null, "wifi_in": null, "wifi_out": null, "wwan_in": 200, "wwan_out": 0,
			"live_id": 9, "live_proc_id": 9, "live_isodate": "2021-07-01 10:25:00.000000"}`,
	}
	m := datausage.New()
	var got []alert.Alert
	r := check.NewReporter(datausage.Name, func(a alert.Alert) { got = append(got, a) })
	c := m.NewChecker(check.NewEnv(moduletest.Index("processes", "launchafd")))
	for i, data := range records {
		rec, err := m.DecodeRecord([]byte(data))
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		c.Check(rec, r)
	}
	c.Finish(r)
	want := []string{
		"CRITICAL ioc/process 2021-07-01T10:00:00Z",
		"LOW datausage/missing-process 2021-07-01T10:00:00Z",
		"HIGH datausage/deleted-process 2021-07-01T10:20:00Z",
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Fatalf("alerts (-want +got):\n%s", diff)
	}
	for i, msg := range []string{
		`Found a known suspicious process "launchafd" in the network usage of process "launchafd/com.apple.launchafd", first seen on 2021-07-01 10:00:00.000000`,
		`Process id 3 is missing from DataUsage.sqlite, after "launchafd/com.apple.launchafd" (first seen on 2021-07-01 10:00:00.000000)`,
		`Found network usage of process id 9, whose process record was deleted from DataUsage.sqlite (2 usage row(s) from 2021-07-01 10:20:00.000000 to 2021-07-01 10:25:00.000000)`,
	} {
		if !strings.HasPrefix(got[i].Message, msg) {
			t.Errorf("message %q, want %q", got[i].Message, msg)
		}
	}
}
