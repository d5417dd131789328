//go:build unix

package detect

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestNamedPipe checks that a named pipe is refused without being opened (opening it
// would wait for a writer).
func TestNamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "backup.ab")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Detect(p)
		done <- err
	}()
	select {
	case err := <-done:
		var ue *UnknownError
		if !errors.As(err, &ue) || ue.Seen != "it is a named pipe, not a file or folder" {
			t.Errorf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Detect blocked on a named pipe")
	}
}
