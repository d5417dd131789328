package datausage

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Names MVT gives to records of processes that are not (or no longer) in ZPROCESS.
const (
	// ManipulatedName is the proc_name of a usage row whose process record was deleted.
	ManipulatedName = "MANIPULATED [process record deleted]"
	// missingPrefix starts the proc_name of a synthetic record standing for a missing id.
	missingPrefix = "MISSING [follows "
)

// Record is one ZLIVEUSAGE row with its ZPROCESS row, one ZPROCESS row without usage,
// or a synthetic record standing for a process id missing from ZPROCESS. The first
// twelve keys are MVT's; the others are spytrace's.
type Record struct {
	FirstIsodate timefmt.Time `json:"first_isodate"` // ZPROCESS.ZFIRSTTIMESTAMP
	Isodate      timefmt.Time `json:"isodate"`       // ZPROCESS.ZTIMESTAMP
	ProcName     string       `json:"proc_name"`     // ZPROCESS.ZPROCNAME
	BundleID     string       `json:"bundle_id"`     // ZPROCESS.ZBUNDLENAME
	ProcID       *int64       `json:"proc_id"`       // ZPROCESS.Z_PK; null when the process record is missing
	WiFiIn       *float64     `json:"wifi_in"`       // bytes; null when the row or the column is absent
	WiFiOut      *float64     `json:"wifi_out"`
	WWANIn       *float64     `json:"wwan_in"`
	WWANOut      *float64     `json:"wwan_out"`
	LiveID       *int64       `json:"live_id"`      // ZLIVEUSAGE.Z_PK; null for a process without usage rows
	LiveProcID   *int64       `json:"live_proc_id"` // ZLIVEUSAGE.ZHASPROCESS
	LiveIsodate  timefmt.Time `json:"live_isodate"` // ZLIVEUSAGE.ZTIMESTAMP

	// Process and ProcessBundleID split a ZPROCNAME of the form "<process>/<bundle id>"
	// (recent iOS); without a "/" Process is the whole name.
	Process         string `json:"process,omitempty"`
	ProcessBundleID string `json:"process_bundle_id,omitempty"`
	// Synthetic marks a record that stands for a process id missing from ZPROCESS; Gap
	// describes the run of missing ids it belongs to.
	Synthetic bool `json:"synthetic,omitempty"`
	Gap       *Gap `json:"gap,omitempty"`
	// BinaryFound says, for a process without a bundle id in a file-system dump that
	// holds the system volume, whether a file named like the process is in the dump;
	// BinaryPaths lists the first few (see binaries.go). Absent when not searched.
	BinaryFound *bool    `json:"binary_found,omitempty"`
	BinaryPaths []string `json:"binary_paths,omitempty"`
}

// Gap is a run of process ids missing from ZPROCESS, with the processes around it.
type Gap struct {
	FirstID int64 `json:"first_id"`
	LastID  int64 `json:"last_id"`
	Count   int64 `json:"count"`
	// AfterLast says the run follows the last process id in use and was found through
	// Z_PRIMARYKEY.Z_MAX, the highest id Core Data ever handed out.
	AfterLast bool `json:"after_last,omitempty"`
	// PrevProcID is the id of the process before the run; null when unknown (the
	// placeholders of MVT's results do not say).
	PrevProcID       *int64       `json:"prev_proc_id"`
	PrevProcName     string       `json:"prev_proc_name"`
	PrevFirstIsodate timefmt.Time `json:"prev_first_isodate"`
	NextProcID       *int64       `json:"next_proc_id"`
	NextProcName     string       `json:"next_proc_name,omitempty"`
	NextFirstIsodate timefmt.Time `json:"next_first_isodate"`
}

// Manipulated reports whether the record is a usage row whose process record is gone.
func (r *Record) Manipulated() bool {
	return !r.Synthetic && r.ProcID == nil && r.LiveProcID != nil
}

// splitProcName splits "<process>/<bundle id>".
func splitProcName(name string) (process, bundle string) {
	if p, b, ok := strings.Cut(name, "/"); ok {
		return p, b
	}
	return name, ""
}

// Timeline implements module.Timeliner: first_usage and current_usage for a process
// record, live_usage for a usage row. Synthetic records have no events: the alert about
// their gap carries the times of the neighbours.
func (r *Record) Timeline() []module.Event {
	if r.Synthetic {
		return nil
	}
	var evs []module.Event
	if r.ProcID != nil {
		who := r.describe()
		if !r.FirstIsodate.IsZero() {
			evs = append(evs, module.Event{Time: r.FirstIsodate.Time, Event: "first_usage", Data: who})
		}
		if !r.Isodate.IsZero() {
			evs = append(evs, module.Event{Time: r.Isodate.Time, Event: "current_usage", Data: who})
		}
	}
	if r.LiveID != nil && !r.LiveIsodate.IsZero() {
		evs = append(evs, module.Event{Time: r.LiveIsodate.Time, Event: "live_usage", Data: r.describe() + " " + r.usage()})
	}
	return evs
}

// describe names the process: "<proc_name> (bundle <bundle_id>, process id N)".
func (r *Record) describe() string {
	var b strings.Builder
	b.WriteString(cmp.Or(r.ProcName, "(unnamed)"))
	var attrs []string
	if r.BundleID != "" {
		attrs = append(attrs, "bundle "+r.BundleID)
	}
	switch {
	case r.ProcID != nil:
		attrs = append(attrs, "process id "+strconv.FormatInt(*r.ProcID, 10))
	case r.LiveProcID != nil:
		attrs = append(attrs, "deleted process id "+strconv.FormatInt(*r.LiveProcID, 10))
	}
	if len(attrs) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(attrs, ", "))
	}
	return b.String()
}

// usage writes the byte counters: "WIFI IN 1 OUT 2 WWAN IN 3 OUT 4".
func (r *Record) usage() string {
	var parts []string
	if r.WiFiIn != nil || r.WiFiOut != nil {
		parts = append(parts, "WIFI IN "+bytesText(r.WiFiIn)+" OUT "+bytesText(r.WiFiOut))
	}
	parts = append(parts, "WWAN IN "+bytesText(r.WWANIn)+" OUT "+bytesText(r.WWANOut))
	return strings.Join(parts, " ")
}

func bytesText(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// firstSeen returns the earliest time known for the record.
func (r *Record) firstSeen() time.Time {
	for _, t := range []timefmt.Time{r.FirstIsodate, r.LiveIsodate, r.Isodate} {
		if !t.IsZero() {
			return t.Time
		}
	}
	return time.Time{}
}
