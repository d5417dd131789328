package dumpsysbatteryhistory

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

type checker struct{ env *check.Env }

// Check implements check.Checker: the package name against app-id indicators.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Event)
	if !ok || rec.PackageName == "" {
		return
	}
	c.env.AppID(r, alert.Critical, rec.PackageName, "the battery history ("+rec.Event+")", rec.Timestamp.Time, rec)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
