package acquire

import (
	"errors"
	"io"
	"io/fs"
)

// DirFile is an open folder of an acquisition, as every opener returns from Open: Stat
// gives Info, Read fails, and ReadDir lists the folder through List (called once, on the
// first ReadDir) in pages, as fs.ReadDirFile wants.
type DirFile struct {
	Name string
	Info fs.FileInfo
	// List returns the folder's entries, sorted by name.
	List func() ([]fs.DirEntry, error)

	entries []fs.DirEntry
	read    bool
	off     int
}

// Stat implements fs.File.
func (d *DirFile) Stat() (fs.FileInfo, error) { return d.Info, nil }

// Read implements fs.File: a folder has no content.
func (d *DirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.Name, Err: errors.New("is a directory")}
}

// Close implements fs.File.
func (d *DirFile) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *DirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		es, err := d.List()
		if err != nil {
			return nil, err
		}
		d.entries, d.read = es, true
	}
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
