package limits

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	l, err := Parse([]string{"file-bytes=512MiB", "records=1_000", "entries=20", "archive-bytes=2 GB", "ratio=50", "copy-bytes=1024", "alerts=7", "module-time=1h30m"})
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{FileBytes: 512 << 20, Records: 1000, Entries: 20, ArchiveBytes: 2e9, Ratio: 50, CopyBytes: 1024, Alerts: 7, ModuleTime: 90 * time.Minute}
	if l != want {
		t.Errorf("got %+v", l)
	}
	for _, bad := range []string{"records", "nope=1", "records=0", "records=-5", "records=10MiB", "file-bytes=lots", "file-bytes=99999999999TiB",
		"module-time=90", "module-time=-1m", "module-time=0s", "module-time=forever"} {
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if l, err := Parse(nil); err != nil || l != (Limits{}) {
		t.Errorf("no settings: %+v %v", l, err)
	}
}

// TestDocumented keeps docs/limits.md in step with Table.
func TestDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/limits.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Table {
		row := "| `" + l.Name + "` | " + l.Default + " | " + l.Meaning + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/limits.md lacks the row\n%s", row)
		}
	}
}
