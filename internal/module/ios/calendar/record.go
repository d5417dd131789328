package calendar

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Item is one CalendarItem row with its organizer. The keys are MVT's, in MVT's order:
// values are the database's own (text, integers, or null when the column is NULL or
// absent from this layout); dates are converted. record holds every column of the row,
// named calendar_<column> and participant_<column> (blobs in base64), as MVT's current
// module writes it. participant_is_self and links are spytrace's.
type Item struct {
	ID                 any          `json:"id"`
	Summary            any          `json:"summary"`
	Description        any          `json:"description"`
	AllDay             any          `json:"all_day"`
	CalendarID         any          `json:"calendar_id"`
	OrganizerID        any          `json:"organizer_id"`
	URL                any          `json:"url"`
	ExternalID         any          `json:"external_id"`
	ExternalModTag     any          `json:"external_mod_tag"`
	UniqueIdentifier   any          `json:"unique_identifier"`
	Hidden             any          `json:"hidden"`
	UUID               any          `json:"uuid"`
	Action             any          `json:"action"`
	CreatedByID        any          `json:"created_by_id"`
	ParticipantUUID    any          `json:"participant_uuid"`
	ParticipantEmail   any          `json:"participant_email"`
	ParticipantPhone   any          `json:"participant_phone"`
	ParticipantComment any          `json:"participant_comment"`
	Record             Columns      `json:"record"`
	StartDate          timefmt.Time `json:"start_date"`
	EndDate            timefmt.Time `json:"end_date"`
	LastModified       timefmt.Time `json:"last_modified"`
	CreationDate       timefmt.Time `json:"creation_date"`
	// ParticipantLastModified is the organizer's last_modified.
	ParticipantLastModified timefmt.Time `json:"participant_last_modified"`
	// ParticipantIsSelf is the organizer's is_self: whether the organizer is the phone's
	// owner (null without an organizer or without the column).
	ParticipantIsSelf any `json:"participant_is_self"`
	// Links are the url column and the links in the description, de-duplicated.
	Links []string `json:"links"`

	// The values the checks and the timeline use, as text.
	summary, description, email, uuid, url string
	organizer                              int64 // organizer_id, 0 when none
	hasOrganizerRow                        bool  // the join found the Participant row
	isSelf, hidden                         bool
}

// Column is one column of the row, as written under "record".
type Column struct {
	Name  string
	Value any
}

// Columns is a row whose columns are only known when the database is read. It
// marshals to a JSON object with the columns in query order.
type Columns []Column

// MarshalJSON writes the columns as one object, keys in order, HTML unescaped.
func (c Columns) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, col := range c {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(col.Name); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
		buf.WriteByte(':')
		if err := enc.Encode(col.Value); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// jsonValue converts a scanned value for the results: text is kept (invalid UTF-8 as
// \xNN), blobs become base64, floats JSON cannot hold become text.
func jsonValue(v any) any {
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

// macDate converts a Mac absolute date; text and other values give no date (the raw
// value stays under record).
func macDate(v any) timefmt.Time {
	switch x := v.(type) {
	case int64:
		return timefmt.Of(timefmt.FromMacAbsolute(float64(x)))
	case float64:
		return timefmt.Of(timefmt.FromMacAbsolute(x))
	}
	return timefmt.Time{}
}

// newItem builds the record of one row of the query (columns named calendar_<column>
// and participant_<column>).
func newItem(names []string, vals []any) *Item {
	it := &Item{Record: make(Columns, len(names)), Links: []string{}}
	for i, name := range names {
		v := vals[i]
		it.Record[i] = Column{Name: name, Value: jsonValue(v)}
		if col, ok := strings.CutPrefix(name, itemPrefix); ok {
			it.itemColumn(col, v)
		} else if col, ok := strings.CutPrefix(name, participantPrefix); ok {
			it.participantColumn(col, v)
		}
	}
	it.Links = links(it.url, it.description)
	return it
}

func (it *Item) itemColumn(col string, v any) {
	j := jsonValue(v)
	switch col {
	case "ROWID":
		it.ID = j
	case "summary":
		it.Summary, it.summary = j, sqlitex.Text(v)
	case "description":
		it.Description, it.description = j, sqlitex.Text(v)
	case "all_day":
		it.AllDay = j
	case "calendar_id":
		it.CalendarID = j
	case "organizer_id":
		it.OrganizerID = j
		it.organizer, _ = sqlitex.Int(v)
	case "url":
		it.URL, it.url = j, sqlitex.Text(v)
	case "external_id":
		it.ExternalID = j
	case "external_mod_tag":
		it.ExternalModTag = j
	case "unique_identifier":
		it.UniqueIdentifier = j
	case "hidden":
		it.Hidden = j
		n, _ := sqlitex.Int(v)
		it.hidden = n != 0
	case "UUID":
		it.UUID, it.uuid = j, sqlitex.Text(v)
	case "action":
		it.Action = j
	case "created_by_id":
		it.CreatedByID = j
	case "start_date":
		it.StartDate = macDate(v)
	case "end_date":
		it.EndDate = macDate(v)
	case "last_modified":
		it.LastModified = macDate(v)
	case "creation_date":
		it.CreationDate = macDate(v)
	}
}

func (it *Item) participantColumn(col string, v any) {
	j := jsonValue(v)
	switch col {
	case "ROWID":
		it.hasOrganizerRow = v != nil
	case "UUID":
		it.ParticipantUUID = j
	case "email":
		it.ParticipantEmail, it.email = j, sqlitex.Text(v)
	case "phone_number":
		it.ParticipantPhone = j
	case "comment":
		it.ParticipantComment = j
	case "last_modified":
		it.ParticipantLastModified = macDate(v)
	case "is_self":
		it.ParticipantIsSelf = j
		n, _ := sqlitex.Int(v)
		it.isSelf = n == 1
	}
}

// links returns the event's url (when it is one) and the links of its description.
func links(url, description string) []string {
	out := []string{}
	seen := map[string]bool{}
	add := func(l []string) {
		for _, u := range l {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	if u := strings.TrimSpace(url); u != "" {
		if found := urlx.Extract(u); len(found) > 0 {
			add(found)
		} else if strings.Contains(u, "://") {
			add([]string{cut(u, urlx.MaxURLBytes)}) // a scheme urlx does not know
		}
	}
	add(urlx.Extract(description))
	return out
}

// invitation reports whether the event came from someone else: it has an organizer
// that is not the phone's owner (or whose row is gone).
func (it *Item) invitation() bool {
	return it.organizer != 0 && !it.isSelf
}

// when is the best time for an alert about the event: when it reached the phone
// (creation_date), else its last change, else its start.
func (it *Item) when() time.Time {
	for _, t := range []timefmt.Time{it.CreationDate, it.LastModified, it.StartDate} {
		if !t.IsZero() {
			return t.Time
		}
	}
	return time.Time{}
}

// label names the event in messages: its summary, quoted, and its UUID.
func (it *Item) label() string {
	s := strconv.Quote(cut(it.summary, 80))
	if it.uuid != "" {
		s += " (" + it.uuid + ")"
	}
	return s
}

// cut returns s cut after max characters, with "…".
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// oneLine writes line breaks and tabs as spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Timeline implements module.Timeliner: one event per known date, named after the
// date (MVT's names): start_date, end_date, last_modified, creation_date,
// participant_last_modified.
func (it *Item) Timeline() []module.Event {
	data := "Calendar event " + oneLine(cut(it.summary, 120))
	if it.description != "" {
		data += " (" + oneLine(cut(it.description, 120)) + ")"
	}
	if it.email != "" {
		data += " (invitation by " + oneLine(cut(it.email, 120)) + ")"
	}
	var evs []module.Event
	for _, d := range []struct {
		name string
		t    timefmt.Time
	}{
		{"start_date", it.StartDate}, {"end_date", it.EndDate}, {"last_modified", it.LastModified},
		{"creation_date", it.CreationDate}, {"participant_last_modified", it.ParticipantLastModified},
	} {
		if !d.t.IsZero() {
			evs = append(evs, module.Event{Time: d.t.Time, Event: d.name, Data: data})
		}
	}
	return evs
}

// URLs implements module.URLLister: the event's links, at the time it reached the
// phone.
func (it *Item) URLs() []module.URL {
	out := make([]module.URL, len(it.Links))
	for i, l := range it.Links {
		out[i] = module.URL{URL: l, Time: it.when()}
	}
	return out
}
