package safaribrowserstate

import (
	"encoding/json"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker returns the checks of one run: every URL of a tab and of its back/forward
// list is looked up in the indicators. The module has no heuristic of its own: the
// redirect pattern of network injection is judged on the history (safari_history),
// which has visit times.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable. It reads a tab as spytrace writes it, or
// as MVT does: MVT's session entries have no entry_original_url and hold the original
// URL under entry_title, where it is moved so that it is checked as here.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	rec, err := module.Decode[Tab](data)
	if rec == nil {
		return nil, err
	}
	t := rec.(*Tab)
	var keys struct {
		SessionData []map[string]json.RawMessage `json:"session_data"`
	}
	if json.Unmarshal(data, &keys) == nil && len(keys.SessionData) == len(t.SessionData) {
		for i, e := range keys.SessionData {
			if _, ok := e["entry_original_url"]; !ok {
				s := &t.SessionData[i]
				s.EntryOriginalURL, s.EntryTitle = s.EntryTitle, ""
			}
		}
	}
	return t, err
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
