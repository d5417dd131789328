package securityevent

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one security event. It is written as MVT writes it, {"event_id",
// "event_time", "<subevent>": {payload}, "timestamp"}, followed by spytrace's keys:
// event, tag_id, description, timestamp_local, device_timezone, file, line, extra. A
// subevent named like one of those keys (never written by the exporter) is written
// under "payload" instead.
type Record struct {
	EventID   *int64
	EventTime *int64 // Unix nanoseconds, as written
	// Key is the subevent's name as written; Payload its value (an object, usually).
	Key     string
	Payload any
	// Timestamp is EventTime in UTC; zero when absent or implausible.
	Timestamp timefmt.Time

	// Event is the subevent's exporter name (aliases resolved: media_mount is
	// media_mounted), Key itself for an unknown subevent, "unknown" when there is none.
	Event string
	// TagID is the SecurityLog tag (210001–210046), 0 for an unknown subevent.
	TagID int
	// Description is a readable summary of the event.
	Description string
	// TimestampLocal is Timestamp on the device's wall clock, "" when the zone is
	// unknown; DeviceTimezone the device's IANA zone or "unknown".
	TimestampLocal string
	DeviceTimezone string
	// File and Line say where the event was read (the first file holding it).
	File string
	Line int
	// Extra holds other members of the event (further subevents, unknown metadata).
	Extra map[string]any
}

// reserved are the keys a Record writes itself.
var reserved = []string{"event_id", "event_time", "timestamp", "event", "tag_id", "description", "timestamp_local",
	"device_timezone", "file", "line", "extra", "payload"}

// MarshalJSON writes the record in MVT's shape with spytrace's keys after it.
func (r *Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	put := func(k string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(data)
		return nil
	}
	type kv struct {
		k    string
		v    any
		skip bool
	}
	key := r.Key
	if slices.Contains(reserved, key) {
		key = "payload"
	}
	fields := []kv{
		{"event_id", r.EventID, r.EventID == nil},
		{"event_time", r.EventTime, false},
		{key, r.Payload, r.Key == ""},
		{"timestamp", r.Timestamp, false},
		{"event", r.Event, false},
		{"tag_id", r.TagID, r.TagID == 0},
		{"description", r.Description, false},
		{"timestamp_local", r.TimestampLocal, r.TimestampLocal == ""},
		{"device_timezone", r.DeviceTimezone, false},
		{"file", r.File, false},
		{"line", r.Line, false},
		{"extra", r.Extra, r.Extra == nil},
	}
	for _, f := range fields {
		if f.skip {
			continue
		}
		if err := put(f.k, f.v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Timeline implements module.Timeliner: one event named after the subevent.
func (r *Record) Timeline() []module.Event {
	if r.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.Timestamp.Time, Event: r.Event, Data: r.Description}}
}
