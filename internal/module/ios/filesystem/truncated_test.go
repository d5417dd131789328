package filesystem_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire/iosfs"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/filesystem"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

// TestTruncatedListingIsPartial checks that a dump folder listed only up to its entry
// limit makes the module partial, saying why, instead of passing for complete.
func TestTruncatedListingIsPartial(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		p := filepath.Join(dir, "private/var/mobile/Library", n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for limit, partial := range map[int]bool{5: true, 0: false} {
		d, err := iosfs.Open(context.Background(), dir, iosfs.Options{MaxEntries: limit})
		if err != nil {
			t.Fatal(err)
		}
		o := moduletest.Run(t, d, nil, filesystem.New())
		d.Close()
		got := o.Status.State == module.Partial && len(o.Status.Problems) == 1 && strings.Contains(o.Status.Problems[0], "stopped at a limit")
		if got != partial || !partial && o.Status.State != module.OK {
			t.Errorf("entry limit %d: status %+v, want partial=%v", limit, o.Status, partial)
		}
	}
}
