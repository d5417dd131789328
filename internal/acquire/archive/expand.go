package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
)

// NestedSep separates the name of a nested zip from the names inside it in an
// [Expanded] acquisition, as in Java's jar URLs: "logs.zip!/security.log" is the file
// "security.log" of the zip "logs.zip"; "a.zip!/b.zip!/c" is "c" in "b.zip" in "a.zip".
const NestedSep = "!/"

// Expanded is one acquisition that serves every file of an [FS] and, beside each
// nested zip, the files inside it (see [Expand]).
type Expanded struct {
	top *level
	opt Options

	mu       sync.Mutex
	problems []acquire.Problem
	noted    map[string]bool
	closed   bool

	all     []*level // nested levels, in walk order (parents before their children)
	memUsed int64    // compressed nested zips read into memory
	entries int      // entries seen while expanding (all levels)
}

// level is the outer FS or one nested zip.
type level struct {
	fs     *FS
	prefix string              // its root's name in the Expanded namespace + "/": "" or "a.zip!/"
	name   string              // the nested zip's Expanded name ("" for the outer FS)
	info   *mountInfo          // the virtual folder "<zip>!" (nil for the outer FS)
	mounts map[string]*level   // name of a nested zip in fs → its level
	dirs   map[string][]*level // folder of fs → the nested zips in it
}

var (
	_ acquire.Acquisition = (*Expanded)(nil)
	_ acquire.Problems    = (*Expanded)(nil)
	_ acquire.Walker      = (*Expanded)(nil)
	_ acquire.LocalPather = (*Expanded)(nil)
)

// Expand makes fsys and the zips nested in it one acquisition (an intrusion-logs
// export is often a zip of zips). It serves every name of fsys, and for every regular
// file whose content is a zip, a virtual folder "<name>!" holding the zip's entries, so
// that the file "b" of the zip "logs/a.zip" is "logs/a.zip!/b" ([NestedSep]); zips in
// nested zips are expanded in turn, to Options.MaxDepth levels below fsys.
//
// A zip is recognised by content, never by name: a file of at least 22 bytes that starts
// with a zip signature ("PK\x03\x04", "PK\x05\x06" or "PK\x07\x08"). A zip with data
// prepended to it (recognised by [Open] by the end of the file) is not expanded: that
// would need every file decompressed to its end. Android packages (.apk) are zips and
// are expanded too.
//
// Nested zips are opened at Expand time with [OpenNested] and keep their entry names
// exactly (Options.StripSingleTop is not applied to them). A nested zip that cannot be
// opened (corrupt, encrypted, too deep) is a Problem, not an error. A real entry named
// like a virtual folder ("a.zip!", or anything under it) cannot shadow it: it is not
// served (Problem "name_collision"). A name with "!/" whose left part is not a zip is an
// ordinary name.
//
// Limits, shared by the whole expansion: the decompressed bytes count of fsys
// (its MaxTotalBytes) is shared by every nested zip; Options.MaxNestedBytes bounds the
// sum of the compressed nested zips read into memory (stored ones are read in place);
// Options.MaxEntries bounds the entries of fsys and all nested zips together (a nested
// zip is indexed up to the entries left; none is opened once none are left).
// Options.MaxFileBytes and MaxRatio apply to the files of nested zips. Each limit
// reached is a Problem "limit_reached".
//
// Expanded takes fsys over: its Close closes the nested zips, then fsys. Expand returns
// an error only when ctx is done; fsys is then not closed.
func Expand(ctx context.Context, fsys *FS, opt Options) (*Expanded, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	opt = opt.withDefaults()
	opt.StripSingleTop = false
	e := &Expanded{top: &level{fs: fsys}, opt: opt, noted: map[string]bool{}}
	if err := e.build(ctx, e.top); err != nil {
		e.closeNested()
		return nil, err
	}
	return e, nil
}

// zipMagic reports whether the file name of fsys starts with a zip signature.
func zipMagic(fsys fs.FS, name string) (inPlace, ok bool) {
	f, err := fsys.Open(name)
	if err != nil {
		return false, false
	}
	defer f.Close()
	_, inPlace = f.(io.ReaderAt)
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil {
		return false, false
	}
	switch string(head) {
	case "PK\x03\x04", "PK\x05\x06", "PK\x07\x08":
		return inPlace, true
	}
	return false, false
}

// shadowed reports whether name of l is a real entry hidden by a virtual folder.
func (l *level) shadowed(name string) bool {
	return strings.HasSuffix(name, "!") && l.mounts[strings.TrimSuffix(name, "!")] != nil
}

// build finds the nested zips of l and opens them, depth first, in walk order.
func (e *Expanded) build(ctx context.Context, l *level) error {
	return l.fs.Walk(func(name string, fi fs.FileInfo) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.entries++
		if l.shadowed(name) {
			e.problem("name_collision", l.prefix+name, fmt.Sprintf("a real entry has the name of the folder that serves the files of the nested zip %q; the nested zip's files are served under this name, the real entry (and what it holds) is not served", l.prefix+strings.TrimSuffix(name, "!")))
			if fi.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !fi.Mode().IsRegular() || fi.Size() < 22 {
			return nil
		}
		inPlace, ok := zipMagic(l.fs, name)
		if !ok {
			return nil
		}
		full := l.prefix + name
		left := e.opt.MaxEntries - e.entries
		if left <= 0 {
			e.problemOnce("entries", "limit_reached", full, fmt.Sprintf("the evidence and its nested zips hold more than %d entries (Options.MaxEntries); this nested zip and the ones after it are not opened", e.opt.MaxEntries))
			return nil
		}
		if !inPlace {
			if e.memUsed+fi.Size() > e.opt.MaxNestedBytes {
				e.problem("limit_reached", full, fmt.Sprintf("the nested zip is not opened: the compressed nested zips would take more than %d bytes of memory (Options.MaxNestedBytes)", e.opt.MaxNestedBytes))
				return nil
			}
		}
		nopt := e.opt
		nopt.MaxEntries = left
		n, err := OpenNested(ctx, l.fs, name, l.fs.Kind(), nopt)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if !errorsIsLimit(err) { // a limit is already a Problem of l.fs
				e.problem("unreadable_nested_zip", full, fmt.Sprintf("the file starts like a zip but cannot be opened as one (%v); only the file itself is served", err))
			}
			return nil
		}
		if !inPlace {
			e.memUsed += fi.Size()
		}
		m := &level{fs: n, prefix: full + NestedSep, name: full,
			info: &mountInfo{name: path.Base(name) + "!", mtime: fi.ModTime()}}
		if l.mounts == nil {
			l.mounts, l.dirs = map[string]*level{}, map[string][]*level{}
		}
		l.mounts[name] = m
		d := path.Dir(name)
		l.dirs[d] = append(l.dirs[d], m)
		e.all = append(e.all, m)
		// A real entry "<name>!" sorts after name, so the walk reaches it later and
		// reports it as shadowed.
		return e.build(ctx, m)
	})
}

// Outer returns the acquisition that was expanded.
func (e *Expanded) Outer() *FS { return e.top.fs }

// Nested returns the names of the nested zips opened, in walk order ("a.zip",
// "a.zip!/b.zip", …).
func (e *Expanded) Nested() []string {
	out := make([]string, 0, len(e.all))
	for _, l := range e.all {
		out = append(out, l.name)
	}
	return out
}

// Kind implements acquire.Acquisition: the outer FS's.
func (e *Expanded) Kind() acquire.Kind { return e.top.fs.Kind() }

// Root implements acquire.Acquisition: the outer FS's.
func (e *Expanded) Root() string { return e.top.fs.Root() }

// BytesRead returns the decompressed bytes served so far by the whole expansion.
func (e *Expanded) BytesRead() int64 { return e.top.fs.BytesRead() }

// Close closes the nested zips, deepest first, then the outer FS.
func (e *Expanded) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	return errors.Join(e.closeNested(), e.top.fs.Close())
}

func (e *Expanded) closeNested() error {
	var errs []error
	for _, l := range slices.Backward(e.all) {
		errs = append(errs, l.fs.Close())
	}
	return errors.Join(errs...)
}

func (e *Expanded) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

func (e *Expanded) problem(kind, name, msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.problems) < maxProblems {
		e.problems = append(e.problems, acquire.Problem{Kind: kind, Name: name, Message: msg})
	}
}

func (e *Expanded) problemOnce(key, kind, name, msg string) {
	e.mu.Lock()
	seen := e.noted[key]
	e.noted[key] = true
	e.mu.Unlock()
	if !seen {
		e.problem(kind, name, msg)
	}
}

// Problems implements acquire.Problems: the outer FS's, the expansion's own
// (name_collision, unreadable_nested_zip, limit_reached), then each nested zip's in
// walk order, with names prefixed by the zip's ("a.zip!/x"; the zip's own name for a
// problem of the whole zip).
func (e *Expanded) Problems() []acquire.Problem {
	out := e.top.fs.Problems()
	e.mu.Lock()
	out = append(out, e.problems...)
	e.mu.Unlock()
	for _, l := range e.all {
		for _, p := range l.fs.Problems() {
			if p.Name == "" {
				p.Name = l.name
			} else {
				p.Name = l.prefix + p.Name
			}
			out = append(out, p)
		}
	}
	return out
}

// resolve maps a valid name of e to the level that serves it and the name there. A
// virtual folder "<zip>!" resolves to the nested zip's ".".
func (e *Expanded) resolve(name string) (*level, string) {
	l := e.top
	if name == "." || !strings.Contains(name, "!") {
		return l, name
	}
	start := 0 // where the name relative to l starts
	for i := 0; i < len(name); {
		j := strings.IndexByte(name[i:], '/')
		end := len(name)
		if j >= 0 {
			end = i + j
		}
		if l.mounts != nil && end > start && name[end-1] == '!' {
			if m := l.mounts[name[start:end-1]]; m != nil {
				l = m
				if end == len(name) {
					return l, "."
				}
				start = end + 1
			}
		}
		i = end + 1
	}
	return l, name[start:]
}

func pathErr(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

func (e *Expanded) stat(op, name string) (*level, string, fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if e.isClosed() {
		return nil, "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrClosed}
	}
	l, rel := e.resolve(name)
	if rel == "." && l != e.top {
		return l, rel, l.info, nil
	}
	fi, err := l.fs.Stat(rel)
	if err != nil {
		return nil, "", nil, pathErr(op, name, err)
	}
	return l, rel, fi, nil
}

// Stat implements fs.StatFS. It never follows a symbolic link.
func (e *Expanded) Stat(name string) (fs.FileInfo, error) {
	_, _, fi, err := e.stat("stat", name)
	return fi, err
}

// ReadDir implements fs.ReadDirFS: a folder's entries sorted by name, with the virtual
// folder of each nested zip in it.
func (e *Expanded) ReadDir(name string) ([]fs.DirEntry, error) {
	l, rel, fi, err := e.stat("readdir", name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	des, err := l.fs.ReadDir(rel)
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	mounts := l.dirs[rel]
	if len(mounts) == 0 { // no nested zip here, so nothing shadowed either
		return des, nil
	}
	out := make([]fs.DirEntry, 0, len(des)+len(mounts))
	for _, d := range des {
		child := d.Name()
		if rel != "." {
			child = rel + "/" + child
		}
		if !l.shadowed(child) {
			out = append(out, d)
		}
	}
	for _, m := range mounts {
		out = append(out, fs.FileInfoToDirEntry(m.info))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// Open implements fs.FS. Opening a symbolic link fails with ErrSymlink.
func (e *Expanded) Open(name string) (fs.File, error) {
	l, rel, fi, err := e.stat("open", name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return &expDir{e: e, name: name, info: fi}, nil
	}
	f, err := l.fs.Open(rel)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return f, nil
}

// LocalPath implements acquire.LocalPather for the files of a folder (not those in
// zips).
func (e *Expanded) LocalPath(name string) (string, error) {
	l, rel, _, err := e.stat("localpath", name)
	if err != nil {
		return "", err
	}
	if l != e.top {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: fmt.Errorf("files inside a zip have no local path: %w", errors.ErrUnsupported)}
	}
	p, err := l.fs.LocalPath(rel)
	if err != nil {
		return "", pathErr("localpath", name, err)
	}
	return p, nil
}

// Walk implements acquire.Walker: the outer FS's walk order (fs.WalkDir's), each
// nested zip's virtual folder and entries right after the zip, with fs.WalkDir's
// SkipDir and SkipAll (SkipDir on a virtual folder skips the nested zip).
func (e *Expanded) Walk(fn func(name string, fi fs.FileInfo) error) error {
	if e.isClosed() {
		return fs.ErrClosed
	}
	stop := false
	var walk func(l *level) error
	walk = func(l *level) error {
		err := l.fs.Walk(func(name string, fi fs.FileInfo) error {
			if l.shadowed(name) {
				if fi.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			err := fn(l.prefix+name, fi)
			if err != nil || l.mounts == nil {
				if err == fs.SkipAll {
					stop = true
				}
				return err
			}
			m := l.mounts[name]
			if m == nil {
				return nil
			}
			switch err := fn(m.name+"!", m.info); err {
			case nil:
			case fs.SkipDir:
				return nil
			case fs.SkipAll:
				stop = true
				return err
			default:
				return err
			}
			if err := walk(m); err != nil {
				return err
			}
			if stop {
				return fs.SkipAll
			}
			return nil
		})
		return err
	}
	return walk(e.top)
}

// mountInfo is the FileInfo of the virtual folder of a nested zip.
type mountInfo struct {
	name  string
	mtime time.Time
}

func (i *mountInfo) Name() string       { return i.name }
func (i *mountInfo) Size() int64        { return 0 }
func (i *mountInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (i *mountInfo) ModTime() time.Time { return i.mtime }
func (i *mountInfo) IsDir() bool        { return true }
func (i *mountInfo) Sys() any           { return nil }
func (i *mountInfo) String() string     { return fs.FormatFileInfo(i) }

// expDir is an open folder of an Expanded.
type expDir struct {
	e       *Expanded
	name    string
	info    fs.FileInfo
	entries []fs.DirEntry
	read    bool
	off     int
}

func (f *expDir) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *expDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: f.name, Err: errors.New("is a directory")}
}
func (f *expDir) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (f *expDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !f.read {
		es, err := f.e.ReadDir(f.name)
		if err != nil {
			return nil, err
		}
		f.entries, f.read = es, true
	}
	rest := f.entries[f.off:]
	if n <= 0 {
		f.off = len(f.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	f.off += n
	return rest[:n], nil
}
