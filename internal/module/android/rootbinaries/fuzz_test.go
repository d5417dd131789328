package rootbinaries_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/android/rootbinaries"
)

// FuzzParse reads arbitrary bytes as androidqf's root_binaries.json: nothing may panic;
// every record has a non-empty valid UTF-8 path of bounded length, whose base name is
// its binary name, and survives the trip through its JSON record.
func FuzzParse(f *testing.F) {
	spec := fixture.SampleAQFRootBinaries()
	f.Add(fixture.AQFRootBinariesFiles(spec)[fixture.AQFRootBinariesName].Data)
	for _, p := range []string{"/system/xbin/su", "/debug_ramdisk/magisk", "/data/local/tmp/\x1b[31mBusyBox", "/sbin/"} {
		fixture.PlantAQFRootBinary(&spec, p)
	}
	f.Add(fixture.AQFRootBinariesFiles(spec)[fixture.AQFRootBinariesName].Data)
	f.Add([]byte(`["/system/bin/su", 1, null, ["x"], "  ", "\xff\xfe/su"]`))
	m := rootbinaries.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, problems, err := rootbinaries.Parse(data)
		if err != nil && len(recs) > 0 {
			t.Fatalf("%d records and an error", len(recs))
		}
		if len(recs) > rootbinaries.MaxEntries || len(problems) > 101 {
			t.Fatalf("%d records, %d problems", len(recs), len(problems))
		}
		for _, r := range recs {
			if r.Path == "" || !utf8.ValidString(r.Path) || len(r.Path) > 4*4096 {
				t.Fatalf("path %q", r.Path)
			}
			if strings.Contains(r.BinaryName, "/") || !strings.HasSuffix(strings.ToLower(r.Path), r.BinaryName) || r.Description == "" {
				t.Fatalf("record %+v", r)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			back, err := m.DecodeRecord(b)
			if got, ok := back.(*rootbinaries.Record); err != nil || !ok || *got != *r {
				t.Fatalf("%+v read back as %+v (%v)", r, back, err)
			}
		}
	})
}
