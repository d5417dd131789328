package sysdiagnoseps

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one process running when the sysdiagnose was taken, as one or more of the
// four listings show it. MVT has no such module; the keys follow the EC-DIGIT-CSIRC
// sysdiagnose framework's ps parser where it has one (user, pid, ppid, started,
// command, process_name) and its spindump parser's uuid.
type Record struct {
	User    string `json:"user"` // ps listings only
	UID     *int64 `json:"uid"`  // ps.txt, spindump's UID, taskinfo's audit uid
	PID     int64  `json:"pid"`
	PPID    *int64 `json:"ppid"`    // ps listings, spindump's Parent
	Started string `json:"started"` // ps's STARTED column, as written ("9:41AM", "Tue09PM", "14Jan24")
	// Command is the whole command line (ps listings only; "" when only spindump or
	// taskinfo list the process).
	Command string `json:"command"`
	// Path is the program's path: spindump's Path, or the command's first word when it
	// is absolute; "" when unknown (taskinfo gives only a name).
	Path string `json:"path"`
	// ProcessName is the base name of Path (or of the command's first word, or the
	// name taskinfo or spindump give).
	ProcessName string `json:"process_name"`
	// UUID is the executable's UUID (spindump's UUID, taskinfo's executable uuid).
	UUID string `json:"uuid"`
	// StartTime is when the process started: from spindump's Start time or Time Since
	// Fork and Date/Time (exact to the second), else the collection time minus
	// taskinfo's run time (early by the seconds sysdiagnose took to reach taskinfo);
	// null when unknown.
	StartTime timefmt.Time `json:"start_time"`
	// SourceFile is the listing the process was first read from (in the order ps.txt,
	// ps_thread.txt, spindump-nosymbols.txt, taskinfo.txt); Sources lists every listing
	// that shows it. A process (same pid and program) listed in several is one record.
	SourceFile string   `json:"source_file"`
	Sources    []string `json:"sources"`
	// CollectionTime is when the sysdiagnose was taken (from sysdiagnose.log, else
	// spindump's Date/Time), null when unknown.
	CollectionTime timefmt.Time `json:"collection_time"`
}

// Timeline implements module.Timeliner: process_running at the collection time and
// process_started at the start time, when they are known.
func (r *Record) Timeline() []module.Event {
	var ev []module.Event
	if !r.StartTime.IsZero() {
		ev = append(ev, module.Event{Time: r.StartTime.Time, Event: "process_started", Data: r.Summary()})
	}
	if !r.CollectionTime.IsZero() {
		ev = append(ev, module.Event{Time: r.CollectionTime.Time, Event: "process_running", Data: r.Summary()})
	}
	return ev
}

// Summary describes the process in one line.
func (r *Record) Summary() string {
	what := r.Command
	if what == "" {
		what = r.Path
	}
	if what == "" {
		what = r.ProcessName
	}
	s := fmt.Sprintf("%s [%d]", what, r.PID)
	if r.User != "" {
		s += " running as " + r.User
	}
	return s
}

// maxLoadedBy bounds Image.LoadedBy.
const maxLoadedBy = 32

// Image is one binary image (a library, plug-in or program) that spindump lists as
// loaded in a process, once per distinct path. Programs that are a listed process's
// own path are not repeated here: their process record stands for them.
type Image struct {
	// Image is the name (and version) spindump gives, e.g. "dyld (1335)".
	Image string `json:"image"`
	Path  string `json:"path"`
	UUID  string `json:"uuid"`
	// LoadedBy names the first processes that had it loaded ("name [pid]"), at most 32;
	// ProcessCount counts them all.
	LoadedBy     []string `json:"loaded_by"`
	ProcessCount int      `json:"process_count"`
	SourceFile   string   `json:"source_file"`
	// CollectionTime is as for [Record]. Images are not put on the timeline: the
	// processes that loaded them are, at the same time, and the hundreds of system
	// libraries would drown it.
	CollectionTime timefmt.Time `json:"collection_time"`
}

// Summary describes the image in one line.
func (im *Image) Summary() string {
	by := strings.Join(im.LoadedBy, ", ")
	if extra := im.ProcessCount - len(im.LoadedBy); extra > 0 {
		by += fmt.Sprintf(" and %d more", extra)
	}
	return fmt.Sprintf("%s loaded by %s", im.Path, by)
}
