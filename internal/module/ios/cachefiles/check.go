package cachefiles

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// checker looks every cached URL up in the indicators, CRITICAL as MVT's level.
type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(rec any, r *check.Reporter) {
	resp, ok := rec.(*Response)
	if !ok || resp.URL == "" {
		return
	}
	c.env.URL(r, alert.Critical, resp.URL, "a response cached in "+resp.CacheFile, resp.ISODate.Time, resp)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
