package firefoxhistory

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker returns the checks of one run: every visited URL is looked up in the
// indicators (URL, domain and IP indicators) and a match is CRITICAL, as in MVT.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable. MVT's records (id, isodate, url, title,
// i1000000s_local, type) decode as visits without the extras.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Visit](data) }

var _ module.Reloadable = (*Module)(nil)

type checker struct{ env *check.Env }

// Check judges one visit.
func (c *checker) Check(rec any, r *check.Reporter) {
	v, ok := rec.(*Visit)
	if !ok || v.URL == "" {
		return
	}
	c.env.URL(r, alert.Critical, v.URL, where(v), v.ISODate.Time, v)
}

// Finish has nothing to do: every visit is judged on its own.
func (c *checker) Finish(*check.Reporter) {}

// where says in a few words where a URL was found, for indicator alerts.
func where(v *Visit) string {
	s := "a Firefox visit"
	if !v.ISODate.IsZero() {
		s += " on " + v.ISODate.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if v.FirefoxDB != DefaultDB && v.FirefoxDB != "" { // "" in MVT's records
		s += " (" + v.FirefoxDB + ")"
	}
	return s
}
