package profileevents

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// UnmarshalJSON reads a record written by spytrace or by MVT (same keys, see
// [Event]): the other keys are Extra.
func (e *Event) UnmarshalJSON(data []byte) error {
	m, err := module.DecodeObject(data)
	if err != nil {
		return err
	}
	*e = Event{}
	take := func(key string) any {
		v := m[key]
		delete(m, key)
		return v
	}
	e.ProfileID = text(take("profile_id"))
	e.Operation = text(take("operation"))
	e.Process = text(take("process"))
	switch v := take("timestamp").(type) {
	case string:
		t, _ := timefmt.Parse(v)
		e.Timestamp = timefmt.Of(t)
	case int64, float64:
		e.Timestamp = timeOf(v) // Mac absolute seconds, as in the plist
	} // anything else is an unknown time, as for timefmt.Time
	if len(m) > 0 {
		e.Extra = m
	}
	return nil
}
