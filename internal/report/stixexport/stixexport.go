// Package stixexport writes the indicator matches of a results folder as a STIX 2.1
// bundle of sightings, for threat-intelligence platforms (OpenCTI, MISP) that record
// where the indicators they hold were seen.
//
// References are to STIX Version 2.1, OASIS Standard, 10 June 2021
// (https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html).
//
// The bundle (section 8: type "bundle", an id, the objects; a 2.1 bundle has no
// spec_version) holds, in this order:
//
//   - an identity for spytrace (section 4.5; identity_class "system"), the
//     created_by_ref of the objects spytrace makes. It is the same object in every
//     export, fixed date included, so that platforms keep one spytrace identity;
//   - an identity for the examined device, the place where the indicators were seen
//     (the where_sighted_refs of section 5.2). Its identity_class is "system" from
//     identity-class-ov (section 10): the phone is a computer system, and "individual"
//     would assert something about a person that spytrace does not know. Its name is
//     [Options.Name] or "<model> examined on <date>" (ProductType of an iOS backup, the
//     brand and device of an Android build fingerprint, else "phone"). The device name,
//     serial number, UDID and target path are left out on purpose: they name or
//     track the phone's owner, and a bundle is made to be shared;
//   - per distinct matched indicator, in the order of alerts.json, an indicator
//     (section 4.7: pattern, pattern_type "stix", pattern_version "2.1", valid_from)
//     and a sighting of it (section 5.2:
//     sighting_of_ref the indicator, where_sighted_refs the device, count the
//     number of alerts, first_seen and last_seen the earliest and latest event times
//     of those alerts when known, a description naming the modules).
//
// Only the matched values and module names leave the machine: never a record, an
// alert message, a message body or a contact, because an export travels further than
// a report.
//
// Indicators. An alert's matched_indicator carries the STIX id of the indicator object
// it came from; a valid one is reused, so that a platform that imported the same
// feed links the sighting to the indicator it holds. All values matched under one id
// go into one pattern, joined by OR. Without an id (or with one that is not a STIX
// identifier) an indicator is made for the value. The pattern is rebuilt from the type
// and value in STIX patterning (section 9), e.g. [domain-name:value = 'evil.example'],
// with ' and \ escaped in the string literal; it names the same object keys spytrace
// reads (package ioc), MVT's custom ones (app:id, configuration-profile:id…) included.
// A type with no such key is left out and counted in [Stats.Unexportable]. A reused
// id's object is a copy that holds the matched values only; its created and
// modified are the run's date, as spytrace cannot know the original's. valid_from is
// the run's date, or the first sighting's time when that is earlier.
//
// Identifiers and times. Ids are "<type>--<UUID>" (section 2.9). Section 2.9 asks
// for UUIDv4 and allows other versions when the producer takes care of collisions;
// spytrace uses UUIDv5 (RFC 9562, SHA-1 name-based) in its own namespace [Namespace]
// (not the cyber-observable namespace the section reserves), over the object's type
// and the content that identifies it: the run (tool, command, target path, date of
// info.json), the device's name, the indicator. The same results folder therefore
// always gives the same bundle, byte for byte, and the objects made for one run never
// share an id with another run's (spytrace's identity and reused feed ids aside). Every
// timestamp is RFC 3339 in UTC with millisecond precision and "Z" (sections 2.15 and
// 3.2); created and modified are info.json's date.
package stixexport

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Namespace is the UUIDv5 namespace of spytrace's STIX identifiers.
const Namespace = "f27b1f80-4801-435a-b6f8-061c238c7aeb"

// TimeLayout is the layout of every STIX timestamp written: UTC, milliseconds, "Z".
const TimeLayout = "2006-01-02T15:04:05.000Z"

// toolCreated is the fixed created and modified time of spytrace's identity: the
// object must be the same in every export.
const toolCreated = "2024-01-01T00:00:00.000Z"

// maxCount is the largest sighting count section 5.2 allows.
const maxCount = 999_999_999

// Options configures Write.
type Options struct {
	// Name names the examined device's identity; "" derives "<model> examined on
	// <date>" from info.json.
	Name string
}

// Stats says what Write put in the bundle.
type Stats struct {
	Indicators int // indicator objects (one sighting each)
	Sightings  int
	// Matches counts the alerts with a matched indicator that the sightings count.
	Matches int
	// Unexportable counts the alerts whose matched indicator has a type (or a value)
	// that STIX patterning cannot express; they are left out.
	Unexportable int
}

// ErrNoDate is returned for a results folder whose info.json has no usable date.
var ErrNoDate = errors.New("info.json has no usable date")

// Objects, with their properties in the order written.
type (
	identity struct {
		Type          string `json:"type"`
		SpecVersion   string `json:"spec_version"`
		ID            string `json:"id"`
		CreatedByRef  string `json:"created_by_ref,omitempty"`
		Created       string `json:"created"`
		Modified      string `json:"modified"`
		Name          string `json:"name"`
		Description   string `json:"description,omitempty"`
		IdentityClass string `json:"identity_class"`
	}
	indicator struct {
		Type           string `json:"type"`
		SpecVersion    string `json:"spec_version"`
		ID             string `json:"id"`
		CreatedByRef   string `json:"created_by_ref,omitempty"`
		Created        string `json:"created"`
		Modified       string `json:"modified"`
		Name           string `json:"name"`
		Description    string `json:"description,omitempty"`
		Pattern        string `json:"pattern"`
		PatternType    string `json:"pattern_type"`
		PatternVersion string `json:"pattern_version"`
		ValidFrom      string `json:"valid_from"`
	}
	sighting struct {
		Type             string   `json:"type"`
		SpecVersion      string   `json:"spec_version"`
		ID               string   `json:"id"`
		CreatedByRef     string   `json:"created_by_ref"`
		Created          string   `json:"created"`
		Modified         string   `json:"modified"`
		Description      string   `json:"description"`
		FirstSeen        string   `json:"first_seen,omitempty"`
		LastSeen         string   `json:"last_seen,omitempty"`
		Count            int      `json:"count"`
		SightingOfRef    string   `json:"sighting_of_ref"`
		WhereSightedRefs []string `json:"where_sighted_refs"`
	}
	bundle struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Objects []any  `json:"objects"`
	}
)

// match gathers the alerts of one indicator object.
type match struct {
	feedID     string   // the feed's indicator id, "" when made by spytrace
	values     []string // observation expressions, in order of first match
	first      string   // the first value matched, for the name
	collection string
	file       string
	count      int
	firstSeen  time.Time
	lastSeen   time.Time
	modules    []string
}

// Write writes the STIX 2.1 bundle of the indicator matches of f to w. A folder
// without indicator matches gives a bundle that holds the two identities and no
// sighting ([Stats.Sightings] 0).
func Write(w io.Writer, f *results.Folder, opts Options) (Stats, error) {
	var st Stats
	date, err := timefmt.Parse(f.Info.Date)
	if err != nil || date.IsZero() || !writable(date) {
		return st, fmt.Errorf("export the results folder %q as STIX: %w (%q)", f.Dir, ErrNoDate, safetext.Truncate(f.Info.Date, 64))
	}
	created := stixTime(date)
	name := opts.Name
	if name == "" {
		name = deviceName(f.Info, date)
	}
	name = text(name, 256)
	run := strings.Join([]string{f.Info.Tool, f.Info.Command, f.Info.TargetPath, f.Info.Date}, "\x00")

	tool := identity{
		Type: "identity", SpecVersion: "2.1", ID: id("identity", "spytrace"),
		Created: toolCreated, Modified: toolCreated, Name: "spytrace",
		Description:   "spytrace finds traces of mercenary spyware and stalkerware in phone acquisitions.",
		IdentityClass: "system",
	}
	device := identity{
		Type: "identity", SpecVersion: "2.1", ID: id("identity", "device", run, name),
		CreatedByRef: tool.ID, Created: created, Modified: created, Name: name,
		Description:   deviceDescription(f.Info),
		IdentityClass: "system",
	}
	objects := []any{tool, device}

	matches, order := map[string]*match{}, []string(nil)
	for i := range f.Alerts {
		a := &f.Alerts[i]
		ind := a.Indicator
		if ind == nil || ind.Value == "" {
			continue
		}
		obs, ok := observation(ind.Type, ind.Value)
		if !ok {
			st.Unexportable++
			continue
		}
		st.Matches++
		key := "value\x00" + ind.Type + "\x00" + ind.Value
		feedID := ""
		if validID("indicator", ind.ID) {
			key, feedID = "id\x00"+ind.ID, ind.ID
		}
		m := matches[key]
		if m == nil {
			m = &match{feedID: feedID, first: ind.Value, collection: ind.Name, file: ind.STIX2FileName}
			matches[key] = m
			order = append(order, key)
		}
		if !slices.Contains(m.values, obs) {
			m.values = append(m.values, obs)
		}
		m.count++
		if t := a.Time(); !t.IsZero() && writable(t) {
			if m.firstSeen.IsZero() || t.Before(m.firstSeen) {
				m.firstSeen = t
			}
			if t.After(m.lastSeen) {
				m.lastSeen = t
			}
		}
		if mod := text(a.Module, 128); mod != "" && !slices.Contains(m.modules, mod) {
			m.modules = append(m.modules, mod)
		}
	}

	for _, key := range order {
		m := matches[key]
		ind := indicator{
			Type: "indicator", SpecVersion: "2.1", ID: m.feedID,
			Created: created, Modified: created,
			Name:        text(m.first, 256),
			Description: indicatorDescription(m),
			Pattern:     strings.Join(m.values, " OR "),
			PatternType: "stix", PatternVersion: "2.1", ValidFrom: created,
		}
		if !m.firstSeen.IsZero() && m.firstSeen.Before(date) {
			ind.ValidFrom = stixTime(m.firstSeen) // valid since the device saw it, at the latest
		}
		if ind.ID == "" {
			ind.ID = id("indicator", run, key)
			ind.CreatedByRef = tool.ID
		}
		if n := len(m.values); n > 1 {
			ind.Name += fmt.Sprintf(" and %d more", n-1)
		}
		s := sighting{
			Type: "sighting", SpecVersion: "2.1", ID: id("sighting", run, name, ind.ID),
			CreatedByRef: tool.ID, Created: created, Modified: created,
			Description:      sightingDescription(m),
			Count:            min(m.count, maxCount),
			SightingOfRef:    ind.ID,
			WhereSightedRefs: []string{device.ID},
		}
		if !m.firstSeen.IsZero() {
			s.FirstSeen, s.LastSeen = stixTime(m.firstSeen), stixTime(m.lastSeen)
		}
		objects = append(objects, ind, s)
		st.Indicators++
		st.Sightings++
	}

	b := bundle{Type: "bundle", ID: id("bundle", run, name), Objects: objects}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(b); err != nil {
		return st, fmt.Errorf("encode the STIX bundle of %q: %w", f.Dir, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return st, fmt.Errorf("write the STIX bundle of %q: %w", f.Dir, err)
	}
	return st, nil
}

// observation returns the STIX observation expression "[key = 'value']" of an
// indicator of the given type (matched_indicator.type, an ioc.Kind), and false when
// STIX patterning has no key for it.
func observation(typ, value string) (string, bool) {
	var key string
	switch ioc.Kind(typ) {
	case ioc.Domain:
		key = "domain-name:value"
	case ioc.URL:
		key = "url:value"
	case ioc.IP:
		key = "ipv4-addr:value" // an address or a CIDR network, as package ioc keeps them
		if strings.Contains(value, ":") {
			key = "ipv6-addr:value"
		}
	case ioc.Email:
		key = "email-addr:value"
	case ioc.Process:
		key = "process:name"
	case ioc.FileName:
		key = "file:name"
	case ioc.FilePath:
		key = "file:path"
	case ioc.FileMD5:
		key = "file:hashes.MD5"
	case ioc.FileSHA1:
		key = "file:hashes.'SHA-1'"
	case ioc.FileSHA256:
		key = "file:hashes.'SHA-256'"
	case ioc.AppID:
		key = "app:id"
	case ioc.AppCertHash:
		switch len(value) {
		case 32:
			key = "app:cert.md5"
		case 40:
			key = "app:cert.sha1"
		case 64:
			key = "app:cert.sha256"
		default:
			return "", false
		}
	case ioc.ProfileID:
		key = "configuration-profile:id"
	case ioc.AndroidProperty:
		key = "android-property:name"
	default:
		return "", false
	}
	return "[" + key + " = " + quote(value) + "]", true
}

// quote writes s as a STIX patterning string literal: in single quotes, with ' and \
// escaped by a backslash (section 9).
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\'' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// idPattern is an identifier of section 2.9: a type, "--" and an RFC 4122 UUID
// (versions 1 to 5, the RFC's variant), as the OASIS JSON schemas check it.
var idPattern = regexp.MustCompile(`^([a-z][a-z0-9-]+[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

// validID reports whether s is a STIX identifier of an object of type typ.
func validID(typ, s string) bool {
	m := idPattern.FindStringSubmatch(s)
	return m != nil && m[1] == typ
}

// namespace is [Namespace] as bytes.
var namespace = func() []byte {
	ns, err := hex.DecodeString(strings.ReplaceAll(Namespace, "-", ""))
	if err != nil || len(ns) != 16 {
		panic("stixexport: bad namespace")
	}
	return ns
}()

// id returns "<typ>--" and the UUIDv5 (RFC 9562 section 5.5) of typ and parts, joined
// by NUL bytes, in [Namespace].
func id(typ string, parts ...string) string {
	h := sha1.New()
	h.Write(namespace)
	h.Write([]byte(typ))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(u)
	return typ + "--" + x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// writable reports whether t can be written as an RFC 3339 timestamp.
func writable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// stixTime writes t in [TimeLayout], cut (not rounded) to the millisecond so that
// first_seen never passes last_seen.
func stixTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format(TimeLayout)
}

// text bounds s (from a results folder, hence hostile) to n bytes, invalid UTF-8 as
// \xNN.
func text(s string, n int) string {
	return safetext.Truncate(safetext.EscapeInvalid(s), n)
}

// deviceName derives the device identity's name: "<model> examined on <date>".
func deviceName(info results.Info, date time.Time) string {
	model := ""
	if s, ok := info.Acquisition["ProductType"].(string); ok {
		model = strings.TrimSpace(s)
	}
	if br, ok := info.Acquisition["bugreport"].(map[string]any); ok && model == "" {
		// BRAND/PRODUCT/DEVICE:RELEASE/ID/INCREMENTAL:TYPE/TAGS
		if fp, ok := br["build_fingerprint"].(string); ok {
			if parts := strings.Split(fp, "/"); len(parts) >= 3 {
				device, _, _ := strings.Cut(parts[2], ":")
				model = strings.TrimSpace(parts[0] + " " + device)
			}
		}
	}
	if model == "" {
		model = "phone"
	}
	return text(model, 64) + " examined on " + date.UTC().Format("2006-01-02")
}

// deviceDescription says how the device was examined, without anything that names it.
func deviceDescription(info results.Info) string {
	var b strings.Builder
	b.WriteString("Device examined with spytrace")
	if info.Version != "" {
		b.WriteString(" " + text(info.Version, 64))
	}
	if info.Command != "" {
		b.WriteString(" (" + text(info.Command, 128) + ")")
	}
	if k, ok := info.Acquisition["kind"].(string); ok && k != "" {
		b.WriteString(", acquisition kind " + text(k, 64))
	}
	b.WriteString(".")
	return b.String()
}

func indicatorDescription(m *match) string {
	var b strings.Builder
	b.WriteString("Indicator matched by spytrace")
	if m.collection != "" {
		fmt.Fprintf(&b, ", listed in %q", text(m.collection, 512))
	}
	if m.file != "" {
		fmt.Fprintf(&b, " (%s)", text(m.file, 256))
	}
	if m.feedID != "" {
		b.WriteString("; the feed's indicator, limited to the values matched")
	}
	b.WriteString(".")
	return b.String()
}

// maxModulesListed bounds the modules a sighting's description names.
const maxModulesListed = 50

func sightingDescription(m *match) string {
	mods := slices.Clone(m.modules)
	slices.Sort(mods)
	more := 0
	if len(mods) > maxModulesListed {
		more = len(mods) - maxModulesListed
		mods = mods[:maxModulesListed]
	}
	s := fmt.Sprintf("spytrace matched this indicator %d time(s) in the records of the module(s) %s", m.count, strings.Join(mods, ", "))
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s + "."
}
