package dnsevent

import (
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one DNS lookup. The keys up to PackageName are MVT's (the exporter's
// fields plus timestamp).
type Record struct {
	EventID   *int64 `json:"event_id,omitempty"`
	EventTime *int64 `json:"event_time"` // Unix milliseconds, as written
	// Timestamp is EventTime in UTC; null when absent or implausible.
	Timestamp timefmt.Time `json:"timestamp"`
	Hostname  string       `json:"hostname"`
	// IPAddresses are the returned addresses without Java's "host/" prefix, unspecified
	// addresses dropped.
	IPAddresses      []string `json:"ip_addresses"`
	IPAddressesCount *int64   `json:"ip_addresses_count,omitempty"`
	PackageName      string   `json:"package_name"`

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

// Timeline implements module.Timeliner: one "dns_query" event.
func (r *Record) Timeline() []module.Event {
	if r.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.Timestamp.Time, Event: "dns_query", Data: r.summary()}}
}

func (r *Record) summary() string {
	var b strings.Builder
	b.WriteString("DNS query for ")
	b.WriteString(orUnknown(r.Hostname))
	b.WriteString(" by ")
	b.WriteString(orUnknown(r.PackageName))
	if len(r.IPAddresses) > 0 {
		b.WriteString(" [IPs: ")
		b.WriteString(strings.Join(r.IPAddresses, ", "))
		b.WriteString("]")
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
