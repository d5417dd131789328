package recheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// named is a reloadable test module with a name and a kind; its checks raise a LOW
// alert per "bad" record (see wordModule) and an INFORMATIONAL count at Finish.
type named struct {
	wordModule
	name string
	kind acquire.Kind
}

func (n named) Info() module.Info {
	return module.Info{Name: n.name, Version: 1, Kinds: []acquire.Kind{n.kind}}
}

// silent has no checks.
type silent struct{ named }

func (silent) NewChecker() {}

var testModules = []module.Module{
	named{name: "sms", kind: acquire.IOSBackup},
	named{name: "safari_history", kind: acquire.IOSBackup},
	named{name: "sms", kind: acquire.AndroidBackup},
	named{name: "dumpsys_packages", kind: acquire.AndroidBugreport},
	silent{named{name: "timestamps", kind: acquire.AndroidBugreport}},
}

func write(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(mods []module.Module) string {
	var out []string
	for _, m := range mods {
		out = append(out, m.Info().Name+"/"+string(m.Info().Kinds[0].Platform()))
	}
	return strings.Join(out, ",")
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		producer string
		platform acquire.Platform
		modules  string
		skipped  string
		err      string
	}{
		{name: "spytrace android", files: map[string]string{
			"info.json": `{"tool": "spytrace", "spytrace_version": "1.0", "command": "android check-bugreport", "acquisition": {"kind": "android-bugreport"}}`,
			"sms.json":  `[]`, "dumpsys_packages.json": `[]`, "timestamps.json": `[]`, "safari_history.json": `[]`,
		}, producer: Spytrace, platform: acquire.Android, modules: "sms/android,dumpsys_packages/android", skipped: "timestamps"},
		{name: "spytrace ios by command", files: map[string]string{
			"info.json": `{"tool": "spytrace", "command": "ios check-fs"}`, "sms.json": `[]`,
		}, producer: Spytrace, platform: acquire.IOS, modules: "sms/ios"},
		{name: "mvt ios by its modules", files: map[string]string{
			"info.json": `{"mvt_version": "2.6.1"}`, "sms.json": `[]`, "safari_history.json": `[]`,
		}, producer: MVT, platform: acquire.IOS, modules: "sms/ios,safari_history/ios"},
		{name: "mvt android sms only", files: map[string]string{
			"info.json": `{"mvt_version": "2.6.1"}`, "sms.json": `[{"address": "+1555", "body": "hi", "date": 1}]`,
		}, producer: MVT, platform: acquire.Android, modules: "sms/android"},
		{name: "mvt ios sms only", files: map[string]string{
			"sms.json": `[{"guid": "x", "text": "hi", "body": "?"}]`,
		}, producer: MVT, platform: acquire.IOS, modules: "sms/ios"},
		{name: "info only", files: map[string]string{"info.json": `{"mvt_version": "1.0"}`}, producer: MVT, platform: acquire.IOS},
		{name: "nothing", files: map[string]string{"notes.txt": "x"}, err: "not a results folder"},
		{name: "bad info", files: map[string]string{"info.json": `{"tool": `}, err: "info.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Open(write(t, t.TempDir(), tc.files), testModules)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Producer != tc.producer || c.Platform != tc.platform || names(c.Modules) != tc.modules || strings.Join(c.Skipped, ",") != tc.skipped {
				t.Errorf("got %s %s [%s] skipped %q", c.Producer, c.Platform, names(c.Modules), c.Skipped)
			}
		})
	}
}

func TestOpenDoesNotFollowLinksOut(t *testing.T) {
	outside := write(t, t.TempDir(), map[string]string{"secret.json": `[{"text":"bad"}]`})
	dir := write(t, t.TempDir(), map[string]string{"info.json": `{"mvt_version": "2"}`, "safari_history.json": `[{"text":"bad"}]`})
	if err := os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(dir, "sms.json")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	c, err := Open(dir, testModules)
	if err != nil {
		t.Fatal(err)
	}
	if names(c.Modules) != "safari_history/ios" {
		t.Errorf("modules %s: a link counts as a results file", names(c.Modules))
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"a/info.json":                 `{"tool": "spytrace"}`,
		"a/rechecks/x/info.json":      `{"tool": "spytrace"}`,
		"b/c/sms.json":                `[]`,
		"b/c/inner/info.json":         `{"mvt_version": "2"}`,
		"d/notes.txt":                 "x",
		"e/1/2/3/info.json":           `{"mvt_version": "2"}`,
		"e/1/2/3/4/5/info.json":       `{"mvt_version": "2"}`,
		".hidden/info.json":           `{"mvt_version": "2"}`,
		"f/info.json":                 `{"something": "else"}`,
		"rechecks/stray/info.json":    `{"tool": "spytrace"}`,
		"g/alerts.json":               `[]`,
		"h/dumpsys_packages.json":     `[]`,
		"h/dumpsys_packages_detected": ``,
	})
	got, err := Find(root, testModules)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, g := range got {
		r, _ := filepath.Rel(root, g)
		rel = append(rel, filepath.ToSlash(r))
	}
	if strings.Join(rel, " ") != "a b/c e/1/2/3 h" {
		t.Errorf("found %q", rel)
	}
	if got, err := Find(filepath.Join(root, "a"), testModules); err != nil || len(got) != 1 {
		t.Errorf("a case itself: %q %v", got, err)
	}
	if _, err := Find(filepath.Join(root, "d"), testModules); err == nil || !strings.Contains(err.Error(), "not a results folder") {
		t.Errorf("no case: %v", err)
	}
	if _, err := Find(filepath.Join(root, "d", "notes.txt"), testModules); err == nil {
		t.Error("a file is not a folder of cases")
	}
}

// TestCheckAndWrite re-checks a case twice: the alerts of its run and of the first
// re-check are known to the second; the folders are kept side by side.
func TestCheckAndWrite(t *testing.T) {
	dir := write(t, t.TempDir(), map[string]string{
		"info.json":           `{"mvt_version": "2.6.1", "date": "2025-01-01 00:00:00.000000", "ioc_files": ["/old.stix2"]}`,
		"sms.json":            `[{"text": "bad"}, {"text": "good"}]`,
		"safari_history.json": `[{"text": "bad"}, {"text": "bad"}]`,
		// MVT before version 3: the matched record, no alert object.
		"sms_detected.json": `[{"text": "bad", "matched_indicator": {"value": "x", "type": "domains"}}]`,
	})
	c, err := Open(dir, testModules)
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Check(context.Background(), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if o.Records() != 4 || len(o.Alerts) != 5 || len(o.New) != 5 || o.Known != 1 {
		t.Fatalf("records %d alerts %d new %d known %d", o.Records(), len(o.Alerts), len(o.New), o.Known)
	}
	set := NewIndicatorSet(nil, 0)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	first, err := o.Write(Info{Tool: "spytrace", Command: "check-iocs", IndicatorSet: set}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"alerts.json", "new_alerts.json", "info.json", "alerts_timeline.csv", "sms_detected.json", "safari_history_detected.json"} {
		if _, err := os.Stat(filepath.Join(first, f)); err != nil {
			t.Error(err)
		}
	}
	o2, err := c.Check(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(o2.New) != 0 || o2.Known != 6 {
		t.Errorf("second re-check: %d new, %d known", len(o2.New), o2.Known)
	}
	second, err := o2.Write(Info{IndicatorSet: set}, now)
	if err != nil || second != first+"-2" {
		t.Errorf("second folder %q %v", second, err)
	}
	// The case's own files are untouched.
	if data, _ := os.ReadFile(filepath.Join(dir, "sms_detected.json")); !strings.Contains(string(data), "matched_indicator") {
		t.Error("sms_detected.json changed")
	}
}

func TestKnownAlerts(t *testing.T) {
	tm, _ := timefmt.Parse("2025-01-30 07:06:40.000000")
	k := &knownAlerts{keys: map[string]bool{}, loose: map[string]bool{}}
	k.add(earlierAlert{Module: "sms", EventTime: []byte(`"2025-01-30 07:06:40.000000"`), Indicator: &alert.Indicator{Value: "Evil.example", Type: "domains"}}, "")
	k.add(earlierAlert{Indicator: &alert.Indicator{Value: "1.2.3.4", Type: "domains"}}, "datausage")
	k.add(earlierAlert{Module: "sms", EventTime: []byte(`"2025-01-30 07:06:40.000000"`), Check: "sms/threat-notification"}, "")
	at := func(a alert.Alert) alert.Alert { a.EventTime.Time = tm; return a }
	for _, tc := range []struct {
		a    alert.Alert
		want bool
	}{
		{at(alert.Alert{Module: "sms", Indicator: &alert.Indicator{Value: "evil.example", Type: "domain"}}), true},
		{alert.Alert{Module: "sms", Indicator: &alert.Indicator{Value: "evil.example"}}, false},
		{at(alert.Alert{Module: "whatsapp", Indicator: &alert.Indicator{Value: "evil.example"}}), false},
		{at(alert.Alert{Module: "datausage", Indicator: &alert.Indicator{Value: "1.2.3.4", Type: "ips"}}), true},
		{at(alert.Alert{Module: "sms", Check: "sms/threat-notification", Message: "other words"}), true},
		{alert.Alert{Module: "sms", Check: "sms/threat-notification"}, false},
	} {
		if got := k.has(tc.a); got != tc.want {
			t.Errorf("%+v: known %v, want %v", tc.a, got, tc.want)
		}
	}
}
