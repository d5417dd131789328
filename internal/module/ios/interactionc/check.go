package interactionc

import (
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// checker looks the e-mail identifiers and the links of every interaction up in the
// indicators (MVT has no check on this artifact). An interaction with several
// recipients or attachments yields several records: each match is reported once per
// interaction.
type checker struct {
	env  *check.Env
	seen map[string]bool // matches reported, by interaction and value
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	var where string
	t := rec.StartDate.Time
	for _, id := range []*string{rec.SenderIdentifier, rec.RecipientIdentifier} {
		addr := emailOf(str(id))
		if addr == "" || c.reported(rec, "email", addr) {
			continue
		}
		if where == "" {
			where = rec.where()
		}
		if c.env.Email(r, alert.Critical, addr, where, t, rec) {
			c.mark(rec, "email", addr)
		}
	}
	for _, u := range rec.Links() {
		if c.reported(rec, "url", u) {
			continue
		}
		if where == "" {
			where = rec.where()
		}
		if c.env.URL(r, alert.Critical, u, where, t, rec) {
			c.mark(rec, "url", u)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

func key(rec *Record, kind, value string) (string, bool) {
	if rec.TableID == nil {
		return "", false
	}
	return strconv.FormatInt(*rec.TableID, 10) + "\x00" + kind + "\x00" + value, true
}

func (c *checker) reported(rec *Record, kind, value string) bool {
	k, ok := key(rec, kind, value)
	return ok && c.seen[k]
}

func (c *checker) mark(rec *Record, kind, value string) {
	if k, ok := key(rec, kind, value); ok {
		c.seen[k] = true
	}
}

// where says in a few words what the value was found in.
func (r *Record) where() string {
	return "an interaction recorded by CoreDuet (interactionC.db: " + r.Summary() + ")"
}

// whatsAppServers are the "domains" of WhatsApp identifiers, which look like e-mail
// addresses but are not.
var whatsAppServers = map[string]bool{
	"s.whatsapp.net": true, "c.us": true, "g.us": true, "lid": true, "broadcast": true, "newsletter": true,
}

// emailOf returns id as an e-mail address ("mailto:" removed), or "" when it is not
// one: a phone number, a WhatsApp JID or LID, anything without a dotted domain.
func emailOf(id string) string {
	id = strings.TrimSpace(id)
	if len(id) >= 7 && strings.EqualFold(id[:7], "mailto:") {
		id = id[7:]
	}
	at := strings.LastIndexByte(id, '@')
	if at <= 0 || at == len(id)-1 || strings.ContainsAny(id, " \t\r\n<>") {
		return ""
	}
	domain := strings.ToLower(id[at+1:])
	if whatsAppServers[domain] || !strings.Contains(strings.Trim(domain, "."), ".") {
		return ""
	}
	return id
}
