package module

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"

	"github.com/spytrace/spytrace/internal/timefmt"
)

// Reloadable is implemented by checkable modules whose records can be read back from a
// results folder, so that their checks run again on them without the evidence
// (spytrace check-iocs). A results folder may have been written by spytrace or by MVT:
// DecodeRecord must accept both spellings of a record where they differ.
type Reloadable interface {
	// DecodeRecord decodes one JSON record of <slug>.json into the value the module's
	// checks expect. The caller hands it one valid JSON value (recheck checks each);
	// other bytes must give an error, never a panic. When only some fields had an unexpected JSON type, it returns the
	// record with those fields left empty together with a *json.UnmarshalTypeError,
	// and the caller decides whether to use it.
	DecodeRecord(data []byte) (any, error)
}

// Decode decodes data into a new R and returns the pointer, the form in which modules
// emit their records. A field of the wrong JSON type is left empty and reported with a
// *json.UnmarshalTypeError, as encoding/json does; any other error returns a nil record.
// Numbers in fields of type any keep every digit (json.Number), so they are written
// back as they were read.
func Decode[R any](data []byte) (any, error) {
	rec := new(R)
	if u, ok := any(rec).(json.Unmarshaler); ok {
		// Records that decode themselves (ordered database rows) are handed the bytes
		// directly: a json.Decoder would scan and copy them first. The bytes are one
		// valid JSON value (see Reloadable); the record's decoder must still never
		// fail on others by more than an error.
		err := u.UnmarshalJSON(data)
		if err != nil && !IsFieldTypeError(err) {
			return nil, err
		}
		return rec, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(rec)
	if err != nil && !IsFieldTypeError(err) {
		return nil, err
	}
	return rec, err
}

// IsFieldTypeError reports whether err only says that some fields of a record had an
// unexpected JSON type (the rest of the record was decoded).
func IsFieldTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// DecodeObject decodes one JSON object (a record written as free-form keys, such as a
// plist) with its numbers as int64 when they are integers (uint64 above int64's
// range), float64 otherwise, so that it marshals back to the same JSON; a number none
// of them holds stays a json.Number. Anything but an object is an error.
func DecodeObject(data []byte) (map[string]any, error) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("the record is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	ExactNumbers(m)
	return m, nil
}

// ExactNumbers converts the json.Numbers held in v (maps and lists are walked) as
// DecodeObject does, and returns v.
func ExactNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = ExactNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = ExactNumbers(e)
		}
	case json.Number:
		s := string(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && (n != 0 || s[0] != '-') {
			return n
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return v
}

// JSONKind names the JSON kind of a decoded value ("string", "number", "object"…),
// for errors about a field of an unexpected type.
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "number"
}

// Fields hands out the keys of a record decoded with DecodeObject one at a time. Each
// key taken is removed from M, so that what remains is the record's free-form part;
// the first key of an unexpected JSON type is kept in Err as a
// *json.UnmarshalTypeError (see Reloadable).
type Fields struct {
	M map[string]any
	// Struct names the record type, for errors.
	Struct string
	Err    error
}

// String takes a text key; a missing or null key gives "".
func (f *Fields) String(key string) string {
	v, ok := f.M[key]
	if !ok {
		return ""
	}
	delete(f.M, key)
	s, isStr := v.(string)
	if !isStr && v != nil && f.Err == nil {
		f.Err = &json.UnmarshalTypeError{Value: JSONKind(v), Type: reflect.TypeFor[string](), Struct: f.Struct, Field: key}
	}
	return s
}

// Time takes a time key written as timefmt writes it (or as MVT does); anything else,
// as for timefmt.Time, is an unknown time.
func (f *Fields) Time(key string) timefmt.Time {
	v, ok := f.M[key]
	if !ok {
		return timefmt.Time{}
	}
	delete(f.M, key)
	s, _ := v.(string)
	t, _ := timefmt.Parse(s)
	return timefmt.Of(t)
}
