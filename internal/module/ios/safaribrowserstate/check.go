package safaribrowserstate

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NewChecker returns the checks of one run: every URL of a tab and of its back/forward
// list is looked up in the indicators. The module has no heuristic of its own: the
// redirect pattern of network injection is judged on the history (safari_history),
// which has visit times.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

type checker struct{ env *check.Env }

// Check judges one tab.
func (c *checker) Check(rec any, r *check.Reporter) {
	t, ok := rec.(*Tab)
	if !ok {
		return
	}
	when := ""
	if !t.LastViewedTimestamp.IsZero() {
		when = " last viewed on " + t.LastViewedTimestamp.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	where := "a Safari tab" + when
	if t.SafariBrowserStateDB != defaultDB {
		where += " (" + t.SafariBrowserStateDB + ")"
	}
	for _, u := range t.urls() {
		w := where
		if u.history {
			w = "the back/forward history of " + where
		}
		c.env.URL(r, alert.Critical, u.url, w, t.LastViewedTimestamp.Time, t)
	}
}

// Finish has nothing to do: every tab is judged on its own.
func (c *checker) Finish(*check.Reporter) {}

// defaultDB is Safari's own BrowserState.db.
const defaultDB = "HomeDomain/Library/Safari/BrowserState.db"
