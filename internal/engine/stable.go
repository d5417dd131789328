package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// Every evidence file the run opens (for a module, a database copy or the final hash)
// is served as it was when opened: reads stop at the size its Stat gave then. A file
// that grows while it is read (a folder another program is still writing, a mounted
// device, a file appended to in a loop to hold the reader forever) cannot make a read
// endless, and one that shrinks fails its reader with ErrShrank instead of passing for
// complete. Either change is noted and reported, because evidence that changes under
// the examination is not a fixed copy: what was checked may differ from what the hashes
// cover.

// ErrShrank is wrapped by read errors of an evidence file that ended before the size it
// had when opened.
var ErrShrank = errors.New("the file shrank while it was read")

// ChangedWhileRead is raised, under the pseudo-module "acquisition", once for each
// evidence file whose size changed while the run read it.
var ChangedWhileRead = check.Heuristic{
	ID:    "acquisition/changed-while-read",
	Level: alert.Medium,
	Meaning: "A file of the acquisition changed size while spytrace read it, so the evidence is not a fixed copy: " +
		"what the modules checked and what the hashes in info.json cover may differ. Reads stopped at the size the file had when opened.",
	FalsePositive: "The acquisition is still being written (androidqf or a copy still running), or it lies on a mounted device or a synchronised folder.",
	Advice:        "Wait until the acquisition is complete, copy it to a folder nothing else writes to, hash the copy, and run the check again on it.",
}

// changeSet notes the evidence files that changed size while read.
type changeSet struct {
	mu     sync.Mutex
	byName map[string]*sizeChange
}

// sizeChange is what was seen of one file: its size when opened and the bytes found
// (more than size: it grew; fewer: it shrank).
type sizeChange struct {
	size, seen int64
}

func newChangeSet() *changeSet { return &changeSet{byName: map[string]*sizeChange{}} }

func (c *changeSet) note(name string, size, seen int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName[name] == nil {
		c.byName[name] = &sizeChange{size: size, seen: seen}
	}
}

// open opens name in fsys, bounded to its size at opening when it is a regular file.
func (c *changeSet) open(fsys fs.FS, name string) (fs.File, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return f, nil
	}
	s := &stableFile{File: f, name: name, size: fi.Size(), changes: c}
	if ra, ok := f.(io.ReaderAt); ok {
		return &stableFileAt{stableFile: s, at: ra}, nil
	}
	return s, nil
}

// describe says how the size of a file changed.
func (ch sizeChange) describe() string {
	if ch.seen > ch.size {
		return fmt.Sprintf("it had %d bytes when opened and more when read to that size", ch.size)
	}
	return fmt.Sprintf("it had %d bytes when opened and ended after %d", ch.size, ch.seen)
}

// problems returns one acquisition problem per changed file, sorted by name.
func (c *changeSet) problems() []acquire.Problem {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.byName))
	for n := range c.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]acquire.Problem, len(names))
	for i, n := range names {
		out[i] = acquire.Problem{Kind: "changed_while_read", Name: n, Message: "the file changed size while spytrace read it: " + c.byName[n].describe()}
	}
	return out
}

// changedAlerts raises ChangedWhileRead for each problem.
func changedAlerts(problems []acquire.Problem) []alert.Alert {
	var out []alert.Alert
	r := limitReporter("acquisition", &out)
	for _, p := range problems {
		ChangedWhileRead.Raise(r, fmt.Sprintf("%q changed while it was read: %s", p.Name, p.Message), time.Time{},
			map[string]any{"kind": p.Kind, "name": p.Name, "message": p.Message})
	}
	return out
}

// stableFile reads a regular file up to the size it had when opened.
type stableFile struct {
	fs.File
	name    string
	size    int64
	off     int64
	probed  bool
	changes *changeSet
}

func (s *stableFile) Read(p []byte) (int, error) {
	if s.off >= s.size {
		if !s.probed {
			// One byte past the end tells whether the file grew since it was opened.
			s.probed = true
			var b [1]byte
			if n, _ := s.File.Read(b[:]); n > 0 {
				s.changes.note(s.name, s.size, s.size+int64(n))
			}
		}
		return 0, io.EOF
	}
	if rest := s.size - s.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.File.Read(p)
	s.off += int64(n)
	if errors.Is(err, io.EOF) && s.off < s.size {
		s.changes.note(s.name, s.size, s.off)
		return n, fmt.Errorf("read %q: %w (%d bytes when opened, %d found)", s.name, ErrShrank, s.size, s.off)
	}
	return n, err
}

// stableFileAt is a stableFile over a file that also reads at offsets.
type stableFileAt struct {
	*stableFile
	at io.ReaderAt
}

func (s *stableFileAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: s.name, Err: fs.ErrInvalid}
	}
	if off >= s.size {
		return 0, io.EOF
	}
	want := p
	if rest := s.size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	n, err := s.at.ReadAt(want, off)
	if n < len(want) && errors.Is(err, io.EOF) {
		s.changes.note(s.name, s.size, off+int64(n))
		return n, fmt.Errorf("read %q: %w (%d bytes when opened, %d found)", s.name, ErrShrank, s.size, off+int64(n))
	}
	if err == nil && len(want) < len(p) {
		err = io.EOF
	}
	return n, err
}

// stableFS serves the acquisition's files through a changeSet; LocalPath (when the
// acquisition has it) lets SQLite open unchanged databases in place.
type stableFS struct {
	acquire.Acquisition
	changes *changeSet
}

func (s stableFS) Open(name string) (fs.File, error) { return s.changes.open(s.Acquisition, name) }

func (s stableFS) LocalPath(name string) (string, error) {
	if lp, ok := s.Acquisition.(acquire.LocalPather); ok {
		return lp.LocalPath(name)
	}
	return "", &fs.PathError{Op: "localpath", Path: name, Err: fs.ErrNotExist}
}
