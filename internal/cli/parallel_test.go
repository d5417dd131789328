package cli

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
)

// TestParallelRunsAgree checks every kind of evidence twice at the same time, on the
// same files, into two results folders: both folders must be identical (the runs share
// no temporary file and no state), and the evidence unchanged. Run under the race
// detector (go test -race -run TestParallelRunsAgree ./internal/cli, as .ci/run does),
// it also proves the engine, the openers and the modules free of data races.
func TestParallelRunsAgree(t *testing.T) {
	d := demoCopy(t)
	aqfIOCs := androidIndicators(t)
	dump, _ := writeDump(t, true)
	root := filepath.Join(t.TempDir(), "sysdiagnose")
	sysdiagnose, _, err := fixture.WriteScenarioSysdiagnose(root, true)
	if err != nil {
		t.Fatal(err)
	}
	bugreport, _, err := fixture.WriteScenarioBugreport(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	ab, _, err := fixture.ScenarioAndroidBackup(true, "")
	if err != nil {
		t.Fatal(err)
	}
	abPath := filepath.Join(t.TempDir(), "backup.ab")
	if err := os.WriteFile(abPath, ab, 0o644); err != nil {
		t.Fatal(err)
	}
	_, agePath, identity := writeCollection(t, true)

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ios backup", []string{"ios", "check-backup", "-i", d.Indicators, d.Backup}},
		{"ios dump", []string{"ios", "check-fs", "-i", d.Indicators, dump}},
		{"sysdiagnose", []string{"ios", "check-sysdiagnose", "-i", d.Indicators, filepath.Dir(sysdiagnose)}},
		{"bug report", []string{"android", "check-bugreport", "-i", aqfIOCs, bugreport}},
		{"android backup", []string{"android", "check-backup", "-i", aqfIOCs, abPath}},
		{"androidqf", []string{"android", "check-androidqf", "-i", aqfIOCs, "--age-identity", identity, agePath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evidence := tc.args[len(tc.args)-1]
			before := hashTree(t, evidence)
			outs := [2]string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
			var wg sync.WaitGroup
			codes := [2]int{}
			for i := range outs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					args := append([]string{tc.args[0], tc.args[1], "-q", "-o", outs[i]}, tc.args[2:]...)
					codes[i], _, _ = run(t, args...)
				}()
			}
			wg.Wait()
			if codes[0] != ExitAlerts || codes[1] != ExitAlerts {
				t.Fatalf("exit statuses %v", codes)
			}
			a, b := folderFiles(t, outs[0]), folderFiles(t, outs[1])
			if len(a) < 5 {
				t.Fatalf("only %d files in the results folder", len(a))
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("two runs at once differ (-first +second):\n%s", diff)
			}
			if diff := cmp.Diff(before, hashTree(t, evidence)); diff != "" {
				t.Errorf("the evidence changed:\n%s", diff)
			}
		})
	}
}

// folderFiles returns the files of a results folder by name, without command.log (its
// lines carry the wall-clock time).
func folderFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "command.log" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}
