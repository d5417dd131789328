package aqfgetprop

import (
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
)

// OldPatch is raised when the security patch level is more than six months (of 31
// days) older than the acquisition.
var OldPatch = props.OldPatchHeuristic(Name, "when androidqf collected it")

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Property)
	if !ok {
		return
	}
	if m := c.env.Index.MatchAndroidProperty(rec.Name); m != nil {
		r.Indicator(alert.Critical, m, rec.Name, "the system properties", time.Time{}, rec)
	}
	if rec.Name == props.SecurityPatchName {
		if msg, old := PatchTooOld(rec.Value, rec.AcquisitionStarted); old {
			OldPatch.Raise(r, msg, time.Time{}, rec)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// PatchTooOld says whether the security patch level patch (YYYY-MM-DD) is more than
// props.PatchMaxAge older than the UTC date of started (RFC 3339), and the alert's message. Unreadable
// dates are not reported.
func PatchTooOld(patch, started string) (string, bool) {
	p, ok := props.ParsePatchLevel(patch)
	if !ok {
		return "", false
	}
	s, err := time.Parse(time.RFC3339Nano, started)
	if err != nil {
		return "", false
	}
	// days count: the acquisition's UTC date, as the patch level is a date
	s = s.UTC().Truncate(24 * time.Hour)
	if s.Sub(p) <= props.PatchMaxAge {
		return "", false
	}
	return fmt.Sprintf("This phone had not received security updates for more than six months when it was collected "+
		"(security patch level %s, collected %s UTC, %d days later)", patch, s.UTC().Format("2006-01-02"), int(s.Sub(p).Hours()/24)), true
}
