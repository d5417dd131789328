package shortcuts

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

type checker struct {
	env *check.Env
}

// Check looks every URL of the shortcut's actions up in the URL, domain and IP
// indicators (CRITICAL, as MVT).
func (c *checker) Check(v any, r *check.Reporter) {
	s, ok := v.(*Shortcut)
	if !ok {
		return
	}
	for _, u := range s.ActionURLs {
		c.env.URL(r, alert.Critical, u, "an action of "+s.label(), s.when(), s)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
