package locationdclients

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// UnmarshalJSON reads a record written by spytrace or by MVT (see [Record]): the
// client is every key but package, client_key and source_file, and the dates are read
// back from the keys of TimeKeys. MVT writes no client_key: the package stands for it.
func (r *Record) UnmarshalJSON(data []byte) error {
	m, err := module.DecodeObject(data)
	if err != nil {
		return err
	}
	*r = Record{}
	var firstErr error
	bad := func(key string, v any, want reflect.Type) {
		if firstErr == nil {
			firstErr = &json.UnmarshalTypeError{Value: kindOf(v), Type: want, Struct: "Record", Field: key}
		}
	}
	take := func(key string) string {
		v, ok := m[key]
		if !ok {
			return ""
		}
		delete(m, key)
		s, ok := v.(string)
		if !ok && v != nil {
			bad(key, v, reflect.TypeOf(""))
		}
		return s
	}
	r.Package = take("package")
	r.Key = take("client_key")
	r.SourceFile = take("source_file")
	switch {
	case r.Key == "":
		r.Key = r.Package
	case r.Package == "":
		r.Package = strings.TrimRight(r.Key, ":")
	}
	for _, k := range TimeKeys {
		v, ok := m[k]
		if !ok {
			continue
		}
		var t timefmt.Time
		switch x := v.(type) {
		case string:
			p, _ := timefmt.Parse(x)
			t = timefmt.Of(p)
		case float64, int64, uint64: // Mac absolute seconds, as in the plist
			ct, _ := clientTime(x)
			t = timefmt.Of(ct)
		} // anything else is an unknown time, as for timefmt.Time
		if r.Times == nil {
			r.Times = map[string]timefmt.Time{}
		}
		r.Times[k] = t
	}
	r.LocationTimeStopped = r.Times["LocationTimeStopped"]
	if len(m) > 0 {
		r.Client = m
	}
	return firstErr
}
