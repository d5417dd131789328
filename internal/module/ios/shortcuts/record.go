package shortcuts

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Shortcut is one shortcut with its actions. Keys are MVT's, in MVT's order, then
// spytrace's: actions (the decoded actions) and actions_error.
type Shortcut struct {
	// ShortcutID is ZSHORTCUT.Z_PK.
	ShortcutID any `json:"shortcut_id"`
	// ShortcutName is ZNAME (null when NULL).
	ShortcutName any `json:"shortcut_name"`
	// ModifiedDate is ZMODIFICATIONDATE.
	ModifiedDate timefmt.Time `json:"modified_date"`
	// Description is ZACTIONSDESCRIPTION, the list of action names the app shows.
	Description any `json:"description"`
	// ParsedActions is the number of actions decoded (MVT's key: a count).
	ParsedActions int `json:"parsed_actions"`
	// ActionURLs are the URLs found in the actions' parameters, de-duplicated.
	ActionURLs []string `json:"action_urls"`
	// Isodate is ZCREATIONDATE.
	Isodate timefmt.Time `json:"isodate"`
	// Actions are the decoded actions.
	Actions []Action `json:"actions"`
	// ActionsError says why ZDATA, or part of it, could not be decoded.
	ActionsError string `json:"actions_error,omitempty"`

	name, description string
}

// newShortcut builds the record of one row of the query (see buildQuery).
func newShortcut(v []any) *Shortcut {
	s := &Shortcut{
		ShortcutID:   jsonValue(v[0]),
		ShortcutName: jsonValue(v[1]),
		Isodate:      macDate(v[2]),
		ModifiedDate: macDate(v[3]),
		Description:  jsonValue(v[4]),
		name:         sqlitex.Text(v[1]),
		description:  sqlitex.Text(v[4]),
	}
	actions, urls, err := parseActions(sqlitex.Blob(v[5]))
	s.Actions, s.ActionURLs, s.ParsedActions = actions, urls, len(actions)
	if s.Actions == nil {
		s.Actions = []Action{}
	}
	if s.ActionURLs == nil {
		s.ActionURLs = []string{}
	}
	if err != nil {
		s.ActionsError = err.Error()
	}
	return s
}

// jsonValue converts a scanned value: integers stay numbers, everything else is text
// (MVT reads this database with bytes for text and writes them decoded as UTF-8).
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, int64:
		return x
	case float64:
		if n, ok := sqlitex.Int(x); ok && float64(n) == x {
			return n
		}
	}
	return sqlitex.Text(v)
}

// macDate converts a Mac absolute date (text gives no date).
func macDate(v any) timefmt.Time {
	switch x := v.(type) {
	case int64:
		return timefmt.Of(timefmt.FromMacAbsolute(float64(x)))
	case float64:
		return timefmt.Of(timefmt.FromMacAbsolute(x))
	}
	return timefmt.Time{}
}

// UnmarshalJSON reads a shortcut written by spytrace or MVT. Numbers keep every digit
// (a Z_PK beyond 2^53 is written back as it was read), and the name and description
// that messages and the timeline use are rebuilt from shortcut_name and description.
func (s *Shortcut) UnmarshalJSON(data []byte) error {
	type plain Shortcut
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode((*plain)(s))
	s.name, s.description = jsonText(s.ShortcutName), jsonText(s.Description)
	return err
}

// jsonText is the text of a value of shortcut_name or description read back from JSON:
// a string, a number (written for an integer column value) or null.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// when is the time of the shortcut's content: its last change, else its creation.
func (s *Shortcut) when() time.Time {
	if !s.ModifiedDate.IsZero() {
		return s.ModifiedDate.Time
	}
	return s.Isodate.Time
}

// label names the shortcut in messages.
func (s *Shortcut) label() string {
	return "the shortcut " + strconv.Quote(cut(s.name, 80))
}

// Timeline implements module.Timeliner: shortcut_created at the creation date and
// shortcut_modified at the modification date (MVT's events).
func (s *Shortcut) Timeline() []module.Event {
	data := "iOS Shortcut '" + oneLine(cut(s.name, 120)) + "'"
	if s.description != "" {
		data += ": " + oneLine(cut(s.description, 200))
	}
	if len(s.ActionURLs) > 0 {
		urls := s.ActionURLs
		more := ""
		if len(urls) > 5 {
			urls, more = urls[:5], ", …"
		}
		data += " - URLs in actions: " + oneLine(strings.Join(urls, ", ")) + more
	}
	var evs []module.Event
	if !s.Isodate.IsZero() {
		evs = append(evs, module.Event{Time: s.Isodate.Time, Event: "shortcut_created", Data: data})
	}
	if !s.ModifiedDate.IsZero() {
		evs = append(evs, module.Event{Time: s.ModifiedDate.Time, Event: "shortcut_modified", Data: data})
	}
	return evs
}

// URLs implements module.URLLister: the action URLs, at the shortcut's last change.
func (s *Shortcut) URLs() []module.URL {
	out := make([]module.URL, len(s.ActionURLs))
	for i, u := range s.ActionURLs {
		out[i] = module.URL{URL: u, Time: s.when()}
	}
	return out
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

// oneLine writes runs of white space (line breaks included) as one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
