package sysdiagnoseps

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one process running when the sysdiagnose was taken. MVT has no such
// module; the keys follow the EC-DIGIT-CSIRC sysdiagnose framework's ps parser where it
// has one (user, pid, ppid, started, command, process_name).
type Record struct {
	User    string `json:"user"`
	UID     *int64 `json:"uid"` // absent from ps_thread.txt
	PID     int64  `json:"pid"`
	PPID    *int64 `json:"ppid"`
	Started string `json:"started"` // ps's STARTED column, as written ("9:41AM", "Tue09PM", "14Jan24")
	Command string `json:"command"` // the whole command line
	// Path is the program's path when the command starts with one, else "".
	Path string `json:"path"`
	// ProcessName is the base name of Path (or of the command's first word).
	ProcessName string `json:"process_name"`
	// SourceFile is the listing the process was first read from (ps.txt before
	// ps_thread.txt); a process listed in both is one record.
	SourceFile string `json:"source_file"`
	// CollectionTime is when the sysdiagnose was taken (from sysdiagnose.log), null when
	// unknown.
	CollectionTime timefmt.Time `json:"collection_time"`
}

// Timeline implements module.Timeliner: process_running at the collection time, when
// it is known.
func (r *Record) Timeline() []module.Event {
	if r.CollectionTime.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.CollectionTime.Time, Event: "process_running", Data: r.Summary()}}
}

// Summary describes the process in one line.
func (r *Record) Summary() string {
	s := fmt.Sprintf("%s [%d]", r.Command, r.PID)
	if r.User != "" {
		s += " running as " + r.User
	}
	return s
}
