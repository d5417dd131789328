package ioc_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
)

// BenchmarkLoad loads a bundle of 10,000 indicators written by the fixture writer.
func BenchmarkLoad(b *testing.B) {
	const n = 10_000
	col := fixture.STIXCollection{Name: "Bench", Description: "10k indicators"}
	for i := range n {
		var p string
		switch i % 4 {
		case 0, 1:
			p = fixture.DomainPattern(fmt.Sprintf("c%d.example-%d.com", i, i%97))
		case 2:
			p = fixture.ProcessPattern(fmt.Sprintf("daemon%d", i))
		case 3:
			p = fixture.FilePathPattern(fmt.Sprintf("/private/var/tmp/dir%d/file", i))
		}
		col.Indicators = append(col.Indicators, fixture.STIXIndicator{Pattern: p})
	}
	path := filepath.Join(b.TempDir(), "bench.stix2")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := fixture.WriteSTIX(f, col); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		ix, rep, err := ioc.Load([]string{path}, ioc.LoadOptions{})
		if err != nil || ix.Len() != n || rep.Warnings != 0 {
			b.Fatalf("got %d values, %d warnings, error %v", ix.Len(), rep.Warnings, err)
		}
	}
}

// benchSizes are the index sizes lookups are measured at: per-lookup time must not
// grow with the number of indicators.
var benchSizes = []int{1_000, 1_000_000}

// benchLookup builds, for each size, an index of n indicators of kind k made by
// value(i), then looks up queries (made from the same i range by query) in turn.
func benchLookup(b *testing.B, k ioc.Kind, value func(i int) string, query func(i int) string, lookup func(*ioc.Index, string) *ioc.Match) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("indicators_%d", n), func(b *testing.B) {
			bld := ioc.NewBuilder()
			col := &ioc.Collection{Name: "Bench"}
			for i := range n {
				bld.Add(&ioc.Indicator{ID: "indicator--x", Kind: k, Value: value(i), Collection: col})
			}
			ix := bld.Build()
			queries := make([]string, 1024)
			for j := range queries {
				queries[j] = query(j * 7919 % n) // spread over the indicators
			}
			hits := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if lookup(ix, queries[i%len(queries)]) != nil {
					hits++
				}
				i++
			}
			if hits == 0 {
				b.Fatal("no lookup matched")
			}
		})
	}
}

// Queries alternate between hits and misses.

func BenchmarkMatchDomain(b *testing.B) {
	benchLookup(b, ioc.Domain,
		func(i int) string { return fmt.Sprintf("c%d.example-%d.com", i, i%97) },
		func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf("cdn.a.c%d.example-%d.com", i, i%97)
			}
			return fmt.Sprintf("www.c%d.example-%d.org", i, i%97)
		},
		(*ioc.Index).MatchDomain)
}

func BenchmarkMatchURL(b *testing.B) {
	benchLookup(b, ioc.URL,
		func(i int) string { return fmt.Sprintf("https://u%d.example/path/%d?id=%d", i, i, i) },
		func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf("https://U%d.example:443/path/%d?id=%d#x", i, i, i)
			}
			return fmt.Sprintf("https://u%d.example/other/%d", i, i)
		},
		(*ioc.Index).MatchURL)
}

func BenchmarkMatchFilePath(b *testing.B) {
	benchLookup(b, ioc.FilePath,
		func(i int) string {
			if i%10 == 0 {
				return fmt.Sprintf("Library/Preferences/com.example%d.plist", i)
			}
			return fmt.Sprintf("/private/var/tmp/dir%d/file%d", i, i)
		},
		func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf("/var/tmp/dir%d/file%d/sub/x.db", i, i)
			}
			return fmt.Sprintf("/private/var/mobile/Library/Preferences/com.other%d.plist", i)
		},
		(*ioc.Index).MatchFilePath)
}

func BenchmarkMatchProcess(b *testing.B) {
	benchLookup(b, ioc.Process,
		func(i int) string { return fmt.Sprintf("com.apple.daemon%d.helper", i) },
		func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf("/usr/libexec/com.apple.daemon%d.helper", i)
			}
			return fmt.Sprintf("com.apple.d%07d", i) // 15 bytes, a miss
		},
		(*ioc.Index).MatchProcess)
}
