// Package dumpsysbatterydaily reads the daily package changes that batterystats keeps:
// which app was updated (with its version code) or removed on which day.
//
// The artifact is the "Daily stats:" part of the "DUMP OF SERVICE batterystats" section
// (@sections/dumpsys/batterystats; on the device /data/system/batterystats-daily.xml):
// "  Daily from 2022-08-16-15-56-39 to 2022-08-17-01-15-45:" items, newest first, each
// with "      Update <package> vers=<code>" lines (AOSP prints removals as
// "      Uninstall <package>"; MVT only knows vers=0). Today's changes are listed under
// "  Current package changes:" after "  Current start time: …" (MVT skips them; they
// are records here with an empty "to").
//
// Times: the item bounds are the device's wall clock. from and to keep MVT's form, the
// date only (YYYY-MM-DD); from_local and to_local (extra) the full wall-clock time;
// timestamp (extra) is from in UTC when the device zone (persist.sys.timezone) is
// known, else null, and clock says which. The timeline event is at timestamp, so it is
// left out when the zone is unknown.
//
// It corresponds to MVT's DumpsysBatteryDaily module ({action, from, to, package_name,
// vers}): identical (package, vers) lines of one day are merged (occurrences, extra);
// package name → app id at CRITICAL; uninstall (vers=0 or an Uninstall line) → MEDIUM;
// a version lower than the one seen on an earlier day → MEDIUM downgrade, with
// previous_vers. Items are read in chronological order for that (MVT sorts by the
// period start too).
package dumpsysbatterydaily

import (
	"cmp"
	"context"
	"slices"
	"strconv"
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
const Name = "dumpsys_battery_daily"

// Section is the bug report's batterystats section.
const Section = "@sections/dumpsys/batterystats"

// Actions.
const (
	ActionUpdate    = "update"
	ActionUninstall = "uninstall"
	ActionDowngrade = "downgrade"
)

// Module reads the daily package changes.
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
		Class:       "DumpsysBatteryDaily",
		Version:     1,
		Description: "Daily app updates and removals recorded by batterystats in a bug report",
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
	maxRecords = 200_000
)

// Parse reads the daily package changes, in the section's order, with actions set by
// a chronological pass.
func Parse(data []byte, loc *time.Location, clock string) []*Change {
	if clock == "" {
		clock = props.ClockUnknown
	}
	var out []*Change
	var from, to string
	in := false
	var day []*Change // the current item's changes, for merging duplicates
	for n, raw := range strings.Split(string(data), "\n") {
		if n >= maxLines || len(out) >= maxRecords {
			break
		}
		line := strings.TrimRight(raw, "\r")
		switch {
		case strings.HasPrefix(line, "  Current start time: "):
			from, to, in, day = strings.TrimSpace(line[22:]), "", true, nil
			continue
		case strings.HasPrefix(line, "  Daily from "):
			span := strings.TrimSuffix(strings.TrimSpace(line[13:]), ":")
			f, t, ok := strings.Cut(span, " to ")
			in, day = ok, nil
			from, to = f, t
			continue
		case line != "" && line[0] != ' ':
			in = false // the daily stats ended: another part of batterystats
			continue
		}
		if !in {
			continue
		}
		t := strings.TrimSpace(line)
		var c *Change
		if rest, ok := strings.CutPrefix(t, "Update "); ok {
			pkg, vers, _ := strings.Cut(rest, " ")
			_, v, ok := strings.Cut(vers, "=")
			if pkg == "" || !ok || v == "" {
				continue
			}
			c = &Change{Action: ActionUpdate, PackageName: safetext.EscapeInvalid(pkg), Vers: safetext.EscapeInvalid(strings.TrimSpace(v))}
		} else if rest, ok := strings.CutPrefix(t, "Uninstall "); ok {
			pkg := strings.TrimSpace(rest)
			if pkg == "" {
				continue
			}
			c = &Change{Action: ActionUninstall, PackageName: safetext.EscapeInvalid(pkg), Vers: "0"}
		} else {
			continue
		}
		if i := slices.IndexFunc(day, func(d *Change) bool {
			return d.PackageName == c.PackageName && d.Vers == c.Vers && d.Action == c.Action
		}); i >= 0 {
			day[i].Occurrences++
			continue
		}
		c.From, c.To = dateOnly(from), dateOnly(to)
		c.FromLocal, c.ToLocal = wallText(from), wallText(to)
		if w, ok := wall(from); ok {
			c.Timestamp = timefmt.Of(props.InZone(w, loc))
		}
		c.Clock = clock
		c.Occurrences = 1
		day = append(day, c)
		out = append(out, c)
	}
	detect(out)
	return out
}

// detect marks uninstalls and downgrades, reading the changes oldest first.
func detect(recs []*Change) {
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b *Change) int {
		return cmp.Or(cmp.Compare(a.FromLocal, b.FromLocal), cmp.Compare(a.ToLocal, b.ToLocal), cmp.Compare(a.PackageName, b.PackageName))
	})
	last := map[string]int64{}
	for _, r := range sorted {
		v, err := strconv.ParseInt(r.Vers, 10, 64)
		if r.Action == ActionUninstall || (err == nil && v == 0) {
			r.Action = ActionUninstall
			delete(last, r.PackageName)
			continue
		}
		if err != nil {
			continue
		}
		if prev, ok := last[r.PackageName]; ok && v < prev {
			r.Action = ActionDowngrade
			r.PreviousVers = strconv.FormatInt(prev, 10)
		}
		last[r.PackageName] = v
	}
}

// wall reads "2022-08-16-15-56-39".
func wall(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02-15-04-05", strings.TrimSpace(s))
	return t, err == nil
}

func wallText(s string) string {
	if t, ok := wall(s); ok {
		return t.Format("2006-01-02 15:04:05")
	}
	return safetext.EscapeInvalid(s)
}

func dateOnly(s string) string {
	if len(s) >= 10 {
		return safetext.EscapeInvalid(s[:10])
	}
	return safetext.EscapeInvalid(s)
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Change](data) }
