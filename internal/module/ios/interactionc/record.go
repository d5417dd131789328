package interactionc

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/whatsappcontacts"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Record is one interaction joined to its sender, one recipient and one attachment,
// with MVT's keys (including its spelling "derivied_intent_id"). Keys whose column or
// table is absent from the database, or NULL, are null. "mechanism" (ZMECHANISM) is
// read whatever the layout (MVT only reads it with its fallback queries). For WhatsApp
// and WhatsApp Business interactions the six "*_resolved_*" keys are added (see
// [Resolution]).
type Record struct {
	StartDate                  timefmt.Time `json:"start_date"`
	EndDate                    timefmt.Time `json:"end_date"`
	BundleID                   *string      `json:"bundle_id"`
	Account                    *string      `json:"account"`
	TargetBundleID             *string      `json:"target_bundle_id"`
	Direction                  *string      `json:"direction"` // INCOMING, OUTGOING, or the raw value
	SenderDisplayName          *string      `json:"sender_display_name"`
	SenderIdentifier           *string      `json:"sender_identifier"`
	SenderPersonID             *string      `json:"sender_personid"`
	RecipientDisplayName       *string      `json:"recipient_display_name"`
	RecipientIdentifier        *string      `json:"recipient_identifier"`
	RecipientPersonID          *string      `json:"recipient_personid"`
	RecipientCount             *int64       `json:"recipient_count"`
	DomainIdentifier           *string      `json:"domain_identifier"`
	IsResponse                 *int64       `json:"is_response"`
	Content                    *string      `json:"content"`
	UTI                        *string      `json:"uti"`
	AttachmentContentURL       *string      `json:"attachment_content_url"`
	Size                       *int64       `json:"size"`
	PhotoLocalID               *string      `json:"photo_local_id"`
	AttachmentID               *string      `json:"attachment_id"` // ZIDENTIFIER in upper-case hex
	CloudID                    *string      `json:"cloud_id"`
	IncomingRecipientCount     *int64       `json:"incoming_recipient_count"`
	IncomingSenderCount        *int64       `json:"incoming_sender_count"`
	OutgoingRecipientCount     *int64       `json:"outgoing_recipient_count"`
	InteractionsCreationDate   timefmt.Time `json:"interactions_creation_date"`
	ContactsCreationDate       timefmt.Time `json:"contacts_creation_date"`
	FirstIncomingRecipientDate timefmt.Time `json:"first_incoming_recipient_date"`
	FirstIncomingSenderDate    timefmt.Time `json:"first_incoming_sender_date"`
	FirstOutgoingRecipientDate timefmt.Time `json:"first_outgoing_recipient_date"`
	LastIncomingSenderDate     timefmt.Time `json:"last_incoming_sender_date"`
	LastIncomingRecipientDate  timefmt.Time `json:"last_incoming_recipient_date"`
	LastOutgoingRecipientDate  timefmt.Time `json:"last_outgoing_recipient_date"`
	CustomID                   *string      `json:"custom_id"`
	InteractionContentURL      *string      `json:"interaction_content_url"`
	LocationUUID               *string      `json:"location_uuid"`
	GroupName                  *string      `json:"group_name"`
	DerivedIntentID            *string      `json:"derivied_intent_id"`
	TableID                    *int64       `json:"table_id"` // ZINTERACTIONS.Z_PK
	Mechanism                  *int64       `json:"mechanism"`

	*Resolution

	// contactEvents are the per-contact timeline events this record is the first to
	// carry (set by the module).
	contactEvents []module.Event
}

// Resolution is what the WhatsApp contacts say about the parties of a WhatsApp
// interaction: the sender (from sender_identifier, else custom_id), the recipient and the
// chat (domain_identifier). Unresolved values are null.
type Resolution struct {
	SenderPhone    *string `json:"sender_resolved_phone_number"`
	SenderName     *string `json:"sender_resolved_name"`
	RecipientPhone *string `json:"recipient_resolved_phone_number"`
	RecipientName  *string `json:"recipient_resolved_name"`
	DomainPhone    *string `json:"domain_resolved_phone_number"`
	DomainName     *string `json:"domain_resolved_name"`
}

// Directions (ZDIRECTION).
const (
	Incoming = "INCOMING"
	Outgoing = "OUTGOING"
)

// recordOf converts one row of the query (columns in the order of sources).
func recordOf(v []any) *Record {
	r := &Record{
		StartDate:                  macTime(v[0]),
		EndDate:                    macTime(v[1]),
		BundleID:                   text(v[2]),
		Account:                    text(v[3]),
		TargetBundleID:             text(v[4]),
		Direction:                  direction(v[5]),
		SenderDisplayName:          text(v[6]),
		SenderIdentifier:           text(v[7]),
		SenderPersonID:             text(v[8]),
		RecipientDisplayName:       text(v[9]),
		RecipientIdentifier:        text(v[10]),
		RecipientPersonID:          text(v[11]),
		RecipientCount:             integer(v[12]),
		DomainIdentifier:           text(v[13]),
		IsResponse:                 integer(v[14]),
		Content:                    text(v[15]),
		UTI:                        text(v[16]),
		AttachmentContentURL:       text(v[17]),
		Size:                       integer(v[18]),
		PhotoLocalID:               text(v[19]),
		AttachmentID:               hexOf(v[20]),
		CloudID:                    text(v[21]),
		IncomingRecipientCount:     integer(v[22]),
		IncomingSenderCount:        integer(v[23]),
		OutgoingRecipientCount:     integer(v[24]),
		InteractionsCreationDate:   macTime(v[25]),
		ContactsCreationDate:       macTime(v[26]),
		FirstIncomingRecipientDate: macTime(v[27]),
		FirstIncomingSenderDate:    macTime(v[28]),
		FirstOutgoingRecipientDate: macTime(v[29]),
		LastIncomingSenderDate:     macTime(v[30]),
		LastIncomingRecipientDate:  macTime(v[31]),
		LastOutgoingRecipientDate:  macTime(v[32]),
		CustomID:                   text(v[33]),
		InteractionContentURL:      text(v[34]),
		LocationUUID:               text(v[35]),
		GroupName:                  text(v[36]),
		DerivedIntentID:            text(v[37]),
		TableID:                    integer(v[38]),
		Mechanism:                  integer(v[39]),
	}
	return r
}

func text(v any) *string {
	if v == nil {
		return nil
	}
	s := sqlitex.Text(v)
	return &s
}

func integer(v any) *int64 {
	n, ok := sqlitex.Int(v)
	if !ok {
		return nil
	}
	return &n
}

func macTime(v any) timefmt.Time {
	f, ok := sqlitex.Float(v)
	if !ok {
		return timefmt.Time{}
	}
	return timefmt.Of(timefmt.FromMacAbsolute(f))
}

// hexOf writes a blob (or text) as upper-case hex, as MVT's HEX() does; NULL gives null.
func hexOf(v any) *string {
	b := sqlitex.Blob(v)
	if b == nil {
		if n, ok := v.(int64); ok { // a number, as SQLite's HEX would see its text
			b = []byte(strconv.FormatInt(n, 10))
		} else {
			return nil
		}
	}
	s := strings.ToUpper(hex.EncodeToString(b))
	return &s
}

// direction names ZDIRECTION: 0 INCOMING, 1 OUTGOING, other values as they are.
func direction(v any) *string {
	if v == nil {
		return nil
	}
	var s string
	switch n, ok := sqlitex.Int(v); {
	case ok && n == 0:
		s = Incoming
	case ok && n == 1:
		s = Outgoing
	default:
		s = sqlitex.Text(v)
	}
	return &s
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// WhatsApp bundle ids whose interactions are resolved.
var whatsAppApps = map[string]string{
	whatsappcontacts.WhatsApp:         whatsappcontacts.WhatsApp,
	whatsappcontacts.WhatsAppBusiness: whatsappcontacts.WhatsAppBusiness,
}

// resolve adds the Resolution of a WhatsApp interaction.
func (r *Record) resolve(res *whatsappcontacts.Resolve) {
	app, ok := whatsAppApps[str(r.BundleID)]
	if !ok {
		return
	}
	first := func(ids ...*string) (phone, name *string) {
		for _, id := range ids {
			if p, n, ok := res.LookupApp(app, str(id)); ok {
				return ptr(p), ptr(n)
			}
		}
		return nil, nil
	}
	r.Resolution = &Resolution{}
	r.SenderPhone, r.SenderName = first(r.SenderIdentifier, r.CustomID)
	r.RecipientPhone, r.RecipientName = first(r.RecipientIdentifier)
	r.DomainPhone, r.DomainName = first(r.DomainIdentifier)
}

// party describes one side of the interaction as MVT's timeline does: "name
// (identifier)", the identifier alone when the name is only a formatted copy of it, else
// whichever is known; "" when neither is. The resolved phone number is preferred over
// the raw identifier, the display name over the resolved name.
func party(name, resolvedName, resolvedPhone, identifier string) string {
	if name == "" {
		name = resolvedName
	}
	id := resolvedPhone
	if id == "" {
		id = identifier
	}
	switch {
	case name != "" && id != "":
		if d := digits(name); d != "" && d == digits(id) {
			return id
		}
		return name + " (" + id + ")"
	case name != "":
		return name
	}
	return id
}

func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Sender describes the sender ("" when unknown).
func (r *Record) Sender() string {
	var name, phone string
	if r.Resolution != nil {
		name, phone = str(r.SenderName), str(r.SenderPhone)
	}
	return party(str(r.SenderDisplayName), name, phone, str(r.SenderIdentifier))
}

// Recipient describes the recipient, else the chat (domain identifier); "" when
// neither is known.
func (r *Record) Recipient() string {
	var name, phone, dname, dphone string
	if r.Resolution != nil {
		name, phone = str(r.RecipientName), str(r.RecipientPhone)
		dname, dphone = str(r.DomainName), str(r.DomainPhone)
	}
	if p := party(str(r.RecipientDisplayName), name, phone, str(r.RecipientIdentifier)); p != "" {
		return p
	}
	return party("", dname, dphone, str(r.DomainIdentifier))
}

// Summary is the timeline's description of the interaction, as MVT writes it:
// "[bundle] account DIRECTION from SENDER to RECIPIENT (group: NAME): CONTENT", with "local
// user" for the missing side of an incoming or outgoing interaction.
func (r *Record) Summary() string {
	sender, recipient := r.Sender(), r.Recipient()
	dir := str(r.Direction)
	if sender == "" && dir == Outgoing {
		sender = "local user"
	}
	if recipient == "" && dir == Incoming {
		recipient = "local user"
	}
	var b strings.Builder
	b.WriteString("[" + str(r.BundleID) + "]")
	if a := str(r.Account); a != "" {
		b.WriteString(" " + a)
	}
	if dir != "" {
		b.WriteString(" " + dir)
	}
	fmt.Fprintf(&b, " from %s to %s", or(sender, "unknown"), or(recipient, "unknown"))
	if g := str(r.GroupName); g != "" {
		b.WriteString(" (group: " + g + ")")
	}
	if c := str(r.Content); c != "" {
		b.WriteString(": " + c)
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// creationThreshold is the gap between an interaction and the creation of its record
// above which the creation date goes on the timeline: records are normally created
// within milliseconds; a large gap means the record was backfilled (sync, restore or
// tampering).
const creationThreshold = time.Hour

// Timeline implements module.Timeliner: start_date and end_date (once when equal),
// interactions_creation_date when it is 1 h or more away from start_date (or there is no
// start date), and the per-contact events this record is the first to carry.
func (r *Record) Timeline() []module.Event {
	data := r.Summary()
	var out []module.Event
	if !r.StartDate.IsZero() {
		out = append(out, module.Event{Time: r.StartDate.Time, Event: "start_date", Data: data})
	}
	if !r.EndDate.IsZero() && !r.EndDate.Equal(r.StartDate.Time) {
		out = append(out, module.Event{Time: r.EndDate.Time, Event: "end_date", Data: data})
	}
	if c := r.InteractionsCreationDate; !c.IsZero() {
		switch d := c.Sub(r.StartDate.Time); {
		case r.StartDate.IsZero():
			out = append(out, module.Event{Time: c.Time, Event: "interactions_creation_date", Data: data})
		case d >= creationThreshold || d <= -creationThreshold:
			out = append(out, module.Event{Time: c.Time, Event: "interactions_creation_date",
				Data: "Interaction record created " + describeDelta(d) + " the event: " + data})
		}
	}
	return append(out, r.contactEvents...)
}

// describeDelta says "N days after" or "N hours before", as MVT does.
func describeDelta(d time.Duration) string {
	dir := "after"
	if d < 0 {
		d, dir = -d, "before"
	}
	s := d.Seconds()
	if s >= 86400 {
		return fmt.Sprintf("%.0f days %s", s/86400, dir)
	}
	return fmt.Sprintf("%.0f hours %s", s/3600, dir)
}

// contactTemplates are the per-contact events, in MVT's order, and their description of
// the sender's contact.
var contactTemplates = []struct {
	event  string
	date   func(*Record) timefmt.Time
	format string
}{
	{"contacts_creation_date", func(r *Record) timefmt.Time { return r.ContactsCreationDate }, "Contact %s first recorded in interactionC"},
	{"first_incoming_sender_date", func(r *Record) timefmt.Time { return r.FirstIncomingSenderDate }, "First incoming interaction from %s"},
	{"last_incoming_sender_date", func(r *Record) timefmt.Time { return r.LastIncomingSenderDate }, "Last incoming interaction from %s"},
	{"first_incoming_recipient_date", func(r *Record) timefmt.Time { return r.FirstIncomingRecipientDate }, "First incoming interaction where %s was a recipient"},
	{"last_incoming_recipient_date", func(r *Record) timefmt.Time { return r.LastIncomingRecipientDate }, "Last incoming interaction where %s was a recipient"},
	{"first_outgoing_recipient_date", func(r *Record) timefmt.Time { return r.FirstOutgoingRecipientDate }, "First outgoing interaction to %s"},
	{"last_outgoing_recipient_date", func(r *Record) timefmt.Time { return r.LastOutgoingRecipientDate }, "Last outgoing interaction to %s"},
}

// newContactEvents returns the per-contact events of the record's sender that seen does
// not hold yet, and adds them to seen: the ZCONTACTS dates repeat on every interaction of
// the contact, and are put on the timeline once.
func (r *Record) newContactEvents(seen map[string]bool) []module.Event {
	p := r.Sender()
	if p == "" {
		return nil
	}
	var out []module.Event
	for _, tpl := range contactTemplates {
		t := tpl.date(r)
		if t.IsZero() {
			continue
		}
		key := tpl.event + "\x00" + t.String() + "\x00" + p
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, module.Event{Time: t.Time, Event: tpl.event, Data: fmt.Sprintf(tpl.format, p)})
	}
	return out
}

// Links returns the URLs of the interaction: the attachment's and the interaction's
// content URLs when they name a network resource (not a local file), then the links in
// the attachment's text. Duplicates are dropped.
func (r *Record) Links() []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, u := range []string{str(r.AttachmentContentURL), str(r.InteractionContentURL)} {
		if networkURL(u) {
			add(u)
		}
	}
	for _, u := range urlx.Extract(str(r.Content)) {
		add(u)
	}
	return out
}

// networkURL reports whether u is an absolute URL with a host, other than a file URL.
func networkURL(u string) bool {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Scheme == "" || strings.EqualFold(p.Scheme, "file") {
		return false
	}
	return p.Host != ""
}

// URLs implements module.URLLister: the interaction's links, at its start date.
func (r *Record) URLs() []module.URL {
	links := r.Links()
	if len(links) == 0 {
		return nil
	}
	out := make([]module.URL, len(links))
	for i, l := range links {
		out[i] = module.URL{URL: l, Time: r.StartDate.Time}
	}
	return out
}
