package analytics

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/urlx"
)

// checker looks every string value of an event up as a process name, and when it is
// not one, as a URL or host (or, in free text, the links in it), at MVT's CRITICAL.
type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	strs := rec.Strings()
	if len(strs) == 0 {
		return
	}
	where := c.where(rec)
	when := rec.Isodate.Time
	for _, s := range strs {
		// A URL's last path segment is not a process name.
		if !strings.Contains(s, "://") && c.env.Process(r, alert.Critical, s, where, when, rec) {
			continue
		}
		if !strings.ContainsFunc(s, unicode.IsSpace) {
			c.env.URL(r, alert.Critical, s, where, when, rec)
			continue
		}
		for _, u := range urlx.Extract(s) {
			c.env.URL(r, alert.Critical, u, where, when, rec)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

func (c *checker) where(rec *Record) string {
	w := "an event" // MVT's records do not say which table the event is in
	if rec.Table != "" {
		w = fmt.Sprintf("a %s event", rec.Table)
	}
	if t := rec.Text("eventType"); t != "" {
		w += fmt.Sprintf(" %q", t)
	}
	w += " of " + rec.Artifact
	if !rec.Isodate.IsZero() {
		w += " logged on " + timefmt.Format(rec.Isodate.Time)
	}
	return w
}
