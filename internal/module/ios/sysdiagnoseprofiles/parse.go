package sysdiagnoseprofiles

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/module/ios/profileevents"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// decodeDict decodes a plist whose top level must be a dictionary.
func decodeDict(data []byte) (map[string]any, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, err
	}
	m, ok := plistx.AsMap(v)
	if !ok {
		return nil, fmt.Errorf("top level is %T, want a dictionary", v)
	}
	return m, nil
}

// parseStub decodes a profile stub.
func parseStub(data []byte, name, scope string) (*Profile, error) {
	stub, err := decodeDict(data)
	if err != nil {
		return nil, err
	}
	base := path.Base(name)
	p := &Profile{
		RecordType:          TypeProfile,
		File:                name,
		Scope:               scope,
		ProfileStubHash:     strings.TrimSuffix(strings.TrimPrefix(base, "profile-"), ".stub"),
		PayloadIdentifier:   text(stub["PayloadIdentifier"]),
		PayloadUUID:         text(stub["PayloadUUID"]),
		PayloadDisplayName:  text(stub["PayloadDisplayName"]),
		PayloadOrganization: text(stub["PayloadOrganization"]),
		PayloadDescription:  text(stub["PayloadDescription"]),
		PayloadType:         text(stub["PayloadType"]),
		InstallDate:         timeOf(stub["InstallDate"]),
		PayloadTypes:        []string{},
		Plist:               plistx.JSONValue(stub).(map[string]any),
	}
	if b, ok := plistx.Bool(stub, "IsEncrypted"); ok {
		p.Encrypted = b
	} else if b, ok := plistx.Bool(stub, "ProfileWasEncrypted"); ok {
		p.Encrypted = b
	}
	certs, _ := stub["SignerCerts"].([]any)
	p.SignerCerts = len(certs)
	if b, ok := plistx.Bool(stub, "ProfileWasSigned"); ok {
		p.Signed = b
	}
	p.Signed = p.Signed || p.SignerCerts > 0
	if list, ok := stub["PayloadContent"].([]any); ok {
		p.PayloadContentPresent = true
		for _, item := range list {
			if payload, ok := plistx.AsMap(item); ok {
				p.PayloadTypes = append(p.PayloadTypes, text(payload["PayloadType"]))
			}
		}
	}
	return p, nil
}

// parseProfileEvents decodes MCProfileEvents.plist into events, in the file's order,
// and names the entries it had to skip (the profile_events module's parser).
func parseProfileEvents(data []byte, name string) ([]*ProfileEvent, []string, error) {
	evs, problems, err := profileevents.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*ProfileEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, &ProfileEvent{RecordType: TypeProfileEvent, File: name, ProfileID: e.ProfileID,
			Timestamp: e.Timestamp, Operation: e.Operation, Process: e.Process, Extra: e.Extra})
	}
	return out, problems, nil
}

// leafKeys are the keys of a settings event.
var leafKeys = []string{"timestamp", "event", "process"}

// isLeaf reports whether d is a settings event: it has one of the leaf keys with a
// value that is not a dictionary.
func isLeaf(d map[string]any) bool {
	for _, k := range leafKeys {
		if v, ok := d[k]; ok {
			if _, nested := v.(map[string]any); !nested {
				return true
			}
		}
	}
	return false
}

// parseSettingsEvents walks MCSettingsEvents.plist and returns its events sorted by
// setting path, and the problems met (the event cap).
func parseSettingsEvents(data []byte, name string) ([]*SettingsEvent, []string, error) {
	top, err := decodeDict(data)
	if err != nil {
		return nil, nil, err
	}
	w := &settingsWalker{name: name}
	w.walk(top, nil)
	slices.SortStableFunc(w.events, func(a, b *SettingsEvent) int { return strings.Compare(a.Setting, b.Setting) })
	var problems []string
	if w.capped {
		problems = append(problems, fmt.Sprintf("more than %d settings events; the rest are not read", maxSettingsEvents))
	}
	return w.events, problems, nil
}

type settingsWalker struct {
	name   string
	events []*SettingsEvent
	capped bool
}

// walk visits d, whose path from the top is keys. Depth is bounded by the plist
// decoder's limits; the number of events by maxSettingsEvents.
func (w *settingsWalker) walk(d map[string]any, keys []string) {
	for _, k := range sortedKeys(d) {
		if w.capped {
			return
		}
		sub, ok := d[k].(map[string]any)
		if !ok {
			continue
		}
		p := append(slices.Clip(keys), safetext.EscapeInvalid(k))
		if !isLeaf(sub) {
			w.walk(sub, p)
			continue
		}
		if len(w.events) >= maxSettingsEvents {
			w.capped = true
			return
		}
		ev := &SettingsEvent{RecordType: TypeSettingsEvent, File: w.name, Setting: strings.Join(p, ".")}
		for _, sk := range sortedKeys(sub) {
			v := sub[sk]
			switch sk {
			case "timestamp":
				ev.Timestamp = timeOf(v)
			case "event":
				ev.Event = text(v)
			case "process":
				ev.Process = text(v)
			default:
				if ev.Extra == nil {
					ev.Extra = map[string]any{}
				}
				ev.Extra[safetext.EscapeInvalid(sk)] = plistx.JSONValue(v)
			}
		}
		w.events = append(w.events, ev)
	}
}

// timeOf reads a plist date, or a number of seconds since 2001-01-01 UTC.
func timeOf(v any) timefmt.Time {
	switch x := v.(type) {
	case time.Time:
		if timefmt.Valid(x) {
			return timefmt.Of(x.UTC())
		}
	case float64:
		return validTime(timefmt.FromMacAbsolute(x))
	case int64:
		return validTime(timefmt.FromMacAbsolute(float64(x)))
	}
	return timefmt.Time{}
}

func validTime(t time.Time) timefmt.Time {
	if t.IsZero() || !timefmt.Valid(t) {
		return timefmt.Time{}
	}
	return timefmt.Of(t)
}

// text returns a string value, or the text form of another value.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return safetext.EscapeInvalid(x)
	case nil:
		return ""
	}
	return fmt.Sprint(plistx.JSONValue(v))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
