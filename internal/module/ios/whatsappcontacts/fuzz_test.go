package whatsappcontacts

import (
	"strings"
	"testing"
)

// FuzzLookup resolves arbitrary identifiers: no panic, and a result only for LIDs,
// JIDs and phone numbers.
func FuzzLookup(f *testing.F) {
	r := Resolver([]any{
		&Record{WhatsAppID: sp("14155550100@s.whatsapp.net"), LID: sp("100000000000001@lid"), PhoneNumber: sp("+14155550100"), FullName: sp("Alice"), App: WhatsApp},
		&Record{LID: sp("7:2@lid"), UserName: sp("x"), App: WhatsAppBusiness},
	})
	for _, s := range []string{"100000000000001@lid", "14155550100:3@s.whatsapp.net", "+1 415 555 0100", "1@g.us", "@lid", ":@lid",
		"+@s.whatsapp.net", "mailto:a@b.c", "7@lid", "\xff@lid", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		phone, name, ok := r.Lookup(id)
		if ok != (phone != "" || name != "") {
			t.Fatalf("Lookup(%q) = %q, %q, %v", id, phone, name, ok)
		}
		if ok && !strings.Contains(id, "@") && !isPhone(strings.TrimSpace(id)) {
			t.Fatalf("Lookup(%q) resolved something that is neither an id nor a phone number", id)
		}
		r.LookupApp(WhatsAppBusiness, id)
	})
}
