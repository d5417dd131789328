package iosbackup

import (
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
)

// Open implements fs.FS.
func (b *Backup) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	fi, e, err := b.stat(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if fi.IsDir() {
		return &acquire.DirFile{Name: name, Info: fi, List: func() ([]fs.DirEntry, error) { return b.children(name), nil }}, nil
	}
	if e == nil { // a root file
		f, err := os.Open(b.rootPath(name))
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &file{File: f, info: fi}, nil
	}
	if e.flags != FlagFile {
		return &empty{info: fi}, nil
	}
	if b.enc != nil {
		return b.openEncrypted(name, *e, fi.(*info))
	}
	f, err := os.Open(b.storedPath(*e))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{File: f, info: fi}, nil
}

func (b *Backup) noteMissing(name string) {
	b.mu.Lock()
	seen := b.missing[name]
	b.missing[name] = true
	b.mu.Unlock()
	if !seen && b.stats.Missing > 100 {
		// checkPresence listed only the first 100; name the ones modules asked for.
		b.problem("missing_file", name, "listed in Manifest.db but missing from the backup folder (partial backup)")
	}
}

// Stat implements fs.StatFS.
func (b *Backup) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	fi, _, err := b.stat(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fi, nil
}

// stat returns the FileInfo of name and, for Manifest.db rows, the entry.
func (b *Backup) stat(name string) (fs.FileInfo, *entry, error) {
	if name == "." {
		return &info{name: ".", mode: fs.ModeDir | 0o555}, nil, nil
	}
	if b.roots[name] {
		osfi, err := os.Lstat(b.rootPath(name))
		if err != nil {
			return nil, nil, err
		}
		return &info{name: name, size: osfi.Size(), mode: 0o444, mtime: osfi.ModTime().UTC()}, nil, nil
	}
	if e, ok := b.lookup(name); ok {
		if e.flags == FlagFile && !e.present {
			// Listed but not stored: left out of listings so the file system stays
			// consistent, and reported as missing (a partial backup).
			b.noteMissing(name)
			return nil, nil, acquire.ErrMissing
		}
		return b.entryInfo(e), &e, nil
	}
	if !strings.Contains(name, "/") && slices.Contains(b.domains, name) || b.hasChildren(name) {
		// A domain, or a folder that has no row of its own.
		return &info{name: path.Base(name), mode: fs.ModeDir | 0o555}, nil, nil
	}
	return nil, nil, fs.ErrNotExist
}

func (b *Backup) entryInfo(e entry) *info {
	fi := &info{name: path.Base(e.name), b: b, e: e}
	switch e.flags {
	case FlagFile:
		fi.mode = 0o444
	case FlagDir:
		fi.mode = fs.ModeDir | 0o555
	case FlagSymlink:
		fi.mode = fs.ModeSymlink | 0o444
	default:
		fi.mode = fs.ModeIrregular | 0o444
	}
	if !strings.Contains(e.name, "/") {
		// The row of a domain itself (relativePath ""): always a folder.
		fi.mode = fs.ModeDir | 0o555
	}
	if md := b.metadata(e); md != nil {
		fi.md = md
		fi.mtime = md.LastModified
		fi.mode |= fs.FileMode(md.Mode & 0o777)
	}
	if e.flags == FlagFile && e.present {
		if b.enc != nil && fi.md != nil {
			fi.size = fi.md.Size // the stored file is ciphertext, padded
		} else if osfi, err := os.Lstat(b.storedPath(e)); err == nil {
			fi.size = osfi.Size()
		}
	}
	return fi
}

// ReadDir implements fs.ReadDirFS. Entries are sorted by name.
func (b *Backup) ReadDir(name string) ([]fs.DirEntry, error) {
	fi, _, err := b.stat(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	return b.children(name), nil
}

func (b *Backup) children(name string) []fs.DirEntry {
	var out []fs.DirEntry
	if name == "." {
		names := append(slices.Clone(b.domains), rootNames(b.roots)...)
		slices.Sort(names)
		for _, n := range names {
			fi, _, err := b.stat(n)
			if err == nil {
				out = append(out, fs.FileInfoToDirEntry(fi))
			}
		}
		return out
	}
	// Entries under "<name>/" form one contiguous run of the sorted list, but a child's
	// subtree need not follow the child's own row ("a", "a-1", "a.db", "a/x" sort in
	// that order), so children are collected, then sorted and de-duplicated. A run of
	// descendants is skipped with one binary search: "<child>0" is the first name after
	// "<child>/…" because '0' follows '/'.
	prefix := name + "/"
	cmp := func(e entry, n string) int { return strings.Compare(e.name, n) }
	i, _ := slices.BinarySearchFunc(b.entries, prefix, cmp)
	for i < len(b.entries) && strings.HasPrefix(b.entries[i].name, prefix) {
		child, _, deeper := strings.Cut(b.entries[i].name[len(prefix):], "/")
		full := prefix + child
		if deeper {
			out = append(out, &lazyEntry{b: b, name: child, full: full, mode: fs.ModeDir})
			next, _ := slices.BinarySearchFunc(b.entries, full+"0", cmp)
			i = max(next, i+1)
			continue
		}
		if e := b.entries[i]; e.flags != FlagFile || e.present {
			out = append(out, &lazyEntry{b: b, name: child, full: full, mode: typeOf(e.flags), exact: true})
		}
		i++
	}
	// Sort by name, a child's own row first, and keep one entry per name.
	slices.SortStableFunc(out, func(x, y fs.DirEntry) int {
		if c := strings.Compare(x.Name(), y.Name()); c != 0 {
			return c
		}
		if x.(*lazyEntry).exact && !y.(*lazyEntry).exact {
			return -1
		}
		return 0
	})
	return slices.CompactFunc(out, func(x, y fs.DirEntry) bool { return x.Name() == y.Name() })
}

func typeOf(flags uint8) fs.FileMode {
	switch flags {
	case FlagFile:
		return 0
	case FlagDir:
		return fs.ModeDir
	case FlagSymlink:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}

func rootNames(roots map[string]bool) []string {
	var out []string
	for n := range roots {
		out = append(out, n)
	}
	return out
}

// lazyEntry is a directory entry whose FileInfo (which needs the MBFile blob) is only
// read when asked for.
type lazyEntry struct {
	b     *Backup
	name  string
	full  string
	mode  fs.FileMode
	exact bool // the child has a row of its own (not only descendants)
}

func (l *lazyEntry) Name() string      { return l.name }
func (l *lazyEntry) IsDir() bool       { return l.mode.IsDir() }
func (l *lazyEntry) Type() fs.FileMode { return l.mode.Type() }
func (l *lazyEntry) Info() (fs.FileInfo, error) {
	fi, _, err := l.b.stat(l.full)
	return fi, err
}
func (l *lazyEntry) String() string { return fs.FormatDirEntry(l) }

// info is the FileInfo of a backup file.
type info struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
	md    *Metadata
	b     *Backup
	e     entry
}

func (i *info) Name() string       { return i.name }
func (i *info) Size() int64        { return i.size }
func (i *info) Mode() fs.FileMode  { return i.mode }
func (i *info) ModTime() time.Time { return i.mtime }
func (i *info) IsDir() bool        { return i.mode.IsDir() }

// Sys returns the *Metadata decoded from the MBFile blob, or nil.
func (i *info) Sys() any {
	if i.md == nil {
		return nil
	}
	return i.md
}

// file is an open stored file; it keeps the backup's FileInfo.
type file struct {
	*os.File
	info fs.FileInfo
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }

// ReadDir is not supported on files.
func (f *file) ReadDir(int) ([]fs.DirEntry, error) {
	return nil, &fs.PathError{Op: "readdir", Path: f.info.Name(), Err: fs.ErrInvalid}
}

// empty is an open symbolic link or special entry: it has no content in a backup.
type empty struct{ info fs.FileInfo }

func (e *empty) Stat() (fs.FileInfo, error) { return e.info, nil }
func (e *empty) Read([]byte) (int, error)   { return 0, io.EOF }
func (e *empty) Close() error               { return nil }

// rootFS serves the backup folder's own files to sqlitex while the backup is opened.
type rootFS struct{ dir string }

func (r rootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) || strings.Contains(name, "/") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return os.Open(filepath.Join(r.dir, name))
}

func (r rootFS) LocalPath(name string) (string, error) {
	if !fs.ValidPath(name) || strings.Contains(name, "/") {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(r.dir, name), nil
}
