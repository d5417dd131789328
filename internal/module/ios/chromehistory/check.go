package chromehistory

import (
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/urlx"
)

// FastRedirect reports a cleartext visit redirected in under a second to another site.
var FastRedirect = check.FastRedirect("chrome_history/fast-redirect", "Chrome")

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

// DecodeRecord implements module.Reloadable. MVT's records (id, url, visit_id,
// timestamp, isodate, redirect_source) decode as visits without the extras: with no
// transition, a visit naming a redirect_source is taken as a possible redirect step,
// as for a database without a transition column.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Visit](data) }

var _ module.Reloadable = (*Module)(nil)

// checker looks every visited URL up in the indicators and links redirect steps to the
// visit they came from in one pass. Records come ordered by visit time, so a visit can
// only be linked to one less than redirectWindow away from the latest time seen: the
// checker holds the visits of the last second of one database, by visit id and (for
// redirect steps) by the from_visit they name, so that a pair is found whichever of its
// ends comes first.
//
// A redirect step is a visit whose transition has the client- or server-redirect
// qualifier, or any visit naming a from_visit when the database has no transition
// column. A redirect step with no from_visit (Chrome writes 0 when it could not find the
// previous step) is linked to the visit just before it in the same database, when that
// one did not end its chain.
type checker struct {
	env *check.Env

	db string // the database of the visits held below
	// byID holds the visits of the last second; namesSource holds the redirect steps
	// among them by the from_visit they name.
	byID, namesSource map[int64]*Visit
	prev              *Visit // the last dated visit of db
	latest, swept     time.Time
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
	c.byID, c.namesSource, c.prev = nil, nil, nil
}

// step reports whether v may be a redirect step, and the visit it names as its source
// (0 when none).
func step(v *Visit) (bool, int64) {
	var from int64
	if v.RedirectSource != nil {
		from = *v.RedirectSource
	}
	if v.Transition == "" {
		return from != 0, from
	}
	return v.redirect(), from
}

// link pairs v with the visits of the last second it was redirected from or to, and
// judges each pair once: when its later end arrives.
func (c *checker) link(v *Visit, r *check.Reporter) {
	if v.ChromeHistoryDB != c.db || c.byID == nil {
		// Visits of another database are never linked to these.
		c.db = v.ChromeHistoryDB
		c.byID, c.namesSource, c.prev = map[int64]*Visit{}, map[int64]*Visit{}, nil
		c.latest, c.swept = time.Time{}, time.Time{}
	}
	if v.ISODate.IsZero() {
		return // a visit of unknown time cannot be timed
	}
	c.sweep(v.ISODate.Time)
	isStep, from := step(v)
	type pair struct{ src, dst *Visit }
	var pairs []pair
	add := func(src, dst *Visit) {
		if src == dst {
			return
		}
		for _, p := range pairs {
			if p.src == src && p.dst == dst {
				return
			}
		}
		pairs = append(pairs, pair{src, dst})
	}
	switch {
	case isStep && from != 0:
		if src, ok := c.byID[from]; ok {
			add(src, v)
		}
	case isStep && c.prev != nil && !c.prev.endsChain() && c.byID[c.prev.VisitID] == c.prev:
		add(c.prev, v)
	}
	if dst, ok := c.namesSource[v.VisitID]; ok {
		add(v, dst)
	}
	for _, p := range pairs {
		c.judge(p.src, p.dst, r)
	}
	c.prev = v
	if len(c.byID) >= maxPending {
		return
	}
	c.byID[v.VisitID] = v
	if isStep && from != 0 {
		c.namesSource[from] = v
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
	for _, m := range []map[int64]*Visit{c.byID, c.namesSource} {
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
	if src.ChromeHistoryDB != defaultDB && src.ChromeHistoryDB != "" { // "" in MVT's records
		msg += " in " + src.ChromeHistoryDB
	}
	FastRedirect.Raise(r, msg, src.ISODate.Time, src)
}

// defaultDB is Chrome's own History, default profile.
const defaultDB = "AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/History"

// where says in a few words where a URL was found, for indicator alerts.
func where(v *Visit) string {
	s := "a Chrome visit"
	if !v.ISODate.IsZero() {
		s += " on " + v.ISODate.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if v.ChromeHistoryDB != defaultDB && v.ChromeHistoryDB != "" {
		s += " (" + v.ChromeHistoryDB + ")"
	}
	return s
}
