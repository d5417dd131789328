package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumPath returns the headless browser the report test uses: $SPYTRACE_CHROMIUM
// (set by scripts/test.sh, which installs Debian's chromium), or chromium on the PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SPYTRACE_CHROMIUM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("chromium is not installed: scripts/test.sh installs Debian's package for this test")
	return ""
}

// chromium runs the browser headless on a local file, without network, profile or
// sandbox (tests may run as root), and returns what it printed.
func chromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=3000"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// TestReportInChromium opens the report of the demo backup in headless Chromium: the
// verdict and the alerts are on the page once its script has run, and a screenshot is
// kept with the test's artifacts. A report of the same results with a hostile alert
// shows the hostile text as text: nothing it holds runs or loads.
func TestReportInChromium(t *testing.T) {
	bin := chromiumPath(t)
	d := demoCopy(t)
	out := filepath.Join(t.TempDir(), "results")
	if code, _, stderr := run(t, "ios", "check-backup", "-q", "-i", d.Indicators, "-o", out, d.Backup); code != ExitAlerts {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	report := filepath.Join(out, ReportFile)
	dom := chromium(t, bin, "--dump-dom", "file://"+report)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<section id="verdict" class="verdict [a-z-]+">\s*<h2>Traces matching known spyware were found`),
		regexp.MustCompile(`<article class="alert [a-z-]+" id="alert-1">`),
		regexp.MustCompile(`free247downloads\.com`),
		regexp.MustCompile(`id="tl-filter"`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("the rendered page lacks %s", want)
		}
	}
	if regexp.MustCompile(`<section id="verdict"[^>]*\bhidden\b`).MatchString(dom) {
		t.Error("the verdict is hidden")
	}
	shot := filepath.Join(t.ArtifactDir(), "report.png")
	chromium(t, bin, "--window-size=1280,1800", "--screenshot="+shot, "file://"+report)
	if png, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10_000 {
		t.Fatalf("screenshot %s: %d bytes, %v", shot, len(png), err)
	}
	t.Logf("screenshot of the report: %s", shot)

	// The same results with a hostile alert, rendered again by spytrace report.
	const payload = `<script>document.title='pwned'</script><img src=x onerror="document.title='pwned'">`
	data, err := os.ReadFile(filepath.Join(out, "alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var alerts []map[string]any
	if err := json.Unmarshal(data, &alerts); err != nil {
		t.Fatal(err)
	}
	alerts = append([]map[string]any{{
		"level": "CRITICAL", "module": "sms", "message": "Found " + payload, "event_time": "2026-03-04 09:32:53.000000",
		"event": map[string]any{"text": payload, "long": strings.Repeat("A", 300_000)}, "matched_indicator": nil,
		"check": "sms/" + payload, "meaning": payload, "advice": payload,
	}}, alerts...)
	data, _ = json.Marshal(alerts)
	if err := os.WriteFile(filepath.Join(out, "alerts.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "report", out); code != ExitClean {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	dom = chromium(t, bin, "--dump-dom", "file://"+report)
	if strings.Contains(dom, "pwned</title>") || strings.Contains(dom, `<img src="x"`) || strings.Count(dom, "<script") != 1 {
		t.Errorf("the hostile alert ran or loaded something")
	}
	if !strings.Contains(dom, "&lt;script&gt;document.title='pwned'&lt;/script&gt;") {
		t.Error("the hostile text is not shown as text")
	}
	shot = filepath.Join(t.ArtifactDir(), "report-hostile.png")
	chromium(t, bin, "--window-size=1280,1800", "--screenshot="+shot, "file://"+report)
}

// TestReportAndExportCommands renders the report again (redacted too) and writes both
// exports into the results folder.
func TestReportAndExportCommands(t *testing.T) {
	d := demoCopy(t)
	out := filepath.Join(t.TempDir(), "results")
	if code, _, stderr := run(t, "ios", "check-backup", "-q", "-i", d.Indicators, "-o", out, d.Backup); code != ExitAlerts {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	first, err := os.ReadFile(filepath.Join(out, ReportFile))
	if err != nil {
		t.Fatal("a check writes no report.html: ", err)
	}
	if code, _, stderr := run(t, "report", out); code != ExitClean || !strings.Contains(stderr, "report in ") {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(out, ReportFile)); !bytes.Equal(first, again) {
		t.Error("the report rendered again differs from the check's")
	}
	if code, _, stderr := run(t, "report", "--redact", out); code != ExitClean {
		t.Fatalf("report --redact: exit %d\n%s", code, stderr)
	}
	redacted, err := os.ReadFile(filepath.Join(out, "report-redacted.html"))
	if err != nil || !bytes.Contains(redacted, []byte("[redacted]")) {
		t.Errorf("redacted report: %v", err)
	}
	for format, name := range map[string]string{"timesketch": "timeline.jsonl", "stix": "sightings.stix2"} {
		code, _, stderr := run(t, "export", format, out)
		if code != ExitClean {
			t.Fatalf("export %s: exit %d\n%s", format, code, stderr)
		}
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("export %s wrote no %s: %v", format, name, err)
		}
	}
	if code, _, stderr := run(t, "export", "csv", out); code != ExitUsage {
		t.Errorf("unknown format: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := run(t, "report", t.TempDir()); code != ExitError || !strings.Contains(stderr, "info.json") {
		t.Errorf("not a results folder: exit %d\n%s", code, stderr)
	}
}
