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
// (null when unknown). A metadata key named like one of these is overwritten by it.
type App struct {
	// Name is the app's key in Applications: its bundle identifier.
	Name string
	// Metadata is the decoded iTunesMetadata (nil when absent or unreadable); do not
	// change it.
	Metadata map[string]any
	// IconSHA256 is the hex SHA-256 of PlaceholderIcon ("" without one).
	IconSHA256 string
	// Isodate is the purchase date.
	Isodate timefmt.Time
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
	if item := a.text("itemName"); item != "" {
		s = fmt.Sprintf("%q (%s)", item, a.Name)
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
