package bugreporttimestamps

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one file of FS/. Path and ModifiedTime are MVT's keys.
type Record struct {
	Path string `json:"path"` // name in the bug report, e.g. FS/data/tombstones/tombstone_00
	// ModifiedTime is the modification time in UTC; null when it is a device wall clock
	// and the device's zone is unknown.
	ModifiedTime timefmt.Time `json:"modified_time"`
	// ModifiedTimeLocal is the wall clock stored in the zip ("2024-03-14 10:00:00"),
	// empty for a folder.
	ModifiedTimeLocal string `json:"modified_time_local"`
	// Clock says what ModifiedTime was derived from: "UTC", the device's IANA zone,
	// "device local, zone unknown" or "file system".
	Clock string `json:"clock"`
}

// Timeline implements module.Timeliner: MVT's MACB event "M---" (only a modification
// time is known); none when the time is not known in UTC.
func (r *Record) Timeline() []module.Event {
	if r.ModifiedTime.IsZero() {
		return nil // a timeline row needs a time
	}
	return []module.Event{{Time: r.ModifiedTime.Time, Event: "M---", Data: r.Path}}
}
