// Package union serves several acquisitions as one: an androidqf collection together
// with the bug report, the backup and the intrusion logs it holds, so that one run of
// the engine checks them all into one results folder.
//
// A name is served by the first layer that has it; the layers of an androidqf run do not
// share names (the collection's files, the bug report's FS/ and @sections/, the backup's
// apps/), and where they would, the earlier layer wins and the later one's file is not
// seen (a Problem "shadowed_name" names it when a listing shows both). Folders are
// merged: ReadDir lists the entries of every layer, each name once. Problems are every
// layer's, prefixed with the layer's label. Nothing is read at construction.
package union

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
)

// Layer is one acquisition of the union, with a label for messages ("bugreport.zip").
type Layer struct {
	Label string
	FS    acquire.Acquisition
}

// Union is a read-only acquisition made of layers.
type Union struct {
	kind   acquire.Kind
	root   string
	layers []Layer

	mu       sync.Mutex
	shadowed map[string]bool
	problems []acquire.Problem
}

var (
	_ acquire.Acquisition = (*Union)(nil)
	_ acquire.Problems    = (*Union)(nil)
	_ acquire.LocalPather = (*Union)(nil)
)

// New returns the union of layers, first layer first, of the given kind; root is the
// evidence's path.
func New(kind acquire.Kind, root string, layers ...Layer) *Union {
	return &Union{kind: kind, root: root, layers: layers, shadowed: map[string]bool{}}
}

// Kind implements acquire.Acquisition.
func (u *Union) Kind() acquire.Kind { return u.kind }

// Root implements acquire.Acquisition.
func (u *Union) Root() string { return u.root }

// Layers returns the layers' labels, in order.
func (u *Union) Layers() []string {
	out := make([]string, len(u.layers))
	for i, l := range u.layers {
		out[i] = l.Label
	}
	return out
}

// Close closes every layer and returns the first error.
func (u *Union) Close() error {
	var first error
	for i := len(u.layers) - 1; i >= 0; i-- {
		if err := u.layers[i].FS.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Open implements fs.FS.
func (u *Union) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &acquire.DirFile{Name: ".", Info: rootInfo{}, List: func() ([]fs.DirEntry, error) { return u.ReadDir(".") }}, nil
	}
	var firstErr error
	for _, l := range u.layers {
		fi, err := fs.Stat(l.FS, name)
		if err != nil {
			if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
				firstErr = err
			}
			continue
		}
		if fi.IsDir() {
			return &acquire.DirFile{Name: name, Info: fi, List: func() ([]fs.DirEntry, error) { return u.ReadDir(name) }}, nil
		}
		return l.FS.Open(name)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// Stat implements fs.StatFS: the first layer that has the name.
func (u *Union) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	var firstErr error
	for _, l := range u.layers {
		fi, err := fs.Stat(l.FS, name)
		if err == nil {
			return fi, nil
		}
		if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// ReadDir implements fs.ReadDirFS: the entries of every layer, each name once (the
// first layer's), sorted.
func (u *Union) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	var out []fs.DirEntry
	seen := map[string]int{} // name → layer
	found := false
	var firstErr error
	for i, l := range u.layers {
		es, err := fs.ReadDir(l.FS, name)
		if err != nil {
			if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
				firstErr = err
			}
			continue
		}
		found = true
		for _, e := range es {
			if j, ok := seen[e.Name()]; ok {
				if !e.IsDir() {
					u.shadow(name, e.Name(), u.layers[j].Label, l.Label)
				}
				continue
			}
			seen[e.Name()] = i
			out = append(out, e)
		}
	}
	if !found {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

func (u *Union) shadow(dir, name, winner, loser string) {
	full := name
	if dir != "." {
		full = dir + "/" + name
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.shadowed[full] || len(u.shadowed) >= 1000 {
		return
	}
	u.shadowed[full] = true
	u.problems = append(u.problems, acquire.Problem{Kind: "shadowed_name", Name: full,
		Message: "both " + winner + " and " + loser + " hold this name; " + winner + "'s is served"})
}

// LocalPath implements acquire.LocalPather through the layer that serves name.
func (u *Union) LocalPath(name string) (string, error) {
	for _, l := range u.layers {
		if _, err := fs.Stat(l.FS, name); err != nil {
			continue
		}
		if lp, ok := l.FS.(acquire.LocalPather); ok {
			return lp.LocalPath(name)
		}
		return "", errors.ErrUnsupported
	}
	return "", &fs.PathError{Op: "localpath", Path: name, Err: fs.ErrNotExist}
}

// Problems implements acquire.Problems: every layer's, names prefixed with its label,
// then the union's own.
func (u *Union) Problems() []acquire.Problem {
	var out []acquire.Problem
	for _, l := range u.layers {
		p, ok := l.FS.(acquire.Problems)
		if !ok {
			continue
		}
		for _, pr := range p.Problems() {
			if l.Label != "" {
				pr.Name = l.Label + ": " + pr.Name
			}
			out = append(out, pr)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return append(out, u.problems...)
}

// rootInfo is the FileInfo of the union's root.
type rootInfo struct{}

func (rootInfo) Name() string       { return "." }
func (rootInfo) Size() int64        { return 0 }
func (rootInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (rootInfo) ModTime() time.Time { return time.Time{} }
func (rootInfo) IsDir() bool        { return true }
func (rootInfo) Sys() any           { return nil }
