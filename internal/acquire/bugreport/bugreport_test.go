package bugreport

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/fixture"
)

// structuralSpec is a small dumpstate with the shape of a real one: priority dumps,
// properties, a service with '/' in its name, a service dumped twice.
func structuralSpec() fixture.DumpstateSpec {
	return fixture.DumpstateSpec{
		Properties: map[string]string{
			"persist.sys.timezone":            "Europe/Paris",
			"ro.build.version.security_patch": "2023-10-05",
			"ro.product.model":                "Pixel 8",
		},
		Sections: []fixture.DumpsysSection{
			{Service: "cpuinfo", Priority: "CRITICAL", Text: "Load: 7.2 / 6.9 / 6.8\nCPU usage from 5203ms to 0ms ago:\n"},
			{Service: "activity", Priority: "CRITICAL", Text: "ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n  mFocusedApp=null\n"},
			{Service: "meminfo", Priority: "HIGH", Text: "Total RAM: 7,612,228K (status normal)\n"},
			{Service: "accessibility", Text: "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\nUser state[\n     Bound services:{}\n     Enabled services:{}\n]\n"},
			{Service: "activity", Text: "ACTIVITY MANAGER SETTINGS (dumpsys activity settings)\n  max_cached_processes=32\n"},
			{Service: "adb", Text: "ADB MANAGER STATE (dumpsys adb):\n{\n  debugging_manager={\n    connected_to_adb=false\n  }\n}\n"},
			{Service: "android.hardware.power.IPower/default", Text: "HintSessionPreferredRate: 16666666\n"},
			{Service: "dbinfo", Text: "Applications Database Info:\n\n** Database info for pid 2161 [com.android.providers.contacts] **\n"},
			{Service: "package", Text: "Verifiers:\n  Required: com.android.vending (uid=10019)\n\nPackages:\n  Package [com.android.chrome] (6fd4b2c):\n    userId=10129\n"},
			{Service: "package", Text: "Packages:\n  Package [com.example.other] (1a2b3c4):\n"},
			{Service: "platform_compat", Text: "ChangeId(168419799; name=DOWNSCALED; disabled)\n"},
		},
	}
}

func open(t *testing.T, files fs.FS, opt Options) *Bugreport {
	t.Helper()
	b, err := New(files, "/evidence/bugreport.zip", opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func read(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(data)
}

func kinds(ps []acquire.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind)
	}
	return out
}

func TestFixtureBugreport(t *testing.T) {
	spec := fixture.BugreportSpec{
		Dumpstate:  structuralSpec(),
		Tombstones: [][]byte{[]byte("*** *** *** *** ***\nBuild fingerprint: 'x'\n")},
		Extra:      map[string][]byte{"FS/data/anr/anr_2024-03-14-09-58-12-001": []byte("----- pid 1234 at 2024-03-14 09:58:12 -----\n")},
	}
	b := open(t, fixture.BugreportFiles(spec), Options{})
	if b.Kind() != acquire.AndroidBugreport || b.Root() != "/evidence/bugreport.zip" {
		t.Errorf("kind %q root %q", b.Kind(), b.Root())
	}
	for _, s := range spec.Dumpstate.Sections {
		if s.Service == "package" || s.Service == "activity" && s.Priority == "" {
			continue // checked below
		}
		name := DumpsysName(s.Service)
		if s.Priority != "" {
			name = SectionsDir + "/dumpsys-" + strings.ToLower(s.Priority) + "/" + EscapeName(s.Service)
		}
		if got := read(t, b, name); got != s.Text {
			t.Errorf("%s = %q, want %q", name, got, s.Text)
		}
	}
	if got := read(t, b, "@sections/dumpsys/activity"); got != spec.Dumpstate.Sections[4].Text {
		t.Errorf("activity: %q", got)
	}
	if got := read(t, b, "@sections/dumpsys/package"); got != spec.Dumpstate.Sections[8].Text {
		t.Errorf("package: %q", got)
	}
	if got := read(t, b, "@sections/dumpsys/package~2"); got != spec.Dumpstate.Sections[9].Text {
		t.Errorf("package~2: %q", got)
	}
	if got := read(t, b, "@sections/dumpsys/android.hardware.power.IPower%2Fdefault"); got != "HintSessionPreferredRate: 16666666\n" {
		t.Errorf("IPower: %q", got)
	}
	wantProps := "[persist.sys.timezone]: [Europe/Paris]\n[ro.build.version.security_patch]: [2023-10-05]\n[ro.product.model]: [Pixel 8]\n"
	if got := read(t, b, "@sections/system_properties"); got != wantProps {
		t.Errorf("system_properties: %q", got)
	}
	header := read(t, b, "@sections/dumpstate_header")
	if !strings.HasPrefix(header, "=====") || !strings.Contains(header, "\n== dumpstate: 2026-03-14 09:26:53\n") ||
		!strings.Contains(header, "\nUptime: up 2 days") || strings.Contains(header, "------") {
		t.Errorf("dumpstate_header: %q", header)
	}
	// The zip's own entries are served under their names.
	name := fixture.BugreportDumpstateName(spec)
	if got := read(t, b, "main_entry.txt"); got != name {
		t.Errorf("main_entry.txt: %q", got)
	}
	if got := read(t, b, "FS/data/tombstones/tombstone_00"); !strings.HasPrefix(got, "*** ***") {
		t.Errorf("tombstone: %q", got)
	}
	if !bytes.Equal(b.Dumpstate(), fixture.DumpstateText(spec.Dumpstate)) {
		t.Error("Dumpstate() is not the dumpstate text")
	}

	want := Facts{
		DumpstateFile: name, FoundBy: FoundByMainEntry, DumpstateBytes: int64(len(fixture.DumpstateText(spec.Dumpstate))),
		DumpstateTime: "2026-03-14 09:26:53", Build: "UP1A.231005.007",
		BuildFingerprint: "google/shiba/shiba:14/UP1A.231005.007/10754064:user/release-keys", FormatVersion: "2.0",
		Sections: 13,
	}
	if d := cmp.Diff(want, b.Facts()); d != "" {
		t.Errorf("facts (-want +got):\n%s", d)
	}
	wantNames := []string{
		"@sections/dumpstate_header", "@sections/system_properties",
		"@sections/dumpsys-critical/cpuinfo", "@sections/dumpsys-critical/activity", "@sections/dumpsys-high/meminfo",
		"@sections/dumpsys/accessibility", "@sections/dumpsys/activity", "@sections/dumpsys/adb",
		"@sections/dumpsys/android.hardware.power.IPower%2Fdefault", "@sections/dumpsys/dbinfo",
		"@sections/dumpsys/package", "@sections/dumpsys/package~2", "@sections/dumpsys/platform_compat",
	}
	if d := cmp.Diff(wantNames, b.SectionNames()); d != "" {
		t.Errorf("section names (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"duplicate_section"}, kinds(b.Problems())); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if txt, ok := b.SectionText("@sections/dumpsys/adb"); !ok || string(txt) != spec.Dumpstate.Sections[5].Text {
		t.Errorf("SectionText: %q %v", txt, ok)
	}

	// Listings and stat.
	top, err := b.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var topNames []string
	for _, e := range top {
		topNames = append(topNames, e.Name())
	}
	if d := cmp.Diff([]string{"@sections", "FS", name, "dumpstate_log.txt", "main_entry.txt", "version.txt"}, topNames); d != "" {
		t.Errorf("top (-want +got):\n%s", d)
	}
	dirs, _ := b.ReadDir("@sections")
	var dirNames []string
	for _, e := range dirs {
		dirNames = append(dirNames, e.Name())
	}
	if d := cmp.Diff([]string{"dumpstate_header", "dumpsys", "dumpsys-critical", "dumpsys-high", "system_properties"}, dirNames); d != "" {
		t.Errorf("@sections (-want +got):\n%s", d)
	}
	fi, err := b.Stat("@sections/dumpsys/package")
	if err != nil || fi.Size() != int64(len(spec.Dumpstate.Sections[8].Text)) || fi.IsDir() || !fi.ModTime().Equal(fixture.Epoch) {
		t.Errorf("stat: %v %v", fi, err)
	}
	if sec, ok := fi.Sys().(*Section); !ok || sec.Service != "package" || sec.Occurrence != 1 {
		t.Errorf("Sys: %#v", fi.Sys())
	}
	if _, err := b.Open("@sections/dumpsys/absent"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent section: %v", err)
	}
	if _, err := b.Open("/main_entry.txt"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("invalid name: %v", err)
	}

	// Readers over the text: ReadAt and Seek work.
	f, err := b.Open("@sections/dumpsys/platform_compat")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 8)
	if n, err := f.(io.ReaderAt).ReadAt(buf, 9); err != nil || string(buf[:n]) != "168419799"[:8] {
		t.Errorf("ReadAt: %q %v", buf[:n], err)
	}

	if err := fstest.TestFS(b, "@sections/dumpsys/package", "@sections/dumpsys/package~2", "@sections/dumpstate_header",
		"@sections/dumpsys-critical/activity", "FS/data/tombstones/tombstone_00", "main_entry.txt"); err != nil {
		t.Error(err)
	}
	// Walking the acquisition sees both namespaces once.
	var walked []string
	if err := acquire.WalkFiles(b, func(name, _ string) error { walked = append(walked, name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(walked) != 13+6 || !slices.Contains(walked, "@sections/dumpsys/adb") || !slices.Contains(walked, "FS/data/anr/anr_2024-03-14-09-58-12-001") {
		t.Errorf("walk: %v", walked)
	}
}

func TestZipAndCRLF(t *testing.T) {
	spec := fixture.BugreportSpec{Dumpstate: structuralSpec()}
	spec.Dumpstate.CRLF = true
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := fixture.BugreportFiles(spec)
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	}) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n].Data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	b := open(t, zr, Options{})
	want := strings.ReplaceAll(spec.Dumpstate.Sections[5].Text, "\n", "\r\n")
	if got := read(t, b, "@sections/dumpsys/adb"); got != want {
		t.Errorf("adb = %q, want %q", got, want)
	}
	if got := read(t, b, "@sections/system_properties"); !strings.HasPrefix(got, "[persist.sys.timezone]: [Europe/Paris]\r\n") {
		t.Errorf("properties: %q", got)
	}
	if f := b.Facts(); f.DumpstateTime != "2026-03-14 09:26:53" || f.BuildFingerprint != "google/shiba/shiba:14/UP1A.231005.007/10754064:user/release-keys" || f.Sections != 13 {
		t.Errorf("facts: %+v", f)
	}
	if err := fstest.TestFS(b, "@sections/dumpsys/adb", "main_entry.txt"); err != nil {
		t.Error(err)
	}
}

func TestDiscovery(t *testing.T) {
	text := fixture.DumpstateText(fixture.DumpstateSpec{Sections: []fixture.DumpsysSection{{Service: "package", Text: "Packages:\n"}}})
	file := func(data []byte) *fstest.MapFile { return &fstest.MapFile{Data: data} }
	for _, tc := range []struct {
		name         string
		files        fstest.MapFS
		file, by     string
		prefix       string
		problems     []string
		wantSections bool
	}{
		{"main_entry", fstest.MapFS{"main_entry.txt": file([]byte("bugreport-a.txt\n")), "bugreport-a.txt": file(text), "bugreport-b.txt": file(nil)},
			"bugreport-a.txt", FoundByMainEntry, "", nil, true},
		{"main_entry names a missing file", fstest.MapFS{"main_entry.txt": file([]byte("bugreport-gone.txt")), "bugreport-x.txt": file(text)},
			"bugreport-x.txt", FoundByBugreportTxt, "", []string{"dumpstate_missing"}, true},
		{"main_entry names an unsafe path", fstest.MapFS{"main_entry.txt": file([]byte("../../etc/passwd")), "dumpState_G960F.log": file(text)},
			"dumpState_G960F.log", FoundByDumpStateLog, "", []string{"dumpstate_missing"}, true},
		{"dumpState log before bugreport txt", fstest.MapFS{"dumpState_2.log": file(text), "dumpState_1.log": file(text), "bugreport-a.txt": file(nil)},
			"dumpState_1.log", FoundByDumpStateLog, "", []string{"several_dumpstates"}, true},
		{"bugreport txt", fstest.MapFS{"bugreport-shiba-UP1A-2024.txt": file(text), "FS/bugreport-nested.txt": file(nil)},
			"bugreport-shiba-UP1A-2024.txt", FoundByBugreportTxt, "", nil, true},
		{"dumpsys.txt at the top", fstest.MapFS{"dumpsys.txt": file(text)}, "dumpsys.txt", FoundByDumpsysTxt, "", nil, true},
		{"dumpsys.txt one folder down", fstest.MapFS{"collection/dumpsys.txt": file(text), "collection/getprop.txt": file(nil)},
			"collection/dumpsys.txt", FoundByDumpsysTxt, "", nil, true},
		{"zipped again in one folder", fstest.MapFS{"bugreport-x/main_entry.txt": file([]byte("bugreport-x.txt")), "bugreport-x/bugreport-x.txt": file(text),
			"bugreport-x/FS/data/tombstones/tombstone_00": file([]byte("t")), "__MACOSX/._x": file(nil)},
			"bugreport-x.txt", FoundByMainEntry, "bugreport-x", nil, true},
		{"not a dumpstate", fstest.MapFS{"bugreport-x.txt": file([]byte("hello\n"))}, "bugreport-x.txt", FoundByBugreportTxt, "", []string{"no_sections"}, true},
		{"no dumpstate", fstest.MapFS{"version.txt": file([]byte("2.0")), "FS/data/tombstones/tombstone_00": file([]byte("t"))},
			"", "", "", []string{"dumpstate_missing"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t, tc.files, Options{})
			f := b.Facts()
			if f.DumpstateFile != tc.file || f.FoundBy != tc.by || f.Prefix != tc.prefix {
				t.Errorf("facts %+v, want file %q by %q prefix %q", f, tc.file, tc.by, tc.prefix)
			}
			if d := cmp.Diff(tc.problems, kinds(b.Problems())); d != "" {
				t.Errorf("problems (-want +got):\n%s\n%v", d, b.Problems())
			}
			_, err := b.Stat("@sections")
			if tc.wantSections != (err == nil) {
				t.Errorf("@sections: %v", err)
			}
			if tc.file != "" && string(text) == read(t, b, tc.file) {
				if got := read(t, b, "@sections/dumpsys/package"); got != "Packages:\n" {
					t.Errorf("package: %q", got)
				}
			}
			expect := "version.txt"
			if tc.file != "" {
				expect = tc.file
			}
			if err := fstest.TestFS(b, expect); err != nil {
				t.Error(err)
			}
		})
	}

	// Without a dumpstate, the files are still served.
	b := open(t, fstest.MapFS{"FS/data/tombstones/tombstone_00": file([]byte("tomb"))}, Options{})
	if got := read(t, b, "FS/data/tombstones/tombstone_00"); got != "tomb" {
		t.Errorf("tombstone: %q", got)
	}
	if _, err := b.Open("@sections/dumpsys/package"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("section without dumpstate: %v", err)
	}
}

func TestLimit(t *testing.T) {
	spec := fixture.BugreportSpec{Dumpstate: fixture.DumpstateSpec{Sections: []fixture.DumpsysSection{
		{Service: "accessibility", Text: "ACCESSIBILITY MANAGER (dumpsys accessibility)\n"},
		{Service: "package", Text: "Packages:\n" + strings.Repeat("  Package [com.example.app] (1a2b3c4):\n", 1000)},
		{Service: "platform_compat", Text: "ChangeId(168419799; name=DOWNSCALED; disabled)\n"},
	}}}
	files := fixture.BugreportFiles(spec)
	text := files[fixture.BugreportDumpstateName(spec)].Data
	cut := bytes.Index(text, []byte("Package [com.example.app]")) + 5000
	b := open(t, files, Options{MaxDumpstateBytes: int64(cut)})
	if f := b.Facts(); !f.Truncated || f.DumpstateBytes != int64(cut) {
		t.Errorf("facts: %+v", f)
	}
	if d := cmp.Diff([]string{"limit_reached", "section_truncated"}, kinds(b.Problems())); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	fi, err := b.Stat("@sections/dumpsys/package")
	if err != nil {
		t.Fatal(err)
	}
	if sec := fi.Sys().(*Section); !sec.Truncated {
		t.Errorf("package section not marked truncated: %+v", sec)
	}
	secs := b.Sections()
	if secs[len(secs)-2].Truncated || secs[len(secs)-1].Name != "dumpsys/package" {
		t.Errorf("sections: %+v", secs)
	}
	if got := read(t, b, "@sections/dumpsys/package"); !strings.HasPrefix(got, "Packages:\n") || len(got) > cut {
		t.Errorf("package: %d bytes", len(got))
	}
	if _, err := b.Stat("@sections/dumpsys/platform_compat"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("section after the cut: %v", err)
	}
}

func TestShadowedName(t *testing.T) {
	files := fixture.BugreportFiles(fixture.BugreportSpec{
		Dumpstate: fixture.DumpstateSpec{Sections: []fixture.DumpsysSection{{Service: "adb", Text: "ADB MANAGER STATE (dumpsys adb):\n"}}},
		Extra:     map[string][]byte{"@sections/dumpsys/adb": []byte("planted")},
	})
	b := open(t, files, Options{})
	if got := read(t, b, "@sections/dumpsys/adb"); got != "ADB MANAGER STATE (dumpsys adb):\n" {
		t.Errorf("adb: %q", got)
	}
	if d := cmp.Diff([]string{"shadowed_name"}, kinds(b.Problems())); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	top, _ := b.ReadDir(".")
	n := 0
	for _, e := range top {
		if e.Name() == SectionsDir {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%s listed %d times", SectionsDir, n)
	}
}

type closingFS struct {
	fstest.MapFS
	closed bool
}

func (c *closingFS) Close() error { c.closed = true; return nil }

func TestCloseClosesBase(t *testing.T) {
	c := &closingFS{MapFS: fixture.BugreportFiles(fixture.BugreportSpec{})}
	b, err := New(c, "x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil || !c.closed {
		t.Errorf("close: %v %v", err, c.closed)
	}
}

type unlistable struct{ fstest.MapFS }

func (unlistable) ReadDir(string) ([]fs.DirEntry, error) { return nil, errors.New("denied") }

func TestUnlistable(t *testing.T) {
	if _, err := New(unlistable{}, "x", Options{}); err == nil {
		t.Error("a bug report whose top cannot be listed must fail")
	}
}
