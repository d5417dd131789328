package sysdiagnoseps_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseps"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

// created is 2024-04-02 10:15:30 +02:00, i.e. 08:15:30 UTC.
var created = time.Date(2024, 4, 2, 10, 15, 30, 0, time.FixedZone("", 2*3600))

const signal = "/private/var/containers/Bundle/Application/6C9C5A92-BC0D-476F-BCEF-8D4E0D5CAA40/Signal.app/Signal"

func run(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return reloaded(t, moduletest.Run(t, memfs.New(acquire.IOSSysdiagnose, files), ix, sysdiagnoseps.New()), ix)
}

// reloaded checks that the records of o read back, as processes or images, to the
// same JSON and raise the same alerts with the indicators ix, as check-iocs would, and
// returns o.
func reloaded(t *testing.T, o *moduletest.Outcome, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	if o.RecordsJSON == nil {
		return o
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(o.RecordsJSON, &recs); err != nil {
		t.Fatal(err)
	}
	for i, raw := range recs {
		rec, err := sysdiagnoseps.New().DecodeRecord(raw)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		want := "*sysdiagnoseps.Record"
		if bytes.Contains(raw, []byte(`"image":`)) {
			want = "*sysdiagnoseps.Image"
		}
		if got := fmt.Sprintf("%T", rec); got != want {
			t.Fatalf("record %d decoded as %s, want %s", i, got, want)
		}
		var got bytes.Buffer
		enc := json.NewEncoder(&got)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			t.Fatal(err)
		}
		if g := bytes.TrimSuffix(got.Bytes(), []byte("\n")); !bytes.Equal(g, compact.Bytes()) {
			t.Fatalf("record %d changed:\n got %s\nwant %s", i, g, compact.Bytes())
		}
	}
	moduletest.Reload(t, o, ix, sysdiagnoseps.New())
	return o
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s", a.Level, a.Check))
	}
	return out
}

func small() fixture.SysdiagnoseSpec {
	launchd := fixture.PsRow{User: "root", UID: 0, PID: 1, PPID: 0, Started: "Mon08AM", Command: "/sbin/launchd", Threads: 3}
	uea := fixture.PsRow{User: "root", UID: 0, PID: 41, PPID: 1, Started: "Mon08AM", Command: "/usr/libexec/UserEventAgent (System)", Threads: 2}
	app := fixture.PsRow{User: "mobile", UID: 501, PID: 812, PPID: 1, Started: "9:41AM", Command: "/private/var/containers/Bundle/Application/0A1B/My App.app/My App -launchedBy springboard"}
	sig := fixture.PsRow{User: "mobile", UID: 501, PID: 900, PPID: 1, Started: "10:02AM", Command: signal, Threads: 4}
	return fixture.SysdiagnoseSpec{
		Created:  created,
		Ps:       []fixture.PsRow{uea, launchd, app},
		PsThread: []fixture.PsRow{launchd, uea, sig},
	}
}

func TestRecords(t *testing.T) {
	o := run(t, fixture.SysdiagnoseFiles(small()), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v), want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	const at = "2024-04-02 08:15:30.000000"
	both := []any{"ps.txt", "ps_thread.txt"}
	want := []map[string]any{
		{"user": "root", "uid": 0.0, "pid": 1.0, "ppid": 0.0, "started": "Mon08AM", "command": "/sbin/launchd", "path": "/sbin/launchd",
			"process_name": "launchd", "uuid": "", "start_time": nil, "source_file": "ps.txt", "sources": both, "collection_time": at},
		{"user": "root", "uid": 0.0, "pid": 41.0, "ppid": 1.0, "started": "Mon08AM", "command": "/usr/libexec/UserEventAgent (System)",
			"path": "/usr/libexec/UserEventAgent", "process_name": "UserEventAgent", "uuid": "", "start_time": nil, "source_file": "ps.txt",
			"sources": both, "collection_time": at},
		{"user": "mobile", "uid": 501.0, "pid": 812.0, "ppid": 1.0, "started": "9:41AM",
			"command": "/private/var/containers/Bundle/Application/0A1B/My App.app/My App -launchedBy springboard",
			"path":    "/private/var/containers/Bundle/Application/0A1B/My App.app/My App", "process_name": "My App", "uuid": "", "start_time": nil,
			"source_file": "ps.txt", "sources": []any{"ps.txt"}, "collection_time": at},
		{"user": "mobile", "uid": nil, "pid": 900.0, "ppid": 1.0, "started": "10:02AM", "command": signal, "path": signal,
			"process_name": "Signal", "uuid": "", "start_time": nil, "source_file": "ps_thread.txt", "sources": []any{"ps_thread.txt"}, "collection_time": at},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2024-04-02 08:15:30.000000","SysdiagnosePs","process_running","/private/var/containers/Bundle/Application/0A1B/My App.app/My App -launchedBy springboard [812] running as mobile"`,
		`"2024-04-02 08:15:30.000000","SysdiagnosePs","process_running","` + signal + ` [900] running as mobile"`,
		`"2024-04-02 08:15:30.000000","SysdiagnosePs","process_running","/sbin/launchd [1] running as root"`,
		`"2024-04-02 08:15:30.000000","SysdiagnosePs","process_running","/usr/libexec/UserEventAgent (System) [41] running as root"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}
}

func TestLegacyLayoutWithoutLog(t *testing.T) {
	spec := fixture.SysdiagnoseSpec{PsLayout: fixture.PsLegacy, Ps: []fixture.PsRow{
		{User: "root", UID: 0, PID: 1, PPID: 0, Started: "14Jan19", Command: "/sbin/launchd"},
		{User: "root", UID: 0, PID: 0, PPID: 0, Started: "14Jan19", Command: "kernel_task"},
	}}
	o := run(t, fixture.SysdiagnoseFiles(spec), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v), want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	want := []map[string]any{
		{"user": "root", "uid": 0.0, "pid": 0.0, "ppid": 0.0, "started": "14Jan19", "command": "kernel_task", "path": "",
			"process_name": "kernel_task", "uuid": "", "start_time": nil, "source_file": "ps.txt", "sources": []any{"ps.txt"}, "collection_time": nil},
		{"user": "root", "uid": 0.0, "pid": 1.0, "ppid": 0.0, "started": "14Jan19", "command": "/sbin/launchd", "path": "/sbin/launchd",
			"process_name": "launchd", "uuid": "", "start_time": nil, "source_file": "ps.txt", "sources": []any{"ps.txt"}, "collection_time": nil},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 0 {
		t.Errorf("timeline %q, want none without a collection time", o.Timeline)
	}
}

func TestMinimalHeaderAndNonNumericUID(t *testing.T) {
	// Any header ending with COMMAND is read; a UID that is not a number is null.
	files := fstest.MapFS{
		"ps.txt": {Data: []byte("USER UID PID PPID COMMAND\nroot - 5 1 /usr/libexec/lsd\n")},
	}
	o := run(t, files, nil)
	got := moduletest.Project(o.List(t), "uid", "pid", "command")
	want := []map[string]any{{"uid": nil, "pid": 5.0, "command": "/usr/libexec/lsd"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestAbsent(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"empty":    {},
		"log only": {"sysdiagnose.log": {Data: fixture.SysdiagnoseLogText(created)}},
	} {
		t.Run(name, func(t *testing.T) {
			o := run(t, files, nil)
			if o.Status.State != module.Skipped {
				t.Fatalf("status %s (%s), want skipped", o.Status.State, o.Status.Reason)
			}
		})
	}
}

func TestCorrupt(t *testing.T) {
	good := fixture.PsText(fixture.PsIOS16, []fixture.PsRow{{User: "root", PID: 1, Started: "Mon08AM", Command: "/sbin/launchd"}})
	t.Run("not a listing", func(t *testing.T) {
		o := run(t, fstest.MapFS{"ps.txt": {Data: []byte("\x00\x01garbage\nmore")}}, nil)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not a ps listing") {
			t.Fatalf("status %s (%s), want failed: not a ps listing", o.Status.State, o.Status.Reason)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		o := run(t, fstest.MapFS{"ps.txt": {Data: nil}}, nil)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "empty file") {
			t.Fatalf("status %s (%s), want failed: empty file", o.Status.State, o.Status.Reason)
		}
	})
	t.Run("one of two unreadable", func(t *testing.T) {
		o := run(t, fstest.MapFS{"ps.txt": {Data: good}, "ps_thread.txt": {Data: []byte("nonsense")}}, nil)
		if o.Status.State != module.Partial || len(o.List(t)) != 1 {
			t.Fatalf("status %s %v, %d records; want partial with 1 record", o.Status.State, o.Status.Problems, len(o.List(t)))
		}
		if !strings.Contains(strings.Join(o.Status.Problems, "|"), `"ps_thread.txt"`) {
			t.Errorf("problems %q do not name ps_thread.txt", o.Status.Problems)
		}
	})
	t.Run("bad lines", func(t *testing.T) {
		data := string(good) + "root 0 - x 1 4004 0.0 0.0 0 0 0 0 - ?? Ss 9:00AM 0:00.00 /bin/pidx\n" +
			"root 0\n" + strings.Repeat("A", 70<<10) + "\n" +
			"mobile 501 - 77 1 4004 0.0 0.0 0 0 0 0 - ?? Ss 9:00AM 0:00.00 /usr/libexec/trustd\r\n"
		o := run(t, fstest.MapFS{"ps.txt": {Data: []byte(data)}}, nil)
		if o.Status.State != module.Partial {
			t.Fatalf("status %s, want partial", o.Status.State)
		}
		got := moduletest.Project(o.List(t), "pid", "command")
		want := []map[string]any{{"pid": 1.0, "command": "/sbin/launchd"}, {"pid": 77.0, "command": "/usr/libexec/trustd"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		wantProblems := []string{
			`ps.txt line 3: PID "x" is not a number`,
			"ps.txt line 4: 2 columns, the header has 18",
			"ps.txt line 5: line longer than 65536 bytes",
		}
		if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
			t.Errorf("problems (-want +got):\n%s", diff)
		}
	})
	t.Run("bad log", func(t *testing.T) {
		o := run(t, fstest.MapFS{"ps.txt": {Data: good}, "sysdiagnose.log": {Data: []byte("IN_PROGRESS_sysdiagnose_2024.13.45_99-99-99+0000_")}}, nil)
		if o.Status.State != module.OK || len(o.Timeline) != 0 {
			t.Fatalf("status %s, timeline %q; want ok without timeline", o.Status.State, o.Timeline)
		}
	})
}

func TestIndicators(t *testing.T) {
	spec := small()
	fixture.PlantSysdiagnoseProcess(&spec, "/usr/libexec/rolexd -d", 1234)
	files := fixture.SysdiagnoseFiles(spec)
	t.Run("process hit", func(t *testing.T) {
		o := run(t, files, moduletest.Index(string(ioc.Process), "rolexd"))
		got := o.AlertsOf("ioc/process")
		if len(got) != 1 || got[0].Level != alert.Critical || got[0].Indicator.Value != "rolexd" {
			t.Fatalf("alerts %v, want one CRITICAL ioc/process for rolexd", summary(o.Alerts))
		}
		if want := "2024-04-02 08:15:30"; !strings.HasPrefix(got[0].EventTime.String(), want) {
			t.Errorf("event time %s, want %s", got[0].EventTime, want)
		}
	})
	t.Run("process miss", func(t *testing.T) {
		o := run(t, files, moduletest.Index(string(ioc.Process), "rolex", string(ioc.Process), "launchdx"))
		if len(o.Alerts) != 0 {
			t.Fatalf("alerts %v, want none", summary(o.Alerts))
		}
	})
	t.Run("file path hit", func(t *testing.T) {
		o := run(t, files, moduletest.Index(string(ioc.FilePath), "/usr/libexec/rolexd"))
		got := o.AlertsOf("ioc/file_path")
		if len(got) != 1 || got[0].Level != alert.High {
			t.Fatalf("alerts %v, want one HIGH ioc/file_path", summary(o.Alerts))
		}
	})
	t.Run("file path miss", func(t *testing.T) {
		o := run(t, files, moduletest.Index(string(ioc.FilePath), "/usr/libexec/rolex"))
		if len(o.Alerts) != 0 {
			t.Fatalf("alerts %v, want none", summary(o.Alerts))
		}
	})
}

func TestSuspiciousPath(t *testing.T) {
	tests := []struct {
		command string
		want    bool
	}{
		{fixture.SysdiagnoseImplant, true},
		{"/var/db/com.apple.xpc.roleaccountd.staging/launchrexd", true},
		{"/private/var/tmp/x/bh -s", true},
		{"/tmp/payload", true},
		{"/private/var/tmp/../db/msgacntd", true},
		{"/usr/libexec/lsd", false},
		{"/private/var/dbx/tool", false},
		{signal, false},
		{"kernel_task", false},
		{"db/relative", false},
	}
	for _, tc := range tests {
		t.Run(tc.command, func(t *testing.T) {
			spec := fixture.SysdiagnoseSpec{Created: created}
			fixture.PlantSysdiagnoseProcess(&spec, tc.command, 4242)
			o := run(t, fixture.SysdiagnoseFiles(spec), nil)
			got := o.AlertsOf(sysdiagnoseps.SuspiciousPath.ID)
			if tc.want {
				if len(got) != 1 || got[0].Level != alert.High {
					t.Fatalf("alerts %v, want one HIGH %s", summary(o.Alerts), sysdiagnoseps.SuspiciousPath.ID)
				}
				if got[0].FalsePositive == "" || !strings.Contains(got[0].FalsePositive, "roleaccountd.staging") {
					t.Errorf("false-positive text does not mention software updates' staging folder")
				}
				return
			}
			if len(o.Alerts) != 0 {
				t.Fatalf("alerts %v, want none", summary(o.Alerts))
			}
		})
	}
}

func TestSampleIsClean(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	clean := fixture.SampleSysdiagnose(now, 40, 7)
	o := run(t, fixture.SysdiagnoseFiles(clean), moduletest.Index(string(ioc.Process), "rolexd", string(ioc.FilePath), "/private/var/db/com.apple.xpc.roleaccountd.staging"))
	if o.Status.State != module.OK || len(o.List(t)) < 20 {
		t.Fatalf("status %s, %d records", o.Status.State, len(o.List(t)))
	}
	for _, a := range o.Alerts {
		if a.Level >= alert.High {
			t.Errorf("sample raised %s %s: %s", a.Level, a.Check, a.Message)
		}
	}
	planted := fixture.SampleSysdiagnose(now, 40, 7)
	fixture.PlantSysdiagnoseProcess(&planted, fixture.SysdiagnoseImplant, 31337)
	o = run(t, fixture.SysdiagnoseFiles(planted), moduletest.Index(string(ioc.Process), "rolexd"))
	if diff := cmp.Diff([]string{"CRITICAL ioc/process", "HIGH sysdiagnose_ps/suspicious-path"}, summary(o.Alerts)); diff != "" {
		t.Errorf("planted alerts (-want +got):\n%s", diff)
	}
}
