package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/engine"
)

func TestProgressText(t *testing.T) {
	for _, tc := range []struct {
		s    engine.Snapshot
		want string
	}{
		{engine.Snapshot{ModulesDone: 3, ModulesTotal: 29, Running: []string{"manifest", "sms"}, FilesRead: 12}, "spytrace: 3/29 modules done (manifest, sms), 12 evidence files read (5s)"},
		{engine.Snapshot{ModulesDone: 1, ModulesTotal: 2, Running: []string{"a_very_long_module_name", "another_very_long_module_name"}}, "spytrace: 1/2 modules done (a_very_long_module_name, another_very...), 0 evidence files read (5s)"},
		{engine.Snapshot{ModulesDone: 2, ModulesTotal: 29, FilesRead: 7, Decrypting: true}, "spytrace: 2/29 modules done, 7 evidence files decrypted (5s)"},
		{engine.Snapshot{}, "spytrace: opening the evidence and loading the indicators (5s)"},
		{engine.Snapshot{Hashing: true, FilesRead: 40, BytesHashed: 12_500_000}, "spytrace: hashing the 40 evidence files read: 12.5 MB (5s)"},
	} {
		if got := progressText(tc.s, 5*time.Second+300*time.Millisecond); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
	if byteCount(999) != "999 B" || byteCount(1_000) != "1.0 kB" || byteCount(3_100_000_000) != "3.1 GB" {
		t.Error("byteCount")
	}
}

func TestStatusLineKeepsLogLinesWhole(t *testing.T) {
	var buf bytes.Buffer
	s := &statusLine{w: &buf}
	s.Write([]byte("before\n"))
	s.set("status 1")
	s.Write([]byte("a log line\n"))
	s.clear()
	want := "before\n" + clearLine + "status 1" + clearLine + "a log line\nstatus 1" + clearLine
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
}

// TestProgressOnlyOnATerminal runs the demo check three ways: stderr redirected (no
// status line, no per-module lines), a terminal (status lines, erased at the end), and
// --json-log (every line of stderr a JSON object, with the summary).
func TestProgressOnlyOnATerminal(t *testing.T) {
	d := demoCopy(t)
	runAs := func(tty bool, args ...string) string {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
			now: time.Now, home: t.TempDir(), stderrTTY: tty}
		args = append(append([]string{"ios", "check-backup", "--no-default-iocs", "-i", d.Indicators, "-o", filepath.Join(t.TempDir(), "r")}, args...), d.Backup)
		if code := e.run(context.Background(), args); code != ExitAlerts {
			t.Fatalf("exit %d\n%s", code, errb.String())
		}
		return errb.String()
	}
	plain := runAs(false)
	if strings.Contains(plain, "\x1b") || strings.Contains(plain, "modules done") || strings.Contains(plain, "] sms ") {
		t.Errorf("progress on a redirected stderr:\n%s", plain)
	}
	if !strings.Contains(plain, "alerts: ") {
		t.Errorf("no summary:\n%s", plain)
	}
	tty := runAs(true)
	if !strings.Contains(tty, clearLine+"spytrace: ") || !strings.Contains(tty, "alerts: ") {
		t.Errorf("no status line on a terminal:\n%q", tty)
	}
	jsonl := runAs(true, "--json-log")
	lines := strings.Split(strings.TrimSpace(jsonl), "\n")
	var summary map[string]any
	for _, l := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if obj["msg"] == "summary" {
			summary = obj
		}
	}
	if summary == nil || summary["alerts_critical"].(float64) == 0 || summary["exit_status"] != float64(ExitAlerts) {
		t.Errorf("summary record: %v\n%s", summary, jsonl)
	}
	verbose := runAs(false, "-v")
	if !strings.Contains(verbose, "] sms ") {
		t.Errorf("-v lists no module:\n%s", verbose)
	}
}
