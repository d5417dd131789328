package list_test

import (
	"bufio"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var fuzzFunc = regexp.MustCompile(`^func (Fuzz[A-Za-z0-9_]*)\(\w+ \*testing\.F\)`)

// TestFuzzTargetsDocumented keeps docs/fuzzing.md in step with the code: every fuzz
// target of the project has a row of its table that names it and its package, and
// every target the table names exists.
func TestFuzzTargetsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/fuzzing.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "`Fuzz") {
			rows = append(rows, line)
		}
	}
	found := map[string]bool{}
	err = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rel := filepath.ToSlash(filepath.Dir(strings.TrimPrefix(p, "../../")))
		base := path.Base(rel)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m := fuzzFunc.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			found[m[1]] = true
			ok := false
			for _, row := range rows {
				if strings.Contains(row, "`"+m[1]+"`") && (strings.Contains(row, "`"+base+"`") || strings.Contains(row, "/"+base+"`")) {
					ok = true
					break
				}
			}
			if !ok {
				t.Errorf("%s (internal/%s) has no row in docs/fuzzing.md", m[1], rel)
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 50 {
		t.Fatalf("only %d fuzz targets found under internal/", len(found))
	}
	for _, name := range regexp.MustCompile("`(Fuzz[A-Za-z0-9_]*)`").FindAllStringSubmatch(strings.Join(rows, "\n"), -1) {
		if !found[name[1]] {
			t.Errorf("docs/fuzzing.md names %s, which no package has", name[1])
		}
	}
}
