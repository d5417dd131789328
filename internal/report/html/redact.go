package html

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
)

// Redacted replaces what redaction hides.
const Redacted = "[redacted]"

// redactedKeys are the record keys whose values redaction hides in every module:
// message texts and subjects, phone numbers, e-mail addresses, messaging handles and the
// names of people. Keys are compared by moduleKey (case, spaces and underscores
// ignored), so "phone_number", "Phone Number" and "phoneNumber" are one key. They come
// from the record keys of the modules (docs/modules.md and each record.go).
var redactedKeys = keySet(
	// Message texts: sms (iOS columns and Android keys), whatsapp (ZWAMESSAGE and its
	// joined data items), interaction_c, whatsapp_contacts.
	"text", "body", "mms_body", "subject", "attributedBody", "payload_data", "message_summary_info",
	"ZTEXT", "ZCONTENT1", "ZCONTENT2", "ZMATCHEDTEXT", "ZSUMMARY", "ZTITLE", "ZLASTMESSAGETEXT",
	"content", "about_text", "notes", "participant_comment",
	// Phone numbers, e-mail addresses and handles.
	"phone_number", "ZPHONENUMBER", "localized_phone_number", "chat_identifier", "destination_caller_id",
	"account", "mms_addresses", "participants", "participant_email", "participant_phone",
	"sender_identifier", "recipient_identifier", "sender_personid", "recipient_personid",
	"sender_resolved_phone_number", "recipient_resolved_phone_number", "domain_resolved_phone_number",
	"partner_resolved_phone_number", "contact_jid", "whatsapp_id", "lid",
	"ZFROMJID", "ZTOJID", "ZMEMBERJID", "ZCONTACTJID", "email", "email_address",
	// Names of people, and the phone's own name (often its owner's).
	"sender_display_name", "recipient_display_name", "sender_resolved_name", "recipient_resolved_name",
	"domain_resolved_name", "partner_name", "ZPARTNERNAME", "ZPUSHNAME", "ZAUTHORNAME",
	"full_name", "given_name", "first_name", "middle_name", "last_name", "user_name", "business_name",
	"first", "middle", "last", "organization", "nickname", "group_name", "group_title", "device_name",
)

// moduleRedactedKeys are keys hidden only in one module's records, where they hold
// personal data; elsewhere the same key is innocent (a process "name", a unix "user",
// a property "value").
var moduleRedactedKeys = map[string]map[string]bool{
	"sms":             keySet("address", "sub"), // Android: the other party, the MMS subject
	"calls":           keySet("name", "number"),
	"contacts":        keySet("value"),
	"id_status_cache": keySet("user"), // mailto: and tel: handles
	"calendar":        keySet("summary", "description", "location"),
	"backup_info":     keySet("display_name"),
}

// messageModules are the modules whose timeline descriptions redaction replaces
// wholly (they are made of message texts, names and numbers), by moduleKey of the
// module or of its MVT class name.
var messageModules = keySet("sms", "whatsapp", "interaction_c", "calls", "contacts", "sms_attachments", "whatsapp_contacts")

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[moduleKey(k)] = true
	}
	return m
}

// contactPattern finds e-mail addresses (and WhatsApp JIDs, which look like them),
// tel:/sms: URIs, and phone numbers: international (+ or 00), national with a trunk
// 0, and North American. It is deliberately narrow about bare digits, which are
// mostly times, sizes and identifiers in records.
var contactPattern = regexp.MustCompile(
	`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}` +
		`|(?i:tel|sms|callto):[^\s"'<>]+` +
		`|\b\d{6,15}@[\w.\-]*` + // a handle of digits (WhatsApp JID), even cut short
		`|(?:\+|\b00)[1-9](?:[ .\-()/]?\d){6,14}` +
		`|\b0[1-9](?:[ .\-()/]?\d){7,11}\b` +
		`|\(?\b[2-9]\d{2}\)?[ .\-]\d{3}[ .\-]\d{4}\b`)

// redactor applies Options.Redact. Its zero value (off) changes nothing.
type redactor struct {
	on bool
	// keep holds the matched indicator values (lower case): they are public and stay.
	keep     map[string]bool
	keepList []string
	// known replaces, wherever they appear, the values hidden in the alerts' records
	// (names, numbers, handles), which the patterns alone would miss in alert messages.
	known *strings.Replacer
}

// minKnown is the shortest hidden value also removed from other text: shorter ones
// would cut ordinary words.
const minKnown = 3

// newRedactor prepares redaction for the alerts of a folder.
func newRedactor(on bool, alerts []alert.Alert) *redactor {
	r := &redactor{on: on, keep: map[string]bool{}}
	if !on {
		return r
	}
	for _, a := range alerts {
		if a.Indicator == nil {
			continue
		}
		for _, v := range []string{a.Indicator.Value, a.Indicator.MatchedOn} {
			if v = strings.ToLower(strings.TrimSpace(v)); v != "" && !r.keep[v] {
				r.keep[v] = true
				r.keepList = append(r.keepList, v)
			}
		}
	}
	slices.Sort(r.keepList)
	seen := map[string]bool{}
	for _, a := range alerts {
		r.collect(a.Module, a.Event, false, seen)
	}
	values := make([]string, 0, len(seen))
	for v := range seen {
		values = append(values, v)
	}
	// Longer values first, so that a name is replaced whole before a part of it.
	slices.SortFunc(values, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(values))
	for _, v := range values {
		pairs = append(pairs, v, Redacted)
	}
	if len(pairs) > 0 {
		r.known = strings.NewReplacer(pairs...)
	}
	return r
}

// collect gathers the text values that the record's redacted keys hold.
func (r *redactor) collect(module string, v any, hidden bool, seen map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			r.collect(module, e, hidden || r.hides(module, k), seen)
		}
	case []any:
		for _, e := range x {
			r.collect(module, e, hidden, seen)
		}
	case string:
		if !hidden || len(x) < minKnown || len(x) > 4096 || r.holdsIndicator(x) != "" {
			return
		}
		seen[x] = true
		// A handle is often written bare elsewhere ("mailto:a@b.c" in id_status_cache).
		for _, prefix := range []string{"mailto:", "tel:", "e:", "p:"} {
			if rest, ok := strings.CutPrefix(x, prefix); ok && len(rest) >= minKnown {
				seen[rest] = true
			}
		}
	}
}

// hides reports whether the key's value is hidden in the module's records.
func (r *redactor) hides(module, key string) bool {
	k := moduleKey(key)
	return redactedKeys[k] || moduleRedactedKeys[module][k]
}

// holdsIndicator returns the first indicator value that s contains, "" for none.
func (r *redactor) holdsIndicator(s string) string {
	if len(r.keepList) == 0 {
		return ""
	}
	low := strings.ToLower(s)
	for _, k := range r.keepList {
		if strings.Contains(low, k) {
			return k
		}
	}
	return ""
}

// free redacts running text: hidden record values, e-mail addresses and phone numbers
// are replaced by [redacted]; indicator values stay.
func (r *redactor) free(s string) string {
	if !r.on || s == "" {
		return s
	}
	if r.known != nil {
		s = r.known.Replace(s)
	}
	return contactPattern.ReplaceAllStringFunc(s, func(m string) string {
		low := strings.ToLower(m)
		if r.keep[low] {
			return m
		}
		for _, k := range r.keepList {
			if strings.Contains(k, low) {
				return m
			}
		}
		return Redacted
	})
}

// text redacts s as running text and prepares it for display within limit bytes. Long
// text is cut before redaction (with a margin, so a number at the cut is still seen
// whole), which bounds the work on hostile sizes.
func (r *redactor) text(s string, limit int) richText {
	if !r.on {
		return newText(s, limit)
	}
	full := len(s)
	s = r.free(cutString(s, limit+redactMargin))
	t := newText(s, limit)
	if full > limit {
		t.Full = full
	}
	return t
}

// value returns a record value with the hidden keys' values replaced: by [redacted], or
// by a note naming the indicator it held (indicator values stay, so the reader still
// sees that the hidden message held the malicious link). Other strings are redacted as
// running text. The value is a copy; v is not changed.
func (r *redactor) value(module string, v any) any {
	if !r.on {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if r.hides(module, k) {
				out[k] = r.hidden(e)
				continue
			}
			out[k] = r.value(module, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(module, e)
		}
		return out
	case string:
		if len(x) > maxValue+redactMargin {
			x = cutString(x, maxValue+redactMargin)
		}
		return r.free(x)
	}
	return v
}

// hidden is what replaces a hidden value; null and "" stay, as there is nothing to hide.
func (r *redactor) hidden(v any) any {
	if v == nil || v == "" {
		return v
	}
	s, ok := v.(string)
	if !ok {
		s = compactJSON(v)
	}
	if k := r.holdsIndicator(cutString(s, maxJSONInput)); k != "" {
		return Redacted + " (it holds the indicator value " + k + ")"
	}
	return Redacted
}

// timeline redacts a timeline description of the module (a Plugin name).
func (r *redactor) timeline(plugin, desc string) string {
	if !r.on {
		return desc
	}
	if messageModules[moduleKey(plugin)] {
		if k := r.holdsIndicator(desc); k != "" {
			return Redacted + " (it holds the indicator value " + k + ")"
		}
		return Redacted
	}
	return r.free(desc)
}
