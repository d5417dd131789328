package analyticsiosversions

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is the first sighting of one build.
type Record struct {
	Isodate timefmt.Time `json:"isodate"` // earliest event logged by the build
	Build   string       `json:"build"`
	Version string       `json:"version"` // "" when the build is not in the release table
	// Artifact is spytrace's: the database holding that earliest event.
	Artifact string `json:"artifact"`
}

// Timeline implements module.Timeliner.
func (r *Record) Timeline() []module.Event {
	v := r.Version
	if v == "" {
		v = "(unknown version)"
	}
	return []module.Event{{Time: r.Isodate.Time, Event: "analytics_ios_version", Data: "Seen iOS version " + v + " (" + r.Build + ")"}}
}
