package dumpsysbatterydaily

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Change is one package change of a day: MVT's {action, from, to, package_name, vers,
// previous_vers}; extras: from_local, to_local (device wall clock), timestamp (from, in
// UTC, null when the zone is unknown), clock, occurrences.
type Change struct {
	Action       string       `json:"action"`
	From         string       `json:"from"`
	To           string       `json:"to"`
	PackageName  string       `json:"package_name"`
	Vers         string       `json:"vers"`
	PreviousVers string       `json:"previous_vers,omitempty"`
	FromLocal    string       `json:"from_local"`
	ToLocal      string       `json:"to_local"`
	Timestamp    timefmt.Time `json:"timestamp"`
	Clock        string       `json:"clock"`
	Occurrences  int          `json:"occurrences"`
}

// Timeline implements module.Timeliner: event battery_daily at the day's start (UTC).
func (c *Change) Timeline() []module.Event {
	if c.Timestamp.IsZero() {
		return nil
	}
	var data string
	switch c.Action {
	case ActionUninstall:
		data = fmt.Sprintf("Recorded uninstall of package %s (vers 0)", c.PackageName)
	case ActionDowngrade:
		data = fmt.Sprintf("Recorded downgrade of package %s from vers %s to vers %s", c.PackageName, c.PreviousVers, c.Vers)
	default:
		data = fmt.Sprintf("Recorded update of package %s with vers %s", c.PackageName, c.Vers)
	}
	return []module.Event{{Time: c.Timestamp.Time, Event: "battery_daily", Data: data}}
}
