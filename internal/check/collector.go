package check

import (
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
)

// AlertLimit is raised, under the module, when a module raised more alerts than a run
// keeps for one module (the "alerts" limit).
var AlertLimit = Heuristic{
	ID:    "limit/alerts",
	Level: alert.Medium,
	Meaning: "The module raised more alerts than spytrace keeps for one module: the first ones are in the results, the others were counted but not kept. " +
		"So many alerts from one artifact is unusual: an indicator that matches nearly everything, or an artifact filled to bury a trace or exhaust forensic tools.",
	FalsePositive: "An indicator file holding a very common value (a popular domain, a system process) matches on every phone.",
	Advice:        "Look at the alerts kept and at the indicator they match; to keep them all, run the check again with a higher limit (--limit alerts=N, see docs/limits.md).",
}

// Collector keeps the alerts of one module up to a limit and counts those past it, so
// that an artifact crafted for every record to match an indicator cannot fill memory
// with alerts (each holds its record).
type Collector struct {
	max     int
	alerts  []alert.Alert
	dropped map[alert.Level]int
}

// NewCollector returns a Collector that keeps at most max alerts.
func NewCollector(max int) *Collector {
	return &Collector{max: max, dropped: map[alert.Level]int{}}
}

// Add keeps a, or counts it when max alerts are kept.
func (c *Collector) Add(a alert.Alert) {
	if len(c.alerts) < c.max {
		c.alerts = append(c.alerts, a)
		return
	}
	c.dropped[a.Level]++
}

// Alerts returns the alerts kept, followed, when some were not, by one AlertLimit alert
// of module that counts them by level.
func (c *Collector) Alerts(module string) []alert.Alert {
	out := c.alerts
	total := 0
	byLevel := map[string]int{}
	for l, n := range c.dropped {
		total += n
		byLevel[l.String()] = n
	}
	if total > 0 {
		r := NewReporter(module, func(a alert.Alert) { out = append(out, a) })
		AlertLimit.Raise(r, fmt.Sprintf("%s raised %d alerts more than the %d kept for one module: they are counted here, not kept", module, total, c.max),
			time.Time{}, map[string]any{"module": module, "limit": c.max, "not_kept": total, "not_kept_by_level": byLevel})
	}
	return out
}
