package sysdiagnosecrashes

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one crash, hang, panic or jetsam report. MVT has no such module; the keys
// follow the report's own header keys (app_name, name, bug_type, timestamp, os_version,
// incident_id) and the EC-DIGIT-CSIRC sysdiagnose framework's crashlogs parser.
type Record struct {
	File string `json:"file"` // name in the archive, e.g. crashes_and_spins/IMTranscoderAgent-2021-07-10-123456.ips
	// BugType is the header's bug_type; BugTypeName says what it is ("crash",
	// "jetsam"…), "" when the number is not known.
	BugType     string `json:"bug_type"`
	BugTypeName string `json:"bug_type_name"`
	AppName     string `json:"app_name"`
	Name        string `json:"name"`
	BundleID    string `json:"bundle_id,omitempty"`
	ProcPath    string `json:"proc_path"`
	ProcName    string `json:"proc_name"`
	ParentProc  string `json:"parent_proc"`
	PID         *int64 `json:"pid"`
	// Timestamp is the header's time converted to UTC; TimestampLocal is it as written,
	// with the phone's zone.
	Timestamp      timefmt.Time `json:"timestamp"`
	TimestampLocal string       `json:"timestamp_local"`
	OSVersion      string       `json:"os_version"`
	IncidentID     string       `json:"incident_id"`
	ExceptionType  string       `json:"exception_type,omitempty"`
	// ExceptionSignal is the signal that ended the process (SIGSEGV…).
	ExceptionSignal string `json:"exception_signal,omitempty"`
}

// bugTypes names the bug_type values met in crashes_and_spins.
var bugTypes = map[string]string{
	"109": "crash",     // text report (iOS 14 and older)
	"309": "crash",     // JSON report (iOS 15 and later)
	"210": "panic",     // kernel panic
	"288": "stackshot", // hang or spin
	"298": "jetsam",    // process killed for memory
	"211": "analytics", // aggregated analytics
}

// isCrash reports whether the record is a process crash (not a jetsam, hang or panic
// report).
func (r *Record) isCrash() bool { return r.BugType == "109" || r.BugType == "309" }

// Process returns the crashed process's name: procName, else the base name of its
// path, else the header's app_name.
func (r *Record) Process() string {
	switch {
	case r.ProcName != "":
		return r.ProcName
	case r.ProcPath != "":
		return r.ProcPath[strings.LastIndexByte(r.ProcPath, '/')+1:]
	}
	return r.AppName
}

// Summary describes the report in one line.
func (r *Record) Summary() string {
	kind := r.BugTypeName
	if kind == "" {
		kind = "report (bug type " + r.BugType + ")"
	}
	s := kind
	if p := r.Process(); p != "" {
		s += " of " + p
	} else if r.Name != "" {
		s += " " + r.Name
	}
	if r.ExceptionType != "" {
		s += fmt.Sprintf(" (%s", r.ExceptionType)
		if r.ExceptionSignal != "" {
			s += " " + r.ExceptionSignal
		}
		s += ")"
	}
	return s + " in " + r.File
}

// Timeline implements module.Timeliner: crash_report at the report's time.
func (r *Record) Timeline() []module.Event {
	if r.Timestamp.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.Timestamp.Time, Event: "crash_report", Data: r.Summary()}}
}
