// Package securityevent reads the security events of Android's Intrusion Logging
// (Android 16 Advanced Protection): the "security_event" lines of the exported NDJSON
// files, each carrying one SecurityLog event (android.app.admin.SecurityLog, tags
// 210001–210046) under a named subevent: app process starts, ADB shell commands and
// file transfers, lock-screen events, key and certificate operations, package
// installs, boot state…
//
// Input: an intrusion-logs acquisition (a folder or zip of the exported .txt files;
// every .txt file is read) or an androidqf acquisition (the files androidqf pulled
// from /sdcard/Download/Intrusion Logging/ into intrusion_logs/, or intrusion-logs/);
// see package intrusionlog for the format, the bounds and the de-duplication of
// events repeated across files.
//
// Fields: event_id (a sequence number, not the tag), event_time (Unix
// **nanoseconds**, UTC) and one subevent key with its payload object. Subevents are
// named as Google Play services' exporter writes them (adb_shell_cmd, key_imported,
// key_destruction, media_mounted, wipe_failure…; intrusionlog.SecurityTags lists all
// 46 with their tag numbers); the platform's logtag names and MVT's earlier spellings
// (adb_shell_command, key_import, media_mount, wipe_failed…) are accepted as aliases.
// Booleans (success, disabled, enabled) are JSON booleans in the exporter's output and
// 0/1 in raw SecurityLog data: both are read. Unknown subevents are kept, with their
// payload, and named as written. timestamp is event_time in UTC; when the device's
// zone is known (persist.sys.timezone of androidqf's getprop.txt, or
// Module.Timezone) timestamp_local gives the device's wall-clock time and
// device_timezone names the zone ("unknown" otherwise).
//
// It matches MVT's SecurityEvent module (mvt/android/modules/intrusion_logs/
// security_event.py): the record keeps MVT's shape (event_id, event_time, the
// subevent key with its payload, timestamp), indicator checks at CRITICAL
// (app_process_start.process and each ":"-separated part of it → app ids; package
// install/update/uninstall → app ids; adb_shell_cmd.command → app ids; adb_sync_*
// paths → file paths) and the timeline event named after the subevent, with a
// readable summary per tag. Heuristics (MEDIUM, run with or without indicators):
// certificate validation failure, key integrity violation, a CA certificate
// successfully installed, wipe failure, failed cryptographic self-test.
//
// Differences from MVT: timestamp is always UTC (the local time is timestamp_local);
// the exporter's field names are read (MVT's summaries read several fields under
// names the exporter does not use: admin_package, verified_boot_state, timeout_ms,
// mac_address…, and print empty values); MVT only logs certificate validation
// failures and CA installations, spytrace raises them (MEDIUM), as the MVT reference
// table does; beside the whole command, each word of an ADB shell command is checked
// against app-id indicators and each absolute path in it against file-path indicators
// (MVT only checks the whole command, which never equals an app id in practice);
// several subevents in one event (never written by the exporter) are all kept, the
// first in name order as the record's subevent and the others under "extra".
package securityevent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "security_event"

// Module reads security_event lines.
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
		Class:       "SecurityEvent",
		Version:     1,
		Description: "Security events (SecurityLog) recorded by Android Intrusion Logging (security_event)",
		Kinds:       intrusionlog.Kinds,
		Paths:       intrusionlog.Paths,
	}
}

// metadata are the members of a security_event that are not its subevent. timestamp
// and event_type are not written by the exporter; MVT treats them as metadata too.
var metadata = []string{"event_id", "event_time", "timestamp", "event_type"}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	clock, problems := intrusionlog.DeviceClock(in, m.Timezone)
	for _, p := range problems {
		out.Problem("%s", p)
	}
	counts := map[string]int{}
	st, err := intrusionlog.Scan(ctx, in, out, intrusionlog.TypeSecurity, func(file string, ev intrusionlog.Event) error {
		rec := newRecord(file, ev, clock)
		counts[rec.Event]++
		return out.Record(rec)
	})
	if err != nil {
		return err
	}
	in.Log.Info("read security events", "events", st.Events, "duplicates", st.Duplicates, "files", st.Files, "lines", st.Lines,
		"device_timezone", clock.Zone)
	var unknownTags []string
	for _, tag := range slices.Sorted(maps.Keys(counts)) {
		in.Log.Debug("security events", "event", tag, "count", counts[tag])
		if intrusionlog.LookupTag(tag) == nil {
			unknownTags = append(unknownTags, fmt.Sprintf("%s (%d)", tag, counts[tag]))
		}
	}
	if len(unknownTags) > 0 {
		in.Log.Warn("security events of types unknown to spytrace, kept as written", "events", strings.Join(unknownTags, ", "))
	}
	if u := st.Unknown(); len(u) > 0 {
		in.Log.Warn("intrusion-log event types unknown to spytrace (not read by any module)", "types", strings.Join(u, ", "))
	}
	return nil
}

func newRecord(file string, ev intrusionlog.Event, clock intrusionlog.Clock) *Record {
	f := ev.Fields
	r := &Record{
		EventID:        intrusionlog.IntPtr(f["event_id"]),
		EventTime:      intrusionlog.IntPtr(f["event_time"]),
		DeviceTimezone: clock.Zone,
		File:           file,
		Line:           ev.Line,
	}
	if r.EventTime != nil {
		r.Timestamp = timefmt.Of(intrusionlog.FromUnixNanos(*r.EventTime))
		r.TimestampLocal = clock.Local(r.Timestamp.Time)
	}
	// The subevent: a known tag first, else the first other member in name order.
	var subs []string
	for k := range f {
		if !slices.Contains(metadata, k) {
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
		r.Extra = intrusionlog.Extra(f, "event_id", "event_time")
		return r
	}
	r.Key, r.Event = subs[0], subs[0]
	r.Payload = f[subs[0]]
	if t := intrusionlog.LookupTag(r.Key); t != nil {
		r.TagID, r.Event = t.ID, t.Name
	}
	r.Description = describe(r.Event, r.Payload)
	r.Extra = intrusionlog.Extra(f, "event_id", "event_time", subs[0])
	return r
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
