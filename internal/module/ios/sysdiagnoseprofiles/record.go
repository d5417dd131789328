package sysdiagnoseprofiles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Values of record_type, which tells the three kinds of records apart.
const (
	TypeProfile       = "profile"
	TypeProfileEvent  = "profile_event"
	TypeSettingsEvent = "settings_event"
)

// Profile is one installed configuration profile (a profile-*.stub).
type Profile struct {
	RecordType string `json:"record_type"` // "profile"
	File       string `json:"file"`        // name in the archive
	// Scope is "system" (logs/MCState/Shared) or "user" (logs/MCState/User).
	Scope string `json:"scope"`
	// ProfileStubHash is the <hash> of profile-<hash>.stub (the framework's
	// ProfileStubHash).
	ProfileStubHash     string `json:"profile_stub_hash"`
	PayloadIdentifier   string `json:"payload_identifier"`
	PayloadUUID         string `json:"payload_uuid"`
	PayloadDisplayName  string `json:"payload_display_name"`
	PayloadOrganization string `json:"payload_organization"`
	PayloadDescription  string `json:"payload_description"`
	PayloadType         string `json:"payload_type"` // "Configuration"
	// InstallDate is the stub's InstallDate (UTC), null when missing.
	InstallDate timefmt.Time `json:"install_date"`
	// Encrypted is IsEncrypted (or ProfileWasEncrypted); Signed is ProfileWasSigned or
	// the presence of signer certificates; SignerCerts counts them.
	Encrypted   bool `json:"is_encrypted"`
	Signed      bool `json:"is_signed"`
	SignerCerts int  `json:"signer_certs"`
	// PayloadContentPresent says whether the stub lists its payloads (iOS can strip
	// them); PayloadTypes lists the PayloadType of each, in order.
	PayloadContentPresent bool     `json:"payload_content_present"`
	PayloadTypes          []string `json:"payload_types"`
	// Plist is the whole stub, with data values as base64 and dates as time strings
	// (see plistx.JSONValue).
	Plist map[string]any `json:"plist"`
}

// label names the profile in messages: "Settings Update" (com.apple.settings.update).
func (p *Profile) label() string {
	name, id := p.PayloadDisplayName, p.PayloadIdentifier
	switch {
	case name != "" && id != "":
		return fmt.Sprintf("%q (%s)", name, id)
	case id != "":
		return id
	case name != "":
		return fmt.Sprintf("%q", name)
	}
	return p.File
}

// Timeline implements module.Timeliner: one configuration_profile_install event at
// InstallDate.
func (p *Profile) Timeline() []module.Event {
	if p.InstallDate.IsZero() {
		return nil
	}
	types := "no payload listed"
	if len(p.PayloadTypes) > 0 {
		types = strings.Join(p.PayloadTypes, ", ")
	}
	return []module.Event{{
		Time:  p.InstallDate.Time,
		Event: "configuration_profile_install",
		Data:  fmt.Sprintf("%s, UUID %s, installed (%s scope): %s", p.label(), p.PayloadUUID, p.Scope, types),
	}}
}

// ProfileEvent is one installation or removal of a profile in MCProfileEvents.plist.
// It is written as a flat object: record_type, file, profile_id, timestamp, operation,
// process, plus the event's other keys, lower-cased.
type ProfileEvent struct {
	RecordType string
	File       string
	ProfileID  string       // the profile's logging identifier (the event's key)
	Timestamp  timefmt.Time // when it happened (UTC)
	Operation  string       // "install", "remove"…
	Process    string       // the process that asked for it
	// Extra holds the event's other keys, lower-cased.
	Extra map[string]any
}

// MarshalJSON writes the event as one flat object; the known keys win over an extra
// key of the same name.
func (e *ProfileEvent) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(e.Extra)+6)
	for k, v := range e.Extra {
		m[k] = v
	}
	m["record_type"] = e.RecordType
	m["file"] = e.File
	m["profile_id"] = e.ProfileID
	m["timestamp"] = e.Timestamp
	m["operation"] = e.Operation
	m["process"] = e.Process
	return marshal(m)
}

// Timeline implements module.Timeliner: one profile_operation event.
func (e *ProfileEvent) Timeline() []module.Event {
	if e.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{
		Time:  e.Timestamp.Time,
		Event: "profile_operation",
		Data:  fmt.Sprintf("Process %s %s profile %s", orUnknown(e.Process), orUnknown(e.Operation), e.ProfileID),
	}}
}

// SettingsEvent is one leaf of MCSettingsEvents.plist: the last change of a setting.
type SettingsEvent struct {
	RecordType string `json:"record_type"` // "settings_event"
	File       string `json:"file"`
	// Setting is the path of keys to the event, joined by dots
	// ("Restrictions.restrictedBool.allowCamera").
	Setting   string       `json:"setting"`
	Event     string       `json:"event"`   // "set", "remove"…
	Process   string       `json:"process"` // the process or sender, sometimes a profile UUID
	Timestamp timefmt.Time `json:"timestamp"`
	// Extra holds the leaf's other keys, as they are (none are known).
	Extra map[string]any `json:"extra,omitempty"`
}

// Timeline implements module.Timeliner: one settings_event at the event's time.
func (e *SettingsEvent) Timeline() []module.Event {
	if e.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{
		Time:  e.Timestamp.Time,
		Event: "settings_event",
		Data:  fmt.Sprintf("Setting %s: %s by %s", e.Setting, orUnknown(e.Event), orUnknown(e.Process)),
	}}
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
