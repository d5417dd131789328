// Package archive opens the containers that Android evidence arrives in — a folder, a
// zip file, a zip given as an io.ReaderAt (the plaintext of an age-encrypted androidqf
// .zip.age, decrypted on the fly by filippo.io/age's DecryptReaderAt, never written to
// disk), or a zip inside one of these — as one read-only acquisition ([FS]).
//
// The format is recognised by content, never by name: a folder, or a file that starts
// with a zip local header ("PK\x03\x04", or "PK\x05\x06" for an empty zip) or has a zip
// end-of-central-directory record in its last 65 KiB (a zip with data prepended).
//
// # Names
//
// Names are slash-separated, relative to the root, as fs.FS wants them. Zip entry names
// are cleaned: a leading "./" is removed, "." elements and repeated slashes are
// dropped, and a backslash is taken as a separator (Windows tools wrote zips that way;
// Problem "backslash_name"). Entries whose name is absolute ("/x", "C:/x", "//host/x"),
// has a ".." element, a NUL byte or is not valid UTF-8 are skipped (Problem
// "unsafe_path"): nothing could name them safely. When a name appears twice, the last
// entry wins, as extraction would keep it (Problem "duplicate_name"). An entry under a
// name that is a file elsewhere in the zip is skipped (Problem "not_a_directory").
//
// # Hostile evidence
//
// Nothing is written, extracted or followed. A folder's files are served as they are
// (the byte limits below are for what is decompressed from zips). Symbolic links — in a folder, or zip
// entries whose external attributes say "link" — are listed as fs.ModeSymlink entries;
// opening one fails with [ErrSymlink]; Stat never follows them (it is Lstat). A folder is
// read through an [os.Root], and every component of a name is checked with Lstat, so a
// link in the middle of a path cannot lead outside the evidence (the same approach as
// package iosfs's folder dumps; its small folder backend is duplicated here, as its code
// is unexported). Every limit below ends in a Problem "limit_reached" and an error
// wrapping [ErrLimit] for the read concerned, never a crash:
//
//   - Options.MaxEntries (default 1,000,000): a zip whose central directory lists more
//     entries is served truncated to the first ones (one with data prepended to it is
//     refused, wrapping ErrLimit); a folder's [FS.Walk] stops there.
//   - Options.MaxFileBytes (default 1 GiB): decompressed bytes served from one file.
//   - Options.MaxTotalBytes (default 64 GiB): decompressed bytes served by the whole
//     acquisition (nested zips share their parent's count).
//   - Options.MaxRatio (default 200): a zip entry whose decompressed bytes exceed ratio ×
//     its compressed size, once past 64 MiB, stops (a zip bomb).
//   - Options.MaxDepth (default 3): zips nested in zips in zips, no deeper.
//   - Options.MaxNestedBytes (default 512 MiB): a compressed nested zip is read into
//     memory up to this size (a stored one is read in place).
//
// A zip entry whose header sizes lie is read up to its declared uncompressed size and
// no further: extra data is a Problem "size_mismatch" (the declared bytes are served),
// missing data or a bad CRC-32 fails the read with a Problem "corrupt_entry".
// Encrypted zip entries cannot be read ([ErrEncrypted]).
//
// # Times
//
// A zip entry's ModTime is its extended-timestamp field when present (UTC); otherwise
// it is the MS-DOS date and time, a wall-clock time of the machine that wrote the zip
// whose zone is unknown, labelled UTC by archive/zip. FileInfo.Sys of a zip entry is its
// *zip.FileHeader (a copy), so a reader can tell the two apart.
//
// # Nested zips
//
// A zip inside the evidence is opened on its own with [OpenNested], or served with the
// rest by [Expand]: the files of "logs/a.zip" then appear under "logs/a.zip!/".
//
// # One folder down
//
// Many zips hold everything under one top folder ("androidqf_<uuid>/…",
// "bugreport-…/…"). With Options.StripSingleTop, when the root holds exactly one
// entry and it is a folder (macOS's "__MACOSX" and ".DS_Store" are not counted), that
// folder becomes the root; [FS.Prefix] says which, and the ignored entries are a Problem
// "outside_root".
package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
)

// Format is the container format of an acquisition.
type Format string

// Formats.
const (
	FormatFolder Format = "folder"
	FormatZip    Format = "zip"
)

// Errors.
var (
	// ErrNotArchive means the path is neither a folder nor a zip.
	ErrNotArchive = errors.New("not a folder or a zip archive")
	// ErrSymlink is returned when opening a symbolic link: links are never followed.
	ErrSymlink = errors.New("is a symbolic link in the evidence; links are never followed")
	// ErrNotRegular is returned when opening a device, pipe or other special file.
	ErrNotRegular = errors.New("not a regular file; it has no content to read")
	// ErrLimit is wrapped by the errors of reads and opens stopped by a limit of Options.
	ErrLimit = errors.New("limit reached")
	// ErrEncrypted is returned when opening a zip entry encrypted with a zip password.
	ErrEncrypted = errors.New("the zip entry is encrypted (zip password); it cannot be read")
)

// Options tunes the openers. Zero fields take the defaults.
type Options struct {
	// StripSingleTop makes the single top folder the root (see the package comment).
	StripSingleTop bool
	// MaxEntries bounds the entries of a zip's index and of a folder's Walk;
	// default 1,000,000.
	MaxEntries int
	// MaxFileBytes bounds the bytes served from one file; default 1 GiB.
	MaxFileBytes int64
	// MaxTotalBytes bounds the decompressed bytes served by the acquisition and the
	// zips nested in it; default 64 GiB.
	MaxTotalBytes int64
	// MaxRatio bounds decompressed/compressed bytes of a zip entry past 64 MiB;
	// default 200.
	MaxRatio int64
	// MaxDepth bounds the nesting of zips opened with OpenNested; default 3.
	MaxDepth int
	// MaxNestedBytes bounds a compressed nested zip read into memory; default 512 MiB.
	MaxNestedBytes int64
}

// Defaults.
const (
	DefaultMaxEntries     = 1_000_000
	DefaultMaxFileBytes   = 1 << 30
	DefaultMaxTotalBytes  = 64 << 30
	DefaultMaxRatio       = 200
	DefaultMaxDepth       = 3
	DefaultMaxNestedBytes = 512 << 20
	// RatioFloor is the decompressed size of an entry below which MaxRatio is not
	// applied (small, highly compressible text files are common and harmless).
	RatioFloor = 64 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = DefaultMaxRatio
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxNestedBytes <= 0 {
		o.MaxNestedBytes = DefaultMaxNestedBytes
	}
	return o
}

// backend serves the names of one container, relative to its top (before Prefix).
type backend interface {
	stat(name string) (*fileInfo, error)
	readDir(name string) ([]*fileInfo, error) // sorted by name
	open(name string, fi *fileInfo) (fs.File, error)
	localPath(name string) (string, error)
	close() error
}

// budget counts the bytes served by an acquisition and its nested zips.
type budget struct {
	max  int64
	used atomic.Int64
}

// FS is an opened folder or zip.
type FS struct {
	kind   acquire.Kind
	root   string
	prefix string
	format Format
	depth  int
	opt    Options
	ctx    context.Context
	b      backend
	budget *budget
	extra  []io.Closer // closed after the backend (a nested zip's parent entry)

	mu        sync.Mutex
	problems  []acquire.Problem
	noted     map[string]bool
	truncated bool
	closed    bool
}

var (
	_ acquire.Acquisition = (*FS)(nil)
	_ acquire.LocalPather = (*FS)(nil)
	_ acquire.Problems    = (*FS)(nil)
	_ acquire.Walker      = (*FS)(nil)
)

// Open opens the folder or zip file at p as an acquisition of the given kind.
func Open(ctx context.Context, p string, kind acquire.Kind, opt Options) (*FS, error) {
	opt = opt.withDefaults()
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", kind, err)
	}
	if fi.IsDir() {
		a := newFS(ctx, kind, p, FormatFolder, opt, &budget{max: opt.MaxTotalBytes})
		b, err := openFolder(p)
		if err != nil {
			return nil, fmt.Errorf("open %q: %w", p, err)
		}
		b.note = func(name string) {
			a.problemOnce("name:"+name, "unsafe_path", name, "the name is not valid UTF-8 (or cannot be named in a slash-separated path); the entry is skipped")
		}
		a.b = b
		a.root = b.dir
		if err := a.chooseTop(); err != nil {
			a.Close()
			return nil, fmt.Errorf("open %q: %w", p, err)
		}
		return a, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", kind, err)
	}
	fi, err = f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %q: %w: not a regular file", p, ErrNotArchive)
	}
	if err := sniff(f, fi.Size()); err != nil {
		f.Close()
		return nil, fmt.Errorf("open %q: %w", p, err)
	}
	a, err := openZip(ctx, f, fi.Size(), kind, p, opt, &budget{max: opt.MaxTotalBytes}, 0)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %q: %w", p, err)
	}
	a.extra = append(a.extra, f)
	return a, nil
}

// OpenZipReaderAt opens the zip of size bytes that r reads, such as the plaintext
// that age.DecryptReaderAt returns for an androidqf .zip.age. name is what Root
// returns (the evidence's path). If r is also an io.Closer, Close closes it: pass
// struct{ io.ReaderAt; io.Closer }{plain, file} to have the encrypted file closed.
func OpenZipReaderAt(ctx context.Context, r io.ReaderAt, size int64, kind acquire.Kind, name string, opt Options) (*FS, error) {
	opt = opt.withDefaults()
	a, err := openZip(ctx, r, size, kind, name, opt, &budget{max: opt.MaxTotalBytes}, 0)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", name, err)
	}
	if c, ok := r.(io.Closer); ok {
		a.extra = append(a.extra, c)
	}
	return a, nil
}

func newFS(ctx context.Context, kind acquire.Kind, root string, format Format, opt Options, bud *budget) *FS {
	if ctx == nil {
		ctx = context.Background()
	}
	return &FS{kind: kind, root: root, format: format, opt: opt, ctx: ctx, budget: bud, noted: map[string]bool{}}
}

// sniff checks that the file is a zip, and says what else it may be if not.
func sniff(r io.ReaderAt, size int64) error {
	head := make([]byte, 64)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	s := string(head)
	switch {
	case strings.HasPrefix(s, "PK\x03\x04"), strings.HasPrefix(s, "PK\x05\x06"), strings.HasPrefix(s, "PK\x07\x08"):
		return nil
	case strings.HasPrefix(s, "age-encryption.org/"):
		return fmt.Errorf("%w: it is age-encrypted (an androidqf .zip.age?); it needs the age identity or passphrase", ErrNotArchive)
	case strings.HasPrefix(s, "ANDROID BACKUP"):
		return fmt.Errorf("%w: it is an Android backup (.ab)", ErrNotArchive)
	case strings.HasPrefix(s, "\x1f\x8b"):
		return fmt.Errorf("%w: it is gzip-compressed", ErrNotArchive)
	}
	if _, _, err := findEnd(r, size); err == nil {
		return nil // data prepended to a zip (a self-extracting archive)
	}
	return ErrNotArchive
}

// chooseTop applies StripSingleTop.
func (a *FS) chooseTop() error {
	if !a.opt.StripSingleTop {
		return nil
	}
	top, err := a.b.readDir(".")
	if err != nil {
		return err
	}
	var kept, ignored []*fileInfo
	for _, fi := range top {
		if fi.name == "__MACOSX" || fi.name == ".DS_Store" {
			ignored = append(ignored, fi)
		} else {
			kept = append(kept, fi)
		}
	}
	if len(kept) != 1 || !kept[0].mode.IsDir() {
		return nil
	}
	a.prefix = kept[0].name
	if a.format == FormatFolder {
		a.root = a.root + string(os.PathSeparator) + a.prefix
	}
	for _, fi := range ignored {
		a.problem("outside_root", fi.name, fmt.Sprintf("the evidence has everything under one top folder %q; this entry beside it is not served", a.prefix))
	}
	return nil
}

// Kind implements acquire.Acquisition.
func (a *FS) Kind() acquire.Kind { return a.kind }

// Root returns the folder served (with Prefix) for a folder, the zip's path for a zip
// ("<parent root>!/<entry>" for a nested zip).
func (a *FS) Root() string { return a.root }

// Prefix returns the top folder chosen by StripSingleTop ("" when none).
func (a *FS) Prefix() string { return a.prefix }

// Format returns what was opened.
func (a *FS) Format() Format { return a.format }

// Depth returns 0 for an opened file or folder, 1 for a zip inside it, and so on.
func (a *FS) Depth() int { return a.depth }

// Truncated reports whether a limit stopped the indexing or the walk, so that some
// entries are not served.
func (a *FS) Truncated() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.truncated
}

// BytesRead returns the decompressed bytes served so far, by this acquisition and the
// zips nested in it (the count that MaxTotalBytes bounds).
func (a *FS) BytesRead() int64 { return a.budget.used.Load() }

// Close releases the handles. Close nested acquisitions before their parent.
func (a *FS) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	var errs []error
	if a.b != nil {
		errs = append(errs, a.b.close())
	}
	for _, c := range a.extra {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

const maxProblems = 1000

func (a *FS) problem(kind, name, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.problems) < maxProblems {
		a.problems = append(a.problems, acquire.Problem{Kind: kind, Name: name, Message: msg})
	}
}

// problemOnce records a Problem once per key.
func (a *FS) problemOnce(key, kind, name, msg string) {
	a.mu.Lock()
	seen := a.noted[key]
	a.noted[key] = true
	a.mu.Unlock()
	if !seen {
		a.problem(kind, name, msg)
	}
}

// Problems implements acquire.Problems.
func (a *FS) Problems() []acquire.Problem {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.problems)
}

// full maps a name of the acquisition to the backend's.
func (a *FS) full(name string) string {
	switch {
	case a.prefix == "":
		return name
	case name == ".":
		return a.prefix
	}
	return a.prefix + "/" + name
}

func (a *FS) stat(op, name string) (*fileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if a.isClosed() {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrClosed}
	}
	fi, err := a.b.stat(a.full(name))
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if name == "." {
		c := *fi
		c.name = "."
		fi = &c
	}
	return fi, nil
}

func (a *FS) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// Stat implements fs.StatFS. It never follows a symbolic link.
func (a *FS) Stat(name string) (fs.FileInfo, error) {
	fi, err := a.stat("stat", name)
	if err != nil {
		return nil, err
	}
	return fi, nil
}

// ReadDir implements fs.ReadDirFS. Entries are sorted by name.
func (a *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	fi, err := a.stat("readdir", name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	infos, err := a.b.readDir(a.full(name))
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, 0, len(infos))
	for _, fi := range infos {
		out = append(out, fs.FileInfoToDirEntry(fi))
	}
	return out, nil
}

// Open implements fs.FS. Opening a symbolic link fails with ErrSymlink.
func (a *FS) Open(name string) (fs.File, error) {
	fi, err := a.stat("open", name)
	if err != nil {
		return nil, err
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return &acquire.DirFile{Name: name, Info: fi, List: func() ([]fs.DirEntry, error) { return a.ReadDir(name) }}, nil
	case m&fs.ModeSymlink != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
	case !m.IsRegular():
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	f, err := a.b.open(a.full(name), fi)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}

// LocalPath implements acquire.LocalPather for a folder: where a regular file is on
// disk. Files inside a zip have none.
func (a *FS) LocalPath(name string) (string, error) {
	fi, err := a.stat("localpath", name)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: ErrNotRegular}
	}
	p, err := a.b.localPath(a.full(name))
	if err != nil {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: err}
	}
	return p, nil
}

// Walk implements acquire.Walker: fn is called for every entry (the root excluded),
// depth first, the entries of each folder in name order, as fs.WalkDir does, with its
// SkipDir and SkipAll. A zip's walk reads its index; a folder's lists the folders and
// stops after MaxEntries entries (Problem "limit_reached"). A folder that cannot be
// listed is a Problem "unreadable_folder" and the walk goes on.
func (a *FS) Walk(fn func(name string, fi fs.FileInfo) error) error {
	count := 0
	var walk func(dir string) error
	walk = func(dir string) error {
		if err := a.ctx.Err(); err != nil {
			return err
		}
		infos, err := a.b.readDir(a.full(dir))
		if err != nil {
			a.problem("unreadable_folder", dir, fmt.Sprintf("the folder cannot be listed (%v); what it holds is not walked", err))
			return nil
		}
		for _, fi := range infos {
			count++
			if count > a.opt.MaxEntries {
				a.mu.Lock()
				a.truncated = true
				a.mu.Unlock()
				a.problemOnce("walk-limit", "limit_reached", dir, fmt.Sprintf("the evidence holds more than %d entries (Options.MaxEntries); the walk stopped here", a.opt.MaxEntries))
				return fs.SkipAll
			}
			name := fi.name
			if dir != "." {
				name = dir + "/" + name
			}
			err := fn(name, fi)
			if err == fs.SkipDir {
				if fi.IsDir() {
					continue
				}
				return nil
			}
			if err != nil {
				return err
			}
			if fi.IsDir() {
				if err := walk(name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := walk(".")
	if err == fs.SkipAll || err == fs.SkipDir {
		return nil
	}
	return err
}

// fileInfo is the FileInfo of an entry.
type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
	sys   any
	osfi  fs.FileInfo // what os.Lstat gave, for a folder's entries
}

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return i.size }
func (i *fileInfo) Mode() fs.FileMode  { return i.mode }
func (i *fileInfo) ModTime() time.Time { return i.mtime }
func (i *fileInfo) IsDir() bool        { return i.mode.IsDir() }

// Sys returns a *zip.FileHeader for a zip entry, what os.Lstat gives for a folder's.
func (i *fileInfo) Sys() any       { return i.sys }
func (i *fileInfo) String() string { return fs.FormatFileInfo(i) }

// base is path.Base for the backend's names.
func base(name string) string { return path.Base(name) }
