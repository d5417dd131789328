// Package dumpsyspackages reads the list of installed packages of an Android bug
// report: the "Packages:" block of the `dumpsys package` section
// (@sections/dumpsys/package; on the device, the output of `dumpsys package`). It also
// holds the parsers of the section's other blocks that sibling modules use
// ([ParseResolverTable] for dumpsys_activities and dumpsys_receivers) and that
// androidqf's dumpsys.txt can reuse: every parser takes the section's bytes.
//
// Each "Package [name] (hash):" entry gives the app id (userId=, appId= on recent
// versions), versionCode (with minSdk and targetSdk on the same line), versionName,
// codePath, timeStamp, firstInstallTime and lastUpdateTime, installerPackageName (and,
// from Android 11, initiatingPackageName), pkgFlags (SYSTEM marks a system app), and
// the lists "declared permissions:", "requested permissions:", "install permissions:"
// and, inside each "User N:" block, "runtime permissions:" (and, from Android 11, the
// user's firstInstallTime). Runtime permissions and the per-user install time are read
// for user 0 only, as MVT does. Indentation differs between Android versions: lists
// are read by indentation relative to their header, not at fixed widths.
//
// Times: the three dates are the device's wall clock without a zone ("2024-01-02
// 03:04:05"). They are kept as written in the *_local keys and converted to UTC with
// persist.sys.timezone from the bug report's system properties
// (@sections/system_properties) when it is present and loads; otherwise the UTC keys are
// null, clock says "device local, zone unknown", and the package is not on the timeline.
//
// It corresponds to MVT's DumpsysPackages module (same slug, keys and timeline events).
// Differences: times are honest about their zone (MVT writes the wall clock as if it
// were UTC); version_code is the number alone; the rooting-app check and the indicator
// check both run (MVT skips the indicator lookup of a rooting app); the end of the block
// is the next unindented line rather than the first blank line; and, beyond MVT, apps
// installed outside an app store are reported as aqf_packages does for androidqf, and
// apps granted many dangerous permissions are a LOW alert (MVT only logs them).
package dumpsyspackages

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/heuristics"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "dumpsys_packages"

// Section is the bug report's virtual file of the `dumpsys package` section.
const Section = "@sections/dumpsys/package"

// Module reads the package list.
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
		Class:       "DumpsysPackages",
		Version:     1,
		Description: "Installed packages, their installer, install dates and permissions (dumpsys package)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section, props.SystemPropertiesSection},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, Section) {
		return module.ErrNotFound
	}
	data, err := in.ReadFile(Section)
	if err != nil {
		return fmt.Errorf("read %q: %w", Section, err)
	}
	loc, clock := deviceClock(in)
	pkgs := ParsePackages(data)
	recs := make([]*Record, 0, len(pkgs))
	for _, p := range pkgs {
		recs = append(recs, NewRecord(p, loc, clock))
	}
	return module.Emit(ctx, out, recs)
}

// deviceClock reads the device zone from the system properties, when the bug report
// has them.
func deviceClock(in *module.Input) (*time.Location, string) {
	if !slices.Contains(in.Files, props.SystemPropertiesSection) {
		return nil, props.ClockUnknown
	}
	data, err := in.ReadFile(props.SystemPropertiesSection)
	if err != nil {
		in.Log.Warn("system properties unreadable; package times are kept in the device's clock", "err", err)
		return nil, props.ClockUnknown
	}
	return props.DeviceClock(data)
}

// NewRecord builds the record of a parsed package, converting its times with loc (nil
// when the zone is unknown; clock names it).
func NewRecord(p Package, loc *time.Location, clock string) *Record {
	r := &Record{
		PackageName:           p.Name,
		UID:                   p.UID,
		VersionName:           p.VersionName,
		VersionCode:           p.VersionCode,
		Timestamp:             toUTC(p.TimeStamp, loc),
		FirstInstallTime:      toUTC(p.FirstInstallTime, loc),
		LastUpdateTime:        toUTC(p.LastUpdateTime, loc),
		System:                p.System,
		Permissions:           p.Permissions,
		RequestedPermissions:  p.Requested,
		TimestampLocal:        p.TimeStamp,
		FirstInstallTimeLocal: p.FirstInstallTime,
		LastUpdateTimeLocal:   p.LastUpdateTime,
		Clock:                 clock,
		InitiatingPackageName: p.InitiatingBy,
		CodePath:              p.CodePath,
		MinSDK:                p.MinSDK,
		TargetSDK:             p.TargetSDK,
	}
	if p.Installer != nil && *p.Installer != "" && *p.Installer != "null" {
		r.Installer = p.Installer
	}
	if r.Permissions == nil {
		r.Permissions = []Permission{}
	}
	if r.RequestedPermissions == nil {
		r.RequestedPermissions = []string{}
	}
	r.InstallSource = heuristics.InstallSource(r.installer(), r.System)
	return r
}

func (r *Record) installer() string {
	if r.Installer == nil {
		return ""
	}
	return *r.Installer
}

func toUTC(local string, loc *time.Location) timefmt.Time {
	if loc == nil {
		return timefmt.Time{}
	}
	wall, ok := ParseLocal(local)
	if !ok {
		return timefmt.Time{}
	}
	t := props.InZone(wall, loc)
	if !timefmt.Valid(t) {
		return timefmt.Time{}
	}
	return timefmt.Of(t)
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env, rooted: map[string]bool{}}
}

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
