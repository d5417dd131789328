// Package androidbackup opens an Android backup as a read-only acquisition: an .ab
// file written by "adb backup", a plain tar of its content (what Android Backup
// Extractor's "abe unpack" writes), or a folder holding that tar extracted (the
// folder that contains "apps/"). Files are named as in the tar:
// "apps/<package>/<token>/<path>", e.g.
// "apps/com.android.providers.telephony/d_f/000000_sms_backup".
//
// # The .ab format
//
// A plain-text header of "\n"-terminated lines, then the payload:
//
//	ANDROID BACKUP
//	<format version>      1 to 5
//	<compressed>          0 or 1: the payload is zlib (RFC 1950) compressed
//	<encryption>          "none" or "AES-256"
//	— for AES-256 only —
//	<user password salt>  hex, 64 bytes
//	<checksum salt>       hex, 64 bytes
//	<PBKDF2 rounds>       decimal, 10000
//	<user key IV>         hex, 16 bytes
//	<master key blob>     hex, AES-256-CBC(user key, user IV) of
//	                      [len][payload IV][len][master key][len][checksum], PKCS#7 padded
//
// The payload is a tar stream, zlib-compressed when the flag says so, then, when
// encrypted, AES-256-CBC(master key, payload IV) with PKCS#7 padding. The user key is
// PBKDF2-HMAC-SHA1(password, user salt, rounds, 32 bytes); the checksum is
// PBKDF2-HMAC-SHA1(master key as Java chars, checksum salt, rounds, 32 bytes).
//
// Format versions (AOSP's BACKUP_FILE_VERSION history): 1 the first release
// (Android 4.0); 2 (Android 4.4) no layout change, but PBKDF2 now receives the UTF-8
// encoding of the password and of the master key's chars — each master key byte is
// widened to a Java char with sign extension, so a byte of 0x80 or more becomes three
// UTF-8 bytes (see [KeyChecksumInput]) — where version 1 used the low 8 bits of each
// char; 3 (Android 5) adds a "_meta" file to each app; 4 (Android 7) adds the
// device-protected storage tokens (d_f, d_db, d_sp, d_r…); 5 (Android 8) adds
// key-value packages (k/ entries). Android restores a version 1 archive by trying both
// PBKDF2 regimes; this reader tries both for every version, the version's own first.
//
// # Reading
//
// An .ab file or tar is read in one streamed pass: decrypt → inflate → tar. The whole
// archive is never held in memory: only the content of the entries whose names match
// [Options.Want] (the modules' Paths) is kept, up to [Options.MaxFileBytes] per file
// and [Options.MaxTotalBytes] in total. Every other entry is listed and can be
// stat'ed, but opening it fails with an error wrapping [ErrNotRetained] that says why.
//
// # Hostile input
//
// A wrong password is one error, [ErrWrongPassword], whether the master key blob
// fails to decrypt or its checksum does not match (Android cannot tell them apart
// either); the password is never logged or quoted. Header lines are bounded, PBKDF2
// rounds are capped, tar names with ".." elements, NUL bytes or invalid UTF-8 are
// skipped (Problem "unsafe_path"), links are listed and never followed. A stream that
// ends early or is damaged after some entries stops the pass (Problem
// "corrupt_archive"); the entries read until then are served ([Backup.Truncated]).
// Limits on the entry count and on the decompression ratio (a zlib bomb) stop the pass
// the same way (Problem "limit_reached").
package androidbackup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/acquire"
)

// Errors.
var (
	// ErrNotBackup means the path is neither an .ab file, a tar, nor a folder with an
	// "apps" folder at its top.
	ErrNotBackup = errors.New("not an Android backup (no \"ANDROID BACKUP\" header, not a tar, not a folder holding apps/)")
	// ErrUnsupported means a format version newer than 5 or an unknown encryption.
	ErrUnsupported = errors.New("unsupported Android backup")
	// ErrCorrupt means a malformed header or a payload that cannot be read.
	ErrCorrupt = errors.New("corrupt Android backup")
	// ErrPasswordNeeded means the backup is encrypted and no password was given.
	ErrPasswordNeeded = errors.New("the Android backup is encrypted: a password is needed")
	// ErrWrongPassword means the password does not open the backup.
	ErrWrongPassword = errors.New("wrong password for the encrypted Android backup")
	// ErrNotRetained is wrapped by the errors for entries of an .ab or tar whose
	// content was not kept during the single pass.
	ErrNotRetained = errors.New("content not retained from the streamed backup")
	// ErrSymlink is returned when opening a symbolic link: links are never followed.
	ErrSymlink = errors.New("is a symbolic link in the evidence; links are never followed")
	// ErrNotRegular is returned when opening a device node, pipe or hard link.
	ErrNotRegular = errors.New("not a regular file; it has no content to read")
)

// Options tunes Open. Zero fields take the defaults.
type Options struct {
	// Password opens an encrypted .ab. It is never logged.
	Password string
	// MaxEntries bounds the tar entries indexed; default 1,000,000.
	MaxEntries int
	// MaxFileBytes bounds the content of one wanted entry kept in memory; default
	// 64 MiB.
	MaxFileBytes int64
	// MaxTotalBytes bounds the content of all wanted entries kept in memory; default
	// 512 MiB.
	MaxTotalBytes int64
	// Want lists fs.Glob patterns of the entries whose content is kept (the modules'
	// Paths). With none, entries are listed but no content is kept.
	Want []string
	// MaxRatio bounds the inflated/compressed ratio of a compressed payload once more
	// than 64 MiB were inflated; default 200 (deflate cannot exceed about 1032).
	MaxRatio int64
}

func (o Options) withDefaults() Options {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 1_000_000
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 64 << 20
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = 512 << 20
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = 200
	}
	return o
}

// Format says what was opened.
type Format string

// Formats.
const (
	FormatAB     Format = "ab"
	FormatTar    Format = "tar"
	FormatFolder Format = "folder"
)

// Backup is an opened Android backup.
type Backup struct {
	root   string
	format Format
	header *Header // nil for a tar or a folder

	// A streamed archive.
	nodes     map[string]*node
	kids      map[string][]string
	truncated bool

	// A folder.
	dir *os.Root

	problems []acquire.Problem
}

var (
	_ acquire.Acquisition = (*Backup)(nil)
	_ acquire.Problems    = (*Backup)(nil)
	_ acquire.LocalPather = (*Backup)(nil)
)

// Open opens an .ab file, a tar of its content, or a folder holding the extracted
// tar. The format is recognised by content, never by name.
func Open(ctx context.Context, p string, opt Options) (*Backup, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return openFolder(p)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrNotBackup, p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := Read(ctx, f, opt)
	if err != nil {
		return nil, err
	}
	b.root = p
	return b, nil
}

// Read reads an .ab or a tar from r in one pass (see the package comment). The
// returned Backup's Root is "".
func Read(ctx context.Context, r io.Reader, opt Options) (*Backup, error) {
	opt = opt.withDefaults()
	br := bufio.NewReaderSize(r, 64<<10)
	b := &Backup{format: FormatAB}
	var src io.Reader = br
	var in *counter // compressed bytes, for the ratio guard
	h, err := ReadHeader(br)
	switch {
	case errors.Is(err, ErrNotBackup):
		head, _ := br.Peek(512)
		if !isTarHeader(head) {
			return nil, ErrNotBackup
		}
		b.format = FormatTar
	case err != nil:
		return nil, err
	default:
		b.header = h
		if h.Encryption == EncryptionAES256 {
			key, iv, err := unlock(h, opt.Password)
			if err != nil {
				return nil, err
			}
			if src, err = newCBCReader(br, key, iv); err != nil {
				return nil, err
			}
		}
		if h.Compressed {
			in = &counter{r: src}
			zr, err := zlib.NewReader(in)
			if err != nil {
				return nil, fmt.Errorf("%w: the payload is marked compressed but is not a zlib stream: %v", ErrCorrupt, err)
			}
			src = zr
		}
	}
	g := &guard{r: src, in: in, maxRatio: opt.MaxRatio}
	if err := b.index(ctx, g, opt); err != nil {
		return nil, err
	}
	return b, nil
}

// Kind implements acquire.Acquisition.
func (b *Backup) Kind() acquire.Kind { return acquire.AndroidBackup }

// Root implements acquire.Acquisition.
func (b *Backup) Root() string { return b.root }

// Format says whether an .ab, a tar or a folder was opened.
func (b *Backup) Format() Format { return b.format }

// Header returns the .ab header (nil for a tar or a folder).
func (b *Backup) Header() *Header { return b.header }

// Truncated reports whether the single pass stopped before the end of the archive
// (damaged or truncated stream, a limit reached).
func (b *Backup) Truncated() bool { return b.truncated }

// Problems implements acquire.Problems.
func (b *Backup) Problems() []acquire.Problem { return slices.Clone(b.problems) }

func (b *Backup) problem(kind, name, msg string) {
	if len(b.problems) < 1000 {
		b.problems = append(b.problems, acquire.Problem{Kind: kind, Name: name, Message: msg})
	}
}

// Close implements acquire.Acquisition.
func (b *Backup) Close() error {
	b.nodes, b.kids = map[string]*node{}, nil
	if b.dir != nil {
		err := b.dir.Close()
		b.dir = nil
		return err
	}
	return nil
}

// Open implements fs.FS. Symbolic links are not followed.
func (b *Backup) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if b.dir != nil {
		return b.openInFolder(name)
	}
	n, ok := b.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	fi := n.info(name)
	switch {
	case n.mode.IsDir():
		return &acquire.DirFile{Name: name, Info: fi, List: func() ([]fs.DirEntry, error) { return b.ReadDir(name) }}, nil
	case n.mode&fs.ModeSymlink != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
	case !n.mode.IsRegular():
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	case n.data == nil && n.why != keptOK:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: %s", ErrNotRetained, n.why)}
	}
	return &memFile{Reader: bytes.NewReader(n.data), info: fi}, nil
}

// Stat implements fs.StatFS; it does not follow links.
func (b *Backup) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if b.dir != nil {
		fi, err := b.dir.Lstat(osName(name))
		if err != nil {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: unwrapPath(err)}
		}
		return fi, nil
	}
	n, ok := b.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return n.info(name), nil
}

// ReadDir implements fs.ReadDirFS.
func (b *Backup) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	if b.dir != nil {
		return fs.ReadDir(b.dir.FS(), name)
	}
	n, ok := b.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	if !n.mode.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	kids := b.kids[name]
	out := make([]fs.DirEntry, 0, len(kids))
	for _, k := range kids {
		full := k
		if name != "." {
			full = name + "/" + k
		}
		out = append(out, fs.FileInfoToDirEntry(b.nodes[full].info(full)))
	}
	return out, nil
}

// LocalPath implements acquire.LocalPather for a folder; entries of an .ab or a tar
// have no local path.
func (b *Backup) LocalPath(name string) (string, error) {
	if b.dir == nil {
		return "", fmt.Errorf("entries of a streamed backup have no local path: %w", errors.ErrUnsupported)
	}
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: fs.ErrInvalid}
	}
	if err := b.noLinks(name); err != nil {
		return "", err
	}
	return filepath.Join(b.root, filepath.FromSlash(name)), nil
}

// ---- the streamed archive ----

// Why the content of an entry was not kept.
type reason string

const (
	keptOK      reason = ""
	notWanted   reason = "the backup is read in one pass and this name matched none of the patterns the modules asked for (Options.Want)"
	tooLarge    reason = "the file is larger than the per-file in-memory limit (Options.MaxFileBytes)"
	budgetSpent reason = "the in-memory budget of the backup (Options.MaxTotalBytes) was spent on earlier files"
	readFailed  reason = "its content could not be read from the archive"
)

// node is one entry of the index.
type node struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	hdr   *tar.Header // nil for folders implied by their content
	data  []byte
	why   reason
}

func (n *node) info(name string) *fileInfo {
	fi := &fileInfo{name: path.Base(name), size: n.size, mode: n.mode, mtime: n.mtime}
	if n.hdr != nil {
		fi.sys = n.hdr
	}
	return fi
}

// errLimit reports a limit reached while reading.
type errLimit struct{ msg string }

func (e *errLimit) Error() string { return e.msg }

// ratioFloor is the inflated size below which the ratio guard does not act (a
// variable for tests).
var ratioFloor int64 = 64 << 20

// guard counts the bytes read from the payload, enforces the ratio limit and keeps
// the last 1024 bytes read (to tell a tar's end marker from a stream cut at a block
// boundary, which archive/tar reports as a clean end).
type guard struct {
	r        io.Reader
	n        int64
	in       *counter
	maxRatio int64
	tail     [1024]byte
}

// endMarker reports whether the last bytes read were the two zero blocks that end a
// tar.
func (g *guard) endMarker() bool {
	return g.n >= int64(len(g.tail)) && bytes.Count(g.tail[:], []byte{0}) == len(g.tail)
}

func (g *guard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if n >= len(g.tail) {
		copy(g.tail[:], p[n-len(g.tail):n])
	} else if n > 0 {
		copy(g.tail[:], g.tail[n:])
		copy(g.tail[len(g.tail)-n:], p[:n])
	}
	if g.in != nil && g.n > ratioFloor && g.n > g.maxRatio*max(g.in.n, 1) {
		return n, &errLimit{fmt.Sprintf("inflation ratio above %d:1 (Options.MaxRatio): a zlib bomb?", g.maxRatio)}
	}
	return n, err
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (b *Backup) index(ctx context.Context, g *guard, opt Options) error {
	b.nodes = map[string]*node{}
	var kept int64
	budgetNoted := false
	tr := tar.NewReader(g)
	count := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if count == 0 && g.n == 0 {
				return fmt.Errorf("%w: the payload is empty (not even a tar end marker)", ErrCorrupt)
			}
			if !g.endMarker() {
				b.truncated = true
				b.problem("corrupt_archive", "", fmt.Sprintf("the tar stream ends after %d entries without its end marker: the backup is truncated", count))
			}
			b.checkTail(g)
			break
		}
		if err != nil {
			if count == 0 && !isLimit(err) {
				return fmt.Errorf("%w: the payload is not a readable tar: %v", ErrCorrupt, err)
			}
			b.stop(count, "", err)
			break
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		count++
		if count > opt.MaxEntries {
			b.truncated = true
			b.problem("limit_reached", "", fmt.Sprintf("reading stopped: more than %d entries (Options.MaxEntries); later entries are not served", opt.MaxEntries))
			break
		}
		name, why := cleanName(hdr.Name)
		if why != "" {
			b.problem("unsafe_path", hdr.Name, why+"; the entry is skipped")
			continue
		}
		if name == "." {
			continue
		}
		n := &node{hdr: hdr, mtime: hdr.ModTime, mode: fs.FileMode(hdr.Mode) & fs.ModePerm}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			n.size = hdr.Size
		case tar.TypeDir:
			n.mode |= fs.ModeDir
		case tar.TypeSymlink:
			n.mode |= fs.ModeSymlink
		default:
			n.mode |= fs.ModeIrregular
		}
		if n.mode.IsRegular() {
			switch {
			case !wanted(opt.Want, name):
				n.why = notWanted
			case n.size > opt.MaxFileBytes:
				n.why = tooLarge
			case kept+n.size > opt.MaxTotalBytes:
				n.why = budgetSpent
				if !budgetNoted {
					budgetNoted = true
					b.problem("limit_reached", name, fmt.Sprintf("the in-memory budget (Options.MaxTotalBytes, %d bytes) is spent; this and later wanted files are listed but cannot be read", opt.MaxTotalBytes))
				}
			default:
				var buf bytes.Buffer
				buf.Grow(int(n.size))
				if _, err := io.CopyN(&buf, tr, n.size); err != nil {
					n.why = readFailed
					b.nodes[name] = n
					b.stop(count, name, err)
					return b.finish()
				}
				n.data = buf.Bytes()
				kept += n.size
			}
		}
		if _, dup := b.nodes[name]; dup {
			b.problem("duplicate_name", name, "the archive holds this name more than once; the last entry is served, as a restore would keep it")
			if old := b.nodes[name]; old.data != nil {
				kept -= int64(len(old.data))
			}
		}
		b.nodes[name] = n
	}
	return b.finish()
}

func isLimit(err error) bool {
	var le *errLimit
	return errors.As(err, &le)
}

// stop records why the pass ended early.
func (b *Backup) stop(count int, name string, err error) {
	b.truncated = true
	var le *errLimit
	if errors.As(err, &le) {
		b.problem("limit_reached", name, "reading stopped: "+le.msg+"; later entries are not served")
		return
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = errors.New("the stream ends early (truncated)")
	}
	b.problem("corrupt_archive", name, fmt.Sprintf("reading stopped after %d entries: %v; later entries are not served", count, err))
}

// checkTail reads what follows the tar's end marker, up to a bound, so that the
// zlib checksum and the AES padding at the end of the stream are verified.
func (b *Backup) checkTail(g *guard) {
	if _, err := io.Copy(io.Discard, io.LimitReader(g, 16<<20)); err != nil {
		b.problem("corrupt_archive", "", fmt.Sprintf("the tar ended cleanly, but the stream after it is damaged: %v", err))
	}
}

// wanted reports whether name matches one of the patterns.
func wanted(pats []string, name string) bool {
	for _, p := range pats {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// cleanName turns a tar name into an fs name ("." for the root); why is set for
// names that are skipped.
func cleanName(raw string) (name, why string) {
	s := raw
	for {
		t := strings.TrimLeft(strings.TrimPrefix(s, "./"), "/")
		if t == s {
			break
		}
		s = t
	}
	switch {
	case strings.ContainsRune(s, 0):
		return "", "the name contains a NUL byte"
	case !utf8.ValidString(s):
		return "", "the name is not valid UTF-8"
	}
	for _, el := range strings.Split(s, "/") {
		if el == ".." {
			return "", `the name has a ".." element (it would escape the backup)`
		}
	}
	c := path.Clean(s)
	if c == "." || c == "" {
		return ".", ""
	}
	if !fs.ValidPath(c) {
		return "", "the name is not a clean relative path"
	}
	return c, ""
}

// finish adds the folders implied by names, drops entries under non-folders and
// builds the sorted child lists.
func (b *Backup) finish() error {
	names := make([]string, 0, len(b.nodes))
	for n := range b.nodes {
		names = append(names, n)
	}
	depth := func(s string) int { return strings.Count(s, "/") }
	slices.SortFunc(names, func(x, y string) int {
		return cmp.Or(cmp.Compare(depth(x), depth(y)), strings.Compare(x, y))
	})
	b.nodes["."] = &node{mode: fs.ModeDir | 0o555}
	var ensure func(dir string) bool
	ensure = func(dir string) bool {
		if n, ok := b.nodes[dir]; ok {
			return n.mode.IsDir()
		}
		if !ensure(path.Dir(dir)) {
			return false
		}
		b.nodes[dir] = &node{mode: fs.ModeDir | 0o555}
		return true
	}
	for _, name := range names {
		if !ensure(path.Dir(name)) {
			delete(b.nodes, name)
			b.problem("not_a_directory", name, "an entry lies under a name that is not a folder in the archive; it is skipped")
		}
	}
	b.kids = map[string][]string{}
	for name := range b.nodes {
		if name != "." {
			dir := path.Dir(name)
			b.kids[dir] = append(b.kids[dir], path.Base(name))
		}
	}
	for _, k := range b.kids {
		slices.Sort(k)
	}
	return nil
}

// isTarHeader reports whether block starts with a tar header: "ustar" at offset 257,
// or (old V7 archives) a valid header checksum.
func isTarHeader(h []byte) bool {
	if len(h) < 512 {
		return false
	}
	if string(h[257:262]) == "ustar" {
		return true
	}
	field := strings.Trim(string(h[148:156]), " \x00")
	if field == "" {
		return false
	}
	var want int64
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	var sum int64
	for i, c := range h[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want && sum != 8*' '
}

// ---- a folder ----

func openFolder(p string) (*Backup, error) {
	fi, err := os.Lstat(filepath.Join(p, "apps"))
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: the folder %s has no apps/ folder at its top", ErrNotBackup, p)
	}
	r, err := os.OpenRoot(p)
	if err != nil {
		return nil, err
	}
	return &Backup{root: p, format: FormatFolder, dir: r}, nil
}

func osName(name string) string { return filepath.FromSlash(name) }

// noLinks fails when a component of name is a symbolic link.
func (b *Backup) noLinks(name string) error {
	if name == "." {
		return nil
	}
	parts := strings.Split(name, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fi, err := b.dir.Lstat(osName(sub))
		if err != nil {
			return &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
		}
	}
	return nil
}

func (b *Backup) openInFolder(name string) (fs.File, error) {
	if err := b.noLinks(name); err != nil {
		return nil, err
	}
	fi, err := b.dir.Lstat(osName(name))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	return b.dir.FS().Open(name)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ---- files ----

type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
	sys   any
}

func (f *fileInfo) Name() string       { return f.name }
func (f *fileInfo) Size() int64        { return f.size }
func (f *fileInfo) Mode() fs.FileMode  { return f.mode }
func (f *fileInfo) ModTime() time.Time { return f.mtime }
func (f *fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f *fileInfo) Sys() any           { return f.sys }

type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }
