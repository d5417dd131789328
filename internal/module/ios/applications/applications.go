// Package applications lists the apps of an iOS backup with what the App Store
// recorded about each: name, developer, version, purchase date and the installer.
//
// The artifact is the backup's root Info.plist (written by iTunes, Finder or
// idevicebackup2; not a backed-up file, so it has no domain or device path), key
// Applications: a dictionary of bundle identifier → {iTunesMetadata, PlaceholderIcon,
// ApplicationSINF}. iTunesMetadata is the app's iTunesMetadata.plist
// (/private/var/containers/Bundle/Application/<UUID>/iTunesMetadata.plist on the
// phone) as data holding a binary or XML property list (a dictionary in place of the
// data is accepted too); PlaceholderIcon is a PNG. Purchase dates are ISO 8601 text in
// UTC ("2021-03-04T10:11:12Z"; plist dates are accepted too), read from
// com.apple.iTunesStore.downloadInfo → purchaseDate, else from the top-level
// purchaseDate.
//
// It corresponds to MVT's Applications module: one record per app with every
// iTunesMetadata key, name (the bundle identifier), icon_sha256 (SHA-256 of
// PlaceholderIcon) and isodate (the purchase date). Fixing MVT: an app without
// iTunesMetadata, or with metadata that cannot be decoded, gives a record (and a
// problem for undecodable metadata) instead of stopping the module; the purchase date
// is read as UTC (MVT reads the "Z" time as the analyst's local time); the top-level
// purchaseDate is used when downloadInfo has none; records are sorted by bundle
// identifier; the bundle identifier key is checked against indicators too when
// softwareVersionBundleId is missing or differs; and the installer heuristic runs on
// every app (MVT skips it on apps matched by an indicator and crashes on apps without
// softwareVersionBundleId). MVT's alert for metadata without softwareVersionBundleId,
// raised only when indicators are loaded, is dropped: it depends on an unrelated
// condition, names no app, and the question it asks (did the metadata come from the
// App Store?) is the installer heuristic's.
//
// # Installers (sourceApp)
//
// The installer heuristics classify iTunesMetadata's sourceApp, the bundle identifier
// of what asked iOS to install the app. Confirmed from MVT's code and issues: a
// missing sourceApp (older iOS versions), com.apple.AppStore and
// com.apple.AppStore.ProductPageExtension (the store sheet shown inside another app,
// MVT issue #383) are the App Store; com.apple.dmd and dmd are device management
// (MDM). These raise nothing, as in MVT. com.apple.TestFlight is Apple's beta-testing
// app (its bundle identifier); com.apple.datausage.atc was reported on App Store
// purchases (MVT issue #495) and appears to be the sync service (AirTraffic) that
// copies apps from a computer: both raise a LOW alert explaining them. Alternative
// marketplaces, allowed in the European Union since iOS 17.4, are recognised by their
// developer's identifier prefix, since the exact sourceApp they leave could not be
// confirmed from public sources: com.rileytestut.AltStore (AltStore PAL; the prefix is
// AltStore's own bundle identifier in its source code), com.epicgames. (Epic Games
// Store), com.setapp. (Setapp Mobile), com.aptoide. (Aptoide) and com.mobivention.
// (Mobivention): they raise a LOW alert naming the marketplace. A forged sourceApp
// could claim one of these, but one that claims the App Store (or none) would pass
// MVT's check as well. Web distribution, Apple Configurator and iMessage app installs
// could not be confirmed and fall under the MEDIUM heuristic like any other installer.
package applications

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "applications"

// Module reads the apps listed in Info.plist.
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
		Class:       "Applications",
		Version:     1,
		Description: "Installed apps with their App Store metadata: developer, version, purchase date, installer (Info.plist)",
		Kinds:       []acquire.Kind{acquire.IOSBackup},
		Paths:       []string{iosbackup.InfoPlist},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(_ string, data []byte) ([]*App, []string, error) { return parse(data) })
}

// parse decodes Info.plist into one record per app, sorted by bundle identifier, and
// describes the apps it could only partly read.
func parse(data []byte) ([]*App, []string, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, nil, err
	}
	top, ok := plistx.AsMap(v)
	if !ok {
		return nil, nil, fmt.Errorf("top level is %s, want a dictionary", kindOf(v))
	}
	raw, present := top["Applications"]
	if !present {
		return nil, nil, nil
	}
	list, ok := plistx.AsMap(raw)
	if !ok {
		return nil, nil, fmt.Errorf("Applications is %s, want a dictionary", kindOf(raw))
	}
	ids := make([]string, 0, len(list))
	for id := range list {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var apps []*App
	var problems []string
	for _, id := range ids {
		app, bad := parseApp(id, list[id])
		apps = append(apps, app)
		if bad != "" {
			problems = append(problems, fmt.Sprintf("app %q: %s", app.Name, bad))
		}
	}
	return apps, problems, nil
}

// parseApp reads one entry of Applications. bad says what could not be read.
func parseApp(id string, v any) (app *App, bad string) {
	app = &App{Name: safetext.EscapeInvalid(id)}
	entry, ok := plistx.AsMap(v)
	if !ok {
		return app, fmt.Sprintf("entry is %s, want a dictionary", kindOf(v))
	}
	if icon, ok := entry["PlaceholderIcon"].([]byte); ok {
		sum := sha256.Sum256(icon)
		app.IconSHA256 = hex.EncodeToString(sum[:])
	}
	switch md := entry["iTunesMetadata"].(type) {
	case nil:
		return app, ""
	case map[string]any:
		app.Metadata = md
	case []byte:
		dv, err := plistx.Decode(md, plistx.Limits{})
		if err != nil {
			return app, fmt.Sprintf("iTunesMetadata cannot be decoded: %v", err)
		}
		m, ok := plistx.AsMap(dv)
		if !ok {
			return app, fmt.Sprintf("iTunesMetadata holds %s, want a dictionary", kindOf(dv))
		}
		app.Metadata = m
	default:
		return app, fmt.Sprintf("iTunesMetadata is %s, want data", kindOf(md))
	}
	app.Isodate = timefmt.Of(purchaseDate(app.Metadata))
	return app, ""
}

// purchaseDate reads com.apple.iTunesStore.downloadInfo → purchaseDate, else the
// top-level purchaseDate: ISO 8601 text in UTC, or a plist date.
func purchaseDate(md map[string]any) time.Time {
	if info, ok := plistx.AsMap(md["com.apple.iTunesStore.downloadInfo"]); ok {
		if t, ok := dateValue(info["purchaseDate"]); ok {
			return t
		}
	}
	t, _ := dateValue(md["purchaseDate"])
	return t
}

func dateValue(v any) (time.Time, bool) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339, x); err != nil {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	if !timefmt.Valid(t) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// kindOf names the plist type of a decoded value, for messages.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a dictionary"
	case []any:
		return "an array"
	case string:
		return "a string"
	case int64, uint64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []byte:
		return "data"
	case time.Time:
		return "a date"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }
