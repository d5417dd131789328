package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// UnmarshalJSON reads a record written by spytrace or by MVT (see [Item]). The values
// the checks use as text are those of the record's keys (summary, description,
// participant_email, uuid, url, organizer_id, hidden, participant_is_self), so a text
// column that held a blob is read as its base64 text. The links are computed from url
// and description when the record has no links key (MVT's).
func (it *Item) UnmarshalJSON(data []byte) error {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("the record is not a JSON object")
	}
	type plain Item // the same fields, without this method
	var p struct {
		plain
		Record json.RawMessage `json:"record"` // read apart, so that a bad one loses nothing else
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(&p)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	*it = Item(p.plain)
	if len(p.Record) > 0 {
		if rerr := it.Record.UnmarshalJSON(p.Record); rerr != nil && err == nil {
			err = &json.UnmarshalTypeError{Value: "non-object", Type: reflect.TypeOf(it.Record), Struct: "Item", Field: "record"}
		}
	}
	for _, f := range []*any{&it.ID, &it.Summary, &it.Description, &it.AllDay, &it.CalendarID, &it.OrganizerID, &it.URL,
		&it.ExternalID, &it.ExternalModTag, &it.UniqueIdentifier, &it.Hidden, &it.UUID, &it.Action, &it.CreatedByID,
		&it.ParticipantUUID, &it.ParticipantEmail, &it.ParticipantPhone, &it.ParticipantComment, &it.ParticipantIsSelf} {
		*f = scalar(*f)
	}
	it.summary = sqlitex.Text(it.Summary)
	it.description = sqlitex.Text(it.Description)
	it.email = sqlitex.Text(it.ParticipantEmail)
	it.uuid = sqlitex.Text(it.UUID)
	it.url = sqlitex.Text(it.URL)
	it.organizer, _ = sqlitex.Int(it.OrganizerID)
	n, _ := sqlitex.Int(it.Hidden)
	it.hidden = n != 0
	n, _ = sqlitex.Int(it.ParticipantIsSelf)
	it.isSelf = n == 1
	if v, ok := it.Record.value(participantPrefix + "ROWID"); ok {
		it.hasOrganizerRow = v != nil
	} else {
		it.hasOrganizerRow = it.ParticipantUUID != nil || it.ParticipantEmail != nil || it.ParticipantPhone != nil
	}
	if !hasKey(data, "links") {
		it.Links = links(it.url, it.description)
	} else if it.Links == nil {
		it.Links = []string{}
	}
	return err
}

// hasKey reports whether the JSON object data has the top-level key.
func hasKey(data []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// UnmarshalJSON reads the columns of a record, in order; numbers are int64 when they
// are integers, float64 otherwise, so that the columns marshal back to the same JSON.
func (c *Columns) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*c = nil
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	cols := Columns{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		cols = append(cols, Column{Name: name, Value: scalar(v)})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	*c = cols
	return nil
}

// value returns the value of the named column, and whether the row has it.
func (c Columns) value(name string) (any, bool) {
	for _, col := range c {
		if col.Name == name {
			return col.Value, true
		}
	}
	return nil, false
}

// scalar converts a json.Number decoded with UseNumber: int64 for an integer, float64
// otherwise (the number as written when neither holds it). Other values are returned
// as they are.
func scalar(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && (i != 0 || !strings.HasPrefix(s, "-")) {
		return i
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return n
}
