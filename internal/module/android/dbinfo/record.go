package dbinfo

import "github.com/spytrace/spytrace/internal/timefmt"

// Operation is one recently executed database operation: MVT's {isodate, action, sql,
// path, pid} (pid absent on Android versions that do not print it); extras: process
// (the process of the "Database info" header, usually the package name), timestamp
// (isodate in UTC, null when the zone or the year is unknown) and clock.
type Operation struct {
	Isodate   string       `json:"isodate"`
	Action    string       `json:"action"`
	SQL       string       `json:"sql"`
	Path      string       `json:"path"`
	PID       string       `json:"pid,omitempty"`
	Process   string       `json:"process"`
	Timestamp timefmt.Time `json:"timestamp"`
	Clock     string       `json:"clock"`
}
