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
