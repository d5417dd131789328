// Package tombstones reads the native-crash reports ("tombstones") that Android's
// debuggerd writes to /data/tombstones/ on the phone and a bug report copies to
// FS/data/tombstones/tombstone_NN (older bug reports: any */tombstone_* entry). Exploits
// against native services (media codecs, system_server, Bluetooth, the baseband
// daemons) often crash their target before an attempt succeeds, so a crash of a root,
// system or shell process, or of a process named like spyware, is worth a look. It
// matches MVT's Tombstones module (`tombstones`).
//
// Formats: text (all versions; Android 12 and later write it beside the protobuf) and
// protobuf tombstone_NN.pb (Android 12 and later; AOSP
// system/core/debuggerd/proto/tombstone.proto, decoded field by field: arch 1,
// build_fingerprint 2, revision 3, timestamp 4, pid 5, tid 6, uid 7, selinux_label 8,
// command_line 9, signal_info 10, abort_message 14, causes 15, threads 16,
// process_uptime 20; other fields are skipped). The process name of a protobuf tombstone
// is the name of its crashing thread (the thread whose id is tid), as MVT takes it; a
// text tombstone names it on its first "pid:" line.
//
// Times:
//   - timestamp: the tombstone's "Timestamp:" (text) or timestamp field (protobuf), the
//     device's wall clock with its UTC offset ("2024-03-14 10:00:00.123456789+0100").
//     It is converted to UTC with that offset; when the offset is missing, with the
//     device's zone (persist.sys.timezone of the bug report's system properties), else
//     it stays null. timestamp_local keeps the text as written; timestamp_clock says
//     which of the three was used. MVT drops the offset and writes the wall clock as if
//     it were UTC; this is fixed here.
//   - file_timestamp: the zip entry's modification time, the device's wall clock
//     without zone (see package bugreporttimestamps for the clocks of zip entries);
//     file_timestamp_local and file_timestamp_clock say which.
//
// Checks: the process name (then the base name of the first command-line argument) is
// looked up as a process indicator (CRITICAL, as MVT). A crash of a process running as
// root (uid 0), system (1000) or shell (2000) raises tombstones/privileged-crash
// (MEDIUM). MVT raises that one only when indicators are loaded, so its output depends
// on whether any indicator file was given; here it always runs, like every heuristic.
//
// Differences from MVT besides the times: a tombstone missing a key MVT requires (uid,
// signal, timestamp…) is kept with those keys null instead of being dropped; the text
// Cmdline is split into arguments like the protobuf's command_line; Cause lines of text
// tombstones also fill causes, and the first protobuf cause also fills cause; arch is
// the ABI name ("arm64") for both formats. Extra keys: file_path, format,
// timestamp_local, timestamp_clock, file_timestamp_local, file_timestamp_clock,
// fault_address. Files are read up to MaxFile bytes.
package tombstones

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/bugreporttimestamps"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "tombstones"

// Dir is the folder of tombstones in a bug report.
const Dir = "FS/data/tombstones"

// MaxFile bounds the bytes read of one tombstone (protobuf tombstones hold memory dumps
// and log buffers; a few MB is usual).
const MaxFile = 64 << 20

// Module reads tombstones.
type Module struct{}

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
		Class:       "Tombstones",
		Version:     1,
		Description: "Native crash reports (tombstones, text and protobuf) of a bug report",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths: []string{
			Dir + "/tombstone_*",
			"*/tombstone_*", "*/*/tombstone_*", "*/*/*/tombstone_*", "*/*/*/*/tombstone_*",
			bugreporttimestamps.PropsSection,
		},
	}
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var files []string
	hasProps := false
	for _, f := range in.Files {
		if f == bugreporttimestamps.PropsSection {
			hasProps = true
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return module.ErrNotFound
	}
	var zone bugreporttimestamps.Zone
	if hasProps {
		zone = bugreporttimestamps.DeviceZone(in)
	}
	sub := *in
	sub.Files = files
	return module.EachFile(ctx, &sub, out, func(name string) error {
		data, truncated, err := read(in, name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		var c *Crash
		if strings.HasSuffix(name, ".pb") {
			c, err = ParseProto(data)
		} else {
			c, err = ParseText(data)
		}
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		if truncated {
			out.Problem("%s: larger than %d MiB, only its start was read", name, MaxFile>>20)
		}
		var ft bugreporttimestamps.Time
		if fi, err := fs.Stat(in.FS, name); err == nil {
			ft = bugreporttimestamps.FileTime(fi, zone)
		}
		return out.Record(recordOf(name, c, ft, zone))
	})
}

func read(in *module.Input, name string) ([]byte, bool, error) {
	f, err := in.Open(name)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > MaxFile {
		return data[:MaxFile], true, nil
	}
	return data, false, nil
}

func recordOf(name string, c *Crash, ft bugreporttimestamps.Time, zone bugreporttimestamps.Zone) *Record {
	r := &Record{
		FileName:           safetext.EscapeInvalid(path.Base(name)),
		FileTimestamp:      timefmt.Of(ft.UTC),
		BuildFingerprint:   c.BuildFingerprint,
		Revision:           c.Revision,
		Arch:               c.Arch,
		ProcessUptime:      c.ProcessUptime,
		CommandLine:        c.CommandLine,
		PID:                c.PID,
		TID:                c.TID,
		ProcessName:        c.ProcessName,
		BinaryPath:         c.BinaryPath,
		SELinuxLabel:       c.SELinuxLabel,
		UID:                c.UID,
		SignalInfo:         c.Signal,
		Causes:             c.Causes,
		AbortMessage:       c.AbortMessage,
		File:               safetext.EscapeInvalid(name),
		Format:             c.Format,
		TimestampLocal:     c.Timestamp,
		FileTimestampLocal: ft.Local,
		FileTimestampClock: ft.Clock,
		FaultAddress:       c.FaultAddress,
	}
	if len(c.Causes) > 0 {
		r.Cause = c.Causes[0].HumanReadable
	}
	if c.Timestamp != "" {
		t, clock := ParseTimestamp(c.Timestamp, zone)
		r.Timestamp, r.TimestampClock = timefmt.Of(t), clock
	}
	return r
}

// ParseTimestamp reads a tombstone's time ("2024-03-14 10:00:00.123456789+0100"): with
// its offset it is converted to UTC and the clock is "offset +0100"; without, the
// device zone is used when known, else the time is zero and the clock says the zone is
// unknown. A time that cannot be read is zero with clock "unreadable".
func ParseTimestamp(s string, zone bugreporttimestamps.Zone) (time.Time, string) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05-0700", "2006-01-02 15:04:05 -0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return valid(t), "offset " + t.Format("-0700")
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if zone.Loc == nil {
			return time.Time{}, bugreporttimestamps.ClockUnknown
		}
		return valid(time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), zone.Loc)), zone.Name
	}
	return time.Time{}, "unreadable"
}

func valid(t time.Time) time.Time {
	if !timefmt.Valid(t) {
		return time.Time{}
	}
	return t.UTC()
}
