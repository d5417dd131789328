package bugreport

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/spytrace/spytrace/internal/fixture"
)

// FuzzNew opens a bug report whose main_entry.txt and dumpstate text are arbitrary
// bytes, within small limits: nothing may panic, and whatever the text, the file
// system served (the zip's files and the @sections/ cut from the text) passes
// fstest.TestFS, with every section named in Sections served.
func FuzzNew(f *testing.F) {
	spec := structuralSpec()
	f.Add([]byte("dumpstate-2024-03-14-10-00-00.txt\n"), fixture.DumpstateText(spec), false)
	spec.CRLF, spec.NoFooters = true, true
	f.Add([]byte("./dumpstate-2024-03-14-10-00-00.txt"), fixture.DumpstateText(spec), true)
	f.Add([]byte("../../etc/passwd"), []byte("DUMP OF SERVICE @sections:\nx\n"), false)
	f.Add([]byte("\xef\xbb\xbfFS/data"), []byte("------ SYSTEM PROPERTIES (getprop) ------\n[a]: [b]\n"), true)
	f.Fuzz(func(t *testing.T, mainEntry, text []byte, wrapped bool) {
		top := ""
		if wrapped {
			top = "bugreport-x/"
		}
		files := fstest.MapFS{
			top + "main_entry.txt":                    {Data: mainEntry},
			top + "dumpstate-2024-03-14-10-00-00.txt": {Data: text},
			top + "FS/data/anr/anr_1":                 {Data: []byte("anr")},
			top + "version.txt":                       {Data: []byte("2.0")},
		}
		b, err := New(files, "fuzz.zip", Options{MaxDumpstateBytes: 1 << 16, MaxSections: 40})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Sections()) > 40 || b.Facts().DumpstateBytes > 1<<16 {
			t.Fatalf("%d sections, %d bytes read", len(b.Sections()), b.Facts().DumpstateBytes)
		}
		expect := []string{"FS/data/anr/anr_1"}
		for _, name := range b.SectionNames() {
			if !fs.ValidPath(name) {
				t.Fatalf("section name %q", name)
			}
			expect = append(expect, name)
		}
		if err := fstest.TestFS(b, expect...); err != nil {
			t.Fatal(err)
		}
	})
}
