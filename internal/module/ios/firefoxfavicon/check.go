package firefoxfavicon

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker returns the checks of one run: as in MVT, the icon's URL is looked up in
// the indicators (URL, domain and IP indicators), then, when it matches none, the page's
// URL; a match is CRITICAL.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable. MVT's records (id, url, width, height,
// type, isodate, history_id, history_url) decode as favicons without the extras.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Favicon](data) }

var _ module.Reloadable = (*Module)(nil)

type checker struct{ env *check.Env }

// Check judges one favicon.
func (c *checker) Check(rec any, r *check.Reporter) {
	f, ok := rec.(*Favicon)
	if !ok {
		return
	}
	if f.URL != "" && c.env.URL(r, alert.Critical, f.URL, where("a Firefox favicon", f), f.ISODate.Time, f) {
		return
	}
	if f.HistoryURL != "" {
		c.env.URL(r, alert.Critical, f.HistoryURL, where("the page of a Firefox favicon", f), f.ISODate.Time, f)
	}
}

// Finish has nothing to do: every favicon is judged on its own.
func (c *checker) Finish(*check.Reporter) {}

// where says in a few words where a URL was found, for indicator alerts.
func where(what string, f *Favicon) string {
	s := what
	if !f.ISODate.IsZero() {
		s += " fetched on " + f.ISODate.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if f.FirefoxDB != DefaultDB && f.FirefoxDB != "" { // "" in MVT's records
		s += " (" + f.FirefoxDB + ")"
	}
	return s
}
