package dumpsysgetprop

import (
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
)

// OldPatch is raised when the security patch level is more than six months (of 31
// days) older than the bug report.
var OldPatch = props.OldPatchHeuristic(Name, "when the bug report was taken")

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
		if msg, old := PatchTooOld(rec.Value, rec.BugreportDate); old {
			OldPatch.Raise(r, msg, time.Time{}, rec)
		}
	}
}

// PatchTooOld says whether the security patch level patch (YYYY-MM-DD) is more than
// props.PatchMaxAge older than date (the acquisition's date, "YYYY-MM-DD…"), and the
// alert's message. Unreadable dates are not reported.
func PatchTooOld(patch, date string) (string, bool) {
	p, ok := props.ParsePatchLevel(patch)
	if !ok || len(date) < 10 {
		return "", false
	}
	d, err := time.Parse("2006-01-02", date[:10])
	if err != nil || d.Sub(p) <= props.PatchMaxAge {
		return "", false
	}
	return fmt.Sprintf("This phone had not received security updates for more than six months when the bug report was taken "+
		"(security patch level %s, bug report of %s)", patch, date[:10]), true
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
