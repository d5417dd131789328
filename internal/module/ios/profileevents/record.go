package profileevents

import (
	"bytes"
	"encoding/json"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Event is one installation or removal of a configuration profile. It is written as a
// flat object with MVT's keys, profile_id, timestamp, operation and process, plus the
// event's other keys, lower-cased.
type Event struct {
	ProfileID string       // the profile's logging identifier (the event's key)
	Timestamp timefmt.Time // when it happened
	Operation string       // "install", "remove"…
	Process   string       // the process that asked for it
	// Extra holds the event's other keys, lower-cased, with values as results files
	// show them (see plistx.JSONValue).
	Extra map[string]any
}

// MarshalJSON writes the event as one flat object; the four known keys win over an
// extra key of the same name.
func (e *Event) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(e.Extra)+4)
	for k, v := range e.Extra {
		m[k] = v
	}
	m["profile_id"] = e.ProfileID
	m["timestamp"] = e.Timestamp
	m["operation"] = e.Operation
	m["process"] = e.Process
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Timeline implements module.Timeliner: one profile_operation event.
func (e *Event) Timeline() []module.Event {
	if e.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{
		Time:  e.Timestamp.Time,
		Event: "profile_operation",
		Data:  "Process " + e.Process + " " + e.Operation + " profile " + e.ProfileID,
	}}
}
