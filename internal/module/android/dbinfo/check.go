package dbinfo

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

type checker struct{ env *check.Env }

// Check implements check.Checker: the process and the package-like path components
// against app-id indicators, one alert per operation.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Operation)
	if !ok {
		return
	}
	for _, id := range Candidates(rec) {
		if c.env.AppID(r, alert.Critical, id, "a database operation on "+rec.Path, rec.Timestamp.Time, rec) {
			return
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
