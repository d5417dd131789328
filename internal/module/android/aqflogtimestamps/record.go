package aqflogtimestamps

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one file under logs/. Path and ModifiedTime are MVT's keys.
type Record struct {
	Path string `json:"path"` // name in the collection, e.g. logs/data/anr/anr_2024-03-14-10-00-00-123
	// ModifiedTime is the modification time in UTC; null when the zip stores only a
	// wall clock (zone unknown).
	ModifiedTime timefmt.Time `json:"modified_time"`
	// ModifiedTimeLocal is the wall clock stored in the zip ("2024-03-14 10:00:00"),
	// empty for a folder.
	ModifiedTimeLocal string `json:"modified_time_local"`
	// Clock says what ModifiedTime was derived from: "UTC" (zip extended timestamp),
	// "file system" (a folder), or ClockZipLocal.
	Clock string `json:"clock"`
	// DevicePath is the file's path on the phone (the part after logs/).
	DevicePath string `json:"device_path"`
}

// Timeline implements module.Timeliner: MVT's MACB event "M---"; none when the time
// is not known in UTC.
func (r *Record) Timeline() []module.Event {
	if r.ModifiedTime.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.ModifiedTime.Time, Event: "M---", Data: r.Path}}
}
