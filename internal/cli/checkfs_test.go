package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
)

// writeDump writes the demo scenario as a file-system dump folder, with a shutdown.log
// holding a process run from Pegasus's staging folder and a netusage.sqlite holding
// the demo's process, and returns the folder and the demo's indicators.
func writeDump(t *testing.T) (string, string) {
	t.Helper()
	d := demoCopy(t)
	b, _, err := fixture.DemoBackup()
	if err != nil {
		t.Fatal(err)
	}
	sl := fixture.SampleShutdownLog(fixture.Epoch, 20, 1)
	fixture.PlantShutdownStickyProcess(&sl, "/private/var/db/com.apple.xpc.roleaccountd.staging/"+fixture.DemoDeletedProc, fixture.DemoAttack.Add(30*time.Minute))
	nu := fixture.SampleDataUsage(fixture.Epoch, 30, 1)
	fixture.PlantProcess(&nu, fixture.DemoProcess, "", fixture.DemoAttack.Add(7*time.Minute))
	nuDB, nuWAL, err := fixture.NetUsageFiles(nu)
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string][]byte{fixture.ShutdownLogFilesystemPath: fixture.ShutdownLogText(sl), fixture.NetUsagePath: nuDB}
	if nuWAL != nil {
		extra[fixture.NetUsagePath+"-wal"] = nuWAL
	}
	dir := filepath.Join(t.TempDir(), "dump")
	if err := b.WriteFilesystem(dir, extra); err != nil {
		t.Fatal(err)
	}
	return dir, d.Indicators
}

// TestCheckFS checks a dump as a folder, a tar and a tar.gz: the backup modules find
// their planted traces through the domain names, the dump-only modules theirs, and the
// evidence is unchanged.
func TestCheckFS(t *testing.T) {
	dir, iocs := writeDump(t)
	archives := t.TempDir()
	inputs := map[string]string{"folder": dir}
	for name, gz := range map[string]bool{"dump.tar": false, "dump.tar.gz": true} {
		p := filepath.Join(archives, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := fixture.TarDirectory(dir, f, gz); err != nil {
			t.Fatal(err)
		}
		f.Close()
		inputs[name] = p
	}
	before := hashTree(t, dir)
	want := []string{
		"sms ioc/domain CRITICAL", "sms sms/threat-notification HIGH", "safari_history safari_history/fast-redirect MEDIUM",
		"whatsapp ioc/domain CRITICAL", "datausage datausage/deleted-process HIGH", "tcc tcc/path-client-sensitive MEDIUM",
		"chrome_history ioc/domain CRITICAL", "firefox_history ioc/domain CRITICAL",
		"shutdown_log shutdown_log/suspicious-path HIGH", "shutdown_log ioc/process CRITICAL", "netusage ioc/process CRITICAL",
		"filesystem ioc/file_name HIGH", // roleaccountd.plist, staged by the demo in DatabaseDomain
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, _, stderr := run(t, "ios", "check-fs", "-q", "-i", iocs, "-o", out, input)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			found := map[string]bool{}
			for _, a := range readAlerts(t, out) {
				found[a["module"].(string)+" "+a["check"].(string)+" "+a["level"].(string)] = true
			}
			var missing []string
			for _, w := range want {
				if !found[w] {
					missing = append(missing, w)
				}
			}
			if len(missing) > 0 {
				t.Errorf("traces not found in the %s dump: %q", name, missing)
			}
		})
	}
	if diff := cmp.Diff(before, hashTree(t, dir)); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
}

// TestCheckSysdiagnose checks a sysdiagnose archive (its folder and its .tar.gz, with the
// phone's top folder) with a planted process, crash and shutdown.log, and its clean twin.
func TestCheckSysdiagnose(t *testing.T) {
	d := demoCopy(t)
	build := func(attack bool) (string, string) {
		spec := fixture.SampleSysdiagnose(fixture.Epoch, 40, 3)
		sl := fixture.SampleShutdownLog(fixture.Epoch, 15, 3)
		if attack {
			fixture.PlantSysdiagnoseProcess(&spec, fixture.SysdiagnoseImplant, 4242)
			fixture.PlantSysdiagnoseExploitCrash(&spec, fixture.DemoAttack)
			fixture.PlantShutdownStickyProcess(&sl, fixture.SysdiagnoseImplant, fixture.DemoAttack.Add(time.Hour))
		}
		files := fixture.SysdiagnoseFiles(spec)
		root := filepath.Join(t.TempDir(), "in")
		top := filepath.Join(root, "sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone_21D61")
		write := func(name string, data []byte) {
			p := filepath.Join(top, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for name, f := range files {
			write(name, f.Data)
		}
		write(fixture.ShutdownLogSysdiagnosePath, fixture.ShutdownLogText(sl))
		archive := filepath.Join(t.TempDir(), "sysdiagnose.tar.gz")
		f, err := os.Create(archive)
		if err != nil {
			t.Fatal(err)
		}
		if err := fixture.TarDirectory(root, f, true); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return top, archive
	}
	folder, archive := build(true)
	before := hashTree(t, folder)
	want := []string{"sysdiagnose_ps sysdiagnose_ps/suspicious-path HIGH", "sysdiagnose_crashes sysdiagnose_crashes/exploit-target MEDIUM",
		"shutdown_log shutdown_log/suspicious-path HIGH"}
	for name, input := range map[string]string{"folder": filepath.Dir(folder), "tar.gz": archive} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, _, stderr := run(t, "ios", "check-sysdiagnose", "-q", "-i", d.Indicators, "-o", out, input)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			found := map[string]bool{}
			for _, a := range readAlerts(t, out) {
				found[a["module"].(string)+" "+a["check"].(string)+" "+a["level"].(string)] = true
			}
			for _, w := range want {
				if !found[w] {
					t.Errorf("planted trace not found: %q (got %v)", w, found)
				}
			}
		})
	}
	if diff := cmp.Diff(before, hashTree(t, folder)); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
	// The clean twin raises nothing severe.
	_, clean := build(false)
	out := filepath.Join(t.TempDir(), "clean")
	code, _, stderr := run(t, "ios", "check-sysdiagnose", "-q", "-i", d.Indicators, "-o", out, clean)
	if code != ExitClean {
		t.Errorf("clean twin: exit %d\n%s", code, stderr)
	}
	for _, a := range readAlerts(t, out) {
		if lv := a["level"]; lv == "HIGH" || lv == "CRITICAL" {
			t.Errorf("severe alert on the clean twin: %v", a["message"])
		}
	}
}
