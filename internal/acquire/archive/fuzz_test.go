package archive

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire"
)

// FuzzOpenZip opens arbitrary bytes as a zip, walks it and reads every file (and every
// file as a nested zip), within small limits: nothing may panic or exceed them.
func FuzzOpenZip(f *testing.F) {
	f.Add(zipOf(sample(), zipOptions{}))
	f.Add(zipOf(sample(), zipOptions{Store: true, Dirs: true, Top: "t"}))
	f.Add(zipOf(map[string][]byte{"n.zip": zipOf(map[string][]byte{"a": []byte("x")}, zipOptions{Store: true})}, zipOptions{Store: true}))
	f.Add(hostileZip(f, []rawEntry{
		{name: "../x", data: "x"}, {name: `a\b`, data: "y"}, {name: "d", data: "1"}, {name: "d", data: "2"},
		{name: "l", data: "t", mode: fs.ModeSymlink | 0o777},
		{name: "s", raw: true, method: zip.Store, data: "abc", crc: 1, csize: 3, usize: 9},
	}))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	opt := Options{MaxEntries: 200, MaxFileBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxNestedBytes: 1 << 20, StripSingleTop: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := OpenZipReaderAt(ctx, bytes.NewReader(data), int64(len(data)), acquire.AndroidQF, "fuzz", opt)
		if err != nil {
			return
		}
		defer a.Close()
		visit(t, a, opt)
	})
}

func visit(t *testing.T, a *FS, opt Options) {
	n := 0
	a.Walk(func(name string, fi fs.FileInfo) error {
		n++
		if !fs.ValidPath(name) {
			t.Fatalf("invalid name %q", name)
		}
		if !fi.Mode().IsRegular() {
			if _, err := a.Open(name); fi.Mode()&fs.ModeSymlink != 0 && err == nil {
				t.Fatalf("symlink %q opened", name)
			}
			return nil
		}
		if f, err := a.Open(name); err == nil {
			k, _ := io.Copy(io.Discard, f)
			if k > opt.MaxFileBytes {
				t.Fatalf("%s: %d bytes read", name, k)
			}
			if r, ok := f.(io.ReaderAt); ok {
				buf := make([]byte, 100)
				r.ReadAt(buf, 3)
				r.ReadAt(buf, fi.Size()-10)
			}
			f.Close()
		}
		if a.Depth() < 2 {
			if nz, err := OpenNested(ctx, a, name, acquire.AndroidQF, opt); err == nil {
				visit(t, nz, opt)
				nz.Close()
			}
		}
		return nil
	})
	if n > opt.MaxEntries*2 { // entries and the folders they imply
		t.Fatalf("%d entries walked", n)
	}
	if a.BytesRead() > opt.MaxTotalBytes {
		t.Fatalf("%d bytes read", a.BytesRead())
	}
	a.Problems()
}
