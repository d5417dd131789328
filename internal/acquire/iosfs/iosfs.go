// Package iosfs opens a full file-system dump of an iPhone as a read-only acquisition:
// a folder, a .tar or a .tar.gz (.tgz). The format is recognised by content (gzip
// magic, "ustar" at offset 257 or a valid tar header checksum), never by name.
//
// # Root
//
// The dump's root is the folder that holds private/var. Dumps rooted at "/" (with
// "private/" at the top) and dumps with one extra top folder ("filesystem/private/var",
// "./private/var" in an archive) are accepted; [Dump.Prefix] says which top folder was
// chosen and, when several could be, a Problem "ambiguous_root" names the others.
//
// # Two namespaces in one fs.FS
//
// Device namespace: device paths relative to the root, without the leading slash
// ("private/var/mobile/Library/SMS/sms.db"). The canonical form is private/var: the
// /var symlink of iOS is honoured for names below it ("var/mobile/…" is served as
// "private/var/mobile/…"), but the alias is never listed (a "var" symbolic link that
// the dump holds is listed as that link), so that each file appears once in listings,
// fs.Glob and [Dump.Walk]. A dump whose "var" is a real folder (not a symbolic link)
// is served as it is, with a Problem "var_not_symlink".
//
// Backup namespace: "<domain>/<relativePath>", as an iOS backup names files, so that
// every backup module runs on a dump. Fixed domains map to their device folder
// (HomeDomain → private/var/mobile, through iosbackup.DevicePath's table; see
// fixedDomains for the domains left out). App containers are named by the
// MCMMetadataIdentifier of their .com.apple.mobile_container_manager.metadata.plist:
// AppDomain-<id> (Containers/Data/Application/<UUID>), AppDomainGroup-<id>
// (Containers/Shared/AppGroup/<UUID>), AppDomainPlugin-<id>
// (Containers/Data/PluginKitPlugin/<UUID>), SysContainerDomain-<id>
// (private/var/containers/Data/System/<UUID>) and SysSharedContainerDomain-<id>
// (private/var/containers/Shared/SystemGroup/<UUID>). When several containers claim
// one identifier, all are served: in UUID order, the first as "AppDomain-<id>", the
// next as "AppDomain-<id>~2", "~3", … (and a Problem "duplicate_container"), so that
// every copy of an artifact is read, not only the first. Top-level names that end in
// "Domain" or contain "Domain-" are the backup namespace; a device entry at the top
// with such a name is hidden (Problem "shadowed_name"). ReadDir(".") lists both.
//
// # Hostile evidence
//
// Nothing is written, extracted or followed. Symbolic links are served as
// fs.ModeSymlink entries (ReadLink gives the target); opening one fails with
// [ErrSymlink]. Stat does not follow links either (it is Lstat). In a folder, every
// component of a name is checked with Lstat, so a link in the middle of a path cannot
// lead outside the dump, and files are opened through an [os.Root]. In an archive,
// names are cleaned (leading "./" and "/" removed); names with ".." elements, NUL or
// invalid UTF-8 are skipped (Problem "unsafe_path"); hard links are kept as links
// (fs.ModeIrregular, [TarEntry] in Sys) and never resolved; a duplicate name replaces
// the earlier entry, as extraction would (Problem "duplicate_name"). Limits on the
// entry count, the bytes read and the compression ratio stop the indexing with a
// Problem "limit_reached"; what was indexed until then is served ([Dump.Truncated]).
//
// # Archives are read in place
//
// One pass over the archive builds an index; nothing is extracted to disk. A plain
// .tar is then read at random through io.SectionReader. A .tar.gz has no random
// access, so the trade-off is: during the single pass, the content of the files whose
// device path may match [Options.Want] (the modules' Paths, in either namespace) is
// kept in memory, up to [Options.MaxInMemory] in total and [Options.MaxFileInMemory]
// per file, and those that do not fit are written to a private folder inside
// [Options.SpillDir] (removed by Close) up to [Options.MaxSpillBytes]; container
// metadata plists are always kept. Every other file is listed and can be stat'ed, but
// opening it fails with an error wrapping [ErrNotRetained] that says why (not wanted,
// too large, budget spent), so the module that asked reports it instead of silently
// finding nothing.
package iosfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
)

// Format is the container format of a dump.
type Format string

// Formats.
const (
	FormatFolder Format = "folder"
	FormatTar    Format = "tar"
	FormatTarGz  Format = "tar.gz"
)

// Errors.
var (
	// ErrNotDump means no private/var was found at the top or one folder down.
	ErrNotDump = errors.New("not an iOS file-system dump (no private/var at its top or one folder down)")
	// ErrNotSysdiagnose means no sysdiagnose content (sysdiagnose.log, ps.txt,
	// system_logs.logarchive, crashes_and_spins) was found at the top or one folder down.
	ErrNotSysdiagnose = errors.New("not a sysdiagnose archive (no sysdiagnose.log, ps.txt, system_logs.logarchive or crashes_and_spins at its top or one folder down)")
	// ErrUnknownFormat means the file is neither a tar nor a gzip-compressed tar.
	ErrUnknownFormat = errors.New("not a folder, a tar or a gzip-compressed tar")
	// ErrSymlink is returned when opening a symbolic link: links are never followed.
	ErrSymlink = errors.New("is a symbolic link in the evidence; links are never followed")
	// ErrNotRetained is wrapped by the errors for files of a .tar.gz whose content was
	// not kept in memory during the indexing pass.
	ErrNotRetained = errors.New("content not retained from the compressed archive")
	// ErrNotRegular is returned when opening a device node, pipe or hard link.
	ErrNotRegular = errors.New("not a regular file (device, pipe or hard link); it has no content to read")
)

// Options tunes Open. Zero fields take the defaults.
type Options struct {
	// Want lists fs.Glob patterns (in either namespace) of the files that a .tar.gz
	// must keep in memory during its single pass: the modules' Paths.
	Want []string
	// WantNames lists base names of files a .tar.gz keeps wherever they are (such as
	// "Cache.db", which apps write in folders of their own naming).
	WantNames []string
	// MaxEntries bounds the archive entries indexed, and the entries of a folder's
	// census (see census.go); default 10,000,000.
	MaxEntries int
	// MaxBytes bounds the bytes read from an archive (decompressed for a .tar.gz);
	// default 512 GiB.
	MaxBytes int64
	// MaxRatio bounds the decompressed/compressed ratio of a .tar.gz once more than
	// 64 MiB were decompressed; default 200.
	MaxRatio int64
	// MaxInMemory bounds the content a .tar.gz keeps in memory; default 256 MiB.
	MaxInMemory int64
	// MaxFileInMemory bounds one file kept in memory; default 16 MiB.
	MaxFileInMemory int64
	// SpillDir is where a .tar.gz writes, during its single pass, the wanted files that
	// exceed the in-memory limits (a large sms.db): a private folder made inside it and
	// removed by Close. These are copies of single files the modules asked for, as
	// SQLite needs a file to read a database from; the dump is never extracted. Empty:
	// such files are listed but not retained.
	SpillDir string
	// MaxSpillBytes bounds what is written to SpillDir; default 16 GiB.
	MaxSpillBytes int64
}

func (o Options) withDefaults() Options {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10_000_000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 512 << 30
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = 200
	}
	if o.MaxInMemory <= 0 {
		o.MaxInMemory = 256 << 20
	}
	if o.MaxFileInMemory <= 0 {
		o.MaxFileInMemory = 16 << 20
	}
	if o.MaxSpillBytes <= 0 {
		o.MaxSpillBytes = 16 << 30
	}
	return o
}

// backend serves the device namespace of one dump; names are relative to the root.
type backend interface {
	stat(name string) (*fileInfo, error)
	readDir(name string) ([]*fileInfo, error) // sorted by name
	open(name string, fi *fileInfo) (fs.File, error)
	readLink(name string) (string, error)
	localPath(name string) (string, error)
	close() error
}

// Dump is an opened file-system dump.
type Dump struct {
	kind      acquire.Kind
	path      string
	root      string
	prefix    string
	format    Format
	b         backend
	varAlias  bool
	truncated bool // set by Open, or by the census under mu

	ctx        context.Context // Open's, for the census
	maxEntries int
	censusOnce sync.Once
	entries    []censusEntry // the census of a folder dump, built by the first walk
	censusErr  error

	domains     map[string]string // backup domain → device folder
	domainNames []string

	mu       sync.Mutex
	problems []acquire.Problem
}

var (
	_ acquire.Acquisition = (*Dump)(nil)
	_ acquire.LocalPather = (*Dump)(nil)
	_ acquire.Problems    = (*Dump)(nil)
	_ fs.ReadLinkFS       = (*Dump)(nil)
)

// Open opens the dump at p: a folder, a .tar or a .tar.gz.
func Open(ctx context.Context, p string, opt Options) (*Dump, error) {
	return open(ctx, p, opt, acquire.IOSFilesystem)
}

// OpenSysdiagnose opens a sysdiagnose archive (the .tar.gz an iPhone writes, or its
// folder) the same way, read in place. Its names are relative to the archive's top
// folder ("ps.txt", "system_logs.logarchive/Extra/shutdown.log"); it has no backup
// namespace.
func OpenSysdiagnose(ctx context.Context, p string, opt Options) (*Dump, error) {
	return open(ctx, p, opt, acquire.IOSSysdiagnose)
}

// rootMarkers are the names whose presence marks the root of each kind of acquisition.
var rootMarkers = map[acquire.Kind][]string{
	acquire.IOSFilesystem:  {"private/var"},
	acquire.IOSSysdiagnose: {"sysdiagnose.log", "ps.txt", "system_logs.logarchive", "crashes_and_spins"},
}

func open(ctx context.Context, p string, opt Options, kind acquire.Kind) (*Dump, error) {
	opt = opt.withDefaults()
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", kind, err)
	}
	d := &Dump{path: p, kind: kind, ctx: ctx, maxEntries: opt.MaxEntries}
	if fi.IsDir() {
		err = d.openFolder(p)
	} else {
		err = d.openArchive(ctx, p, opt)
	}
	if err != nil {
		if d.b != nil {
			d.b.close()
		}
		return nil, fmt.Errorf("open %q: %w", p, err)
	}
	if kind == acquire.IOSFilesystem {
		d.checkTop()
		d.mapDomains()
	} else {
		d.domains = map[string]string{}
	}
	return d, nil
}

func (d *Dump) openFolder(p string) error {
	top, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	r, err := os.OpenRoot(top)
	if err != nil {
		return err
	}
	fb := &folder{root: r, dir: top, dirs: map[string]bool{}}
	d.format = FormatFolder
	d.b = fb
	prefix, others, err := chooseRoot(fb, d.kind)
	if err != nil {
		return err
	}
	if prefix != "" {
		r2, err := r.OpenRoot(prefix)
		if err != nil {
			return err
		}
		r.Close()
		fb.root, fb.dir = r2, filepath.Join(top, prefix)
	}
	d.prefix, d.root = prefix, fb.dir
	d.noteRoot(others)
	return nil
}

// chooseRoot finds the root: "" when a marker of kind (private/var for a dump) is at
// the top, else the first top folder (in name order) that holds one; others are the
// other candidates.
func chooseRoot(b backend, kind acquire.Kind) (string, []string, error) {
	marked := func(dir string) bool {
		for _, m := range rootMarkers[kind] {
			fi, err := b.stat(path.Join(dir, m))
			if err == nil && (fi.IsDir() || kind != acquire.IOSFilesystem) {
				return true
			}
		}
		return false
	}
	if marked(".") {
		return "", nil, nil
	}
	top, err := b.readDir(".")
	if err != nil {
		return "", nil, err
	}
	var cands []string
	for _, fi := range top {
		if fi.IsDir() && marked(fi.Name()) {
			cands = append(cands, fi.Name())
		}
	}
	if len(cands) == 0 {
		if kind == acquire.IOSSysdiagnose {
			return "", nil, ErrNotSysdiagnose
		}
		return "", nil, ErrNotDump
	}
	return cands[0], cands[1:], nil
}

func (d *Dump) noteRoot(others []string) {
	if len(others) > 0 {
		d.problem("ambiguous_root", d.prefix, fmt.Sprintf("several top folders hold an acquisition (%s); %q was chosen, the others are not served", strings.Join(others, ", "), d.prefix))
	}
}

// checkTop records the top-level anomalies and whether var/… is an alias.
func (d *Dump) checkTop() {
	fi, err := d.b.stat("var")
	switch {
	case err != nil || fi.Mode()&fs.ModeSymlink != 0:
		d.varAlias = true
	default:
		d.problem("var_not_symlink", "var", fmt.Sprintf("the dump's var is a %s, not the symbolic link to private/var that iOS has; it is served as it is", kindOf(fi.Mode())))
	}
	top, _ := d.b.readDir(".")
	for _, fi := range top {
		if IsBackupName(fi.Name()) {
			d.problem("shadowed_name", fi.Name(), "a top-level entry of the dump has a backup domain's name; it is hidden by the backup namespace")
		}
	}
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m.IsRegular():
		return "file"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "special file"
}

// Kind implements acquire.Acquisition: IOSFilesystem, or IOSSysdiagnose for
// OpenSysdiagnose.
func (d *Dump) Kind() acquire.Kind { return d.kind }

// Root returns the chosen root folder for a folder dump, the archive's path for an
// archive (see Prefix).
func (d *Dump) Root() string { return d.root }

// Prefix returns the top folder of the dump that holds private/var ("" when it is at
// the top).
func (d *Dump) Prefix() string { return d.prefix }

// Format returns what was opened.
func (d *Dump) Format() Format { return d.format }

// Truncated reports whether a limit stopped the indexing of an archive.
func (d *Dump) Truncated() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.truncated
}

// Domains returns the names of the backup namespace, sorted.
func (d *Dump) Domains() []string { return slices.Clone(d.domainNames) }

// DomainDir returns the device folder of a backup domain.
func (d *Dump) DomainDir(domain string) (string, bool) {
	dir, ok := d.domains[domain]
	return dir, ok
}

// Close releases the dump's handles.
func (d *Dump) Close() error { return d.b.close() }

func (d *Dump) problem(kind, name, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.problems) < 1000 {
		d.problems = append(d.problems, acquire.Problem{Kind: kind, Name: name, Message: msg})
	}
}

// Problems returns the anomalies found in the dump.
func (d *Dump) Problems() []acquire.Problem {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.problems)
}

// resolve maps a name of the acquisition to a device name; domain is set when name is
// a domain folder itself.
func (d *Dump) resolve(name string) (dev, domain string, err error) {
	if name == "." {
		return ".", "", nil
	}
	first, rest, _ := strings.Cut(name, "/")
	if IsBackupName(first) {
		dir, ok := d.domains[first]
		if !ok {
			return "", "", fs.ErrNotExist
		}
		if rest == "" {
			return dir, first, nil
		}
		return dir + "/" + rest, "", nil
	}
	if first == "var" && rest != "" && d.varAlias {
		return "private/var/" + rest, "", nil
	}
	return name, "", nil
}

// DevicePath returns the device name of a name of either namespace.
func (d *Dump) DevicePath(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "devicepath", Path: name, Err: fs.ErrInvalid}
	}
	dev, _, err := d.resolve(name)
	if err != nil {
		return "", &fs.PathError{Op: "devicepath", Path: name, Err: err}
	}
	return dev, nil
}

func (d *Dump) stat(op, name string) (*fileInfo, string, error) {
	if !fs.ValidPath(name) {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	dev, domain, err := d.resolve(name)
	if err != nil {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: err}
	}
	fi, err := d.b.stat(dev)
	if err != nil {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: err}
	}
	if name == "." {
		c := *fi
		c.name = "."
		fi = &c
	}
	if domain != "" {
		c := *fi
		c.name = domain
		fi = &c
	}
	return fi, dev, nil
}

// Stat implements fs.StatFS. It never follows a symbolic link (it is Lstat).
func (d *Dump) Stat(name string) (fs.FileInfo, error) {
	fi, _, err := d.stat("stat", name)
	if err != nil {
		return nil, err
	}
	return fi, nil
}

// Lstat implements fs.ReadLinkFS; it is Stat.
func (d *Dump) Lstat(name string) (fs.FileInfo, error) {
	fi, _, err := d.stat("lstat", name)
	if err != nil {
		return nil, err
	}
	return fi, nil
}

// ReadLink implements fs.ReadLinkFS: the target of a symbolic link, as recorded. The
// target is never resolved.
func (d *Dump) ReadLink(name string) (string, error) {
	fi, dev, err := d.stat("readlink", name)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	t, err := d.b.readLink(dev)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return t, nil
}

// ReadDir implements fs.ReadDirFS. Entries are sorted by name.
func (d *Dump) ReadDir(name string) ([]fs.DirEntry, error) {
	fi, dev, err := d.stat("readdir", name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	infos, err := d.b.readDir(dev)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, 0, len(infos))
	if name != "." {
		for _, fi := range infos {
			out = append(out, fs.FileInfoToDirEntry(fi))
		}
		return out, nil
	}
	for _, fi := range infos {
		if !IsBackupName(fi.Name()) {
			out = append(out, fs.FileInfoToDirEntry(fi))
		}
	}
	for _, dom := range d.domainNames {
		if fi, err := d.b.stat(d.domains[dom]); err == nil && fi.IsDir() {
			c := *fi
			c.name = dom
			out = append(out, fs.FileInfoToDirEntry(&c))
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// Open implements fs.FS. Opening a symbolic link fails with ErrSymlink.
func (d *Dump) Open(name string) (fs.File, error) {
	fi, dev, err := d.stat("open", name)
	if err != nil {
		return nil, err
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return &acquire.DirFile{Name: name, Info: fi, List: func() ([]fs.DirEntry, error) { return d.ReadDir(name) }}, nil
	case m&fs.ModeSymlink != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
	case !m.IsRegular():
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	f, err := d.b.open(dev, fi)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}

// LocalPath returns where a regular file of a folder dump is on disk; archives have no
// such path.
func (d *Dump) LocalPath(name string) (string, error) {
	fi, dev, err := d.stat("localpath", name)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: ErrNotRegular}
	}
	p, err := d.b.localPath(dev)
	if err != nil {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: err}
	}
	return p, nil
}

// Walk calls fn for every entry of the device namespace (the root itself excluded),
// depth first, the entries of each folder in name order (the order of fs.WalkDir).
// It reads the archive's index, never the archive again, or a folder's census, which
// the first Walk builds (see census.go). fn may return fs.SkipDir (on a folder: skip
// it; on a file: skip the rest of its folder) or fs.SkipAll.
func (d *Dump) Walk(fn func(name string, fi fs.FileInfo) error) error {
	if d.format == FormatFolder {
		err := d.walkCensus(fn)
		if err == fs.SkipAll {
			return nil
		}
		return err
	}
	err := d.walk(".", fn)
	if err == fs.SkipAll || err == fs.SkipDir {
		return nil
	}
	return err
}

func (d *Dump) walk(dir string, fn func(string, fs.FileInfo) error) error {
	infos, err := d.b.readDir(dir)
	if err != nil {
		return &fs.PathError{Op: "walk", Path: dir, Err: err}
	}
	for _, fi := range infos {
		name := fi.Name()
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
			if err := d.walk(name, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// fileInfo is the FileInfo of an entry of the dump.
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

// Sys returns a *TarEntry for an archive entry, what os.Lstat gives for a folder's.
func (i *fileInfo) Sys() any       { return i.sys }
func (i *fileInfo) String() string { return fs.FormatFileInfo(i) }

// folder serves a dump extracted in a folder, in place.
type folder struct {
	root *os.Root
	dir  string

	mu   sync.Mutex
	dirs map[string]bool // folders whose every component was checked to be a real folder
}

// checkParents verifies that every folder leading to name is a real folder, not a
// symbolic link.
func (f *folder) checkParents(name string) error {
	if name == "." {
		return nil
	}
	parent := path.Dir(name)
	if parent == "." {
		return nil
	}
	f.mu.Lock()
	ok := f.dirs[parent]
	f.mu.Unlock()
	if ok {
		return nil
	}
	if err := f.checkParents(parent); err != nil {
		return err
	}
	fi, err := f.root.Lstat(filepath.FromSlash(parent))
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s %w", parent, ErrSymlink)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory: %w", parent, fs.ErrNotExist)
	}
	f.mu.Lock()
	f.dirs[parent] = true
	f.mu.Unlock()
	return nil
}

func fromOS(name string, fi fs.FileInfo) *fileInfo {
	return &fileInfo{name: name, size: fi.Size(), mode: fi.Mode(), mtime: fi.ModTime(), sys: fi.Sys(), osfi: fi}
}

func (f *folder) stat(name string) (*fileInfo, error) {
	if err := f.checkParents(name); err != nil {
		return nil, err
	}
	fi, err := f.root.Lstat(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	info := fromOS(path.Base(name), fi)
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		info.size = 0
	}
	return info, nil
}

func (f *folder) readDir(name string) ([]*fileInfo, error) {
	fi, err := f.stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, errors.New("not a directory")
	}
	h, err := f.root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if hi, err := h.Stat(); err != nil || !hi.IsDir() {
		return nil, errors.New("changed while being read")
	}
	es, err := h.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]*fileInfo, 0, len(es))
	for _, e := range es {
		if !fs.ValidPath(e.Name()) {
			continue // not UTF-8: cannot be named in an fs.FS
		}
		ei, err := e.Info()
		if err != nil {
			continue // vanished
		}
		info := fromOS(e.Name(), ei)
		if !ei.Mode().IsRegular() && !ei.IsDir() {
			info.size = 0
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b *fileInfo) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

func (f *folder) open(name string, fi *fileInfo) (fs.File, error) {
	h, err := f.root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	hi, err := h.Stat()
	if err != nil || !hi.Mode().IsRegular() || fi.osfi == nil || !os.SameFile(hi, fi.osfi) {
		h.Close()
		return nil, errors.New("the file changed between its check and its opening")
	}
	return &osFile{File: h, info: fi}, nil
}

func (f *folder) readLink(name string) (string, error) {
	if err := f.checkParents(name); err != nil {
		return "", err
	}
	return f.root.Readlink(filepath.FromSlash(name))
}

func (f *folder) localPath(name string) (string, error) {
	if err := f.checkParents(name); err != nil {
		return "", err
	}
	return filepath.Join(f.dir, filepath.FromSlash(name)), nil
}

func (f *folder) close() error { return f.root.Close() }

// osFile is an open file of a folder dump.
type osFile struct {
	*os.File
	info fs.FileInfo
}

func (f *osFile) Stat() (fs.FileInfo, error) { return f.info, nil }
