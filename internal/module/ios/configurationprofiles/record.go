package configurationprofiles

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Profile is one installed configuration profile. The first five keys are MVT's.
type Profile struct {
	FileID       string `json:"file_id"`
	RelativePath string `json:"relative_path"`
	Domain       string `json:"domain"`
	// Plist is the whole stub, with data values as base64 and dates as MVT time
	// strings (see plistx.JSONValue).
	Plist       map[string]any `json:"plist"`
	InstallDate timefmt.Time   `json:"install_date"`

	// File is the stub's name in the acquisition.
	File string `json:"file"`
	// PayloadTypes lists the PayloadType of each item of PayloadContent, in order.
	PayloadTypes []string `json:"payload_types"`
}

// UUID returns the profile's PayloadUUID.
func (p *Profile) UUID() string { return plainText(p.Plist["PayloadUUID"]) }

// Identifier returns the profile's PayloadIdentifier.
func (p *Profile) Identifier() string { return plainText(p.Plist["PayloadIdentifier"]) }

// DisplayName returns the profile's PayloadDisplayName.
func (p *Profile) DisplayName() string { return plainText(p.Plist["PayloadDisplayName"]) }

// label names the profile in messages: "Settings Update" (com.apple.settings.update).
func (p *Profile) label() string {
	name, id := p.DisplayName(), p.Identifier()
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
	types := "no payload"
	if len(p.PayloadTypes) > 0 {
		types = strings.Join(p.PayloadTypes, ", ")
	}
	return []module.Event{{
		Time:  p.InstallDate.Time,
		Event: "configuration_profile_install",
		Data:  fmt.Sprintf("%s, UUID %s, installed: %s", p.label(), p.UUID(), types),
	}}
}

// plainText returns a string value as is, and the text form of any other value.
func plainText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
