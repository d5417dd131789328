package iosversionhistory

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is the header of one journal. isodate and os_version are MVT's keys; version,
// build and artifact are spytrace's.
type Record struct {
	Isodate   timefmt.Time `json:"isodate"`    // the header's timestamp, in UTC
	OSVersion string       `json:"os_version"` // "iPhone OS 16.5 (20F66)"
	Version   string       `json:"version"`    // "16.5" ("" when os_version has none)
	Build     string       `json:"build"`      // "20F66" ("" when os_version has none)
	Artifact  string       `json:"artifact"`   // the journal's file name
}

// Timeline implements module.Timeliner.
func (r *Record) Timeline() []module.Event {
	return []module.Event{{Time: r.Isodate.Time, Event: "ios_version", Data: "Recorded iOS version " + r.OSVersion}}
}
