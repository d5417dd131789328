package archive

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// The tests build their zips with this copy of fixture.ZipOf's core, so that the test
// binary does not link the fixture package (and its SQLite), which would slow fuzzing
// down by orders of magnitude; internal/fixture's own test opens ZipOf's output with
// this package.

var epoch = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

type zipOptions struct {
	Top         string
	Store, Dirs bool
	LocalTime   bool
	ModTime     time.Time
}

func zipOf(files map[string][]byte, opts zipOptions) []byte {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	t := opts.ModTime
	if t.IsZero() {
		t = epoch
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	header := func(name string) *zip.FileHeader {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		if opts.Store || strings.HasSuffix(name, "/") {
			h.Method = zip.Store
		}
		if opts.LocalTime {
			h.ModifiedDate = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
			h.ModifiedTime = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
		} else {
			h.Modified = t
		}
		return h
	}
	done := map[string]bool{}
	var dirs func(string)
	dirs = func(name string) {
		d := path.Dir(name)
		if d == "." || done[d] {
			return
		}
		dirs(d)
		done[d] = true
		h := header(d + "/")
		h.SetMode(fs.ModeDir | 0o755)
		if _, err := zw.CreateHeader(h); err != nil {
			panic(err)
		}
	}
	for _, n := range names {
		data := files[n]
		if opts.Top != "" {
			n = opts.Top + "/" + n
		}
		if opts.Dirs {
			dirs(n)
		}
		w, err := zw.CreateHeader(header(n))
		if err != nil {
			panic(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
