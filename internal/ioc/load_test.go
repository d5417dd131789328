package ioc_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
)

var update = flag.Bool("update", false, "rewrite the expect sections of testdata/stix/*.txtar")

// A case in testdata/stix is a txtar archive: its comment describes the case (a
// line "now: <RFC 3339 time>" sets LoadOptions.Now), every file but "expect" is
// written to a temporary folder that Load reads, and "expect" is what the load
// produced, as loadDump writes it. After a deliberate change, rewrite the expect
// sections with "go test -run TestLoadCases -update" and review the diff.
func TestLoadCases(t *testing.T) {
	paths, err := filepath.Glob("testdata/stix/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ar := parseTxtar(string(data))
			dir := t.TempDir()
			var want string
			for _, f := range ar.files {
				if f.name == "expect" {
					want = f.data
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opts := ioc.LoadOptions{}
			for line := range strings.SplitSeq(ar.comment, "\n") {
				if v, ok := strings.CutPrefix(line, "now: "); ok {
					if opts.Now, err = time.Parse(time.RFC3339, v); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := loadDump(t, dir, opts)
			if *update {
				if err := os.WriteFile(path, []byte(ar.replace("expect", got)), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("load %s (-want +got):\n%s", name, diff)
			}
		})
	}
}

// loadDump loads dir and writes down everything the load produced, paths relative
// to dir.
func loadDump(t *testing.T, dir string, opts ioc.LoadOptions) string {
	t.Helper()
	var warns []ioc.Warning
	opts.Warn = func(w ioc.Warning) { warns = append(warns, w) }
	ix, rep, err := ioc.Load([]string{dir}, opts)
	if err != nil {
		t.Fatal(err)
	}
	rel := func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	var b strings.Builder
	for _, fr := range rep.Files {
		fmt.Fprintf(&b, "file %s: %d indicators", rel(fr.File.Path), fr.Indicators)
		for _, k := range ioc.Kinds {
			if n := fr.ByKind[k]; n > 0 {
				fmt.Fprintf(&b, ", %s %d", k, n)
			}
		}
		for _, r := range slices.Sorted(maps.Keys(fr.Skipped)) {
			fmt.Fprintf(&b, ", skipped %s %d", r, fr.Skipped[r])
		}
		b.WriteString("\n")
		for _, c := range fr.Collections {
			fmt.Fprintf(&b, "  collection %q id=%q count=%d\n", c.Name, c.ID, c.Count)
		}
	}
	if rep.Warnings != len(warns) {
		t.Errorf("report counts %d warnings, Warn was called %d times", rep.Warnings, len(warns))
	}
	for _, w := range warns {
		w.File = rel(w.File)
		fmt.Fprintf(&b, "warning %s\n", w)
	}
	fmt.Fprintf(&b, "index: %d values\n", ix.Len())
	for _, k := range ioc.Kinds {
		var last string
		for _, ind := range ix.Indicators(k) {
			if ind.Value != last {
				fmt.Fprintf(&b, "%s %s\n", k, ind.Value)
				last = ind.Value
			}
			fmt.Fprintf(&b, "  %s %q %s\n", rel(ind.Collection.File.Path), ind.Collection.Name, ind.ID)
		}
	}
	return b.String()
}

// txtar is the archive format of golang.org/x/tools/txtar: a comment, then files
// each introduced by a line "-- name --".
type txtar struct {
	comment string
	files   []txtarFile
}

type txtarFile struct{ name, data string }

func parseTxtar(s string) txtar {
	var ar txtar
	cur := &ar.comment
	for line := range strings.SplitAfterSeq(s, "\n") {
		l := strings.TrimRight(line, "\n")
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") && len(l) > 6 {
			ar.files = append(ar.files, txtarFile{name: l[3 : len(l)-3]})
			cur = &ar.files[len(ar.files)-1].data
			continue
		}
		*cur += line
	}
	return ar
}

func (ar txtar) replace(name, data string) string {
	var b strings.Builder
	b.WriteString(ar.comment)
	found := false
	for _, f := range ar.files {
		if f.name == name {
			f.data, found = data, true
		}
		fmt.Fprintf(&b, "-- %s --\n%s", f.name, f.data)
	}
	if !found {
		fmt.Fprintf(&b, "-- %s --\n%s", name, data)
	}
	return b.String()
}

func TestLoadMissingPath(t *testing.T) {
	_, _, err := ioc.Load([]string{filepath.Join(t.TempDir(), "nope.stix2")}, ioc.LoadOptions{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: got error %v, want one wrapping fs.ErrNotExist", err)
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	bundle := func(domain string) []byte {
		var buf bytes.Buffer
		if err := fixture.WriteSTIX(&buf, fixture.STIXCollection{Name: "X", Indicators: []fixture.STIXIndicator{{Pattern: fixture.DomainPattern(domain)}}}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	files := map[string][]byte{
		"b.stix2":         bundle("b.example"),
		"a/c.JSON":        bundle("c.example"),
		"a/d.Stix":        bundle("d.example"),
		"a/notes.txt":     bundle("notes.example"),
		"explicit.anyext": bundle("explicit.example"),
	}
	for name, data := range files {
		p := filepath.Join(dir, "iocs", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	iocs := filepath.Join(dir, "iocs")
	// The folder twice and a file inside it: each file is read once.
	ix, rep, err := ioc.Load([]string{iocs, filepath.Join(iocs, "b.stix2"), iocs + string(filepath.Separator), filepath.Join(iocs, "explicit.anyext")}, ioc.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range ix.Files() {
		got = append(got, filepath.ToSlash(strings.TrimPrefix(f.Path, iocs)))
	}
	want := []string{"/a/c.JSON", "/a/d.Stix", "/b.stix2", "/explicit.anyext"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(rep.Files) != len(want) || ix.Count(ioc.Domain) != 4 || ix.MatchDomain("notes.example") != nil {
		t.Errorf("got %d file reports and %d domains, want 4 and 4 (notes.txt not read)", len(rep.Files), ix.Count(ioc.Domain))
	}
	for _, f := range ix.Files() {
		if len(f.SHA256) != 64 || f.Name != filepath.Base(f.Path) {
			t.Errorf("file %+v: want a SHA-256 and the base name", f)
		}
	}
}

func TestLoadMaxFileBytes(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := fixture.WriteSTIX(&buf, fixture.STIXCollection{Name: "X", Indicators: []fixture.STIXIndicator{{Pattern: fixture.DomainPattern("evil.example")}}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "big.stix2")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var warns []string
	ix, rep, err := ioc.Load([]string{p}, ioc.LoadOptions{MaxFileBytes: 100, Warn: func(w ioc.Warning) { warns = append(warns, w.Message) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"file is larger than 100 bytes, skipped"}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if !ix.Empty() || rep.Files[0].Skipped["too large"] != 1 || rep.Warnings != 1 {
		t.Errorf("a file over MaxFileBytes must be skipped: %d values, report %+v", ix.Len(), rep.Files[0])
	}
}

func TestWarningString(t *testing.T) {
	tests := []struct {
		w    ioc.Warning
		want string
	}{
		{ioc.Warning{File: "pegasus.stix2", ID: "indicator--1234", Message: `unsupported pattern key "x509-certificate:issuer"`}, `pegasus.stix2: indicator--1234: unsupported pattern key "x509-certificate:issuer"`},
		{ioc.Warning{File: "notes.json", Message: "not a STIX bundle, skipped"}, "notes.json: not a STIX bundle, skipped"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestLoadFixture loads a bundle of every kind written by the fixture writer.
func TestLoadFixture(t *testing.T) {
	col := fixture.STIXCollection{Name: "Pegasus", Description: "NSO Group", Indicators: []fixture.STIXIndicator{
		{Pattern: fixture.DomainPattern("evil.example")},
		{Pattern: fixture.URLPattern("https://evil.example/a?b=c&d='e'")},
		{Pattern: fixture.IPv4Pattern("192.0.2.0/24")},
		{Pattern: fixture.EmailPattern("bad@evil.example")},
		{Pattern: fixture.ProcessPattern("bh")},
		{Pattern: fixture.FileNamePattern(`it's\here.plist`)},
		{Pattern: fixture.FilePathPattern("/private/var/tmp/hooker")},
		{Pattern: fixture.SHA256Pattern(strings.Repeat("ab", 32))},
		{Pattern: fixture.AppIDPattern("com.evil.app")},
		{Pattern: fixture.ProfileIDPattern("5C1D2E3F-0000-4000-8000-000000000000")},
		{Pattern: fixture.AndroidPropertyPattern("persist.evil")},
	}}
	p := filepath.Join(t.TempDir(), "pegasus.stix2")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixture.WriteSTIX(f, col); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ix, rep, err := ioc.Load([]string{p}, ioc.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Warnings != 0 || ix.Len() != len(col.Indicators) {
		t.Fatalf("got %d values and %d warnings, want %d and 0", ix.Len(), rep.Warnings, len(col.Indicators))
	}
	m := ix.MatchFileName(`it's\here.plist`)
	if m == nil || m.Indicator.Collection.Name != "Pegasus" || m.Indicator.Collection.Description != "NSO Group" {
		t.Fatalf("file name with a quote and a backslash: got %+v", m)
	}
	if m := ix.MatchURL("https://EVIL.example:443/a?b=c&d='e'#frag"); m == nil {
		t.Error("URL with '=', '&' and quotes did not round-trip")
	}
}
