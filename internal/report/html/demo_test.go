package html

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/report/results"
)

// checkDemo runs every backup module on the demo backup (with the planted attack, or
// its clean twin) against the demo indicators, as `ios check-backup` does, and reads
// the results folder back.
func checkDemo(t *testing.T, attack bool) *results.Folder {
	t.Helper()
	dir := t.TempDir()
	b, _, err := fixture.ScenarioBackup(fixture.DemoSize, attack)
	if err != nil {
		t.Fatal(err)
	}
	backupDir := filepath.Join(dir, "backup")
	if err := b.Write(backupDir); err != nil {
		t.Fatal(err)
	}
	iocPath := filepath.Join(dir, "demo.stix2")
	out, err := os.Create(iocPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixture.WriteSTIX(out, fixture.DemoIndicators()...); err != nil {
		t.Fatal(err)
	}
	out.Close()
	index, report, err := ioc.Load([]string{iocPath}, ioc.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bk, err := iosbackup.Open(context.Background(), backupDir, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	resultsDir := filepath.Join(dir, "results")
	rd, err := results.Create(resultsDir, false)
	if err != nil {
		t.Fatal(err)
	}
	info := results.Info{Tool: "spytrace", Version: "test", Command: "ios check-backup", TargetPath: backupDir, Date: "2026-03-14 12:00:00.000000",
		FailLevel: "HIGH", Acquisition: map[string]any{"kind": string(bk.Kind())}}
	if lockdown, ok := bk.Manifest["Lockdown"].(map[string]any); ok {
		for _, k := range []string{"ProductType", "ProductVersion", "BuildVersion", "DeviceName"} {
			if v, ok := lockdown[k].(string); ok {
				info.Acquisition[k] = v
			}
		}
	}
	for _, f := range report.Files {
		info.IndicatorFiles = append(info.IndicatorFiles, results.IndicatorFile{Path: f.File.Path, SHA256: f.File.SHA256, Indicators: f.Indicators})
	}
	if _, err := engine.Run(context.Background(), engine.Config{Acquisition: bk, Modules: list.ForKind(bk.Kind()), Index: index,
		Results: rd, Info: info, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	f, err := results.Load(resultsDir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDemoBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and checks the demo backup")
	}
	f := checkDemo(t, true)
	page := render(t, f, Options{})
	doc := parse(t, page)
	v := byID(doc, "verdict")
	if !strings.Contains(attr(v, "class"), verdictKnownSpyware) {
		t.Errorf("demo verdict %q", attr(v, "class"))
	}
	mustContain(t, "demo verdict", text(v), "Traces matching known spyware were found", "NSO Group Pegasus")
	all := text(doc)
	mustContain(t, "demo report", all, fixture.DemoPegasusDomain, fixture.DemoAttackerEmail, fixture.DemoInfectionURL, "Reporter's iPhone")
	for i := range f.Alerts {
		if byID(doc, "alert-"+strconv.Itoa(i+1)) == nil {
			t.Errorf("alert %d has no section", i+1)
		}
	}
	// The Safari visit of the infection link is on the timeline, among its events.
	tl := text(byID(doc, "tl"))
	mustContain(t, "demo timeline", tl, fixture.DemoInfectionURL, "safari_history", "sms")

	// Redacted: the owner's phone number, the phone's name and message texts go; the
	// indicators stay.
	red := render(t, f, Options{Redact: true})
	redText := text(parse(t, red))
	for _, s := range []string{"+41 79 123 45 67", "Reporter's iPhone"} {
		if !strings.Contains(all, s) {
			t.Errorf("the demo report does not show %q: the test proves nothing", s)
		}
		if strings.Contains(redText, s) {
			t.Errorf("the redacted demo report shows %q", s)
		}
	}
	mustContain(t, "redacted demo report", redText, fixture.DemoPegasusDomain, fixture.DemoAttackerEmail, "This copy is redacted for sharing")

	// The clean twin: the same phone without the traces.
	clean := checkDemo(t, false)
	cv := byID(parse(t, render(t, clean, Options{})), "verdict")
	if k := attr(cv, "class"); strings.Contains(k, verdictKnownSpyware) || strings.Contains(k, verdictSevere) {
		t.Errorf("clean twin verdict %q: %s", k, text(cv))
	}
}
