package dumpsysbatterydaily

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spytrace/spytrace/internal/android/props"
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

// UnmarshalJSON reads a change as spytrace writes it or as MVT does, in either of
// MVT's spellings: {from, to, vers, previous_vers} with text versions, or
// {period_start, period_end, version_code, previous_version_code} with the item's
// full wall-clock bounds and numeric versions. A change to version 0 that MVT left as
// an update is an uninstall. MVT's records have no clock: their times are the device's.
func (c *Change) UnmarshalJSON(data []byte) error {
	type plain Change
	aux := struct {
		*plain
		Vers                json.RawMessage `json:"vers"`
		PreviousVers        json.RawMessage `json:"previous_vers"`
		PeriodStart         string          `json:"period_start"`
		PeriodEnd           string          `json:"period_end"`
		VersionCode         json.RawMessage `json:"version_code"`
		PreviousVersionCode json.RawMessage `json:"previous_version_code"`
	}{plain: (*plain)(c)}
	err := json.Unmarshal(data, &aux)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	if c.Vers = versText(aux.Vers); c.Vers == "" {
		c.Vers = versText(aux.VersionCode)
	}
	if c.PreviousVers = versText(aux.PreviousVers); c.PreviousVers == "" {
		c.PreviousVers = versText(aux.PreviousVersionCode)
	}
	for _, b := range []struct {
		period       string
		date, wallAt *string
	}{{aux.PeriodStart, &c.From, &c.FromLocal}, {aux.PeriodEnd, &c.To, &c.ToLocal}} {
		if *b.date == "" && b.period != "" {
			*b.date = dateOnly(b.period)
			if *b.wallAt == "" {
				*b.wallAt = wallText(b.period)
			}
		}
	}
	if c.Action == ActionUpdate && c.Vers == "0" {
		c.Action = ActionUninstall
	}
	if c.Clock == "" {
		c.Clock = props.ClockUnknown
	}
	return err
}

// versText reads a version code written as text or as a number; "" when absent.
func versText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '"':
		_ = json.Unmarshal(raw, &s)
	default:
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			s = n.String()
		}
	}
	return s
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
