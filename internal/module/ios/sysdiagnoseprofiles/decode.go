package sysdiagnoseprofiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
)

// decodeRecord decodes one record of the module's results: its record_type says which
// of the three kinds it is.
func decodeRecord(data []byte) (any, error) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errNotObject
	}
	var head struct {
		RecordType any `json:"record_type"`
	}
	if err := json.Unmarshal(data, &head); err != nil && !module.IsFieldTypeError(err) {
		return nil, err
	}
	switch head.RecordType {
	case TypeProfile:
		return module.Decode[Profile](data)
	case TypeProfileEvent:
		return module.Decode[ProfileEvent](data)
	case TypeSettingsEvent:
		return module.Decode[SettingsEvent](data)
	}
	if head.RecordType == nil {
		return nil, errors.New("the record has no record_type")
	}
	return nil, fmt.Errorf("unknown record_type %v", head.RecordType)
}

// UnmarshalJSON reads a profile record, with the numbers of its plist as the run
// wrote them (see module.DecodeObject).
func (p *Profile) UnmarshalJSON(data []byte) error {
	type plain Profile // the same fields, without this method
	var v plain
	err := decodeStrict(data, &v)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	module.ExactNumbers(v.Plist)
	*p = Profile(v)
	return err
}

// UnmarshalJSON reads a settings event record, with the numbers of Extra as the run
// wrote them.
func (e *SettingsEvent) UnmarshalJSON(data []byte) error {
	type plain SettingsEvent // the same fields, without this method
	var v plain
	err := decodeStrict(data, &v)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	module.ExactNumbers(v.Extra)
	*e = SettingsEvent(v)
	return err
}

// UnmarshalJSON reads a flat profile event record (see [ProfileEvent.MarshalJSON]):
// the keys other than the known ones are Extra.
func (e *ProfileEvent) UnmarshalJSON(data []byte) error {
	m, err := module.DecodeObject(data)
	if err != nil {
		return err
	}
	*e = ProfileEvent{}
	f := module.Fields{M: m, Struct: "ProfileEvent"}
	e.RecordType = f.String("record_type")
	e.File = f.String("file")
	e.ProfileID = f.String("profile_id")
	e.Operation = f.String("operation")
	e.Process = f.String("process")
	e.Timestamp = f.Time("timestamp")
	if len(m) > 0 {
		e.Extra = m
	}
	return f.Err
}

// errNotObject is the error of a record that is not a JSON object.
var errNotObject = errors.New("the record is not a JSON object")

// decodeStrict decodes a JSON object into v, keeping numbers in interfaces as
// json.Number (see numbers).
func decodeStrict(data []byte, v any) error {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return errNotObject
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}
