package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
)

var ctx = context.Background()

// sample is a small androidqf-like collection.
func sample() map[string][]byte {
	return map[string][]byte{
		"acquisition.json":                    []byte(`{"uuid":"x"}`),
		"getprop.txt":                         []byte("[ro.build.version.sdk]: [34]\n"),
		"packages.json":                       []byte("[]"),
		"logs/dumpsys.txt":                    []byte("DUMP OF SERVICE package:\n"),
		"logs/empty.txt":                      nil,
		"apks/com.example.app/base.apk":       bytes.Repeat([]byte("APK"), 5000),
		"apks/com.example.app/split_en.apk":   []byte("split"),
		"bugreport/FS/data/tombstones/tomb_0": []byte("*** *** ***"),
	}
}

func writeFolder(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "evidence.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func names(m map[string][]byte) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// contents walks a and returns every regular file's content, and the walk's listing.
func contents(t *testing.T, a *FS) (map[string]string, []string) {
	t.Helper()
	files := map[string]string{}
	var listing []string
	err := a.Walk(func(name string, fi fs.FileInfo) error {
		listing = append(listing, name+" "+fi.Mode().Type().String())
		if fi.Mode().IsRegular() {
			data, err := fs.ReadFile(a, name)
			if err != nil {
				t.Errorf("read %s: %v", name, err)
			}
			files[name] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, listing
}

func TestFolderAndZipSame(t *testing.T) {
	src := sample()
	want := map[string]string{}
	for n, d := range src {
		want[n] = string(d)
	}
	folder := t.TempDir()
	writeFolder(t, filepath.Join(folder, "androidqf_1234"), src)
	cases := map[string]string{
		"folder":      folder,
		"deflate":     writeFile(t, zipOf(src, zipOptions{Top: "androidqf_1234"})),
		"store+dirs":  writeFile(t, zipOf(src, zipOptions{Top: "androidqf_1234", Store: true, Dirs: true})),
		"local times": writeFile(t, zipOf(src, zipOptions{Top: "androidqf_1234", LocalTime: true})),
	}
	var firstListing []string
	for _, c := range []string{"folder", "deflate", "store+dirs", "local times"} {
		t.Run(c, func(t *testing.T) {
			a, err := Open(ctx, cases[c], acquire.AndroidQF, Options{StripSingleTop: true})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if a.Prefix() != "androidqf_1234" || a.Kind() != acquire.AndroidQF {
				t.Errorf("prefix %q kind %q", a.Prefix(), a.Kind())
			}
			if err := fstest.TestFS(a, names(src)...); err != nil {
				t.Fatal(err)
			}
			got, listing := contents(t, a)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("contents (-want +got):\n%s", d)
			}
			if firstListing == nil {
				firstListing = listing
			} else if d := cmp.Diff(firstListing, listing); d != "" {
				t.Errorf("listing differs from the folder's (-folder +%s):\n%s", c, d)
			}
			if p := a.Problems(); len(p) != 0 {
				t.Errorf("problems: %v", p)
			}
			_, err = a.LocalPath("getprop.txt")
			if (err == nil) != (c == "folder") {
				t.Errorf("LocalPath: %v", err)
			}
		})
	}
}

func TestZipTimes(t *testing.T) {
	at := time.Date(2024, 3, 14, 10, 0, 2, 0, time.UTC)
	for _, local := range []bool{false, true} {
		a, err := OpenZipReaderAt(ctx, bytes.NewReader(zipOf(map[string][]byte{"x": []byte("1")}, zipOptions{ModTime: at, LocalTime: local})), 0, acquire.AndroidBugreport, "mem", Options{})
		if err == nil {
			t.Fatal("size 0 accepted")
		}
		data := zipOf(map[string][]byte{"x": []byte("1")}, zipOptions{ModTime: at, LocalTime: local})
		a, err = OpenZipReaderAt(ctx, bytes.NewReader(data), int64(len(data)), acquire.AndroidBugreport, "mem", Options{})
		if err != nil {
			t.Fatal(err)
		}
		fi, err := a.Stat("x")
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(at) {
			t.Errorf("local=%v: mtime %v, want %v", local, fi.ModTime(), at)
		}
		h := fi.Sys().(*zip.FileHeader)
		hasExt := bytes.Contains(h.Extra, []byte{0x55, 0x54})
		if hasExt == local {
			t.Errorf("local=%v: extended timestamp present=%v", local, hasExt)
		}
	}
}

// rawEntry is a zip entry written with full control of its header.
type rawEntry struct {
	name    string
	data    string
	mode    fs.FileMode
	raw     bool // data is written as is, with the header's sizes and CRC
	method  uint16
	crc     uint32
	csize   uint64
	usize   uint64
	encrypt bool
}

func hostileZip(t testing.TB, entries []rawEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: e.method, Modified: epoch}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		if e.encrypt {
			h.Flags |= 1
		}
		var w io.Writer
		var err error
		if e.raw {
			h.CRC32, h.CompressedSize64, h.UncompressedSize64 = e.crc, e.csize, e.usize
			w, err = zw.CreateRaw(h)
		} else {
			w, err = zw.CreateHeader(h)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openBytes(t testing.TB, data []byte, opt Options) *FS {
	t.Helper()
	a, err := OpenZipReaderAt(ctx, bytes.NewReader(data), int64(len(data)), acquire.AndroidIntrusionLogs, "mem.zip", opt)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func problemKinds(a *FS) map[string][]string {
	out := map[string][]string{}
	for _, p := range a.Problems() {
		out[p.Kind] = append(out[p.Kind], p.Name)
	}
	return out
}

func TestHostileNames(t *testing.T) {
	data := hostileZip(t, []rawEntry{
		{name: "../../etc/evil", data: "x"},
		{name: "ok/../../evil", data: "x"},
		{name: "/abs/path", data: "x"},
		{name: "C:/windows/evil", data: "x"},
		{name: "nul\x00byte", data: "x"},
		{name: "bad\xff\xfeutf8", data: "x"},
		{name: `win\dir\file.txt`, data: "backslashes"},
		{name: "./dot/./slash//file", data: "cleaned"},
		{name: "dup.txt", data: "first"},
		{name: "dup.txt", data: "second"},
		{name: "link", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777},
		{name: "f", data: "file"},
		{name: "f/g", data: "under a file"},
		{name: "dir/", data: ""},
	})
	a := openBytes(t, data, Options{})
	defer a.Close()
	got, listing := contents(t, a)
	want := map[string]string{
		"win/dir/file.txt": "backslashes",
		"dot/slash/file":   "cleaned",
		"dup.txt":          "second",
		"f":                "file",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("contents (-want +got):\n%s", d)
	}
	wantListing := []string{"dir d---------", "dot d---------", "dot/slash d---------", "dot/slash/file ----------",
		"dup.txt ----------", "f ----------", "link L---------", "win d---------", "win/dir d---------", "win/dir/file.txt ----------"}
	if d := cmp.Diff(wantListing, listing); d != "" {
		t.Errorf("listing (-want +got):\n%s", d)
	}
	kinds := problemKinds(a)
	if n := len(kinds["unsafe_path"]); n != 6 {
		t.Errorf("unsafe_path: %d %q, want 6", n, kinds["unsafe_path"])
	}
	for _, k := range []string{"duplicate_name", "not_a_directory", "backslash_name"} {
		if len(kinds[k]) != 1 {
			t.Errorf("%s: %q", k, kinds[k])
		}
	}
	if _, err := a.Open("link"); !errors.Is(err, ErrSymlink) {
		t.Errorf("open link: %v", err)
	}
	if fi, err := a.Stat("link"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("stat link: %v %v", fi, err)
	}
	if _, err := a.Open("f/g"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open f/g: %v", err)
	}
	for _, bad := range []string{"../x", "/abs", "a//b", ""} {
		if _, err := a.Open(bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("open %q: %v", bad, err)
		}
	}
}

func deflate(t testing.TB, s string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestLyingSizes(t *testing.T) {
	text := "hello, world"
	crc := crc32.ChecksumIEEE([]byte(text))
	comp := deflate(t, text)
	data := hostileZip(t, []rawEntry{
		{name: "short", raw: true, method: zip.Deflate, data: comp, crc: crc, csize: uint64(len(comp)), usize: 5},
		{name: "long", raw: true, method: zip.Deflate, data: comp, crc: crc, csize: uint64(len(comp)), usize: 100},
		{name: "badcrc", raw: true, method: zip.Deflate, data: comp, crc: crc ^ 1, csize: uint64(len(comp)), usize: uint64(len(text))},
		{name: "stored-short", raw: true, method: zip.Store, data: text, crc: crc, csize: uint64(len(text)), usize: 5},
		{name: "stored-long", raw: true, method: zip.Store, data: text, crc: crc, csize: uint64(len(text)), usize: 1 << 40},
		{name: "stored-badcrc", raw: true, method: zip.Store, data: text, crc: crc ^ 1, csize: uint64(len(text)), usize: uint64(len(text))},
		{name: "encrypted", data: "secret", encrypt: true},
		{name: "ok", raw: true, method: zip.Store, data: text, crc: crc, csize: uint64(len(text)), usize: uint64(len(text))},
	})
	a := openBytes(t, data, Options{})
	defer a.Close()
	read := func(name string) (string, error) {
		b, err := fs.ReadFile(a, name)
		return string(b), err
	}
	for _, c := range []struct {
		name, want string
		err        bool
	}{
		{"short", "hello", false},
		{"long", "", true}, // archive/zip drops the chunk that ends too early
		{"badcrc", text, true},
		{"stored-short", "hello", false},
		{"stored-long", text, false},
		{"stored-badcrc", text, true},
		{"ok", text, false},
	} {
		got, err := read(c.name)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%s: %q, %v; want %q, error %v", c.name, got, err, c.want, c.err)
		}
	}
	if _, err := a.Open("encrypted"); !errors.Is(err, ErrEncrypted) {
		t.Errorf("encrypted: %v", err)
	}
	kinds := problemKinds(a)
	want := map[string][]string{
		"size_mismatch": {"short", "stored-short", "stored-long"},
		"corrupt_entry": {"long", "badcrc", "stored-badcrc"},
	}
	for k, w := range want {
		g := slices.Sorted(slices.Values(kinds[k]))
		if d := cmp.Diff(slices.Sorted(slices.Values(w)), g); d != "" {
			t.Errorf("%s (-want +got):\n%s", k, d)
		}
	}
}

func TestZipBomb(t *testing.T) {
	zeros := make([]byte, 80<<20)
	data := zipOf(map[string][]byte{"bomb": zeros, "small": []byte("fine")}, zipOptions{})
	if len(data) > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed", len(data))
	}
	a := openBytes(t, data, Options{})
	defer a.Close()
	f, err := a.Open("bomb")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, f)
	f.Close()
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("bomb read %d bytes, error %v", n, err)
	}
	if n > RatioFloor+1<<20 {
		t.Errorf("read %d bytes past the ratio floor", n)
	}
	if b, err := fs.ReadFile(a, "small"); err != nil || string(b) != "fine" {
		t.Errorf("small: %q %v", b, err)
	}
	if k := problemKinds(a)["limit_reached"]; len(k) != 1 || k[0] != "bomb" || !a.Truncated() {
		t.Errorf("problems %v", a.Problems())
	}
}

func TestByteLimits(t *testing.T) {
	data := zipOf(map[string][]byte{"a": bytes.Repeat([]byte("a"), 1000), "b": bytes.Repeat([]byte("b"), 1000), "c": []byte("c")}, zipOptions{})
	a := openBytes(t, data, Options{MaxFileBytes: 600, MaxTotalBytes: 1000})
	defer a.Close()
	b, err := fs.ReadFile(a, "a")
	if !errors.Is(err, ErrLimit) || len(b) != 600 {
		t.Errorf("a: %d bytes, %v", len(b), err)
	}
	b, err = fs.ReadFile(a, "c")
	if err != nil || string(b) != "c" {
		t.Errorf("c: %q %v", b, err)
	}
	b, err = fs.ReadFile(a, "b")
	if !errors.Is(err, ErrLimit) || len(b) != 399 {
		t.Errorf("b: %d bytes, %v", len(b), err)
	}
	if _, err = fs.ReadFile(a, "c"); !errors.Is(err, ErrLimit) {
		t.Errorf("c after the total: %v", err)
	}
	if a.BytesRead() != 1000 {
		t.Errorf("read %d bytes", a.BytesRead())
	}
	if k := problemKinds(a)["limit_reached"]; len(k) != 2 {
		t.Errorf("problems %v", a.Problems())
	}
}

func TestMaxEntries(t *testing.T) {
	files := map[string][]byte{}
	for i := range 50 {
		files[string(rune('A'+i%26))+strings.Repeat("x", i/26)] = []byte{byte(i)}
	}
	data := zipOf(files, zipOptions{})
	a := openBytes(t, data, Options{MaxEntries: 10})
	defer a.Close()
	got, _ := contents(t, a)
	if len(got) != 10 || !a.Truncated() || len(problemKinds(a)["limit_reached"]) != 1 {
		t.Errorf("%d entries served, truncated %v, problems %v", len(got), a.Truncated(), a.Problems())
	}
	// The first ten entries of the central directory (written in name order).
	for _, n := range []string{"A", "Ex"} {
		if _, ok := got[n]; !ok {
			t.Errorf("%s not served", n)
		}
	}
	// A folder's walk stops too.
	dir := t.TempDir()
	writeFolder(t, dir, files)
	f, err := Open(ctx, dir, acquire.AndroidQF, Options{MaxEntries: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ = contents(t, f)
	if len(got) != 10 || !f.Truncated() {
		t.Errorf("folder: %d entries walked", len(got))
	}
}

func TestNotZip(t *testing.T) {
	good := zipOf(sample(), zipOptions{})
	for name, data := range map[string][]byte{
		"text":      []byte("hello, this is not a zip at all"),
		"empty":     nil,
		"age":       []byte("age-encryption.org/v1\n-> X25519 abc\n"),
		"truncated": good[:len(good)-30],
		"head only": good[:100],
		"magic":     []byte("PK\x03\x04"),
	} {
		_, err := Open(ctx, writeFile(t, data), acquire.AndroidQF, Options{})
		if !errors.Is(err, ErrNotArchive) {
			t.Errorf("%s: %v", name, err)
		}
		if name == "age" && !strings.Contains(err.Error(), "age") {
			t.Errorf("age: %v", err)
		}
	}
	// Data prepended to a zip: recognised by its end record.
	p := writeFile(t, append([]byte("#!/bin/sh\nexit 0\n"), good...))
	a, err := Open(ctx, p, acquire.AndroidQF, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if b, err := fs.ReadFile(a, "getprop.txt"); err != nil || !bytes.Contains(b, []byte("sdk")) {
		t.Errorf("prepended: %q %v", b, err)
	}
}

func TestCorruptData(t *testing.T) {
	data := zipOf(map[string][]byte{"a.txt": bytes.Repeat([]byte("abcdefgh"), 1000)}, zipOptions{})
	// Damage the compressed data, not the directory.
	bad := slices.Clone(data)
	for i := 60; i < 90; i++ {
		bad[i] ^= 0x55
	}
	a := openBytes(t, bad, Options{})
	defer a.Close()
	if _, err := fs.ReadFile(a, "a.txt"); err == nil {
		t.Error("damaged data read without error")
	}
	if len(problemKinds(a)["corrupt_entry"]) != 1 {
		t.Errorf("problems %v", a.Problems())
	}
}

func TestNested(t *testing.T) {
	inner := zipOf(map[string][]byte{"main_entry.txt": []byte("bugreport.txt"), "bugreport.txt": []byte("== dumpstate")}, zipOptions{Top: "bugreport-x"})
	for _, store := range []bool{true, false} {
		outer := zipOf(map[string][]byte{"bugreport.zip": inner, "getprop.txt": []byte("x")}, zipOptions{Store: store})
		a, err := Open(ctx, writeFile(t, outer), acquire.AndroidQF, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := a.Open("bugreport.zip")
		_, inPlace := f.(io.ReaderAt)
		f.Close()
		if inPlace != store {
			t.Errorf("store=%v: entry offers ReaderAt=%v", store, inPlace)
		}
		n, err := OpenNested(ctx, a, "bugreport.zip", acquire.AndroidBugreport, Options{StripSingleTop: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := fstest.TestFS(n, "main_entry.txt", "bugreport.txt"); err != nil {
			t.Error(err)
		}
		if n.Depth() != 1 || n.Kind() != acquire.AndroidBugreport || n.Prefix() != "bugreport-x" || !strings.HasSuffix(n.Root(), ".zip!/bugreport.zip") {
			t.Errorf("depth %d kind %s prefix %q root %q", n.Depth(), n.Kind(), n.Prefix(), n.Root())
		}
		if b, err := fs.ReadFile(n, "bugreport.txt"); err != nil || string(b) != "== dumpstate" {
			t.Errorf("read: %q %v", b, err)
		}
		if n.BytesRead() != a.BytesRead() {
			t.Error("nested zip does not share its parent's byte count")
		}
		n.Close()
		a.Close()
	}
	// Nested in a folder (read in place) and not a zip.
	dir := t.TempDir()
	writeFolder(t, dir, map[string][]byte{"x/inner.zip": inner, "notzip": []byte("text")})
	a, err := Open(ctx, dir, acquire.AndroidQF, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	n, err := OpenNested(ctx, a, "x/inner.zip", acquire.AndroidBugreport, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(n, "bugreport-x/main_entry.txt"); err != nil {
		t.Error(err)
	}
	n.Close()
	if _, err := OpenNested(ctx, a, "notzip", acquire.AndroidBugreport, Options{}); !errors.Is(err, ErrNotArchive) {
		t.Errorf("not a zip: %v", err)
	}
}

func TestNestedDepth(t *testing.T) {
	z := zipOf(map[string][]byte{"leaf.txt": []byte("leaf")}, zipOptions{})
	for range 4 {
		z = zipOf(map[string][]byte{"n.zip": z}, zipOptions{})
	}
	top := openBytes(t, z, Options{})
	defer top.Close()
	cur := top
	for d := 1; d <= 4; d++ {
		n, err := OpenNested(ctx, cur, "n.zip", acquire.AndroidIntrusionLogs, Options{})
		if d <= DefaultMaxDepth {
			if err != nil || n.Depth() != d {
				t.Fatalf("depth %d: %v", d, err)
			}
			defer n.Close()
			cur = n
			continue
		}
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("depth %d opened: %v", d, err)
		}
		if len(problemKinds(cur)["limit_reached"]) != 1 {
			t.Errorf("problems %v", cur.Problems())
		}
	}
	// A compressed nested zip larger than MaxNestedBytes is not read into memory.
	big := zipOf(map[string][]byte{"n.zip": zipOf(map[string][]byte{"a": bytes.Repeat([]byte{1, 2, 3}, 1000)}, zipOptions{Store: true})}, zipOptions{})
	a := openBytes(t, big, Options{})
	defer a.Close()
	if _, err := OpenNested(ctx, a, "n.zip", acquire.AndroidQF, Options{MaxNestedBytes: 100}); !errors.Is(err, ErrLimit) {
		t.Errorf("MaxNestedBytes: %v", err)
	}
}

// readerAtOnly hides every method but ReadAt (as age.DecryptReaderAt's result), and
// records Close.
type readerAtOnly struct {
	r      io.ReaderAt
	closed *bool
}

func (r readerAtOnly) ReadAt(p []byte, off int64) (int, error) { return r.r.ReadAt(p, off) }
func (r readerAtOnly) Close() error                            { *r.closed = true; return nil }

func TestReaderAt(t *testing.T) {
	data := zipOf(sample(), zipOptions{Top: "androidqf_x"})
	closed := false
	a, err := OpenZipReaderAt(ctx, readerAtOnly{bytes.NewReader(data), &closed}, int64(len(data)), acquire.AndroidQF, "/evidence/qf.zip.age", Options{StripSingleTop: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Root() != "/evidence/qf.zip.age" || a.Format() != FormatZip {
		t.Errorf("root %q format %q", a.Root(), a.Format())
	}
	if err := fstest.TestFS(a, names(sample())...); err != nil {
		t.Error(err)
	}
	a.Close()
	if !closed {
		t.Error("Close did not close the ReaderAt")
	}
	if _, err := a.Open("getprop.txt"); err == nil {
		t.Error("open after Close")
	}
}

func digest(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		s := fi.Mode().String() + fi.ModTime().String()
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			s += string(sha256.New().Sum(b))
		}
		out[p] = s
		return nil
	})
	return out
}

func TestEvidenceUnchanged(t *testing.T) {
	dir := t.TempDir()
	writeFolder(t, filepath.Join(dir, "folder"), sample())
	os.WriteFile(filepath.Join(dir, "qf.zip"), zipOf(sample(), zipOptions{Store: true}), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(dir, "folder", "link"))
	before := digest(t, dir)
	for _, p := range []string{filepath.Join(dir, "folder"), filepath.Join(dir, "qf.zip")} {
		a, err := Open(ctx, p, acquire.AndroidQF, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := contents(t, a)
		if len(got) != len(sample()) {
			t.Errorf("%s: %d files", p, len(got))
		}
		a.Close()
	}
	if d := cmp.Diff(before, digest(t, dir)); d != "" {
		t.Errorf("evidence changed:\n%s", d)
	}
}

func TestFolderLinks(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644)
	dir := t.TempDir()
	writeFolder(t, dir, map[string][]byte{"a/file": []byte("in")})
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "a", "link"))
	os.Symlink(outside, filepath.Join(dir, "linkdir"))
	os.WriteFile(filepath.Join(dir, "bad\xffname"), []byte("x"), 0o644)
	a, err := Open(ctx, dir, acquire.AndroidQF, Options{StripSingleTop: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Prefix() != "" {
		t.Errorf("prefix %q with a link beside the top folder", a.Prefix())
	}
	for _, n := range []string{"a/link", "linkdir"} {
		if _, err := a.Open(n); !errors.Is(err, ErrSymlink) {
			t.Errorf("open %s: %v", n, err)
		}
	}
	if _, err := a.Open("linkdir/secret"); err == nil {
		t.Error("a file behind a linked folder was opened")
	}
	if _, err := a.LocalPath("linkdir/secret"); err == nil {
		t.Error("LocalPath behind a linked folder")
	}
	_, listing := contents(t, a)
	want := []string{"a d---------", "a/file ----------", "a/link L---------", "linkdir L---------"}
	if d := cmp.Diff(want, listing); d != "" {
		t.Errorf("listing (-want +got):\n%s", d)
	}
	if k := problemKinds(a)["unsafe_path"]; len(k) != 1 {
		t.Errorf("problems %v", a.Problems())
	}
	p, err := a.LocalPath("a/file")
	if err != nil || p != filepath.Join(dir, "a", "file") {
		t.Errorf("LocalPath %q %v", p, err)
	}
}

func TestStripSingleTop(t *testing.T) {
	files := map[string][]byte{"top/x": []byte("1"), "__MACOSX/top/._x": []byte("mac")}
	a := openBytes(t, zipOf(files, zipOptions{}), Options{StripSingleTop: true})
	defer a.Close()
	if a.Prefix() != "top" || len(problemKinds(a)["outside_root"]) != 1 {
		t.Errorf("prefix %q problems %v", a.Prefix(), a.Problems())
	}
	if b, err := fs.ReadFile(a, "x"); err != nil || string(b) != "1" {
		t.Errorf("x: %q %v", b, err)
	}
	// Two top entries: no prefix.
	b := openBytes(t, zipOf(map[string][]byte{"top/x": nil, "y": nil}, zipOptions{}), Options{StripSingleTop: true})
	defer b.Close()
	if b.Prefix() != "" {
		t.Errorf("prefix %q", b.Prefix())
	}
}

func TestWalkSkip(t *testing.T) {
	a := openBytes(t, zipOf(sample(), zipOptions{}), Options{})
	defer a.Close()
	var got []string
	a.Walk(func(name string, fi fs.FileInfo) error {
		got = append(got, name)
		switch name {
		case "apks":
			return fs.SkipDir
		case "logs/dumpsys.txt":
			return fs.SkipDir // the rest of logs
		case "packages.json":
			return fs.SkipAll
		}
		return nil
	})
	var want []string
	fs.WalkDir(a, ".", func(name string, d fs.DirEntry, err error) error {
		if name == "." {
			return nil
		}
		want = append(want, name)
		switch name {
		case "apks":
			return fs.SkipDir
		case "logs/dumpsys.txt":
			return fs.SkipDir
		case "packages.json":
			return fs.SkipAll
		}
		return nil
	})
	if d := cmp.Diff(want, got); d != "" || len(got) == 0 {
		t.Errorf("Walk vs fs.WalkDir (-want +got):\n%s", d)
	}
}
