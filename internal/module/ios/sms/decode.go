package sms

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"

	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/typedstream"
	"github.com/spytrace/spytrace/internal/urlx"
)

// errNotObject is the error of a record that is not a JSON object.
var errNotObject = errors.New("the record is not a JSON object")

// UnmarshalJSON reads a JSON object into the row, keys in order, values as
// [decodeValue] gives them, so that the row marshals back to the same JSON.
//
// Rows have a hundred columns and a results file hundreds of thousands of rows, so the
// object is split by hand, several times faster than with json.Decoder's tokens. The
// bytes are valid JSON when they come from encoding/json or from a re-check (see
// module.Reloadable); on others the walk stops with an error at the first surprise.
func (r *Row) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return errNotObject
	}
	row := Row{}
	i := skipSpace(data, 1)
	for i < len(data) && data[i] != '}' {
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		if i >= len(data) || data[i] != '"' {
			return errBadObject
		}
		end := stringEnd(data, i)
		name := unquote(data[i:end])
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return errBadObject
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return errBadObject
		}
		vend := valueEnd(data, i)
		row = append(row, Field{Name: name, Value: decodeValue(data[i:vend])})
		i = skipSpace(data, vend)
	}
	if i >= len(data) {
		return errBadObject
	}
	*r = row
	return nil
}

// errBadObject is the error of a record that is not well-formed JSON.
var errBadObject = errors.New("the record is not well-formed JSON")

// The helpers below walk JSON; on malformed input they stop at the end of data.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts (with its quote) at i.
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// valueEnd returns the index after the value that starts at i.
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = stringEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	}
	j := i
	for ; j < len(data); j++ {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
	}
	return j
}

// unquote returns the text of a JSON string.
func unquote(s []byte) string {
	if len(s) >= 2 && s[len(s)-1] == '"' && bytes.IndexByte(s, '\\') < 0 {
		return string(s[1 : len(s)-1])
	}
	var out string
	json.Unmarshal(s, &out)
	return out
}

// decodeValue converts one JSON value of a results file (as Row.UnmarshalJSON cuts it)
// back to a column value: null, booleans and strings as themselves, integers as int64
// (float64 for the others, a json.Number for what neither holds), and objects and lists
// as json.RawMessage, so that the value marshals back to the same JSON.
func decodeValue(raw json.RawMessage) any {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case 'n':
		return nil
	case 't':
		return true
	case 'f':
		return false
	case '"':
		return unquote(raw)
	case '{', '[':
		return json.RawMessage(bytes.Clone(raw))
	}
	s := string(raw)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && (n != 0 || s[0] != '-') {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return json.Number(s)
}

// TimeValue reads a date key of a record ("isodate"): a time string as spytrace or MVT
// write it. Anything else ("", null, or the 0 or "0" other tools write for a date they
// did not know) is an unknown time, as for timefmt.Time.
func TimeValue(v any) timefmt.Time {
	s, _ := v.(string)
	t, _ := timefmt.Parse(s)
	return timefmt.Of(t)
}

// Strings reads a list of strings (raw JSON, as [decodeValue] keeps lists); ok is
// false for another value. Elements that are not strings are left out.
func Strings(v any) (list []string, ok bool) {
	raw, isRaw := v.(json.RawMessage)
	if !isRaw || len(raw) == 0 || raw[0] != '[' {
		return nil, v == nil
	}
	var items []any
	if json.Unmarshal(raw, &items) != nil {
		return nil, false
	}
	list = []string{}
	for _, it := range items {
		if s, isStr := it.(string); isStr {
			list = append(list, s)
		}
	}
	return list, true
}

// AddLinks returns links followed by the links of text that it does not have yet: the
// links a record lists, completed with those spytrace finds in its text.
func AddLinks(links []string, text string) []string {
	var seen map[string]bool
	for _, l := range urlx.Extract(text) {
		if seen == nil {
			seen = make(map[string]bool, len(links))
			for _, k := range links {
				seen[k] = true
			}
		}
		if !seen[l] {
			seen[l] = true
			links = append(links, l)
		}
	}
	return links
}

// FieldError is the error of the key of record rec whose value got (as [decodeValue]
// gives it) cannot be read as a Go value of the type of want: the record is kept with
// the field empty (see module.Reloadable).
func FieldError(rec any, key string, got, want any) error {
	t := reflect.TypeOf(rec)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return &json.UnmarshalTypeError{Value: Kind(got), Type: reflect.TypeOf(want), Struct: t.Name(), Field: key}
}

// Kind names the JSON kind of a value as [decodeValue] gives it, for errors.
func Kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case json.RawMessage:
		if len(x) > 0 && x[0] == '[' {
			return "array"
		}
		return "object"
	}
	return "number"
}

// UnmarshalJSON reads a record written by spytrace or by MVT (see [Message]). The
// values the checks use are taken from MVT's keys (text, phone_number, isodate,
// is_from_me or direction, links); the links a record lists are completed with those
// of its text, and a text that is only in attributedBody (MVT copies the blob) is
// decoded, as a run does.
func (m *Message) UnmarshalJSON(data []byte) error {
	var row Row
	if err := row.UnmarshalJSON(data); err != nil {
		return err
	}
	*m = Message{Columns: make(Row, 0, len(row))}
	var (
		firstErr         error
		direction        string
		body             any
		hasDate, hasFrom bool
	)
	bad := func(key string, got, want any) {
		if firstErr == nil {
			firstErr = FieldError(m, key, got, want)
		}
	}
	for _, f := range row {
		v := f.Value
		switch f.Name {
		case "phone_number":
			m.PhoneNumber = sqlitex.Text(v)
			continue
		case "chat_identifier":
			m.ChatIdentifier = sqlitex.Text(v)
			continue
		case "text_source":
			m.TextSource = sqlitex.Text(v)
			continue
		case "direction":
			direction = sqlitex.Text(v)
			continue
		case "isodate", "isodate_read":
			t := TimeValue(v)
			if f.Name == "isodate" {
				m.Date, hasDate = t, true
			} else {
				m.DateRead = t
			}
			continue
		case "links":
			links, ok := Strings(v)
			if !ok {
				bad(f.Name, v, links)
			}
			m.Links = links
			continue
		case "ROWID":
			m.ROWID, _ = sqlitex.Int(v)
		case "guid":
			m.GUID = sqlitex.Text(v)
		case "service":
			m.Service = sqlitex.Text(v)
		case "text":
			m.Text = sqlitex.Text(v)
		case "is_from_me":
			n, _ := sqlitex.Int(v)
			m.FromMe, hasFrom = n != 0, true
		case "attributedBody":
			body = v
		}
		m.Columns = append(m.Columns, f)
	}
	if !hasFrom {
		m.FromMe = direction == "sent"
	}
	if !hasDate {
		if v, ok := m.Columns.Value("date"); ok {
			m.Date = macTime(v)
		}
		if v, ok := m.Columns.Value("date_read"); ok {
			m.DateRead = macTime(v)
		}
	}
	if m.Text == "" && m.TextSource == "" {
		if b64, ok := body.(string); ok && b64 != "" {
			if blob, err := base64.StdEncoding.DecodeString(b64); err == nil {
				if s, err := typedstream.Text(blob); err == nil {
					m.Text, m.TextSource = safetext.EscapeInvalid(s), TextFromAttributedBody
				}
			}
		}
	}
	m.Links = AddLinks(m.Links, m.Text)
	return firstErr
}
