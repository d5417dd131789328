// Package connectevent reads the network connections of Android's Intrusion Logging
// (Android 16 Advanced Protection): the "connect_event" lines of the exported NDJSON
// files, one TCP connection an app opened, with the remote address and port.
//
// Input: an intrusion-logs acquisition (a folder or zip of the exported .txt files;
// every .txt file is read) or an androidqf acquisition (the files androidqf pulled
// from /sdcard/Download/Intrusion Logging/ into intrusion_logs/, or intrusion-logs/);
// see package intrusionlog for the format, the bounds and the de-duplication of
// events repeated across files.
//
// Fields: event_id (a sequence number), event_time (Unix **milliseconds**, UTC),
// package_name, port, ip_address (a Java InetAddress text "<host>/<address>", the host
// usually empty: "/192.0.2.1", "ip6-localhost/::1"; the record keeps the address in
// ip_address and a host name, when there is one, in host). timestamp is event_time in
// UTC; when the device's zone is known (persist.sys.timezone of androidqf's
// getprop.txt, or Module.Timezone) timestamp_local gives the device's wall-clock time
// and device_timezone names the zone ("unknown" otherwise).
//
// It matches MVT's ConnectEvent module (mvt/android/modules/intrusion_logs/
// connect_event.py): same keys, the address → IP indicators (skipping addresses that
// never leave the phone), package → app-id indicators, both CRITICAL, and
// "network_connection" timeline events. Differences: timestamp is always UTC (the
// local time is timestamp_local); the address is cleaned in the record (MVT cleans it
// only while checking), and every loopback or unspecified address is skipped
// (127.0.0.0/8, ::1, 0.0.0.0, ::, IPv4-mapped forms; MVT skips only the three literal
// texts ::1, 127.0.0.1 and 0.0.0.0); unknown fields are kept under "extra";
// matched_ip is not added to the record (the alert names the address).
package connectevent

import (
	"context"
	"fmt"

	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "connect_event"

// Module reads connect_event lines.
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
		Class:       "ConnectEvent",
		Version:     1,
		Description: "Network connections of apps recorded by Android Intrusion Logging (connect_event)",
		Kinds:       intrusionlog.Kinds,
		Paths:       intrusionlog.Paths,
	}
}

var known = []string{"event_id", "event_time", "package_name", "port", "ip_address"}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	clock, problems := intrusionlog.DeviceClock(in, m.Timezone)
	for _, p := range problems {
		out.Problem("%s", p)
	}
	st, err := intrusionlog.Scan(ctx, in, out, intrusionlog.TypeConnect, func(file string, ev intrusionlog.Event) error {
		return out.Record(newRecord(file, ev, clock))
	})
	if err != nil {
		return err
	}
	in.Log.Info("read connection events", "events", st.Events, "duplicates", st.Duplicates, "files", st.Files, "lines", st.Lines,
		"device_timezone", clock.Zone)
	if u := st.Unknown(); len(u) > 0 {
		in.Log.Info("other event types in the intrusion logs", "types", fmt.Sprint(u))
	}
	return nil
}

func newRecord(file string, ev intrusionlog.Event, clock intrusionlog.Clock) *Record {
	f := ev.Fields
	addr, host := intrusionlog.CleanAddress(intrusionlog.Str(f["ip_address"]))
	r := &Record{
		EventID:        intrusionlog.IntPtr(f["event_id"]),
		EventTime:      intrusionlog.IntPtr(f["event_time"]),
		IPAddress:      addr,
		Port:           intrusionlog.IntPtr(f["port"]),
		PackageName:    intrusionlog.Str(f["package_name"]),
		Host:           host,
		DeviceTimezone: clock.Zone,
		File:           file,
		Line:           ev.Line,
		Extra:          intrusionlog.Extra(f, known...),
	}
	if r.EventTime != nil {
		r.Timestamp = timefmt.Of(timefmt.FromUnixMillis(*r.EventTime))
		r.TimestampLocal = clock.Local(r.Timestamp.Time)
	}
	return r
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
