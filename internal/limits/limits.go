// Package limits holds the resource bounds of a check, set with --limit NAME=VALUE and
// documented in docs/limits.md (a test keeps that page and the table below in step).
//
// Every parser of evidence is bounded, because evidence may be crafted to exhaust the
// tools that read it. A bound reached is not silent: the run goes on with what was read,
// the module or the acquisition says so in info.json, and the engine raises an alert,
// since an artifact that large is itself unusual.
package limits

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits are the bounds of one run. A zero field means the default of the reader it
// applies to (see Table).
type Limits struct {
	// FileBytes bounds a file read whole into memory (property lists, logs, JSON).
	FileBytes int64
	// Records bounds the records of one module.
	Records int
	// Entries bounds the entries listed in an archive or a dump folder, and the rows of
	// Manifest.db.
	Entries int
	// ArchiveBytes bounds the bytes decompressed from one archive.
	ArchiveBytes int64
	// Ratio bounds the decompressed/compressed ratio of archive content past 64 MiB.
	Ratio int64
	// CopyBytes bounds the bytes copied to read one database with its write-ahead log.
	CopyBytes int64
	// Alerts bounds the alerts kept for one module.
	Alerts int
	// ModuleTime bounds the time one module runs.
	ModuleTime time.Duration
}

// Limit describes one limit for --limit and the documentation.
type Limit struct {
	Name     string
	Bytes    bool   // a size: accepts KiB, MiB, GiB, TiB (and KB, MB, GB, TB)
	Duration bool   // a duration: 90s, 30m, 2h (as Go writes them)
	Default  string // the defaults, as documented
	Meaning  string
	set      func(l *Limits, v int64)
}

// Table lists every limit, in the order of docs/limits.md.
var Table = []Limit{
	{"file-bytes", true, false, "256 MiB", "a file read whole into memory (property lists, logs, JSON files)",
		func(l *Limits, v int64) { l.FileBytes = v }},
	{"records", false, false, "50,000,000", "records of one module; the rest of its artifact is not read",
		func(l *Limits, v int64) { l.Records = int(v) }},
	{"entries", false, false, "10,000,000 (iOS backups and dumps), 1,000,000 (zips, folders and tars of Android inputs)",
		"entries listed in an archive or a dump folder, rows of Manifest.db",
		func(l *Limits, v int64) { l.Entries = int(v) }},
	{"archive-bytes", true, false, "512 GiB (iOS dumps), 64 GiB (Android zips and folders)", "bytes decompressed from one archive",
		func(l *Limits, v int64) { l.ArchiveBytes = v }},
	{"ratio", false, false, "200", "decompressed/compressed ratio of archive content once 64 MiB were decompressed (a bomb)",
		func(l *Limits, v int64) { l.Ratio = v }},
	{"copy-bytes", true, false, "8 GiB", "bytes copied to a private folder to read one database with its write-ahead log",
		func(l *Limits, v int64) { l.CopyBytes = v }},
	{"alerts", false, false, "100,000", "alerts kept for one module; the others are counted in one `limit/alerts` alert",
		func(l *Limits, v int64) { l.Alerts = int(v) }},
	{"module-time", false, true, "1h", "time one module may run; the rest of its artifact is not read",
		func(l *Limits, v int64) { l.ModuleTime = time.Duration(v) }},
}

// Parse applies settings "NAME=VALUE" to the defaults (zero) and returns the limits.
func Parse(settings []string) (Limits, error) {
	var l Limits
	for _, s := range settings {
		name, value, ok := strings.Cut(s, "=")
		if !ok {
			return l, fmt.Errorf("limit %q: want NAME=VALUE (names: %s)", s, Names())
		}
		name = strings.TrimSpace(strings.ToLower(name))
		var lim *Limit
		for i := range Table {
			if Table[i].Name == name {
				lim = &Table[i]
			}
		}
		if lim == nil {
			return l, fmt.Errorf("unknown limit %q (names: %s)", name, Names())
		}
		v, err := parseValue(strings.TrimSpace(value), lim.Bytes, lim.Duration)
		if err != nil {
			return l, fmt.Errorf("limit %s: %w", name, err)
		}
		lim.set(&l, v)
	}
	return l, nil
}

// Names lists the limits' names, for messages and help.
func Names() string {
	var n []string
	for _, l := range Table {
		n = append(n, l.Name)
	}
	return strings.Join(n, ", ")
}

var units = []struct {
	suffix string
	mult   int64
}{
	{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

// parseValue reads a positive integer, with a size unit when bytes is set, or a
// duration (in nanoseconds) when duration is.
func parseValue(s string, bytes, duration bool) (int64, error) {
	if duration {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%q is not a positive duration (such as 90s, 30m or 2h)", s)
		}
		return int64(d), nil
	}
	mult := int64(1)
	if bytes {
		up := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
		for _, u := range units {
			if rest, ok := strings.CutSuffix(up, u.suffix); ok {
				s, mult = rest, u.mult
				break
			}
		}
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive number", s)
	}
	if v > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return v * mult, nil
}
