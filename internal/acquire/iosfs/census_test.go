package iosfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// walkNames walks d, returning fs.SkipDir for the folders and files skip names.
func walkNames(t *testing.T, d *Dump, skip map[string]bool) []string {
	t.Helper()
	var names []string
	err := d.Walk(func(name string, fi fs.FileInfo) error {
		names = append(names, name)
		if skip[name] {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestCensus checks that a folder is listed once, by the first walk, and that every
// later walk and name search is served from that listing with fs.WalkDir's order and
// SkipDir semantics.
func TestCensus(t *testing.T) {
	dir := t.TempDir()
	tree := files(t)
	tree["private/var/mobile/Library/Caches/com.apple.Safari/Cache.db"] = "cache 1"
	tree["private/var/mobile/Containers/Data/Application/"+appUUID+"/Library/Caches/net.whatsapp/Cache.db"] = "cache 2"
	writeFolder(t, dir, tree)
	if err := os.Mkdir(filepath.Join(dir, "private/var/mobile/Cache.db"), 0o755); err != nil { // a folder, not a file
		t.Fatal(err)
	}
	before := hashTree(t, dir)
	d, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	var want []string
	err = fs.WalkDir(os.DirFS(dir), ".", func(name string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != "." {
			want = append(want, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, walkNames(t, d, nil)); diff != "" {
		t.Fatalf("first walk (-fs.WalkDir +census):\n%s", diff)
	}

	if after := hashTree(t, dir); after != before {
		t.Error("the evidence changed")
	}

	// What changes on disk after the census is not seen: the folder was listed once.
	writeFolder(t, dir, map[string]string{"private/var/db/late/Cache.db": "late"})
	if got := walkNames(t, d, nil); !slices.Equal(got, want) {
		t.Errorf("second walk differs from the first: %d vs %d entries", len(got), len(want))
	}
	found, err := d.FilesNamed("Cache.db", "sms.db", "absent")
	if err != nil {
		t.Fatal(err)
	}
	wantFound := map[string][]string{
		"Cache.db": {
			"private/var/mobile/Containers/Data/Application/" + appUUID + "/Library/Caches/net.whatsapp/Cache.db",
			"private/var/mobile/Library/Caches/com.apple.Safari/Cache.db",
		},
		"sms.db": {"private/var/mobile/Library/SMS/sms.db"},
	}
	if diff := cmp.Diff(wantFound, found); diff != "" {
		t.Errorf("FilesNamed (-want +got):\n%s", diff)
	}

	// SkipDir on a folder skips what it holds; on a file, the rest of its folder.
	got := walkNames(t, d, map[string]bool{"private/var/mobile/Containers": true, "private/var/mobile/Library/Caches/com.apple.Safari/Cache.db": true})
	for _, n := range got {
		if strings.HasPrefix(n, "private/var/mobile/Containers/") {
			t.Errorf("walked into a skipped folder: %s", n)
		}
	}
	if !slices.Contains(got, "private/var/mobile/Library/SMS/sms.db") || !slices.Contains(got, "private/var/mobile/Containers") {
		t.Errorf("skipped too much: %q", got)
	}
	var viaWalkDir []string
	err = fs.WalkDir(os.DirFS(dir), ".", func(name string, _ fs.DirEntry, err error) error {
		if name == "." || strings.HasPrefix(name, "private/var/db/late") {
			return nil
		}
		viaWalkDir = append(viaWalkDir, name)
		if name == "private/var/mobile/Containers" || name == "private/var/mobile/Library/Caches/com.apple.Safari/Cache.db" {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(viaWalkDir, got); diff != "" {
		t.Errorf("SkipDir differs from fs.WalkDir (-WalkDir +census):\n%s", diff)
	}
}

// TestCensusMaxEntries checks that the census of a folder stops at Options.MaxEntries
// with a problem, and that a cancelled context stops it.
func TestCensusMaxEntries(t *testing.T) {
	dir := t.TempDir()
	tree := files(t)
	for i := range 200 {
		tree[fmt.Sprintf("private/var/tmp/f%03d", i)] = "x"
	}
	writeFolder(t, dir, tree)
	d, err := Open(context.Background(), dir, Options{MaxEntries: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Truncated() {
		t.Error("truncated before any walk")
	}
	if n := len(walkNames(t, d, nil)); n != 50 {
		t.Errorf("%d entries walked", n)
	}
	if !d.Truncated() || !hasProblem(d, "limit_reached") {
		t.Errorf("truncated %v problems %v", d.Truncated(), d.Problems())
	}

	ctx, cancel := context.WithCancel(context.Background())
	d2, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	cancel()
	if err := d2.Walk(func(string, fs.FileInfo) error { return nil }); err == nil {
		t.Error("walk after cancel succeeded")
	}
}

// TestTarGzWantNames checks that a .tar.gz keeps files by base name wherever they are.
func TestTarGzWantNames(t *testing.T) {
	p := writeFile(t, gz(t, tarOf(t, "", files(t), nil)), "dump.tar.gz")
	d, err := Open(context.Background(), p, Options{WantNames: []string{"History.db"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	found, err := d.FilesNamed("History.db")
	if err != nil || len(found["History.db"]) != 1 {
		t.Fatalf("FilesNamed = %v, %v", found, err)
	}
	if got := read(t, d, found["History.db"][0]); got != "app history" {
		t.Errorf("History.db = %q", got)
	}
	if _, err := d.Open("private/var/mobile/Library/SMS/sms.db"); err == nil {
		t.Error("a file neither wanted nor named was kept")
	}
}

// TestTarGzSpill checks that a .tar.gz writes the wanted files too large for memory to a
// private folder, serves them from there, and removes the folder on Close; and that a
// full spill budget is reported.
func TestTarGzSpill(t *testing.T) {
	fsys := files(t)
	big := strings.Repeat("s", 5000)
	fsys["private/var/mobile/Library/SMS/sms.db"] = big
	p := writeFile(t, gz(t, tarOf(t, "", fsys, nil)), "dump.tgz")
	spill := t.TempDir()
	d, err := Open(context.Background(), p, Options{Want: []string{"HomeDomain/Library/SMS/sms.db", "RootDomain/Library/Caches/locationd/clients.plist"},
		MaxFileInMemory: 1000, SpillDir: spill})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, d, "HomeDomain/Library/SMS/sms.db"); got != big {
		t.Errorf("spilled file: %d bytes", len(got))
	}
	if got := read(t, d, "RootDomain/Library/Caches/locationd/clients.plist"); got != "clients" {
		t.Errorf("in-memory file = %q", got)
	}
	if es, _ := os.ReadDir(spill); len(es) != 1 {
		t.Errorf("spill folder holds %d entries, want one private folder", len(es))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(spill); len(es) != 0 {
		t.Errorf("spill folder not removed on Close: %v", es)
	}

	d, err = Open(context.Background(), p, Options{Want: []string{"HomeDomain/Library/SMS/sms.db"}, MaxFileInMemory: 1000, SpillDir: spill, MaxSpillBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Open("HomeDomain/Library/SMS/sms.db"); !errors.Is(err, ErrNotRetained) || !strings.Contains(err.Error(), "SpillDir") {
		t.Errorf("open beyond the spill budget: %v", err)
	}
	if !hasProblem(d, "limit_reached") {
		t.Errorf("problems %v", d.Problems())
	}
}
