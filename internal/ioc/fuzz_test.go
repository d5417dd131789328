package ioc_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
)

// seedFiles returns the indicator files of the testdata cases.
func seedFiles(f *testing.F) []string {
	paths, err := filepath.Glob("testdata/stix/*.txtar")
	if err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range parseTxtar(string(data)).files {
			if file.name != "expect" {
				out = append(out, file.data)
			}
		}
	}
	return out
}

// FuzzParsePattern checks that the parser never panics, and that any string
// written as a value by the fixture writer reads back unchanged.
func FuzzParsePattern(f *testing.F) {
	for _, data := range seedFiles(f) {
		var b struct {
			Objects []struct {
				Pattern string `json:"pattern"`
			} `json:"objects"`
		}
		if json.Unmarshal([]byte(data), &b) == nil {
			for _, o := range b.Objects {
				f.Add(o.Pattern)
			}
		}
	}
	f.Add("([a:b[*].c NOT IN ('x', 'y')] REPEATS 2 TIMES) FOLLOWEDBY [EXISTS a:b] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'")
	f.Add("[a:b = h'00ff' OR a:b = b64'AAEC' OR a:b > -1.5 OR a:b = true]")
	f.Fuzz(func(t *testing.T, s string) {
		ioc.PatternLeaves(s)
		if len(s) > 60<<10 {
			return
		}
		leaves, problems, err := ioc.PatternLeaves(fixture.DomainPattern(s))
		if err != nil || len(problems) != 0 || len(leaves) != 1 || leaves[0] != "domain-name:value = "+s {
			t.Fatalf("value %q: got leaves %q, problems %q, error %v", s, leaves, problems, err)
		}
	})
}

// FuzzLoadBundle checks that loading never panics, and that every value loaded is
// found again by the lookup of its kind.
func FuzzLoadBundle(f *testing.F) {
	for _, data := range seedFiles(f) {
		f.Add([]byte(data))
		// Small bundles of one object each too: mutations of small inputs are cheap
		// to minimise.
		var b struct{ Objects []json.RawMessage }
		if json.Unmarshal([]byte(data), &b) == nil {
			for _, o := range b.Objects {
				f.Add([]byte(`{"type":"bundle","objects":[` + string(o) + `]}`))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, rep, err := ioc.LoadBytes("fuzz.stix2", data, ioc.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, fr := range rep.Files {
			for _, c := range fr.Collections {
				n += c.Count
			}
		}
		if n < ix.Len() {
			t.Fatalf("%d values in collections, %d in the index", n, ix.Len())
		}
		for _, k := range ioc.Kinds {
			for _, ind := range ix.Indicators(k) {
				if k == ioc.FilePath && strings.Count(ind.Value, "/") >= 63 {
					continue // lookups look at 64 components
				}
				if m := lookup(ix, k, ind.Value); m == nil {
					t.Fatalf("%s %q loaded but not found", k, ind.Value)
				}
			}
		}
	})
}

// lookup looks a normalised indicator value up with the lookup of its kind.
func lookup(ix *ioc.Index, k ioc.Kind, v string) *ioc.Match {
	switch k {
	case ioc.Domain:
		return ix.MatchDomain(v)
	case ioc.URL:
		return ix.MatchURL(v)
	case ioc.IP:
		addr, _, _ := strings.Cut(v, "/")
		return ix.MatchIP(addr)
	case ioc.Email:
		return ix.MatchEmail(v)
	case ioc.Process:
		return ix.MatchProcess(v)
	case ioc.FileName:
		return ix.MatchFileName(v)
	case ioc.FilePath:
		return ix.MatchFilePath(v)
	case ioc.FileMD5, ioc.FileSHA1, ioc.FileSHA256:
		return ix.MatchHash(v)
	case ioc.AppID:
		return ix.MatchAppID(v)
	case ioc.AppCertHash:
		return ix.MatchAppCertHash(v)
	case ioc.ProfileID:
		return ix.MatchProfileID(v)
	case ioc.AndroidProperty:
		return ix.MatchAndroidProperty(v)
	}
	return nil
}

// FuzzLookups checks that no lookup panics on any input.
func FuzzLookups(f *testing.F) {
	for _, s := range []string{"a.b.evil.com", "http://[::1]:80/%zz", "/var/tmp/../hooker//x", "mailto:x@y", "::ffff:10.1.1.1%eth0", "com.apple.WebKit"} {
		f.Add(s)
	}
	ix := testIndex(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range ioc.Kinds {
			lookup(ix, k, s)
		}
		ix.MatchHost(s)
		ix.MatchIP(s)
		ix.MatchPathProcess(s)
	})
}

// FuzzScanObject checks the bundle's JSON scanner against encoding/json: the same
// inputs are valid, and the same string values are read.
func FuzzScanObject(f *testing.F) {
	for _, data := range seedFiles(f) {
		f.Add([]byte(data))
		var b struct{ Objects []json.RawMessage }
		if json.Unmarshal([]byte(data), &b) == nil {
			for _, o := range b.Objects {
				f.Add([]byte(o))
			}
		}
	}
	f.Add([]byte(`{"type":"a\u00e9\ud83d\ude00\ud800x\\\/\b\f\n\r\t","object_refs":[null,"","x"],"revoked":true,"n":-0.5e+10}`))
	f.Add([]byte("{\"id\":\"\xff\xfe\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, bad, err := ioc.ScanObject(data)
		if valid := json.Valid(data); (err == nil) != valid {
			t.Fatalf("scanner error %v, encoding/json valid %v", err, valid)
		}
		var m map[string]any
		if err != nil || bad != "" || json.Unmarshal(data, &m) != nil {
			return
		}
		for key, gotv := range map[string]string{
			"type": got.Type, "id": got.ID, "name": got.Name, "description": got.Description,
			"pattern": got.Pattern, "pattern_type": got.PatternType, "valid_until": got.ValidUntil,
			"modified": got.Modified, "source_ref": got.SourceRef, "target_ref": got.TargetRef,
		} {
			want, ok := m[key].(string)
			if !ok && m[key] != nil {
				t.Fatalf("%q is a %T, scanner did not report it", key, m[key])
			}
			if gotv != want {
				t.Fatalf("%q: scanner read %q, encoding/json %q", key, gotv, want)
			}
		}
		if want, _ := m["revoked"].(bool); got.Revoked != want {
			t.Fatalf("revoked: scanner read %v, encoding/json %v", got.Revoked, m["revoked"])
		}
		var refs []string
		if list, ok := m["object_refs"].([]any); ok {
			for _, r := range list {
				if s, _ := r.(string); s != "" {
					refs = append(refs, s)
				}
			}
		}
		if !slices.Equal(refs, got.ObjectRefs) {
			t.Fatalf("object_refs: scanner read %q, encoding/json %q", got.ObjectRefs, refs)
		}
	})
}
