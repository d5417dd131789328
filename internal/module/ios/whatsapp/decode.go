package whatsapp

import (
	"github.com/spytrace/spytrace/internal/module/ios/sms"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// fieldErrors keeps the first error about a key of unexpected type.
type fieldErrors struct {
	rec any
	err error
}

func (e *fieldErrors) bad(key string, got, want any) {
	if e.err == nil {
		e.err = sms.FieldError(e.rec, key, got, want)
	}
}

// UnmarshalJSON reads a message written by spytrace or by MVT (see [Message]). The
// links of a spytrace record (one with record_type) are its links key, which has the
// links of every data item. Those of an MVT record are completed with the links of
// ZTEXT, ZMATCHEDTEXT, ZMEDIAURL, ZCONTENT1 and ZCONTENT2 (MVT leaves the key out of a
// message without links), without WhatsApp's media servers. The app is told by the
// database's path (whatsapp_db).
func (m *Message) UnmarshalJSON(data []byte) error {
	var row sms.Row
	if err := row.UnmarshalJSON(data); err != nil {
		return err
	}
	*m = Message{Columns: make(sms.Row, 0, len(row))}
	errs := fieldErrors{rec: m}
	extras := make([]any, len(extraColumns))
	var links []string
	hasDate, spytrace := false, false
	for _, f := range row {
		v := f.Value
		switch f.Name {
		case "isodate":
			m.Date, hasDate = sms.TimeValue(v), true
			continue
		case "links":
			l, ok := sms.Strings(v)
			if !ok {
				errs.bad(f.Name, v, l)
			}
			links = l
			continue
		case "record_type":
			spytrace = true
			continue
		case "whatsapp_db":
			m.DB = sqlitex.Text(v)
			continue
		case "Z_PK":
			m.PK, _ = sqlitex.Int(v)
		case "ZTEXT":
			m.Text = sqlitex.Text(v)
		case "ZFROMJID":
			m.FromJID = sqlitex.Text(v)
		case "ZTOJID":
			m.ToJID = sqlitex.Text(v)
		case "ZPUSHNAME":
			m.PushName = sqlitex.Text(v)
		case "ZISFROMME":
			n, _ := sqlitex.Int(v)
			m.FromMe = n != 0
		}
		if j := extraIndex(f.Name); j >= 0 {
			extras[j] = v
			continue
		}
		m.Columns = append(m.Columns, f)
	}
	for j, c := range extraColumns {
		m.Extras = append(m.Extras, sms.Field{Name: c, Value: extras[j]})
	}
	if !hasDate {
		if v, ok := m.Columns.Value("ZMESSAGEDATE"); ok {
			m.Date = macTime(v)
		}
	}
	if spytrace {
		// The links of every data item, not only of the columns kept.
		m.Links = links
		return errs.err
	}
	text := func(c string) string { return sqlitex.Text(extras[extraIndex(c)]) }
	for _, l := range links {
		if !IsWhatsAppMedia(l) && !contains(m.Links, l) {
			m.Links = append(m.Links, l)
		}
	}
	for _, l := range messageLinks(m.Text, text("ZMATCHEDTEXT"), text("ZMEDIAURL"), text("ZCONTENT1"), text("ZCONTENT2")) {
		if !contains(m.Links, l) {
			m.Links = append(m.Links, l)
		}
	}
	return errs.err
}

// extraIndex returns the index of name in extraColumns, or -1.
func extraIndex(name string) int {
	for j, c := range extraColumns {
		if c == name {
			return j
		}
	}
	return -1
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// UnmarshalJSON reads a LID pair record; the database is whatsapp_db.
func (p *LIDPair) UnmarshalJSON(data []byte) error {
	var row sms.Row
	if err := row.UnmarshalJSON(data); err != nil {
		return err
	}
	*p = LIDPair{}
	errs := fieldErrors{rec: p}
	for _, f := range row {
		switch f.Name {
		case "record_type":
			p.RecordType = sqlitex.Text(f.Value)
		case "lid":
			p.LID = f.Value
		case "phone_number":
			p.PhoneNumber = f.Value
		case "pair_timestamp":
			p.PairTimestamp = sms.TimeValue(f.Value)
		case "whatsapp_db":
			p.WhatsAppDB = sqlitex.Text(f.Value)
		}
	}
	p.DB = p.WhatsAppDB
	return errs.err
}

// UnmarshalJSON reads a chat session record; the database is whatsapp_db.
func (s *ChatSession) UnmarshalJSON(data []byte) error {
	var row sms.Row
	if err := row.UnmarshalJSON(data); err != nil {
		return err
	}
	*s = ChatSession{}
	errs := fieldErrors{rec: s}
	for _, f := range row {
		v := f.Value
		switch f.Name {
		case "session_pk":
			s.SessionPK, _ = sqlitex.Int(v)
		case "contact_jid":
			s.ContactJID = v
		case "partner_name":
			s.PartnerName = v
		case "session_type":
			s.SessionType = v
		case "archived":
			s.Archived = v
		case "removed":
			s.Removed = v
		case "message_counter":
			s.MessageCounter = v
		case "last_message_date":
			s.LastMessageDate = sms.TimeValue(v)
		case "group_creation_date":
			s.GroupCreationDate = sms.TimeValue(v)
		case "first_stored_message_date":
			s.FirstStoredMessageDate = sms.TimeValue(v)
		case "last_stored_message_date":
			s.LastStoredMessageDate = sms.TimeValue(v)
		case "stored_message_count":
			s.StoredMessageCount, _ = sqlitex.Int(v)
		case "record_type":
			s.RecordType = sqlitex.Text(v)
		case "partner_resolved_phone_number":
			if v != nil {
				p := sqlitex.Text(v)
				s.PartnerResolvedPhoneNumber = &p
			}
		case "whatsapp_db":
			s.WhatsAppDB = sqlitex.Text(v)
		}
	}
	s.DB = s.WhatsAppDB
	return errs.err
}
