package iosfs

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TarEntry is what FileInfo.Sys returns for an entry of an archive.
type TarEntry struct {
	Name       string // the name as written in the archive
	Typeflag   byte
	Linkname   string // target of a symbolic or hard link, never resolved
	Mode       int64  // the raw mode field
	Uid, Gid   int
	Uname      string
	Gname      string
	AccessTime time.Time
	ChangeTime time.Time
	Sparse     bool
}

// Why the content of a .tar.gz entry was not kept.
const (
	keptOK uint8 = iota
	notWanted
	tooLarge
	budgetSpent
	readFailed
	sparseInTar
)

func (d *tarIndex) reason(why uint8) string {
	switch why {
	case notWanted:
		return "a .tar.gz has no random access and its name matched none of the patterns the modules asked for (Options.Want) during the single indexing pass"
	case tooLarge:
		return fmt.Sprintf("a .tar.gz has no random access and the file is larger than the per-file in-memory limit (%d bytes), with no room left in the private copies (Options.SpillDir, %d bytes)", d.opt.MaxFileInMemory, d.opt.MaxSpillBytes)
	case budgetSpent:
		return fmt.Sprintf("a .tar.gz has no random access and the in-memory budget (%d bytes) and the private copies' (Options.SpillDir, %d bytes) were spent on earlier files", d.opt.MaxInMemory, d.opt.MaxSpillBytes)
	case readFailed:
		return "its content could not be read from the archive"
	case sparseInTar:
		return "it is a sparse file, which is not served from an uncompressed tar"
	}
	return "unknown reason"
}

// node is one entry of the index.
type node struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	entry *TarEntry // nil for folders implied by their content
	off   int64     // offset of the content in a plain tar, -1 if none
	data  []byte    // content kept from a .tar.gz
	spill string    // or the private file it was written to
	why   uint8
}

// tarIndex is the index of an archive, built in one pass.
type tarIndex struct {
	opt         Options
	gz          bool
	nodes       map[string]*node
	kids        map[string][]string // folder → sorted child names
	ra          io.ReaderAt
	file        *os.File
	size        int64
	kept        int64 // bytes kept in memory for wanted files
	metaKept    int64
	truncated   bool
	want        *matcher
	prefix      string // the chosen root folder, "" or "X"
	budgetNoted bool
	spillDir    string // private folder of the files too large to keep in memory
	spilled     int64
	spillNoted  bool

	problems  []problemRec
	symlinks  int
	hardlinks int
	absolute  int
}

type problemRec struct{ kind, name, msg string }

func (x *tarIndex) problem(kind, name, msg string) {
	if len(x.problems) < 1000 {
		x.problems = append(x.problems, problemRec{kind, name, msg})
	}
}

// errLimit reports a limit reached while reading an archive.
type errLimit struct{ msg string }

func (e *errLimit) Error() string { return e.msg }

// guard counts the bytes read from an archive and enforces MaxBytes and, for a
// .tar.gz, MaxRatio.
type guard struct {
	r        io.Reader
	n        int64
	in       *counter // compressed bytes, nil for a plain tar
	maxBytes int64
	maxRatio int64
	pos      int64 // position in a plain tar, for data offsets
	seeker   io.Seeker
}

const ratioFloor = 64 << 20

func (g *guard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	g.pos += int64(n)
	if g.n > g.maxBytes {
		return n, &errLimit{fmt.Sprintf("more than %d bytes read from the archive (Options.MaxBytes)", g.maxBytes)}
	}
	if g.in != nil && g.n > ratioFloor && g.n > g.maxRatio*max(g.in.n, 1) {
		return n, &errLimit{fmt.Sprintf("decompression ratio above %d:1 (Options.MaxRatio): a gzip bomb?", g.maxRatio)}
	}
	return n, err
}

// plainGuard is a guard that can seek, so that archive/tar skips file contents
// without reading them.
type plainGuard struct{ *guard }

func (g plainGuard) Seek(off int64, whence int) (int64, error) {
	p, err := g.seeker.Seek(off, whence)
	if err == nil {
		g.pos = p
		if p > g.maxBytes {
			return p, &errLimit{fmt.Sprintf("more than %d bytes in the archive (Options.MaxBytes)", g.maxBytes)}
		}
	}
	return p, err
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

// sniff says what an archive is, from its first bytes.
func sniff(head []byte) (Format, error) {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return FormatTarGz, nil
	case isTarHeader(head):
		return FormatTar, nil
	case bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")):
		return "", fmt.Errorf("%w: xz compression is not supported; decompress it first", ErrUnknownFormat)
	case bytes.HasPrefix(head, []byte("\x28\xb5\x2f\xfd")):
		return "", fmt.Errorf("%w: zstd compression is not supported; decompress it first", ErrUnknownFormat)
	case bytes.HasPrefix(head, []byte("BZh")):
		return "", fmt.Errorf("%w: bzip2 compression is not supported; decompress it first", ErrUnknownFormat)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "", fmt.Errorf("%w: zip archives are not supported", ErrUnknownFormat)
	}
	return "", ErrUnknownFormat
}

// isTarHeader reports whether block starts with a tar header: "ustar" at offset 257,
// or (old V7 archives) a valid header checksum.
func isTarHeader(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if string(b[257:262]) == "ustar" {
		return true
	}
	field := strings.Trim(string(b[148:156]), " \x00")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil || field == "" {
		return false
	}
	var sum int64
	for i, c := range b[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want && sum != 8*' '
}

func (d *Dump) openArchive(ctx context.Context, p string, opt Options) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("%w: not a regular file", ErrUnknownFormat)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	format, err := sniff(head[:n])
	if err != nil {
		f.Close()
		return err
	}
	// For a .tar.gz, the tar magic is checked on the decompressed stream by indexTar.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	x, err := indexTar(ctx, f, fi.Size(), format == FormatTarGz, opt)
	if err != nil {
		f.Close()
		return err
	}
	x.file = f
	if !x.gz {
		x.ra = f
	}
	d.format, d.root = format, p
	d.b = x
	prefix, others, err := chooseRoot(x, d.kind)
	if err != nil {
		return err
	}
	x.prefix, d.prefix = prefix, prefix
	d.noteRoot(others)
	d.truncated = x.truncated
	for _, pr := range x.problems {
		d.problem(pr.kind, pr.name, pr.msg)
	}
	if x.symlinks > 0 || x.hardlinks > 0 {
		d.problem("links", "", fmt.Sprintf("%d symbolic links and %d hard links are served as links and never followed", x.symlinks, x.hardlinks))
	}
	if x.absolute > 0 {
		d.problem("absolute_path", "", fmt.Sprintf("%d entries had absolute names; their leading / was removed, as tar does", x.absolute))
	}
	if prefix != "" {
		outside := 0
		for name := range x.nodes {
			if name != "." && name != prefix && !strings.HasPrefix(name, prefix+"/") {
				outside++
			}
		}
		if outside > 0 {
			d.problem("outside_root", "", fmt.Sprintf("%d archive entries are outside the chosen root %q and are not served", outside, prefix))
		}
	}
	return nil
}

// indexTar reads an archive once and indexes it. r must be at its start; size is its
// length (for a plain tar, to check data offsets).
func indexTar(ctx context.Context, r io.ReadSeeker, size int64, gz bool, opt Options) (_ *tarIndex, err error) {
	opt = opt.withDefaults()
	x := &tarIndex{opt: opt, gz: gz, nodes: map[string]*node{}, size: size}
	defer func() {
		if err != nil && x.spillDir != "" {
			os.RemoveAll(x.spillDir)
		}
	}()
	g := &guard{maxBytes: opt.MaxBytes, maxRatio: opt.MaxRatio, seeker: r}
	var src io.Reader
	if gz {
		in := &counter{r: bufio.NewReader(r)}
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, fmt.Errorf("%w: bad gzip header: %v", ErrUnknownFormat, err)
		}
		defer zr.Close()
		g.r, g.in = zr, in
		br := bufio.NewReaderSize(g, 64<<10)
		head, _ := br.Peek(512)
		if !isTarHeader(head) {
			return nil, fmt.Errorf("%w: gzip-compressed, but not a tar", ErrUnknownFormat)
		}
		src = br
		x.want = newMatcher(append(opt.Want, metadataPatterns()...))
		x.want.setNames(opt.WantNames)
		if opt.SpillDir != "" {
			if x.spillDir, err = os.MkdirTemp(opt.SpillDir, "spytrace-tgz-"); err != nil {
				return nil, fmt.Errorf("private folder for large files: %w", err)
			}
		}
	} else {
		g.r = r
		src = plainGuard{g}
	}
	tr := tar.NewReader(src)
	count := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var le *errLimit
			switch {
			case errors.As(err, &le):
				x.truncated = true
				x.problem("limit_reached", "", "indexing stopped: "+le.msg+"; later entries are not served")
			case count == 0:
				return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, err)
			default:
				x.truncated = true
				x.problem("corrupt_archive", "", fmt.Sprintf("indexing stopped after %d entries: %v; later entries are not served", count, err))
			}
			break
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		count++
		if count > opt.MaxEntries {
			x.truncated = true
			x.problem("limit_reached", "", fmt.Sprintf("indexing stopped: more than %d entries (Options.MaxEntries); later entries are not served", opt.MaxEntries))
			break
		}
		if err := x.add(hdr, tr, g); err != nil {
			var le *errLimit
			if errors.As(err, &le) {
				x.truncated = true
				x.problem("limit_reached", "", "indexing stopped: "+le.msg+"; later entries are not served")
				break
			}
			x.truncated = true
			x.problem("corrupt_archive", hdr.Name, fmt.Sprintf("indexing stopped: %v; later entries are not served", err))
			break
		}
	}
	x.finish()
	return x, nil
}

// cleanName turns an archive name into a device name; ok is false for the root
// itself, unsafe names set why.
func cleanName(raw string) (name string, abs bool, why string) {
	s := raw
	for {
		t := strings.TrimLeft(strings.TrimPrefix(s, "./"), "/")
		if t != s && strings.HasPrefix(s, "/") {
			abs = true
		}
		if t == s {
			break
		}
		s = t
	}
	switch {
	case strings.ContainsRune(s, 0):
		return "", abs, "the name contains a NUL byte"
	case !utf8.ValidString(s):
		return "", abs, "the name is not valid UTF-8"
	}
	for _, el := range strings.Split(s, "/") {
		if el == ".." {
			return "", abs, `the name has a ".." element (it would escape the dump)`
		}
	}
	c := path.Clean(s)
	if c == "." || c == "" {
		return ".", abs, ""
	}
	if !fs.ValidPath(c) {
		return "", abs, "the name is not a clean relative path"
	}
	return c, abs, ""
}

func (x *tarIndex) add(hdr *tar.Header, tr *tar.Reader, g *guard) error {
	name, abs, why := cleanName(hdr.Name)
	if why != "" {
		x.problem("unsafe_path", hdr.Name, why+"; the entry is skipped")
		return nil
	}
	if abs {
		x.absolute++
	}
	if name == "." {
		return nil
	}
	sparse := hdr.Typeflag == tar.TypeGNUSparse
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			sparse = true
		}
	}
	e := &TarEntry{Name: hdr.Name, Typeflag: hdr.Typeflag, Linkname: hdr.Linkname, Mode: hdr.Mode,
		Uid: hdr.Uid, Gid: hdr.Gid, Uname: hdr.Uname, Gname: hdr.Gname,
		AccessTime: hdr.AccessTime, ChangeTime: hdr.ChangeTime, Sparse: sparse}
	n := &node{entry: e, mtime: hdr.ModTime, off: -1, mode: fs.FileMode(hdr.Mode) & fs.ModePerm}
	if hdr.Mode&0o4000 != 0 {
		n.mode |= fs.ModeSetuid
	}
	if hdr.Mode&0o2000 != 0 {
		n.mode |= fs.ModeSetgid
	}
	if hdr.Mode&0o1000 != 0 {
		n.mode |= fs.ModeSticky
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse:
		n.size = hdr.Size
	case tar.TypeDir:
		n.mode |= fs.ModeDir
	case tar.TypeSymlink:
		n.mode |= fs.ModeSymlink
		x.symlinks++
	case tar.TypeLink:
		n.mode |= fs.ModeIrregular
		x.hardlinks++
		if x.hardlinks <= 100 {
			x.problem("hard_link", name, fmt.Sprintf("hard link to %q; served as a link without content, never resolved", hdr.Linkname))
		}
	case tar.TypeChar:
		n.mode |= fs.ModeDevice | fs.ModeCharDevice
	case tar.TypeBlock:
		n.mode |= fs.ModeDevice
	case tar.TypeFifo:
		n.mode |= fs.ModeNamedPipe
	default:
		n.mode |= fs.ModeIrregular
	}
	if n.mode.IsRegular() {
		switch {
		case x.gz:
			if err := x.keep(name, n, tr); err != nil {
				return err
			}
		case sparse:
			n.why = sparseInTar
		default:
			n.off = g.pos
			if n.off+n.size > x.size || n.off+n.size < n.off {
				n.off, n.why = -1, readFailed
			}
		}
	}
	if old, ok := x.nodes[name]; ok {
		x.problem("duplicate_name", name, "the archive holds this name more than once; the last entry is served, as extraction would keep it")
		if old.data != nil {
			if x.want.isMeta(name) {
				x.metaKept -= int64(len(old.data))
			} else {
				x.kept -= int64(len(old.data))
			}
		}
	}
	x.nodes[name] = n
	return nil
}

const (
	maxMetaTotal = 32 << 20
)

// keep reads the content of a .tar.gz entry into memory if it is wanted and fits, or
// else into a private file of the spill folder (a copy of that one file, as SQLite
// needs to read a database from a file anyway) if there is room.
func (x *tarIndex) keep(name string, n *node, tr *tar.Reader) error {
	meta := x.want.isMeta(name)
	switch {
	case !meta && !x.want.match(name):
		n.why = notWanted
		return nil
	case meta && (n.size > maxMetadataBytes || x.metaKept+n.size > maxMetaTotal):
		n.why = budgetSpent
		return nil
	case !meta && n.size > x.opt.MaxFileInMemory:
		return x.spillOut(name, n, tr, tooLarge)
	case !meta && x.kept+n.size > x.opt.MaxInMemory:
		if !x.budgetNoted && x.spillDir == "" {
			x.budgetNoted = true
			x.problem("limit_reached", name, fmt.Sprintf("the in-memory budget of a .tar.gz (Options.MaxInMemory, %d bytes) is spent; this and later wanted files are listed but cannot be read", x.opt.MaxInMemory))
		}
		return x.spillOut(name, n, tr, budgetSpent)
	}
	data := make([]byte, 0, n.size)
	buf := bytes.NewBuffer(data)
	if _, err := io.CopyN(buf, tr, n.size); err != nil {
		n.why = readFailed
		return err
	}
	n.data = buf.Bytes()
	if meta {
		x.metaKept += n.size
	} else {
		x.kept += n.size
	}
	return nil
}

// spillOut writes the content of a wanted entry too large for memory into the spill
// folder, or marks it not retained (why) when there is none or it is full.
func (x *tarIndex) spillOut(name string, n *node, tr *tar.Reader, why uint8) error {
	if x.spillDir == "" || x.spilled+n.size > x.opt.MaxSpillBytes {
		n.why = why
		if x.spillDir != "" && !x.spillNoted {
			x.spillNoted = true
			x.problem("limit_reached", name, fmt.Sprintf("the private copies of a .tar.gz's large files (Options.MaxSpillBytes, %d bytes) are full; this and later large wanted files are listed but cannot be read", x.opt.MaxSpillBytes))
		}
		return nil
	}
	f, err := os.CreateTemp(x.spillDir, "entry-")
	if err != nil {
		n.why = readFailed
		return fmt.Errorf("spill %s: %w", name, err)
	}
	_, err = io.CopyN(f, tr, n.size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		n.why = readFailed
		os.Remove(f.Name())
		return err
	}
	n.spill = f.Name()
	x.spilled += n.size
	return nil
}

// finish adds the folders implied by names, drops entries under non-folders and
// builds the sorted child lists.
func (x *tarIndex) finish() {
	names := make([]string, 0, len(x.nodes))
	for n := range x.nodes {
		names = append(names, n)
	}
	depth := func(s string) int { return strings.Count(s, "/") }
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(depth(a), depth(b)), strings.Compare(a, b))
	})
	x.nodes["."] = &node{mode: fs.ModeDir | 0o555, off: -1}
	var ensure func(dir string) bool
	ensure = func(dir string) bool {
		if n, ok := x.nodes[dir]; ok {
			return n.mode.IsDir()
		}
		if !ensure(path.Dir(dir)) {
			return false
		}
		x.nodes[dir] = &node{mode: fs.ModeDir | 0o555, off: -1}
		return true
	}
	for _, name := range names {
		if !ensure(path.Dir(name)) {
			delete(x.nodes, name)
			x.problem("not_a_directory", name, "an entry lies under a name that is not a folder in the archive; it is skipped")
		}
	}
	x.kids = map[string][]string{}
	for name := range x.nodes {
		if name != "." {
			dir := path.Dir(name)
			x.kids[dir] = append(x.kids[dir], path.Base(name))
		}
	}
	for _, k := range x.kids {
		slices.Sort(k)
	}
}

// full maps a name relative to the root to its archive name.
func (x *tarIndex) full(name string) string {
	switch {
	case x.prefix == "":
		return name
	case name == ".":
		return x.prefix
	}
	return x.prefix + "/" + name
}

func (x *tarIndex) info(name string, n *node) *fileInfo {
	fi := &fileInfo{name: path.Base(name), size: n.size, mode: n.mode, mtime: n.mtime}
	if n.entry != nil {
		fi.sys = n.entry
	}
	return fi
}

func (x *tarIndex) stat(name string) (*fileInfo, error) {
	n, ok := x.nodes[x.full(name)]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return x.info(name, n), nil
}

func (x *tarIndex) readDir(name string) ([]*fileInfo, error) {
	full := x.full(name)
	n, ok := x.nodes[full]
	if !ok {
		return nil, fs.ErrNotExist
	}
	if !n.mode.IsDir() {
		return nil, errors.New("not a directory")
	}
	kids := x.kids[full]
	out := make([]*fileInfo, 0, len(kids))
	for _, k := range kids {
		c := k
		if full != "." {
			c = full + "/" + k
		}
		out = append(out, x.info(k, x.nodes[c]))
	}
	return out, nil
}

func (x *tarIndex) open(name string, fi *fileInfo) (fs.File, error) {
	n, ok := x.nodes[x.full(name)]
	if !ok {
		return nil, fs.ErrNotExist
	}
	switch {
	case n.spill != "":
		f, err := os.Open(n.spill)
		if err != nil {
			return nil, err
		}
		return &spillFile{File: f, info: fi}, nil
	case n.data != nil || (x.gz && n.why == keptOK):
		return &memFile{reader: bytes.NewReader(n.data), info: fi}, nil
	case n.off >= 0 && x.ra != nil:
		return &memFile{reader: io.NewSectionReader(x.ra, n.off, n.size), info: fi}, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotRetained, x.reason(n.why))
}

func (x *tarIndex) readLink(name string) (string, error) {
	n, ok := x.nodes[x.full(name)]
	if !ok || n.entry == nil {
		return "", fs.ErrNotExist
	}
	return n.entry.Linkname, nil
}

func (x *tarIndex) localPath(string) (string, error) {
	return "", fmt.Errorf("files inside an archive have no local path: %w", errors.ErrUnsupported)
}

func (x *tarIndex) close() error {
	if x.spillDir != "" {
		os.RemoveAll(x.spillDir)
		x.spillDir = ""
	}
	if x.file == nil {
		return nil
	}
	err := x.file.Close()
	x.file, x.ra, x.nodes, x.kids = nil, nil, map[string]*node{}, nil
	return err
}

// reader is what a memFile reads from.
type reader interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

// memFile is an open file of an archive.
type memFile struct {
	reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

// spillFile is an open file of a .tar.gz whose content was written to the spill folder.
type spillFile struct {
	*os.File
	info fs.FileInfo
}

func (f *spillFile) Stat() (fs.FileInfo, error) { return f.info, nil }

// matcher tells whether a device name (possibly under one top folder) may match a
// wanted pattern.
type matcher struct {
	pats  []pattern
	meta  []pattern
	names map[string]bool // base names wanted wherever they are
}

func (m *matcher) setNames(names []string) {
	if len(names) == 0 {
		return
	}
	m.names = make(map[string]bool, len(names))
	for _, n := range names {
		m.names[n] = true
	}
}

type pattern struct {
	p      string
	lit    string // literal prefix
	depth  int
	isMeta bool
}

func compile(p string) pattern {
	lit := p
	if i := strings.IndexAny(p, `*?[\`); i >= 0 {
		lit = p[:i]
	}
	return pattern{p: p, lit: lit, depth: strings.Count(p, "/")}
}

func newMatcher(want []string) *matcher {
	m := &matcher{}
	seen := map[string]bool{}
	for _, w := range want {
		for _, p := range devicePatterns(w) {
			if _, err := path.Match(p, ""); err != nil || seen[p] {
				continue
			}
			seen[p] = true
			m.pats = append(m.pats, compile(p))
		}
	}
	for _, p := range metadataPatterns() {
		m.meta = append(m.meta, compile(p))
	}
	return m
}

func matchAny(pats []pattern, name string) bool {
	for _, cand := range []string{name, stripTop(name)} {
		if cand == "" {
			continue
		}
		depth := strings.Count(cand, "/")
		for _, p := range pats {
			if p.depth != depth || !strings.HasPrefix(cand, p.lit) {
				continue
			}
			if ok, _ := path.Match(p.p, cand); ok {
				return true
			}
		}
	}
	return false
}

func stripTop(name string) string {
	_, rest, ok := strings.Cut(name, "/")
	if !ok {
		return ""
	}
	return rest
}

func (m *matcher) match(name string) bool {
	if m == nil {
		return false
	}
	if m.names[path.Base(name)] || matchAny(m.pats, name) {
		return true
	}
	// The sidecars of a wanted SQLite database are read with it: its write-ahead log
	// holds its most recent rows.
	for _, suffix := range sqliteSidecars {
		if db, ok := strings.CutSuffix(name, suffix); ok && db != "" && !strings.HasSuffix(db, "/") {
			return m.names[path.Base(db)] || matchAny(m.pats, db)
		}
	}
	return false
}

// sqliteSidecars are the files SQLite keeps beside a database, named after it.
var sqliteSidecars = []string{"-wal", "-shm", "-journal"}

func (m *matcher) isMeta(name string) bool {
	return m != nil && strings.HasSuffix(name, MetadataPlist) && matchAny(m.meta, name)
}
