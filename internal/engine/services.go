package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"sync"

	"github.com/spytrace/spytrace/internal/sqlitex"
)

// services is the module.Services of one module: every read is bounded, shared with the
// other modules of the run and noted for info.json.
type services struct {
	run      *run
	module   string
	mu       sync.Mutex
	read     []string
	tooLarge []string // files refused by ReadFile for their size
	problems []string // of the databases the module opened (sqlitex.DB.Problems)
}

func (s *services) note(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.read, name) {
		s.read = append(s.read, name)
	}
}

func (s *services) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.read)
	sort.Strings(out)
	return out
}

// ErrTooLarge is wrapped by errors for files over the size limit of whole-file reads.
var ErrTooLarge = errors.New("file larger than the limit for whole-file reads")

func (s *services) ReadFile(name string) ([]byte, error) {
	f, err := s.run.changes.open(s.run.cfg.Acquisition, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s.note(name)
	limit := s.run.limits.MaxFileBytes
	data, tooLarge, err := readWhole(f, limit)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", name, err)
	}
	if tooLarge {
		s.mu.Lock()
		s.tooLarge = append(s.tooLarge, name)
		s.mu.Unlock()
		return nil, fmt.Errorf("read %q: %w (%d bytes)", name, ErrTooLarge, limit)
	}
	sum := sha256.Sum256(data)
	s.run.reads.add(name, int64(len(data)), hex.EncodeToString(sum[:]))
	return data, nil
}

// readWhole reads f to its end, unless it holds more than limit bytes (tooLarge). A
// regular file whose size is known is read into a buffer of that size (io.ReadAll's
// doubling would take up to twice the limit in memory), and one larger than limit is
// not read at all.
func readWhole(f fs.File, limit int64) (data []byte, tooLarge bool, err error) {
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() && fi.Size() >= 0 {
		if fi.Size() > limit {
			return nil, true, nil
		}
		data = make([]byte, fi.Size())
		if _, err := io.ReadFull(f, data); err != nil {
			return nil, false, err
		}
	}
	// The rest: all of a file whose size is not known, and bytes past the size
	// announced (an archive entry longer than its header says).
	rest, err := io.ReadAll(io.LimitReader(f, limit+1-int64(len(data))))
	if err != nil {
		return nil, false, err
	}
	data = append(data, rest...)
	return data, int64(len(data)) > limit, nil
}

func (s *services) Open(name string) (fs.File, error) {
	f, err := s.run.changes.open(s.run.cfg.Acquisition, name)
	if err != nil {
		return nil, err
	}
	s.note(name)
	s.run.reads.add(name, -1, "")
	return f, nil
}

func (s *services) OpenSQLite(ctx context.Context, name string) (*sqlitex.DB, error) {
	db, err := s.run.dbs.open(ctx, name)
	if db != nil {
		for _, f := range db.Files {
			s.note(f.Name)
			s.run.reads.add(f.Name, f.Size, f.SHA256)
		}
		s.mu.Lock()
		for _, p := range db.Problems {
			if !slices.Contains(s.problems, p) {
				s.problems = append(s.problems, p)
			}
		}
		s.mu.Unlock()
	}
	return db, err
}

// dbProblems returns the problems of the databases the module opened, in the order
// it opened them.
func (s *services) dbProblems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}

func (s *services) Dependency(module string) ([]any, error) {
	s.run.mu.Lock()
	defer s.run.mu.Unlock()
	recs, ok := s.run.kept[module]
	if !ok {
		return nil, fmt.Errorf("records of module %q are not available (not declared in Requires, or it did not run)", module)
	}
	return recs, nil
}

// dbCache opens each evidence database once per run and shares the handle.
type dbCache struct {
	fsys    fs.FS
	tmp     string
	maxCopy int64
	mu      sync.Mutex
	entries map[string]*dbEntry
}

type dbEntry struct {
	once sync.Once
	db   *sqlitex.DB
	err  error
}

func newDBCache(fsys fs.FS, tmp string, maxCopy int64) *dbCache {
	return &dbCache{fsys: fsys, tmp: tmp, maxCopy: maxCopy, entries: map[string]*dbEntry{}}
}

func (c *dbCache) open(ctx context.Context, name string) (*sqlitex.DB, error) {
	c.mu.Lock()
	e := c.entries[name]
	if e == nil {
		e = &dbEntry{}
		c.entries[name] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		// The shared handle outlives the module that opened it first: it must not be
		// tied to that module's context.
		e.db, e.err = sqlitex.Open(context.WithoutCancel(ctx), c.fsys, name, sqlitex.Options{TempDir: c.tmp, MaxCopyBytes: c.maxCopy})
	})
	return e.db, e.err
}

func (c *dbCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.db != nil {
			e.db.Close()
		}
	}
}

// readSet remembers every evidence file read during the run, with its hash when the
// read computed one.
type readSet struct {
	mu    sync.Mutex
	files map[string]*readFile
	live  *Live
}

type readFile struct {
	size   int64
	sha256 string
}

func newReadSet(live *Live) *readSet { return &readSet{files: map[string]*readFile{}, live: live} }

func (r *readSet) add(name string, size int64, sum string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.files[name]
	if f == nil {
		f = &readFile{size: size}
		r.files[name] = f
		r.live.fileRead()
	}
	if sum != "" && f.sha256 == "" {
		f.sha256, f.size = sum, size
	}
}
