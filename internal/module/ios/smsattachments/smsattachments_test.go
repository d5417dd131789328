package smsattachments_test

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
	"github.com/spytrace/spytrace/internal/module/ios/smsattachments"
	"github.com/spytrace/spytrace/internal/module/moduletest"

	_ "modernc.org/sqlite" // to read the fixture's schema
)

var at = fixture.Epoch // 2026-03-14 09:26:53 UTC

const photo = "~/Library/SMS/Attachments/0a/10/5D2C41A0-7B7E-4E43-9C55-0B1F6D2E3A11/IMG_4821.HEIC"

// withAttachments is a small sms.db: a photo received from a phone number, a PDF sent
// to an Apple ID, and an attachment that was never downloaded (no file name) nor joined
// to a message.
func withAttachments(schema string) fixture.SMSSpec {
	return fixture.SMSSpec{
		Schema: schema,
		Handles: []fixture.SMSHandle{
			{ROWID: 1, ID: "+41791110000", Service: "SMS"},
			{ROWID: 2, ID: "anna.keller@icloud.com"},
		},
		Chats: []fixture.SMSChat{
			{ROWID: 1, Identifier: "+41791110000", Service: "SMS", Handles: []int64{1}},
			{ROWID: 2, Identifier: "anna.keller@icloud.com", Handles: []int64{2}},
		},
		Messages: []fixture.SMSMessage{
			{ROWID: 1, Handle: 1, Chat: 1, Text: "\ufffc", Date: at.Add(-3 * time.Hour)},
			{ROWID: 2, Handle: 2, Chat: 2, Text: "\ufffcthe draft", FromMe: true, Date: at.Add(-2 * time.Hour)},
		},
		Attachments: []fixture.SMSAttachment{
			{ROWID: 1, GUID: "5D2C41A0-7B7E-4E43-9C55-0B1F6D2E3A11", Message: 1, Filename: photo, MIMEType: "image/heic", UTI: "public.heic",
				Created: at.Add(-3 * time.Hour), TotalBytes: 1_204_511, UserInfo: []byte("bplist00")},
			{ROWID: 2, GUID: "A1B2C3D4-0000-4000-8000-000000000002", Message: 2, Filename: "~/Library/SMS/Attachments/1f/15/A1B2C3D4-0000-4000-8000-000000000002/draft.pdf",
				MIMEType: "application/pdf", UTI: "com.adobe.pdf", Outgoing: true, Created: at.Add(-2 * time.Hour), TotalBytes: 88_200},
			{ROWID: 3, GUID: "A1B2C3D4-0000-4000-8000-000000000003", TransferName: "voice.caf", Created: at.Add(-time.Hour)},
		},
	}
}

func run(t *testing.T, spec fixture.SMSSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, at)
	if err := fixture.AddSMS(b, spec); err != nil {
		t.Fatal(err)
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, smsattachments.New())
}

func TestRecords(t *testing.T) {
	o := run(t, withAttachments(fixture.SMSIOS16), nil)
	if o.Status.State != module.OK || o.Status.Records != 3 {
		t.Fatalf("status %+v, want ok with 3 records", o.Status)
	}
	got := moduletest.Project(o.ExactList(t), "attachment_id", "ROWID", "guid", "created_date", "start_date", "filename", "transfer_name", "mime_type",
		"is_outgoing", "user_info", "total_bytes", "service", "phone_number", "isodate", "direction", "has_user_info", "message_id")
	want := []map[string]any{
		{"attachment_id": json.Number("1"), "ROWID": json.Number("1"), "guid": "5D2C41A0-7B7E-4E43-9C55-0B1F6D2E3A11",
			"created_date": json.Number("795162413"), "start_date": "2026-03-14 06:26:53.000000", "filename": photo, "transfer_name": "IMG_4821.HEIC",
			"mime_type": "image/heic", "is_outgoing": json.Number("0"), "user_info": "YnBsaXN0MDA=", "total_bytes": json.Number("1204511"),
			"service": "SMS", "phone_number": "+41791110000", "isodate": "2026-03-14 06:26:53.000000", "direction": "received",
			"has_user_info": true, "message_id": json.Number("1")},
		{"attachment_id": json.Number("2"), "ROWID": json.Number("2"), "guid": "A1B2C3D4-0000-4000-8000-000000000002",
			"created_date": json.Number("795166013"), "start_date": "2026-03-14 07:26:53.000000",
			"filename": "~/Library/SMS/Attachments/1f/15/A1B2C3D4-0000-4000-8000-000000000002/draft.pdf", "transfer_name": "draft.pdf",
			"mime_type": "application/pdf", "is_outgoing": json.Number("1"), "user_info": nil, "total_bytes": json.Number("88200"),
			"service": "iMessage", "phone_number": "anna.keller@icloud.com", "isodate": "2026-03-14 07:26:53.000000", "direction": "sent",
			"has_user_info": false, "message_id": json.Number("2")},
		{"attachment_id": json.Number("3"), "ROWID": json.Number("3"), "guid": "A1B2C3D4-0000-4000-8000-000000000003",
			"created_date": json.Number("795169613"), "start_date": "2026-03-14 08:26:53.000000", "filename": "NULL", "transfer_name": "voice.caf",
			"mime_type": nil, "is_outgoing": json.Number("0"), "user_info": nil, "total_bytes": json.Number("0"),
			"service": "Unknown", "phone_number": "", "isodate": "2026-03-14 08:26:53.000000", "direction": "received",
			"has_user_info": false, "message_id": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2026-03-14 06:26:53.000000","SMSAttachments","sms_attachment","` + photo + ` received from +41791110000"`,
		`"2026-03-14 07:26:53.000000","SMSAttachments","sms_attachment","~/Library/SMS/Attachments/1f/15/A1B2C3D4-0000-4000-8000-000000000002/draft.pdf sent to anna.keller@icloud.com"`,
		`"2026-03-14 08:26:53.000000","SMSAttachments","sms_attachment","NULL received from unknown"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline mismatch (-want +got):\n%s", diff)
	}
}

// TestSchemaVariants checks every layout: same records, and every column of the
// attachment table in order between attachment_id and the derived keys.
func TestSchemaVariants(t *testing.T) {
	for _, schema := range []string{fixture.SMSIOS9, fixture.SMSIOS11, fixture.SMSIOS16} {
		t.Run(schema, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, at)
			if err := fixture.AddSMS(b, withAttachments(schema)); err != nil {
				t.Fatal(err)
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, smsattachments.New())
			if o.Status.State != module.OK || o.Status.Records != 3 {
				t.Fatalf("status %+v, want ok with 3 records", o.Status)
			}
			want := append([]string{"attachment_id"}, tableColumns(t, b, "attachment")...)
			want = append(want, "service", "phone_number", "isodate", "direction", "has_user_info", "message_id")
			if diff := cmp.Diff(want, firstKeys(t, o.RecordsJSON)); diff != "" {
				t.Errorf("keys mismatch (-want +got):\n%s", diff)
			}
			got := moduletest.Project(o.ExactList(t), "filename", "isodate", "direction", "phone_number", "service")
			wantRecs := []map[string]any{
				{"filename": photo, "isodate": "2026-03-14 06:26:53.000000", "direction": "received", "phone_number": "+41791110000", "service": "SMS"},
				{"filename": "~/Library/SMS/Attachments/1f/15/A1B2C3D4-0000-4000-8000-000000000002/draft.pdf", "isodate": "2026-03-14 07:26:53.000000",
					"direction": "sent", "phone_number": "anna.keller@icloud.com", "service": "iMessage"},
				{"filename": "NULL", "isodate": "2026-03-14 08:26:53.000000", "direction": "received", "phone_number": "", "service": "Unknown"},
			}
			if diff := cmp.Diff(wantRecs, got); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
			roundTrip(t, smsattachments.New(), o.RecordsJSON)
		})
	}
}

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

func firstKeys(t *testing.T, data []byte) []string {
	t.Helper()
	var recs []json.RawMessage
	if err := json.Unmarshal(data, &recs); err != nil || len(recs) == 0 {
		t.Fatalf("records: %v (%d)", err, len(recs))
	}
	dec := json.NewDecoder(bytes.NewReader(recs[0]))
	dec.Token() // {
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestWALOnly reads an attachment, its message and its sender that exist only in
// sms.db-wal.
func TestWALOnly(t *testing.T) {
	spec := withAttachments(fixture.SMSIOS16)
	spec.Handles = append(spec.Handles, fixture.SMSHandle{ROWID: 3, ID: "+41790000003", WALOnly: true})
	spec.Messages = append(spec.Messages, fixture.SMSMessage{ROWID: 3, Handle: 3, Text: "\ufffc", Date: at, WALOnly: true})
	spec.Attachments = append(spec.Attachments, fixture.SMSAttachment{ROWID: 4, Message: 3, Filename: "~/Library/SMS/Attachments/33/03/X/scan.jpeg",
		Created: at, WALOnly: true})
	o := run(t, spec, nil)
	if o.Status.State != module.OK || o.Status.Records != 4 {
		t.Fatalf("status %+v, want ok with 4 records", o.Status)
	}
	got := moduletest.Project(o.ExactList(t)[3:], "attachment_id", "filename", "phone_number", "message_id")
	want := []map[string]any{{"attachment_id": json.Number("4"), "filename": "~/Library/SMS/Attachments/33/03/X/scan.jpeg",
		"phone_number": "+41790000003", "message_id": json.Number("3")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WAL record mismatch (-want +got):\n%s", diff)
	}
}

func TestStates(t *testing.T) {
	sample := func() []byte {
		b := fixture.NewBackup(fixture.DefaultDevice, at)
		spec := fixture.SampleSMS(at, 2000, 5)
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
		reason string
		count  int
	}{
		{"absent", func(*fixture.Backup) error { return nil }, module.Skipped, "not in this acquisition", 0},
		{"empty_tables", func(b *fixture.Backup) error { return fixture.AddSMS(b, fixture.SMSSpec{Schema: fixture.SMSIOS11}) }, module.OK, "", 0},
		{"not_sqlite", func(b *fixture.Backup) error {
			b.AddFile(fixture.SMSDomain, fixture.SMSPath, []byte("SQLite format 2\x00 but not really"))
			return nil
		}, module.Failed, "not a SQLite database", 0},
		{"truncated", func(b *fixture.Backup) error {
			b.AddFile(fixture.SMSDomain, fixture.SMSPath, sample[:len(sample)/4])
			return nil
		}, module.Failed, "malformed", 0},
		{"no_attachment_table", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.SMSDomain, fixture.SMSPath, fixture.SQLite{SQL: "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, address TEXT, text TEXT);"})
		}, module.Skipped, "no attachment table", 0},
		{"attachment_table_alone", func(b *fixture.Backup) error {
			return b.AddSQLite(fixture.SMSDomain, fixture.SMSPath, fixture.SQLite{SQL: "CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY, guid TEXT, created_date INTEGER, filename TEXT, is_outgoing INTEGER);" +
				"INSERT INTO attachment VALUES (1, 'g', 795162413, '/var/tmp/x-1', 0);"})
		}, module.OK, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, at)
			if err := tt.build(b); err != nil {
				t.Fatal(err)
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, smsattachments.New())
			if o.Status.State != tt.state || !strings.Contains(o.Status.Reason, tt.reason) || o.Status.Records != tt.count {
				t.Errorf("status %q (%s), %d records; want %q with a reason containing %q, %d records",
					o.Status.State, o.Status.Reason, o.Status.Records, tt.state, tt.reason, tt.count)
			}
		})
	}
}

type alertSummary struct{ Check, Level, Message, Time string }

func TestChecks(t *testing.T) {
	received := func(filename string, outgoing bool) func() fixture.SMSSpec {
		return func() fixture.SMSSpec {
			s := withAttachments(fixture.SMSIOS16)
			s.Attachments[0].Filename, s.Attachments[0].Outgoing = filename, outgoing
			return s
		}
	}
	planted := func() fixture.SMSSpec {
		s := withAttachments(fixture.SMSIOS16)
		fixture.PlantSuspiciousAttachment(&s, at)
		return s
	}
	const plantedPath = "/var/tmp/com.apple.messages/78DDE6C4-0004-4000-8000-000000000004-1"
	tests := []struct {
		name  string
		spec  func() fixture.SMSSpec
		index *ioc.Index
		want  []alertSummary
	}{
		{"suspicious_attachment", planted, nil, []alertSummary{{"sms_attachments/suspicious-attachment", "MEDIUM",
			"Suspicious iMessage attachment " + plantedPath + " from linakeller2203@gmail.com on 2026-03-14", "2026-03-14 09:26:53"}}},
		{"suspicious_attachment_private_var", received("/private/var/tmp/com.apple.messages/x.gif-1", false), nil, []alertSummary{{
			"sms_attachments/suspicious-attachment", "MEDIUM",
			"Suspicious iMessage attachment /private/var/tmp/com.apple.messages/x.gif-1 from +41791110000 on 2026-03-14", "2026-03-14 06:26:53"}}},
		{"temp_attachment_sent", received("/var/tmp/com.apple.messages/x.gif-1", true), nil, nil},
		{"temp_attachment_other_suffix", received("/var/tmp/com.apple.messages/x.gif-10", false), nil, nil},
		{"normal_folder_with_suffix", received("~/Library/SMS/Attachments/0a/10/X/x.gif-1", false), nil, nil},
		{"file_name_indicator", planted, moduletest.Index("file_names", "78DDE6C4-0004-4000-8000-000000000004-1"), []alertSummary{
			{"ioc/file_name", "HIGH", `Found a known suspicious file name "` + plantedPath + `" (through "78DDE6C4-0004-4000-8000-000000000004-1") in an attachment received from linakeller2203@gmail.com on 2026-03-14, matching indicator "78DDE6C4-0004-4000-8000-000000000004-1" from "Test Spyware" (test.stix2)`, "2026-03-14 09:26:53"},
			{"sms_attachments/suspicious-attachment", "MEDIUM", "Suspicious iMessage attachment " + plantedPath + " from linakeller2203@gmail.com on 2026-03-14", "2026-03-14 09:26:53"},
		}},
		{"file_path_indicator_home", received(photo, false), moduletest.Index("file_paths", "/private/var/mobile/Library/SMS/Attachments/0a/10"), []alertSummary{
			{"ioc/file_path", "HIGH", `Found a known suspicious file path "/private/var/mobile/Library/SMS/Attachments/0a/10/5D2C41A0-7B7E-4E43-9C55-0B1F6D2E3A11/IMG_4821.HEIC" (through "/private/var/mobile/Library/SMS/Attachments/0a/10") in an attachment received from +41791110000 on 2026-03-14, matching indicator "/private/var/mobile/Library/SMS/Attachments/0a/10" from "Test Spyware" (test.stix2)`, "2026-03-14 06:26:53"}}},
		{"file_path_indicator_boundary", received(photo, false), moduletest.Index("file_paths", "/private/var/mobile/Library/SMS/Attachments/0a/1"), nil},
		{"file_name_indicator_other", received(photo, false), moduletest.Index("file_names", "IMG_4822.HEIC"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, tt.spec(), tt.index)
			if o.Status.State != module.OK {
				t.Fatalf("status %+v", o.Status)
			}
			var got []alertSummary
			for _, a := range o.Alerts {
				got = append(got, alertSummary{a.Check, a.Level.String(), a.Message, a.EventTime.Format("2006-01-02 15:04:05")})
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %q lacks an explanation", a.Check)
				}
				if _, ok := a.Event.(*smsattachments.Attachment); !ok {
					t.Errorf("alert event is %T, want *smsattachments.Attachment", a.Event)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("alerts mismatch (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tt.index, smsattachments.New())
		})
	}
}

// TestSample runs the module over the demo's innocent sample: no alert.
func TestSample(t *testing.T) {
	spec := fixture.SampleSMS(at, 3000, 11)
	o := run(t, spec, nil)
	if o.Status.State != module.OK || o.Status.Records != len(spec.Attachments) || len(spec.Attachments) == 0 {
		t.Fatalf("status %+v, want ok with %d records", o.Status, len(spec.Attachments))
	}
	if len(o.Alerts) != 0 {
		t.Errorf("%d alerts on the innocent sample, first: %s", len(o.Alerts), o.Alerts[0].Message)
	}
}

// TestRoundTrip reads back every record of the sample and checks that it marshals to
// the same JSON.
func TestRoundTrip(t *testing.T) {
	o := run(t, fixture.SampleSMS(at, 1000, 11), nil)
	roundTrip(t, smsattachments.New(), o.RecordsJSON)
	moduletest.Reload(t, o, nil, smsattachments.New())
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

// TestDecodeMVTRecord checks records the way MVT writes them: attachment_id, the
// attachment columns (start_date as a date, filename "NULL" when NULL, blobs in
// base64), then service, phone_number, isodate, direction and has_user_info.
func TestDecodeMVTRecord(t *testing.T) {
	const tmp = "/var/tmp/com.apple.messages/78DDE6C4-0004-4000-8000-000000000004-1"
	record := func(filename string, outgoing int, direction string) string {
		return `{"attachment_id": 4, "ROWID": 4, "guid": "78DDE6C4-0004-4000-8000-000000000004", "created_date": 795172013,
			"start_date": "2001-01-01 00:00:00.000000", "filename": "` + filename + `", "uti": "public.jpeg",
			"mime_type": "image/jpeg", "transfer_state": 5, "is_outgoing": ` + fmt.Sprint(outgoing) + `,
			"user_info": "YnBsaXN0MDA=", "transfer_name": "x.jpg", "total_bytes": 5120,
			"service": "iMessage", "phone_number": "linakeller2203@gmail.com", "isodate": "2026-03-14 09:26:53.000000",
			"direction": "` + direction + `", "has_user_info": true}`
	}
	suspicious := alertSummary{"sms_attachments/suspicious-attachment", "MEDIUM",
		"Suspicious iMessage attachment " + tmp + " from linakeller2203@gmail.com on 2026-03-14", "2026-03-14 09:26:53"}
	tests := []struct {
		name   string
		record string
		index  *ioc.Index
		want   []alertSummary
	}{
		{"suspicious_attachment", record(tmp, 0, "received"), nil, []alertSummary{suspicious}},
		{"sent_is_not_suspicious", record(tmp, 1, "sent"), nil, nil},
		{"direction_only", strings.Replace(record(tmp, 0, "sent"), `"is_outgoing": 0,`, "", 1), nil, nil},
		{"file_name_indicator", record(tmp, 0, "received"), moduletest.Index("file_names", "78DDE6C4-0004-4000-8000-000000000004-1"), []alertSummary{
			{"ioc/file_name", "HIGH", `Found a known suspicious file name "` + tmp + `" (through "78DDE6C4-0004-4000-8000-000000000004-1") in an attachment received from linakeller2203@gmail.com on 2026-03-14, matching indicator "78DDE6C4-0004-4000-8000-000000000004-1" from "Test Spyware" (test.stix2)`, "2026-03-14 09:26:53"},
			suspicious}},
		{"home_path_indicator", record(photo, 0, "received"), moduletest.Index("file_paths", "/private/var/mobile/Library/SMS/Attachments/0a/10"), []alertSummary{
			{"ioc/file_path", "HIGH", `Found a known suspicious file path "/private/var/mobile/Library/SMS/Attachments/0a/10/5D2C41A0-7B7E-4E43-9C55-0B1F6D2E3A11/IMG_4821.HEIC" (through "/private/var/mobile/Library/SMS/Attachments/0a/10") in an attachment received from linakeller2203@gmail.com on 2026-03-14, matching indicator "/private/var/mobile/Library/SMS/Attachments/0a/10" from "Test Spyware" (test.stix2)`, "2026-03-14 09:26:53"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := smsattachments.New()
			rec, err := m.DecodeRecord([]byte(tt.record))
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			var got []alertSummary
			r := check.NewReporter(smsattachments.Name, func(a alert.Alert) {
				got = append(got, alertSummary{a.Check, a.Level.String(), a.Message, a.EventTime.Format("2006-01-02 15:04:05")})
			})
			c := m.NewChecker(check.NewEnv(tt.index))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
