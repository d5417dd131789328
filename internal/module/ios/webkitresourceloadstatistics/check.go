package webkitresourceloadstatistics

import (
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Observation](data) }

// checker looks every registrable domain up in the indicators (CRITICAL, as MVT). A
// redirect partner is not looked up again in the record of the domain it redirected
// from or to: relations link domain ids, so every partner has an ObservedDomains row of
// its own, and is checked there; the alert on it names the domains it was redirected
// from and to, which is the redirect chain an analyst needs.
type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(rec any, r *check.Reporter) {
	o, ok := rec.(*Observation)
	if !ok || o.RegistrableDomain == "" {
		return
	}
	c.env.Domain(r, alert.Critical, o.RegistrableDomain, where(o), o.LastSeenISODate.Time, o)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// where says in a few words where the domain was found and which redirects involve it:
// "the WebKit statistics of AppDomain-com.apple.mobilesafari (last seen 2026-03-14
// 09:26:53 UTC; pages redirected to it from yahoo.fr)".
func where(o *Observation) string {
	s := "the WebKit resource-load statistics"
	if o.Domain != "" {
		s += " of " + o.Domain
	}
	var notes []string
	if !o.LastSeenISODate.IsZero() {
		notes = append(notes, "last seen "+o.LastSeenISODate.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	for _, n := range []struct {
		text string
		list []string
	}{
		{"pages redirected to it from ", o.TopFrameRedirectsFrom},
		{"it redirected pages to ", o.TopFrameRedirectsTo},
		{"subresources redirected to it from ", o.SubresourceRedirectsFrom},
		{"its subresources redirected to ", o.SubresourceRedirectsTo},
	} {
		if len(n.list) > 0 {
			notes = append(notes, n.text+names(n.list))
		}
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}
