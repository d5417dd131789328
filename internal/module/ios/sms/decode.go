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
// [readValue] gives them, so that the row marshals back to the same JSON.
//
// Rows have a hundred columns and a results file hundreds of thousands of rows, so the
// object is split by hand, several times faster than with json.Decoder's tokens. A
// results file given to check-iocs is evidence too, so the walk checks the grammar as
// it goes (cheaper than json.Valid over the record first, which adds about half the
// walk's cost): a record that is not well-formed JSON is refused whole, never
// half-read into values that would not marshal back.
func (r *Row) UnmarshalJSON(data []byte) error {
	start := skipSpace(data, 0) // JSON's white space, not Unicode's
	if start == len(data) || data[start] != '{' {
		return errNotObject
	}
	row := Row{}
	i := skipSpace(data, start+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) || data[i] != '"' {
				return errBadObject
			}
			name, end, ok := readString(data, i)
			if !ok {
				return errBadObject
			}
			i = skipSpace(data, end)
			if i >= len(data) || data[i] != ':' {
				return errBadObject
			}
			i = skipSpace(data, i+1)
			value, vend, ok := readValue(data, i)
			if !ok {
				return errBadObject
			}
			row = append(row, Field{Name: name, Value: value})
			i = skipSpace(data, vend)
			if i >= len(data) {
				return errBadObject
			}
			if data[i] == '}' {
				i++
				break
			}
			if data[i] != ',' {
				return errBadObject
			}
			i = skipSpace(data, i+1)
		}
	}
	if skipSpace(data, i) != len(data) {
		return errBadObject
	}
	*r = row
	return nil
}

// errBadObject is the error of a record that is not well-formed JSON.
var errBadObject = errors.New("the record is not well-formed JSON")

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts (with its quote) at i, or
// len(data) for a string that is not closed.
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

// readString reads the JSON string that starts (with its quote) at i: its text and the
// index after it; ok is false for a string that is not closed, holds a control
// character or a bad escape.
func readString(data []byte, i int) (text string, end int, ok bool) {
	escaped := false
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			if !escaped {
				return string(data[i+1 : j]), j + 1, true
			}
			if json.Unmarshal(data[i:j+1], &text) != nil {
				return "", 0, false
			}
			return text, j + 1, true
		case c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// readValue reads the JSON value that starts at i, as a column value: null, booleans
// and strings as themselves, integers as int64 (float64 for the others, a json.Number
// for what neither holds), and objects and lists as json.RawMessage, so that the value
// marshals back to the same JSON. It returns the index after the value; ok is false
// for a value that is not well-formed.
func readValue(data []byte, i int) (value any, end int, ok bool) {
	if i >= len(data) {
		return nil, 0, false
	}
	switch data[i] {
	case '"':
		return readString(data, i)
	case '{', '[':
		end = containerEnd(data, i)
		raw := data[i:end]
		if !json.Valid(raw) {
			return nil, 0, false
		}
		return json.RawMessage(bytes.Clone(raw)), end, true
	}
	end = i
scalar:
	for ; end < len(data); end++ {
		switch data[end] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			break scalar
		}
	}
	raw := data[i:end]
	switch string(raw) {
	case "null":
		return nil, end, true
	case "true":
		return true, end, true
	case "false":
		return false, end, true
	}
	if !isNumber(raw) {
		return nil, 0, false
	}
	s := string(raw)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && (n != 0 || s[0] != '-') {
		return n, end, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, end, true
	}
	return json.Number(s), end, true
}

// isNumber reports whether b is a number as JSON writes it: an optional minus, an
// integer part without leading zeros, an optional fraction and exponent. (json.Valid
// says the same, at several times the cost for a short value.)
func isNumber(b []byte) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// containerEnd returns the index after the object or list that starts at i (brackets
// counted, strings skipped), or len(data) for one that is not closed.
func containerEnd(data []byte, i int) int {
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

// TimeValue reads a date key of a record ("isodate"): a time string as spytrace or MVT
// write it. Anything else ("", null, or the 0 or "0" other tools write for a date they
// did not know) is an unknown time, as for timefmt.Time.
func TimeValue(v any) timefmt.Time {
	s, _ := v.(string)
	t, _ := timefmt.Parse(s)
	return timefmt.Of(t)
}

// Strings reads a list of strings (raw JSON, as [readValue] keeps lists); ok is
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

// FieldError is the error of the key of record rec whose value got (as [readValue]
// gives it) cannot be read as a Go value of the type of want: the record is kept with
// the field empty (see module.Reloadable).
func FieldError(rec any, key string, got, want any) error {
	t := reflect.TypeOf(rec)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return &json.UnmarshalTypeError{Value: Kind(got), Type: reflect.TypeOf(want), Struct: t.Name(), Field: key}
}

// Kind names the JSON kind of a value as [readValue] gives it, for errors.
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
