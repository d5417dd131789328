package sysdiagnosecrashes_test

import (
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
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnosecrashes"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	est = time.FixedZone("", -5*3600)
	t0  = time.Date(2021, 12, 8, 14, 17, 36, 0, est) // 19:17:36 UTC
)

const amongUs = "/private/var/containers/Bundle/Application/6C9C5A92-BC0D-476F-BCEF-8D4E0D5CAA40/AmongUs.app/AmongUs"

func run(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSSysdiagnose, files), ix, sysdiagnosecrashes.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s", a.Level, a.Check))
	}
	return out
}

func appCrash() fixture.IPSSpec {
	return fixture.IPSSpec{BugType: "309", AppName: "AmongUs", Time: t0, OSVersion: "iPhone OS 15.1 (19B74)",
		IncidentID: "D4E7538A-63F2-4116-8673-D9C0D9EE5A07", BundleID: "com.innersloth.amongus", ProcName: "AmongUs",
		ProcPath: amongUs, ParentProc: "launchd", ParentPID: 1, PID: 3723, ExceptionType: "EXC_CRASH", Signal: "SIGKILL"}
}

func TestRecords(t *testing.T) {
	legacy := fixture.IPSSpec{BugType: "109", AppName: "MobileSafari", Time: t0.Add(time.Hour), OSVersion: "iPhone OS 14.4 (18D52)",
		IncidentID: "11111111-2222-4333-8444-555555555555", BundleID: "com.apple.mobilesafari", ProcName: "MobileSafari",
		ProcPath: "/Applications/MobileSafari.app/MobileSafari", ParentProc: "launchd", ParentPID: 1, PID: 455,
		ExceptionType: "EXC_BAD_ACCESS", Signal: "SIGSEGV"}
	jetsam := fixture.IPSSpec{BugType: "298", Name: "JetsamEvent", Time: t0.Add(2 * time.Hour), OSVersion: "iPhone OS 15.1 (19B74)",
		IncidentID: "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE", ProcName: "com.apple.WebKit.WebContent", PID: 77}
	files := fixture.SysdiagnoseFiles(fixture.SysdiagnoseSpec{Crashes: []fixture.IPSFile{
		{Name: "AmongUs-2021-12-08-141736.ips", Spec: appCrash()},
		{Name: "Retired/MobileSafari-2021-12-08-151736.ips", Spec: legacy},
		{Name: "JetsamEvent-2021-12-08-161736.ips", Spec: jetsam},
	}})
	files["crashes_and_spins/.hidden.ips"] = &fstest.MapFile{Data: []byte("junk")}
	files["crashes_and_spins/notes.txt"] = &fstest.MapFile{Data: []byte("junk")}
	o := run(t, files, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v), want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	want := []map[string]any{
		{"file": "crashes_and_spins/AmongUs-2021-12-08-141736.ips", "bug_type": "309", "bug_type_name": "crash", "app_name": "AmongUs",
			"name": "AmongUs", "bundle_id": "com.innersloth.amongus", "proc_path": amongUs, "proc_name": "AmongUs", "parent_proc": "launchd",
			"pid": 3723.0, "timestamp": "2021-12-08 19:17:36.000000", "timestamp_local": "2021-12-08 14:17:36.00 -0500",
			"os_version": "iPhone OS 15.1 (19B74)", "incident_id": "D4E7538A-63F2-4116-8673-D9C0D9EE5A07",
			"exception_type": "EXC_CRASH", "exception_signal": "SIGKILL"},
		{"file": "crashes_and_spins/JetsamEvent-2021-12-08-161736.ips", "bug_type": "298", "bug_type_name": "jetsam", "app_name": "",
			"name": "JetsamEvent", "proc_path": "", "proc_name": "", "parent_proc": "", "pid": nil,
			"timestamp": "2021-12-08 21:17:36.000000", "timestamp_local": "2021-12-08 16:17:36.00 -0500",
			"os_version": "iPhone OS 15.1 (19B74)", "incident_id": "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"},
		{"file": "crashes_and_spins/Retired/MobileSafari-2021-12-08-151736.ips", "bug_type": "109", "bug_type_name": "crash",
			"app_name": "MobileSafari", "name": "MobileSafari", "bundle_id": "com.apple.mobilesafari",
			"proc_path": "/Applications/MobileSafari.app/MobileSafari", "proc_name": "MobileSafari", "parent_proc": "launchd", "pid": 455.0,
			"timestamp": "2021-12-08 20:17:36.000000", "timestamp_local": "2021-12-08 15:17:36.00 -0500",
			"os_version": "iPhone OS 14.4 (18D52)", "incident_id": "11111111-2222-4333-8444-555555555555",
			"exception_type": "EXC_BAD_ACCESS", "exception_signal": "SIGSEGV"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2021-12-08 19:17:36.000000","SysdiagnoseCrashes","crash_report","crash of AmongUs (EXC_CRASH SIGKILL) in crashes_and_spins/AmongUs-2021-12-08-141736.ips"`,
		`"2021-12-08 20:17:36.000000","SysdiagnoseCrashes","crash_report","crash of MobileSafari (EXC_BAD_ACCESS SIGSEGV) in crashes_and_spins/Retired/MobileSafari-2021-12-08-151736.ips"`,
		`"2021-12-08 21:17:36.000000","SysdiagnoseCrashes","crash_report","jetsam JetsamEvent in crashes_and_spins/JetsamEvent-2021-12-08-161736.ips"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}
}

func TestNumericBugTypeAndCaptureTime(t *testing.T) {
	data := `{"bug_type":288,"name":"stacks","os_version":"iPhone OS 17.4 (21E219)","incident_id":"X"}` + "\n" +
		`{"captureTime":"2024-03-01 10:00:00.1234 +0100","procName":"SpringBoard"}`
	o := run(t, fstest.MapFS{"crashes_and_spins/stacks-2024-03-01-100000.ips": {Data: []byte(data)}}, nil)
	got := moduletest.Project(o.List(t), "bug_type", "bug_type_name", "timestamp", "timestamp_local", "proc_name")
	want := []map[string]any{{"bug_type": "288", "bug_type_name": "stackshot", "timestamp": "2024-03-01 09:00:00.123400",
		"timestamp_local": "", "proc_name": "SpringBoard"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestAbsent(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"empty":       {},
		"hidden only": {"crashes_and_spins/._x.ips": {Data: []byte("{}")}},
		"too deep":    {"crashes_and_spins/a/b/c/x.ips": {Data: fixture.IPSReport(appCrash())}},
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
	good := fixture.IPSReport(appCrash())
	t.Run("not a report", func(t *testing.T) {
		o := run(t, fstest.MapFS{"crashes_and_spins/a.ips": {Data: []byte("Incident Identifier: x\n")}}, nil)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not a crash report") {
			t.Fatalf("status %s (%s), want failed: not a crash report", o.Status.State, o.Status.Reason)
		}
	})
	t.Run("one bad of two", func(t *testing.T) {
		o := run(t, fstest.MapFS{"crashes_and_spins/a.ips": {Data: []byte("{\"bug_type\":")}, "crashes_and_spins/b.ips": {Data: good}}, nil)
		if o.Status.State != module.Partial || len(o.List(t)) != 1 {
			t.Fatalf("status %s %v, %d records; want partial with 1 record", o.Status.State, o.Status.Problems, len(o.List(t)))
		}
		if !strings.Contains(o.Status.Problems[0], `"crashes_and_spins/a.ips"`) {
			t.Errorf("problem %q does not name the file", o.Status.Problems[0])
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		data := good[:len(good)-40]
		o := run(t, fstest.MapFS{"crashes_and_spins/a.ips": {Data: data}}, nil)
		if o.Status.State != module.Partial || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], "bad JSON body") {
			t.Fatalf("status %s %v; want partial: bad JSON body", o.Status.State, o.Status.Problems)
		}
		got := moduletest.Project(o.List(t), "app_name", "proc_path", "timestamp")
		want := []map[string]any{{"app_name": "AmongUs", "proc_path": "", "timestamp": "2021-12-08 19:17:36.000000"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
	t.Run("hostile values", func(t *testing.T) {
		data := `{"bug_type":{"x":1},"timestamp":"99999-01-01 00:00:00 +9999","app_name":"` + strings.Repeat("A", 10000) + `"}` + "\n" +
			"Process: x [notanumber]\nPath\nException Type:\n" + strings.Repeat("[", 100000)
		o := run(t, fstest.MapFS{"crashes_and_spins/a.ips": {Data: []byte(data)}}, nil)
		if o.Status.State != module.OK {
			t.Fatalf("status %s (%s %v)", o.Status.State, o.Status.Reason, o.Status.Problems)
		}
		r := o.List(t)[0]
		if r["bug_type"] != "" || r["timestamp"] != nil || len(r["app_name"].(string)) != 4096 || r["proc_name"] != "x [notanumber]" || r["pid"] != nil {
			t.Errorf("record %v", moduletest.Project([]map[string]any{r}, "bug_type", "timestamp", "proc_name", "pid"))
		}
	})
}

func TestIndicators(t *testing.T) {
	files := fixture.SysdiagnoseFiles(fixture.SysdiagnoseSpec{Crashes: []fixture.IPSFile{{Name: "AmongUs.ips", Spec: appCrash()}}})
	t.Run("process hit", func(t *testing.T) {
		o := run(t, files, moduletest.Index(string(ioc.Process), "AmongUs"))
		got := o.AlertsOf("ioc/process")
		if len(got) != 1 || got[0].Level != alert.Critical {
			t.Fatalf("alerts %v, want one CRITICAL ioc/process", summary(o.Alerts))
		}
		if want := "2021-12-08 19:17:36"; !strings.HasPrefix(got[0].EventTime.String(), want) {
			t.Errorf("event time %s, want %s", got[0].EventTime, want)
		}
		moduletest.Reload(t, o, moduletest.Index(string(ioc.Process), "AmongUs"), sysdiagnosecrashes.New())
	})
	t.Run("file path hit", func(t *testing.T) {
		o := run(t, files, moduletest.Index(string(ioc.FilePath), "/private/var/containers/Bundle/Application/6C9C5A92-BC0D-476F-BCEF-8D4E0D5CAA40"))
		if got := o.AlertsOf("ioc/file_path"); len(got) != 1 || got[0].Level != alert.High {
			t.Fatalf("alerts %v, want one HIGH ioc/file_path", summary(o.Alerts))
		}
		moduletest.Reload(t, o, moduletest.Index(string(ioc.FilePath), "/private/var/containers/Bundle/Application/6C9C5A92-BC0D-476F-BCEF-8D4E0D5CAA40"), sysdiagnosecrashes.New())
	})
	t.Run("misses", func(t *testing.T) {
		o := run(t, files, moduletest.Index(string(ioc.Process), "Among", string(ioc.FilePath), "/private/var/containers/Bundle/Application/6C9C"))
		if len(o.Alerts) != 0 {
			t.Fatalf("alerts %v, want none", summary(o.Alerts))
		}
	})
	t.Run("jetsam report name is not a process", func(t *testing.T) {
		jf := fixture.SysdiagnoseFiles(fixture.SysdiagnoseSpec{Crashes: []fixture.IPSFile{{Name: "J.ips",
			Spec: fixture.IPSSpec{BugType: "298", Name: "JetsamEvent", Time: t0}}}})
		o := run(t, jf, moduletest.Index(string(ioc.Process), "JetsamEvent"))
		if len(o.Alerts) != 0 {
			t.Fatalf("alerts %v, want none", summary(o.Alerts))
		}
	})
}

func TestExploitTarget(t *testing.T) {
	at := time.Date(2021, 7, 10, 12, 34, 56, 0, time.FixedZone("", 2*3600))
	t.Run("true positive", func(t *testing.T) {
		var spec fixture.SysdiagnoseSpec
		fixture.PlantSysdiagnoseExploitCrash(&spec, at)
		o := run(t, fixture.SysdiagnoseFiles(spec), nil)
		got := o.AlertsOf(sysdiagnosecrashes.ExploitTarget.ID)
		if len(got) != 1 || got[0].Level != alert.Medium || len(o.Alerts) != 1 {
			t.Fatalf("alerts %v, want one MEDIUM %s", summary(o.Alerts), sysdiagnosecrashes.ExploitTarget.ID)
		}
		want := "IMTranscoderAgent, iMessage's attachment transcoder, crashed with EXC_BAD_ACCESS (SIGSEGV) on 2021-07-10 10:34:56.000000; " +
			"zero-click exploits attack this process (crashes_and_spins/IMTranscoderAgent-2021-07-10-123456.ips)"
		if got[0].Message != want {
			t.Errorf("message %q, want %q", got[0].Message, want)
		}
		moduletest.Reload(t, o, nil, sysdiagnosecrashes.New())
	})
	t.Run("legacy text crash", func(t *testing.T) {
		s := appCrash()
		s.BugType, s.AppName, s.ProcName, s.ProcPath = "109", "com.apple.WebKit.WebContent", "com.apple.WebKit.WebContent", "/System/Library/Frameworks/WebKit.framework/XPCServices/com.apple.WebKit.WebContent.xpc/com.apple.WebKit.WebContent"
		o := run(t, fixture.SysdiagnoseFiles(fixture.SysdiagnoseSpec{Crashes: []fixture.IPSFile{{Name: "w.ips", Spec: s}}}), nil)
		if got := o.AlertsOf(sysdiagnosecrashes.ExploitTarget.ID); len(got) != 1 {
			t.Fatalf("alerts %v, want one %s", summary(o.Alerts), sysdiagnosecrashes.ExploitTarget.ID)
		}
		moduletest.Reload(t, o, nil, sysdiagnosecrashes.New())
	})
	t.Run("false positives", func(t *testing.T) {
		jetsam := fixture.IPSSpec{BugType: "298", Name: "JetsamEvent", Time: at, ProcName: "IMTranscoderAgent"}
		stack := fixture.IPSSpec{BugType: "288", AppName: "imagent", Time: at, ProcName: "imagent"}
		lookalike := appCrash()
		lookalike.AppName, lookalike.ProcName = "IMTranscoderAgentHelper", "IMTranscoderAgentHelper"
		o := run(t, fixture.SysdiagnoseFiles(fixture.SysdiagnoseSpec{Crashes: []fixture.IPSFile{
			{Name: "a.ips", Spec: jetsam}, {Name: "b.ips", Spec: stack}, {Name: "c.ips", Spec: lookalike}, {Name: "d.ips", Spec: appCrash()},
		}}), nil)
		if len(o.Alerts) != 0 {
			t.Fatalf("alerts %v, want none", summary(o.Alerts))
		}
	})
}

func TestSampleIsClean(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	spec := fixture.SampleSysdiagnose(now, 30, 3)
	o := run(t, fixture.SysdiagnoseFiles(spec), moduletest.Index(string(ioc.Process), "rolexd"))
	if o.Status.State != module.OK || len(o.List(t)) != len(spec.Crashes) || len(spec.Crashes) < 5 {
		t.Fatalf("status %s, %d records of %d", o.Status.State, len(o.List(t)), len(spec.Crashes))
	}
	if len(o.Alerts) != 0 {
		t.Errorf("sample raised %v", summary(o.Alerts))
	}
}
