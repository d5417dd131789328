package aqfprocesses_test

import (
	"strconv"
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
	"github.com/spytrace/spytrace/internal/module/android/aqfprocesses"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), ix, aqfprocesses.New())
}

func ps(text string) fstest.MapFS {
	return fstest.MapFS{"ps.txt": {Data: []byte(text)}}
}

// Structure of a real toybox `ps -A` (Android 8+), values invented.
const psText = `USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME
root             1     0   68696   2864 0                   0 S init
root             2     0       0      0 0                   0 S [kthreadd]
u0_a71        4242   610 1874324 112020 SyS_epoll_wait      0 S com.google.android.gms.persistent
shell         9001  8990    9040   1980 0                   0 R ps
`

func TestRecords(t *testing.T) {
	o := run(t, nil, ps(psText))
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	keys := []string{"user", "pid", "ppid", "virtual_memory_size", "resident_set_size", "wchan", "aprocress", "stat", "proc_name", "label", "name", "source", "line"}
	want := []map[string]any{
		{"user": "root", "pid": 1.0, "ppid": 0.0, "virtual_memory_size": 68696.0, "resident_set_size": 2864.0, "wchan": "0", "aprocress": "0", "stat": "S", "proc_name": "init", "label": "", "name": "init", "source": "ps.txt", "line": 2.0},
		{"user": "root", "pid": 2.0, "ppid": 0.0, "virtual_memory_size": 0.0, "resident_set_size": 0.0, "wchan": "0", "aprocress": "0", "stat": "S", "proc_name": "kthreadd", "label": "", "name": "[kthreadd]", "source": "ps.txt", "line": 3.0},
		{"user": "u0_a71", "pid": 4242.0, "ppid": 610.0, "virtual_memory_size": 1874324.0, "resident_set_size": 112020.0, "wchan": "SyS_epoll_wait", "aprocress": "0", "stat": "S", "proc_name": "com.google.android.gms.persistent", "label": "", "name": "com.google.android.gms.persistent", "source": "ps.txt", "line": 4.0},
		{"user": "shell", "pid": 9001.0, "ppid": 8990.0, "virtual_memory_size": 9040.0, "resident_set_size": 1980.0, "wchan": "0", "aprocress": "0", "stat": "R", "proc_name": "ps", "label": "", "name": "ps", "source": "ps.txt", "line": 5.0},
	}
	got := o.List(t)
	if diff := cmp.Diff(want, moduletest.Project(got, keys...)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	for _, r := range got {
		if len(r) != len(keys) {
			t.Errorf("ps.txt record has extra keys: %v", r)
		}
	}
	if len(o.Timeline) != 0 || len(o.Alerts) != 0 {
		t.Errorf("timeline %v alerts %v", o.Timeline, o.Alerts)
	}
}

func TestTextVariants(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		want []map[string]any
	}{
		"empty WCHAN": {"USER PID PPID VSZ RSS WCHAN ADDR S NAME\nroot 1 0 100 20 0 S init\nsystem 700 1 200 30 0 S system_server\n",
			[]map[string]any{{"wchan": "", "aprocress": "0", "stat": "S", "proc_name": "init"}, {"wchan": "", "aprocress": "0", "stat": "S", "proc_name": "system_server"}}},
		"label column": {"LABEL USER PID PPID VSZ RSS WCHAN ADDR S NAME\nu:r:init:s0 root 1 0 100 20 do_epoll_wait 0 S init\n",
			[]map[string]any{{"wchan": "do_epoll_wait", "aprocress": "0", "stat": "S", "proc_name": "init", "label": "u:r:init:s0"}}},
		"label without header": {"USER PID PPID VSZ RSS WCHAN ADDR S NAME\nu:r:vold:s0 root 400 1 100 20 0 0 S /system/bin/vold\n",
			[]map[string]any{{"wchan": "0", "aprocress": "0", "stat": "S", "proc_name": "/system/bin/vold", "label": "u:r:vold:s0"}}},
		"label, empty WCHAN": {"LABEL USER PID PPID VSZ RSS WCHAN ADDR S NAME\nu:r:init:s0 root 1 0 100 20 0 S init\n",
			[]map[string]any{{"wchan": "", "aprocress": "0", "stat": "S", "proc_name": "init", "label": "u:r:init:s0"}}},
		"old toolbox": {"USER     PID   PPID  VSIZE  RSS     WCHAN    PC         NAME\nroot      1     0     8904   788   ffffffff 00000000 S /init\n",
			[]map[string]any{{"wchan": "ffffffff", "aprocress": "00000000", "stat": "S", "proc_name": "/init"}}},
		"name with spaces": {"USER PID PPID VSZ RSS WCHAN ADDR S NAME\nu0_a5 77 1 100 20 0 0 S Binder thread 3\nu0_a5 78 1 100 20 0 S my app\n",
			[]map[string]any{{"wchan": "0", "aprocress": "0", "stat": "S", "proc_name": "Binder thread 3"}, {"wchan": "", "aprocress": "0", "stat": "S", "proc_name": "my app"}}},
		"CRLF and blank lines": {"\r\nUSER PID PPID VSZ RSS WCHAN ADDR S NAME\r\n\r\nroot 1 0 100 20 0 0 S init\r\n",
			[]map[string]any{{"wchan": "0", "aprocress": "0", "stat": "S", "proc_name": "init"}}},
	} {
		o := run(t, nil, ps(tc.text))
		if o.Status.State != module.OK {
			t.Errorf("%s: status %+v", name, o.Status)
			continue
		}
		keys := []string{"wchan", "aprocress", "stat", "proc_name"}
		if _, ok := tc.want[0]["label"]; ok {
			keys = append(keys, "label")
		}
		if diff := cmp.Diff(tc.want, moduletest.Project(o.List(t), keys...)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestAllFiles(t *testing.T) {
	files := fstest.MapFS{}
	for _, f := range []fstest.MapFS{
		fixture.AQFProcessesFiles(fixture.SampleAQFProcesses(now, 5, 1, fixture.AQFPsTxt)),
		fixture.AQFProcessesFiles(fixture.SampleAQFProcesses(now, 5, 2, fixture.AQFProcessesTxt)),
		fixture.AQFProcessesFiles(fixture.SampleAQFProcesses(now, 5, 3, fixture.AQFProcessesJSON)),
	} {
		for k, v := range f {
			files[k] = v
		}
	}
	o := run(t, nil, files)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	count := map[string]int{}
	for _, r := range o.List(t) {
		count[r["source"].(string)]++
	}
	if diff := cmp.Diff(map[string]int{"ps.txt": 6, "processes.txt": 6, "processes.json": 6}, count); diff != "" {
		t.Errorf("records per file (-want +got):\n%s", diff)
	}
	recs := o.List(t)
	if recs[0]["source"] != "ps.txt" || recs[len(recs)-1]["source"] != "processes.json" {
		t.Errorf("order: %v … %v", recs[0]["source"], recs[len(recs)-1]["source"])
	}
}

func TestJSON(t *testing.T) {
	data := `[{"pid":1,"uid":0,"ppid":0,"pgroup":1,"psid":1,"filename":"(init)","priority":20,"state":"S","user_time":3,"kernel_time":9,
"path":"","context":"u:r:init:s0","previous_context":"u:r:kernel:s0","command_line":["/system/bin/init","second_stage"],"env":["PATH=/system/bin"],"cwd":"/"},
{"pid":4242,"uid":10071,"ppid":610,"filename":"(.gms.persistent)","state":"S","context":"u:r:priv_app:s0:c512,c768","command_line":["com.google.android.gms.persistent"],"env":null,"cwd":"/"},
{"pid":"oops"}, 7,
{"pid":5000,"uid":0,"ppid":1,"filename":"(kworker/0:1)","state":"I","command_line":null}]`
	o := run(t, nil, fstest.MapFS{"processes.json": {Data: []byte(data)}})
	if o.Status.State != module.Partial {
		t.Fatalf("status %+v", o.Status)
	}
	if diff := cmp.Diff([]string{"processes.json: element 3: no pid", "processes.json: element 4: not a process object"}, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	want := []map[string]any{
		{"pid": 1.0, "ppid": 0.0, "uid": 0.0, "pgroup": 1.0, "psid": 1.0, "filename": "(init)", "priority": 20.0, "state": "S", "stat": "S",
			"user_time": 3.0, "kernel_time": 9.0, "context": "u:r:init:s0", "label": "u:r:init:s0", "previous_context": "u:r:kernel:s0",
			"command_line": []any{"/system/bin/init", "second_stage"}, "env": []any{"PATH=/system/bin"}, "cwd": "/", "name": "init",
			"proc_name": "/system/bin/init", "user": "", "virtual_memory_size": nil, "resident_set_size": nil, "wchan": "", "aprocress": "",
			"source": "processes.json", "line": 1.0},
		{"pid": 4242.0, "ppid": 610.0, "uid": 10071.0, "filename": "(.gms.persistent)", "state": "S", "stat": "S",
			"context": "u:r:priv_app:s0:c512,c768", "label": "u:r:priv_app:s0:c512,c768", "command_line": []any{"com.google.android.gms.persistent"},
			"cwd": "/", "name": ".gms.persistent", "proc_name": "com.google.android.gms.persistent", "user": "", "virtual_memory_size": nil,
			"resident_set_size": nil, "wchan": "", "aprocress": "", "source": "processes.json", "line": 2.0},
		{"pid": 5000.0, "ppid": 1.0, "uid": 0.0, "filename": "(kworker/0:1)", "state": "I", "stat": "I", "name": "kworker/0:1",
			"proc_name": "kworker/0:1", "user": "", "virtual_memory_size": nil, "resident_set_size": nil, "wchan": "", "aprocress": "",
			"label": "", "source": "processes.json", "line": 5.0},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestAbsentAndCorrupt(t *testing.T) {
	o := run(t, nil, fstest.MapFS{"getprop.txt": {Data: []byte("[a]: [b]\n")}})
	if o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	o = moduletest.Run(t, memfs.New(acquire.AndroidBugreport, ps(psText)), nil, aqfprocesses.New())
	if o.Status.State != module.Skipped {
		t.Errorf("other kind: %+v", o.Status)
	}
	for name, tc := range map[string]struct {
		files  fstest.MapFS
		reason string
	}{
		"json garbage":  {fstest.MapFS{"processes.json": {Data: []byte("\x00\x01garbage")}}, `read "processes.json": not JSON`},
		"json object":   {fstest.MapFS{"processes.json": {Data: []byte(`{"pid":1}`)}}, "not a JSON array of processes"},
		"json cut":      {fstest.MapFS{"processes.json": {Data: []byte(`[{"pid":1,"uid`)}}, "element 1"},
		"text no lines": {ps("USER PID PPID VSZ RSS WCHAN ADDR S NAME\nroot x 0 1 1 0 0 S init\n"), `no process could be read (line 2: PID "x" is not a number)`},
	} {
		o := run(t, nil, tc.files)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, tc.reason) {
			t.Errorf("%s: %+v", name, o.Status)
		}
	}
	// A bad line among good ones: partial.
	o = run(t, nil, ps(psText+"root 1\n"))
	if o.Status.State != module.Partial || len(o.List(t)) != 4 || !strings.Contains(o.Status.Problems[0], "ps.txt: line 6: 2 fields") {
		t.Errorf("bad line: %+v", o.Status)
	}
	// An empty file: no records.
	o = run(t, nil, ps(""))
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("empty: %+v", o.Status)
	}
}

func alertsOf(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		s := a.Level.String() + " " + a.Check
		if a.Indicator != nil {
			s += " " + a.Indicator.Value
		}
		out = append(out, s)
	}
	return out
}

func TestIndicators(t *testing.T) {
	spec := fixture.SampleAQFProcesses(now, 30, 9, fixture.AQFPsTxt)
	fixture.PlantAQFProcessesIndicator(&spec, "com.evil.spy")
	fixture.PlantAQFProcessesIndicator(&spec, "com.stalker.app:remote")
	fixture.PlantAQFProcessesIndicator(&spec, "bh_implantd_long")
	ix := moduletest.Index("app_ids", "com.evil.spy", "app_ids", "com.stalker.app", "processes", "bh_implantd_long_name",
		// False positives: gatekeeperd is skipped; a near name does not match.
		"processes", "gatekeeperd", "processes", "system_serve", "app_ids", "com.whatsapp.w4b")
	o := run(t, ix, fixture.AQFProcessesFiles(spec))
	want := []string{
		"CRITICAL ioc/app_id com.evil.spy",
		"CRITICAL ioc/app_id com.stalker.app",
		"CRITICAL ioc/process bh_implantd_long_name",
	}
	if diff := cmp.Diff(want, alertsOf(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, aqfprocesses.New())
	if len(o.Alerts) > 0 && !strings.Contains(o.Alerts[0].Message, "the processes running during the collection (ps.txt, pid 31337)") {
		t.Errorf("message %q", o.Alerts[0].Message)
	}
	// In processes.json the process name is argv[0].
	spec = fixture.SampleAQFProcesses(now, 30, 9, fixture.AQFProcessesJSON)
	fixture.PlantAQFProcessesIndicator(&spec, "com.evil.spy")
	o = run(t, ix, fixture.AQFProcessesFiles(spec))
	if diff := cmp.Diff([]string{"CRITICAL ioc/app_id com.evil.spy"}, alertsOf(o)); diff != "" {
		t.Errorf("json alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, aqfprocesses.New())
}

func TestTmpExecutable(t *testing.T) {
	for _, format := range []fixture.AQFProcessesFormat{fixture.AQFPsTxt, fixture.AQFProcessesJSON} {
		spec := fixture.SampleAQFProcesses(now, 20, 4, format)
		fixture.PlantAQFProcessesTmp(&spec, "/data/local/tmp/.cache/agentd")
		o := run(t, nil, fixture.AQFProcessesFiles(spec))
		if diff := cmp.Diff([]string{"HIGH aqf_processes/tmp-executable"}, alertsOf(o)); diff != "" {
			t.Errorf("format %d (-want +got):\n%s", format, diff)
		}
		moduletest.Reload(t, o, nil, aqfprocesses.New())
		if len(o.Alerts) == 1 && !strings.Contains(o.Alerts[0].Message, `started from "/data/local/tmp/.cache/agentd"`) {
			t.Errorf("message %q", o.Alerts[0].Message)
		}
	}
	// False positives: the collector itself (in the sample), a process whose working
	// folder only is /data/local/tmp, a sibling folder.
	spec := fixture.SampleAQFProcesses(now, 20, 4, fixture.AQFProcessesJSON)
	spec.Processes = append(spec.Processes,
		fixture.AQFProcess{PID: 77, State: "S", Name: "sh", CommandLine: []string{"sh"}, Cwd: "/data/local/tmp"},
		fixture.AQFProcess{PID: 78, State: "S", Name: "/data/local/tmpfoo/x", CommandLine: []string{"/data/local/tmpfoo/x"}})
	o := run(t, nil, fixture.AQFProcessesFiles(spec))
	if len(o.Alerts) != 0 {
		t.Errorf("false positives: %v", alertsOf(o))
	}
}

func TestRootContext(t *testing.T) {
	spec := fixture.SampleAQFProcesses(now, 20, 5, fixture.AQFPsTxt)
	spec.LabelColumn = true
	fixture.PlantAQFProcessesRootContext(&spec)
	o := run(t, nil, fixture.AQFProcessesFiles(spec))
	if diff := cmp.Diff([]string{"HIGH aqf_processes/root-context"}, alertsOf(o)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, aqfprocesses.New())
	spec = fixture.SampleAQFProcesses(now, 20, 5, fixture.AQFProcessesJSON)
	spec.Processes = append(spec.Processes, fixture.AQFProcess{PID: 66, State: "S", Name: "sh", CommandLine: []string{"sh"}, Label: "u:r:su:s0"})
	o = run(t, nil, fixture.AQFProcessesFiles(spec))
	if diff := cmp.Diff([]string{"HIGH aqf_processes/root-context"}, alertsOf(o)); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
	// False positives: domains that merely contain the words.
	spec = fixture.SampleAQFProcesses(now, 20, 5, fixture.AQFProcessesJSON)
	spec.Processes = append(spec.Processes,
		fixture.AQFProcess{PID: 67, State: "S", Name: "a", Label: "u:r:suspend_service:s0"},
		fixture.AQFProcess{PID: 68, State: "S", Name: "b", Label: "u:object_r:su_exec:s0"},
		fixture.AQFProcess{PID: 69, State: "S", Name: "c", Label: "su"})
	o = run(t, nil, fixture.AQFProcessesFiles(spec))
	if len(o.Alerts) != 0 {
		t.Errorf("false positives: %v", alertsOf(o))
	}
}

func TestSampleIsClean(t *testing.T) {
	ix := moduletest.Index("app_ids", "com.evil.spy", "processes", "evilproc", "processes", "gatekeeperd")
	for _, format := range []fixture.AQFProcessesFormat{fixture.AQFPsTxt, fixture.AQFProcessesTxt, fixture.AQFProcessesJSON} {
		for _, label := range []bool{false, true} {
			spec := fixture.SampleAQFProcesses(now, 60, 11, format)
			spec.LabelColumn = label
			o := run(t, ix, fixture.AQFProcessesFiles(spec))
			if o.Status.State != module.OK || len(o.List(t)) != 61 {
				t.Errorf("format %d: status %+v, %d records", format, o.Status, len(o.List(t)))
			}
			for _, a := range o.Alerts {
				if a.Level >= alert.High {
					t.Errorf("sample raised %s: %s", a.Check, a.Message)
				}
			}
		}
	}
}

// TestDecodeMVTRecord reads processes the way MVT writes them into aqf_processes.json
// (the ps.txt columns, proc_name without brackets, no name or source) and checks them
// again: app-id and process indicators and both heuristics.
func TestDecodeMVTRecord(t *testing.T) {
	proc := func(user string, pid int, name, label string) string {
		return `{"user": "` + user + `", "pid": ` + strconv.Itoa(pid) + `, "ppid": 1, "virtual_memory_size": 10823456,
			"resident_set_size": 5120, "wchan": "do_epoll_wait", "aprocress": "0", "stat": "S", "proc_name": "` + name + `",
			"label": "` + label + `"}`
	}
	tests := []struct {
		name   string
		ix     *ioc.Index
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"app id", moduletest.Index("app_ids", "com.stalker.app"), proc("u0_a211", 4242, "com.stalker.app:remote", ""),
			[]string{`ioc/app_id Found a known suspicious app identifier "com.stalker.app" in the processes running during the collection (ps.txt, pid 4242)`}},
		{"process", moduletest.Index("processes", "bh_implantd"), proc("root", 777, "bh_implantd", ""),
			[]string{`ioc/process Found a known suspicious process "bh_implantd" in the processes running during the collection (ps.txt, pid 777)`}},
		{"gatekeeperd", moduletest.Index("processes", "gatekeeperd"), proc("system", 600, "gatekeeperd", ""), nil},
		{"tmp executable", nil, proc("shell", 31337, "/data/local/tmp/agentd", ""),
			[]string{`aqf_processes/tmp-executable Process "/data/local/tmp/agentd" (pid 31337, user shell) was started from "/data/local/tmp/agentd" in the adb scratch folder (ps.txt)`}},
		{"root context", nil, proc("root", 901, "magiskd", "u:r:magisk:s0"),
			[]string{`aqf_processes/root-context Process "magiskd" (pid 901) was running in the root SELinux domain "magisk" (context "u:r:magisk:s0", ps.txt)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := aqfprocesses.New()
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
