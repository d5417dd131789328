package archive

import (
	"archive/zip"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/acquire"
)

// node is one entry of a zip's index.
type node struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	file  *zip.File // nil for folders implied by their content
}

// zipIndex serves a zip.
type zipIndex struct {
	a     *FS
	zr    *zip.Reader
	ra    io.ReaderAt
	nodes map[string]*node
	kids  map[string][]string // folder → sorted child names
}

// openZip indexes the zip that r reads.
func openZip(ctx context.Context, r io.ReaderAt, size int64, kind acquire.Kind, root string, opt Options, bud *budget, depth int) (*FS, error) {
	a := newFS(ctx, kind, root, FormatZip, opt, bud)
	a.depth = depth
	view, err := limitEntries(ctx, r, size, opt.MaxEntries)
	if err != nil {
		return nil, err
	}
	if view != nil {
		a.truncated = true
		a.problem("limit_reached", "", fmt.Sprintf("the zip's central directory lists more than %d entries (Options.MaxEntries); only the first %d are served", opt.MaxEntries, opt.MaxEntries))
		r, size = view, view.size()
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %v", ErrNotArchive, err)
	}
	if len(zr.File) > opt.MaxEntries { // the prescan and archive/zip disagreed
		a.truncated = true
		a.problemOnce("entries", "limit_reached", "", fmt.Sprintf("the zip holds more than %d entries (Options.MaxEntries); only the first %d are served", opt.MaxEntries, opt.MaxEntries))
		zr.File = zr.File[:opt.MaxEntries]
	}
	x := &zipIndex{a: a, zr: zr, ra: r, nodes: map[string]*node{}}
	x.index()
	a.b = x
	if err := a.chooseTop(); err != nil {
		return nil, err
	}
	return a, nil
}

// cleanName turns a zip entry name into a name of the acquisition; why says why it
// cannot be served ("" if it can); dir is set for names ending in a slash.
func cleanName(raw string) (name string, dir, backslash bool, why string) {
	s := raw
	switch {
	case strings.ContainsRune(s, 0):
		return "", false, false, "the name contains a NUL byte"
	case !utf8.ValidString(s):
		return "", false, false, "the name is not valid UTF-8"
	}
	if strings.ContainsRune(s, '\\') {
		s = strings.ReplaceAll(s, `\`, "/")
		backslash = true
	}
	if strings.HasPrefix(s, "/") {
		return "", false, backslash, "the name is absolute"
	}
	if first, _, _ := strings.Cut(s, "/"); len(first) >= 2 && first[len(first)-1] == ':' {
		return "", false, backslash, "the name starts with a drive letter or a scheme (absolute)"
	}
	dir = strings.HasSuffix(s, "/")
	for _, el := range strings.Split(s, "/") {
		if el == ".." {
			return "", false, backslash, `the name has a ".." element (it would escape the evidence)`
		}
	}
	c := path.Clean(s)
	if c == "." || c == "" {
		return ".", true, backslash, ""
	}
	if !fs.ValidPath(c) {
		return "", false, backslash, "the name is not a clean relative path"
	}
	return c, dir, backslash, ""
}

// index builds the nodes from the central directory.
func (x *zipIndex) index() {
	a := x.a
	backslashes := 0
	for _, f := range x.zr.File {
		name, dir, bs, why := cleanName(f.Name)
		if why != "" {
			a.problem("unsafe_path", strings.ToValidUTF8(f.Name, "\uFFFD"), why+"; the entry is skipped")
			continue
		}
		if name == "." {
			continue
		}
		if bs {
			backslashes++
		}
		m := f.Mode()
		n := &node{file: f, mtime: f.Modified}
		switch {
		case dir || m.IsDir():
			n.mode = fs.ModeDir | m.Perm()
		case m&fs.ModeSymlink != 0:
			n.mode = fs.ModeSymlink | m.Perm()
		case m.IsRegular():
			n.mode = m.Perm()
			n.size = int64(min(f.UncompressedSize64, math.MaxInt64))
			if f.Method == zip.Store && f.CompressedSize64 < f.UncompressedSize64 {
				n.size = int64(min(f.CompressedSize64, math.MaxInt64))
			}
		default:
			n.mode = fs.ModeIrregular | m.Perm()
		}
		if n.mode.Perm() == 0 {
			n.mode |= 0o444
			if n.mode.IsDir() {
				n.mode |= 0o111
			}
		}
		if _, ok := x.nodes[name]; ok {
			a.problem("duplicate_name", name, "the zip holds this name more than once; the last entry is served, as extraction would keep it")
		}
		x.nodes[name] = n
	}
	if backslashes > 0 {
		a.problem("backslash_name", "", fmt.Sprintf("%d entry names use backslashes, which were taken as folder separators (as the Windows tool that wrote them meant)", backslashes))
	}
	// Folders implied by names; entries under a non-folder are dropped.
	names := make([]string, 0, len(x.nodes))
	for n := range x.nodes {
		names = append(names, n)
	}
	depth := func(s string) int { return strings.Count(s, "/") }
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(depth(a), depth(b)), strings.Compare(a, b))
	})
	x.nodes["."] = &node{mode: fs.ModeDir | 0o555}
	var ensure func(dir string) bool
	ensure = func(dir string) bool {
		if n, ok := x.nodes[dir]; ok {
			return n.mode.IsDir()
		}
		if !ensure(path.Dir(dir)) {
			return false
		}
		x.nodes[dir] = &node{mode: fs.ModeDir | 0o555}
		return true
	}
	for _, name := range names {
		if !ensure(path.Dir(name)) {
			delete(x.nodes, name)
			a.problem("not_a_directory", name, "the entry lies under a name that is a file, not a folder, in the zip; it is skipped")
		}
	}
	x.kids = map[string][]string{}
	for name := range x.nodes {
		if name != "." {
			d := path.Dir(name)
			x.kids[d] = append(x.kids[d], path.Base(name))
		}
	}
	for _, k := range x.kids {
		slices.Sort(k)
	}
}

func (x *zipIndex) info(name string, n *node) *fileInfo {
	fi := &fileInfo{name: base(name), size: n.size, mode: n.mode, mtime: n.mtime}
	if n.file != nil {
		h := n.file.FileHeader
		fi.sys = &h
	}
	return fi
}

func (x *zipIndex) stat(name string) (*fileInfo, error) {
	n, ok := x.nodes[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return x.info(name, n), nil
}

func (x *zipIndex) readDir(name string) ([]*fileInfo, error) {
	n, ok := x.nodes[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	if !n.mode.IsDir() {
		return nil, errors.New("not a directory")
	}
	kids := x.kids[name]
	out := make([]*fileInfo, 0, len(kids))
	for _, k := range kids {
		c := k
		if name != "." {
			c = name + "/" + k
		}
		out = append(out, x.info(k, x.nodes[c]))
	}
	return out, nil
}

func (x *zipIndex) localPath(string) (string, error) {
	return "", fmt.Errorf("files inside a zip have no local path: %w", errors.ErrUnsupported)
}

func (x *zipIndex) close() error {
	x.nodes, x.kids = map[string]*node{}, nil
	return nil
}

func (x *zipIndex) open(name string, fi *fileInfo) (fs.File, error) {
	n, ok := x.nodes[name]
	if !ok || n.file == nil {
		return nil, fs.ErrNotExist
	}
	f := n.file
	if f.Flags&0x1 != 0 {
		return nil, ErrEncrypted
	}
	zf := &zipFile{a: x.a, name: name, info: fi, f: f, declared: n.size}
	if f.Method == zip.Store {
		off, err := f.DataOffset()
		if err != nil {
			x.a.problem("corrupt_entry", name, fmt.Sprintf("the entry's local header cannot be read: %v", err))
			return nil, err
		}
		if f.CompressedSize64 != f.UncompressedSize64 {
			zf.mismatch = true
			x.a.problemOnce("size:"+name, "size_mismatch", name, fmt.Sprintf("a stored entry declares %d bytes but holds %d; %d are served", f.UncompressedSize64, f.CompressedSize64, n.size))
		}
		zf.crc = crc32.NewIEEE()
		return &storedFile{zipFile: zf, ra: x.ra, off: off}, nil
	}
	rc, err := f.Open()
	if err != nil {
		x.a.problem("corrupt_entry", name, fmt.Sprintf("the entry cannot be opened: %v", err))
		return nil, err
	}
	zf.rc = rc
	return zf, nil
}
