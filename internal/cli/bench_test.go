package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/fixture"
)

// BenchmarkCheckBackup times a whole "ios check-backup" (opening, every module, checks,
// results folder) on a scenario backup a tenth of the size of scripts/bench.sh's:
// about 30,000 Manifest rows, 20,000 messages, 10,000 Safari visits, 500 processes.
// Run it with: go test -run='^$' -bench=CheckBackup ./internal/cli/
func BenchmarkCheckBackup(b *testing.B) {
	size := fixture.BenchSize
	for _, p := range []*int{&size.ManifestFiles, &size.Messages, &size.Visits, &size.Tabs, &size.Processes, &size.Lookups, &size.Permissions} {
		*p = max(1, *p/10)
	}
	bk, _, err := fixture.ScenarioBackup(size, true)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "backup")
	if err := bk.Write(dir); err != nil {
		b.Fatal(err)
	}
	iocs := filepath.Join(b.TempDir(), "iocs.stix2")
	f, err := os.Create(iocs)
	if err != nil {
		b.Fatal(err)
	}
	if err := fixture.WriteSTIX(f, fixture.DemoIndicators()...); err != nil {
		b.Fatal(err)
	}
	f.Close()
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: time.Now, home: b.TempDir()}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(b.TempDir(), "r")
		if code := e.run(context.Background(), []string{"ios", "check-backup", "-q", "--no-default-iocs", "--fail-level", "none", "-i", iocs, "-o", out, dir}); code != ExitClean {
			b.Fatalf("exit status %d", code)
		}
	}
	b.ReportMetric(float64(len(bk.Files)), "manifest_rows")
}
