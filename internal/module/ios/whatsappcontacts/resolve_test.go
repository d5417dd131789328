package whatsappcontacts

import "testing"

func sp(s string) *string { return &s }

func TestResolverLookup(t *testing.T) {
	recs := []any{
		&Record{WhatsAppID: sp("14155550100@s.whatsapp.net"), LID: sp("100000000000001@lid"), PhoneNumber: sp("+1 (415) 555-0100"),
			FullName: sp("Alice Example"), App: WhatsApp},
		&Record{WhatsAppID: sp("14155550101@s.whatsapp.net"), GivenName: sp("Bob"), App: WhatsApp},
		Record{LID: sp("300000000000003@lid"), BusinessName: sp("Velo Moser"), App: WhatsApp},
		&Record{WhatsAppID: sp("14155550100@s.whatsapp.net"), PhoneNumber: sp("+14155550100"), FullName: sp("Alice (shop)"), App: WhatsAppBusiness},
		"not a record",
		&Record{App: WhatsApp}, // nothing to index
	}
	r := Resolver(recs)
	tests := []struct {
		id, phone, name string
		ok              bool
	}{
		{"100000000000001@lid", "+1 (415) 555-0100", "Alice Example", true},
		{"100000000000001:12@lid", "+1 (415) 555-0100", "Alice Example", true},
		{"14155550100@s.whatsapp.net", "+1 (415) 555-0100", "Alice Example", true},
		{"14155550100:3@s.whatsapp.net", "+1 (415) 555-0100", "Alice Example", true},
		{"+14155550100", "+1 (415) 555-0100", "Alice Example", true},
		{"14155550100", "+1 (415) 555-0100", "Alice Example", true},
		{"14155550101@s.whatsapp.net", "+14155550101", "Bob", true},
		{"300000000000003@lid", "", "Velo Moser", true},
		{"19995550000@s.whatsapp.net", "+19995550000", "", true}, // unknown JID: its digits
		{"999999999999999@lid", "", "", false},
		{"120363025555555555@g.us", "", "", false},
		{"status@broadcast", "", "", false},
		{"abc@lid", "", "", false},
		{"alice@example.com", "", "", false},
		{"+1 999 555 0000", "", "", false},
		{"", "", "", false},
		{"12", "", "", false},
	}
	for _, tc := range tests {
		phone, name, ok := r.Lookup(tc.id)
		if phone != tc.phone || name != tc.name || ok != tc.ok {
			t.Errorf("Lookup(%q) = %q, %q, %v; want %q, %q, %v", tc.id, phone, name, ok, tc.phone, tc.name, tc.ok)
		}
	}
	if phone, name, _ := r.LookupApp(WhatsAppBusiness, "14155550100@s.whatsapp.net"); phone != "+14155550100" || name != "Alice (shop)" {
		t.Errorf("LookupApp(business) = %q, %q; want the business contact", phone, name)
	}
	if _, name, _ := r.LookupApp(WhatsAppBusiness, "100000000000001@lid"); name != "Alice Example" {
		t.Errorf("LookupApp(business, LID only WhatsApp knows) = %q; want the fallback to every contact", name)
	}
	var none *Resolve
	if phone, name, ok := none.Lookup("41791234567@s.whatsapp.net"); phone != "+41791234567" || name != "" || !ok {
		t.Errorf("nil resolver: %q, %q, %v", phone, name, ok)
	}
	if _, _, ok := none.LookupApp(WhatsApp, "1@lid"); ok {
		t.Error("nil resolver resolved a LID")
	}
}
