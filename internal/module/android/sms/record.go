package sms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Field is one key of a message object, its value as the JSON of the file (compacted).
type Field struct {
	Name  string
	Value json.RawMessage
}

// object is one element of a file's array: its fields, or why it is not an object.
type object struct {
	fields []Field
	err    string
}

// parseArray reads a JSON array of objects, keeping each object's keys in order (a
// repeated key keeps its first place and its last value). It returns the elements
// read before any syntax error, and that error.
func parseArray(data []byte) ([]object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errors.New("the JSON is not an array")
	}
	var out []object
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out, fmt.Errorf("the JSON breaks after %d messages: %w", len(out), err)
		}
		out = append(out, parseObject(raw))
	}
	if _, err := dec.Token(); err != nil {
		return out, fmt.Errorf("the JSON array is not closed after %d messages: %w", len(out), err)
	}
	return out, nil
}

func parseObject(raw json.RawMessage) object {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return object{err: "not a JSON object; skipped"}
	}
	var fields []Field
	at := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return object{err: "unreadable object; skipped"}
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return object{err: "unreadable object; skipped"}
		}
		var c bytes.Buffer
		if json.Compact(&c, v) == nil {
			v = c.Bytes()
		}
		if i, ok := at[key]; ok {
			fields[i].Value = v
			continue
		}
		at[key] = len(fields)
		fields = append(fields, Field{key, v})
	}
	return object{fields: fields}
}

// Message is one SMS or MMS of the backup.
//
// JSON: the message's keys in file order (mms_body written as body), then MVT's
// isodate, direction and links, then message_kind, box, isodate_sent and, for an MMS,
// address (spytrace's additions).
type Message struct {
	// Fields are the keys of the JSON object, mms_body renamed body.
	Fields []Field
	// Kind is KindSMS or KindMMS.
	Kind string
	// File is the base name of the backup file the message was read from (not written).
	File string
	// Body is the text; Subject the SMS subject or MMS sub.
	Body, Subject string
	// Address is the other party: the SMS address; for an MMS, the sender (type 137)
	// of a received one, the recipients (151, 130, 129) of another, comma-separated.
	Address string
	// Date and DateSent are date and date_sent in UTC (zero when 0 or unreadable).
	Date, DateSent timefmt.Time
	// Box names the box: inbox, sent, draft, outbox, failed, queued, or "".
	Box string
	// Direction is received, sent, draft or unknown.
	Direction string
	// Links are the URLs found in Body and Subject.
	Links []string
	// ContentLocation is an MMS's ct_l: the MMSC address it was downloaded from.
	ContentLocation string
}

// Directions.
const (
	Received = "received"
	Sent     = "sent"
	Draft    = "draft"
	Unknown  = "unknown"
)

var smsBoxes = map[string]string{"1": "inbox", "2": "sent", "3": "draft", "4": "outbox", "5": "failed", "6": "queued"}
var mmsBoxes = map[string]string{"1": "inbox", "2": "sent", "3": "draft", "4": "outbox", "5": "failed"}

func directionOf(box string) string {
	switch box {
	case "inbox":
		return Received
	case "sent", "outbox", "failed", "queued":
		return Sent
	case "draft":
		return Draft
	}
	return Unknown
}

// text returns a JSON value as text: a string as it is, a number or boolean as
// written, "" for anything else.
func text(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if t := string(v); t == "true" || t == "false" || (len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) {
		return t
	}
	return ""
}

// newMessage builds a message from its fields; problems say what could not be read.
func newMessage(kind string, fields []Field) (*Message, []string) {
	m := &Message{Kind: kind, Fields: fields}
	var problems []string
	get := map[string]json.RawMessage{}
	for i, f := range fields {
		if f.Name == "mms_body" {
			if _, dup := get["body"]; !dup {
				m.Fields[i].Name = "body"
			}
		}
		get[m.Fields[i].Name] = f.Value
	}
	m.Body = text(get["body"])
	if kind == KindMMS {
		m.Subject = text(get["sub"])
	} else {
		m.Subject = text(get["subject"])
	}
	var err error
	if m.Date, err = dateOf(get["date"]); err != nil {
		problems = append(problems, "date: "+err.Error())
	}
	if m.DateSent, err = dateOf(get["date_sent"]); err != nil {
		problems = append(problems, "date_sent: "+err.Error())
	}
	if kind == KindMMS {
		m.Box = mmsBoxes[text(get["msg_box"])]
		m.Direction = directionOf(m.Box)
		if m.Direction == Unknown {
			switch text(get["m_type"]) {
			case "128":
				m.Direction = Sent
			case "130", "132":
				m.Direction = Received
			}
		}
		m.ContentLocation = text(get["ct_l"])
		if m.Address = text(get["address"]); m.Address == "" {
			m.Address = mmsParty(get["mms_addresses"], m.Direction)
		}
	} else {
		m.Box = smsBoxes[text(get["type"])]
		m.Direction = directionOf(m.Box)
		m.Address = text(get["address"])
	}
	seen := map[string]bool{}
	for _, s := range []string{m.Body, m.Subject} {
		for _, l := range urlx.Extract(s) {
			if !seen[l] {
				seen[l] = true
				m.Links = append(m.Links, l)
			}
		}
	}
	return m, problems
}

// mmsParty names the other party of an MMS from its addresses.
func mmsParty(raw json.RawMessage, direction string) string {
	var addrs []struct {
		Type    json.RawMessage `json:"type"`
		Address string          `json:"address"`
	}
	if json.Unmarshal(raw, &addrs) != nil {
		return ""
	}
	var from, to []string
	for _, a := range addrs {
		if a.Address == "" || a.Address == "insert-address-token" {
			continue
		}
		if text(a.Type) == "137" {
			from = append(from, a.Address)
		} else {
			to = append(to, a.Address)
		}
	}
	if direction == Received {
		return strings.Join(from, ", ")
	}
	return strings.Join(to, ", ")
}

// secondsLimit separates seconds from milliseconds: 1e11 s is the year 5138, 1e11 ms
// is 1973.
const secondsLimit = 100_000_000_000

// dateOf reads a date: MMS dates are seconds, SMS dates milliseconds (see the
// package comment).
func dateOf(v json.RawMessage) (timefmt.Time, error) {
	if v == nil {
		return timefmt.Time{}, nil
	}
	s := text(v)
	if s == "" {
		if string(v) == "null" || string(v) == `""` {
			return timefmt.Time{}, nil
		}
		return timefmt.Time{}, fmt.Errorf("%s is not a number", clip(string(v)))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return timefmt.Time{}, fmt.Errorf("%q is not an integer", clip(s))
	}
	if n == 0 {
		return timefmt.Time{}, nil
	}
	// Seconds for MMS, milliseconds for SMS; the magnitude settles a value that
	// cannot be in its kind's unit (the two ranges of plausible dates do not overlap).
	var t time.Time
	if n > -secondsLimit && n < secondsLimit {
		t = timefmt.FromUnix(float64(n))
	} else {
		t = timefmt.FromUnixMillis(n)
	}
	if t.IsZero() {
		return timefmt.Time{}, fmt.Errorf("%d is outside the range of plausible dates", n)
	}
	return timefmt.Of(t), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

var derived = map[string]bool{"isodate": true, "direction": true, "links": true, "message_kind": true, "box": true, "isodate_sent": true}

// MarshalJSON writes the record (see [Message]).
func (m *Message) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	hasAddress := false
	n := 0
	field := func(name string, v any) error {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		if err := writeJSON(&b, name); err != nil {
			return err
		}
		b.WriteByte(':')
		return writeJSON(&b, v)
	}
	for _, f := range m.Fields {
		if derived[f.Name] {
			continue // a derived key wins over a key of the same name
		}
		if f.Name == "address" {
			hasAddress = true
		}
		if err := field(f.Name, f.Value); err != nil {
			return nil, err
		}
	}
	links := m.Links
	if links == nil {
		links = []string{}
	}
	for _, kv := range []struct {
		k string
		v any
	}{{"isodate", m.Date}, {"direction", m.Direction}, {"links", links}, {"message_kind", m.Kind}, {"box", m.Box}, {"isodate_sent", m.DateSent}} {
		if err := field(kv.k, kv.v); err != nil {
			return nil, err
		}
	}
	if !hasAddress && m.Kind == KindMMS {
		if err := field("address", m.Address); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// mmsKeys are keys only MMS objects have, by which a record of MVT's, which does not
// say its kind, is told to be an MMS.
var mmsKeys = map[string]bool{"msg_box": true, "m_type": true, "mms_addresses": true, "ct_l": true, "tr_id": true, "mms_charset": true}

// UnmarshalJSON reads a message as MarshalJSON writes it, or one of MVT's sms.json: the
// backup's keys (mms_body renamed body) followed by MVT's isodate, direction and links.
// The derived keys are dropped and worked out again from the message's own keys, as
// when the backup is read (MVT's direction and MMS dates are wrong, see the package
// comment); the address spytrace adds to an MMS after message_kind is dropped too. The
// kind is message_kind, else MMS when the object has a key only MMS have.
func (m *Message) UnmarshalJSON(data []byte) error {
	o := parseObject(data)
	if o.err != "" {
		return errors.New(o.err)
	}
	kind := ""
	var fields []Field
	for _, f := range o.fields {
		switch {
		case f.Name == "message_kind":
			kind = text(f.Value)
			continue
		case derived[f.Name], f.Name == "address" && kind != "":
			continue
		}
		fields = append(fields, f)
	}
	if kind != KindSMS && kind != KindMMS {
		kind = KindSMS
		for _, f := range fields {
			if mmsKeys[f.Name] {
				kind = KindMMS
			}
		}
	}
	msg, _ := newMessage(kind, fields)
	*m = *msg
	return nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	if raw, ok := v.(json.RawMessage); ok {
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		b.Write(raw)
		return nil
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// Timeline puts the message on the timeline at its date: sms_received, sms_sent,
// sms_draft, or "sms" when the direction is unknown (MVT has no timeline here).
func (m *Message) Timeline() []module.Event {
	if m.Date.IsZero() {
		return nil
	}
	event := "sms"
	switch m.Direction {
	case Received:
		event = "sms_received"
	case Sent:
		event = "sms_sent"
	case Draft:
		event = "sms_draft"
	}
	return []module.Event{{Time: m.Date.Time, Event: event, Data: m.summary()}}
}

// URLs lists the message's links at its date.
func (m *Message) URLs() []module.URL {
	out := make([]module.URL, len(m.Links))
	for i, l := range m.Links {
		out[i] = module.URL{URL: l, Time: m.Date.Time}
	}
	return out
}

// what is "SMS" or "MMS".
func (m *Message) what() string { return strings.ToUpper(m.Kind) }

func (m *Message) party() string {
	if m.Address == "" {
		return "an unknown party"
	}
	return m.Address
}

// where describes the message for alerts: "an SMS received from +41… on 2024-03-14".
func (m *Message) where() string {
	s := "an " + m.what() + " "
	switch m.Direction {
	case Received:
		s += "received from " + m.party()
	case Sent:
		s += "sent to " + m.party()
	case Draft:
		s += "drafted to " + m.party()
	default:
		s += "exchanged with " + m.party()
	}
	if !m.Date.IsZero() {
		s += " on " + m.Date.UTC().Format(time.DateOnly)
	}
	return s
}

// summary is the timeline's one line.
func (m *Message) summary() string {
	dir := map[string]string{Received: " from ", Sent: " to ", Draft: " (draft) to "}[m.Direction]
	if dir == "" {
		dir = " with "
	}
	body := m.Body
	if body == "" {
		body = "(no text)"
	}
	if utf8.RuneCountInString(body) > 120 {
		r := []rune(body)
		body = string(r[:120]) + "…"
	}
	body = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(body)
	return m.what() + dir + m.party() + ": " + body
}
