package datausage

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// DeletedProcess is raised once per process id that usage rows point to but that
// ZPROCESS no longer holds (the datausage module's; see Heuristics for netusage's).
var DeletedProcess, MissingProcess = Heuristics(Name, "DataUsage.sqlite")

// BinaryNotFound is raised, on file-system dumps, for a process without a bundle id
// whose program is not in the dump (see binaries.go).
var BinaryNotFound = BinaryHeuristic(Name, "DataUsage.sqlite")

// Heuristics returns the deleted-process and missing-process heuristics of a module
// reading a database of this model (DataUsage.sqlite, netusage.sqlite), with IDs
// <slug>/deleted-process and <slug>/missing-process and texts naming the database.
func Heuristics(slug, database string) (deleted, missing check.Heuristic) {
	deleted = check.Heuristic{
		ID:    slug + "/deleted-process",
		Level: alert.High,
		Meaning: database + " still holds network usage counted for a process whose own record was deleted. " +
			"iOS writes and removes the two together, so usage rows pointing to a missing process mean that the process record " +
			"was deleted directly from the database. Amnesty International found exactly this on phones infected with NSO Group's " +
			"Pegasus (2019–2021): the spyware erased its process names to hide, and left the usage rows behind.",
		FalsePositive: "A database damaged by a crash or an interrupted restore, or edited by a forensic or \"cleaning\" tool, can " +
			"leave such rows, but this is rare on an untouched phone. The name of the deleted process cannot be recovered from this database.",
		Advice: "Note the times of the orphaned usage rows (in the alert) and look at the timeline just before them: links opened in " +
			"Safari, iMessages or calls from unknown accounts, other processes first seen at the same minute, crash logs. Keep the " +
			"acquisition unchanged and have an experienced analyst confirm before drawing conclusions.",
	}
	missing = check.Heuristic{
		ID:    slug + "/missing-process",
		Level: alert.Low,
		Meaning: "Some process ids are missing from the sequence in " + database + ": process records were removed after they were " +
			"written. Spyware that cleans up after itself causes this (Amnesty International listed it among Pegasus traces), " +
			"but on its own it is weak evidence.",
		FalsePositive: "iOS itself removes old process records when it prunes the database, which also leaves gaps; many phones " +
			"show a few. A gap matters only when the processes around it were first seen at a time that matters to the case.",
		Advice: "Look at the first-seen times of the processes just before and just after the gap (in the alert) and at the timeline " +
			"between them: a suspicious link, an iMessage from an unknown account or a crash at that time gives the gap weight; " +
			"otherwise treat it as routine housekeeping.",
	}
	return deleted, missing
}

// maxListedRows bounds the usage rows kept in one deleted-process alert.
const maxListedRows = 50

// DeletedProcessEvent is the record of a deleted-process alert: the usage rows that
// point to one missing process id.
type DeletedProcessEvent struct {
	LiveProcID  int64        `json:"live_proc_id"`
	ProcName    string       `json:"proc_name"`
	FirstLive   timefmt.Time `json:"first_live_isodate"`
	LastLive    timefmt.Time `json:"last_live_isodate"`
	LiveRows    []*Record    `json:"live_rows"` // the first maxListedRows rows
	LiveRowsAll int          `json:"live_rows_total"`
}

type checker struct {
	env *check.Env
	// checked is the last process id looked up in the indicators: records come in
	// process-id order, one per usage row, and a process is looked up once.
	checked *int64
	deleted *DeletedProcessEvent // usage rows of the deleted process being gathered
	gap     *Gap                 // last gap reported
	v       *Variant
	// noBinary holds the process names already reported without a program.
	noBinary map[string]bool
}

func newChecker(env *check.Env, v *Variant) *checker { return &checker{env: env, v: v} }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	if c.deleted != nil && !(rec.Manipulated() && *rec.LiveProcID == c.deleted.LiveProcID) {
		c.flushDeleted(r)
	}
	switch {
	case rec.Synthetic && rec.Gap != nil:
		c.checkGap(rec, r)
	case rec.Manipulated():
		c.gatherDeleted(rec)
	case rec.ProcID != nil:
		if c.checked == nil || *c.checked != *rec.ProcID {
			id := *rec.ProcID
			c.checked = &id
			c.checkIndicators(rec, r)
			c.checkBinary(rec, r)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(r *check.Reporter) { c.flushDeleted(r) }

// checkIndicators looks the process name, the bundle id in it and the bundle column up
// as process names, then the bundle ids as app ids, and reports the first match.
func (c *checker) checkIndicators(rec *Record, r *check.Reporter) {
	when := rec.FirstIsodate.Time
	where := fmt.Sprintf("the network usage of process %q", rec.ProcName)
	if !when.IsZero() {
		where += ", first seen on " + timefmt.Format(when)
	}
	for _, name := range distinct(rec.Process, rec.ProcessBundleID, rec.BundleID) {
		if c.env.Process(r, alert.Critical, name, where, when, rec) {
			return
		}
	}
	for _, id := range distinct(rec.ProcessBundleID, rec.BundleID) {
		if c.env.AppID(r, alert.Critical, id, where, when, rec) {
			return
		}
	}
}

// checkBinary raises binary-not-found once per process name.
func (c *checker) checkBinary(rec *Record, r *check.Reporter) {
	if rec.BinaryFound == nil || *rec.BinaryFound || c.noBinary[rec.Process] {
		return
	}
	if c.noBinary == nil {
		c.noBinary = map[string]bool{}
	}
	c.noBinary[rec.Process] = true
	msg := fmt.Sprintf("No program named %q is in the dump, although %s counts network traffic of that process (no bundle id, first seen %s)",
		rec.Process, c.v.Database, orUnknown(rec.FirstIsodate))
	if len(rec.Process) >= truncatedLen {
		msg += fmt.Sprintf("; the name may be truncated to %d characters, and no file name starting with it was found either", len(rec.Process))
	}
	c.v.binary.Raise(r, msg, rec.FirstIsodate.Time, rec)
}

func distinct(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if v == "" {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || o == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

func (c *checker) gatherDeleted(rec *Record) {
	if c.deleted == nil {
		c.deleted = &DeletedProcessEvent{LiveProcID: *rec.LiveProcID, ProcName: ManipulatedName}
	}
	d := c.deleted
	d.LiveRowsAll++
	if len(d.LiveRows) < maxListedRows {
		d.LiveRows = append(d.LiveRows, rec)
	}
	if t := rec.LiveIsodate; !t.IsZero() {
		if d.FirstLive.IsZero() || t.Before(d.FirstLive.Time) {
			d.FirstLive = t
		}
		if t.After(d.LastLive.Time) {
			d.LastLive = t
		}
	}
}

func (c *checker) flushDeleted(r *check.Reporter) {
	d := c.deleted
	if d == nil {
		return
	}
	c.deleted = nil
	msg := fmt.Sprintf("Found network usage of process id %d, whose process record was deleted from %s (%d usage row(s)", d.LiveProcID, c.v.Database, d.LiveRowsAll)
	switch {
	case d.FirstLive.IsZero():
	case d.FirstLive.Equal(d.LastLive.Time):
		msg += " on " + d.FirstLive.String()
	default:
		msg += " from " + d.FirstLive.String() + " to " + d.LastLive.String()
	}
	c.v.deleted.Raise(r, msg+")", d.FirstLive.Time, d)
}

func (c *checker) checkGap(rec *Record, r *check.Reporter) {
	g := rec.Gap
	if c.gap != nil && c.gap.FirstID == g.FirstID && c.gap.LastID == g.LastID {
		return
	}
	c.gap = g
	ids := fmt.Sprintf("id %d is", g.FirstID)
	if g.Count > 1 {
		ids = fmt.Sprintf("ids %d to %d (%d) are", g.FirstID, g.LastID, g.Count)
	}
	prev := ""
	if g.PrevProcID != nil {
		prev = fmt.Sprintf("id %d, ", *g.PrevProcID)
	}
	msg := fmt.Sprintf("Process %s missing from %s, after %q (%sfirst seen %s)",
		ids, c.v.Database, g.PrevProcName, prev, orUnknown(g.PrevFirstIsodate))
	if g.AfterLast {
		msg += ", the last process kept (Z_PRIMARYKEY shows these ids were handed out)"
	} else if g.NextProcID != nil {
		msg += fmt.Sprintf(" and before %q (id %d, first seen %s)", g.NextProcName, *g.NextProcID, orUnknown(g.NextFirstIsodate))
	}
	c.v.missing.Raise(r, msg, g.PrevFirstIsodate.Time, rec)
}

func orUnknown(t timefmt.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return "on " + t.String()
}
