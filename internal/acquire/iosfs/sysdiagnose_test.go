package iosfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire"
)

func TestOpenSysdiagnose(t *testing.T) {
	root := t.TempDir()
	top := filepath.Join(root, "sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone_21D61")
	for name, data := range map[string]string{"ps.txt": "USER PID COMMAND\n", "system_logs.logarchive/Extra/shutdown.log": "SIGTERM: [1700000000]\n"} {
		p := filepath.Join(top, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	d, err := OpenSysdiagnose(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Kind() != acquire.IOSSysdiagnose || d.Prefix() != filepath.Base(top) {
		t.Errorf("kind %s, prefix %q", d.Kind(), d.Prefix())
	}
	if data, err := fs.ReadFile(d, "system_logs.logarchive/Extra/shutdown.log"); err != nil || string(data) != "SIGTERM: [1700000000]\n" {
		t.Errorf("shutdown.log: %q, %v", data, err)
	}
	if _, err := fs.Stat(d, "HomeDomain"); err == nil {
		t.Error("a sysdiagnose archive serves backup domains")
	}
	// A folder without sysdiagnose content is refused, and so is a dump opened as one.
	if _, err := OpenSysdiagnose(context.Background(), t.TempDir(), Options{}); !errors.Is(err, ErrNotSysdiagnose) {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := Open(context.Background(), root, Options{}); !errors.Is(err, ErrNotDump) {
		t.Errorf("sysdiagnose opened as a dump: %v", err)
	}
}
