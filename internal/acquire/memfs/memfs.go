// Package memfs wraps an in-memory file system (testing/fstest.MapFS) as an
// acquisition, for tests of modules and of the engine.
package memfs

import (
	"io/fs"
	"testing/fstest"

	"github.com/spytrace/spytrace/internal/acquire"
)

// FS is an in-memory acquisition.
type FS struct {
	fstest.MapFS
	kind acquire.Kind
}

// New returns an acquisition of the given kind serving files.
func New(kind acquire.Kind, files fstest.MapFS) *FS { return &FS{MapFS: files, kind: kind} }

// Kind implements acquire.Acquisition.
func (f *FS) Kind() acquire.Kind { return f.kind }

// Root implements acquire.Acquisition.
func (f *FS) Root() string { return "memory" }

// Close implements acquire.Acquisition.
func (f *FS) Close() error { return nil }

// ReadDir implements fs.ReadDirFS.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) { return f.MapFS.ReadDir(name) }

// Stat implements fs.StatFS.
func (f *FS) Stat(name string) (fs.FileInfo, error) { return f.MapFS.Stat(name) }

var _ acquire.Acquisition = (*FS)(nil)
