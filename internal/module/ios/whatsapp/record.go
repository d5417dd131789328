package whatsapp

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sms"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Record types (the record_type key), MVT's.
const (
	TypeMessage     = "message"
	TypeLIDPair     = "lid_phone_number_pair"
	TypeChatSession = "chat_session"
)

// fieldOf returns a column value as written to the results: blobs in base64, text
// with invalid bytes escaped (see sms.JSONValue).
func fieldOf(name string, v any) sms.Field {
	if t, ok := v.(time.Time); ok { // text the driver parsed as a date: keep it as text
		v = sqlitex.Text(t)
	}
	return sms.Field{Name: name, Value: sms.JSONValue(v)}
}

// Message is one ZWAMESSAGE row with its media and data items.
//
// JSON: the columns of ZWAMESSAGE in table order (blobs in base64; ZTEXT is always
// text: "" when NULL, a blob's bytes with invalid UTF-8 written as \xNN), then ZAUTHORNAME and ZMEDIAURL (ZWAMEDIAITEM), ZCONTENT1, ZCONTENT2,
// ZMATCHEDTEXT, ZSUMMARY and ZTITLE (ZWAMESSAGEDATAITEM), isodate and links (MVT's
// keys), then record_type "message" and whatsapp_db (spytrace's additions).
type Message struct {
	// Columns holds the ZWAMESSAGE row, in table order; Extras the joined columns, in
	// MVT's order (NULL when the message has no such item or the store no such column).
	Columns, Extras sms.Row
	// PK, FromMe, FromJID, ToJID, PushName and Text repeat Z_PK, ZISFROMME, ZFROMJID,
	// ZTOJID, ZPUSHNAME and ZTEXT.
	PK                       int64
	FromMe                   bool
	FromJID, ToJID, PushName string
	Text                     string
	// Date is ZMESSAGEDATE (isodate).
	Date timefmt.Time
	// Links are the URLs of ZTEXT, ZMATCHEDTEXT, ZMEDIAURL, ZCONTENT1 and ZCONTENT2 (and
	// of the message's other data items), without WhatsApp's own media servers.
	Links []string
	// App is "WhatsApp" or "WhatsApp Business"; DB the database read (whatsapp_db).
	App string
	DB  string
}

// derivedKeys are the keys the record adds after the columns.
var derivedKeys = map[string]bool{"isodate": true, "links": true, "record_type": true, "whatsapp_db": true}

// MarshalJSON writes the record with MVT's keys (see [Message]).
func (m *Message) MarshalJSON() ([]byte, error) {
	out := make(sms.Row, 0, len(m.Columns)+len(m.Extras)+4)
	for _, f := range m.Columns {
		if derivedKeys[f.Name] || isExtra(f.Name) {
			continue // a joined or derived key wins over a column of the same name
		}
		out = append(out, f)
	}
	out = append(out, m.Extras...)
	links := m.Links
	if links == nil {
		links = []string{}
	}
	out = append(out,
		sms.Field{Name: "isodate", Value: m.Date},
		sms.Field{Name: "links", Value: links},
		sms.Field{Name: "record_type", Value: TypeMessage},
		sms.Field{Name: "whatsapp_db", Value: m.DB},
	)
	return out.MarshalJSON()
}

func isExtra(name string) bool {
	for _, c := range extraColumns {
		if c == name {
			return true
		}
	}
	return false
}

// Timeline puts the message on the timeline ("message", MVT's event name) at its
// date, with its direction, the other party, the start of its text and its links.
func (m *Message) Timeline() []module.Event {
	if m.Date.IsZero() {
		return nil
	}
	data := m.direction() + " " + m.party() + ": " + summary(m.Text, 100)
	if len(m.Links) > 0 {
		shown := m.Links[:min(len(m.Links), 3)]
		parts := make([]string, len(shown))
		for i, l := range shown {
			parts[i] = cut(l, 200)
		}
		data += " - links: " + strings.Join(parts, ", ")
		if len(m.Links) > len(shown) {
			data += ", …"
		}
	}
	return []module.Event{{Time: m.Date.Time, Event: "message", Data: data}}
}

// URLs lists the message's links at the message's date.
func (m *Message) URLs() []module.URL {
	out := make([]module.URL, len(m.Links))
	for i, l := range m.Links {
		out[i] = module.URL{URL: l, Time: m.Date.Time}
	}
	return out
}

func (m *Message) direction() string {
	if m.FromMe {
		return "sent to"
	}
	return "received from"
}

// party names the other side: the recipient of a sent message, the sender (and their
// push name) of a received one.
func (m *Message) party() string {
	p := m.FromJID
	if m.FromMe {
		p = m.ToJID
	}
	if p == "" {
		p = "unknown"
	}
	if !m.FromMe && m.PushName != "" {
		p += " (" + m.PushName + ")"
	}
	return oneLine(p)
}

// where says in a few words what the message is, for alert messages.
func (m *Message) where() string {
	return "a " + appOf(m.App, m.DB) + " message " + m.direction() + " " + m.party() + sms.OnDate(m.Date.Time)
}

// appOf returns the app's name, from the record or from its database's path.
func appOf(app, db string) string {
	if app != "" {
		return app
	}
	if strings.Contains(db, "WhatsAppSMB") {
		return "WhatsApp Business"
	}
	return "WhatsApp"
}

// LIDPair is one ZWAPHONENUMBERLIDPAIR row: WhatsApp recorded that a LID belongs to a
// phone number.
type LIDPair struct {
	RecordType string `json:"record_type"` // "lid_phone_number_pair"
	// LID and PhoneNumber are ZLID and ZPHONENUMBER as stored (digits, sometimes with
	// "@lid" or "+"), nil for NULL.
	LID         any `json:"lid"`
	PhoneNumber any `json:"phone_number"`
	// PairTimestamp is ZTIMESTAMP, when the pair was recorded.
	PairTimestamp timefmt.Time `json:"pair_timestamp"`
	WhatsAppDB    string       `json:"whatsapp_db"`
	App           string       `json:"-"`
	DB            string       `json:"-"`
}

// MarshalJSON fills in the record type and database.
func (p *LIDPair) MarshalJSON() ([]byte, error) {
	type plain LIDPair
	c := plain(*p)
	c.RecordType, c.WhatsAppDB = TypeLIDPair, p.DB
	return marshal(c)
}

// Timeline puts the pair on the timeline ("lid_pair_recorded") when it has a date.
func (p *LIDPair) Timeline() []module.Event {
	if p.PairTimestamp.IsZero() {
		return nil
	}
	return []module.Event{{Time: p.PairTimestamp.Time, Event: "lid_pair_recorded",
		Data: oneLine(appOf(p.App, p.DB) + " associated LID " + sqlitex.Text(p.LID) + " with phone number " + sqlitex.Text(p.PhoneNumber))}}
}

// ChatSession is one ZWACHATSESSION row with its group's creation date and the dates
// and number of the messages still stored for it.
type ChatSession struct {
	SessionPK int64 `json:"session_pk"`
	// ContactJID … MessageCounter are ZCONTACTJID, ZPARTNERNAME, ZSESSIONTYPE,
	// ZARCHIVED, ZREMOVED and ZMESSAGECOUNTER as stored (nil for NULL or absent).
	ContactJID     any `json:"contact_jid"`
	PartnerName    any `json:"partner_name"`
	SessionType    any `json:"session_type"`
	Archived       any `json:"archived"`
	Removed        any `json:"removed"`
	MessageCounter any `json:"message_counter"`
	// LastMessageDate is ZLASTMESSAGEDATE: it may be later than the last stored
	// message when that was deleted.
	LastMessageDate        timefmt.Time `json:"last_message_date"`
	GroupCreationDate      timefmt.Time `json:"group_creation_date"`
	FirstStoredMessageDate timefmt.Time `json:"first_stored_message_date"`
	LastStoredMessageDate  timefmt.Time `json:"last_stored_message_date"`
	StoredMessageCount     int64        `json:"stored_message_count"`
	RecordType             string       `json:"record_type"` // "chat_session"
	// PartnerResolvedPhoneNumber is "+<digits>" for a chat under a LID with a known
	// pair, else nil.
	PartnerResolvedPhoneNumber *string `json:"partner_resolved_phone_number"`
	WhatsAppDB                 string  `json:"whatsapp_db"`
	App                        string  `json:"-"`
	DB                         string  `json:"-"`
}

// MarshalJSON fills in the record type and database.
func (s *ChatSession) MarshalJSON() ([]byte, error) {
	type plain ChatSession
	c := plain(*s)
	c.RecordType, c.WhatsAppDB = TypeChatSession, s.DB
	return marshal(c)
}

// Timeline puts the chat's group creation, first stored message and last message on
// the timeline (MVT's events group_created, chat_first_message, chat_last_message).
func (s *ChatSession) Timeline() []module.Event {
	chat := s.describe()
	var evs []module.Event
	if !s.GroupCreationDate.IsZero() {
		evs = append(evs, module.Event{Time: s.GroupCreationDate.Time, Event: "group_created", Data: chat + " was created"})
	}
	if !s.FirstStoredMessageDate.IsZero() {
		evs = append(evs, module.Event{Time: s.FirstStoredMessageDate.Time, Event: "chat_first_message", Data: "First stored message in " + chat})
	}
	// The session's own date is authoritative: it is later than the last stored
	// message when that was deleted.
	last := s.LastMessageDate
	if last.IsZero() {
		last = s.LastStoredMessageDate
	}
	if !last.IsZero() {
		evs = append(evs, module.Event{Time: last.Time, Event: "chat_last_message", Data: "Last message in " + chat})
	}
	return evs
}

// describe names the chat as MVT does: "WhatsApp chat with 'Name' (+41…)" or
// "WhatsApp group chat 'Name' (…@g.us)".
func (s *ChatSession) describe() string {
	jid := sqlitex.Text(s.ContactJID)
	if jid == "" {
		jid = "unknown"
	}
	id := jid
	if s.PartnerResolvedPhoneNumber != nil {
		id = *s.PartnerResolvedPhoneNumber
	}
	label := id
	if name := sqlitex.Text(s.PartnerName); name != "" {
		label = "'" + name + "' (" + id + ")"
	}
	app := appOf(s.App, s.DB)
	if strings.HasSuffix(jid, "@g.us") || !s.GroupCreationDate.IsZero() {
		return oneLine(app + " group chat " + label)
	}
	return oneLine(app + " chat with " + label)
}

// marshal writes v as JSON without escaping HTML characters, as every results file is
// written.
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// messageLinks returns the links of the given texts, in order, without duplicates and
// without WhatsApp's media servers.
func messageLinks(texts ...string) []string {
	var out []string
	var seen map[string]bool
	for _, t := range texts {
		if t == "" {
			continue
		}
		for _, l := range urlx.Extract(t) {
			if seen[l] || IsWhatsAppMedia(l) {
				continue
			}
			if len(out) >= urlx.MaxURLs {
				return out
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// IsWhatsAppMedia reports whether link points to one of WhatsApp's media servers, where
// the app fetches the (encrypted) attachments of messages: mmg.whatsapp.net,
// mmg-fna.whatsapp.net, or a host starting with "media" under whatsapp.net
// (media-zrh1-1.cdn.whatsapp.net, media.fzrh1-1.fna.whatsapp.net). The host name is
// compared, so user information ("https://mmg.whatsapp.net@host/") or a look-alike
// ("mmg.whatsapp.net.host") never hides another host.
func IsWhatsAppMedia(link string) bool {
	s := link
	if !strings.Contains(s, "://") {
		s = "https://" + s // a bare "mmg.whatsapp.net/…"
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "https" && scheme != "http" {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	switch host {
	case "mmg.whatsapp.net", "mmg-fna.whatsapp.net":
		return true
	}
	return strings.HasPrefix(host, "media") && strings.HasSuffix(host, ".whatsapp.net")
}

// summary returns text on one line (line breaks written as \n), cut after max
// characters.
func summary(text string, max int) string {
	if strings.TrimSpace(text) == "" {
		return "(no text)"
	}
	return oneLine(cut(text, max))
}

// lineBreaks writes line breaks as \n.
var lineBreaks = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\n`)

// oneLine returns s with its line breaks written as \n, for timeline lines.
func oneLine(s string) string { return lineBreaks.Replace(s) }

// cut returns s cut after max characters, with "…" when cut.
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
