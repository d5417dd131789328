// Package globalpreferences reads the phone's global preferences, the settings that
// apply to every app (language, region, keyboard, and whether Lockdown Mode is on).
//
// The artifact is a property list (binary, sometimes XML): in a backup
// HomeDomain/Library/Preferences/.GlobalPreferences.plist, on the phone
// /private/var/mobile/Library/Preferences/.GlobalPreferences.plist. It is a dictionary
// of setting names to values; the file has kept that shape in every iOS version, and
// the keys vary with the version and the phone's use. It holds no time of its own:
// dates found among the values are plist dates (seconds since 2001-01-01 UTC), written
// as MVT time strings.
//
// Lockdown Mode (iOS 16 and later) is recorded under LDMGlobalEnabled: true while it is
// on; false once it has been turned off again; absent on a phone where it was never
// turned on.
//
// It corresponds to MVT's GlobalPreferences module: one record per key, {entry, value}.
// Unlike MVT, records are sorted by key (MVT follows the file's order, which changes
// when iOS rewrites the file), data values are written as base64 and dates as MVT time
// strings instead of failing or depending on Python's str(), and the Lockdown Mode
// alert carries the record it is about.
package globalpreferences

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
)

// Name is the module's slug.
const Name = "global_preferences"

// Path is the artifact in an iOS backup.
const Path = "HomeDomain/Library/Preferences/.GlobalPreferences.plist"

// Module reads .GlobalPreferences.plist.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module     = (*Module)(nil)
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "GlobalPreferences",
		Version:     1,
		Description: "Global preferences of the phone (.GlobalPreferences.plist), including whether Lockdown Mode is on",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error {
		data, err := in.ReadFile(name)
		if err != nil {
			return err
		}
		recs, err := parse(data)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		for i, rec := range recs {
			if i%1000 == 999 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := out.Record(rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// parse decodes the preferences into one record per key, sorted by key.
func parse(data []byte) ([]*Preference, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, err
	}
	prefs, ok := plistx.AsMap(v)
	if !ok {
		return nil, fmt.Errorf("top level is %T, want a dictionary", v)
	}
	recs := make([]*Preference, 0, len(prefs))
	for k, v := range prefs {
		recs = append(recs, &Preference{Entry: safetext.EscapeInvalid(k), Value: plistx.JSONValue(v)})
	}
	slices.SortFunc(recs, func(a, b *Preference) int { return strings.Compare(a.Entry, b.Entry) })
	return recs, nil
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return checker{} }

// DecodeRecord implements module.Reloadable. Values keep their JSON type, numbers as
// json.Number so that they are written back digit for digit. MVT's records have the
// same keys (entry, value).
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Preference](data) }
