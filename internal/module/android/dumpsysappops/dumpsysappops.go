// Package dumpsysappops reads the app-ops state of an Android bug report: which app
// used or was refused which protected operation, and when.
//
// The artifact is the "DUMP OF SERVICE appops" section of the dumpstate text
// (@sections/dumpsys/appops; on the device the state is kept in
// /data/system/appops.xml). Packages are listed under "  Uid <uid>:" blocks, each op as
// "      NAME (mode):" and its recorded accesses as
// "          Access: [fg-s] 2022-03-07 18:05:34.325 (-22d4h22m19s762ms)" (Android 10
// and later; Reject lines may lack the space after the state). Android 9 and earlier
// print the op's last access on the op line as "time=+1h2m3s ago" and
// "rejectTime=…", relative to the dump: those are turned into entries too (MVT skips
// them), dated with the dumpstate header's time.
//
// Times: the absolute times are the device's wall clock; they are kept as written in
// timestamp_local and converted to UTC in timestamp only when the device zone
// (persist.sys.timezone, @sections/system_properties) is known; the record's clock says
// which. Relative times are added to the dumpstate header's time (also wall clock).
//
// It corresponds to MVT's DumpsysAppops module: records {package_name, uid,
// permissions[{name, access, entries[{access, type, timestamp}]}]}; package name →
// app id at CRITICAL; REQUEST_INSTALL_PACKAGES → MEDIUM per entry (one alert when it has
// none); any op of com.android.shell → MEDIUM per entry (one when none), only when the
// package did not match an indicator (as MVT). Differences: parsing starts at the first
// Uid block even when "Uid 0" is missing (MVT reads nothing then), MVT's timestamp
// (device wall clock written as if it were UTC) is timestamp_local here.
package dumpsysappops

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
const Name = "dumpsys_appops"

// Section is the bug report's appops section.
const Section = "@sections/dumpsys/appops"

// localLayout is how timestamp_local is written: the device's wall clock, to the
// millisecond as Android prints it.
const localLayout = "2006-01-02 15:04:05.000"

// Module reads the appops section.
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
		Class:       "DumpsysAppops",
		Version:     1,
		Description: "App operations (permissions used or refused, with times) of a bug report (dumpsys appops)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section, props.SystemPropertiesSection, props.DumpstateHeaderSection},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, Section) {
		return module.ErrNotFound
	}
	c := Clock{Name: props.ClockUnknown}
	if slices.Contains(in.Files, props.SystemPropertiesSection) {
		if data, err := in.ReadFile(props.SystemPropertiesSection); err == nil {
			c.Zone, c.Name = props.DeviceClock(data)
		}
	}
	if slices.Contains(in.Files, props.DumpstateHeaderSection) {
		if data, err := in.ReadFile(props.DumpstateHeaderSection); err == nil {
			c.Dump, _, _ = props.DumpstateTime(data)
		}
	}
	data, err := in.ReadFile(Section)
	if err != nil {
		return err
	}
	return module.Emit(ctx, out, Parse(data, c))
}

// Clock is what dates the section's times: the device zone (nil when unknown) and its
// name, and the dump's time (wall clock, zero when unknown).
type Clock struct {
	Zone *time.Location
	Name string
	Dump time.Time
}

const maxLines = 2_000_000

// Parse reads the appops section.
func Parse(data []byte, c Clock) []*Package {
	if c.Name == "" {
		c.Name = props.ClockUnknown
	}
	var out []*Package
	var pkg *Package
	var perm *Permission
	uid := ""
	started := false
	for n, raw := range strings.Split(string(data), "\n") {
		if n >= maxLines {
			break
		}
		line := strings.TrimRight(raw, "\r")
		if strings.HasPrefix(line, "  Uid ") {
			started = true
			uid = strings.TrimSuffix(strings.TrimSpace(line[6:]), ":")
			pkg, perm = nil, nil
			continue
		}
		if !started {
			continue
		}
		if strings.TrimSpace(line) == "" {
			break
		}
		switch {
		case strings.HasPrefix(line, "    Package "):
			name := strings.TrimSuffix(strings.TrimSpace(line[12:]), ":")
			pkg = &Package{PackageName: safetext.EscapeInvalid(name), UID: safetext.EscapeInvalid(uid), Permissions: []*Permission{}, Clock: c.Name}
			perm = nil
			out = append(out, pkg)
		case pkg != nil && len(line) > 6 && strings.HasPrefix(line, "      ") && line[6] != ' ' && strings.TrimSpace(line) != "":
			perm = parsePermLine(line[6:], c)
			pkg.Permissions = append(pkg.Permissions, perm)
		case perm != nil && strings.HasPrefix(line, "          "):
			if e, ok := parseEntry(strings.TrimSpace(line), c); ok {
				perm.Entries = append(perm.Entries, e)
			}
		}
	}
	return out
}

// parsePermLine reads "NAME (mode):" and, on Android 9 and earlier, the relative
// "time=" and "rejectTime=" that follow.
func parsePermLine(s string, c Clock) *Permission {
	fields := strings.Fields(s)
	p := &Permission{Name: safetext.EscapeInvalid(strings.TrimSuffix(fields[0], ":")), Entries: []*Entry{}}
	if len(fields) > 1 && strings.HasPrefix(fields[1], "(") {
		p.Access = safetext.EscapeInvalid(strings.TrimSuffix(strings.TrimSuffix(fields[1][1:], ":"), ")"))
	}
	for i, f := range fields {
		var access string
		var rest string
		switch {
		case strings.HasPrefix(f, "time="):
			access, rest = "Access", f[5:]
		case strings.HasPrefix(f, "rejectTime="):
			access, rest = "Reject", f[11:]
		default:
			continue
		}
		rest = strings.TrimSuffix(rest, ";")
		d, ok := props.ParseDuration(rest)
		if !ok {
			continue
		}
		ago := i+1 < len(fields) && strings.HasPrefix(fields[i+1], "ago")
		if ago && d > 0 {
			d = -d
		}
		e := &Entry{Access: access, Relative: rest}
		if ago {
			e.Relative += " ago"
		}
		if !c.Dump.IsZero() {
			wall := c.Dump.Add(d)
			e.TimestampLocal = wall.Format(localLayout)
			e.Timestamp = timefmt.Of(props.InZone(wall, c.Zone))
		}
		p.Entries = append(p.Entries, e)
	}
	return p
}

// parseEntry reads "Access: [fg-s] 2022-03-07 18:05:34.325 (-22d4h22m19s762ms) …".
func parseEntry(s string, c Clock) (*Entry, bool) {
	access, rest, ok := strings.Cut(s, ":")
	if !ok || (access != "Access" && access != "Reject") {
		return nil, false
	}
	e := &Entry{Access: access}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		if j := strings.IndexByte(rest[i:], ']'); j > 0 {
			e.Type = safetext.EscapeInvalid(rest[i+1 : i+j])
			rest = rest[i+j+1:]
		}
	}
	when, after, _ := strings.Cut(rest, "(")
	when = strings.TrimSpace(when)
	if rel, _, ok := strings.Cut(after, ")"); ok {
		e.Relative = safetext.EscapeInvalid(rel)
	}
	if wall, err := time.Parse("2006-01-02 15:04:05.000", when); err == nil {
		e.TimestampLocal = when
		e.Timestamp = timefmt.Of(props.InZone(wall, c.Zone))
	} else if d, ok := props.ParseDuration(e.Relative); ok && !c.Dump.IsZero() {
		wall := c.Dump.Add(d)
		e.TimestampLocal = wall.Format(localLayout)
		e.Timestamp = timefmt.Of(props.InZone(wall, c.Zone))
	}
	return e, true
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. A record of MVT's has no clock: its
// entries' timestamps are the device's wall clock written as if in UTC, so they are
// kept as timestamp_local and timestamp is left null, as for a bug report whose zone
// is unknown.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	v, err := module.Decode[Package](data)
	if rec, ok := v.(*Package); ok && rec.Clock == "" {
		rec.Clock = props.ClockUnknown
		for _, p := range rec.Permissions {
			if p == nil {
				continue
			}
			for _, e := range p.Entries {
				if e != nil && e.TimestampLocal == "" && !e.Timestamp.IsZero() {
					e.TimestampLocal = e.Timestamp.Format(localLayout)
					e.Timestamp = timefmt.Time{}
				}
			}
		}
	}
	return v, err
}
