package dumpsysappops

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Package is one package of the appops section: MVT's {package_name, uid,
// permissions}, plus clock (extra): the zone timestamps were converted with, or
// "device local, zone unknown".
type Package struct {
	PackageName string        `json:"package_name"`
	UID         string        `json:"uid"`
	Permissions []*Permission `json:"permissions"`
	Clock       string        `json:"clock"`
}

// Permission is one app op of the package with its mode (allow, ignore, deny,
// default, foreground) and recorded accesses.
type Permission struct {
	Name    string   `json:"name"`
	Access  string   `json:"access,omitempty"`
	Entries []*Entry `json:"entries"`
}

// Entry is one recorded access: MVT's {access, type, timestamp}. Timestamp is UTC, null
// when the device zone is unknown; TimestampLocal (extra) is the device wall clock as
// written; Relative (extra) is the offset from the dump Android printed beside it.
type Entry struct {
	Access         string       `json:"access"`
	Type           string       `json:"type"`
	Timestamp      timefmt.Time `json:"timestamp"`
	TimestampLocal string       `json:"timestamp_local,omitempty"`
	Relative       string       `json:"relative,omitempty"`
}

// Timeline implements module.Timeliner: one event per entry with a UTC time (event =
// Access or Reject, as MVT).
func (p *Package) Timeline() []module.Event {
	var evs []module.Event
	for _, perm := range p.Permissions {
		for _, e := range perm.Entries {
			if e.Timestamp.IsZero() {
				continue
			}
			evs = append(evs, module.Event{Time: e.Timestamp.Time, Event: e.Access,
				Data: fmt.Sprintf("%s access to %s: %s", p.PackageName, perm.Name, e.Access)})
		}
	}
	return evs
}
