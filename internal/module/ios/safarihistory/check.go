package safarihistory

import (
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/urlx"
)

// FastRedirect reports a cleartext visit redirected in under a second to another site.
var FastRedirect = check.FastRedirect("safari_history/fast-redirect", "Safari")

// redirectWindow is the largest delay between a cleartext visit and its redirect
// destination that FastRedirect reports.
const redirectWindow = time.Second

// maxPending bounds the visits the redirect check holds at once (a hostile database
// could give every visit the same time).
const maxPending = 1 << 16

// NewChecker returns the checks of one run.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Visit](data) }

// checker looks every visited URL up in the indicators and links redirect sources to
// their destinations in one pass. Records come ordered by visit time, so a visit can
// only be linked to one less than redirectWindow away from the latest time seen: the
// checker holds the visits of the last second of one database, indexed by visit id and
// by the ids they name as redirect source and destination, so a pair is found whichever
// of its ends names the other and whichever comes first.
type checker struct {
	env *check.Env

	db string // the database of the visits held below
	// byID holds the visits of the last second; namesDest and namesSource hold them by
	// the visit id they name as redirect destination and source.
	byID, namesDest, namesSource map[int64]*Visit
	latest, swept                time.Time
}

// Check judges one visit.
func (c *checker) Check(rec any, r *check.Reporter) {
	v, ok := rec.(*Visit)
	if !ok {
		return
	}
	if v.URL != "" {
		c.env.URL(r, alert.Critical, v.URL, where(v), v.ISODate.Time, v)
	}
	c.link(v, r)
}

// Finish drops the visits still held: their redirect partners never came.
func (c *checker) Finish(*check.Reporter) {
	c.byID, c.namesDest, c.namesSource = nil, nil, nil
}

// link pairs v with the visits of the last second it was redirected from or to, and
// judges each pair once: when its later end arrives.
func (c *checker) link(v *Visit, r *check.Reporter) {
	if v.SafariHistoryDB != c.db || c.byID == nil {
		// Visits of another database are never linked to these.
		c.db = v.SafariHistoryDB
		c.byID, c.namesDest, c.namesSource = map[int64]*Visit{}, map[int64]*Visit{}, map[int64]*Visit{}
		c.latest, c.swept = time.Time{}, time.Time{}
	}
	if v.ISODate.IsZero() {
		return // a visit of unknown time cannot be timed
	}
	c.sweep(v.ISODate.Time)
	type pair struct{ src, dst *Visit }
	var pairs []pair
	add := func(src, dst *Visit) {
		for _, p := range pairs {
			if p.src == src && p.dst == dst {
				return
			}
		}
		pairs = append(pairs, pair{src, dst})
	}
	if v.RedirectSource != nil {
		if src, ok := c.byID[*v.RedirectSource]; ok {
			add(src, v)
		}
	}
	if v.RedirectDestination != nil {
		if dst, ok := c.byID[*v.RedirectDestination]; ok {
			add(v, dst)
		}
	}
	if src, ok := c.namesDest[v.VisitID]; ok {
		add(src, v)
	}
	if dst, ok := c.namesSource[v.VisitID]; ok {
		add(v, dst)
	}
	for _, p := range pairs {
		c.judge(p.src, p.dst, r)
	}
	if len(c.byID) >= maxPending {
		return
	}
	c.byID[v.VisitID] = v
	if v.RedirectDestination != nil {
		c.namesDest[*v.RedirectDestination] = v
	}
	if v.RedirectSource != nil {
		c.namesSource[*v.RedirectSource] = v
	}
}

// sweep forgets the visits too old to be linked to a visit at t or later.
func (c *checker) sweep(t time.Time) {
	if t.After(c.latest) {
		c.latest = t
	}
	if c.latest.Sub(c.swept) < redirectWindow {
		return
	}
	c.swept = c.latest
	cut := c.latest.Add(-redirectWindow)
	for _, m := range []map[int64]*Visit{c.byID, c.namesDest, c.namesSource} {
		for id, e := range m {
			if !e.ISODate.After(cut) {
				delete(m, id)
			}
		}
	}
}

// judge reports src → dst when src is cleartext, dst is on another site and the
// redirect took less than redirectWindow.
func (c *checker) judge(src, dst *Visit, r *check.Reporter) {
	msg, ok := urlx.FastCrossSiteRedirect(src.URL, dst.URL, dst.ISODate.Sub(src.ISODate.Time), redirectWindow)
	if !ok {
		return
	}
	if src.SafariHistoryDB != defaultDB {
		msg += " in " + src.SafariHistoryDB
	}
	FastRedirect.Raise(r, msg, src.ISODate.Time, src)
}

// defaultDB is Safari's own History.db.
const defaultDB = "HomeDomain/Library/Safari/History.db"

// where says in a few words where a URL was found, for indicator alerts.
func where(v *Visit) string {
	s := "a Safari visit"
	if !v.ISODate.IsZero() {
		s += " on " + v.ISODate.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if v.SafariHistoryDB != defaultDB {
		s += " (" + v.SafariHistoryDB + ")"
	}
	return s
}
