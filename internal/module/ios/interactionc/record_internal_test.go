package interactionc

import (
	"strings"
	"testing"
	"time"
)

func TestParty(t *testing.T) {
	tests := []struct{ name, resolvedName, resolvedPhone, id, want string }{
		{"Bob", "", "", "+14155550101", "Bob (+14155550101)"},
		{"+1 (415) 555-0101", "", "", "+14155550101", "+14155550101"}, // the name is the number
		{"", "Alice", "+14155550100", "100000000000001@lid", "Alice (+14155550100)"},
		{"Ali", "Alice", "", "x@lid", "Ali (x@lid)"},
		{"", "", "", "100@lid", "100@lid"},
		{"Carol", "", "", "", "Carol"},
		{"", "", "", "", ""},
	}
	for _, tc := range tests {
		if got := party(tc.name, tc.resolvedName, tc.resolvedPhone, tc.id); got != tc.want {
			t.Errorf("party(%q, %q, %q, %q) = %q, want %q", tc.name, tc.resolvedName, tc.resolvedPhone, tc.id, got, tc.want)
		}
	}
}

func TestDescribeDelta(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * 24 * time.Hour: "90 days after", -2 * time.Hour: "2 hours before", time.Hour: "1 hours after",
		36 * time.Hour: "2 days after", 30 * time.Hour: "1 days after",
	} {
		if got := describeDelta(d); got != want {
			t.Errorf("describeDelta(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestEmailOf(t *testing.T) {
	for in, want := range map[string]string{
		"a.b@example.org": "a.b@example.org", "mailto:A@Example.org": "A@Example.org", " x@y.co ": "x@y.co",
		"100@lid": "", "14155550100@s.whatsapp.net": "", "1203@g.us": "", "status@broadcast": "", "+41791234567": "",
		"a@localhost": "", "@example.org": "", "a@": "", "a b@example.org": "", "": "", "a@.": "",
	} {
		if got := emailOf(in); got != want {
			t.Errorf("emailOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzIdentifiers runs the text helpers on arbitrary values: no panic, and an e-mail
// address found is part of the input and has a dotted domain.
func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"mailto:a@b.c", "x@lid", "file:///a", "https://a.b/c", "+1 (415)", "@", "mailto:", "\xff@\xfe.\xfd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e := emailOf(s); e != "" {
			at := strings.LastIndexByte(e, '@')
			if !strings.Contains(s, e) || at <= 0 || !strings.Contains(e[at:], ".") {
				t.Fatalf("emailOf(%q) = %q", s, e)
			}
		}
		networkURL(s)
		party(s, s, "", s)
		r := &Record{Content: &s, AttachmentContentURL: &s, InteractionContentURL: &s, Direction: &s, GroupName: &s}
		r.Summary()
		r.Links()
		r.Timeline()
	})
}
