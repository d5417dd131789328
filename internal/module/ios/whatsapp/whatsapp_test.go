package whatsapp_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/whatsapp"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var at = fixture.Epoch // 2026-03-14 09:26:53 UTC, Mac absolute 795173213

const (
	chatDB     = fixture.WhatsAppDomain + "/" + fixture.WhatsAppChatStoragePath
	lidDB      = fixture.WhatsAppDomain + "/" + fixture.WhatsAppLIDPath
	bizChatDB  = fixture.WhatsAppBusinessDomain + "/" + fixture.WhatsAppChatStoragePath
	groupJID   = "120363041234567890@g.us"
	annaJID    = "41791110001@s.whatsapp.net"
	leaLID     = "100000000000001"
	mediaURL   = "https://mmg.whatsapp.net/v/t62.7118-24/1234_5678_n.enc?ccb=11-4&oh=01_Q5&oe=66A1&mms3=true"
	attackLink = "https://akhbar-almasdar.example/9k2Lp"
)

// chats is the small fixture most tests start from: a chat with a phone number, a chat
// under a LID paired with its number (whose last message was deleted), and a group.
func chats(schema string) fixture.WhatsAppSpec {
	return fixture.WhatsAppSpec{
		Schema: schema,
		Sessions: []fixture.WhatsAppSession{
			{PK: 1, ContactJID: annaJID, PartnerName: "Anna Keller"},
			{PK: 2, ContactJID: leaLID + "@lid", PartnerName: "Léa Dubois", LastMessage: at.Add(2 * time.Hour), Archived: true},
			{PK: 3, ContactJID: groupJID, PartnerName: "Velo Club", Type: fixture.WhatsAppGroupChat,
				GroupCreated: at.Add(-30 * 24 * time.Hour), GroupCreator: annaJID},
		},
		Messages: []fixture.WhatsAppMessage{
			{PK: 1, Session: 1, Type: fixture.WhatsAppLink, Date: at.Add(-3 * time.Hour), Text: "Your parcel: https://post.example/track?id=7).",
				Data: &fixture.WhatsAppDataItem{MatchedText: "https://post.example/track?id=7", Title: "Track", Summary: "Post"}},
			{PK: 2, Session: 1, FromMe: true, Date: at.Add(-2 * time.Hour), Text: "On my way\nsee you"},
			{PK: 3, Session: 2, Type: fixture.WhatsAppImage, Date: at.Add(-time.Hour),
				Media: &fixture.WhatsAppMedia{URL: mediaURL, LocalPath: "Media/x.jpg", AuthorName: "Léa", Size: 1000}},
			{PK: 4, Session: 3, Date: at, Text: "Ride on Sunday www.velo.example/route", PushName: "Marco"},
		},
		LIDPairs: []fixture.WhatsAppLIDPair{{PK: 1, LID: leaLID, PhoneNumber: "41791110003", At: at.Add(-40 * 24 * time.Hour)}},
	}
}

// run writes the specs into a fresh backup and runs the module over it.
func run(t *testing.T, ix *ioc.Index, specs ...fixture.WhatsAppSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, at)
	for _, s := range specs {
		if err := fixture.AddWhatsApp(b, s); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, whatsapp.New())
}

func num(s string) json.Number { return json.Number(s) }

// TestRecordsMinimal compares every record of the minimal layout (the columns of a
// real backup's schema dump) in full.
func TestRecordsMinimal(t *testing.T) {
	o := run(t, nil, chats(fixture.WhatsAppMinimal))
	if o.Status.State != module.OK || o.Status.Records != 8 {
		t.Fatalf("status %+v, want ok with 8 records", o.Status)
	}
	msg := func(pk, session string, from, to any, text string, date string, typ string, fromMe string, extras map[string]any, iso string, links []any) map[string]any {
		m := map[string]any{"Z_PK": num(pk), "ZCHATSESSION": num(session), "ZFROMJID": from, "ZTOJID": to, "ZTEXT": text,
			"ZMESSAGEDATE": num(date), "ZMESSAGETYPE": num(typ), "ZISFROMME": num(fromMe),
			"ZAUTHORNAME": nil, "ZMEDIAURL": nil, "ZCONTENT1": nil, "ZCONTENT2": nil, "ZMATCHEDTEXT": nil, "ZSUMMARY": nil, "ZTITLE": nil,
			"isodate": iso, "links": links, "record_type": "message", "whatsapp_db": chatDB}
		for k, v := range extras {
			m[k] = v
		}
		return m
	}
	session := func(pk, jid, name, typ, archived, counter string, last, created, first, lastStored any, n string, resolved any) map[string]any {
		return map[string]any{"session_pk": num(pk), "contact_jid": jid, "partner_name": name, "session_type": num(typ),
			"archived": num(archived), "removed": num("0"), "message_counter": num(counter), "last_message_date": last,
			"group_creation_date": created, "first_stored_message_date": first, "last_stored_message_date": lastStored,
			"stored_message_count": num(n), "record_type": "chat_session", "partner_resolved_phone_number": resolved, "whatsapp_db": chatDB}
	}
	want := []map[string]any{
		msg("1", "1", annaJID, nil, "Your parcel: https://post.example/track?id=7).", "795162413", "7", "0",
			map[string]any{"ZMATCHEDTEXT": "https://post.example/track?id=7", "ZTITLE": "Track", "ZSUMMARY": "Post"},
			"2026-03-14 06:26:53.000000", []any{"https://post.example/track?id=7"}),
		msg("2", "1", nil, annaJID, "On my way\nsee you", "795166013", "0", "1", nil, "2026-03-14 07:26:53.000000", []any{}),
		msg("3", "2", leaLID+"@lid", nil, "", "795169613", "1", "0",
			map[string]any{"ZAUTHORNAME": "Léa", "ZMEDIAURL": mediaURL}, "2026-03-14 08:26:53.000000", []any{}),
		msg("4", "3", groupJID, nil, "Ride on Sunday www.velo.example/route", "795173213", "0", "0", nil,
			"2026-03-14 09:26:53.000000", []any{"www.velo.example/route"}),
		{"record_type": "lid_phone_number_pair", "lid": leaLID, "phone_number": "41791110003",
			"pair_timestamp": "2026-02-02 09:26:53.000000", "whatsapp_db": lidDB},
		session("1", annaJID, "Anna Keller", "0", "0", "2", "2026-03-14 07:26:53.000000", nil,
			"2026-03-14 06:26:53.000000", "2026-03-14 07:26:53.000000", "2", nil),
		session("2", leaLID+"@lid", "Léa Dubois", "0", "1", "1", "2026-03-14 11:26:53.000000", nil,
			"2026-03-14 08:26:53.000000", "2026-03-14 08:26:53.000000", "1", "+41791110003"),
		session("3", groupJID, "Velo Club", "1", "0", "1", "2026-03-14 09:26:53.000000", "2026-02-12 09:26:53.000000",
			"2026-03-14 09:26:53.000000", "2026-03-14 09:26:53.000000", "1", nil),
	}
	if diff := cmp.Diff(want, o.ExactList(t)); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}

// keysOf returns the keys of each object of a JSON list, in order.
func keysOf(t *testing.T, data []byte) [][]string {
	t.Helper()
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := make([][]string, len(raw))
	for i, obj := range raw {
		dec := json.NewDecoder(bytes.NewReader(obj))
		dec.Token() // {
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			out[i] = append(out[i], k.(string))
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// TestKeyOrder checks that messages list every ZWAMESSAGE column of the current
// layout in table order, then MVT's joined and derived keys.
func TestKeyOrder(t *testing.T) {
	o := run(t, nil, chats(fixture.WhatsAppCurrent))
	keys := keysOf(t, o.RecordsJSON)
	want := strings.Fields("Z_PK Z_ENT Z_OPT ZCHILDMESSAGESDELIVEREDCOUNT ZCHILDMESSAGESPLAYEDCOUNT ZCHILDMESSAGESREADCOUNT " +
		"ZDATAITEMVERSION ZDOCID ZENCRETRYCOUNT ZFILTEREDRECIPIENTCOUNT ZFLAGS ZGROUPEVENTTYPE ZISFROMME ZMESSAGEERRORSTATUS " +
		"ZMESSAGESTATUS ZMESSAGETYPE ZSORT ZSPOTLIGHTSTATUS ZSTARRED ZCHATSESSION ZGROUPMEMBER ZLASTSESSION ZMEDIAITEM " +
		"ZMESSAGEINFO ZPARENTMESSAGE ZMESSAGEDATE ZSENTDATE ZFROMJID ZMEDIASECTIONID ZPHASH ZPUSHNAME ZSTANZAID ZTEXT ZTOJID " +
		"ZAUTHORNAME ZMEDIAURL ZCONTENT1 ZCONTENT2 ZMATCHEDTEXT ZSUMMARY ZTITLE isodate links record_type whatsapp_db")
	if diff := cmp.Diff(want, keys[0]); diff != "" {
		t.Errorf("message keys mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(strings.Fields("record_type lid phone_number pair_timestamp whatsapp_db"), keys[4]); diff != "" {
		t.Errorf("LID pair keys mismatch (-want +got):\n%s", diff)
	}
	wantSession := strings.Fields("session_pk contact_jid partner_name session_type archived removed message_counter " +
		"last_message_date group_creation_date first_stored_message_date last_stored_message_date stored_message_count " +
		"record_type partner_resolved_phone_number whatsapp_db")
	if diff := cmp.Diff(wantSession, keys[5]); diff != "" {
		t.Errorf("session keys mismatch (-want +got):\n%s", diff)
	}
}

// TestSchemaVariants reads the same chats from every layout.
func TestSchemaVariants(t *testing.T) {
	inChat := chats(fixture.WhatsAppCurrent)
	inChat.LIDInChatStorage = true
	legacyLID := chats(fixture.WhatsAppLegacy)
	legacyLID.LIDInChatStorage = true
	fullMessages := []map[string]any{
		{"Z_PK": num("1"), "ZTEXT": "Your parcel: https://post.example/track?id=7).", "ZMATCHEDTEXT": "https://post.example/track?id=7", "ZAUTHORNAME": nil, "links": []any{"https://post.example/track?id=7"}},
		{"Z_PK": num("2"), "ZTEXT": "On my way\nsee you", "ZMATCHEDTEXT": nil, "ZAUTHORNAME": nil, "links": []any{}},
		{"Z_PK": num("3"), "ZTEXT": "", "ZMATCHEDTEXT": nil, "ZAUTHORNAME": "Léa", "links": []any{}},
		{"Z_PK": num("4"), "ZTEXT": "Ride on Sunday www.velo.example/route", "ZMATCHEDTEXT": nil, "ZAUTHORNAME": nil, "links": []any{"www.velo.example/route"}},
	}
	legacyMessages := []map[string]any{
		{"Z_PK": num("1"), "ZTEXT": "Your parcel: https://post.example/track?id=7).", "ZMATCHEDTEXT": nil, "ZAUTHORNAME": nil, "links": []any{"https://post.example/track?id=7"}},
		{"Z_PK": num("2"), "ZTEXT": "On my way\nsee you", "ZMATCHEDTEXT": nil, "ZAUTHORNAME": nil, "links": []any{}},
		{"Z_PK": num("3"), "ZTEXT": "", "ZMATCHEDTEXT": nil, "ZAUTHORNAME": nil, "links": []any{}},
		{"Z_PK": num("4"), "ZTEXT": "Ride on Sunday www.velo.example/route", "ZMATCHEDTEXT": nil, "ZAUTHORNAME": nil, "links": []any{"www.velo.example/route"}},
	}
	sessions := func(archived, archived2 any, pairDB string) []map[string]any {
		return []map[string]any{
			{"record_type": "lid_phone_number_pair", "lid": leaLID, "whatsapp_db": pairDB},
			{"record_type": "chat_session", "session_pk": num("1"), "archived": archived, "group_creation_date": nil,
				"partner_resolved_phone_number": nil, "whatsapp_db": chatDB},
			{"record_type": "chat_session", "session_pk": num("2"), "archived": archived2, "group_creation_date": nil,
				"partner_resolved_phone_number": "+41791110003", "whatsapp_db": chatDB},
			{"record_type": "chat_session", "session_pk": num("3"), "archived": archived, "group_creation_date": "2026-02-12 09:26:53.000000",
				"partner_resolved_phone_number": nil, "whatsapp_db": chatDB},
		}
	}
	tests := []struct {
		name     string
		spec     fixture.WhatsAppSpec
		messages []map[string]any
		rest     []map[string]any
	}{
		{"current", chats(fixture.WhatsAppCurrent), fullMessages, sessions(num("0"), num("1"), lidDB)},
		{"current_lid_in_chatstorage", inChat, fullMessages, sessions(num("0"), num("1"), chatDB)},
		{"legacy", legacyLID, legacyMessages, sessions(nil, nil, chatDB)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, tt.spec)
			if o.Status.State != module.OK || o.Status.Records != 8 {
				t.Fatalf("status %+v, want ok with 8 records", o.Status)
			}
			recs := o.ExactList(t)
			got := moduletest.Project(recs[:4], "Z_PK", "ZTEXT", "ZMATCHEDTEXT", "ZAUTHORNAME", "links")
			if diff := cmp.Diff(tt.messages, got); diff != "" {
				t.Errorf("messages mismatch (-want +got):\n%s", diff)
			}
			got = moduletest.Project(recs[4:], "record_type", "lid", "whatsapp_db", "session_pk", "archived", "group_creation_date", "partner_resolved_phone_number")
			if diff := cmp.Diff(tt.rest, got); diff != "" {
				t.Errorf("pairs and sessions mismatch (-want +got):\n%s", diff)
			}
			roundTrip(t, whatsapp.New(), o.RecordsJSON)
		})
	}
}

// TestLegacyWithoutLID reads an old store that has no LID table anywhere: chats under
// a LID stay unresolved.
func TestLegacyWithoutLID(t *testing.T) {
	spec := chats(fixture.WhatsAppLegacy)
	spec.NoLIDDatabase = true
	o := run(t, nil, spec)
	if o.Status.State != module.OK || o.Status.Records != 7 {
		t.Fatalf("status %+v, want ok with 7 records", o.Status)
	}
	got := moduletest.Project(o.ExactList(t)[4:], "session_pk", "partner_resolved_phone_number")
	want := []map[string]any{
		{"session_pk": num("1"), "partner_resolved_phone_number": nil},
		{"session_pk": num("2"), "partner_resolved_phone_number": nil},
		{"session_pk": num("3"), "partner_resolved_phone_number": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sessions mismatch (-want +got):\n%s", diff)
	}
}

func TestTimelineAndURLs(t *testing.T) {
	o := run(t, nil, chats(fixture.WhatsAppCurrent))
	want := []string{
		`"2026-02-02 09:26:53.000000","Whatsapp","lid_pair_recorded","WhatsApp associated LID 100000000000001 with phone number 41791110003"`,
		`"2026-02-12 09:26:53.000000","Whatsapp","group_created","WhatsApp group chat 'Velo Club' (120363041234567890@g.us) was created"`,
		`"2026-03-14 06:26:53.000000","Whatsapp","chat_first_message","First stored message in WhatsApp chat with 'Anna Keller' (41791110001@s.whatsapp.net)"`,
		`"2026-03-14 06:26:53.000000","Whatsapp","message","received from 41791110001@s.whatsapp.net: Your parcel: https://post.example/track?id=7). - links: https://post.example/track?id=7"`,
		`"2026-03-14 07:26:53.000000","Whatsapp","chat_last_message","Last message in WhatsApp chat with 'Anna Keller' (41791110001@s.whatsapp.net)"`,
		`"2026-03-14 07:26:53.000000","Whatsapp","message","sent to 41791110001@s.whatsapp.net: On my way\nsee you"`,
		`"2026-03-14 08:26:53.000000","Whatsapp","chat_first_message","First stored message in WhatsApp chat with 'Léa Dubois' (+41791110003)"`,
		`"2026-03-14 08:26:53.000000","Whatsapp","message","received from 100000000000001@lid: (no text)"`,
		`"2026-03-14 09:26:53.000000","Whatsapp","chat_first_message","First stored message in WhatsApp group chat 'Velo Club' (120363041234567890@g.us)"`,
		`"2026-03-14 09:26:53.000000","Whatsapp","chat_last_message","Last message in WhatsApp group chat 'Velo Club' (120363041234567890@g.us)"`,
		`"2026-03-14 09:26:53.000000","Whatsapp","message","received from 120363041234567890@g.us (Marco): Ride on Sunday www.velo.example/route - links: www.velo.example/route"`,
		// The session's own last-message date: the message itself was deleted.
		`"2026-03-14 11:26:53.000000","Whatsapp","chat_last_message","Last message in WhatsApp chat with 'Léa Dubois' (+41791110003)"`,
	}
	if diff := cmp.Diff(want, o.Timeline); diff != "" {
		t.Errorf("timeline mismatch (-want +got):\n%s", diff)
	}
	wantURLs := []map[string]any{
		{"url": "https://post.example/track?id=7", "expanded_url": nil, "shortened": false, "timestamp": "2026-03-14 06:26:53.000000", "source": "whatsapp"},
		{"url": "www.velo.example/route", "expanded_url": nil, "shortened": false, "timestamp": "2026-03-14 09:26:53.000000", "source": "whatsapp"},
	}
	if diff := cmp.Diff(wantURLs, o.URLs); diff != "" {
		t.Errorf("urls.json mismatch (-want +got):\n%s", diff)
	}
}

// TestWALOnly reads a chat, its messages and a LID pair that exist only in the -wal
// files.
func TestWALOnly(t *testing.T) {
	spec := chats(fixture.WhatsAppCurrent)
	spec.Sessions = append(spec.Sessions, fixture.WhatsAppSession{PK: 4, ContactJID: "200000000000002@lid", WALOnly: true})
	spec.Messages = append(spec.Messages, fixture.WhatsAppMessage{PK: 5, Session: 4, Date: at, Text: "Only in the log https://wal.example/x",
		Type: fixture.WhatsAppLink, Data: &fixture.WhatsAppDataItem{MatchedText: "https://wal.example/x"}, WALOnly: true})
	spec.LIDPairs = append(spec.LIDPairs, fixture.WhatsAppLIDPair{PK: 2, LID: "200000000000002", PhoneNumber: "+41790000002", At: at, WALOnly: true})
	b := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddWhatsApp(b, spec); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{fixture.WhatsAppChatStoragePath + "-wal", fixture.WhatsAppLIDPath + "-wal"} {
		if b.Lookup(fixture.WhatsAppDomain, rel) == nil {
			t.Fatalf("the fixture has no %s", rel)
		}
	}
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), moduletest.Index("domains", "wal.example"), whatsapp.New())
	if o.Status.State != module.OK || o.Status.Records != 11 {
		t.Fatalf("status %+v, want ok with 11 records", o.Status)
	}
	recs := o.ExactList(t)
	got := append(moduletest.Project(recs[4:5], "Z_PK", "ZMATCHEDTEXT", "links"),
		moduletest.Project(append(recs[6:7], recs[10]), "record_type", "lid", "session_pk", "partner_resolved_phone_number")...)
	want := []map[string]any{
		{"Z_PK": num("5"), "ZMATCHEDTEXT": "https://wal.example/x", "links": []any{"https://wal.example/x"}},
		{"record_type": "lid_phone_number_pair", "lid": "200000000000002"},
		{"record_type": "chat_session", "session_pk": num("4"), "partner_resolved_phone_number": "+41790000002"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WAL records mismatch (-want +got):\n%s", diff)
	}
	if n := len(o.AlertsOf("ioc/domain")); n != 1 {
		t.Errorf("%d domain alerts for the WAL message, want 1", n)
	}
	files := strings.Join(o.Status.Files, " ")
	if !strings.Contains(files, "ChatStorage.sqlite-wal") || !strings.Contains(files, "LID.sqlite-wal") {
		t.Errorf("files read %v do not include the -wal files", o.Status.Files)
	}
}

// TestBusiness reads WhatsApp and WhatsApp Business, in that order, each record naming
// its database.
func TestBusiness(t *testing.T) {
	biz := fixture.WhatsAppSpec{Domain: fixture.WhatsAppBusinessDomain,
		Sessions: []fixture.WhatsAppSession{{PK: 1, ContactJID: "41440000001@s.whatsapp.net", PartnerName: "Customer"}},
		Messages: []fixture.WhatsAppMessage{{PK: 1, Session: 1, Date: at, Text: "Order 42: https://shop.example/o/42"}},
	}
	o := run(t, moduletest.Index("domains", "shop.example"), biz, chats(fixture.WhatsAppCurrent))
	if o.Status.State != module.OK || o.Status.Records != 10 {
		t.Fatalf("status %+v, want ok with 10 records", o.Status)
	}
	recs := o.ExactList(t)
	var dbs []any
	for _, r := range recs {
		dbs = append(dbs, r["whatsapp_db"])
	}
	want := []any{chatDB, chatDB, chatDB, chatDB, lidDB, chatDB, chatDB, chatDB, bizChatDB, bizChatDB}
	if diff := cmp.Diff(want, dbs); diff != "" {
		t.Errorf("databases mismatch (-want +got):\n%s", diff)
	}
	alerts := o.AlertsOf("ioc/domain")
	if len(alerts) != 1 || !strings.Contains(alerts[0].Message, "in a WhatsApp Business message received from 41440000001@s.whatsapp.net on 2026-03-14") {
		t.Errorf("alerts %v, want one about the WhatsApp Business message", summarize(o.Alerts))
	}
	if !strings.Contains(strings.Join(o.Timeline, "\n"), "Last message in WhatsApp Business chat with 'Customer'") {
		t.Error("no WhatsApp Business chat on the timeline")
	}
	moduletest.Reload(t, o, moduletest.Index("domains", "shop.example"), whatsapp.New())
}

// TestDuplicateItems keeps one record per message when a message has several media or
// data items, and the links of every data item.
func TestDuplicateItems(t *testing.T) {
	spec := chats(fixture.WhatsAppCurrent)
	o := runWith(t, spec, func(db *sql.DB) error {
		_, err := db.Exec(`INSERT INTO ZWAMESSAGEDATAITEM (Z_PK, ZMESSAGE, ZMATCHEDTEXT, ZCONTENT1) VALUES (10, 1, 'https://second.example/a', 'see https://third.example/b');
			INSERT INTO ZWAMEDIAITEM (Z_PK, ZMESSAGE, ZMEDIAURL, ZAUTHORNAME) VALUES (10, 3, 'https://other.example/m', 'Someone');`)
		return err
	})
	if o.Status.State != module.OK || o.Status.Records != 8 {
		t.Fatalf("status %+v, want ok with 8 records", o.Status)
	}
	got := moduletest.Project(o.ExactList(t)[:4], "Z_PK", "ZAUTHORNAME", "ZMATCHEDTEXT", "links")
	want := []map[string]any{
		{"Z_PK": num("1"), "ZAUTHORNAME": nil, "ZMATCHEDTEXT": "https://post.example/track?id=7",
			"links": []any{"https://post.example/track?id=7", "https://second.example/a", "https://third.example/b"}},
		{"Z_PK": num("2"), "ZAUTHORNAME": nil, "ZMATCHEDTEXT": nil, "links": []any{}},
		{"Z_PK": num("3"), "ZAUTHORNAME": "Léa", "ZMATCHEDTEXT": nil, "links": []any{}},
		{"Z_PK": num("4"), "ZAUTHORNAME": nil, "ZMATCHEDTEXT": nil, "links": []any{"www.velo.example/route"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
	roundTrip(t, whatsapp.New(), o.RecordsJSON)
}

// runWith builds ChatStorage.sqlite from spec, changes it with edit, and runs the
// module.
func runWith(t *testing.T, spec fixture.WhatsAppSpec, edit func(db *sql.DB) error) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddWhatsApp(b, spec); err != nil {
		t.Fatal(err)
	}
	f := b.Lookup(fixture.WhatsAppDomain, fixture.WhatsAppChatStoragePath)
	p := filepath.Join(t.TempDir(), "ChatStorage.sqlite")
	if err := os.WriteFile(p, f.Content, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := edit(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Content, err = os.ReadFile(p); err != nil {
		t.Fatal(err)
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), nil, whatsapp.New())
}

// TestHostileValues reads values of unexpected types without failing: a blob text, a
// text date, a huge date, a zero date.
func TestHostileValues(t *testing.T) {
	o := runWith(t, chats(fixture.WhatsAppCurrent), func(db *sql.DB) error {
		_, err := db.Exec(`UPDATE ZWAMESSAGE SET ZTEXT = X'68690A00FF', ZMESSAGEDATE = 'yesterday' WHERE Z_PK = 1;
			UPDATE ZWAMESSAGE SET ZMESSAGEDATE = 1e300, ZPHASH = X'0102' WHERE Z_PK = 2;
			UPDATE ZWAMESSAGE SET ZMESSAGEDATE = 0 WHERE Z_PK = 3;
			UPDATE ZWAMESSAGEDATAITEM SET ZCONTENT1 = CAST('see https://blob.example/x' AS BLOB) WHERE ZMESSAGE = 1;
			UPDATE ZWACHATSESSION SET ZLASTMESSAGEDATE = X'00', ZCONTACTJID = X'FF40' WHERE Z_PK = 1;`)
		return err
	})
	if o.Status.State != module.OK || o.Status.Records != 8 {
		t.Fatalf("status %+v, want ok with 8 records", o.Status)
	}
	recs := o.ExactList(t)
	got := moduletest.Project(recs[:3], "ZTEXT", "ZMESSAGEDATE", "ZPHASH", "ZCONTENT1", "isodate", "links")
	want := []map[string]any{
		// Blobs are written in base64; links are read from their text.
		{"ZTEXT": "hi\n\x00\\xff", "ZMESSAGEDATE": "yesterday", "ZPHASH": nil, "ZCONTENT1": "c2VlIGh0dHBzOi8vYmxvYi5leGFtcGxlL3g=", "isodate": nil,
			"links": []any{"https://post.example/track?id=7", "https://blob.example/x"}},
		{"ZTEXT": "On my way\nsee you", "ZMESSAGEDATE": num("1e+300"), "ZPHASH": "AQI=", "ZCONTENT1": nil, "isodate": nil, "links": []any{}},
		{"ZTEXT": "", "ZMESSAGEDATE": num("0"), "ZPHASH": nil, "ZCONTENT1": nil, "isodate": nil, "links": []any{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
	// Zero and unreadable dates do not count as the chat's first or last message.
	got = moduletest.Project(recs[5:7], "contact_jid", "last_message_date", "first_stored_message_date", "last_stored_message_date")
	want = []map[string]any{
		{"contact_jid": "/0A=" /* a blob, in base64 */, "last_message_date": nil, "first_stored_message_date": nil, "last_stored_message_date": nil},
		{"contact_jid": leaLID + "@lid", "last_message_date": "2026-03-14 11:26:53.000000", "first_stored_message_date": nil, "last_stored_message_date": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sessions mismatch (-want +got):\n%s", diff)
	}
	roundTrip(t, whatsapp.New(), o.RecordsJSON)
}

func TestStates(t *testing.T) {
	valid := func() []byte {
		b := fixture.NewBackup(fixture.DefaultDevice, at)
		spec := fixture.SampleWhatsApp(at, 400, 3)
		for i := range spec.Messages {
			spec.Messages[i].WALOnly = false
		}
		if err := fixture.AddWhatsApp(b, spec); err != nil {
			t.Fatal(err)
		}
		return b.Lookup(fixture.WhatsAppDomain, fixture.WhatsAppChatStoragePath).Content
	}()
	onlyChat := func(b *fixture.Backup, content []byte) error {
		b.AddFile(fixture.WhatsAppDomain, fixture.WhatsAppChatStoragePath, content)
		return nil
	}
	tests := []struct {
		name     string
		build    func(b *fixture.Backup) error
		state    module.State
		reason   string // part of the reason
		problems int
		records  int
	}{
		{"absent", func(b *fixture.Backup) error { return nil }, module.Skipped, "not in this acquisition", 0, 0},
		{"empty_tables", func(b *fixture.Backup) error { return fixture.AddWhatsApp(b, fixture.WhatsAppSpec{}) }, module.OK, "", 0, 0},
		{"not_sqlite", func(b *fixture.Backup) error {
			return onlyChat(b, []byte("this is not a database, just text of some length"))
		}, module.Failed, "not a SQLite database", 0, 0},
		{"empty_file", func(b *fixture.Backup) error { return onlyChat(b, nil) }, module.Failed, "empty file", 0, 0},
		{"truncated", func(b *fixture.Backup) error { return onlyChat(b, valid[:len(valid)/3]) }, module.Failed, "malformed", 0, -1},
		{"no_message_table", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.WhatsAppDomain, fixture.WhatsAppChatStoragePath, fixture.SQLite{SQL: "CREATE TABLE kv (k TEXT, v BLOB);"})
		}, module.Skipped, "no ZWAMESSAGE table", 0, 0},
		{"messages_only", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.WhatsAppDomain, fixture.WhatsAppChatStoragePath, fixture.SQLite{
				SQL: "CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZTEXT TEXT); INSERT INTO ZWAMESSAGE VALUES (1, 'hi https://x.example/');"})
		}, module.OK, "", 0, 1},
		{"no_z_pk", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.WhatsAppDomain, fixture.WhatsAppChatStoragePath, fixture.SQLite{SQL: "CREATE TABLE ZWAMESSAGE (ZTEXT TEXT);"})
		}, module.Failed, "no Z_PK column", 0, 0},
		{"lid_only", func(b *fixture.Backup) error {
			s := chats(fixture.WhatsAppCurrent)
			s.NoChatStorage = true
			return fixture.AddWhatsApp(b, s)
		}, module.OK, "", 0, 1},
		{"bad_lid_database", func(b *fixture.Backup) error {
			s := chats(fixture.WhatsAppCurrent)
			s.NoLIDDatabase = true
			b.AddFile(fixture.WhatsAppDomain, fixture.WhatsAppLIDPath, []byte("garbage garbage garbage garbage"))
			return fixture.AddWhatsApp(b, s)
		}, module.Partial, "1 problem(s)", 1, 7},
		{"lid_database_without_table", func(b *fixture.Backup) error {
			s := chats(fixture.WhatsAppCurrent)
			s.NoLIDDatabase = true
			if err := b.AddSQLite(fixture.WhatsAppDomain, fixture.WhatsAppLIDPath, fixture.SQLite{SQL: "CREATE TABLE other (x);"}); err != nil {
				return err
			}
			return fixture.AddWhatsApp(b, s)
		}, module.Partial, "1 problem(s)", 1, 7},
		{"bad_business_database", func(b *fixture.Backup) error {
			b.AddFile(fixture.WhatsAppBusinessDomain, fixture.WhatsAppChatStoragePath, []byte("garbage garbage garbage garbage"))
			return fixture.AddWhatsApp(b, chats(fixture.WhatsAppMinimal))
		}, module.Partial, "1 problem(s)", 1, 8},
		{"both_without_messages", func(b *fixture.Backup) error {
			for _, d := range []string{fixture.WhatsAppDomain, fixture.WhatsAppBusinessDomain} {
				if err := b.AddSQLite(d, fixture.WhatsAppChatStoragePath, fixture.SQLite{SQL: "CREATE TABLE kv (k TEXT);"}); err != nil {
					return err
				}
			}
			return nil
		}, module.Skipped, "no ZWAMESSAGE table", 0, 0},
		{"both_broken_differently", func(b *fixture.Backup) error {
			b.AddFile(fixture.WhatsAppBusinessDomain, fixture.WhatsAppChatStoragePath, []byte("garbage garbage garbage garbage"))
			return b.AddSQLite(fixture.WhatsAppDomain, fixture.WhatsAppChatStoragePath, fixture.SQLite{SQL: "CREATE TABLE kv (k TEXT);"})
		}, module.Failed, "no ZWAMESSAGE table", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, at)
			if err := tt.build(b); err != nil {
				t.Fatal(err)
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, whatsapp.New())
			if o.Status.State != tt.state || !strings.Contains(o.Status.Reason, tt.reason) {
				t.Errorf("status %q (%s), want %q with a reason containing %q", o.Status.State, o.Status.Reason, tt.state, tt.reason)
			}
			if len(o.Status.Problems) != tt.problems {
				t.Errorf("problems %q, want %d", o.Status.Problems, tt.problems)
			}
			for _, p := range o.Status.Problems { // a problem names its database
				if !strings.Contains(p, ".sqlite") {
					t.Errorf("problem %q does not name the database", p)
				}
			}
			if tt.records >= 0 && o.Status.Records != tt.records {
				t.Errorf("%d records, want %d", o.Status.Records, tt.records)
			}
		})
	}
}

// alertSummary is what the check tests compare.
type alertSummary struct {
	Check, Level, Message string
	Time                  string
}

func summarize(as []alert.Alert) []alertSummary {
	var out []alertSummary
	for _, a := range as {
		out = append(out, alertSummary{a.Check, a.Level.String(), a.Message, a.EventTime.Format("2006-01-02 15:04:05")})
	}
	return out
}

func TestChecks(t *testing.T) {
	planted := func(link string) func() fixture.WhatsAppSpec {
		return func() fixture.WhatsAppSpec {
			s := chats(fixture.WhatsAppCurrent)
			fixture.PlantWhatsAppLink(&s, link, at)
			return s
		}
	}
	withMedia := func(u string) func() fixture.WhatsAppSpec {
		return func() fixture.WhatsAppSpec {
			s := chats(fixture.WhatsAppCurrent)
			s.Messages[2].Media.URL = u
			return s
		}
	}
	const from = "in a WhatsApp message received from 971555019311@s.whatsapp.net (Breaking News) on 2026-03-14"
	tests := []struct {
		name  string
		spec  func() fixture.WhatsAppSpec
		index *ioc.Index
		want  []alertSummary
	}{
		{"link_domain_indicator", planted(attackLink), moduletest.Index("domains", "akhbar-almasdar.example"),
			[]alertSummary{{"ioc/domain", "CRITICAL", `Found a known suspicious domain "https://akhbar-almasdar.example/9k2Lp" (through "akhbar-almasdar.example") ` + from +
				`, matching indicator "akhbar-almasdar.example" from "Test Spyware" (test.stix2)`, "2026-03-14 09:26:53"}}},
		{"link_url_indicator", planted(attackLink), moduletest.Index("urls", attackLink),
			[]alertSummary{{"ioc/url", "CRITICAL", `Found a known suspicious URL "https://akhbar-almasdar.example/9k2Lp" ` + from +
				`, matching indicator "https://akhbar-almasdar.example/9k2Lp" from "Test Spyware" (test.stix2)`, "2026-03-14 09:26:53"}}},
		{"link_in_preview_only", func() fixture.WhatsAppSpec {
			s := chats(fixture.WhatsAppCurrent)
			s.Messages[1].Data = &fixture.WhatsAppDataItem{Content2: "redirected to https://akhbar-almasdar.example/z"}
			return s
		}, moduletest.Index("domains", "akhbar-almasdar.example"),
			[]alertSummary{{"ioc/domain", "CRITICAL", `Found a known suspicious domain "https://akhbar-almasdar.example/z" (through "akhbar-almasdar.example") ` +
				`in a WhatsApp message sent to 41791110001@s.whatsapp.net on 2026-03-14, matching indicator "akhbar-almasdar.example" from "Test Spyware" (test.stix2)`,
				"2026-03-14 07:26:53"}}},
		{"link_not_in_indicators", planted("https://akhbar-almasdar.example.org/9k2Lp"), moduletest.Index("domains", "akhbar-almasdar.example"), nil},
		{"no_indicators", planted(attackLink), nil, nil},
		// WhatsApp's own media servers are never checked: every photo comes from there.
		{"media_server_ignored", withMedia(mediaURL), moduletest.Index("domains", "whatsapp.net"), nil},
		{"media_cdn_ignored", withMedia("https://media-zrh1-1.cdn.whatsapp.net/v/t62/1.enc"), moduletest.Index("domains", "whatsapp.net"), nil},
		// A host hidden behind a media server's name as user information is checked.
		{"media_server_disguise", withMedia("https://mmg.whatsapp.net@akhbar-almasdar.example/p"), moduletest.Index("domains", "akhbar-almasdar.example"),
			[]alertSummary{{"ioc/domain", "CRITICAL", `Found a known suspicious domain "https://mmg.whatsapp.net@akhbar-almasdar.example/p" (through "akhbar-almasdar.example") ` +
				`in a WhatsApp message received from 100000000000001@lid on 2026-03-14, matching indicator "akhbar-almasdar.example" from "Test Spyware" (test.stix2)`,
				"2026-03-14 08:26:53"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, tt.index, tt.spec())
			if o.Status.State != module.OK {
				t.Fatalf("status %+v", o.Status)
			}
			if diff := cmp.Diff(tt.want, summarize(o.Alerts)); diff != "" {
				t.Errorf("alerts mismatch (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tt.index, whatsapp.New())
			for _, a := range o.Alerts {
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %q lacks an explanation", a.Check)
				}
				if _, ok := a.Event.(*whatsapp.Message); !ok {
					t.Errorf("alert event is %T, want *whatsapp.Message", a.Event)
				}
			}
		})
	}
}

func TestIsWhatsAppMedia(t *testing.T) {
	for link, want := range map[string]bool{
		"https://mmg.whatsapp.net/v/t62/1.enc":                         true,
		"https://mmg-fna.whatsapp.net/d/f/Ab.enc":                      true,
		"https://MMG.WhatsApp.net./x":                                  true,
		"http://mmg.whatsapp.net:443/x":                                true,
		"mmg.whatsapp.net/v/1":                                         true,
		"https://media-zrh1-1.cdn.whatsapp.net/v/1.enc":                true,
		"https://media.fzrh1-1.fna.whatsapp.net/v/1":                   true,
		"https://mmg.whatsapp.net@evil.example/":                       false,
		"https://evil.example/mmg.whatsapp.net/":                       false,
		"https://mmg.whatsapp.net.evil.example/":                       false,
		"https://chat.whatsapp.com/Invite123":                          false,
		"https://www.whatsapp.net/":                                    false,
		"https://media.evil.example/.whatsapp.net":                     false,
		"ftp://mmg.whatsapp.net/x":                                     false,
		"https://wa.me/41791110001":                                    false,
		"https://mmg.whatsapp.net%zz/":                                 false,
		"https://mediawhatsapp.net/":                                   false,
		"https://xmedia.whatsapp.net/":                                 false,
		"https://mmg.whatsapp.net\\@evil.example/":                     false,
		"https://static.whatsapp.net/rsrc.php/v3/yP/r/rYZqPCBaG70.png": false,
	} {
		if got := whatsapp.IsWhatsAppMedia(link); got != want {
			t.Errorf("IsWhatsAppMedia(%q) = %v, want %v", link, got, want)
		}
	}
}

// TestSample runs the module over the demo's innocent sample and over the same sample
// with a planted link: no alert on the first, exactly the planted one on the second;
// every record (the WAL ones included) read, links listed, WhatsApp's media servers
// left out.
func TestSample(t *testing.T) {
	ix := moduletest.Index("domains", "akhbar-almasdar.example", "domains", "whatsapp.net")
	spec := fixture.SampleWhatsApp(at, 1000, 7)
	o := run(t, ix, spec)
	want := len(spec.Messages) + len(spec.LIDPairs) + len(spec.Sessions)
	if o.Status.State != module.OK || o.Status.Records != want {
		t.Fatalf("status %+v, want ok with %d records", o.Status, want)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("%d alerts on the innocent sample, first: %s", len(o.Alerts), o.Alerts[0].Message)
	}
	roundTrip(t, whatsapp.New(), o.RecordsJSON)
	if len(o.URLs) == 0 {
		t.Error("no URL listed from the sample's links")
	}
	for _, u := range o.URLs {
		if strings.Contains(u["url"].(string), "whatsapp.net") {
			t.Errorf("media URL %v listed", u["url"])
		}
	}
	var resolved, groups, media int
	for _, r := range o.List(t) {
		if r["partner_resolved_phone_number"] != nil {
			resolved++
		}
		if r["group_creation_date"] != nil {
			groups++
		}
		if u, _ := r["ZMEDIAURL"].(string); u != "" {
			media++
		}
	}
	if resolved == 0 || groups == 0 || media == 0 || len(spec.LIDPairs) == 0 {
		t.Errorf("sample lacks variety: %d resolved chats, %d groups, %d media messages, %d LID pairs", resolved, groups, media, len(spec.LIDPairs))
	}

	pk := fixture.PlantWhatsAppLink(&spec, attackLink, at.Add(-10*24*time.Hour))
	o = run(t, ix, spec)
	got := summarize(o.Alerts)
	if len(got) != 1 || got[0].Check != "ioc/domain" || got[0].Level != "CRITICAL" || got[0].Time != "2026-03-04 09:26:53" {
		t.Fatalf("alerts %v, want one CRITICAL ioc/domain alert at the planted time", got)
	}
	moduletest.Reload(t, o, ix, whatsapp.New())
	if m := o.Alerts[0].Event.(*whatsapp.Message); m.PK != pk {
		t.Errorf("alert on message %d, want the planted %d", m.PK, pk)
	}
}

func BenchmarkRun(b *testing.B) {
	bk := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddWhatsApp(bk, fixture.SampleWhatsApp(at, 20_000, 1)); err != nil {
		b.Fatal(err)
	}
	acq := moduletest.OpenBackup(b, bk)
	b.ResetTimer()
	for b.Loop() {
		moduletest.Run(b, acq, nil, whatsapp.New())
	}
}

// roundTrip decodes each record of a results file with m and checks that it marshals
// back to the same JSON, as the same Go type.
func roundTrip(t *testing.T, m module.Reloadable, data []byte) {
	t.Helper()
	var recs []json.RawMessage
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	decoded := moduletest.DecodeExact(t, m, recs)
	for i, raw := range recs {
		rec := decoded[i]
		var head struct {
			RecordType string `json:"record_type"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Fatal(err)
		}
		wantType := map[string]string{whatsapp.TypeMessage: "*whatsapp.Message", whatsapp.TypeLIDPair: "*whatsapp.LIDPair",
			whatsapp.TypeChatSession: "*whatsapp.ChatSession"}[head.RecordType]
		if got := fmt.Sprintf("%T", rec); got != wantType {
			t.Fatalf("record %d (%s) decoded as %s, want %s", i, head.RecordType, got, wantType)
		}
	}
}

// TestDecodeMVTRecord checks records the way MVT writes them: the ZWAMESSAGE columns,
// ZAUTHORNAME, ZMEDIAURL, ZCONTENT1, ZCONTENT2, ZMATCHEDTEXT, ZSUMMARY, ZTITLE, isodate
// and links (left out when a message has none), no record_type on messages; and LID
// pairs and chat sessions with their record_type.
func TestDecodeMVTRecord(t *testing.T) {
	message := func(text, content2, links string) string {
		return `{"Z_PK": 12, "Z_ENT": 9, "Z_OPT": 3, "ZCHATSESSION": 2, "ZISFROMME": 0, "ZMESSAGESTATUS": 8, "ZMESSAGETYPE": 7,
			"ZMESSAGEDATE": 795173213.0, "ZSENTDATE": 795173213, "ZFROMJID": "971555019311@s.whatsapp.net", "ZPUSHNAME": "Breaking News",
			"ZTOJID": null, "ZSTANZAID": "3EB0C4F1", "ZTEXT": "` + text + `", "ZAUTHORNAME": null, "ZMEDIAURL": null,
			"ZCONTENT1": null, "ZCONTENT2": "` + content2 + `", "ZMATCHEDTEXT": null, "ZSUMMARY": null, "ZTITLE": null,
			"isodate": "2026-03-14 09:26:53.000000"` + links + `}`
	}
	const from = "in a WhatsApp message received from 971555019311@s.whatsapp.net (Breaking News) on 2026-03-14"
	domainAlert := []alertSummary{{"ioc/domain", "CRITICAL", `Found a known suspicious domain "https://akhbar-almasdar.example/9k2Lp" (through "akhbar-almasdar.example") ` + from +
		`, matching indicator "akhbar-almasdar.example" from "Test Spyware" (test.stix2)`, "2026-03-14 09:26:53"}}
	tests := []struct {
		name     string
		record   string
		index    *ioc.Index
		wantType string
		want     []alertSummary
	}{
		{"links", message("Read this "+attackLink, "", `, "links": ["`+attackLink+`"]`), moduletest.Index("domains", "akhbar-almasdar.example"),
			"*whatsapp.Message", domainAlert},
		{"link_in_preview_without_links_key", message("", "redirected to "+attackLink, ""), moduletest.Index("domains", "akhbar-almasdar.example"),
			"*whatsapp.Message", domainAlert},
		{"media_server_link_dropped", message("", "", `, "links": ["`+mediaURL+`"]`), moduletest.Index("domains", "whatsapp.net"),
			"*whatsapp.Message", nil},
		{"lid_pair", `{"record_type": "lid_phone_number_pair", "lid": "100000000000001", "phone_number": "41791110003",
			"pair_timestamp": "2026-02-02 09:26:53.000000"}`, moduletest.Index("domains", "akhbar-almasdar.example"), "*whatsapp.LIDPair", nil},
		{"chat_session", `{"record_type": "chat_session", "session_pk": 2, "contact_jid": "100000000000001@lid", "partner_name": "Léa",
			"session_type": 0, "archived": 1, "removed": 0, "message_counter": 4, "last_message_date": "2026-03-14 11:26:53.000000",
			"group_creation_date": null, "first_stored_message_date": "2026-03-14 08:26:53.000000",
			"last_stored_message_date": "2026-03-14 08:26:53.000000", "stored_message_count": 1,
			"partner_resolved_phone_number": "+41791110003"}`, moduletest.Index("domains", "akhbar-almasdar.example"), "*whatsapp.ChatSession", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := whatsapp.New()
			rec, err := m.DecodeRecord([]byte(tt.record))
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			if got := fmt.Sprintf("%T", rec); got != tt.wantType {
				t.Errorf("decoded as %s, want %s", got, tt.wantType)
			}
			var got []alert.Alert
			r := check.NewReporter(whatsapp.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tt.index))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tt.want, summarize(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
