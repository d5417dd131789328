package sms_test

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
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
	"github.com/spytrace/spytrace/internal/module/ios/sms"
	"github.com/spytrace/spytrace/internal/module/moduletest"

	_ "modernc.org/sqlite" // to read the fixture's schema
)

var at = fixture.Epoch // 2026-03-14 09:26:53 UTC

// conversations is a small sms.db: an SMS with a link from a phone number, an iMessage
// sent to an Apple ID, and a message sent to a group chat (no handle, which MVT drops).
func conversations(schema string) fixture.SMSSpec {
	return fixture.SMSSpec{
		Schema: schema,
		Handles: []fixture.SMSHandle{
			{ROWID: 1, ID: "+41791110000", Service: "SMS", Country: "ch"},
			{ROWID: 2, ID: "anna.keller@icloud.com"},
		},
		Chats: []fixture.SMSChat{
			{ROWID: 1, Identifier: "+41791110000", Service: "SMS", Handles: []int64{1}},
			{ROWID: 2, Identifier: "anna.keller@icloud.com", Handles: []int64{2}},
			{ROWID: 3, Identifier: "chat612345678", Group: true, DisplayName: "Desk", Handles: []int64{1, 2}},
		},
		Messages: []fixture.SMSMessage{
			{ROWID: 1, Handle: 1, Chat: 1, Text: "Your parcel: https://post.example/track?id=7).",
				Date: at.Add(-3 * time.Hour), DateRead: at.Add(-3*time.Hour + 5*time.Minute)},
			{ROWID: 2, Handle: 2, Chat: 2, Text: "On my way\nsee you", FromMe: true,
				Date: at.Add(-2 * time.Hour), DateDelivered: at.Add(-2*time.Hour + 2*time.Second), DateRead: at.Add(-2*time.Hour + 10*time.Minute)},
			{ROWID: 3, Chat: 3, Text: "Meeting moved", FromMe: true, Date: at.Add(-time.Hour)},
		},
	}
}

// run builds a backup with spec and runs the module over it.
func run(t *testing.T, spec fixture.SMSSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddSMS(b, spec); err != nil {
		t.Fatal(err)
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, sms.New())
}

func TestRecords(t *testing.T) {
	o := run(t, conversations(fixture.SMSIOS11), nil)
	if o.Status.State != module.OK || o.Status.Records != 3 {
		t.Fatalf("status %+v, want ok with 3 records", o.Status)
	}
	got := moduletest.Project(o.ExactList(t), "ROWID", "guid", "text", "service", "handle_id", "date", "date_read", "is_from_me",
		"phone_number", "chat_identifier", "isodate", "isodate_read", "direction", "links", "text_source")
	want := []map[string]any{
		{"ROWID": json.Number("1"), "guid": "9E3779B1-0001-4000-8000-000000000001", "text": "Your parcel: https://post.example/track?id=7).",
			"service": "SMS", "handle_id": json.Number("1"), "date": json.Number("795162413000000000"), "date_read": json.Number("795162713000000000"),
			"is_from_me": json.Number("0"), "phone_number": "+41791110000", "chat_identifier": "+41791110000",
			"isodate": "2026-03-14 06:26:53.000000", "isodate_read": "2026-03-14 06:31:53.000000", "direction": "received",
			"links": []any{"https://post.example/track?id=7"}},
		{"ROWID": json.Number("2"), "guid": "3C6EF362-0001-4000-8000-000000000002", "text": "On my way\nsee you",
			"service": "iMessage", "handle_id": json.Number("2"), "date": json.Number("795166013000000000"), "date_read": json.Number("795166613000000000"),
			"is_from_me": json.Number("1"), "phone_number": "anna.keller@icloud.com", "chat_identifier": "anna.keller@icloud.com",
			"isodate": "2026-03-14 07:26:53.000000", "isodate_read": "2026-03-14 07:36:53.000000", "direction": "sent", "links": []any{}},
		{"ROWID": json.Number("3"), "guid": "DAA66D13-0001-4000-8000-000000000003", "text": "Meeting moved",
			"service": "iMessage", "handle_id": json.Number("0"), "date": json.Number("795169613000000000"), "date_read": json.Number("0"),
			"is_from_me": json.Number("1"), "phone_number": "", "chat_identifier": "chat612345678",
			"isodate": "2026-03-14 08:26:53.000000", "isodate_read": nil, "direction": "sent", "links": []any{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}

// TestKeys checks that a record has every column of the message table, in table
// order, then MVT's derived keys and spytrace's, and that blobs are base64.
func TestKeys(t *testing.T) {
	for _, schema := range []string{fixture.SMSIOS9, fixture.SMSIOS11, fixture.SMSIOS16} {
		t.Run(schema, func(t *testing.T) {
			spec := conversations(schema)
			b := fixture.NewBackup(fixture.DefaultDevice, at)
			if err := fixture.AddSMS(b, spec); err != nil {
				t.Fatal(err)
			}
			want := append(tableColumns(t, b, "message"), "phone_number", "isodate", "isodate_read", "direction", "links", "chat_identifier")
			if schema == fixture.SMSIOS16 {
				want = append(want, "text_source")
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, sms.New())
			if diff := cmp.Diff(want, firstKeys(t, o.RecordsJSON)); diff != "" {
				t.Errorf("keys mismatch (-want +got):\n%s", diff)
			}
			body, _ := o.ExactList(t)[0]["attributedBody"].(string)
			if !strings.HasPrefix(body, "BAtzdHJlYW10eXBlZ") { // base64 of "\x04\x0bstreamtyped"
				t.Errorf("attributedBody = %.40q, want base64 of a typedstream", body)
			}
		})
	}
}

// tableColumns lists the columns of a table of the sms.db that b holds.
func tableColumns(t *testing.T, b *fixture.Backup, table string) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sms.db")
	if err := os.WriteFile(p, b.Lookup(fixture.SMSDomain, fixture.SMSPath).Content, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	return cols
}

// firstKeys returns the keys of the first record of a JSON list, in order.
func firstKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("no complete first record: %v", err)
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
			if depth == 2 && tok == json.Delim('{') {
				continue
			}
		case json.Delim(']'), json.Delim('}'):
			depth--
			if depth == 1 {
				return keys
			}
			continue
		}
		if depth == 2 {
			keys = append(keys, tok.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSchemaVariants reads the same conversations written by each iOS generation.
func TestSchemaVariants(t *testing.T) {
	base := []map[string]any{
		{"text": "Your parcel: https://post.example/track?id=7).", "isodate": "2026-03-14 06:26:53.000000", "isodate_read": "2026-03-14 06:31:53.000000",
			"direction": "received", "phone_number": "+41791110000", "links": []any{"https://post.example/track?id=7"}},
		{"text": "On my way\nsee you", "isodate": "2026-03-14 07:26:53.000000", "isodate_read": "2026-03-14 07:36:53.000000",
			"direction": "sent", "phone_number": "anna.keller@icloud.com", "links": []any{}},
		{"text": "Meeting moved", "isodate": "2026-03-14 08:26:53.000000", "isodate_read": nil,
			"direction": "sent", "phone_number": "", "links": []any{}},
	}
	tests := []struct {
		schema   string
		date     json.Number // raw message.date of the first message
		column   any         // message.text as stored
		fromBody bool
	}{
		{fixture.SMSIOS9, "795162413", "Your parcel: https://post.example/track?id=7).", false},
		{fixture.SMSIOS11, "795162413000000000", "Your parcel: https://post.example/track?id=7).", false},
		{fixture.SMSIOS16, "795162413000000000", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			o := run(t, conversations(tt.schema), nil)
			if o.Status.State != module.OK {
				t.Fatalf("status %+v", o.Status)
			}
			recs := o.ExactList(t)
			want := base
			if tt.fromBody {
				want = nil
				for _, r := range base {
					w := map[string]any{"text_source": "attributedBody"}
					for k, v := range r {
						w[k] = v
					}
					want = append(want, w)
				}
			}
			got := moduletest.Project(recs, "text", "isodate", "isodate_read", "direction", "phone_number", "links", "text_source")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
			if recs[0]["date"] != tt.date {
				t.Errorf("raw date = %v, want %v", recs[0]["date"], tt.date)
			}
			// The raw text column is what the database holds, whatever was decoded.
			stored := tableValue(t, tt.schema, "SELECT text FROM message WHERE ROWID = 1")
			if stored != tt.column {
				t.Errorf("text column = %v, want %v", stored, tt.column)
			}
		})
	}
}

// tableValue runs a one-value query on the sms.db of conversations(schema).
func tableValue(t *testing.T, schema, q string) any {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddSMS(b, conversations(schema)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sms.db")
	os.WriteFile(p, b.Lookup(fixture.SMSDomain, fixture.SMSPath).Content, 0o600)
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v any
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTimelineAndURLs(t *testing.T) {
	o := run(t, conversations(fixture.SMSIOS16), nil)
	want := []string{
		// The timeline writer neutralises cells that a spreadsheet would run as a formula.
		`"2026-03-14 06:26:53.000000","SMS","sms_received","'+41791110000: Your parcel: https://post.example/track?id=7)."`,
		`"2026-03-14 06:31:53.000000","SMS","sms_read","'+41791110000: Your parcel: https://post.example/track?id=7)."`,
		`"2026-03-14 07:26:53.000000","SMS","sms_sent","anna.keller@icloud.com: On my way\nsee you"`,
		`"2026-03-14 07:36:53.000000","SMS","sms_read","anna.keller@icloud.com: On my way\nsee you"`,
		`"2026-03-14 08:26:53.000000","SMS","sms_sent","chat612345678: Meeting moved"`,
	}
	if diff := cmp.Diff(want, o.Timeline); diff != "" {
		t.Errorf("timeline mismatch (-want +got):\n%s", diff)
	}
	wantURLs := []map[string]any{
		{"url": "https://post.example/track?id=7", "expanded_url": nil, "timestamp": "2026-03-14 06:26:53.000000", "source": "sms", "shortened": false},
	}
	if diff := cmp.Diff(wantURLs, o.URLs); diff != "" {
		t.Errorf("urls.json mismatch (-want +got):\n%s", diff)
	}
}

// TestWALOnly reads a conversation that exists only in sms.db-wal.
func TestWALOnly(t *testing.T) {
	spec := conversations(fixture.SMSIOS16)
	spec.Handles = append(spec.Handles, fixture.SMSHandle{ROWID: 3, ID: "+41790000003", WALOnly: true})
	spec.Chats = append(spec.Chats, fixture.SMSChat{ROWID: 4, Identifier: "+41790000003", Handles: []int64{3}, WALOnly: true})
	spec.Messages = append(spec.Messages, fixture.SMSMessage{ROWID: 4, Handle: 3, Chat: 4, Text: "Only in the log https://wal.example/x", Date: at, WALOnly: true})
	b := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddSMS(b, spec); err != nil {
		t.Fatal(err)
	}
	if b.Lookup(fixture.SMSDomain, fixture.SMSPath+"-wal") == nil {
		t.Fatal("the fixture has no sms.db-wal")
	}
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), moduletest.Index("domains", "wal.example"), sms.New())
	if o.Status.State != module.OK || o.Status.Records != 4 {
		t.Fatalf("status %+v, want ok with 4 records", o.Status)
	}
	got := moduletest.Project(o.ExactList(t)[3:], "ROWID", "phone_number", "chat_identifier", "text", "links")
	want := []map[string]any{{"ROWID": json.Number("4"), "phone_number": "+41790000003", "chat_identifier": "+41790000003",
		"text": "Only in the log https://wal.example/x", "links": []any{"https://wal.example/x"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WAL record mismatch (-want +got):\n%s", diff)
	}
	if n := len(o.AlertsOf("ioc/domain")); n != 1 {
		t.Errorf("%d domain alerts for the WAL message, want 1", n)
	}
	if !strings.Contains(strings.Join(o.Status.Files, " "), "sms.db-wal") {
		t.Errorf("files read %v do not include the -wal", o.Status.Files)
	}
}

func TestStates(t *testing.T) {
	valid := func() []byte {
		b := fixture.NewBackup(fixture.DefaultDevice, at)
		spec := fixture.SampleSMS(at, 400, 3)
		for i := range spec.Messages {
			spec.Messages[i].WALOnly = false
		}
		for i := range spec.Attachments {
			spec.Attachments[i].WALOnly = false
		}
		if err := fixture.AddSMS(b, spec); err != nil {
			t.Fatal(err)
		}
		return b.Lookup(fixture.SMSDomain, fixture.SMSPath).Content
	}()
	tests := []struct {
		name   string
		build  func(b *fixture.Backup) error
		state  module.State
		reason string // part of the reason
	}{
		{"absent", func(b *fixture.Backup) error { return nil }, module.Skipped, "not in this acquisition"},
		{"empty_tables", func(b *fixture.Backup) error { return fixture.AddSMS(b, fixture.SMSSpec{}) }, module.OK, ""},
		{"not_sqlite", func(b *fixture.Backup) error {
			b.AddFile(fixture.SMSDomain, fixture.SMSPath, []byte("this is not a database, just text of some length"))
			return nil
		}, module.Failed, "not a SQLite database"},
		{"empty_file", func(b *fixture.Backup) error { b.AddFile(fixture.SMSDomain, fixture.SMSPath, nil); return nil }, module.Failed, "empty file"},
		{"truncated", func(b *fixture.Backup) error {
			b.AddFile(fixture.SMSDomain, fixture.SMSPath, valid[:len(valid)/3])
			return nil
		}, module.Failed, "malformed"},
		{"corrupt_pages", func(b *fixture.Backup) error {
			data := append([]byte(nil), valid...)
			for i := len(data) / 2; i < len(data)/2+3*4096 && i < len(data); i++ {
				data[i] = 0xA5
			}
			b.AddFile(fixture.SMSDomain, fixture.SMSPath, data)
			return nil
		}, module.Failed, `read "message"`},
		{"no_message_table", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.SMSDomain, fixture.SMSPath, fixture.SQLite{SQL: "CREATE TABLE kvtable (key TEXT, value BLOB);"})
		}, module.Skipped, "no message table"},
		{"ios5_layout", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.SMSDomain, fixture.SMSPath, fixture.SQLite{SQL: "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT, date INTEGER, text TEXT, flags INTEGER, madrid_handle TEXT, is_madrid INTEGER);" +
				"INSERT INTO message (address, date, text, flags) VALUES ('+41791110000', 1300000000, 'hi', 2);"})
		}, module.Failed, "iOS 5 or older"},
		{"no_handle_table", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.SMSDomain, fixture.SMSPath, fixture.SQLite{SQL: "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, handle_id INTEGER, date INTEGER);" +
				"INSERT INTO message VALUES (1, 'g', 'hello', 7, 795162413000000000);"})
		}, module.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, at)
			if err := tt.build(b); err != nil {
				t.Fatal(err)
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, sms.New())
			if o.Status.State != tt.state || !strings.Contains(o.Status.Reason, tt.reason) {
				t.Errorf("status %q (%s), want %q with a reason containing %q", o.Status.State, o.Status.Reason, tt.state, tt.reason)
			}
		})
	}
}

// TestUndecodableBody keeps a message whose only text is an unreadable attributedBody,
// and says so.
func TestUndecodableBody(t *testing.T) {
	spec := conversations(fixture.SMSIOS16)
	spec.Messages[0].AttributedBody = []byte("\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84")
	spec.Messages[1].NoAttributedBody = true
	o := run(t, spec, nil)
	if o.Status.State != module.Partial || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], "message 1 ") {
		t.Fatalf("status %+v, want partial with one problem about message 1", o.Status)
	}
	got := moduletest.Project(o.ExactList(t), "text", "text_source")
	want := []map[string]any{{"text": ""}, {"text": ""}, {"text": "Meeting moved", "text_source": "attributedBody"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
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
	tests := []struct {
		name  string
		spec  func() fixture.SMSSpec
		index *ioc.Index
		want  []alertSummary
	}{
		{"link_domain_indicator", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS11)
			fixture.PlantSMSLink(&s, "https://akhbar-almasdar.example/9k2Lp", at)
			return s
		}, moduletest.Index("domains", "akhbar-almasdar.example"), []alertSummary{{"ioc/domain", "CRITICAL",
			`Found a known suspicious domain "https://akhbar-almasdar.example/9k2Lp" (through "akhbar-almasdar.example") in an SMS received from +971555019311 on 2026-03-14, matching indicator "akhbar-almasdar.example" from "Test Spyware" (test.stix2)`,
			"2026-03-14 09:26:53"}}},
		{"link_url_indicator_in_attributed_body", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16) // the link is only in attributedBody
			fixture.PlantSMSLink(&s, "https://akhbar-almasdar.example/9k2Lp", at)
			return s
		}, moduletest.Index("urls", "https://akhbar-almasdar.example/9k2Lp"), []alertSummary{{"ioc/url", "CRITICAL",
			`Found a known suspicious URL "https://akhbar-almasdar.example/9k2Lp" in an SMS received from +971555019311 on 2026-03-14, matching indicator "https://akhbar-almasdar.example/9k2Lp" from "Test Spyware" (test.stix2)`,
			"2026-03-14 09:26:53"}}},
		{"link_not_in_indicators", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			fixture.PlantSMSLink(&s, "https://akhbar-almasdar.example.org/9k2Lp", at) // a different registered domain
			return s
		}, moduletest.Index("domains", "akhbar-almasdar.example"), nil},
		{"sender_email_indicator", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			fixture.PlantIMessageFromAccount(&s, "Bogaard.Lisa803@gmail.com", at)
			return s
		}, moduletest.Index("emails", "bogaard.lisa803@gmail.com"), []alertSummary{{"ioc/email", "CRITICAL",
			`Found a known suspicious e-mail address "Bogaard.Lisa803@gmail.com" in an iMessage received from Bogaard.Lisa803@gmail.com on 2026-03-14, matching indicator "bogaard.lisa803@gmail.com" from "Test Spyware" (test.stix2)`,
			"2026-03-14 09:26:53"}}},
		{"email_in_text_is_not_a_sender", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			s.Messages[0].Text = "write to bogaard.lisa803@gmail.com"
			return s
		}, moduletest.Index("emails", "bogaard.lisa803@gmail.com"), nil},
		{"sender_email_not_in_indicators", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			fixture.PlantIMessageFromAccount(&s, "lisa.bogaard@icloud.com", at)
			return s
		}, moduletest.Index("emails", "bogaard.lisa803@gmail.com"), nil},
		{"threat_notification", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			fixture.PlantThreatNotification(&s, at)
			return s
		}, nil, []alertSummary{{"sms/threat-notification", "HIGH",
			"Apple's threat notification (mercenary spyware attack) received from threat-notifications@apple.com on 2026-03-14", "2026-03-14 09:26:53"}}},
		{"threat_notification_old_wording_any_case", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS11)
			s.Messages[0].Text = " \u200b alert: STATE-SPONSORED attackers may be targeting your iPhone. Apple believes…"
			return s
		}, nil, []alertSummary{{"sms/threat-notification", "HIGH",
			"Apple's threat notification (mercenary spyware attack) received from +41791110000 on 2026-03-14", "2026-03-14 06:26:53"}}},
		{"threat_notification_sent_copy", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			s.Messages[1].Text = "ALERT: Apple detected a targeted mercenary spyware attack against your iPhone — what should I do?"
			return s
		}, nil, []alertSummary{{"sms/threat-notification", "LOW",
			"A message sent to anna.keller@icloud.com on 2026-03-14 quotes Apple's threat notification", "2026-03-14 07:26:53"}}},
		{"threat_wording_not_at_start", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			s.Messages[0].Text = "Did you also get this? ALERT: Apple detected a targeted mercenary spyware attack against your iPhone"
			return s
		}, nil, nil},
		{"similar_alert_is_not", func() fixture.SMSSpec {
			s := conversations(fixture.SMSIOS16)
			s.Messages[0].Text = "ALERT: Apple detected unusual sign-in activity on your Apple ID"
			return s
		}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, tt.spec(), tt.index)
			if o.Status.State != module.OK {
				t.Fatalf("status %+v", o.Status)
			}
			if diff := cmp.Diff(tt.want, summarize(o.Alerts)); diff != "" {
				t.Errorf("alerts mismatch (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tt.index, sms.New())
			for _, a := range o.Alerts {
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %q lacks an explanation", a.Check)
				}
				if _, ok := a.Event.(*sms.Message); !ok {
					t.Errorf("alert event is %T, want *sms.Message", a.Event)
				}
			}
		})
	}
}

// TestSample runs the module over the demo's innocent sample: no alert, every message
// (the WAL ones included) read.
func TestSample(t *testing.T) {
	spec := fixture.SampleSMS(at, 2000, 7)
	o := run(t, spec, moduletest.Index("domains", "akhbar-almasdar.example", "emails", "bogaard.lisa803@gmail.com"))
	if o.Status.State != module.OK || o.Status.Records != len(spec.Messages) {
		t.Fatalf("status %+v, want ok with %d records", o.Status, len(spec.Messages))
	}
	if len(o.Alerts) != 0 {
		t.Errorf("%d alerts on the innocent sample, first: %s", len(o.Alerts), o.Alerts[0].Message)
	}
	if len(o.URLs) == 0 {
		t.Error("no URL listed from the sample's links")
	}
}

func BenchmarkRun(b *testing.B) {
	bk := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddSMS(bk, fixture.SampleSMS(at, 20_000, 1)); err != nil {
		b.Fatal(err)
	}
	acq := moduletest.OpenBackup(b, bk)
	b.ResetTimer()
	for b.Loop() {
		moduletest.Run(b, acq, nil, sms.New())
	}
}

// TestLongText decodes attributedBody texts whose length needs the 2- and 4-byte
// integer forms of typedstream.
func TestLongText(t *testing.T) {
	spec := conversations(fixture.SMSIOS16)
	mid := strings.Repeat("é", 100) + " https://mid.example/a"
	long := strings.Repeat("word ", 7000) + "https://end.example/x"
	spec.Messages[0].Text, spec.Messages[1].Text = mid, long
	o := run(t, spec, nil)
	got := moduletest.Project(o.ExactList(t)[:2], "text", "links", "text_source")
	want := []map[string]any{
		{"text": mid, "links": []any{"https://mid.example/a"}, "text_source": "attributedBody"},
		{"text": long, "links": []any{"https://end.example/x"}, "text_source": "attributedBody"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}

// TestRowJSON checks the JSON of a row: order kept, text escaped only where JSON needs
// it (not HTML characters), values of every kind.
func TestRowJSON(t *testing.T) {
	r := sms.Row{{"a", nil}, {"b", int64(-5)}, {"c", "x\"y\\z<&>"}, {"d", "é\u2028\x01"}, {"e", 1.5}, {"f", true},
		{"g", []string{"u"}}, {"h", "plain"}, {"i", sms.JSONValue([]byte{0, 1, 2})}, {"j", sms.JSONValue("bad\xff")}}
	got, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":null,"b":-5,"c":"x\"y\\z<&>","d":"é\u2028\u0001","e":1.5,"f":true,"g":["u"],"h":"plain","i":"AAEC","j":"bad\\xff"}`
	if string(got) != want {
		t.Errorf("MarshalJSON =\n%s\nwant\n%s", got, want)
	}
}

// TestRoundTrip reads back every record of the sample (attributedBody texts, WAL
// messages, messages without a handle) and checks that it marshals to the same JSON.
func TestRoundTrip(t *testing.T) {
	for _, schema := range []string{fixture.SMSIOS9, fixture.SMSIOS11, fixture.SMSIOS16} {
		t.Run(schema, func(t *testing.T) {
			spec := fixture.SampleSMS(at, 300, 7)
			spec.Schema = schema
			o := run(t, spec, nil)
			roundTrip(t, sms.New(), o.RecordsJSON)
			moduletest.Reload(t, o, nil, sms.New())
		})
	}
}

// roundTrip decodes each record of a results file with m and checks that it marshals
// back to the same JSON.
func roundTrip(t *testing.T, m module.Reloadable, data []byte) {
	t.Helper()
	var recs []json.RawMessage
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	moduletest.DecodeExact(t, m, recs)
}

// checkJSON decodes one record as check-iocs does and runs the module's checks on it.
func checkJSON(t *testing.T, m interface {
	module.Checkable
	module.Reloadable
}, ix *ioc.Index, record string) []alertSummary {
	t.Helper()
	rec, err := m.DecodeRecord([]byte(record))
	if err != nil {
		t.Fatalf("DecodeRecord: %v", err)
	}
	var got []alert.Alert
	r := check.NewReporter(sms.Name, func(a alert.Alert) { got = append(got, a) })
	c := m.NewChecker(check.NewEnv(ix))
	c.Check(rec, r)
	c.Finish(r)
	return summarize(got)
}

// TestDecodeMVTRecord checks records the way MVT writes them: the message columns,
// then phone_number, isodate, isodate_read, direction, links; text "" for NULL and
// attributedBody in base64 (MVT does not decode it).
func TestDecodeMVTRecord(t *testing.T) {
	body := base64.StdEncoding.EncodeToString(fixture.AttributedBody(
		"ALERT: Apple detected a targeted mercenary spyware attack against your iPhone. https://akhbar-almasdar.example/9k2Lp"))
	tests := []struct {
		name   string
		record string
		index  *ioc.Index
		want   []alertSummary
	}{
		{"link", `{"ROWID": 7, "guid": "6C1D9E62-3A51-4B8C-9B3E-0F5A7D2C4E19", "text": "Your parcel https://akhbar-almasdar.example/9k2Lp",
			"handle_id": 3, "service": "SMS", "date": 795172013000000000, "date_read": 0, "is_from_me": 0,
			"attributedBody": null, "phone_number": "+971555019311", "isodate": "2026-03-14 09:26:53.000000",
			"isodate_read": "", "direction": "received", "links": ["https://akhbar-almasdar.example/9k2Lp"]}`,
			moduletest.Index("domains", "akhbar-almasdar.example"), []alertSummary{{"ioc/domain", "CRITICAL",
				`Found a known suspicious domain "https://akhbar-almasdar.example/9k2Lp" (through "akhbar-almasdar.example") in an SMS received from +971555019311 on 2026-03-14, matching indicator "akhbar-almasdar.example" from "Test Spyware" (test.stix2)`,
				"2026-03-14 09:26:53"}}},
		{"link_without_links_key", `{"ROWID": 7, "text": "Your parcel https://akhbar-almasdar.example/9k2Lp", "service": "SMS",
			"is_from_me": 0, "phone_number": "+971555019311", "isodate": "2026-03-14 09:26:53.000000", "isodate_read": "",
			"direction": "received"}`,
			moduletest.Index("urls", "https://akhbar-almasdar.example/9k2Lp"), []alertSummary{{"ioc/url", "CRITICAL",
				`Found a known suspicious URL "https://akhbar-almasdar.example/9k2Lp" in an SMS received from +971555019311 on 2026-03-14, matching indicator "https://akhbar-almasdar.example/9k2Lp" from "Test Spyware" (test.stix2)`,
				"2026-03-14 09:26:53"}}},
		{"apple_id_sender", `{"ROWID": 8, "text": "hi", "service": "iMessage", "is_from_me": 0,
			"phone_number": "Bogaard.Lisa803@gmail.com", "isodate": "2026-03-14 09:26:53.000000", "isodate_read": 0,
			"direction": "received", "links": []}`,
			moduletest.Index("emails", "bogaard.lisa803@gmail.com"), []alertSummary{{"ioc/email", "CRITICAL",
				`Found a known suspicious e-mail address "Bogaard.Lisa803@gmail.com" in an iMessage received from Bogaard.Lisa803@gmail.com on 2026-03-14, matching indicator "bogaard.lisa803@gmail.com" from "Test Spyware" (test.stix2)`,
				"2026-03-14 09:26:53"}}},
		{"threat_notification_in_attributed_body", `{"ROWID": 9, "text": "", "attributedBody": "` + body + `",
			"service": "iMessage", "date": 795172013000000000, "is_from_me": 0, "phone_number": "threat-notifications@apple.com",
			"isodate": "2026-03-14 09:26:53.000000", "isodate_read": "", "direction": "received", "links": []}`,
			moduletest.Index("urls", "https://akhbar-almasdar.example/9k2Lp"), []alertSummary{
				{"ioc/url", "CRITICAL", `Found a known suspicious URL "https://akhbar-almasdar.example/9k2Lp" in an iMessage received from threat-notifications@apple.com on 2026-03-14, matching indicator "https://akhbar-almasdar.example/9k2Lp" from "Test Spyware" (test.stix2)`,
					"2026-03-14 09:26:53"},
				{"sms/threat-notification", "HIGH",
					"Apple's threat notification (mercenary spyware attack) received from threat-notifications@apple.com on 2026-03-14", "2026-03-14 09:26:53"}}},
		{"sent_copy_by_direction", `{"text": "ALERT: State-sponsored attackers may be targeting your iPhone", "service": "SMS",
			"phone_number": "+41791110000", "isodate": "2026-03-14 09:26:53.000000", "direction": "sent"}`,
			nil, []alertSummary{{"sms/threat-notification", "LOW",
				"A message sent to +41791110000 on 2026-03-14 quotes Apple's threat notification", "2026-03-14 09:26:53"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, checkJSON(t, sms.New(), tt.index, tt.record)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRowRefusesMalformedJSON checks that a record that is not well-formed JSON is
// refused whole. The walk trusted the grammar: it used to read the first case (a fuzz
// finding, through check-iocs' decoding) as a row whose value "h" became a number that
// cannot be written, so its alert could not be written either.
func TestRowRefusesMalformedJSON(t *testing.T) {
	for _, data := range []string{
		`{"isodate":"""":h "":/evil.example", "links": ["https://evil.example"]}`,
		`{"a":1 "b":2}`, `{"a":h}`, `{"a":tru}`, `{"a":nul}`, `{"a":[1,}`, `{"a":{"b"}}`, `{"a":"x}`, `{"a":1}x`, `{"a":01}`, "\v{}", "\u00a0{}",
		`{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":1e+}`, `{"a":.5}`, `{"a":+1}`, `{"a":0x1}`, `{"a":Infinity}`, `{"a":1_0}`,
	} {
		var row sms.Row
		if err := row.UnmarshalJSON([]byte(data)); err == nil {
			t.Errorf("UnmarshalJSON(%s) = %v, want an error", data, row)
		}
		if rec, err := sms.New().DecodeRecord([]byte(data)); err == nil {
			t.Errorf("DecodeRecord(%s) = %+v, want an error", data, rec)
		}
	}
}

// FuzzRow checks the hand-written walk of Row.UnmarshalJSON: no input crashes it, every
// JSON object is read and every other input refused, and a row marshals back to JSON
// that reads as the same object.
func FuzzRow(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x\"y","c":[1,{"d":"}"}],"e":null,"f":true,"g":-1.5e3}`, `{"a":`, `{"a" 1}`, `{,}`, `[1]`, `{"\u00e9":"\ud83d\ude00"}`, `{"a":-0.5E+2,"b":0,"c":-0,"d":1e400,"e":123456789012345678901234567890}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var row sms.Row
		err := row.UnmarshalJSON(data)
		lead := bytes.TrimLeft(data, " \t\r\n")
		if !json.Valid(data) || len(lead) == 0 || lead[0] != '{' {
			if err == nil {
				t.Fatalf("%q is not a JSON object, read as %v", data, row)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid object %q: %v", data, err)
		}
		out, err := json.Marshal(row)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var obj map[string]any
		if json.Unmarshal(data, &obj) != nil {
			return // a number no float64 holds (1e400): kept as written, compared no further
		}
		var back map[string]any
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("row of %q marshals to invalid %q", data, out)
		}
		a, _ := json.Marshal(obj)
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Fatalf("%q read back as %q", a, b)
		}
	})
}
