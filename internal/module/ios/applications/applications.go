// Package applications lists the apps of an iOS backup or file-system dump with what
// the App Store recorded about each: name, developer, version, purchase date and the
// installer.
//
// # Backups
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
// # File-system dumps
//
// On a dump (acquisition kind ios-fs; device paths, read in the device namespace
// without the leading slash) every installed app has a bundle container,
// /private/var/containers/Bundle/Application/<UUID>/, and the module reads three
// files of each: iTunesMetadata.plist (the same property list, binary or XML, that a
// backup's Info.plist carries as data; absent for apps the App Store did not install),
// .com.apple.mobile_container_manager.metadata.plist (MCMMetadataIdentifier: the
// bundle identifier) and <Name>.app/Info.plist (CFBundleIdentifier,
// CFBundleShortVersionString, CFBundleVersion, CFBundleDisplayName, CFBundleName,
// CFBundleExecutable). The kind of the acquisition decides which artifact is read: a
// backup's Info.plist is never looked for on a dump, nor device paths on a backup.
//
// One record per container, sorted by bundle identifier, then container path, with
// the backup's keys (icon_sha256 excepted: a dump has no PlaceholderIcon) and, for
// dumps only: bundle_path (the container), executable (the main binary,
// <container>/<Name>.app/<CFBundleExecutable>, "" when Info.plist names none or names
// something that is not a file name), app_version (CFBundleShortVersionString, else
// CFBundleVersion), display_name (CFBundleDisplayName, else CFBundleName),
// has_itunes_metadata, bundle_ids (the identifiers the container's files give:
// MCMMetadataIdentifier, CFBundleIdentifier), and file_path (MVT's key on dumps: the
// iTunesMetadata.plist, as a device path; absent without one). All paths are device
// paths with a leading slash. name is MCMMetadataIdentifier, else CFBundleIdentifier,
// else softwareVersionBundleId ("" when none is readable). The purchase date is the only
// date, as on a backup; file times are not used. A container with several .app
// bundles is read from the first (a problem names the others); a file that cannot be
// read or decoded is a problem and leaves its part of the record empty; only when no
// file at all could be read does the module fail. At most 10,000 containers are read
// (a problem counts the rest).
//
// MVT's Applications module reads only iTunesMetadata.plist on dumps, so it lists no
// app installed outside the App Store, gives records without name and stops on a
// malformed plist. Here every container gives a record, and the checks are the
// backup's plus: every bundle identifier the container's files give is checked
// against process and app-id indicators (CRITICAL); the main binary's path against
// file-path and file-name indicators, else its name against process indicators (HIGH,
// as the filesystem module rates the same path); and the heuristic
// applications/no-store-metadata (LOW) reports a container without
// iTunesMetadata.plist, unless its bundle identifier starts with "com.apple." (Apple's
// own deletable apps live in this folder on some iOS versions).
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
	_ module.Module     = (*Module)(nil)
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "Applications",
		Version:     2,
		Description: "Installed apps with their App Store metadata: developer, version, purchase date, installer (backup Info.plist; a dump's app bundle containers)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths: []string{
			iosbackup.InfoPlist,
			BundleRoot + "/*/" + MetadataFile,
			BundleRoot + "/*/*.app/Info.plist",
			BundleRoot + "/*/" + ContainerMetadataFile,
		},
	}
}

// Run implements module.Module: the backup's Info.plist, or a dump's bundle containers.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if in.FS != nil && in.FS.Kind() == acquire.IOSFilesystem {
		return runDump(ctx, in, out)
	}
	backup := *in
	backup.Files = slices.DeleteFunc(slices.Clone(in.Files), func(name string) bool { return name != iosbackup.InfoPlist })
	if len(backup.Files) == 0 {
		return module.ErrNotFound
	}
	return module.EachParsed(ctx, &backup, out, func(_ string, data []byte) ([]*App, []string, error) { return parse(data) })
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
		m, bad := decodeMetadata(md)
		if bad != "" {
			return app, bad
		}
		app.Metadata = m
	default:
		return app, fmt.Sprintf("iTunesMetadata is %s, want data", kindOf(md))
	}
	app.Isodate = timefmt.Of(purchaseDate(app.Metadata))
	return app, ""
}

// decodeMetadata decodes an iTunesMetadata property list. bad says why it could not.
func decodeMetadata(data []byte) (m map[string]any, bad string) {
	dv, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, fmt.Sprintf("iTunesMetadata cannot be decoded: %v", err)
	}
	m, ok := plistx.AsMap(dv)
	if !ok {
		return nil, fmt.Sprintf("iTunesMetadata holds %s, want a dictionary", kindOf(dv))
	}
	return m, ""
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

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[App](data) }
