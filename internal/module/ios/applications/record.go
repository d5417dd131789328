package applications

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// App is one installed app.
//
// JSON: every key of its iTunesMetadata (data as base64, dates as MVT time strings),
// then MVT's name, icon_sha256 (only when the app has a PlaceholderIcon) and isodate
// (null when unknown). On a file-system dump (Bundle set) follow bundle_path,
// executable, app_version, display_name, has_itunes_metadata, bundle_ids and, when the
// container holds an iTunesMetadata.plist, MVT's file_path (see [Bundle]). A metadata
// key named like one of these is overwritten by it.
type App struct {
	// Name is the app's bundle identifier: its key in Applications on a backup; on a
	// dump the container's MCMMetadataIdentifier, else the app's CFBundleIdentifier,
	// else the metadata's softwareVersionBundleId.
	Name string
	// Metadata is the decoded iTunesMetadata (nil when absent or unreadable); do not
	// change it.
	Metadata map[string]any
	// IconSHA256 is the hex SHA-256 of PlaceholderIcon ("" without one).
	IconSHA256 string
	// Isodate is the purchase date.
	Isodate timefmt.Time
	// Bundle describes the app's bundle container on a file-system dump; nil on a
	// backup.
	Bundle *Bundle
}

// Bundle is what a file-system dump shows of an app's bundle container
// (/private/var/containers/Bundle/Application/<UUID>). Paths are device paths with a
// leading slash; texts are "" when unknown.
type Bundle struct {
	// Path is the container folder (bundle_path).
	Path string
	// Executable is the main binary, <Path>/<Name>.app/<CFBundleExecutable>
	// (executable; "" when Info.plist does not name a usable one).
	Executable string
	// Version is CFBundleShortVersionString, else CFBundleVersion (app_version).
	Version string
	// DisplayName is CFBundleDisplayName, else CFBundleName (display_name).
	DisplayName string
	// MetadataPath is the iTunesMetadata.plist of the container, "" when it has none
	// (file_path, MVT's key on dumps; has_itunes_metadata says whether it is set).
	MetadataPath string
	// IDs are the bundle identifiers the container's files give, in the order
	// MCMMetadataIdentifier, CFBundleIdentifier, without repeats (bundle_ids).
	IDs []string
}

func (a *App) text(key string) string {
	return safetext.EscapeInvalid(plistx.String(a.Metadata, key))
}

// BundleID returns softwareVersionBundleId ("" when absent).
func (a *App) BundleID() string { return a.text("softwareVersionBundleId") }

// SourceApp returns sourceApp and whether the metadata has one.
func (a *App) SourceApp() (string, bool) {
	v, ok := a.Metadata["sourceApp"]
	if !ok {
		return "", false
	}
	s, _ := v.(string)
	return safetext.EscapeInvalid(s), true
}

// label names the app in messages: "Phone Diagnostics (com.example.diag) by Device
// Services Ltd".
func (a *App) label() string {
	s := a.Name
	item := a.text("itemName")
	if item == "" && a.Bundle != nil {
		item = a.Bundle.DisplayName
	}
	switch {
	case item != "" && (a.Name != "" || a.Bundle == nil):
		s = fmt.Sprintf("%q (%s)", item, a.Name)
	case item != "":
		s = fmt.Sprintf("%q", item)
	case s == "" && a.Bundle != nil:
		s = "in " + a.Bundle.Path
	}
	if artist := a.text("artistName"); artist != "" {
		s += " by " + artist
	}
	return s
}

// MarshalJSON writes the record (see [App]).
func (a *App) MarshalJSON() ([]byte, error) {
	m, _ := plistx.JSONValue(a.Metadata).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	m["name"] = a.Name
	if a.IconSHA256 != "" {
		m["icon_sha256"] = a.IconSHA256
	} else {
		delete(m, "icon_sha256")
	}
	m["isodate"] = a.Isodate
	if b := a.Bundle; b != nil {
		m["bundle_path"] = b.Path
		m["executable"] = b.Executable
		m["app_version"] = b.Version
		m["display_name"] = b.DisplayName
		m["has_itunes_metadata"] = b.MetadataPath != ""
		ids := b.IDs
		if ids == nil {
			ids = []string{}
		}
		m["bundle_ids"] = ids
		if b.MetadataPath != "" {
			m["file_path"] = b.MetadataPath
		} else {
			delete(m, "file_path")
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Timeline implements module.Timeliner: app_installed at the purchase date, worded as
// MVT words it.
func (a *App) Timeline() []module.Event {
	if a.Isodate.IsZero() {
		return nil
	}
	source, ok := a.SourceApp()
	if !ok {
		source = "an unrecorded source (the App Store)"
	}
	return []module.Event{{
		Time:  a.Isodate.Time,
		Event: "app_installed",
		Data: fmt.Sprintf("App %s version %s from %s installed from %s",
			a.Name, a.text("bundleShortVersionString"), a.text("artistName"), source),
	}}
}
