package netusage_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/datausage"
	"github.com/spytrace/spytrace/internal/module/ios/netusage"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2021, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(90 * time.Minute)
)

// dump returns a file-system dump holding each spec at its path.
func dump(t *testing.T, specs map[string]fixture.DataUsageSpec) fstest.MapFS {
	t.Helper()
	files := fstest.MapFS{}
	for name, spec := range specs {
		main, wal, err := fixture.NetUsageFiles(spec)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: main}
		if wal != nil {
			files[name+"-wal"] = &fstest.MapFile{Data: wal}
		}
	}
	return files
}

func run(t *testing.T, spec fixture.DataUsageSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return runFS(t, dump(t, map[string]fixture.DataUsageSpec{fixture.NetUsageDBPath: spec}), ix)
}

func runFS(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSFilesystem, files), ix, netusage.New())
}

// summary writes each alert as "LEVEL check event-time".
func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

func procNames(t *testing.T, o *moduletest.Outcome) []string {
	var out []string
	for _, r := range o.List(t) {
		out = append(out, fmt.Sprint(r["proc_name"]))
	}
	return out
}

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

func TestInfo(t *testing.T) {
	info := netusage.New().Info()
	if info.Name != "netusage" || info.Class != "Netusage" || len(info.Kinds) != 1 || info.Kinds[0] != acquire.IOSFilesystem {
		t.Errorf("info %+v", info)
	}
	if diff := cmp.Diff([]string{fixture.NetUsagePath, fixture.NetUsageDBPath}, info.Paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
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
		"proc_name": "com.apple.WebKit.Networking/com.apple.mobilesafari", "bundle_id": "com.apple.mobilesafari", "proc_id": 2.0,
		"wifi_in": nil, "wifi_out": nil, "wwan_in": nil, "wwan_out": nil,
		"live_id": nil, "live_proc_id": nil, "live_isodate": nil,
		"process": "com.apple.WebKit.Networking", "process_bundle_id": "com.apple.mobilesafari",
	}
	wwanOnly := map[string]any{}
	for k, v := range daemon {
		wwanOnly[k] = v
	}
	wwanOnly["wifi_in"], wwanOnly["wifi_out"] = nil, nil
	for _, tc := range []struct {
		schema string
		want   []map[string]any
	}{
		{fixture.DataUsageIOS14, []map[string]any{daemon, app}},
		{fixture.DataUsageWWANOnly, []map[string]any{wwanOnly, app}},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			o := run(t, twoProcesses(tc.schema), nil)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
			}
			if diff := cmp.Diff(tc.want, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimeline(t *testing.T) {
	o := run(t, twoProcesses(""), nil)
	want := []string{
		`"2021-07-01 10:00:00.000000","Netusage","first_usage","nsurlsessiond (process id 1)"`,
		`"2021-07-01 10:30:00.000000","Netusage","live_usage","nsurlsessiond (process id 1) WIFI IN 1024 OUT 256 WWAN IN 4096 OUT 512"`,
		`"2021-07-01 11:00:00.000000","Netusage","current_usage","nsurlsessiond (process id 1)"`,
		`"2021-07-01 11:30:00.000000","Netusage","first_usage","com.apple.WebKit.Networking/com.apple.mobilesafari (bundle com.apple.mobilesafari, process id 2)"`,
		`"2021-07-01 11:30:02.000000","Netusage","current_usage","com.apple.WebKit.Networking/com.apple.mobilesafari (bundle com.apple.mobilesafari, process id 2)"`,
	}
	if diff := cmp.Diff(want, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestBothPaths(t *testing.T) {
	old := fixture.DataUsageSpec{Processes: []fixture.DataUsageProcess{{ID: 1, Name: "apsd", First: t0}}}
	files := dump(t, map[string]fixture.DataUsageSpec{fixture.NetUsagePath: old, fixture.NetUsageDBPath: twoProcesses("")})
	o := runFS(t, files, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
	}
	// Files are read in name order: db/netusage.sqlite first.
	want := []string{"nsurlsessiond", "com.apple.WebKit.Networking/com.apple.mobilesafari", "apsd"}
	if diff := cmp.Diff(want, procNames(t, o)); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fixture.NetUsageDBPath, fixture.NetUsagePath}, o.Status.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestWALOnlyRows(t *testing.T) {
	spec := twoProcesses("")
	spec.Processes = append(spec.Processes, fixture.DataUsageProcess{ID: 3, Name: "bh", First: t1.Add(time.Minute), WAL: true})
	spec.Live = append(spec.Live, fixture.DataUsageLive{Process: 3, At: t1.Add(2 * time.Minute), WWANIn: 10, WAL: true})
	files := dump(t, map[string]fixture.DataUsageSpec{fixture.NetUsagePath: spec})
	if files[fixture.NetUsagePath+"-wal"] == nil {
		t.Fatal("no -wal file")
	}
	o := runFS(t, files, nil)
	want := []string{"nsurlsessiond", "com.apple.WebKit.Networking/com.apple.mobilesafari", "bh"}
	if diff := cmp.Diff(want, procNames(t, o)); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
}

func TestUnreadable(t *testing.T) {
	valid, _, err := fixture.NetUsageFiles(fixture.SampleDataUsage(fixture.Epoch, 400, 1))
	if err != nil {
		t.Fatal(err)
	}
	otherDB, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE ZOTHER (Z_PK INTEGER PRIMARY KEY);"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		data   []byte // nil: no file
		state  module.State
		reason string
	}{
		{"absent", nil, module.Skipped, "not in this acquisition"},
		{"not_sqlite", []byte("bplist00 this is not a database"), module.Failed, "not a SQLite database"},
		{"truncated", valid[:len(valid)/3], module.Failed, "malformed"},
		{"missing_table", otherDB, module.Failed, "no ZPROCESS table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := fstest.MapFS{"private/var/networkd/other.txt": &fstest.MapFile{Data: []byte("x")}}
			if tc.data != nil {
				files[fixture.NetUsageDBPath] = &fstest.MapFile{Data: tc.data}
			}
			o := runFS(t, files, nil)
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
	t.Run("one_of_two_corrupt", func(t *testing.T) {
		files := dump(t, map[string]fixture.DataUsageSpec{fixture.NetUsageDBPath: twoProcesses("")})
		files[fixture.NetUsagePath] = &fstest.MapFile{Data: []byte("garbage")}
		o := runFS(t, files, nil)
		if o.Status.State != module.Partial || o.Status.Records != 2 {
			t.Errorf("status %+v, want partial with 2 records", o.Status)
		}
	})
}

func TestIndicators(t *testing.T) {
	spec := fixture.DataUsageSpec{Processes: []fixture.DataUsageProcess{{Name: "apsd", First: t0.Add(-time.Hour)}}}
	fixture.PlantProcess(&spec, "bh", "", t0)
	tests := []struct {
		name string
		ix   *ioc.Index
		want []string
	}{
		{"process", moduletest.Index("processes", "bh"), []string{"CRITICAL ioc/process 2021-07-01T10:00:00Z"}},
		{"similar_name", moduletest.Index("processes", "bhd", "app_ids", "bh"), nil},
		{"no_indicators", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, spec, tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, netusage.New())
		})
	}
}

func TestDeletedProcess(t *testing.T) {
	base := func() fixture.DataUsageSpec {
		return fixture.DataUsageSpec{
			Processes: []fixture.DataUsageProcess{{Name: "apsd", First: t0.Add(-time.Hour)}},
			Live:      []fixture.DataUsageLive{{Process: 1, At: t0, WWANIn: 1}},
		}
	}
	deleted := base()
	fixture.PlantDeletedProcess(&deleted, "bh", t0)
	t.Run("true_positive", func(t *testing.T) {
		o := run(t, deleted, nil)
		if diff := cmp.Diff([]string{"HIGH netusage/deleted-process 2021-07-01T10:00:03Z"}, summary(o.Alerts)); diff != "" {
			t.Fatalf("alerts (-want +got):\n%s", diff)
		}
		moduletest.Reload(t, o, nil, netusage.New())
		a := o.Alerts[0]
		want := "Found network usage of process id 2, whose process record was deleted from netusage.sqlite (2 usage row(s) from 2021-07-01 10:00:03.000000 to 2021-07-01 10:10:00.000000)"
		if a.Message != want {
			t.Errorf("message %q, want %q", a.Message, want)
		}
		for _, s := range []string{a.Meaning, a.FalsePositive, a.Advice} {
			if s == "" || strings.Contains(s, "DataUsage") {
				t.Errorf("text %q not about netusage.sqlite", s)
			}
		}
		if diff := cmp.Diff([]string{"apsd", datausage.ManipulatedName, datausage.ManipulatedName}, procNames(t, o)); diff != "" {
			t.Errorf("processes (-want +got):\n%s", diff)
		}
	})
	t.Run("false_positive_usage_without_process_reference", func(t *testing.T) {
		spec := base()
		spec.Live = append(spec.Live, fixture.DataUsageLive{Process: 0, At: t1, WWANIn: 5})
		if o := run(t, spec, nil); len(o.Alerts) != 0 {
			t.Errorf("alerts %v, want none", summary(o.Alerts))
		}
	})
}

func TestMissingProcess(t *testing.T) {
	spec := fixture.DataUsageSpec{Processes: []fixture.DataUsageProcess{{ID: 1, Name: "apsd", First: t0}, {ID: 2, Name: "timed", First: t0.Add(time.Hour)}}}
	fixture.PlantProcessGap(&spec, t1, 2)
	fixture.PlantProcess(&spec, "geod", "", t1.Add(time.Hour))
	o := run(t, spec, nil)
	if diff := cmp.Diff([]string{"LOW netusage/missing-process 2021-07-01T11:00:00Z"}, summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if len(o.Alerts) == 1 && !strings.Contains(o.Alerts[0].Message, "missing from netusage.sqlite") {
		t.Errorf("message %q", o.Alerts[0].Message)
	}
	moduletest.Reload(t, o, nil, netusage.New())
	t.Run("false_positive_pruned_before_first", func(t *testing.T) {
		spec := fixture.DataUsageSpec{Processes: []fixture.DataUsageProcess{{ID: 50, Name: "apsd", First: t0}, {ID: 51, Name: "timed", First: t1}}}
		if o := run(t, spec, nil); len(o.Alerts) != 0 {
			t.Errorf("alerts %v, want none", summary(o.Alerts))
		}
	})
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleDataUsage(fixture.Epoch, 200, 3)
	o := run(t, spec, nil)
	if o.Status.State != module.OK || o.Status.Records == 0 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok with records and no alert", o.Status, summary(o.Alerts))
	}
}

// TestBinarySearch looks for the program of every process without a bundle id in a dump
// that holds the system volume, and raises binary-not-found for the one that has none.
func TestBinarySearch(t *testing.T) {
	spec := fixture.DataUsageSpec{Processes: []fixture.DataUsageProcess{
		{ID: 1, Name: "nsurlsessiond", First: t0, Last: t0},
		{ID: 2, Name: "com.apple.WebKit.Networking/com.apple.mobilesafari", Bundle: "com.apple.mobilesafari", First: t0, Last: t0},
		{ID: 3, Name: "kernel_task", First: t0, Last: t0},
		{ID: 4, Name: "identityservices", First: t0, Last: t0}, // truncated: the file is identityservicesd
		{ID: 5, Name: "rolexd", First: t1, Last: t1},
		{ID: 6, Name: "rolexd", First: t1.Add(time.Hour), Last: t1.Add(time.Hour)},
		{ID: 7, Name: "Signal", Bundle: "org.whispersystems.signal", First: t0, Last: t0},
	}}
	files := dump(t, map[string]fixture.DataUsageSpec{fixture.NetUsageDBPath: spec})
	files["usr/libexec/nsurlsessiond"] = &fstest.MapFile{Data: []byte("\xcf\xfa\xed\xfe")}
	files["System/Library/PrivateFrameworks/IDS.framework/identityservicesd.app/identityservicesd"] = &fstest.MapFile{Data: []byte("\xcf\xfa\xed\xfe")}
	files["private/var/mobile/Documents/rolexd.txt"] = &fstest.MapFile{Data: []byte("not the program")}
	files["usr/libexec/rolexd"] = &fstest.MapFile{Mode: fs.ModeDir}
	o := runFS(t, files, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s) %v", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	got := map[string][2]any{}
	for _, r := range o.List(t) {
		got[fmt.Sprint(r["proc_id"], " ", r["proc_name"])] = [2]any{r["binary_found"], r["binary_paths"]}
	}
	want := map[string][2]any{
		"1 nsurlsessiond": {true, []any{"/usr/libexec/nsurlsessiond"}},
		"2 com.apple.WebKit.Networking/com.apple.mobilesafari": {nil, nil},
		"3 kernel_task":      {nil, nil},
		"4 identityservices": {true, []any{"/System/Library/PrivateFrameworks/IDS.framework/identityservicesd.app/identityservicesd"}},
		"5 rolexd":           {false, nil},
		"6 rolexd":           {false, nil},
		"7 Signal":           {nil, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("binary search (-want +got):\n%s", diff)
	}
	alerts := o.AlertsOf(netusage.BinaryNotFound.ID)
	if len(alerts) != 1 || alerts[0].Level != alert.Medium || !strings.Contains(alerts[0].Message, `"rolexd"`) || !alerts[0].EventTime.Time.Equal(t1) {
		t.Errorf("binary-not-found alerts: %+v", alerts)
	}
	moduletest.Reload(t, o, nil, netusage.New())

	// Without the system volume nothing is searched and nothing is raised.
	delete(files, "usr/libexec/nsurlsessiond")
	delete(files, "usr/libexec/rolexd")
	delete(files, "System/Library/PrivateFrameworks/IDS.framework/identityservicesd.app/identityservicesd")
	o = runFS(t, files, nil)
	for _, r := range o.List(t) {
		if _, ok := r["binary_found"]; ok {
			t.Errorf("searched without a system volume: %v", r)
		}
	}
	if a := o.AlertsOf(netusage.BinaryNotFound.ID); len(a) != 0 {
		t.Errorf("alerts without a system volume: %+v", a)
	}
}
