package archive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
)

// expand opens data as a zip and expands it.
func expand(t testing.TB, data []byte, opt Options) *Expanded {
	t.Helper()
	e, err := Expand(ctx, openBytes(t, data, opt), opt)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// expContents walks e and returns the walk's listing and every regular file's content.
func expContents(t *testing.T, e *Expanded) ([]string, map[string]string) {
	t.Helper()
	var listing []string
	files := map[string]string{}
	err := e.Walk(func(name string, fi fs.FileInfo) error {
		listing = append(listing, name+" "+fi.Mode().Type().String())
		if fi.Mode().IsRegular() {
			data, err := fs.ReadFile(e, name)
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
	return listing, files
}

func expProblems(e *Expanded) map[string][]string {
	out := map[string][]string{}
	for _, p := range e.Problems() {
		out[p.Kind] = append(out[p.Kind], p.Name)
	}
	return out
}

// logsOfLogs is an intrusion-logs export: a zip of zips, two levels deep.
func logsOfLogs(store bool) (outer, a, b []byte) {
	b = zipOf(map[string][]byte{"y.log": []byte("deep")}, zipOptions{Store: store})
	a = zipOf(map[string][]byte{"x.log": []byte("inner"), "more/b.zip": b}, zipOptions{Store: store})
	outer = zipOf(map[string][]byte{
		"export/a.zip":   a,
		"top.txt":        []byte("top"),
		"notzip.zip":     []byte("this is text, whatever its name says"),
		"empty.bin":      []byte("PK\x05\x06" + string(make([]byte, 18))), // an empty zip
		"export/z.txt":   []byte("z"),
		"export/a.zip.1": []byte("after"),
	}, zipOptions{Store: store})
	return outer, a, b
}

func TestExpandZipOfZips(t *testing.T) {
	for _, store := range []bool{false, true} {
		outer, a, b := logsOfLogs(store)
		e := expand(t, outer, Options{})
		listing, files := expContents(t, e)
		wantListing := []string{
			"empty.bin ----------",
			"empty.bin! d---------",
			"export d---------",
			"export/a.zip ----------",
			"export/a.zip! d---------",
			"export/a.zip!/more d---------",
			"export/a.zip!/more/b.zip ----------",
			"export/a.zip!/more/b.zip! d---------",
			"export/a.zip!/more/b.zip!/y.log ----------",
			"export/a.zip!/x.log ----------",
			"export/a.zip.1 ----------",
			"export/z.txt ----------",
			"notzip.zip ----------",
			"top.txt ----------",
		}
		if d := cmp.Diff(wantListing, listing); d != "" {
			t.Errorf("store=%v walk (-want +got):\n%s", store, d)
		}
		wantFiles := map[string]string{
			"empty.bin":                       "PK\x05\x06" + string(make([]byte, 18)),
			"export/a.zip":                    string(a),
			"export/a.zip!/more/b.zip":        string(b),
			"export/a.zip!/more/b.zip!/y.log": "deep",
			"export/a.zip!/x.log":             "inner",
			"export/a.zip.1":                  "after",
			"export/z.txt":                    "z",
			"notzip.zip":                      "this is text, whatever its name says",
			"top.txt":                         "top",
		}
		if d := cmp.Diff(wantFiles, files); d != "" {
			t.Errorf("store=%v files (-want +got):\n%s", store, d)
		}
		if d := cmp.Diff([]string{"empty.bin", "export/a.zip", "export/a.zip!/more/b.zip"}, e.Nested()); d != "" {
			t.Errorf("nested (-want +got):\n%s", d)
		}
		if err := fstest.TestFS(e, slices.Sorted(func(yield func(string) bool) {
			for n := range wantFiles {
				if !yield(n) {
					return
				}
			}
		})...); err != nil {
			t.Error(err)
		}
		if e.Kind() != acquire.AndroidIntrusionLogs || e.Root() != "mem.zip" || e.Outer().Root() != "mem.zip" {
			t.Errorf("kind %s root %q", e.Kind(), e.Root())
		}
		fi, err := e.Stat("export/a.zip!")
		if err != nil || !fi.IsDir() || fi.Name() != "a.zip!" {
			t.Errorf("stat virtual folder: %v %v", fi, err)
		}
		if _, err := e.Stat("notzip.zip!"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a text file has a virtual folder: %v", err)
		}
		if _, err := e.LocalPath("top.txt"); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("localpath in a zip: %v", err)
		}
		if len(e.Problems()) != 0 {
			t.Errorf("problems %v", e.Problems())
		}
		if e.BytesRead() == 0 || e.BytesRead() != e.Outer().BytesRead() {
			t.Errorf("bytes read %d, outer %d", e.BytesRead(), e.Outer().BytesRead())
		}
		if err := e.Close(); err != nil {
			t.Error(err)
		}
		if _, err := e.Open("export/a.zip!/x.log"); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("open after close: %v", err)
		}
		if _, err := e.Stat("export/a.zip!"); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("stat after close: %v", err)
		}
	}
}

func TestExpandFolder(t *testing.T) {
	inner := zipOf(map[string][]byte{"security.log": []byte("event")}, zipOptions{Dirs: true, Top: "t"})
	dir := t.TempDir()
	writeFolder(t, dir, map[string][]byte{
		"logs.zip":      inner,
		"sub/blob":      inner, // recognised by content
		"sub/plain.txt": []byte("plain"),
	})
	fsys, err := Open(ctx, dir, acquire.AndroidIntrusionLogs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Expand(ctx, fsys, Options{StripSingleTop: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, files := expContents(t, e)
	want := map[string]string{
		"logs.zip":                 string(inner),
		"logs.zip!/t/security.log": "event", // nested names are kept whole
		"sub/blob":                 string(inner),
		"sub/blob!/t/security.log": "event",
		"sub/plain.txt":            "plain",
	}
	if d := cmp.Diff(want, files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	if err := fstest.TestFS(e, "logs.zip!/t/security.log", "sub/blob!/t/security.log", "sub/plain.txt"); err != nil {
		t.Error(err)
	}
	if p, err := e.LocalPath("sub/plain.txt"); err != nil || !strings.HasSuffix(p, "plain.txt") {
		t.Errorf("local path %q %v", p, err)
	}
	if _, err := e.LocalPath("logs.zip!/t/security.log"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("local path in a nested zip: %v", err)
	}
	if _, err := e.LocalPath("logs.zip!"); err == nil {
		t.Error("local path of a virtual folder")
	}
}

func TestExpandDepth(t *testing.T) {
	z := zipOf(map[string][]byte{"leaf.txt": []byte("leaf")}, zipOptions{})
	for range 3 {
		z = zipOf(map[string][]byte{"n.zip": z}, zipOptions{})
	}
	e := expand(t, z, Options{MaxDepth: 2})
	defer e.Close()
	if d := cmp.Diff([]string{"n.zip", "n.zip!/n.zip"}, e.Nested()); d != "" {
		t.Errorf("nested (-want +got):\n%s", d)
	}
	if got := expProblems(e)["limit_reached"]; !slices.Equal(got, []string{"n.zip!/n.zip!/n.zip"}) {
		t.Errorf("problems %v", e.Problems())
	}
	if _, err := e.Stat("n.zip!/n.zip!/n.zip"); err != nil {
		t.Errorf("the too-deep zip is not served as a file: %v", err)
	}
	if _, err := e.Stat("n.zip!/n.zip!/n.zip!/leaf.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("too deep: %v", err)
	}
	// Default depth: all three levels.
	e3 := expand(t, z, Options{})
	defer e3.Close()
	if b, err := fs.ReadFile(e3, "n.zip!/n.zip!/n.zip!/leaf.txt"); err != nil || string(b) != "leaf" {
		t.Errorf("depth 3: %q %v", b, err)
	}
}

func TestExpandCorrupt(t *testing.T) {
	bad := []byte("PK\x03\x04 this starts like a zip but is not one at all")
	badEntry := hostileZip(t, []rawEntry{{name: "x.log", raw: true, method: 0, data: "abc", crc: 1, csize: 3, usize: 3}})
	outer := zipOf(map[string][]byte{"bad.zip": bad, "crc.zip": badEntry, "ok.txt": []byte("ok")}, zipOptions{})
	e := expand(t, outer, Options{})
	defer e.Close()
	if b, err := fs.ReadFile(e, "bad.zip"); err != nil || !bytes.Equal(b, bad) {
		t.Errorf("the corrupt zip is not served as a file: %v", err)
	}
	if _, err := e.Stat("bad.zip!"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("corrupt zip expanded: %v", err)
	}
	if _, err := fs.ReadFile(e, "crc.zip!/x.log"); err == nil {
		t.Error("bad CRC-32 read")
	}
	p := expProblems(e)
	if !slices.Equal(p["unreadable_nested_zip"], []string{"bad.zip"}) || !slices.Equal(p["corrupt_entry"], []string{"crc.zip!/x.log"}) {
		t.Errorf("problems %v", e.Problems())
	}
}

func TestExpandCollision(t *testing.T) {
	inner := zipOf(map[string][]byte{"real.log": []byte("nested")}, zipOptions{})
	outer := zipOf(map[string][]byte{
		"a.zip":           inner,
		"a.zip!/fake.log": []byte("planted to hide the nested zip"),
		"d/b.zip":         inner,
		"d/b.zip!":        []byte("a file named like the virtual folder"),
		"c.txt!/x":        []byte("c.txt is no zip: an ordinary name"),
		"c.txt":           []byte("text"),
	}, zipOptions{Dirs: true})
	e := expand(t, outer, Options{})
	defer e.Close()
	listing, files := expContents(t, e)
	want := map[string]string{
		"a.zip":             string(inner),
		"a.zip!/real.log":   "nested",
		"c.txt":             "text",
		"c.txt!/x":          "c.txt is no zip: an ordinary name",
		"d/b.zip":           string(inner),
		"d/b.zip!/real.log": "nested",
	}
	if d := cmp.Diff(want, files); d != "" {
		t.Errorf("files (-want +got):\n%s\nlisting %v", d, listing)
	}
	if _, err := e.Stat("a.zip!/fake.log"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("shadowing entry served: %v", err)
	}
	if got := expProblems(e)["name_collision"]; !slices.Equal(got, []string{"a.zip!", "d/b.zip!"}) {
		t.Errorf("problems %v", e.Problems())
	}
	des, err := e.ReadDir("d")
	if err != nil || len(des) != 2 || !des[1].IsDir() || des[1].Name() != "b.zip!" {
		t.Errorf("readdir %v %v", des, err)
	}
	if err := fstest.TestFS(e, "a.zip!/real.log", "d/b.zip!/real.log", "c.txt!/x"); err != nil {
		t.Error(err)
	}
}

func TestExpandWalkSkip(t *testing.T) {
	outer, _, _ := logsOfLogs(false)
	e := expand(t, outer, Options{})
	defer e.Close()
	walk := func(stopAt string, ret error) []string {
		var got []string
		if err := e.Walk(func(name string, fi fs.FileInfo) error {
			got = append(got, name)
			if name == stopAt {
				return ret
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := walk("export/a.zip!", fs.SkipDir); slices.Contains(got, "export/a.zip!/x.log") || !slices.Contains(got, "export/z.txt") {
		t.Errorf("SkipDir on a virtual folder: %v", got)
	}
	if got := walk("export/a.zip!/more/b.zip!/y.log", fs.SkipAll); got[len(got)-1] != "export/a.zip!/more/b.zip!/y.log" {
		t.Errorf("SkipAll in a nested zip: %v", got)
	}
	if got := walk("export/a.zip!/more", fs.SkipDir); slices.Contains(got, "export/a.zip!/more/b.zip") || !slices.Contains(got, "export/a.zip!/x.log") {
		t.Errorf("SkipDir in a nested zip: %v", got)
	}
	boom := errors.New("boom")
	if err := e.Walk(func(name string, fi fs.FileInfo) error {
		if name == "export/a.zip!/x.log" {
			return boom
		}
		return nil
	}); err != boom {
		t.Errorf("error from fn: %v", err)
	}
	// WalkFiles goes through Walker.
	var regular []string
	acquire.WalkFiles(e, func(name, base string) error { regular = append(regular, name); return nil })
	if !slices.Contains(regular, "export/a.zip!/more/b.zip!/y.log") || slices.Contains(regular, "export/a.zip!") {
		t.Errorf("WalkFiles %v", regular)
	}
}

func TestExpandLimits(t *testing.T) {
	inner := zipOf(map[string][]byte{"a.log": bytes.Repeat([]byte("log line\n"), 100)}, zipOptions{Store: true})
	outer := zipOf(map[string][]byte{"1.zip": inner, "2.zip": inner, "3.zip": inner}, zipOptions{})
	// Compressed nested zips share MaxNestedBytes: two fit, the third does not.
	e := expand(t, outer, Options{MaxNestedBytes: int64(2*len(inner) + 10)})
	if d := cmp.Diff([]string{"1.zip", "2.zip"}, e.Nested()); d != "" {
		t.Errorf("MaxNestedBytes (-want +got):\n%s", d)
	}
	if got := expProblems(e)["limit_reached"]; !slices.Equal(got, []string{"3.zip"}) {
		t.Errorf("problems %v", e.Problems())
	}
	e.Close()
	// Entries are counted over the expansion: 1.zip, its a.log, then 2.zip is the
	// third: none left for it.
	e = expand(t, outer, Options{MaxEntries: 3})
	if d := cmp.Diff([]string{"1.zip"}, e.Nested()); d != "" {
		t.Errorf("MaxEntries (-want +got):\n%s", d)
	}
	if got := expProblems(e)["limit_reached"]; len(got) != 1 {
		t.Errorf("problems %v", e.Problems())
	}
	e.Close()
	// The outer byte count is shared: reading nested files stops at MaxTotalBytes.
	e = expand(t, outer, Options{MaxTotalBytes: 1500})
	defer e.Close()
	var failed bool
	for _, n := range []string{"1.zip!/a.log", "2.zip!/a.log", "3.zip!/a.log"} {
		if _, err := fs.ReadFile(e, n); errors.Is(err, ErrLimit) {
			failed = true
		}
	}
	if !failed || e.BytesRead() > 1500 {
		t.Errorf("MaxTotalBytes: failed %v, %d bytes read", failed, e.BytesRead())
	}
}

func TestExpandCanceled(t *testing.T) {
	outer, _, _ := logsOfLogs(false)
	a := openBytes(t, outer, Options{})
	defer a.Close()
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Expand(c, a, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

// FuzzExpand expands arbitrary bytes opened as a zip, walks the result and reads and
// lists everything, within small limits: nothing may panic or exceed them, and the
// walk, Stat and ReadDir must agree.
func FuzzExpand(f *testing.F) {
	outer, _, _ := logsOfLogs(false)
	f.Add(outer)
	outer, _, _ = logsOfLogs(true)
	f.Add(outer)
	inner := zipOf(map[string][]byte{"x": []byte("x")}, zipOptions{Store: true})
	f.Add(zipOf(map[string][]byte{"a.zip": inner, "a.zip!/x": []byte("y"), "b": []byte("PK\x03\x04garbagegarbagegarbage")}, zipOptions{Store: true, Dirs: true}))
	opt := Options{MaxEntries: 200, MaxFileBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxNestedBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := OpenZipReaderAt(ctx, bytes.NewReader(data), int64(len(data)), acquire.AndroidIntrusionLogs, "fuzz", opt)
		if err != nil {
			return
		}
		e, err := Expand(ctx, a, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		n := 0
		e.Walk(func(name string, fi fs.FileInfo) error {
			n++
			if !fs.ValidPath(name) {
				t.Fatalf("invalid name %q", name)
			}
			st, err := e.Stat(name)
			if err != nil {
				t.Fatalf("walked %q but stat: %v", name, err)
			}
			if st.Mode().Type() != fi.Mode().Type() {
				t.Fatalf("%q: walk %v stat %v", name, fi.Mode(), st.Mode())
			}
			if fi.IsDir() {
				if _, err := e.ReadDir(name); err != nil {
					t.Fatalf("readdir %q: %v", name, err)
				}
			} else if f, err := e.Open(name); err == nil {
				io.Copy(io.Discard, f)
				f.Close()
			}
			return nil
		})
		if n > 4*opt.MaxEntries { // entries, implied folders and virtual folders
			t.Fatalf("%d entries walked", n)
		}
		if e.BytesRead() > opt.MaxTotalBytes {
			t.Fatalf("%d bytes read", e.BytesRead())
		}
		e.Problems()
	})
}
