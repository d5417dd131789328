package bugreport

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
)

// FuzzSplit checks that Split never panics and always returns sections that lie
// inside the text, in order, without overlap, under unique valid file names.
func FuzzSplit(f *testing.F) {
	f.Add(fixture.DumpstateText(structuralSpec()), false)
	spec := structuralSpec()
	spec.CRLF, spec.NoFooters = true, true
	f.Add(fixture.DumpstateText(spec), true)
	f.Add([]byte("DUMP OF SERVICE dbinfo:\nx\nDUMP OF SERVICE CRITICAL a/b:\n"+strings.Repeat("-", 78)+"\n"), false)
	f.Add([]byte("====\n== dumpstate: 1\n------ SYSTEM PROPERTIES\n[a]: [b]\n------\n"), true)
	f.Fuzz(func(t *testing.T, text []byte, truncated bool) {
		res := Split(text, truncated, 50)
		if len(res.Sections) > 50 {
			t.Fatalf("%d sections", len(res.Sections))
		}
		seen := map[string]bool{}
		var prevEnd int64
		for i, s := range res.Sections {
			if s.Start < prevEnd || s.End < s.Start || s.End > int64(len(text)) {
				t.Fatalf("section %d %q at [%d,%d) after %d in %d bytes", i, s.Name, s.Start, s.End, prevEnd, len(text))
			}
			prevEnd = s.End
			if seen[s.Name] {
				t.Fatalf("name %q twice", s.Name)
			}
			seen[s.Name] = true
			if !fs.ValidPath(SectionsDir+"/"+s.Name) || s.Occurrence < 1 || s.Line < 1 {
				t.Fatalf("section %+v", s)
			}
			if s.Kind == KindDumpsys && (s.Service == "" || !strings.HasSuffix(s.Name, EscapeName(s.Service)) && s.Occurrence == 1) {
				t.Fatalf("section %+v", s)
			}
			if s.Truncated && (!truncated || s.End != int64(len(text))) {
				t.Fatalf("truncated section %+v", s)
			}
		}
	})
}
