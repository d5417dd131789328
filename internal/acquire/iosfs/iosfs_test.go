package iosfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/acquire"
)

const (
	appUUID    = "11111111-1111-1111-1111-111111111111"
	groupUUID  = "22222222-2222-2222-2222-222222222222"
	group2UUID = "33333333-3333-3333-3333-333333333333"
)

func metadata(t testing.TB, id string) string {
	data, err := plist.Marshal(map[string]any{"MCMMetadataIdentifier": id, "MCMMetadataContentClass": 2}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// files is a small dump: device paths → content.
func files(t testing.TB) map[string]string {
	app := "private/var/mobile/Containers/Data/Application/" + appUUID
	group := "private/var/mobile/Containers/Shared/AppGroup/" + groupUUID
	group2 := "private/var/mobile/Containers/Shared/AppGroup/" + group2UUID
	return map[string]string{
		"private/var/mobile/Library/SMS/sms.db":                   "sms",
		"private/var/root/Library/Caches/locationd/clients.plist": "clients",
		"private/var/db/diagnostics/shutdown.log":                 "shutdown",
		app + "/" + MetadataPlist:                                 metadata(t, "net.whatsapp.WhatsApp"),
		app + "/Library/Safari/History.db":                        "app history",
		group + "/" + MetadataPlist:                               metadata(t, "group.net.whatsapp.WhatsApp.shared"),
		group + "/ChatStorage.sqlite":                             "chats 1",
		group2 + "/" + MetadataPlist:                              metadata(t, "group.net.whatsapp.WhatsApp.shared"),
		group2 + "/ChatStorage.sqlite":                            "chats 2",
		"System/Library/CoreServices/SystemVersion.plist":         "version",
	}
}

func writeFolder(t *testing.T, dir string, fsys map[string]string) {
	for name, data := range fsys {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type tarEntry struct {
	hdr  tar.Header
	data string
}

func tarOf(t testing.TB, prefix string, fsys map[string]string, extra []tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(fsys))
	for n := range fsys {
		names = append(names, n)
	}
	sort.Strings(names)
	mt := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, n := range names {
		h := &tar.Header{Name: prefix + n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(fsys[n])), ModTime: mt, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, fsys[n])
	}
	for _, e := range extra {
		h := e.hdr
		h.Size = int64(len(e.data))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func hashTree(t *testing.T, dir string) string {
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := os.Lstat(p)
		fmt.Fprintf(h, "%s %v %d %v\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			h.Write(data)
		}
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

func read(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(data)
}

func glob(t *testing.T, fsys fs.FS, pat string) []string {
	t.Helper()
	m, err := fs.Glob(fsys, pat)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkNamespaces runs the checks every format must pass.
func checkNamespaces(t *testing.T, d *Dump) {
	t.Helper()
	if d.Kind() != acquire.IOSFilesystem {
		t.Errorf("Kind = %v", d.Kind())
	}
	for name, want := range map[string]string{
		"private/var/mobile/Library/SMS/sms.db":                                  "sms",
		"var/mobile/Library/SMS/sms.db":                                          "sms",
		"HomeDomain/Library/SMS/sms.db":                                          "sms",
		"RootDomain/Library/Caches/locationd/clients.plist":                      "clients",
		"AppDomain-net.whatsapp.WhatsApp/Library/Safari/History.db":              "app history",
		"AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite":   "chats 1",
		"AppDomainGroup-group.net.whatsapp.WhatsApp.shared~2/ChatStorage.sqlite": "chats 2",
	} {
		if got := read(t, d, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got, want := glob(t, d, "AppDomainGroup-*/ChatStorage.sqlite"), []string{
		"AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite",
		"AppDomainGroup-group.net.whatsapp.WhatsApp.shared~2/ChatStorage.sqlite",
	}; !slices.Equal(got, want) {
		t.Errorf("glob backup = %q", got)
	}
	if got := glob(t, d, "private/var/mobile/Containers/Shared/AppGroup/*/ChatStorage.sqlite"); len(got) != 2 {
		t.Errorf("glob device = %q", got)
	}
	if got, want := glob(t, d, "*/Library/Safari/History.db"), []string{"AppDomain-net.whatsapp.WhatsApp/Library/Safari/History.db"}; !slices.Equal(got, want) {
		t.Errorf("glob */Library/Safari/History.db = %q", got)
	}
	es, err := d.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	for _, e := range es {
		top = append(top, e.Name())
	}
	for _, want := range []string{"HomeDomain", "RootDomain", "DatabaseDomain", "AppDomain-net.whatsapp.WhatsApp", "private", "System"} {
		if !slices.Contains(top, want) {
			t.Errorf("ReadDir(.) = %q, lacks %s", top, want)
		}
	}
	if i := slices.Index(top, "var"); i >= 0 && es[i].Type() != fs.ModeSymlink {
		t.Errorf("ReadDir(.) lists the var alias: %v", es[i])
	}
	fi, err := d.Stat("HomeDomain")
	if err != nil || !fi.IsDir() || fi.Name() != "HomeDomain" {
		t.Errorf("Stat(HomeDomain) = %v, %v", fi, err)
	}
	if _, err := d.Stat("MediaDomain"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(MediaDomain) err = %v", err)
	}
	var walked []string
	if err := d.Walk(func(name string, fi fs.FileInfo) error {
		walked = append(walked, name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(walked, "private/var/mobile/Library/SMS/sms.db") || slices.ContainsFunc(walked, func(s string) bool { return strings.Contains(s, "Domain") }) {
		t.Errorf("Walk = %q", walked)
	}
	if !slices.IsSortedFunc(walked[:3], strings.Compare) {
		t.Errorf("Walk order %q", walked)
	}
}

func TestFolder(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "filesystem")
	writeFolder(t, dir, files(t))
	if err := os.Symlink("private/var", filepath.Join(dir, "var")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(dir, "private/var/mobile/Library/evil")); err != nil {
		t.Fatal(err)
	}
	before := hashTree(t, top)
	d, err := Open(context.Background(), top, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Prefix() != "filesystem" || d.Root() != dir || d.Format() != FormatFolder {
		t.Errorf("root %q prefix %q format %v", d.Root(), d.Prefix(), d.Format())
	}
	checkNamespaces(t, d)
	// Links are entries, never followed.
	fi, err := d.Stat("private/var/mobile/Library/evil")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Stat(evil) = %v, %v", fi, err)
	}
	if _, err := d.Open("private/var/mobile/Library/evil"); !errors.Is(err, ErrSymlink) {
		t.Errorf("Open(evil) err = %v", err)
	}
	if target, err := d.ReadLink("HomeDomain/Library/evil"); err != nil || target != "/" {
		t.Errorf("ReadLink = %q, %v", target, err)
	}
	for _, name := range []string{"private/var/mobile/Library/evil/etc/passwd", "HomeDomain/Library/evil/etc/passwd", "../etc/passwd", "/etc/passwd", "var"} {
		if f, err := d.Open(name); err == nil {
			f.Close()
			t.Errorf("Open(%q) succeeded", name)
		}
	}
	if p, err := d.LocalPath("HomeDomain/Library/SMS/sms.db"); err != nil || p != filepath.Join(dir, "private/var/mobile/Library/SMS/sms.db") {
		t.Errorf("LocalPath = %q, %v", p, err)
	}
	if after := hashTree(t, top); after != before {
		t.Error("the evidence changed")
	}
}

func TestFolderTestFS(t *testing.T) {
	dir := t.TempDir()
	writeFolder(t, dir, files(t))
	d, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := fstest.TestFS(d, "HomeDomain/Library/SMS/sms.db", "private/var/mobile/Library/SMS/sms.db", "AppDomainGroup-group.net.whatsapp.WhatsApp.shared~2/ChatStorage.sqlite"); err != nil {
		t.Fatal(err)
	}
}

func TestNotDump(t *testing.T) {
	dir := t.TempDir()
	writeFolder(t, dir, map[string]string{"a/b/c": "x"})
	if _, err := Open(context.Background(), dir, Options{}); !errors.Is(err, ErrNotDump) {
		t.Errorf("err = %v", err)
	}
	p := filepath.Join(dir, "x.zip")
	os.WriteFile(p, []byte("PK\x03\x04 not a tar"), 0o644)
	if _, err := Open(context.Background(), p, Options{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("err = %v", err)
	}
}

func hostile() []tarEntry {
	return []tarEntry{
		{tar.Header{Name: "../x", Typeflag: tar.TypeReg}, "escape"},
		{tar.Header{Name: "private/var/../../x", Typeflag: tar.TypeReg}, "escape"},
		{tar.Header{Name: "/etc/passwd", Typeflag: tar.TypeReg}, "root:x:0:0"},
		{tar.Header{Name: "var", Typeflag: tar.TypeSymlink, Linkname: "private/var"}, ""},
		{tar.Header{Name: "private/var/mobile/Library/evil", Typeflag: tar.TypeSymlink, Linkname: "/"}, ""},
		{tar.Header{Name: "private/var/mobile/Library/hard", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}, ""},
		{tar.Header{Name: "private/var/mobile/Library/dup", Typeflag: tar.TypeReg}, "first copy"},
		{tar.Header{Name: "./private/var/mobile/Library/dup", Typeflag: tar.TypeReg}, "second copy"},
	}
}

func writeFile(t *testing.T, data []byte, name string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o444); err != nil {
		t.Fatal(err)
	}
	return p
}

func hasProblem(d *Dump, kind string) bool {
	return slices.ContainsFunc(d.Problems(), func(p acquire.Problem) bool { return p.Kind == kind })
}

func checkHostile(t *testing.T, d *Dump) {
	t.Helper()
	for _, k := range []string{"unsafe_path", "duplicate_name", "hard_link", "links", "absolute_path"} {
		if !hasProblem(d, k) {
			t.Errorf("no problem %q in %v", k, d.Problems())
		}
	}
	if got := read(t, d, "HomeDomain/Library/dup"); got != "second copy" {
		t.Errorf("duplicate: %q", got)
	}
	if _, err := d.Open("HomeDomain/Library/evil"); !errors.Is(err, ErrSymlink) {
		t.Errorf("open symlink: %v", err)
	}
	if _, err := d.Stat("HomeDomain/Library/evil/etc"); err == nil {
		t.Error("a symlink was followed")
	}
	fi, err := d.Stat("private/var/mobile/Library/hard")
	if err != nil || fi.Mode()&fs.ModeIrregular == 0 || fi.Sys().(*TarEntry).Linkname != "/etc/passwd" {
		t.Errorf("hard link: %v %v", fi, err)
	}
	if _, err := d.Open("private/var/mobile/Library/hard"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("open hard link: %v", err)
	}
	if fi, err := d.Stat("var"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("var: %v %v", fi, err)
	}
	if _, err := d.Stat("x"); err == nil {
		t.Error("../x was indexed")
	}
}

func TestTar(t *testing.T) {
	data := tarOf(t, "", files(t), hostile())
	p := writeFile(t, data, "dump.bin")
	d, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Format() != FormatTar || d.Prefix() != "" || d.Root() != p {
		t.Errorf("format %v prefix %q root %q", d.Format(), d.Prefix(), d.Root())
	}
	checkNamespaces(t, d)
	checkHostile(t, d)
	// Random access through io.SectionReader.
	f, _ := d.Open("private/var/db/diagnostics/shutdown.log")
	b := make([]byte, 4)
	if n, err := f.(io.ReaderAt).ReadAt(b, 4); err != nil || string(b[:n]) != "down" {
		t.Errorf("ReadAt = %q, %v", b[:n], err)
	}
	f.Close()
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Error("the evidence changed")
	}
}

func TestTarTestFS(t *testing.T) {
	p := writeFile(t, tarOf(t, "./filesystem/", files(t), nil), "dump.tar")
	d, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Prefix() != "filesystem" {
		t.Errorf("prefix %q", d.Prefix())
	}
	if err := fstest.TestFS(d, "HomeDomain/Library/SMS/sms.db", "AppDomain-net.whatsapp.WhatsApp/Library/Safari/History.db"); err != nil {
		t.Fatal(err)
	}
}

func TestTarGz(t *testing.T) {
	data := gz(t, tarOf(t, "", files(t), hostile()))
	p := writeFile(t, data, "dump")
	want := []string{"HomeDomain/Library/SMS/sms.db", "RootDomain/Library/Caches/locationd/clients.plist",
		"AppDomainGroup-*/ChatStorage.sqlite", "*/Library/dup", "AppDomain-net.whatsapp.WhatsApp/Library/Safari/History.db", "private/var/db/diagnostics/shutdown*.log"}
	d, err := Open(context.Background(), p, Options{Want: want})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Format() != FormatTarGz {
		t.Errorf("format %v", d.Format())
	}
	checkNamespaces(t, d)
	checkHostile(t, d)
	fi, err := d.Stat("System/Library/CoreServices/SystemVersion.plist")
	if err != nil || fi.Size() != int64(len("version")) {
		t.Errorf("unwanted file not listed: %v %v", fi, err)
	}
	_, err = d.Open("System/Library/CoreServices/SystemVersion.plist")
	if !errors.Is(err, ErrNotRetained) || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "Options.Want") {
		t.Errorf("open unwanted: %v", err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Error("the evidence changed")
	}
}

func TestTarGzBudget(t *testing.T) {
	fsys := files(t)
	fsys["private/var/mobile/Library/SMS/sms.db"] = strings.Repeat("s", 3000)
	p := writeFile(t, gz(t, tarOf(t, "", fsys, nil)), "dump.tgz")
	d, err := Open(context.Background(), p, Options{Want: []string{"HomeDomain/**", "HomeDomain/Library/SMS/sms.db"}, MaxFileInMemory: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Open("HomeDomain/Library/SMS/sms.db"); !errors.Is(err, ErrNotRetained) || !strings.Contains(err.Error(), "per-file") {
		t.Errorf("err = %v", err)
	}
	// Container metadata are kept regardless of Want.
	if len(d.Domains()) < 3 {
		t.Errorf("domains %q", d.Domains())
	}
}

func TestMaxEntries(t *testing.T) {
	var extra []tarEntry
	for i := range 500 {
		extra = append(extra, tarEntry{tar.Header{Name: fmt.Sprintf("private/var/tmp/f%04d", i), Typeflag: tar.TypeReg}, "x"})
	}
	p := writeFile(t, tarOf(t, "", files(t), extra), "many.tar")
	d, err := Open(context.Background(), p, Options{MaxEntries: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Truncated() || !hasProblem(d, "limit_reached") {
		t.Errorf("truncated %v problems %v", d.Truncated(), d.Problems())
	}
	es, _ := d.ReadDir("private/var/tmp")
	if len(es) > 50 {
		t.Errorf("%d entries", len(es))
	}
}

func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "private/var/", Typeflag: tar.TypeDir, Mode: 0o755})
	const size = 256 << 20
	tw.WriteHeader(&tar.Header{Name: "private/var/bomb", Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
	zeros := make([]byte, 1<<20)
	for range size / len(zeros) {
		tw.Write(zeros)
	}
	tw.WriteHeader(&tar.Header{Name: "private/var/after", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	zw.Close()
	p := writeFile(t, buf.Bytes(), "bomb.tgz")
	d, err := Open(context.Background(), p, Options{MaxBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Truncated() || !hasProblem(d, "limit_reached") {
		t.Errorf("truncated %v problems %v", d.Truncated(), d.Problems())
	}
	if _, err := d.Stat("private/var/after"); err == nil {
		t.Error("indexed past the limit")
	}
	// The ratio guard alone stops it too.
	d2, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if !d2.Truncated() || !strings.Contains(fmt.Sprint(d2.Problems()), "MaxRatio") {
		t.Errorf("ratio: %v", d2.Problems())
	}
}

func TestCleanName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"./private/var/x", "private/var/x"},
		{"/private//var/./x/", "private/var/x"},
		{"../x", ""},
		{"a/../b", ""},
		{"a\x00b", ""},
		{"./", "."},
		{"//", "."},
	} {
		got, _, _ := cleanName(tc.in)
		if got != tc.want {
			t.Errorf("cleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFixedDomains(t *testing.T) {
	for _, dom := range fixedDomains {
		if _, ok := fixedDomainDir(dom); !ok || !IsBackupName(dom) {
			t.Errorf("%s has no device folder", dom)
		}
	}
}

func FuzzIndexTar(f *testing.F) {
	f.Add(tarOf(f, "", map[string]string{"private/var/a": "x"}, hostile()))
	f.Add(tarOf(f, "top/", files(f), nil))
	f.Add(gz(f, tarOf(f, "", map[string]string{"private/var/mobile/Library/SMS/sms.db": "x"}, nil)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, isGz := range []bool{false, true} {
			x, err := indexTar(context.Background(), bytes.NewReader(data), int64(len(data)), isGz,
				Options{MaxEntries: 1000, MaxBytes: 4 << 20, MaxInMemory: 1 << 20, Want: []string{"HomeDomain/**", "*/x"}})
			if err != nil {
				continue
			}
			x.ra = bytes.NewReader(data)
			for name, n := range x.nodes {
				if name != "." && !fs.ValidPath(name) {
					t.Fatalf("invalid name %q", name)
				}
				if name != "." {
					if p, ok := x.nodes[path.Dir(name)]; !ok || !p.mode.IsDir() {
						t.Fatalf("%q has no parent folder", name)
					}
				}
				if n.mode.IsRegular() {
					if f, err := x.open(name, x.info(name, n)); err == nil {
						io.Copy(io.Discard, f.(io.Reader))
					}
				}
			}
			_ = (&Dump{b: x}).Walk(func(string, fs.FileInfo) error { return nil })
		}
	})
}
