package tombstones

import (
	"encoding/json"
	"fmt"
	"path"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/bugreporttimestamps"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Formats of a tombstone file.
const (
	FormatText     = "text"
	FormatProtobuf = "protobuf"
)

// SignalInfo is the signal that killed the process. Keys are MVT's.
type SignalInfo struct {
	Code     int64  `json:"code"`
	CodeName string `json:"code_name"`
	Name     string `json:"name"`
	Number   *int64 `json:"number"`
}

// Cause is one of the causes debuggerd inferred ("null pointer dereference", an MTE or
// GWP-ASan report).
type Cause struct {
	HumanReadable string       `json:"human_readable"`
	MemoryError   *MemoryError `json:"memory_error,omitempty"`
}

// MemoryError is a Cause's memory_error (protobuf tombstones).
type MemoryError struct {
	Tool string `json:"tool"` // GWP_ASAN, SCUDO
	Type string `json:"type"` // USE_AFTER_FREE…
}

// Record is one tombstone. The keys up to Extra are MVT's (its TombstoneCrashResult);
// the others are spytrace's.
type Record struct {
	FileName string `json:"file_name"` // base name, e.g. tombstone_03.pb
	// FileTimestamp is the zip entry's modification time in UTC; null when it is a
	// device wall clock and the device's zone is unknown (see FileTimestampLocal).
	FileTimestamp    timefmt.Time `json:"file_timestamp"`
	BuildFingerprint string       `json:"build_fingerprint"`
	Revision         string       `json:"revision"`
	Arch             string       `json:"arch"` // arm, arm64, x86, x86_64, riscv64
	// Timestamp is the crash time in UTC: from the offset the tombstone writes, else
	// from the device's zone; null when neither is known (see TimestampLocal).
	Timestamp     timefmt.Time `json:"timestamp"`
	ProcessUptime *int64       `json:"process_uptime"` // seconds
	CommandLine   []string     `json:"command_line"`
	PID           *int64       `json:"pid"`
	TID           *int64       `json:"tid"`
	ProcessName   string       `json:"process_name"`
	BinaryPath    string       `json:"binary_path"`
	SELinuxLabel  string       `json:"selinux_label"`
	UID           *int64       `json:"uid"`
	SignalInfo    *SignalInfo  `json:"signal_info"`
	Cause         string       `json:"cause"`
	Causes        []Cause      `json:"causes"`
	AbortMessage  string       `json:"abort_message"`
	Extra         *string      `json:"extra"` // MVT's model has it and never fills it: always null

	// File is the tombstone's name in the acquisition.
	File string `json:"file_path"`
	// Format is "text" or "protobuf".
	Format string `json:"format"`
	// TimestampLocal is the crash time as the tombstone writes it
	// ("2024-03-14 10:00:00.123456789+0100"); TimestampClock says how Timestamp was
	// obtained: "offset +0100" (written in the tombstone), the device's IANA zone,
	// or "device local, zone unknown".
	TimestampLocal string `json:"timestamp_local"`
	TimestampClock string `json:"timestamp_clock"`
	// FileTimestampLocal is the zip entry's wall clock ("2024-03-14 10:00:02");
	// FileTimestampClock is "UTC" (extended timestamp), the device's zone,
	// "device local, zone unknown" or "file system" (a folder).
	FileTimestampLocal string `json:"file_timestamp_local"`
	FileTimestampClock string `json:"file_timestamp_clock"`
	// FaultAddress is the faulting address, when the signal has one.
	FaultAddress string `json:"fault_address,omitempty"`
}

// UnmarshalJSON reads a record as spytrace writes it or as MVT does. A record of
// MVT's has no format: its timestamp is the tombstone's wall clock with the offset
// dropped, and its file_timestamp the zip entry's wall clock, so both are kept as the
// *_local times, the UTC times left null as for a bug report whose zone is unknown.
func (r *Record) UnmarshalJSON(data []byte) error {
	type plain Record
	aux := struct {
		*plain
		Timestamp     json.RawMessage `json:"timestamp"`
		FileTimestamp json.RawMessage `json:"file_timestamp"`
	}{plain: (*plain)(r)}
	err := json.Unmarshal(data, &aux)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	mvt := r.Format == ""
	for _, f := range []struct {
		raw          json.RawMessage
		utc          *timefmt.Time
		local, clock *string
	}{
		{aux.Timestamp, &r.Timestamp, &r.TimestampLocal, &r.TimestampClock},
		{aux.FileTimestamp, &r.FileTimestamp, &r.FileTimestampLocal, &r.FileTimestampClock},
	} {
		*f.utc = timefmt.Time{}
		var text string
		if json.Unmarshal(f.raw, &text) != nil || text == "" {
			continue
		}
		if !mvt {
			if t, perr := timefmt.Parse(text); perr == nil {
				*f.utc = timefmt.Of(t)
			}
			continue
		}
		if *f.local == "" {
			*f.local = text
		}
		if *f.clock == "" {
			*f.clock = bugreporttimestamps.ClockUnknown
		}
	}
	return err
}

// Process returns the name the checks look up: process_name, else the base name of
// the first command-line argument.
func (r *Record) Process() string {
	if r.ProcessName != "" && r.ProcessName != "Unknown" {
		return r.ProcessName
	}
	if len(r.CommandLine) > 0 {
		return path.Base(r.CommandLine[0])
	}
	return ""
}

// When returns the crash time in UTC, else the file's time, else zero.
func (r *Record) When() timefmt.Time {
	if !r.Timestamp.IsZero() {
		return r.Timestamp
	}
	return r.FileTimestamp
}

// Timeline implements module.Timeliner: MVT's "Tombstone" event at the crash time, else
// at the file's time; none when neither is known in UTC.
func (r *Record) Timeline() []module.Event {
	sig, code := "", ""
	if r.SignalInfo != nil {
		sig, code = r.SignalInfo.Name, r.SignalInfo.CodeName
	}
	uid := "unknown"
	if r.UID != nil {
		uid = fmt.Sprint(*r.UID)
	}
	data := fmt.Sprintf("Crash in '%s' process running as UID '%s' in file '%s' Crash type '%s' with code '%s'",
		r.Process(), uid, r.FileName, sig, code)
	if r.When().IsZero() {
		return nil // a timeline row needs a time
	}
	return []module.Event{{Time: r.When().Time, Event: "Tombstone", Data: data}}
}
