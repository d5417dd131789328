// Package dnsevent reads the DNS lookups of Android's Intrusion Logging (Android 16
// Advanced Protection): the "dns_event" lines of the exported NDJSON files, one lookup
// an app made, with the host name asked for and the addresses returned.
//
// Input: an intrusion-logs acquisition (a folder or zip of the exported .txt files;
// every .txt file is read) or an androidqf acquisition (the files androidqf pulled
// from /sdcard/Download/Intrusion Logging/ into intrusion_logs/, or intrusion-logs/);
// see package intrusionlog for the format, the bounds and the de-duplication of
// events repeated across files.
//
// Fields: event_id (a sequence number), event_time (Unix **milliseconds**, UTC),
// package_name, hostname, ip_addresses (Java InetAddress texts "/192.0.2.1": the "/"
// and any host name before it are removed, unspecified addresses 0.0.0.0 and :: are
// dropped), ip_addresses_count. timestamp is event_time in UTC; when the device's zone
// is known (persist.sys.timezone of androidqf's getprop.txt, or the zone the lead
// passes in Module.Timezone) timestamp_local gives the device's wall-clock time and
// device_timezone names the zone ("unknown" otherwise).
//
// It matches MVT's DnsEvent module (mvt/android/modules/intrusion_logs/dns_event.py):
// same keys, host name → domain indicators, each address → IP indicators, package →
// app-id indicators, all CRITICAL, and "dns_query" timeline events. Differences:
// timestamp is always UTC (MVT writes device local time into it when it knows the
// zone, without saying so; the local time is timestamp_local here); addresses are
// cleaned in the record (MVT cleans them only while checking) and "::" is dropped as
// well as 0.0.0.0; fields this module does not know are kept under "extra"; the
// de-duplication key includes the event type (MVT's ignores it); matched_ips is not
// added to the record (checks never change records: the alert names the address).
package dnsevent

import (
	"context"
	"fmt"

	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "dns_event"

// Module reads dns_event lines.
type Module struct {
	// Timezone, when set, is the device's IANA zone, used instead of getprop.txt's.
	Timezone string
}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "DnsEvent",
		Version:     1,
		Description: "DNS lookups of apps recorded by Android Intrusion Logging (dns_event)",
		Kinds:       intrusionlog.Kinds,
		Paths:       intrusionlog.Paths,
	}
}

// known are the fields read into Record; others go to Extra.
var known = []string{"event_id", "event_time", "package_name", "hostname", "ip_addresses", "ip_addresses_count"}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	clock, problems := intrusionlog.DeviceClock(in, m.Timezone)
	for _, p := range problems {
		out.Problem("%s", p)
	}
	st, err := intrusionlog.Scan(ctx, in, out, intrusionlog.TypeDNS, func(file string, ev intrusionlog.Event) error {
		return out.Record(newRecord(file, ev, clock))
	})
	if err != nil {
		return err
	}
	in.Log.Info("read DNS events", "events", st.Events, "duplicates", st.Duplicates, "files", st.Files, "lines", st.Lines,
		"device_timezone", clock.Zone)
	if u := st.Unknown(); len(u) > 0 {
		in.Log.Info("other event types in the intrusion logs", "types", fmt.Sprint(u))
	}
	return nil
}

func newRecord(file string, ev intrusionlog.Event, clock intrusionlog.Clock) *Record {
	f := ev.Fields
	r := &Record{
		EventID:          intrusionlog.IntPtr(f["event_id"]),
		EventTime:        intrusionlog.IntPtr(f["event_time"]),
		PackageName:      intrusionlog.Str(f["package_name"]),
		Hostname:         intrusionlog.Str(f["hostname"]),
		IPAddresses:      []string{},
		IPAddressesCount: intrusionlog.IntPtr(f["ip_addresses_count"]),
		DeviceTimezone:   clock.Zone,
		File:             file,
		Line:             ev.Line,
		Extra:            intrusionlog.Extra(f, known...),
	}
	if r.EventTime != nil {
		r.Timestamp = timefmt.Of(timefmt.FromUnixMillis(*r.EventTime))
		r.TimestampLocal = clock.Local(r.Timestamp.Time)
	}
	for _, a := range intrusionlog.Strs(f["ip_addresses"]) {
		addr, _ := intrusionlog.CleanAddress(a)
		if addr == "" || intrusionlog.Unspecified(addr) {
			continue
		}
		r.IPAddresses = append(r.IPAddresses, addr)
	}
	return r
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
