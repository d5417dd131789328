package whatsapp

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/urlx"
)

// FuzzMessage builds a message record from hostile column values (the text and link
// columns MVT reads, the other data items' text, a date that may be text) and checks
// that it always marshals to valid JSON, that every link comes from the input, appears
// once and is not one of WhatsApp's media servers, and that the timeline line is one
// line.
func FuzzMessage(f *testing.F) {
	f.Add("See https://a.example/x) and www.b.example/y.", "https://a.example/x", "https://mmg.whatsapp.net/v/1.enc", "", "", "", 795173213.5)
	f.Add("", "", "https://mmg.whatsapp.net@evil.example/p", "bit.ly/3abc", "https://media-zrh1-1.cdn.whatsapp.net/x", "https://c.example/ https://c.example/", 0.0)
	f.Add("\xff\x00\u2028line\nbreak", "ftp://d.example/f", "mmg-fna.whatsapp.net/x", "https://[::1]:80/", "http://%zz/", "x", -1e300)
	f.Fuzz(func(t *testing.T, text, matched, media, content1, content2, items string, date float64) {
		names := []string{"Z_PK", "ZTEXT", "ZMESSAGEDATE", "ZISFROMME", "ZFROMJID", "ZPUSHNAME"}
		vals := []any{int64(1), text, date, int64(0), "41791110001@s.whatsapp.net", content2}
		extra := map[string]any{"ZMATCHEDTEXT": matched, "ZMEDIAURL": media, "ZCONTENT1": []byte(content1), "ZCONTENT2": content2}
		for _, c := range extraColumns {
			names = append(names, extraPrefix+c)
			vals = append(vals, extra[c])
		}
		names, vals = append(names, extraItemText), append(vals, items)
		msg := newMessage("WhatsApp", "db", names, vals)

		data, err := msg.MarshalJSON()
		if err != nil || !json.Valid(data) {
			t.Fatalf("MarshalJSON = %q, %v", data, err)
		}
		all := strings.Join([]string{text, matched, media, content1, content2, items}, "\n")
		if len(msg.Links) > urlx.MaxURLs {
			t.Fatalf("%d links", len(msg.Links))
		}
		seen := map[string]bool{}
		for _, l := range msg.Links {
			if seen[l] {
				t.Errorf("link %q listed twice", l)
			}
			seen[l] = true
			if IsWhatsAppMedia(l) {
				t.Errorf("media link %q listed", l)
			}
			if utf8.ValidString(all) && !strings.Contains(all, l) {
				t.Errorf("link %q is not in the input", l)
			}
		}
		for _, ev := range msg.Timeline() {
			if strings.ContainsAny(ev.Data, "\r\n") {
				t.Errorf("timeline data %q spans lines", ev.Data)
			}
		}
	})
}
