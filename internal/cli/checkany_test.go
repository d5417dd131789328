package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
)

// TestCheckRecognisesTheEvidence gives spytrace check each kind of evidence under a
// misleading name: it says what it found, runs that kind's check (the same alerts as
// the specific command), and refuses what it does not know with the list of what it
// reads.
func TestCheckRecognisesTheEvidence(t *testing.T) {
	d := demoCopy(t)
	iosIOCs := d.Indicators
	aqfIOCs := androidIndicators(t)
	dir := t.TempDir()

	// An iOS backup folder named like a bug report.
	disguised := filepath.Join(dir, "bugreport.zip")
	if err := os.Rename(d.Backup, disguised); err != nil {
		t.Fatal(err)
	}
	// An age-encrypted androidqf collection named like a photo.
	_, agePath, identity := writeCollection(t, true)
	photo := filepath.Join(dir, "holiday.jpg")
	data, err := os.ReadFile(agePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// An adb backup named like a PDF.
	ab, _, err := fixture.ScenarioAndroidBackup(true, "")
	if err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "minutes.pdf")
	if err := os.WriteFile(pdf, ab, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path, command, what string
		extra                     []string
		iocs                      string
		planted                   map[string]int
	}{
		{"ios backup", disguised, "ios check-backup", "iOS backup", nil, iosIOCs, nil},
		{"androidqf age", photo, "android check-androidqf", "androidqf", []string{"--age-identity", identity}, aqfIOCs, aqfPlanted()},
		{"android backup", pdf, "android check-backup", "Android backup", nil, aqfIOCs, backupPlanted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			args := append([]string{"check", "-i", tc.iocs, "-o", out}, tc.extra...)
			code, _, stderr := run(t, append(args, tc.path)...)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "running spytrace "+tc.command) || !strings.Contains(stderr, tc.what) {
				t.Errorf("stderr does not say what was found:\n%s", stderr)
			}
			var info struct{ Command string }
			data, _ := os.ReadFile(filepath.Join(out, "info.json"))
			json.Unmarshal(data, &info)
			if info.Command != tc.command {
				t.Errorf("info.json command %q, want %q", info.Command, tc.command)
			}
			if tc.planted != nil {
				if diff := cmp.Diff(tc.planted, foundAlerts(t, out)); diff != "" {
					t.Errorf("alerts (-planted +found):\n%s", diff)
				}
			}
			if _, err := os.Stat(filepath.Join(out, ReportFile)); err != nil {
				t.Error(err)
			}
			if tc.name == "ios backup" {
				// The results folder itself is recognised and re-checked.
				code, stdout, stderr := run(t, "check", "-i", tc.iocs, out)
				if code != ExitClean || !strings.Contains(stdout, ", 0 new -> ") || !strings.Contains(stderr, "running spytrace check-iocs") {
					t.Errorf("results folder: exit %d\n%s%s", code, stdout, stderr)
				}
				if code, _, stderr := run(t, "check", "-o", filepath.Join(t.TempDir(), "x"), out); code != ExitUsage || !strings.Contains(stderr, "re-checked in place") {
					t.Errorf("results folder with --output: exit %d\n%s", code, stderr)
				}
			}
		})
	}

	unknown := filepath.Join(dir, "notes")
	writeFiles(t, unknown, map[string]string{"a.txt": "hello", "b.txt": "world"})
	code, _, stderr := run(t, "check", unknown)
	if code != ExitUsage || !strings.Contains(stderr, "iOS backup") || !strings.Contains(stderr, "androidqf") {
		t.Errorf("unknown input: exit %d\n%s", code, stderr)
	}
	code, stdout, _ := run(t, "check", "--list-modules")
	if code != ExitClean || !strings.Contains(stdout, "ios-backup") || !strings.Contains(stdout, "androidqf") {
		t.Errorf("--list-modules: exit %d\n%s", code, stdout)
	}
}
