package sysdiagnoseps_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseps"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	myApp     = "/private/var/containers/Bundle/Application/0A1B/My App.app/My App"
	myAppLib  = "/private/var/containers/Bundle/Application/0A1B/My App.app/Frameworks/Lib Kit.framework/Lib Kit"
	launchdID = "C6C13B87-01F0-33EA-A98A-FC0C298A53EA"
	appID     = "931938B3-808D-33C7-8BA7-05D04BA753C7"
)

var (
	dyld   = fixture.SpindumpImage{Name: "dyld", UUID: "58AB16CE-D7E0-32D3-946D-4F68FB1A4A17", Path: "/usr/lib/dyld"}
	libKit = fixture.SpindumpImage{Name: "Lib Kit", UUID: "0E1F2A3B-4C5D-3E6F-8A7B-9C0D1E2F3A4B", Path: myAppLib}
	// spinAt is spindump's Date/Time in the phone's zone (+01:00): 08:26:55.123 UTC.
	spinAt = time.Date(2024, 3, 14, 9, 26, 55, 123e6, time.FixedZone("", 3600))
)

func okStatus(t *testing.T, o *moduletest.Outcome) {
	t.Helper()
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v), want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
}

func TestTaskinfoRecords(t *testing.T) {
	rows := []fixture.TaskinfoRow{
		{Name: "Signal", PID: 900, UID: 501, UUID: appID, RunTime: 60, Threads: 2},
		{Name: "launchd", PID: 1, UID: 0, UUID: strings.ToLower(launchdID), RunTime: 216, Threads: 3},
	}
	const at = "2024-04-02 08:15:30.000000"
	src := []any{"taskinfo.txt"}
	t.Run("iOS 16", func(t *testing.T) {
		o := run(t, fixture.SysdiagnoseFiles(fixture.SysdiagnoseSpec{Created: created, Taskinfo: rows}), nil)
		okStatus(t, o)
		want := []map[string]any{
			{"user": "", "uid": 0.0, "pid": 1.0, "ppid": nil, "started": "", "command": "", "path": "", "process_name": "launchd",
				"uuid": launchdID, "start_time": "2024-04-02 08:11:54.000000", "source_file": "taskinfo.txt", "sources": src, "collection_time": at},
			{"user": "", "uid": 501.0, "pid": 900.0, "ppid": nil, "started": "", "command": "", "path": "", "process_name": "Signal",
				"uuid": appID, "start_time": "2024-04-02 08:14:30.000000", "source_file": "taskinfo.txt", "sources": src, "collection_time": at},
		}
		if diff := cmp.Diff(want, o.List(t)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		wantTL := []string{
			`"2024-04-02 08:11:54.000000","SysdiagnosePs","process_started","launchd [1]"`,
			`"2024-04-02 08:14:30.000000","SysdiagnosePs","process_started","Signal [900]"`,
			`"2024-04-02 08:15:30.000000","SysdiagnosePs","process_running","Signal [900]"`,
			`"2024-04-02 08:15:30.000000","SysdiagnosePs","process_running","launchd [1]"`,
		}
		if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
			t.Errorf("timeline (-want +got):\n%s", diff)
		}
	})
	t.Run("iOS 15 without log", func(t *testing.T) {
		spec := fixture.SysdiagnoseSpec{TaskinfoLayout: fixture.TaskinfoLegacy, Taskinfo: rows}
		o := run(t, fixture.SysdiagnoseFiles(spec), nil)
		okStatus(t, o)
		want := []map[string]any{
			{"user": "", "uid": nil, "pid": 1.0, "ppid": nil, "started": "", "command": "", "path": "", "process_name": "launchd",
				"uuid": "", "start_time": nil, "source_file": "taskinfo.txt", "sources": src, "collection_time": nil},
			{"user": "", "uid": nil, "pid": 900.0, "ppid": nil, "started": "", "command": "", "path": "", "process_name": "Signal",
				"uuid": "", "start_time": nil, "source_file": "taskinfo.txt", "sources": src, "collection_time": nil},
		}
		if diff := cmp.Diff(want, o.List(t)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if len(o.Timeline) != 0 {
			t.Errorf("timeline %q, want none without times", o.Timeline)
		}
	})
}

func spindumpSpec() fixture.SysdiagnoseSpec {
	return fixture.SysdiagnoseSpec{SpindumpTime: spinAt, Spindump: []fixture.SpindumpProc{
		{PID: 812, UUID: appID, Path: myApp, Parent: "launchd", PPID: 1, UID: 501, SinceFork: 100 * time.Second,
			Images: []fixture.SpindumpImage{{Name: "My App", UUID: appID, Path: myApp}, dyld, libKit}},
		{Name: "kernel_task", PID: 0, UID: 0, Start: spinAt.Add(-2 * time.Hour),
			Images: []fixture.SpindumpImage{dyld, {Name: "unknown", UUID: "00000000-0000-0000-0000-000000000000"}}},
	}}
}

func TestSpindumpRecords(t *testing.T) {
	// No sysdiagnose.log: the collection time is spindump's Date/Time, converted from
	// the phone's +01:00 to UTC.
	o := run(t, fixture.SysdiagnoseFiles(spindumpSpec()), nil)
	okStatus(t, o)
	const at = "2024-03-14 08:26:55.123000"
	src := []any{"spindump-nosymbols.txt"}
	want := []map[string]any{
		{"user": "", "uid": 0.0, "pid": 0.0, "ppid": nil, "started": "", "command": "", "path": "", "process_name": "kernel_task",
			"uuid": "", "start_time": "2024-03-14 06:26:55.123000", "source_file": "spindump-nosymbols.txt", "sources": src, "collection_time": at},
		{"user": "", "uid": 501.0, "pid": 812.0, "ppid": 1.0, "started": "", "command": "", "path": myApp, "process_name": "My App",
			"uuid": appID, "start_time": "2024-03-14 08:25:15.123000", "source_file": "spindump-nosymbols.txt", "sources": src, "collection_time": at},
		// The images, once per path; My App's own program is its process record.
		{"image": "Lib Kit", "path": myAppLib, "uuid": "0E1F2A3B-4C5D-3E6F-8A7B-9C0D1E2F3A4B", "loaded_by": []any{"My App [812]"},
			"process_count": 1.0, "source_file": "spindump-nosymbols.txt", "collection_time": at},
		{"image": "dyld", "path": "/usr/lib/dyld", "uuid": "58AB16CE-D7E0-32D3-946D-4F68FB1A4A17", "loaded_by": []any{"My App [812]", "kernel_task [0]"},
			"process_count": 2.0, "source_file": "spindump-nosymbols.txt", "collection_time": at},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2024-03-14 06:26:55.123000","SysdiagnosePs","process_started","kernel_task [0]"`,
		`"2024-03-14 08:25:15.123000","SysdiagnosePs","process_started","` + myApp + ` [812]"`,
		`"2024-03-14 08:26:55.123000","SysdiagnosePs","process_running","` + myApp + ` [812]"`,
		`"2024-03-14 08:26:55.123000","SysdiagnosePs","process_running","kernel_task [0]"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}

	// With sysdiagnose.log, its date is the collection time; Time Since Fork still
	// counts back from spindump's own Date/Time.
	spec := spindumpSpec()
	spec.Created = created
	o = run(t, fixture.SysdiagnoseFiles(spec), nil)
	got := moduletest.Project(o.List(t)[1:2], "start_time", "collection_time")
	if diff := cmp.Diff([]map[string]any{{"start_time": "2024-03-14 08:25:15.123000", "collection_time": "2024-04-02 08:15:30.000000"}}, got); diff != "" {
		t.Errorf("times (-want +got):\n%s", diff)
	}
}

func TestMergeSources(t *testing.T) {
	const webContent = "/System/Library/Frameworks/WebKit.framework/XPCServices/com.apple.WebKit.WebContent.xpc/com.apple.WebKit.WebContent"
	launchd := fixture.PsRow{User: "root", UID: 0, PID: 1, PPID: 0, Started: "Mon08AM", Command: "/sbin/launchd", Threads: 2}
	lsd := fixture.PsRow{User: "root", UID: 0, PID: 77, PPID: 1, Started: "Mon08AM", Command: "/usr/libexec/lsd"}
	wc := fixture.PsRow{User: "mobile", UID: 501, PID: 300, PPID: 1, Started: "9:00AM", Command: webContent}
	spec := fixture.SysdiagnoseSpec{
		Created:  created,
		Ps:       []fixture.PsRow{launchd, lsd, wc},
		PsThread: []fixture.PsRow{launchd},
		Taskinfo: []fixture.TaskinfoRow{
			{Name: "launchd", PID: 1, UUID: launchdID, RunTime: 999},
			{Name: "com.apple.WebKit", PID: 300, UID: 501, RunTime: 30}, // the name cut to 16 bytes
			{Name: "other", PID: 300, UID: 501, RunTime: 5},             // same pid, another program
		},
		SpindumpTime: created,
		Spindump: []fixture.SpindumpProc{
			{PID: 1, UUID: launchdID, Path: "/sbin/launchd", UID: 0, SinceFork: 216 * time.Second},
			// pid 77 again, but another program: a new process, not lsd.
			{PID: 77, Path: "/private/var/tmp/x", Parent: "launchd", PPID: 1, UID: 0, SinceFork: time.Second},
		},
	}
	o := run(t, fixture.SysdiagnoseFiles(spec), nil)
	okStatus(t, o)
	got := moduletest.Project(o.List(t), "pid", "path", "process_name", "uid", "uuid", "start_time", "source_file", "sources")
	want := []map[string]any{
		// Listed in all four: one record, with spindump's UUID and exact start time.
		{"pid": 1.0, "path": "/sbin/launchd", "process_name": "launchd", "uid": 0.0, "uuid": launchdID, "start_time": "2024-04-02 08:11:54.000000",
			"source_file": "ps.txt", "sources": []any{"ps.txt", "ps_thread.txt", "spindump-nosymbols.txt", "taskinfo.txt"}},
		{"pid": 77.0, "path": "/private/var/tmp/x", "process_name": "x", "uid": 0.0, "uuid": "", "start_time": "2024-04-02 08:15:29.000000",
			"source_file": "spindump-nosymbols.txt", "sources": []any{"spindump-nosymbols.txt"}},
		{"pid": 77.0, "path": "/usr/libexec/lsd", "process_name": "lsd", "uid": 0.0, "uuid": "", "start_time": nil,
			"source_file": "ps.txt", "sources": []any{"ps.txt"}},
		{"pid": 300.0, "path": "", "process_name": "other", "uid": 501.0, "uuid": "", "start_time": "2024-04-02 08:15:25.000000",
			"source_file": "taskinfo.txt", "sources": []any{"taskinfo.txt"}},
		{"pid": 300.0, "path": webContent, "process_name": "com.apple.WebKit.WebContent", "uid": 501.0, "uuid": "", "start_time": "2024-04-02 08:15:00.000000",
			"source_file": "ps.txt", "sources": []any{"ps.txt", "taskinfo.txt"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// The reused pid's other program is checked on its own.
	if got := summary(o.Alerts); !cmp.Equal(got, []string{"HIGH sysdiagnose_ps/suspicious-path"}) {
		t.Errorf("alerts %v, want one for /private/var/tmp/x", got)
	}
}

func TestCensusHostile(t *testing.T) {
	spin := fixture.SysdiagnoseFiles(spindumpSpec())[fixture.SysdiagnoseSpindump].Data
	task := fixture.TaskinfoText(fixture.TaskinfoIOS16, []fixture.TaskinfoRow{{Name: "launchd", PID: 1, UUID: launchdID, RunTime: 5}, {Name: "rolexd", PID: 9, RunTime: 5}})
	problems := func(o *moduletest.Outcome) string { return strings.Join(o.Status.Problems, "|") }
	t.Run("spindump cut inside an image line", func(t *testing.T) {
		cut := spin[:strings.Index(string(spin), "<58AB16CE")+5]
		o := run(t, fstest.MapFS{"spindump-nosymbols.txt": {Data: cut}}, nil)
		if o.Status.State != module.Partial || !strings.Contains(problems(o), "has no <UUID>") {
			t.Fatalf("status %s %v, want partial with the cut image line", o.Status.State, o.Status.Problems)
		}
		got := moduletest.Project(o.List(t), "pid", "path")
		if diff := cmp.Diff([]map[string]any{{"pid": 812.0, "path": myApp}}, got); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
	t.Run("taskinfo cut inside a process line", func(t *testing.T) {
		cut := task[:strings.Index(string(task), `"rolexd"`)+4]
		o := run(t, fstest.MapFS{"taskinfo.txt": {Data: cut}}, nil)
		if o.Status.State != module.Partial || !strings.Contains(problems(o), `taskinfo.txt line `) {
			t.Fatalf("status %s %v, want partial", o.Status.State, o.Status.Problems)
		}
		if got := moduletest.Project(o.List(t), "pid"); !cmp.Equal(got, []map[string]any{{"pid": 1.0}}) {
			t.Errorf("records %v, want launchd only", got)
		}
	})
	t.Run("huge lines", func(t *testing.T) {
		huge := "\n" + strings.Repeat("Z", 70<<10) + "\n"
		files := fstest.MapFS{
			"spindump-nosymbols.txt": {Data: []byte(strings.Replace(string(spin), "\n\n", huge, 1))},
			"taskinfo.txt":           {Data: []byte(strings.Replace(string(task), "\n\n", huge, 1))},
		}
		o := run(t, files, nil)
		if o.Status.State != module.Partial || strings.Count(problems(o), "line longer than 65536 bytes") != 2 || len(o.List(t)) != 6 {
			t.Fatalf("status %s %v, %d records; want partial, 2 long lines, 6 records", o.Status.State, o.Status.Problems, len(o.List(t)))
		}
	})
	t.Run("missing headers", func(t *testing.T) {
		noDate := strings.Join(strings.Split(string(spin), "\n")[2:], "\n")
		noCount := strings.TrimPrefix(string(task), "num tasks: 2\n")
		o := run(t, fstest.MapFS{"spindump-nosymbols.txt": {Data: []byte(noDate)}, "taskinfo.txt": {Data: []byte(noCount)}}, nil)
		okStatus(t, o)
		got := moduletest.Project(o.List(t), "pid", "start_time", "collection_time")
		want := []map[string]any{
			{"pid": 0.0, "start_time": "2024-03-14 06:26:55.123000", "collection_time": nil}, // Start time is absolute
			{"pid": 1.0, "start_time": nil, "collection_time": nil},
			{"pid": 9.0, "start_time": nil, "collection_time": nil},
			{"pid": 812.0, "start_time": nil, "collection_time": nil}, // Time Since Fork needs Date/Time
		}
		if diff := cmp.Diff(want, got[:4]); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
	t.Run("not listings", func(t *testing.T) {
		for name, reason := range map[string]string{"taskinfo.txt": "not a taskinfo listing", "spindump-nosymbols.txt": "not a spindump report"} {
			o := run(t, fstest.MapFS{name: {Data: []byte("\x00\x01 garbage\nmore: garbage\n")}}, nil)
			if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, reason) {
				t.Errorf("%s: status %s (%s), want failed: %s", name, o.Status.State, o.Status.Reason, reason)
			}
		}
	})
	t.Run("no samples", func(t *testing.T) {
		data := "Date/Time:        2024-03-14 09:26:55.123 +0100\nOS Version:       iPhone OS 17.4 (Build 21E219)\n\nNo samples\n\nSpindump binary format\n\x01\x02\x03"
		o := run(t, fstest.MapFS{"spindump-nosymbols.txt": {Data: []byte(data)}}, nil)
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Fatalf("status %s %v, %d records; want ok and none", o.Status.State, o.Status.Problems, len(o.List(t)))
		}
	})
}

func TestCensusChecks(t *testing.T) {
	const staging = "/private/var/db/com.apple.xpc.roleaccountd.staging"
	tests := []struct {
		name  string
		plant func(*fixture.SysdiagnoseSpec)
		ix    *ioc.Index
		want  []string
	}{
		{"taskinfo process hit", func(s *fixture.SysdiagnoseSpec) { fixture.PlantSysdiagnoseTaskinfoProcess(s, "rolexd", 5000) },
			moduletest.Index(string(ioc.Process), "rolexd"), []string{"CRITICAL ioc/process"}},
		{"taskinfo process miss", func(s *fixture.SysdiagnoseSpec) { fixture.PlantSysdiagnoseTaskinfoProcess(s, "rolexd2", 5000) },
			moduletest.Index(string(ioc.Process), "rolexd"), nil},
		{"spindump process hits", func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseSpindumpProcess(s, fixture.SysdiagnoseImplant, 5001)
		}, moduletest.Index(string(ioc.Process), "rolexd", string(ioc.FilePath), staging),
			[]string{"CRITICAL ioc/process", "HIGH ioc/file_path", "HIGH sysdiagnose_ps/suspicious-path"}},
		{"spindump process miss", func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseSpindumpProcess(s, "/usr/libexec/rolexd2", 5001)
		}, moduletest.Index(string(ioc.Process), "rolexd", string(ioc.FilePath), staging), nil},
		{"spindump image hits", func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseSpindumpImage(s, fixture.SysdiagnoseImplantLibrary)
		}, moduletest.Index(string(ioc.FilePath), staging),
			[]string{"HIGH ioc/file_path", "HIGH sysdiagnose_ps/suspicious-path"}},
		{"spindump image miss", func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseSpindumpImage(s, "/usr/lib/libsrvcore.dylib")
		}, moduletest.Index(string(ioc.FilePath), staging, string(ioc.FilePath), "/usr/lib/libsrv"), nil},
		{"image file name hit", func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseSpindumpImage(s, "/usr/lib/libsrvcore.dylib")
		}, moduletest.Index(string(ioc.FileName), "libsrvcore.dylib"), []string{"HIGH ioc/file_name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := small()
			spec.Spindump = []fixture.SpindumpProc{{PID: 41, Path: "/usr/libexec/UserEventAgent", Parent: "launchd", PPID: 1, Images: []fixture.SpindumpImage{dyld}}}
			tc.plant(&spec)
			o := run(t, fixture.SysdiagnoseFiles(spec), tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Fatalf("alerts (-want +got):\n%s", diff)
			}
			for _, a := range o.Alerts {
				if !a.EventTime.Equal(created) {
					t.Errorf("%s at %v, want the collection time", a.Check, a.EventTime)
				}
				if strings.Contains(tc.name, "image") && !strings.Contains(a.Message, "UserEventAgent [41]") {
					t.Errorf("%s message %q does not name the process that loaded the image", a.Check, a.Message)
				}
			}
		})
	}
}

func TestSamplePlantsEachSource(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	ix := moduletest.Index(string(ioc.Process), "rolexd", string(ioc.FilePath), "/private/var/db/com.apple.xpc.roleaccountd.staging")
	clean := fixture.SampleSysdiagnose(now, 40, 7)
	files := fixture.SysdiagnoseFiles(clean)
	for _, name := range []string{"ps.txt", "ps_thread.txt", "taskinfo.txt", "spindump-nosymbols.txt"} {
		if files[name] == nil {
			t.Fatalf("the sample has no %s", name)
		}
	}
	o := run(t, files, ix)
	okStatus(t, o)
	if len(o.Alerts) != 0 {
		t.Errorf("sample raised %v", summary(o.Alerts))
	}
	// Every process of the sample is listed in all four: one record each, no more.
	for _, rec := range o.List(t) {
		if _, ok := rec["pid"]; ok && len(rec["sources"].([]any)) != 4 {
			t.Errorf("record %v is not merged from the four listings", rec)
		}
	}
	tests := map[string]struct {
		plant func(*fixture.SysdiagnoseSpec)
		want  []string
	}{
		"all four": {func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseProcess(s, fixture.SysdiagnoseImplant, 31337)
		},
			[]string{"CRITICAL ioc/process", "HIGH ioc/file_path", "HIGH sysdiagnose_ps/suspicious-path"}},
		"taskinfo only": {func(s *fixture.SysdiagnoseSpec) { fixture.PlantSysdiagnoseTaskinfoProcess(s, "rolexd", 31337) },
			[]string{"CRITICAL ioc/process"}},
		"spindump process only": {func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseSpindumpProcess(s, fixture.SysdiagnoseImplant, 31337)
		},
			[]string{"CRITICAL ioc/process", "HIGH ioc/file_path", "HIGH sysdiagnose_ps/suspicious-path"}},
		"spindump image only": {func(s *fixture.SysdiagnoseSpec) {
			fixture.PlantSysdiagnoseSpindumpImage(s, fixture.SysdiagnoseImplantLibrary)
		},
			[]string{"HIGH ioc/file_path", "HIGH sysdiagnose_ps/suspicious-path"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			spec := fixture.SampleSysdiagnose(now, 40, 7)
			tc.plant(&spec)
			o := run(t, fixture.SysdiagnoseFiles(spec), ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			for _, a := range o.Alerts {
				if a.Level < alert.High {
					t.Errorf("unexpected %s %s", a.Level, a.Check)
				}
			}
		})
	}
	if sysdiagnoseps.New().Info().Version != 2 {
		t.Error("the records changed meaning: the module's version must be 2")
	}
}
