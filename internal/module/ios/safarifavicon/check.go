package safarifavicon

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Favicon](data) }

// checker looks the page URL up in the indicators, then, when it matches nothing, the
// icon URL: CRITICAL, at most one alert per icon, as MVT.
type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(rec any, r *check.Reporter) {
	f, ok := rec.(*Favicon)
	if !ok {
		return
	}
	where := "the " + f.Type + " favicon cache entry of " + f.DBPath
	if f.URL != "" && c.env.URL(r, alert.Critical, f.URL, "a page in "+where, f.ISODate.Time, f) {
		return
	}
	if f.IconURL != "" {
		c.env.URL(r, alert.Critical, f.IconURL, "the icon URL of page "+f.URL+" in "+where, f.ISODate.Time, f)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
