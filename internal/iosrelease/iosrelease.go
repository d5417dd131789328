// Package iosrelease is a bundled, dated table of iOS releases for iPhone (releases.tsv)
// and the questions a check asks of it: which release a build is, and which release of
// the same major version ("line": iOS 16, iOS 17…) was the newest on a given day.
//
// Checks ask these questions about the acquisition's own date (the backup's date),
// never the analyst's clock: a phone backed up in 2023 on iOS 16.5 was outdated only if
// a newer iOS 16 had been published by then. The table has no release after
// [Coverage]; a check about a later date must say that newer releases may exist.
//
// The table lists only releases offered to iPhones: iPadOS-only updates of an older line
// (iPadOS 17.7.3 and later) are left out, so that an iPhone is never compared with an
// update it could not install. Rapid Security Responses ("16.5.1 (c)") are read as
// their base version.
package iosrelease

import (
	_ "embed" // the release table
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed releases.tsv
var table string

// Release is one iOS release.
type Release struct {
	Version string    // "17.3.1"
	Build   string    // "21D61"
	Date    time.Time // the day Apple published it (UTC midnight)
}

// Line returns the major version: 17 for "17.3.1".
func (r Release) Line() int { return major(r.Version) }

var releases = mustParse(table)

func mustParse(s string) []Release {
	rs, err := parse(s)
	if err != nil {
		panic(err)
	}
	return rs
}

func parse(s string) ([]Release, error) {
	var out []Release
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("releases.tsv line %d: %d fields, want 3", i+1, len(f))
		}
		d, err := time.Parse(time.DateOnly, f[2])
		if err != nil {
			return nil, fmt.Errorf("releases.tsv line %d: %w", i+1, err)
		}
		if _, ok := parseVersion(f[0]); !ok {
			return nil, fmt.Errorf("releases.tsv line %d: bad version %q", i+1, f[0])
		}
		out = append(out, Release{Version: f[0], Build: f[1], Date: d})
	}
	sort.SliceStable(out, func(i, j int) bool { return Compare(out[i].Version, out[j].Version) < 0 })
	return out, nil
}

// All returns every release, oldest version first.
func All() []Release { return append([]Release(nil), releases...) }

// Coverage returns the date of the newest release in the table.
func Coverage() time.Time {
	var last time.Time
	for _, r := range releases {
		if r.Date.After(last) {
			last = r.Date
		}
	}
	return last
}

// ByBuild returns the release of a build ("21D61").
func ByBuild(build string) (Release, bool) {
	build = strings.TrimSpace(build)
	for _, r := range releases {
		if strings.EqualFold(r.Build, build) {
			return r, true
		}
	}
	return Release{}, false
}

// ByVersion returns the release of a version ("17.3.1"; "17.0" and "17" are the same).
func ByVersion(version string) (Release, bool) {
	for _, r := range releases {
		if Compare(r.Version, version) == 0 {
			return r, true
		}
	}
	return Release{}, false
}

// NewestInLine returns the newest release of the given major version published on or
// before the day of at (release dates are days: a release published on the backup's
// day counts as available).
func NewestInLine(line int, at time.Time) (Release, bool) {
	day := at.UTC().Truncate(24 * time.Hour)
	var best Release
	found := false
	for _, r := range releases {
		if r.Line() != line || r.Date.After(day) {
			continue
		}
		if !found || Compare(r.Version, best.Version) > 0 {
			best, found = r, true
		}
	}
	return best, found
}

// NewestLine returns the highest major version with a release published on or before
// the day of at.
func NewestLine(at time.Time) (int, bool) {
	day := at.UTC().Truncate(24 * time.Hour)
	best := 0
	for _, r := range releases {
		if !r.Date.After(day) && r.Line() > best {
			best = r.Line()
		}
	}
	return best, best > 0
}

// Compare compares two version strings numerically part by part ("17.10" > "17.9";
// "17" == "17.0" == "17.0.0"). A suffix after a space, such as a Rapid Security
// Response "(a)", is ignored. An unparsable version sorts before every other.
func Compare(a, b string) int {
	va, oka := parseVersion(a)
	vb, okb := parseVersion(b)
	switch {
	case !oka && !okb:
		return strings.Compare(a, b)
	case !oka:
		return -1
	case !okb:
		return 1
	}
	for i := 0; i < 3; i++ {
		if va[i] != vb[i] {
			if va[i] < vb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Valid reports whether v is a version string Compare understands.
func Valid(v string) bool {
	_, ok := parseVersion(v)
	return ok
}

// Line returns the major version of a version string (0 when unparsable).
func Line(v string) int { return major(v) }

func major(v string) int {
	p, ok := parseVersion(v)
	if !ok {
		return 0
	}
	return p[0]
}

// parseVersion reads up to three numeric parts; "16.5.1 (c)" is 16.5.1.
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ' '); i >= 0 {
		v = v[:i]
	}
	if v == "" || len(v) > 32 {
		return out, false
	}
	parts := strings.Split(v, ".")
	if len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 9999 || p == "" || p[0] == '+' {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
