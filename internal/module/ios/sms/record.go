package sms

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Field is one column of a database row, as written to the results.
type Field struct {
	Name  string
	Value any // nil, int64, float64, bool, string, or any value json can marshal
}

// Row is a database row whose columns are only known when the database is read (MVT's
// "SELECT table.*"). It marshals to a JSON object with the columns in table order.
type Row []Field

// JSONValue converts one scanned database value for the results: text is kept (bytes
// that are not UTF-8 are written as \xNN), blobs become base64 strings as MVT writes
// them, and floats that JSON cannot hold (NaN, infinities) become text.
func JSONValue(v any) any {
	switch x := v.(type) {
	case nil, int64, bool:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	return sqlitex.Text(v)
}

// Value returns the value of the named column, and whether the row has it.
func (r Row) Value(name string) (any, bool) {
	for _, f := range r {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// MarshalJSON writes the row as one JSON object, keys in order, HTML characters
// unescaped (as every results file is written).
func (r Row) MarshalJSON() ([]byte, error) {
	var enc *json.Encoder // for values without a fast path, made when first needed
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := appendJSON(&buf, &enc, f.Name); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := appendJSON(&buf, &enc, f.Value); err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// appendJSON writes one value: common values (NULL, integers, plain ASCII text such
// as column names and numbers) directly, the rest through a json.Encoder.
func appendJSON(buf *bytes.Buffer, enc **json.Encoder, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
		return nil
	case int64:
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), x, 10))
		return nil
	case string:
		if plainASCII(x) {
			buf.WriteByte('"')
			buf.WriteString(x)
			buf.WriteByte('"')
			return nil
		}
	}
	if *enc == nil {
		*enc = json.NewEncoder(buf)
		(*enc).SetEscapeHTML(false)
	}
	if err := (*enc).Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode ends each value with a newline
	return nil
}

// plainASCII reports whether s needs no escaping in JSON.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Message is one row of the message table: every column, as MVT writes them, and
// MVT's derived keys.
//
// JSON: the columns of message in table order (attributedBody, payload_data,
// message_summary_info and any other blob in base64; "text" holds Text), then
// phone_number, isodate, isodate_read, direction and links (MVT's keys), then
// chat_identifier and, when the text was decoded from attributedBody, text_source
// (spytrace's additions).
type Message struct {
	// Columns holds the message row, in table order.
	Columns Row
	// ROWID, GUID, Service and FromMe repeat the columns of the same names.
	ROWID   int64
	GUID    string
	Service string
	FromMe  bool
	// PhoneNumber is handle.id of the other party: a phone number, a short code or the
	// e-mail address of an Apple ID. "" for a message without a handle (a message sent
	// to a group, some system messages).
	PhoneNumber string
	// ChatIdentifier is chat.chat_identifier of the conversation: the other party of a
	// one-to-one chat, "chat…" for a group ("" when the message is in no chat).
	ChatIdentifier string
	// Date is message.date (isodate); DateRead is date_read (isodate_read), zero when
	// the message was not read.
	Date, DateRead timefmt.Time
	// Text is message.text ("" when NULL), or when that is empty the text decoded from
	// attributedBody, with TextSource "attributedBody".
	Text       string
	TextSource string
	// Links are the URLs found in Text.
	Links []string
}

// TextFromAttributedBody is the TextSource of text decoded from attributedBody.
const TextFromAttributedBody = "attributedBody"

// Direction is MVT's direction: "sent" for a message from this phone, else "received".
func (m *Message) Direction() string {
	if m.FromMe {
		return "sent"
	}
	return "received"
}

// MarshalJSON writes the record with MVT's keys (see [Message]).
func (m *Message) MarshalJSON() ([]byte, error) {
	out := make(Row, 0, len(m.Columns)+8)
	hasText := false
	for _, f := range m.Columns {
		switch f.Name {
		case "text":
			f.Value, hasText = m.Text, true
		case "phone_number", "isodate", "isodate_read", "direction", "links", "chat_identifier", "text_source":
			continue // a derived key wins over a column of the same name
		}
		out = append(out, f)
	}
	if !hasText {
		out = append(out, Field{"text", m.Text})
	}
	links := m.Links
	if links == nil {
		links = []string{}
	}
	out = append(out,
		Field{"phone_number", m.PhoneNumber},
		Field{"isodate", m.Date},
		Field{"isodate_read", m.DateRead},
		Field{"direction", m.Direction()},
		Field{"links", links},
		Field{"chat_identifier", m.ChatIdentifier},
	)
	if m.TextSource != "" {
		out = append(out, Field{"text_source", m.TextSource})
	}
	return out.MarshalJSON()
}

// Timeline puts the message on the timeline: "sms_received" (MVT's event name) or
// "sms_sent" (MVT calls every message sms_received) at its date, and "sms_read" at
// date_read.
func (m *Message) Timeline() []module.Event {
	event := "sms_received"
	if m.FromMe {
		event = "sms_sent"
	}
	data := m.party() + ": " + summary(m.Text, 120)
	evs := []module.Event{{Time: m.Date.Time, Event: event, Data: data}}
	if !m.DateRead.IsZero() {
		evs = append(evs, module.Event{Time: m.DateRead.Time, Event: "sms_read", Data: data})
	}
	return evs
}

// URLs lists the message's links at the message's date.
func (m *Message) URLs() []module.URL {
	out := make([]module.URL, len(m.Links))
	for i, l := range m.Links {
		out[i] = module.URL{URL: l, Time: m.Date.Time}
	}
	return out
}

// party names the other side of the conversation.
func (m *Message) party() string {
	switch {
	case m.PhoneNumber != "":
		return m.PhoneNumber
	case m.ChatIdentifier != "":
		return m.ChatIdentifier
	}
	return "unknown"
}

// where says in a few words what the message is, for alert messages: "an iMessage
// received from +41791234567 on 2024-05-01".
func (m *Message) where() string {
	what := "a message"
	switch strings.ToLower(m.Service) {
	case "sms":
		what = "an SMS"
	case "imessage":
		what = "an iMessage"
	case "rcs":
		what = "an RCS message"
	}
	dir := "received from"
	if m.FromMe {
		dir = "sent to"
	}
	return what + " " + dir + " " + m.party() + OnDate(m.Date.Time)
}

// OnDate returns " on <date>" for a known time, "" otherwise.
func OnDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " on " + t.UTC().Format(time.DateOnly)
}

// summary returns text on one line (line breaks written as \n), cut after max
// characters.
func summary(text string, max int) string {
	if text == "" {
		return "(no text)"
	}
	if utf8.RuneCountInString(text) > max {
		n := 0
		for i := range text {
			if n == max {
				text = text[:i] + "…"
				break
			}
			n++
		}
	}
	return strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(text)
}
