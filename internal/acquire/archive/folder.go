package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// folder serves a folder in place, through an os.Root, never following a symbolic
// link. It is a small copy of package iosfs's folder backend (unexported there).
type folder struct {
	root *os.Root
	dir  string
	note func(name string) // called for a name that cannot be served

	mu   sync.Mutex
	dirs map[string]bool // folders whose every component was checked to be a real folder
}

func openFolder(p string) (*folder, error) {
	top, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(top)
	if err != nil {
		return nil, err
	}
	return &folder{root: r, dir: top, dirs: map[string]bool{}}, nil
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
	info := &fileInfo{name: name, size: fi.Size(), mode: fi.Mode(), mtime: fi.ModTime(), sys: fi.Sys(), osfi: fi}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		info.size = 0
	}
	return info
}

func (f *folder) stat(name string) (*fileInfo, error) {
	if err := f.checkParents(name); err != nil {
		return nil, err
	}
	fi, err := f.root.Lstat(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	return fromOS(base(name), fi), nil
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
		if !utf8.ValidString(e.Name()) || !fs.ValidPath(e.Name()) || strings.ContainsRune(e.Name(), '\\') && filepath.Separator == '\\' {
			if f.note != nil {
				f.note(path.Join(name, strings.ToValidUTF8(e.Name(), "\uFFFD")))
			}
			continue
		}
		ei, err := e.Info()
		if err != nil {
			continue // vanished
		}
		out = append(out, fromOS(e.Name(), ei))
	}
	slices.SortFunc(out, func(a, b *fileInfo) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

func (f *folder) open(name string, fi *fileInfo) (fs.File, error) {
	if err := f.checkParents(name); err != nil {
		return nil, err
	}
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

func (f *folder) localPath(name string) (string, error) {
	if err := f.checkParents(name); err != nil {
		return "", err
	}
	return filepath.Join(f.dir, filepath.FromSlash(name)), nil
}

func (f *folder) close() error { return f.root.Close() }

// osFile is an open file of a folder.
type osFile struct {
	*os.File
	info fs.FileInfo
}

func (f *osFile) Stat() (fs.FileInfo, error) { return f.info, nil }
