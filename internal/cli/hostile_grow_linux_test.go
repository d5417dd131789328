package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
)

// The growing-file case needs a writer that appends to an evidence file while spytrace
// reads it. A goroutine of the test would wait for a free processor of the Go runtime
// while the run keeps both busy; a process of its own is woken by the kernel as soon as
// the file is read. It is this test binary run again with growEnv set: it watches the
// file with inotify and appends a block at each batch of reads, until it has appended
// growMax bytes or is killed.
const (
	growEnv   = "SPYTRACE_TEST_GROW_FILE"
	growBlock = 4096
	growMax   = 16 << 20
)

// TestGrowingFileWriter is the writer's process; run on its own it does nothing.
func TestGrowingFileWriter(t *testing.T) {
	name := os.Getenv(growEnv)
	if name == "" {
		t.Skip("the writer of TestHostileFileGrowingWhileRead, run by it")
	}
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.InotifyAddWatch(fd, name, syscall.IN_ACCESS); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Println("watching") // the parent starts the run once this is read
	block := bytes.Repeat([]byte("\n"), growBlock)
	events := make([]byte, 4096)
	for written := 0; written < growMax; written += growBlock {
		if _, err := syscall.Read(fd, events); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(block); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHostileFileGrowingWhileRead checks a dump folder whose shutdown.log another
// program appends to whenever it is read: the run ends, shutdown_log reads the log as it
// was when opened, and the change is an alert (acquisition/changed-while-read) and an
// acquisition problem naming the file; every other module is as on the sound dump.
func TestHostileFileGrowingWhileRead(t *testing.T) {
	sound, iocs := writeDump(t, true)
	base := soundTwin(t, sound, "ios", "check-fs", "-q", "-i", iocs, sound)
	dir := filepath.Join(t.TempDir(), "dump")
	if err := os.CopyFS(dir, os.DirFS(sound)); err != nil {
		t.Fatal(err)
	}
	// A log of a few megabytes, so that reading it takes many reads: the writer
	// appends while they go on.
	log := filepath.Join(dir, filepath.FromSlash(fixture.ShutdownLogFilesystemPath))
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(bytes.Repeat([]byte("\n"), 4<<20)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(log)
	if err != nil {
		t.Fatal(err)
	}
	initial := fi.Size()

	writer := exec.Command(os.Args[0], "-test.run=^TestGrowingFileWriter$")
	writer.Env = append(os.Environ(), growEnv+"="+log)
	stdout, err := writer.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	writer.Stderr = os.Stderr
	if err := writer.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		writer.Process.Kill()
		writer.Wait()
	}()
	ready := make([]byte, 64)
	if n, err := stdout.Read(ready); err != nil || !bytes.Contains(ready[:n], []byte("watching")) {
		t.Fatalf("the writer did not start: %q %v", ready[:n], err)
	}

	r := checkHostileChanging(t, filepath.Dir(dir), log, "ios", "check-fs", "-q", "-i", iocs, dir)
	fi, err = os.Stat(log)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == initial {
		t.Fatal("the writer appended nothing: the case did not happen")
	}
	t.Logf("shutdown.log grew from %d to %d bytes during the run", initial, fi.Size())
	// shutdown_log's records are those of the log with the blank lines: as on the sound
	// dump; filesystem lists sizes, which changed.
	assertModules(t, r.info, base, hostileExpect{changed: []string{"filesystem"}, minOK: 30})
	rel := filepath.ToSlash(fixture.ShutdownLogFilesystemPath)
	assertProblem(t, r.info, "changed_while_read", rel, "when opened")
	assertAlert(t, r, "acquisition/changed-while-read", rel)
	for _, h := range r.info.Hashes {
		if h.Name == rel && h.Size != 0 && (h.Size < initial || h.Size > fi.Size()) {
			t.Errorf("hash of %d bytes, want between %d and %d", h.Size, initial, fi.Size())
		}
	}
}
