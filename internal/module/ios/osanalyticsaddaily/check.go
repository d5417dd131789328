package osanalyticsaddaily

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

type checker struct {
	env *check.Env
}

// Check implements check.Checker: the process name against process indicators,
// CRITICAL as in MVT.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok || rec.Package == "" {
		return
	}
	where := "the network usage baseline of iOS analytics"
	if !rec.Date.IsZero() {
		where += " dated " + rec.Date.String()
	}
	c.env.Process(r, alert.Critical, rec.Package, where, rec.Date.Time, rec)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
