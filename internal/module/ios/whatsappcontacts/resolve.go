package whatsappcontacts

import "strings"

// Resolve maps the identifiers WhatsApp gives other apps (CoreDuet's interactionC.db
// records them) to the phone number and name of a contact of ContactsV2.sqlite. It is
// built from the module's records with [Resolver]; a nil *Resolve resolves nothing
// (except JIDs, whose digits are the phone number).
type Resolve struct {
	all   table
	byApp map[string]*table
}

type contact struct{ phone, name string }

// table indexes contacts by the digits of their LID and of their phone number.
type table struct {
	byLID   map[string]contact
	byPhone map[string]contact
}

func newTable() *table {
	return &table{byLID: map[string]contact{}, byPhone: map[string]contact{}}
}

// add indexes one contact; the first contact with a key keeps it.
func (t *table) add(r *Record) {
	c := contact{phone: str(r.PhoneNumber), name: contactName(r)}
	if c.phone == "" && c.name == "" && r.WhatsAppID == nil && r.LID == nil {
		return
	}
	jid := ""
	if id := str(r.WhatsAppID); strings.Contains(id, "@") {
		jid = user(id)
	}
	if c.phone == "" && jid != "" {
		c.phone = "+" + jid
	}
	if lid := user(str(r.LID)); lid != "" {
		setDefault(t.byLID, lid, c)
	}
	if d := digits(c.phone); d != "" {
		setDefault(t.byPhone, d, c)
	}
	if jid != "" {
		setDefault(t.byPhone, jid, c)
	}
}

func setDefault(m map[string]contact, k string, c contact) {
	if _, ok := m[k]; !ok {
		m[k] = c
	}
}

// contactName is the name MVT shows for a contact: the full name, else the given name;
// spytrace falls back on the business name and the user name.
func contactName(r *Record) string {
	for _, p := range []*string{r.FullName, r.GivenName, r.BusinessName, r.UserName} {
		if s := strings.TrimSpace(str(p)); s != "" {
			return s
		}
	}
	return ""
}

// Resolver indexes the records of the whatsapp_contacts module (other values are
// ignored), as returned by module.Input.Dependency.
func Resolver(recs []any) *Resolve {
	r := &Resolve{all: *newTable(), byApp: map[string]*table{}}
	for _, v := range recs {
		var rec *Record
		switch x := v.(type) {
		case *Record:
			rec = x
		case Record:
			rec = &x
		}
		if rec == nil {
			continue
		}
		r.all.add(rec)
		t := r.byApp[rec.App]
		if t == nil {
			t = newTable()
			r.byApp[rec.App] = t
		}
		t.add(rec)
	}
	return r
}

// Lookup resolves a WhatsApp identifier against every contact:
//
//   - a LID, "<digits>@lid", gives the phone number and name of the contact with that
//     LID;
//   - a JID, "<digits>@s.whatsapp.net", gives the contact's phone number and name, or
//     "+<digits>" when no contact has it;
//   - a phone number ("+41 79 123 45 67", or bare digits) gives the contact's phone
//     number and name;
//   - group ids ("…@g.us") and anything else resolve to nothing.
//
// ok reports whether a phone number or a name was found.
func (r *Resolve) Lookup(id string) (phone, name string, ok bool) {
	if r == nil {
		return lookup(nil, id)
	}
	return lookup(&r.all, id)
}

// LookupApp is Lookup preferring the contacts of one app (WhatsApp or
// WhatsAppBusiness), then every contact.
func (r *Resolve) LookupApp(app, id string) (phone, name string, ok bool) {
	if r != nil {
		if t := r.byApp[app]; t != nil {
			if phone, name, ok = lookup(t, id); ok && name != "" {
				return phone, name, ok
			}
		}
	}
	return r.Lookup(id)
}

func lookup(t *table, id string) (phone, name string, ok bool) {
	id = strings.TrimSpace(id)
	at := strings.LastIndexByte(id, '@')
	var c contact
	switch {
	case id == "":
		return "", "", false
	case at >= 0:
		server := strings.ToLower(id[at+1:])
		u := id[:at]
		if isDeviceJID(u) {
			u = u[:strings.IndexByte(u, ':')]
		}
		d := strings.TrimPrefix(u, "+")
		if d == "" || digits(d) != d {
			return "", "", false
		}
		switch server {
		case "lid":
			if t != nil {
				c = t.byLID[d]
			}
		case "s.whatsapp.net", "c.us":
			if t != nil {
				c = t.byPhone[d]
			}
			if c.phone == "" {
				c.phone = "+" + d
			}
		default: // groups (g.us), broadcast lists, newsletters
			return "", "", false
		}
	default:
		d := digits(id)
		if d == "" || !isPhone(id) {
			return "", "", false
		}
		if t != nil {
			c = t.byPhone[d]
		}
	}
	return c.phone, c.name, c.phone != "" || c.name != ""
}

// user returns the user part of a JID or LID ("123@lid" → "123", "123:4@lid" → "123");
// the whole value when it has no "@".
func user(id string) string {
	if i := strings.LastIndexByte(id, '@'); i >= 0 {
		id = id[:i]
	}
	if i := strings.IndexByte(id, ':'); i >= 0 { // device suffix
		id = id[:i]
	}
	return digits(id)
}

// isDeviceJID reports whether u is "<digits>:<device>", the user part of a device JID.
func isDeviceJID(u string) bool {
	i := strings.IndexByte(u, ':')
	return i > 0 && digits(u[:i]) == u[:i] && digits(u[i+1:]) == u[i+1:]
}

// isPhone reports whether s is written like a phone number: digits with an optional
// leading "+" and spaces, dots, dashes or parentheses.
func isPhone(s string) bool {
	n := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '+' && i == 0, c == ' ', c == '-', c == '.', c == '(', c == ')':
		default:
			return false
		}
	}
	return n >= 3
}

// digits keeps the ASCII digits of s.
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
