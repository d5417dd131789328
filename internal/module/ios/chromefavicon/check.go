package chromefavicon

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker returns the checks of one run: the page, then the icon, against URL, domain
// and IP indicators, as MVT does.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable. MVT's records (url, icon_url, timestamp,
// isodate) decode as favicons without the extras.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Favicon](data) }

var _ module.Reloadable = (*Module)(nil)

type checker struct{ env *check.Env }

// Check judges one record: one alert at most, for the page or else for the icon.
func (c *checker) Check(rec any, r *check.Reporter) {
	f, ok := rec.(*Favicon)
	if !ok {
		return
	}
	if f.URL != "" && c.env.URL(r, alert.Critical, f.URL, where(f, "page"), f.ISODate.Time, f) {
		return
	}
	if f.IconURL != "" {
		c.env.URL(r, alert.Critical, f.IconURL, where(f, "icon"), f.ISODate.Time, f)
	}
}

// Finish has nothing to do.
func (c *checker) Finish(*check.Reporter) {}

// defaultDB is Chrome's own Favicons, default profile.
const defaultDB = "AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/Favicons"

// where says in a few words where a URL was found, for indicator alerts.
func where(f *Favicon, what string) string {
	s := "the " + what + " URL of a Chrome favicon"
	if what == "icon" && f.URL != "" {
		s += " for " + f.URL
	}
	if !f.ISODate.IsZero() {
		s += ", dated " + f.ISODate.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if f.ChromeFaviconDB != defaultDB && f.ChromeFaviconDB != "" { // "" in MVT's records
		s += " (" + f.ChromeFaviconDB + ")"
	}
	return s
}
