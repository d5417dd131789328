package bugreport

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
)

// TestSniff checks that Sniff recognises what New opens with a dumpstate, reads the
// header's facts from the start of the text only, and leaves other folders alone.
func TestSniff(t *testing.T) {
	spec := fixture.BugreportSpec{Dumpstate: structuralSpec()}
	files := fixture.BugreportFiles(spec)
	name := fixture.BugreportDumpstateName(spec)
	wrapped := fstest.MapFS{".DS_Store": &fstest.MapFile{}}
	for n, f := range files {
		wrapped["bugreport-x/"+n] = f
	}
	// A dumpstate whose header lies beyond SniffBytes: recognised, facts unknown.
	late := fstest.MapFS{"dumpState_G960F.log": &fstest.MapFile{Data: append([]byte(strings.Repeat("x\n", SniffBytes)), fixture.DumpstateText(structuralSpec())...)}}
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	header := Sniffed{DumpstateFile: name, DumpstateTime: fixture.DumpstateTime(fixture.Epoch), Build: "UP1A.231005.007",
		BuildFingerprint: "google/shiba/shiba:14/UP1A.231005.007/10754064:user/release-keys"}
	wrappedWant := header
	wrappedWant.Prefix = "bugreport-x"
	for _, tc := range []struct {
		name  string
		fsys  fstest.MapFS
		want  Sniffed
		found bool
	}{
		{"at the top", files, header, true},
		{"in one folder", wrapped, wrappedWant, true},
		{"header beyond the bytes read", late, Sniffed{DumpstateFile: "dumpState_G960F.log"}, true},
		{"main_entry.txt without its file", fstest.MapFS{"main_entry.txt": file("bugreport-gone.txt")}, Sniffed{}, true},
		// androidqf collections hold a dumpsys.txt: not a bug report by itself.
		{"dumpsys.txt only", fstest.MapFS{"dumpsys.txt": file("DUMP OF SERVICE package:\n"), "getprop.txt": file("")}, Sniffed{}, false},
		{"two folders", fstest.MapFS{"a/main_entry.txt": file("x"), "b/main_entry.txt": file("x")}, Sniffed{}, false},
		{"photos", fstest.MapFS{"IMG_0001.jpg": file("\xff\xd8\xff")}, Sniffed{}, false},
		{"empty", fstest.MapFS{}, Sniffed{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found := Sniff(tc.fsys)
			if found != tc.found {
				t.Fatalf("found %v, want %v", found, tc.found)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
