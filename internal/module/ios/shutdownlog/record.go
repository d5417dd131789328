package shutdownlog

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Values of Record.LogState, set on the one record written for a file that lists no
// client at all.
const (
	// StateEmpty: the file holds nothing but blank lines.
	StateEmpty = "empty"
	// StateNoClients: the file has lines but no "remaining client pid" line.
	StateNoClients = "no_clients"
)

// Record is one client still running during a shutdown ("remaining client pid" line).
// The first five keys are MVT's.
//
// A file that lists no client at all gives one record with LogState set, empty Client
// and PID, and Reboots, so that an empty or wiped log is visible in the results and to
// the checks.
type Record struct {
	// Isodate is the time of the shutdown (the SIGTERM line, Unix seconds); null when
	// the block has no SIGTERM line or its time cannot be read.
	Isodate timefmt.Time `json:"isodate"`
	// PID is the process id as written (a string, as MVT writes it).
	PID string `json:"pid"`
	// Client is the path written between parentheses, UUID included.
	Client string `json:"client"`
	// Delay is the sum of the "After <s>s" values of the block up to this line, and
	// TimesDelayed the number of those headers, as MVT computes them.
	Delay        float64 `json:"delay"`
	TimesDelayed int     `json:"times_delayed"`

	// File is the log the line comes from (acquisition path).
	File string `json:"file"`
	// Command is Client without a trailing UUID component, UUID that component (the
	// binary's UUID as logd writes it; empty when the path has none).
	Command string `json:"command"`
	UUID    string `json:"uuid"`
	// RebootIndex numbers the shutdown blocks of File from 1, in file order.
	RebootIndex int `json:"reboot_index"`
	// Complete says the block ended with a SIGTERM line; false for a last block cut
	// short (the shutdown never finished writing, or the file was truncated).
	Complete bool `json:"complete"`

	// LogState, Reboots and Note are set on a file's placeholder record only.
	LogState string `json:"log_state,omitempty"`
	Reboots  int    `json:"reboots,omitempty"`
	Note     string `json:"note,omitempty"`
}

// UnmarshalJSON reads a record written by spytrace or by MVT. MVT writes only isodate,
// pid, client, delay and times_delayed, and only for shutdowns closed by a SIGTERM
// line: without the other keys, Command and UUID are split off Client and the record
// is Complete; File and RebootIndex stay empty (MVT does not say which log or which
// shutdown of it). A pid written as a number is read as its digits.
func (r *Record) UnmarshalJSON(data []byte) error {
	type plain Record
	v := struct {
		*plain
		PID      any     `json:"pid"`
		Command  *string `json:"command"`
		UUID     *string `json:"uuid"`
		Complete *bool   `json:"complete"`
	}{plain: (*plain)(r)}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(&v)
	switch pid := v.PID.(type) {
	case string:
		r.PID = pid
	case json.Number:
		r.PID = pid.String()
	case nil:
		r.PID = ""
	default:
		r.PID = ""
		if err == nil {
			err = &json.UnmarshalTypeError{Value: module.JSONKind(pid), Type: reflect.TypeFor[string](), Field: "pid"}
		}
	}
	if v.Command != nil {
		r.Command = *v.Command
		if v.UUID != nil {
			r.UUID = *v.UUID
		}
	} else {
		r.Command, r.UUID = splitUUID(r.Client)
	}
	r.Complete = v.Complete == nil || *v.Complete
	return err
}

// placeholder reports whether r stands for a file without clients.
func (r *Record) placeholder() bool { return r.LogState != "" }

// Timeline implements module.Timeliner: one "shutdown" event per client of a shutdown
// whose time is known.
func (r *Record) Timeline() []module.Event {
	if r.placeholder() || r.Isodate.IsZero() {
		return nil
	}
	data := "Client " + r.Client + " with PID " + r.PID + " was running when the device was shut down"
	if r.TimesDelayed > 0 {
		data += " (delay " + strconv.Itoa(r.TimesDelayed) + ", " + strconv.FormatFloat(r.Delay, 'f', 2, 64) + "s)"
	}
	return []module.Event{{Time: r.Isodate.Time, Event: "shutdown", Data: data}}
}
