package dumpsysbatteryhistory

import "github.com/spytrace/spytrace/internal/timefmt"

// Event is one event of the battery history: MVT's {time_elapsed, event, uid,
// package_name, service}; extras: timestamp_local (device wall clock), timestamp (UTC,
// null when the zone or the history's start is unknown) and clock.
type Event struct {
	TimeElapsed    string       `json:"time_elapsed"`
	Event          string       `json:"event"`
	UID            string       `json:"uid"`
	PackageName    string       `json:"package_name"`
	Service        string       `json:"service"`
	TimestampLocal string       `json:"timestamp_local"`
	Timestamp      timefmt.Time `json:"timestamp"`
	Clock          string       `json:"clock"`
}
