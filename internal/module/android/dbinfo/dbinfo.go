// Package dbinfo reads the database activity of an Android bug report: which process
// ran which SQL statement on which database file, recently.
//
// The artifact is the "DUMP OF SERVICE dbinfo" section (@sections/dumpsys/dbinfo; it
// exists only in memory on the device). Each process starts with
// "** Database info for pid 8817 [com.wssyncmldm] **", each database with
// "Connection pool for /data/user/0/<pkg>/databases/x.db:", and its
// "Most recently executed operations:" list lines like
// "0: [2023-07-27 12:21:44.097] [Pid:(8817)]executeForCursorWindow took 2ms - succeeded,
// sql=\"…\", path=…" (older Android versions print no [Pid:(…)]; some print the date
// without the year, "07-27 12:21:44.097", which MVT skips and which is kept here with a
// null UTC time).
//
// Times: isodate is the device wall clock as written (MVT); timestamp (extra) is the
// same time in UTC when the device zone (persist.sys.timezone) is known, else null, and
// clock says which.
//
// It corresponds to MVT's DumpsysDBInfo module ({isodate, action, sql, path, pid}). The
// SQL text is read up to the last `", path=` of the line rather than the first quote
// (MVT cuts statements that contain a double quote). Indicator check, differing from
// MVT on purpose: MVT looks every component of the path up as an app id, so a path
// component that happens to equal an indicator value ("databases", a file name) could
// match; here the candidates are the process name of the "Database info" header
// (extra key process) and the path components that look like package names (two or
// more dot-separated labels, not the file name itself), each at CRITICAL, one alert
// per record.
package dbinfo

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "dbinfo"

// Section is the bug report's dbinfo section.
const Section = "@sections/dumpsys/dbinfo"

// Module reads the dbinfo section.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "DumpsysDBInfo",
		Version:     1,
		Description: "Recent database operations of apps in a bug report (dumpsys dbinfo)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section, props.SystemPropertiesSection},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, Section) {
		return module.ErrNotFound
	}
	var loc *time.Location
	clock := props.ClockUnknown
	if slices.Contains(in.Files, props.SystemPropertiesSection) {
		if data, err := in.ReadFile(props.SystemPropertiesSection); err == nil {
			loc, clock = props.DeviceClock(data)
		}
	}
	data, err := in.ReadFile(Section)
	if err != nil {
		return err
	}
	return module.Emit(ctx, out, Parse(data, loc, clock))
}

const (
	maxLines   = 2_000_000
	maxRecords = 500_000
)

// Parse reads the dbinfo section.
func Parse(data []byte, loc *time.Location, clock string) []*Operation {
	if clock == "" {
		clock = props.ClockUnknown
	}
	var out []*Operation
	process, pool := "", ""
	inOps := false
	for n, raw := range strings.Split(string(data), "\n") {
		if n >= maxLines || len(out) >= maxRecords {
			break
		}
		line := strings.TrimRight(raw, "\r")
		if rest, ok := strings.CutPrefix(line, "** Database info for pid "); ok {
			process, pool, inOps = "", "", false
			if i := strings.IndexByte(rest, '['); i >= 0 {
				if j := strings.IndexByte(rest[i:], ']'); j > 0 {
					process = safetext.EscapeInvalid(rest[i+1 : i+j])
				}
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Connection pool for "); ok {
			pool, inOps = strings.TrimSuffix(rest, ":"), false
			continue
		}
		if pool == "" {
			continue
		}
		if strings.TrimSpace(line) == "Most recently executed operations:" {
			inOps = true
			continue
		}
		if !inOps {
			continue
		}
		if !strings.HasPrefix(line, "        ") {
			inOps, pool = false, ""
			continue
		}
		if op := parseOp(strings.TrimSpace(line)); op != nil {
			op.Path = safetext.EscapeInvalid(pool)
			op.Process = process
			op.Clock = clock
			if w, err := time.Parse("2006-01-02 15:04:05.000", op.Isodate); err == nil {
				op.Timestamp = timefmt.Of(props.InZone(w, loc))
			}
			out = append(out, op)
		}
	}
	return out
}

// parseOp reads `0: [2023-07-27 12:21:44.097] [Pid:(8817)]executeForLong took 0ms -
// succeeded, sql="…", path=…`.
func parseOp(s string) *Operation {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return nil
	}
	j := strings.IndexByte(s[i:], ']')
	if j < 0 {
		return nil
	}
	date := s[i+1 : i+j]
	if !validDate(date) {
		return nil
	}
	rest := s[i+j+1:]
	op := &Operation{Isodate: date}
	if r, ok := strings.CutPrefix(rest, " [Pid:("); ok {
		pid, after, ok := strings.Cut(r, ")]")
		if !ok || pid == "" || strings.Trim(pid, "0123456789") != "" {
			return nil
		}
		op.PID, rest = pid, after
	} else if r, ok := strings.CutPrefix(rest, " "); ok {
		rest = r
	} else {
		return nil
	}
	k := 0
	for k < len(rest) && (rest[k] == '_' || rest[k] >= 'a' && rest[k] <= 'z' || rest[k] >= 'A' && rest[k] <= 'Z' || rest[k] >= '0' && rest[k] <= '9') {
		k++
	}
	if k == 0 {
		return nil
	}
	op.Action = rest[:k]
	q := strings.Index(rest, `sql="`)
	if q < 0 {
		return nil
	}
	sql := rest[q+5:]
	if e := strings.LastIndex(sql, `", path=`); e >= 0 {
		sql = sql[:e]
	} else if e := strings.LastIndexByte(sql, '"'); e >= 0 {
		sql = sql[:e]
	} else {
		return nil
	}
	if sql == "" {
		return nil
	}
	op.SQL = safetext.EscapeInvalid(sql)
	return op
}

// validDate accepts "YYYY-MM-DD HH:MM:SS.mmm" and "MM-DD HH:MM:SS.mmm".
func validDate(s string) bool {
	shape := "dddd-dd-dd dd:dd:dd.ddd"
	if len(s) == len(shape)-5 {
		shape = shape[5:]
	}
	if len(s) != len(shape) {
		return false
	}
	for i := range len(s) {
		if shape[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != shape[i] {
			return false
		}
	}
	return true
}

// Candidates returns the values looked up as app ids for an operation: the process
// name, then the package-like components of the path's folders, without repeats.
func Candidates(op *Operation) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(op.Process)
	parts := strings.Split(op.Path, "/")
	if len(parts) > 0 {
		parts = parts[:len(parts)-1] // the file name
	}
	for _, p := range parts {
		if packageLike(p) {
			add(p)
		}
	}
	return out
}

// packageLike says whether s looks like a Java package name: two or more non-empty
// dot-separated labels of letters, digits and underscores.
func packageLike(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			return false
		}
	}
	return true
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Operation](data) }
