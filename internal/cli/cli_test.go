package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/report/results"
)

// run runs spytrace in-process with a clean environment: no SPYTRACE_IOCS, a data
// folder of its own, a fixed clock.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWithData(t, t.TempDir(), args...)
}

// testEnv is the environment of an in-process run: stdout and stderr into out and
// errb, a clean environment but for the data folder, a fixed clock.
func testEnv(t *testing.T, data string, out, errb *bytes.Buffer) *env {
	return &env{
		stdout: out, stderr: errb,
		getenv: func(k string) string {
			if k == "SPYTRACE_DATA_DIR" {
				return data
			}
			return ""
		},
		now:  func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		home: t.TempDir(),
	}
}

// runWithData runs spytrace in-process like run, with the data folder given.
func runWithData(t *testing.T, data string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = testEnv(t, data, &out, &errb).run(context.Background(), args)
	return code, out.String(), errb.String()
}

var (
	demoOnce sync.Once
	demo     *fixture.Demo
	demoErr  error
)

// demoCopy returns a fresh copy of the demo acquisition (built once per test binary).
func demoCopy(t *testing.T) *fixture.Demo {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spytrace-cli-test-")
		if err != nil {
			demoErr = err
			return
		}
		demo, demoErr = fixture.BuildDemo(dir)
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(filepath.Dir(filepath.Dir(demo.Backup)))); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(filepath.Dir(filepath.Dir(demo.Backup)), demo.Backup)
	return &fixture.Demo{Backup: filepath.Join(dst, rel), Indicators: filepath.Join(dst, filepath.Base(demo.Indicators)), Traces: demo.Traces}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demo != nil {
		os.RemoveAll(filepath.Dir(filepath.Dir(demo.Backup)))
	}
	os.Exit(code)
}

// hashTree hashes every file and folder of dir: content, size, mode and modification
// time, so that any change to the evidence shows (hashEvidence: links and pipes by
// their metadata only).
func hashTree(t *testing.T, dir string) map[string]string { return hashEvidence(t, dir) }

func readAlerts(t *testing.T, dir string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var alerts []map[string]any
	if err := json.Unmarshal(data, &alerts); err != nil {
		t.Fatal(err)
	}
	return alerts
}

// TestCheckBackupEndToEnd checks the demo backup through the whole CLI: every planted
// trace is found, the results folder is complete, the evidence is unchanged.
func TestCheckBackupEndToEnd(t *testing.T) {
	d := demoCopy(t)
	before := hashTree(t, filepath.Dir(d.Backup))
	out := filepath.Join(t.TempDir(), "results")
	code, stdout, stderr := run(t, "ios", "check-backup", "--iocs", d.Indicators, "--output", out, d.Backup)
	if code != ExitAlerts {
		t.Fatalf("exit status %d, want %d (alerts at HIGH or above)\n%s", code, ExitAlerts, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout must stay empty for a check, got %q", stdout)
	}
	if diff := cmp.Diff(before, hashTree(t, filepath.Dir(d.Backup))); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
	for _, want := range []string{"alerts: ", "CRITICAL", "results in " + out} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// Every planted trace, by the check that must find it: one trace per module and per
	// heuristic (fixture.ScenarioBackup), and nothing else.
	checks := map[string]int{}
	for _, a := range readAlerts(t, out) {
		checks[a["module"].(string)+" "+a["check"].(string)+" "+a["level"].(string)]++
	}
	want := map[string]int{}
	for _, w := range []string{
		"backup_info backup_info/outdated-ios LOW",
		"manifest ioc/file_name HIGH", "manifest manifest/crashreporter-plist LOW",
		"configuration_profiles ioc/profile CRITICAL", "configuration_profiles configuration_profiles/notification-settings MEDIUM",
		"configuration_profiles configuration_profiles/root-certificate MEDIUM", "configuration_profiles configuration_profiles/network-traffic LOW",
		"configuration_profiles configuration_profiles/mdm-enrollment LOW",
		"profile_events profile_events/operation LOW",
		"global_preferences global_preferences/lockdown-mode LOW",
		"applications ioc/process CRITICAL", "applications applications/not-from-app-store MEDIUM",
		"applications applications/alternative-marketplace LOW", "applications applications/testflight LOW", "applications applications/computer-sync LOW",
		"sms ioc/domain CRITICAL", "sms ioc/email CRITICAL", "sms sms/threat-notification HIGH",
		"sms_attachments sms_attachments/suspicious-attachment MEDIUM",
		"calls ioc/email CRITICAL", "contacts ioc/domain CRITICAL",
		"calendar ioc/email CRITICAL", "calendar calendar/exploit-invite HIGH",
		"whatsapp ioc/domain CRITICAL", "interaction_c ioc/email CRITICAL", "shortcuts ioc/domain CRITICAL",
		"safari_history ioc/domain CRITICAL", "safari_history safari_history/fast-redirect MEDIUM",
		"safari_browser_state ioc/domain CRITICAL",
		"chrome_history ioc/domain CRITICAL", "chrome_history chrome_history/fast-redirect MEDIUM", "chrome_favicon ioc/domain CRITICAL",
		"firefox_history ioc/domain CRITICAL", "firefox_favicon ioc/domain CRITICAL",
		"webkit_resource_load_statistics ioc/domain CRITICAL",
		"webkit_session_resource_log ioc/domain CRITICAL", "webkit_session_resource_log webkit_session_resource_log/suspicious-redirect HIGH",
		"datausage ioc/process CRITICAL", "datausage ioc/process CRITICAL", // bh, BackupAgent
		"datausage datausage/deleted-process HIGH", "datausage datausage/missing-process LOW",
		"os_analytics_ad_daily ioc/process CRITICAL", "os_analytics_ad_daily ioc/process CRITICAL", // bh, BackupAgent
		"locationd_clients ioc/process HIGH",
		"id_status_cache ioc/email CRITICAL", "id_status_cache ioc/email CRITICAL", "id_status_cache id_status_cache/nul-bytes HIGH",
		"tcc ioc/process CRITICAL", "tcc tcc/path-client-sensitive MEDIUM",
		"triangulation triangulation/backupagent-network HIGH", "triangulation triangulation/co-occurrence MEDIUM",
	} {
		want[w]++
	}
	if diff := cmp.Diff(want, checks); diff != "" {
		t.Errorf("alerts by module, check and level (-planted +found):\n%s", diff)
	}
	assertRecheckReproduces(t, out, d.Indicators)
	// whatsapp_contacts has no check: its planted contact shows in interaction_c, which
	// resolves the WhatsApp interaction through it.
	if data, err := os.ReadFile(filepath.Join(out, "interaction_c.json")); err != nil || !strings.Contains(string(data), `"sender_resolved_name":"Support Desk"`) {
		t.Errorf("the WhatsApp interaction is not resolved through whatsapp_contacts (%v)", err)
	}
	files := []string{"alerts.json", "alerts_timeline.csv", "timeline.csv", "urls.json", "info.json", "command.log",
		"sms_detected.json", "datausage_detected.json"}
	for _, m := range list.ForKind(acquire.IOSBackup) {
		files = append(files, m.Info().Name+".json")
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("results folder lacks %s", f)
		}
	}
	var info results.Info
	data, _ := os.ReadFile(filepath.Join(out, "info.json"))
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if len(info.IOCFiles) != 1 || len(info.IndicatorFiles) != 1 || len(info.IndicatorFiles[0].SHA256) != 64 {
		t.Errorf("indicator files in info.json = %+v", info.IndicatorFiles)
	}
	hashed := map[string]bool{}
	for _, h := range info.Hashes {
		hashed[h.Name] = len(h.SHA256) == 64
	}
	for _, name := range []string{"Manifest.db", "Info.plist", "HomeDomain/Library/SMS/sms.db", "HomeDomain/Library/SMS/sms.db-wal", "WirelessDomain/Library/Databases/DataUsage.sqlite"} {
		if !hashed[name] {
			t.Errorf("info.json has no SHA-256 of %s", name)
		}
	}
	for _, m := range info.Modules {
		if m.Status != "ok" {
			t.Errorf("module %s: %s (%s)", m.Name, m.Status, m.Reason)
		}
	}
	// Rows that exist only in sms.db-wal are reported.
	var msgs []map[string]any
	data, _ = os.ReadFile(filepath.Join(out, "sms.json"))
	if err := json.Unmarshal(data, &msgs); err != nil {
		t.Fatal(err)
	}
	if !walRowsReported(t, d, msgs) {
		t.Error("messages committed only in sms.db-wal are missing from sms.json")
	}
}

// walRowsReported checks that the highest message ROWIDs, which SampleSMS writes only
// into the WAL, are in the records.
func walRowsReported(t *testing.T, d *fixture.Demo, msgs []map[string]any) bool {
	t.Helper()
	spec := fixture.SampleSMS(fixture.Epoch, 300, 2021)
	var walIDs []int64
	for _, m := range spec.Messages {
		if m.WALOnly {
			walIDs = append(walIDs, m.ROWID)
		}
	}
	if len(walIDs) == 0 {
		t.Fatal("the sample has no WAL-only message: the test proves nothing")
	}
	got := map[int64]bool{}
	for _, m := range msgs {
		if id, ok := m["ROWID"].(float64); ok {
			got[int64(id)] = true
		}
	}
	for _, id := range walIDs {
		if !got[id] {
			return false
		}
	}
	return true
}

// logTime matches the time that starts each command.log line.
var logTime = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} - `)

// TestSameInputSameBytes runs the same check twice and compares the folders byte for
// byte, apart from the run date and the log times.
func TestSameInputSameBytes(t *testing.T) {
	d := demoCopy(t)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, out := range []string{a, b} {
		if code, _, stderr := run(t, "ios", "check-backup", "-q", "-i", d.Indicators, "-o", out, d.Backup); code != ExitAlerts {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	names := func(dir string) []string {
		ents, _ := os.ReadDir(dir)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out
	}
	if diff := cmp.Diff(names(a), names(b)); diff != "" {
		t.Fatalf("file lists differ:\n%s", diff)
	}
	for _, n := range names(a) {
		da, _ := os.ReadFile(filepath.Join(a, n))
		db, _ := os.ReadFile(filepath.Join(b, n))
		if n == "command.log" {
			da, db = logTime.ReplaceAll(da, nil), logTime.ReplaceAll(db, nil)
			da = bytes.ReplaceAll(da, []byte(a), []byte("OUT"))
			db = bytes.ReplaceAll(db, []byte(b), []byte("OUT"))
		}
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between two runs on the same input:\n%s", n, firstDiff(string(da), string(db)))
		}
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  " + la[i] + "\n  " + lb[i]
		}
	}
	return "lengths differ"
}

func TestExitStatuses(t *testing.T) {
	d := demoCopy(t)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"fail_level_none", []string{"--fail-level", "none"}, ExitClean},
		{"fail_level_critical", []string{"--fail-level", "CRITICAL"}, ExitAlerts},
		{"only_global_preferences_has_no_high_alert", []string{"-m", "global_preferences"}, ExitClean},
		{"bad_fail_level", []string{"--fail-level", "SEVERE"}, ExitUsage},
		{"unknown_module", []string{"-m", "nope"}, ExitUsage},
		{"unknown_flag", []string{"--frobnicate"}, ExitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"ios", "check-backup", "-q", "-i", d.Indicators, "-o", filepath.Join(t.TempDir(), "r")}, tc.args...)
			args = append(args, d.Backup)
			if code, _, stderr := run(t, args...); code != tc.want {
				t.Errorf("exit status %d, want %d\n%s", code, tc.want, stderr)
			}
		})
	}
}

func TestUsageAndErrors(t *testing.T) {
	d := demoCopy(t)
	for _, tc := range []struct {
		name   string
		args   []string
		want   int
		stderr string
	}{
		{"no_backup_argument", []string{"ios", "check-backup"}, ExitUsage, "needs the path of one backup"},
		{"two_backups", []string{"ios", "check-backup", "a", "b"}, ExitUsage, "needs the path of one backup"},
		{"unknown_command", []string{"android-x"}, ExitUsage, "unknown command"},
		{"not_a_backup", []string{"ios", "check-backup", "-o", filepath.Join(t.TempDir(), "r"), t.TempDir()}, ExitError, "not an iOS backup"},
		{"missing_path", []string{"ios", "check-backup", "/nonexistent/backup"}, ExitError, "no such file"},
		{"missing_iocs", []string{"ios", "check-backup", "-i", "/nonexistent.stix2", d.Backup}, ExitError, "load indicators"},
		{"output_inside_evidence", []string{"ios", "check-backup", "-o", filepath.Join(d.Backup, "results"), d.Backup}, ExitUsage, "inside the evidence folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != tc.want || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.want, tc.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(d.Backup, "results")); err == nil {
		t.Error("a results folder was created inside the evidence")
	}
}

// TestHeuristicsWithoutIndicators: with no indicator at all, heuristics still raise
// their alerts (MVT runs some of them only when indicators are loaded).
func TestHeuristicsWithoutIndicators(t *testing.T) {
	d := demoCopy(t)
	out := filepath.Join(t.TempDir(), "r")
	code, _, stderr := run(t, "ios", "check-backup", "-q", "-o", out, d.Backup)
	if code != ExitAlerts {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "no indicators loaded") {
		t.Errorf("no warning about missing indicators:\n%s", stderr)
	}
	for _, a := range readAlerts(t, out) {
		if a["matched_indicator"] != nil {
			t.Errorf("indicator alert without indicators: %v", a)
		}
	}
	if n := len(readAlerts(t, out)); n < 8 {
		t.Errorf("%d heuristic alerts, want the planted ones", n)
	}
}

func TestIndicatorsFromEnvironmentAndDataFolder(t *testing.T) {
	d := demoCopy(t)
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "indicators"), 0o755)
	src, _ := os.ReadFile(d.Indicators)
	os.WriteFile(filepath.Join(data, "indicators", "feed.stix2"), src, 0o644)
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: time.Now, home: t.TempDir(), getenv: func(k string) string {
		switch k {
		case "SPYTRACE_DATA_DIR":
			return data
		case "SPYTRACE_IOCS":
			return d.Indicators
		}
		return ""
	}}
	res := filepath.Join(t.TempDir(), "r")
	if code := e.run(context.Background(), []string{"ios", "check-backup", "-q", "-m", "sms", "-o", res, d.Backup}); code != ExitAlerts {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var info results.Info
	raw, _ := os.ReadFile(filepath.Join(res, "info.json"))
	json.Unmarshal(raw, &info)
	if len(info.IOCFiles) != 2 {
		t.Errorf("ioc files = %v, want SPYTRACE_IOCS and the data folder's", info.IOCFiles)
	}
	// --no-default-iocs ignores both.
	res2 := filepath.Join(t.TempDir(), "r")
	errb.Reset()
	if code := e.run(context.Background(), []string{"ios", "check-backup", "-q", "--no-default-iocs", "-m", "calls", "-o", res2, d.Backup}); code != ExitClean {
		t.Fatalf("exit %d with --no-default-iocs: %s", code, errb.String())
	}
}

func TestListModulesVersionCompletion(t *testing.T) {
	code, stdout, _ := run(t, "ios", "check-backup", "--list-modules")
	if code != ExitClean {
		t.Fatalf("exit %d", code)
	}
	for _, m := range []string{"backup_info", "manifest", "sms", "sms_attachments", "safari_history", "safari_browser_state", "datausage", "id_status_cache", "tcc", "configuration_profiles", "profile_events", "global_preferences"} {
		if !regexp.MustCompile(`(?m)^` + m + `\s`).MatchString(stdout) {
			t.Errorf("--list-modules lacks %s:\n%s", m, stdout)
		}
	}
	code, stdout, _ = run(t, "version")
	if code != ExitClean || !strings.HasPrefix(stdout, "spytrace ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		code, stdout, _ = run(t, "completion", sh)
		if code != ExitClean || !strings.Contains(stdout, "spytrace") {
			t.Errorf("completion %s: exit %d, %d bytes", sh, code, len(stdout))
		}
	}
	code, stdout, _ = run(t, "--help")
	if code != ExitClean || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "Exit status") {
		t.Errorf("--help: exit %d:\n%s", code, stdout)
	}
	code, stdout, _ = run(t, "ios", "check-backup", "--help")
	if code != ExitClean || !strings.Contains(stdout, "spytrace ios check-backup --iocs") {
		t.Errorf("check-backup --help lacks examples:\n%s", stdout)
	}
}

func TestDemo(t *testing.T) {
	for _, kind := range []string{"backup", "fs", "sysdiagnose", "android"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			code, _, stderr := run(t, "demo", "--kind", kind, "--dir", dir)
			if code != ExitClean {
				t.Fatalf("demo exit %d:\n%s", code, stderr)
			}
			command := map[string]string{"backup": "ios check-backup", "fs": "ios check-fs", "sysdiagnose": "ios check-sysdiagnose", "android": "android check-androidqf"}[kind]
			for _, want := range []string{"planted traces", "CRITICAL", "spytrace " + command, "results in " + filepath.Join(dir, "results")} {
				if !strings.Contains(stderr, want) {
					t.Errorf("demo output lacks %q:\n%s", want, stderr)
				}
			}
			if len(readAlerts(t, filepath.Join(dir, "results"))) == 0 {
				t.Error("the demo raised no alert")
			}
		})
	}
	if code, _, stderr := run(t, "demo", "--kind", "windows-phone"); code != ExitUsage || !strings.Contains(stderr, "backup, fs, sysdiagnose or android") {
		t.Errorf("unknown kind: exit %d\n%s", code, stderr)
	}
}

// TestCleanTwinRaisesNoSevereAlert checks the demo's clean twin (the same innocent
// content, no planted trace) with the demo indicators: no HIGH or CRITICAL alert.
func TestCleanTwinRaisesNoSevereAlert(t *testing.T) {
	d := demoCopy(t)
	b, _, err := fixture.ScenarioBackup(fixture.DemoSize, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "clean")
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r")
	code, _, stderr := run(t, "ios", "check-backup", "-q", "-i", d.Indicators, "-o", out, dir)
	if code != ExitClean {
		t.Errorf("exit %d on the clean twin:\n%s", code, stderr)
	}
	for _, a := range readAlerts(t, out) {
		if lv := a["level"]; lv == "HIGH" || lv == "CRITICAL" {
			t.Errorf("severe alert on the clean twin: %v", a["message"])
		}
	}
}

// TestEveryCommandHasExamples walks the command tree: every command and group shows
// examples in its --help, and a long description where it takes arguments.
func TestEveryCommandHasExamples(t *testing.T) {
	e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }, now: time.Now}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		n++
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no examples in its --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(e.rootCommand())
	if n < 15 {
		t.Errorf("only %d commands walked", n)
	}
}
