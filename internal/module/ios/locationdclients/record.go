package locationdclients

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one location client.
//
// JSON: every key of the client's dictionary (data as base64, dates among TimeKeys as
// MVT time strings, null when unreadable), then MVT's package and spytrace's
// client_key (Key) and source_file. A client key named like one of these is
// overwritten by it.
type Record struct {
	// Key is the top-level key as stored; Package is Key without trailing colons.
	Key, Package string
	// Client is the client's dictionary as decoded (plist values); do not change it.
	Client map[string]any
	// Times holds the dates among TimeKeys that the client has (zero when the value is
	// 0, implausible or of the wrong type).
	Times map[string]timefmt.Time
	// LocationTimeStopped is Times["LocationTimeStopped"]: when the client last stopped
	// receiving location updates.
	LocationTimeStopped timefmt.Time
	// SourceFile is the plist the record comes from.
	SourceFile string
}

// text returns the client's value of key when it is a string.
func (r *Record) text(key string) string {
	return safetext.EscapeInvalid(plistx.String(r.Client, key))
}

// BundleID returns the client's BundleId, or "".
func (r *Record) BundleID() string { return r.text("BundleId") }

// Latest returns the most recent of the client's dates (zero when it has none).
func (r *Record) Latest() timefmt.Time {
	var latest timefmt.Time
	for _, t := range r.Times {
		if t.After(latest.Time) {
			latest = t
		}
	}
	return latest
}

// MarshalJSON writes the record (see [Record]).
func (r *Record) MarshalJSON() ([]byte, error) {
	m, _ := plistx.JSONValue(r.Client).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	for k, t := range r.Times {
		m[k] = t
	}
	m["package"] = r.Package
	m["client_key"] = r.Key
	m["source_file"] = r.SourceFile
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Timeline implements module.Timeliner: one event per date the client has, named after
// its key as MVT names them ("LocationTimeStopped from com.apple.Maps").
func (r *Record) Timeline() []module.Event {
	var evs []module.Event
	for _, k := range TimeKeys {
		t, ok := r.Times[k]
		if !ok || t.IsZero() {
			continue
		}
		evs = append(evs, module.Event{Time: t.Time, Event: k, Data: k + " from " + r.Package})
	}
	return evs
}

// processNames returns the names checked against process indicators: the last path
// component of the package (MVT), the same for the package without the one-letter
// prefix of iOS 17 keys ("icom.apple.Maps:"), and BundleId, without repeats.
func (r *Record) processNames() []string {
	var names []string
	add := func(s string) {
		if s != "" && !contains(names, s) {
			names = append(names, s)
		}
	}
	add(lastPart(r.Package))
	if strings.HasSuffix(r.Key, ":") && strings.HasPrefix(r.Package, "i") && len(r.Package) > 1 {
		add(lastPart(r.Package[1:]))
	}
	add(r.BundleID())
	return names
}

// filePaths returns the paths checked against file indicators: BundlePath, Executable,
// Registered when it is a string, and the path of a bundle or executable key, without
// repeats.
func (r *Record) filePaths() []string {
	var paths []string
	add := func(s string) {
		if s != "" && !contains(paths, s) {
			paths = append(paths, s)
		}
	}
	add(r.text("BundlePath"))
	add(r.text("Executable"))
	add(r.text("Registered"))
	if i := strings.Index(r.Package, "-/"); i >= 0 {
		add(r.Package[i+1:])
	}
	return paths
}

func lastPart(s string) string {
	s = strings.TrimRight(s, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
