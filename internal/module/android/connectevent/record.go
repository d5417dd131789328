package connectevent

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one network connection. The keys up to PackageName are MVT's (the
// exporter's fields plus timestamp).
type Record struct {
	EventID   *int64 `json:"event_id,omitempty"`
	EventTime *int64 `json:"event_time"` // Unix milliseconds, as written
	// Timestamp is EventTime in UTC; null when absent or implausible.
	Timestamp timefmt.Time `json:"timestamp"`
	// IPAddress is the remote address without Java's "host/" prefix.
	IPAddress   string `json:"ip_address"`
	Port        *int64 `json:"port"`
	PackageName string `json:"package_name"`

	// Host is the host name written before "/" in the exported address, if any.
	Host string `json:"host,omitempty"`
	// TimestampLocal is Timestamp on the device's wall clock (DeviceTimezone), omitted
	// when the zone is unknown.
	TimestampLocal string `json:"timestamp_local,omitempty"`
	// DeviceTimezone is the device's IANA zone, or "unknown".
	DeviceTimezone string `json:"device_timezone"`
	// File and Line say where the event was read (the first file holding it).
	File string `json:"file"`
	Line int    `json:"line"`
	// Extra holds fields of the event this module does not know.
	Extra map[string]any `json:"extra,omitempty"`
}

// UnmarshalJSON reads a record as spytrace writes it or as MVT does. MVT keeps the
// exporter's "host/address" text in ip_address: the address after the last "/" is
// taken, and the host before it, as when the logs are read. MVT writes timestamp on
// the device's clock when it knows the zone: timestamp is computed again from
// event_time, in UTC. Numbers under extra keep their digits.
func (r *Record) UnmarshalJSON(data []byte) error {
	type plain Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode((*plain)(r))
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	if strings.Contains(r.IPAddress, "/") {
		addr, host := intrusionlog.CleanAddress(r.IPAddress)
		r.IPAddress = addr
		if r.Host == "" {
			r.Host = host
		}
	}
	if r.EventTime != nil {
		r.Timestamp = timefmt.Of(timefmt.FromUnixMillis(*r.EventTime))
	}
	return err
}

// Timeline implements module.Timeliner: one "network_connection" event.
func (r *Record) Timeline() []module.Event {
	if r.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.Timestamp.Time, Event: "network_connection", Data: r.summary()}}
}

func (r *Record) summary() string {
	port := "?"
	if r.Port != nil {
		port = strconv.FormatInt(*r.Port, 10)
	}
	dest := orUnknown(r.IPAddress)
	if strings.Contains(dest, ":") {
		dest = "[" + dest + "]"
	}
	return "Connection to " + dest + ":" + port + " by " + orUnknown(r.PackageName)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
