package securityevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"

	"github.com/spytrace/spytrace/internal/android/intrusionlog"
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

// UnmarshalJSON reads a record written by MarshalJSON, or one of MVT's
// security_event.json: the exporter's event as read ({event_id, event_time,
// <subevent>: payload}) with timestamp and, from some MVT versions, event_type. The
// subevent is the member that is none of the record's own keys (a subevent named like
// one of them is under "payload", its name being event). A record of MVT's has no
// event: the subevent is chosen, named and described as when the logs are read, other
// members go to extra, and the zone is unknown. timestamp is worked out again from
// event_time (MVT writes it on the device's clock when it knows the zone). Numbers keep
// their digits.
func (r *Record) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var f map[string]any
	if err := dec.Decode(&f); err != nil {
		return err
	}
	if f == nil {
		return errors.New("a security event is a JSON object")
	}
	*r = Record{
		EventID:   intrusionlog.IntPtr(f["event_id"]),
		EventTime: intrusionlog.IntPtr(f["event_time"]),
	}
	if r.EventTime != nil {
		r.Timestamp = timefmt.Of(intrusionlog.FromUnixNanos(*r.EventTime))
	} else if t, err := timefmt.Parse(intrusionlog.Str(f["timestamp"])); err == nil {
		r.Timestamp = timefmt.Of(t)
	}
	_, event := f["event"]
	_, zone := f["device_timezone"]
	if !event || !zone {
		r.fromMVT(f)
		return nil
	}
	r.Event = intrusionlog.Str(f["event"])
	if id, ok := intrusionlog.Int(f["tag_id"]); ok {
		r.TagID = int(id)
	}
	r.Description = intrusionlog.Str(f["description"])
	r.TimestampLocal = intrusionlog.Str(f["timestamp_local"])
	r.DeviceTimezone = intrusionlog.Str(f["device_timezone"])
	r.File = intrusionlog.Str(f["file"])
	if line, ok := intrusionlog.Int(f["line"]); ok {
		r.Line = int(line)
	}
	r.Extra, _ = f["extra"].(map[string]any)
	if p, ok := f["payload"]; ok {
		r.Key, r.Payload = r.Event, p
		return nil
	}
	for k, v := range f {
		if !slices.Contains(reserved, k) {
			r.Key, r.Payload = k, v
			break
		}
	}
	return nil
}

// mvtMetadata are the members of a record of MVT's that are not a subevent.
var mvtMetadata = append(slices.Clone(metadata), "matched_indicator")

// fromMVT fills the rest of a record of MVT's from its members f, as newRecord does
// from a line of the logs.
func (r *Record) fromMVT(f map[string]any) {
	r.DeviceTimezone = intrusionlog.ZoneUnknown
	var subs []string
	for k := range f {
		if !slices.Contains(mvtMetadata, k) {
			subs = append(subs, k)
		}
	}
	slices.Sort(subs)
	slices.SortStableFunc(subs, func(a, b string) int {
		return boolInt(intrusionlog.LookupTag(a) == nil) - boolInt(intrusionlog.LookupTag(b) == nil)
	})
	if len(subs) == 0 {
		r.Event = "unknown"
		r.Description = "Security event without a subevent"
		return
	}
	r.Key, r.Event = subs[0], subs[0]
	r.Payload = f[subs[0]]
	if t := intrusionlog.LookupTag(r.Key); t != nil {
		r.TagID, r.Event = t.ID, t.Name
	}
	r.Description = describe(r.Event, r.Payload)
	r.Extra = intrusionlog.Extra(f, append(slices.Clone(mvtMetadata), subs[0])...)
}

// Timeline implements module.Timeliner: one event named after the subevent.
func (r *Record) Timeline() []module.Event {
	if r.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.Timestamp.Time, Event: r.Event, Data: r.Description}}
}
