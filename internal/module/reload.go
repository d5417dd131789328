package module

import (
	"encoding/json"
	"errors"
)

// Reloadable is implemented by checkable modules whose records can be read back from a
// results folder, so that their checks run again on them without the evidence
// (spytrace check-iocs). A results folder may have been written by spytrace or by MVT:
// DecodeRecord must accept both spellings of a record where they differ.
type Reloadable interface {
	// DecodeRecord decodes one JSON record of <slug>.json into the value the module's
	// checks expect. When only some fields had an unexpected JSON type, it returns the
	// record with those fields left empty together with a *json.UnmarshalTypeError,
	// and the caller decides whether to use it.
	DecodeRecord(data []byte) (any, error)
}

// Decode decodes data into a new R and returns the pointer, the form in which modules
// emit their records. A field of the wrong JSON type is left empty and reported with a
// *json.UnmarshalTypeError, as encoding/json does; any other error returns a nil record.
func Decode[R any](data []byte) (any, error) {
	rec := new(R)
	err := json.Unmarshal(data, rec)
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
