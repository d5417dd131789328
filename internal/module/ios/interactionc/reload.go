package interactionc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"sync"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var _ module.Reloadable = (*Module)(nil)

// DecodeRecord implements module.Reloadable. spytrace's records decode as they are.
// MVT writes some values with other JSON types, which are read as the module reads the
// database: a date column that is not a date (MVT copies text such as "0" as it is) is
// unknown, and a number in a text column (direction, from MVT's fallback queries,
// holds ZDIRECTION's 0 or 1) is read as its text, direction as INCOMING or OUTGOING.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	rec, err := decode(data)
	if err != nil {
		if clean, ok := normalize(data); ok {
			rec, err = decode(clean)
		}
	}
	if err != nil && !module.IsFieldTypeError(err) {
		return nil, err
	}
	return rec, err
}

func decode(data []byte) (*Record, error) {
	rec := new(Record)
	return rec, json.Unmarshal(data, rec)
}

// recordKeys returns the JSON keys of Record's time fields and of its text fields.
var recordKeys = sync.OnceValues(func() (times, texts map[string]bool) {
	times, texts = map[string]bool{}, map[string]bool{}
	timeType, textType := reflect.TypeFor[timefmt.Time](), reflect.TypeFor[*string]()
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Record]()) {
		name, _, _ := bytes.Cut([]byte(f.Tag.Get("json")), []byte(","))
		switch {
		case len(name) == 0 || !f.IsExported():
		case f.Type == timeType:
			times[string(name)] = true
		case f.Type == textType:
			texts[string(name)] = true
		}
	}
	return times, texts
})

// normalize rewrites, in the JSON object data, the date values that are neither null
// nor a time string as null and the numbers of text keys as text; ok is false when
// data is not an object or nothing was rewritten.
func normalize(data []byte) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return nil, false
	}
	times, texts := recordKeys()
	changed := false
	for k, v := range obj {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || bytes.Equal(v, []byte("null")):
		case times[k]:
			var s string
			if json.Unmarshal(v, &s) == nil {
				if _, err := timefmt.Parse(s); err == nil {
					continue
				}
			}
			obj[k], changed = json.RawMessage("null"), true
		case texts[k] && (v[0] == '-' || '0' <= v[0] && v[0] <= '9'):
			text := string(v)
			if n, err := strconv.ParseInt(text, 10, 64); err == nil && k == "direction" {
				text = *direction(n)
			}
			obj[k], _ = json.Marshal(text)
			changed = true
		}
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(obj)
	return out, err == nil
}
