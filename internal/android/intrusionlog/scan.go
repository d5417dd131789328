package intrusionlog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // device zones are loaded by name

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Layout of the acquisitions:
//   - acquire.AndroidIntrusionLogs: the folder (or zip, nested zips opened by the
//     archive opener) of exported files; every .txt file at any depth up to MaxDepth
//     folders is read, whatever its name, except getprop.txt.
//   - acquire.AndroidQF: androidqf pulls the files into intrusion_logs/ (MVT's
//     documentation says intrusion-logs/: both are accepted); only .txt files under
//     one of these two top-level folders are read.
//
// The device's time zone is persist.sys.timezone in a getprop.txt ("[name]: [value]"
// lines, androidqf's getprop module) at the top of the acquisition, or, for a bare
// folder of intrusion logs, at any depth: the shallowest one wins.
const (
	// MaxDepth is the number of folders searched below the top of the acquisition.
	MaxDepth = 6
	// GetpropName is the base name of androidqf's getprop output.
	GetpropName = "getprop.txt"
)

// AndroidQFDirs are the folders of an androidqf acquisition that hold intrusion logs.
var AndroidQFDirs = []string{"intrusion_logs", "intrusion-logs"}

// Paths are the Info.Paths of the intrusion-log modules: .txt files (any case) at
// depth 0 to MaxDepth. Matches are filtered by [EventFiles] and [GetpropFiles].
var Paths = func() []string {
	var out []string
	for d := 0; d <= MaxDepth; d++ {
		out = append(out, strings.Repeat("*/", d)+"*.[tT][xX][tT]")
	}
	return out
}()

// Kinds are the acquisition kinds the intrusion-log modules run on.
var Kinds = []acquire.Kind{acquire.AndroidIntrusionLogs, acquire.AndroidQF}

// EventFiles returns, in order, the names among files that hold intrusion-log events
// for an acquisition of the given kind.
func EventFiles(kind acquire.Kind, files []string) []string {
	var out []string
	for _, f := range files {
		if !strings.EqualFold(path.Ext(f), ".txt") || strings.EqualFold(path.Base(f), GetpropName) {
			continue
		}
		if kind == acquire.AndroidQF {
			top, _, ok := strings.Cut(f, "/")
			if !ok || !slices.Contains(AndroidQFDirs, top) {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// GetpropFiles returns the getprop.txt files among files, shallowest first.
func GetpropFiles(kind acquire.Kind, files []string) []string {
	var out []string
	for _, f := range files {
		if !strings.EqualFold(path.Base(f), GetpropName) {
			continue
		}
		if kind == acquire.AndroidQF && strings.Contains(f, "/") {
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b string) int { return strings.Count(a, "/") - strings.Count(b, "/") })
	return out
}

// Clock says in which zone local device times are given.
type Clock struct {
	// Loc is the device's zone, nil when unknown.
	Loc *time.Location
	// Zone is its IANA name, or ZoneUnknown.
	Zone string
}

// ZoneUnknown is Clock.Zone when the device's zone is not known.
const ZoneUnknown = "unknown"

// Local returns t as device wall-clock time in timefmt's layout, or "" when the zone
// or t is unknown.
func (c Clock) Local(t time.Time) string {
	if c.Loc == nil || t.IsZero() {
		return ""
	}
	return t.In(c.Loc).Format(timefmt.Layout)
}

// maxGetpropLine bounds the lines of getprop.txt.
const maxGetpropLine = 64 << 10

// DeviceClock returns the device's zone: override when not empty (an IANA name given by
// the analyst), else persist.sys.timezone of the first getprop.txt of files that has
// it. A zone that cannot be loaded is returned as a problem and left unknown.
func DeviceClock(in *module.Input, override string) (Clock, []string) {
	name, src := strings.TrimSpace(override), "the analyst's option"
	var problems []string
	if name == "" {
		for _, f := range GetpropFiles(in.FS.Kind(), in.Files) {
			v, err := readTimezoneProp(in, f)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			if v != "" {
				name, src = v, f
				break
			}
		}
	}
	if name == "" {
		return Clock{Zone: ZoneUnknown}, problems
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		problems = append(problems, fmt.Sprintf("device time zone %q (from %s) is not a known IANA zone; local times are left out", name, src))
		return Clock{Zone: ZoneUnknown}, problems
	}
	return Clock{Loc: loc, Zone: name}, problems
}

func readTimezoneProp(in *module.Input, name string) (string, error) {
	f, err := in.Open(name)
	if err != nil {
		return "", fmt.Errorf("open %q: %w", name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxGetpropLine)
	for n := 0; sc.Scan() && n < 1_000_000; n++ {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "]: [")
		if ok && strings.TrimPrefix(k, "[") == "persist.sys.timezone" {
			return strings.TrimSpace(strings.TrimSuffix(v, "]")), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %q: %w", name, err)
	}
	return "", nil
}

// ScanStats sums what Scan saw over every file.
type ScanStats struct {
	Files      int
	Lines      int
	Events     int            // events of the wanted type handed over
	Duplicates int            // events of the wanted type dropped as repeats
	Types      map[string]int // every event type seen, with its count (repeats included)
	Invalid    int
}

// Unknown returns the event types that are not in KnownTypes, sorted, with their
// counts written "type (n)".
func (s ScanStats) Unknown() []string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(s.Types)) {
		if !slices.Contains(KnownTypes, t) {
			out = append(out, fmt.Sprintf("%s (%d)", t, s.Types[t]))
		}
	}
	return out
}

// Scan reads the intrusion-log files of in (see EventFiles) in name order and calls fn
// with every event of type typ, except repeats of an event already read (overlapping
// exports). Lines it cannot read are noted with out.Problem (naming file and line); a
// file it cannot read is a problem too, unless no file could be read, which is an
// error. It returns module.ErrNotFound when the acquisition holds no intrusion-log
// file. An error returned by fn (out.Record's) stops the scan and is returned as is.
func Scan(ctx context.Context, in *module.Input, out *module.Output, typ string, fn func(file string, ev Event) error) (ScanStats, error) {
	st := ScanStats{Types: map[string]int{}}
	files := EventFiles(in.FS.Kind(), in.Files)
	if len(files) == 0 {
		return st, fmt.Errorf("%w: no intrusion-log file (.txt) in this acquisition", module.ErrNotFound)
	}
	seen := NewSeen(0)
	var errs []error
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		err := scanFile(ctx, in, out, name, typ, seen, &st, fn)
		var ferr *fileError
		switch {
		case err == nil:
			st.Files++
		case errors.As(err, &ferr):
			errs = append(errs, ferr.err)
		default:
			return st, err
		}
	}
	if seen.Full() {
		out.Problem("more than %d distinct %s events: repeats of later events were no longer detected", DefaultMaxSeen, typ)
	}
	if len(errs) == len(files) {
		return st, errors.Join(errs...)
	}
	for _, e := range errs {
		out.Problem("%v", e)
	}
	if total := sum(st.Types); total == 0 && st.Invalid > 0 {
		return st, fmt.Errorf("no intrusion-log event could be read: %d of %d lines in %d files are not intrusion-log JSON", st.Invalid, st.Lines, st.Files)
	}
	return st, nil
}

// fileError marks an error that concerns one file only.
type fileError struct{ err error }

func (e *fileError) Error() string { return e.err.Error() }

func scanFile(ctx context.Context, in *module.Input, out *module.Output, name, typ string, seen *Seen, st *ScanStats, fn func(string, Event) error) error {
	f, err := in.Open(name)
	if err != nil {
		return &fileError{fmt.Errorf("open %q: %w", name, err)}
	}
	defer f.Close()
	rd := NewReader(f, Options{Want: func(t string) bool { return t == typ }})
	defer func() {
		s := rd.Stats()
		st.Lines += s.Lines
		st.Invalid += s.Invalid
		if s.InvalidUTF8 > 0 {
			out.Problem("%s: %d lines hold invalid UTF-8 (bytes replaced with U+FFFD)", name, s.InvalidUTF8)
		}
	}()
	for n := 0; ; n++ {
		if n%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ev, err := rd.Next()
		var le *LineError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &le):
			out.Problem("%s: %v", name, le)
			continue
		case errors.Is(err, ErrTooManyLines):
			out.Problem("%s: stopped after %d lines (limit)", name, DefaultMaxLines)
			return nil
		case err != nil:
			if rd.Stats().Lines == 0 {
				return &fileError{fmt.Errorf("read %q: %w", name, err)}
			}
			out.Problem("%s: read stopped after line %d: %v", name, rd.Stats().Lines, err)
			return nil
		}
		st.Types[ev.Type]++
		if ev.Type != typ {
			continue
		}
		if seen.Dup(ev.Key) {
			st.Duplicates++
			continue
		}
		st.Events++
		if err := fn(name, ev); err != nil {
			return err
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
