package analytics

import (
	"github.com/spytrace/spytrace/internal/module"
)

// UnmarshalJSON reads a record written by spytrace or by MVT (see [Record]): the event
// is every key but isodate, artifact and table (spytrace's; MVT writes none). Data
// and dates of the event come back as the strings the record holds (base64, time
// text), so they are looked up in the indicators as well.
func (r *Record) UnmarshalJSON(data []byte) error {
	m, err := module.DecodeObject(data)
	if err != nil {
		return err
	}
	*r = Record{}
	f := module.Fields{M: m, Struct: "Record"}
	r.Isodate = f.Time("isodate")
	r.Artifact = f.String("artifact")
	r.Table = f.String("table")
	if len(m) > 0 {
		r.Data = m
	}
	return f.Err
}
