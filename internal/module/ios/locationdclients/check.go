package locationdclients

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

type checker struct {
	env *check.Env
}

// Check implements check.Checker: the client's names against process indicators and
// its paths against file indicators, HIGH as in MVT, at the client's latest date.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	at := rec.Latest()
	where := "locationd's list of location clients, entry " + rec.Package
	if !at.IsZero() {
		where += ", last active " + at.String()
	}
	for _, name := range rec.processNames() {
		c.env.Process(r, alert.High, name, where, at.Time, rec)
	}
	for _, p := range rec.filePaths() {
		c.env.FilePath(r, alert.High, p, where, at.Time, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
