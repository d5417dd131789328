package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
)

// TestLimitsAreSettingsAndFindings lowers each limit on a check: the run still ends with
// its results folder, the module or the acquisition says what was cut, and an alert
// reports the limit reached.
func TestLimitsAreSettingsAndFindings(t *testing.T) {
	d := demoCopy(t)
	bugreport, _, err := fixture.WriteScenarioBugreport(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, limit, check, module string
		args                       []string
	}{
		{"records", "records=3", "limit/records", "sms", []string{"ios", "check-backup", d.Backup}},
		{"file bytes", "file-bytes=64B", "limit/file-bytes", "backup_info", []string{"ios", "check-backup", d.Backup}},
		{"entries", "entries=5", "limit/acquisition", "acquisition", []string{"android", "check-bugreport", bugreport}},
		{"alerts", "alerts=2", "limit/alerts", "configuration_profiles", []string{"ios", "check-backup", d.Backup}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			args := append([]string{tc.args[0], tc.args[1], "-q", "--no-default-iocs", "--fail-level", "NONE", "--limit", tc.limit, "-o", out}, tc.args[2:]...)
			code, _, stderr := run(t, args...)
			if code != ExitClean {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			found := false
			for _, a := range readAlerts(t, out) {
				if a["check"] == tc.check && a["module"] == tc.module && a["level"] == "MEDIUM" {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s alert for %s", tc.check, tc.module)
			}
			if _, err := os.Stat(filepath.Join(out, ReportFile)); err != nil {
				t.Error(err)
			}
		})
	}
	code, _, stderr := run(t, "ios", "check-backup", "--limit", "speed=9", "-o", filepath.Join(t.TempDir(), "x"), d.Backup)
	if code != ExitUsage || !strings.Contains(stderr, `unknown limit "speed"`) {
		t.Errorf("unknown limit: exit %d\n%s", code, stderr)
	}
}
