package interactionc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/interactionc"
	"github.com/spytrace/spytrace/internal/module/ios/whatsappcontacts"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2025, 9, 3, 13, 46, 40, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
	t2 = t0.Add(48 * time.Hour)
	tc = t0.Add(2 * time.Hour) // the call
)

const attacker = "bogaardlisa803@gmail.com"

// run builds a backup with interactionC.db from spec and, when contacts is not nil,
// ContactsV2.sqlite, and runs interaction_c after whatsapp_contacts.
func run(t *testing.T, spec fixture.InteractionCSpec, contacts *fixture.WhatsAppContactsSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddInteractionC(b, spec); err != nil {
		t.Fatal(err)
	}
	if contacts != nil {
		if err := fixture.AddWhatsAppContacts(b, *contacts); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, interactionc.New(), whatsappcontacts.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		v := ""
		if a.Indicator != nil {
			v = " " + a.Indicator.Value
		}
		out = append(out, fmt.Sprintf("%s %s %s%s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339), v))
	}
	return out
}

// own keeps the timeline rows of InteractionC.
func own(rows []string) []string {
	out := []string{}
	for _, r := range rows {
		if strings.Contains(r, `,"InteractionC",`) {
			out = append(out, r)
		}
	}
	return out
}

// alice is the WhatsApp contact known by a LID in interactionC.db.
func alice() *fixture.WhatsAppContactsSpec {
	return &fixture.WhatsAppContactsSpec{Contacts: []fixture.WhatsAppContact{
		{WhatsAppID: "14155550100@s.whatsapp.net", LID: "100000000000001@lid", PhoneNumber: "+14155550100", FullName: "Alice Example"},
	}}
}

// four is an SMS from Bob with a text attachment whose record was created 90 days
// late, a WhatsApp message from Alice's LID, a WhatsApp message sent to Alice in a
// group, and a call from Bob.
func four(layout string) fixture.InteractionCSpec {
	return fixture.InteractionCSpec{
		Schema: layout,
		Contacts: []fixture.InteractionCContact{
			{ID: 1, Identifier: "+41791234567"},
			{ID: 2, DisplayName: "Bob Example", Identifier: "+14155550101", PersonID: "ABC-1", IncomingSenderCount: 2,
				Created: t0, FirstIncomingSender: t0, LastIncomingSender: tc},
			{ID: 3, Identifier: "100000000000001@lid"},
			{ID: 4, Identifier: "+14155550100", CustomIdentifier: "14155550100@s.whatsapp.net", OutgoingRecipientCount: 1,
				FirstOutgoingRecipient: t2, LastOutgoingRecipient: t2},
		},
		Attachments: []fixture.InteractionCAttachment{
			{ID: 1, ContentText: "See you at 6", UTI: "public.plain-text", Identifier: []byte{0xab, 0xcd}, PhotoLocalID: "9F2C/L0/001", CloudID: "c-1"},
		},
		Interactions: []fixture.InteractionCInteraction{
			{ID: 1, Sender: 2, Attachments: []int64{1}, Start: t0, End: t0, Created: t0.Add(90 * 24 * time.Hour),
				BundleID: "com.apple.MobileSMS", Account: "E:reporter@icloud.com", Direction: fixture.InteractionIncoming,
				Mechanism: fixture.InteractionMechanismMessage},
			{ID: 2, Sender: 3, Recipients: []int64{1}, Start: t1, End: t1, Created: t1,
				BundleID: "net.whatsapp.WhatsApp", TargetBundleID: "net.whatsapp.WhatsApp.Intents", Direction: fixture.InteractionIncoming,
				DomainIdentifier: "100000000000001@lid", Mechanism: fixture.InteractionMechanismMessage},
			{ID: 3, Recipients: []int64{4}, Start: t2, End: t2, Created: t2.Add(time.Second),
				BundleID: "net.whatsapp.WhatsApp", Direction: fixture.InteractionOutgoing, DomainIdentifier: "14155550100@s.whatsapp.net",
				GroupName: "Family", DerivedIntentIdentifier: "INSendMessageIntent", IsResponse: true, LocationUUID: "5E1D-77",
				Mechanism: fixture.InteractionMechanismMessage},
			{ID: 4, Sender: 2, Recipients: []int64{1}, Start: tc, End: tc.Add(5 * time.Minute), Created: tc,
				BundleID: "com.apple.InCallService", Direction: fixture.InteractionIncoming, Mechanism: fixture.InteractionMechanismCall},
		},
	}
}

var keys = []string{"start_date", "end_date", "bundle_id", "account", "target_bundle_id", "direction",
	"sender_display_name", "sender_identifier", "sender_personid", "recipient_display_name", "recipient_identifier",
	"recipient_personid", "recipient_count", "domain_identifier", "is_response", "content", "uti", "attachment_content_url",
	"size", "photo_local_id", "attachment_id", "cloud_id", "incoming_recipient_count", "incoming_sender_count",
	"outgoing_recipient_count", "interactions_creation_date", "contacts_creation_date", "first_incoming_recipient_date",
	"first_incoming_sender_date", "first_outgoing_recipient_date", "last_incoming_sender_date", "last_incoming_recipient_date",
	"last_outgoing_recipient_date", "custom_id", "interaction_content_url", "location_uuid", "group_name", "derivied_intent_id",
	"table_id", "mechanism"}

// rec returns a record with every key null except those of set.
func rec(set map[string]any) map[string]any {
	m := map[string]any{}
	for _, k := range keys {
		m[k] = nil
	}
	for k, v := range set {
		m[k] = v
	}
	return m
}

func TestCurrentLayout(t *testing.T) {
	t.Parallel()
	o := run(t, four(""), alice(), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
	}
	zeroCounts := map[string]any{"incoming_recipient_count": 0.0, "incoming_sender_count": 0.0, "outgoing_recipient_count": 0.0}
	with := func(a, b map[string]any) map[string]any {
		for k, v := range b {
			a[k] = v
		}
		return a
	}
	bob := map[string]any{"sender_display_name": "Bob Example", "sender_identifier": "+14155550101", "sender_personid": "ABC-1",
		"incoming_recipient_count": 0.0, "incoming_sender_count": 2.0, "outgoing_recipient_count": 0.0,
		"contacts_creation_date": "2025-09-03 13:46:40.000000", "first_incoming_sender_date": "2025-09-03 13:46:40.000000",
		"last_incoming_sender_date": "2025-09-03 15:46:40.000000"}
	self := map[string]any{"recipient_identifier": "+41791234567"}
	want := []map[string]any{
		rec(with(map[string]any{"start_date": "2025-09-03 13:46:40.000000", "end_date": "2025-09-03 13:46:40.000000",
			"bundle_id": "com.apple.MobileSMS", "account": "E:reporter@icloud.com", "direction": "INCOMING",
			"recipient_count": 0.0, "is_response": 0.0, "content": "See you at 6", "uti": "public.plain-text", "size": 0.0,
			"photo_local_id": "9F2C/L0/001", "attachment_id": "ABCD", "cloud_id": "c-1",
			"interactions_creation_date": "2025-12-02 13:46:40.000000", "table_id": 1.0, "mechanism": 4.0}, bob)),
		with(rec(with(map[string]any{"start_date": "2025-09-04 13:46:40.000000", "end_date": "2025-09-04 13:46:40.000000",
			"bundle_id": "net.whatsapp.WhatsApp", "target_bundle_id": "net.whatsapp.WhatsApp.Intents", "direction": "INCOMING",
			"sender_identifier": "100000000000001@lid", "recipient_count": 1.0, "domain_identifier": "100000000000001@lid",
			"is_response": 0.0, "interactions_creation_date": "2025-09-04 13:46:40.000000", "table_id": 2.0, "mechanism": 4.0},
			with(zeroCounts, self))), map[string]any{
			"sender_resolved_phone_number": "+14155550100", "sender_resolved_name": "Alice Example",
			"recipient_resolved_phone_number": nil, "recipient_resolved_name": nil,
			"domain_resolved_phone_number": "+14155550100", "domain_resolved_name": "Alice Example"}),
		with(rec(map[string]any{"start_date": "2025-09-05 13:46:40.000000", "end_date": "2025-09-05 13:46:40.000000",
			"bundle_id": "net.whatsapp.WhatsApp", "direction": "OUTGOING", "recipient_identifier": "+14155550100",
			"recipient_count": 1.0, "domain_identifier": "14155550100@s.whatsapp.net", "is_response": 1.0,
			"interactions_creation_date": "2025-09-05 13:46:41.000000", "location_uuid": "5E1D-77", "group_name": "Family",
			"derivied_intent_id": "INSendMessageIntent", "table_id": 3.0, "mechanism": 4.0}), map[string]any{
			"sender_resolved_phone_number": nil, "sender_resolved_name": nil,
			"recipient_resolved_phone_number": "+14155550100", "recipient_resolved_name": "Alice Example",
			"domain_resolved_phone_number": "+14155550100", "domain_resolved_name": "Alice Example"}),
		rec(with(with(map[string]any{"start_date": "2025-09-03 15:46:40.000000", "end_date": "2025-09-03 15:51:40.000000",
			"bundle_id": "com.apple.InCallService", "direction": "INCOMING", "recipient_count": 1.0, "is_response": 0.0,
			"interactions_creation_date": "2025-09-03 15:46:40.000000", "table_id": 4.0, "mechanism": 1.0}, bob), self)),
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	timeline := []string{
		`"2025-09-03 13:46:40.000000","InteractionC","contacts_creation_date","Contact Bob Example (+14155550101) first recorded in interactionC"`,
		`"2025-09-03 13:46:40.000000","InteractionC","first_incoming_sender_date","First incoming interaction from Bob Example (+14155550101)"`,
		`"2025-09-03 13:46:40.000000","InteractionC","start_date","[com.apple.MobileSMS] E:reporter@icloud.com INCOMING from Bob Example (+14155550101) to local user: See you at 6"`,
		`"2025-09-03 15:46:40.000000","InteractionC","last_incoming_sender_date","Last incoming interaction from Bob Example (+14155550101)"`,
		`"2025-09-03 15:46:40.000000","InteractionC","start_date","[com.apple.InCallService] INCOMING from Bob Example (+14155550101) to +41791234567"`,
		`"2025-09-03 15:51:40.000000","InteractionC","end_date","[com.apple.InCallService] INCOMING from Bob Example (+14155550101) to +41791234567"`,
		`"2025-09-04 13:46:40.000000","InteractionC","start_date","[net.whatsapp.WhatsApp] INCOMING from Alice Example (+14155550100) to +41791234567"`,
		`"2025-09-05 13:46:40.000000","InteractionC","start_date","[net.whatsapp.WhatsApp] OUTGOING from local user to Alice Example (+14155550100) (group: Family)"`,
		`"2025-12-02 13:46:40.000000","InteractionC","interactions_creation_date","Interaction record created 90 days after the event: [com.apple.MobileSMS] E:reporter@icloud.com INCOMING from Bob Example (+14155550101) to local user: See you at 6"`,
	}
	if diff := cmp.Diff(timeline, own(o.Timeline)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.URLs) != 0 {
		t.Errorf("alerts %v, urls %v; want none", summary(o.Alerts), o.URLs)
	}
}

func TestOlderLayouts(t *testing.T) {
	t.Parallel()
	project := []string{"table_id", "bundle_id", "target_bundle_id", "sender_identifier", "recipient_identifier", "content",
		"photo_local_id", "attachment_id", "group_name", "derivied_intent_id", "mechanism", "sender_resolved_name"}
	tests := []struct {
		layout string
		want   []map[string]any
	}{
		{fixture.InteractionCNoGroups, []map[string]any{
			{"table_id": 1.0, "bundle_id": "com.apple.MobileSMS", "target_bundle_id": nil, "sender_identifier": "+14155550101",
				"recipient_identifier": nil, "content": "See you at 6", "photo_local_id": nil, "attachment_id": "ABCD",
				"group_name": nil, "derivied_intent_id": nil, "mechanism": 4.0},
			{"table_id": 2.0, "bundle_id": "net.whatsapp.WhatsApp", "target_bundle_id": "net.whatsapp.WhatsApp.Intents",
				"sender_identifier": "100000000000001@lid", "recipient_identifier": "+41791234567", "content": nil, "photo_local_id": nil,
				"attachment_id": nil, "group_name": nil, "derivied_intent_id": nil, "mechanism": 4.0, "sender_resolved_name": "Alice Example"},
			{"table_id": 3.0, "bundle_id": "net.whatsapp.WhatsApp", "target_bundle_id": nil, "sender_identifier": nil,
				"recipient_identifier": "+14155550100", "content": nil, "photo_local_id": nil, "attachment_id": nil,
				"group_name": nil, "derivied_intent_id": nil, "mechanism": 4.0, "sender_resolved_name": nil},
			{"table_id": 4.0, "bundle_id": "com.apple.InCallService", "target_bundle_id": nil, "sender_identifier": "+14155550101",
				"recipient_identifier": "+41791234567", "content": nil, "photo_local_id": nil, "attachment_id": nil,
				"group_name": nil, "derivied_intent_id": nil, "mechanism": 1.0},
		}},
		{fixture.InteractionCNoAttachments, []map[string]any{
			{"table_id": 1.0, "bundle_id": "com.apple.MobileSMS", "target_bundle_id": nil, "sender_identifier": "+14155550101",
				"recipient_identifier": nil, "content": nil, "photo_local_id": nil, "attachment_id": nil,
				"group_name": nil, "derivied_intent_id": nil, "mechanism": 4.0},
			{"table_id": 2.0, "bundle_id": "net.whatsapp.WhatsApp", "target_bundle_id": nil,
				"sender_identifier": "100000000000001@lid", "recipient_identifier": nil, "content": nil, "photo_local_id": nil,
				"attachment_id": nil, "group_name": nil, "derivied_intent_id": nil, "mechanism": 4.0, "sender_resolved_name": "Alice Example"},
			{"table_id": 3.0, "bundle_id": "net.whatsapp.WhatsApp", "target_bundle_id": nil, "sender_identifier": nil,
				"recipient_identifier": nil, "content": nil, "photo_local_id": nil, "attachment_id": nil,
				"group_name": nil, "derivied_intent_id": nil, "mechanism": 4.0, "sender_resolved_name": nil},
			{"table_id": 4.0, "bundle_id": "com.apple.InCallService", "target_bundle_id": nil, "sender_identifier": "+14155550101",
				"recipient_identifier": nil, "content": nil, "photo_local_id": nil, "attachment_id": nil,
				"group_name": nil, "derivied_intent_id": nil, "mechanism": 1.0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.layout, func(t *testing.T) {
			t.Parallel()
			o := run(t, four(tc.layout), alice(), nil)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
			}
			recs := o.List(t)
			if diff := cmp.Diff(tc.want, moduletest.Project(recs, project...)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			for i, r := range recs {
				for _, k := range keys {
					if _, ok := r[k]; !ok {
						t.Errorf("record %d has no key %q", i, k)
					}
				}
			}
			// Alice is resolved from the recipient (nogroups) or, without the recipient
			// table, from the chat (noattachments).
			wantRow := `"2025-09-05 13:46:40.000000","InteractionC","start_date","[net.whatsapp.WhatsApp] OUTGOING from local user to Alice Example (+14155550100)"`
			if !strings.Contains(strings.Join(o.Timeline, "\n"), wantRow) {
				t.Errorf("timeline lacks %s:\n%s", wantRow, strings.Join(own(o.Timeline), "\n"))
			}
		})
	}
}

func TestWithoutWhatsAppContacts(t *testing.T) {
	t.Parallel()
	o := run(t, four(""), nil, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
	}
	got := moduletest.Project(o.List(t)[1:3], "sender_resolved_phone_number", "sender_resolved_name", "recipient_resolved_phone_number",
		"recipient_resolved_name", "domain_resolved_phone_number", "domain_resolved_name")
	want := []map[string]any{
		{"sender_resolved_phone_number": nil, "sender_resolved_name": nil, "recipient_resolved_phone_number": nil,
			"recipient_resolved_name": nil, "domain_resolved_phone_number": nil, "domain_resolved_name": nil},
		{"sender_resolved_phone_number": nil, "sender_resolved_name": nil, "recipient_resolved_phone_number": nil,
			"recipient_resolved_name": nil, "domain_resolved_phone_number": "+14155550100", "domain_resolved_name": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolution (-want +got):\n%s", diff)
	}
	tl := strings.Join(own(o.Timeline), "\n")
	for _, s := range []string{
		`"[net.whatsapp.WhatsApp] INCOMING from 100000000000001@lid to +41791234567"`,
		`"[net.whatsapp.WhatsApp] OUTGOING from local user to +14155550100 (group: Family)"`,
	} {
		if !strings.Contains(tl, s) {
			t.Errorf("timeline lacks %s:\n%s", s, tl)
		}
	}
}

func TestBusinessResolution(t *testing.T) {
	t.Parallel()
	spec := four("")
	spec.Interactions[1].BundleID = "net.whatsapp.WhatsAppSMB"
	contacts := alice()
	business := fixture.WhatsAppContactsSpec{Business: true, Contacts: []fixture.WhatsAppContact{
		{WhatsAppID: "14155550100@s.whatsapp.net", LID: "100000000000001@lid", PhoneNumber: "+14155550100", FullName: "Alice (client)"},
	}}
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	for _, err := range []error{fixture.AddInteractionC(b, spec), fixture.AddWhatsAppContacts(b, *contacts), fixture.AddWhatsAppContacts(b, business)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, interactionc.New(), whatsappcontacts.New())
	got := moduletest.Project(o.List(t), "bundle_id", "sender_resolved_name", "recipient_resolved_name")
	want := []map[string]any{
		{"bundle_id": "com.apple.MobileSMS"},
		{"bundle_id": "net.whatsapp.WhatsAppSMB", "sender_resolved_name": "Alice (client)", "recipient_resolved_name": nil},
		{"bundle_id": "net.whatsapp.WhatsApp", "sender_resolved_name": nil, "recipient_resolved_name": "Alice Example"},
		{"bundle_id": "com.apple.InCallService"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestJoinRowsAndWAL(t *testing.T) {
	t.Parallel()
	spec := fixture.InteractionCSpec{
		Contacts: []fixture.InteractionCContact{{ID: 1, Identifier: "+41791234567"}, {ID: 2, DisplayName: "Lea", Identifier: "+41795550111"},
			{ID: 3, DisplayName: "Tim", Identifier: "+41795550122", WAL: true}},
		Attachments: []fixture.InteractionCAttachment{{ID: 1, UTI: "public.jpeg"}, {ID: 2, UTI: "public.png"}},
		Interactions: []fixture.InteractionCInteraction{
			{ID: 1, Recipients: []int64{3, 2}, Attachments: []int64{2, 1}, Start: t0, BundleID: "com.apple.MobileSMS", Direction: fixture.InteractionOutgoing},
			{ID: 2, Sender: 3, Recipients: []int64{1}, Start: t1, BundleID: "com.apple.MobileSMS", WAL: true},
		},
	}
	o := run(t, spec, nil, nil)
	got := moduletest.Project(o.List(t), "table_id", "uti", "recipient_display_name", "sender_display_name")
	want := []map[string]any{
		{"table_id": 1.0, "uti": "public.jpeg", "recipient_display_name": "Lea", "sender_display_name": nil},
		{"table_id": 1.0, "uti": "public.jpeg", "recipient_display_name": "Tim", "sender_display_name": nil},
		{"table_id": 1.0, "uti": "public.png", "recipient_display_name": "Lea", "sender_display_name": nil},
		{"table_id": 1.0, "uti": "public.png", "recipient_display_name": "Tim", "sender_display_name": nil},
		{"table_id": 2.0, "uti": nil, "recipient_display_name": nil, "sender_display_name": "Tim"},
	}
	if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s; records (-want +got):\n%s", o.Status.State, diff)
	}
	// One start_date per interaction and recipient: the attachments repeat the same event.
	wantTL := []string{
		`"2025-09-03 13:46:40.000000","InteractionC","start_date","[com.apple.MobileSMS] OUTGOING from local user to Lea (+41795550111)"`,
		`"2025-09-03 13:46:40.000000","InteractionC","start_date","[com.apple.MobileSMS] OUTGOING from local user to Tim (+41795550122)"`,
		`"2025-09-04 13:46:40.000000","InteractionC","start_date","[com.apple.MobileSMS] INCOMING from Tim (+41795550122) to +41791234567"`,
	}
	if diff := cmp.Diff(wantTL, own(o.Timeline)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// TestRenumberedJoinTables reads a database whose Core Data entities are numbered
// differently, so that the join tables and their columns have other names.
func TestRenumberedJoinTables(t *testing.T) {
	t.Parallel()
	sql := `CREATE TABLE ZINTERACTIONS (Z_PK INTEGER PRIMARY KEY, ZSENDER INTEGER, ZSTARTDATE REAL, ZBUNDLEID TEXT, ZDIRECTION INTEGER);
CREATE TABLE ZCONTACTS (Z_PK INTEGER PRIMARY KEY, ZDISPLAYNAME TEXT, ZIDENTIFIER TEXT);
CREATE TABLE ZATTACHMENT (Z_PK INTEGER PRIMARY KEY, ZCONTENTURL TEXT);
CREATE TABLE Z_4KEYWORDS (Z_4INTERACTIONS INTEGER, Z_7KEYWORDS INTEGER);
CREATE TABLE Z_5INTERACTIONS (Z_5ATTACHMENTS INTEGER, Z_7INTERACTIONS INTEGER);
CREATE TABLE Z_6INTERACTIONRECIPIENT (Z_6RECIPIENTS INTEGER, Z_7INTERACTIONRECIPIENT INTEGER);
INSERT INTO ZCONTACTS VALUES (1, 'Lea', '+41795550111'), (2, NULL, 'x@example.org');
INSERT INTO ZATTACHMENT VALUES (1, 'https://news.example/a');
INSERT INTO ZINTERACTIONS VALUES (1, 2, 778600000, 'com.apple.MobileSMS', 0);
INSERT INTO Z_5INTERACTIONS VALUES (1, 1);
INSERT INTO Z_6INTERACTIONRECIPIENT VALUES (1, 1);`
	data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: sql})
	if err != nil {
		t.Fatal(err)
	}
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile(fixture.InteractionCDomain, fixture.InteractionCPath, data)
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, interactionc.New(), whatsappcontacts.New())
	got := moduletest.Project(o.List(t), "start_date", "sender_identifier", "recipient_display_name", "attachment_content_url", "direction")
	want := []map[string]any{{"start_date": "2025-09-03 13:46:40.000000", "sender_identifier": "x@example.org",
		"recipient_display_name": "Lea", "attachment_content_url": "https://news.example/a", "direction": "INCOMING"}}
	if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s (%s); records (-want +got):\n%s", o.Status.State, o.Status.Reason, diff)
	}
}

func TestOddValues(t *testing.T) {
	t.Parallel()
	sql := `CREATE TABLE ZINTERACTIONS (Z_PK INTEGER PRIMARY KEY, ZSTARTDATE REAL, ZENDDATE REAL, ZCREATIONDATE REAL, ZBUNDLEID TEXT, ZDIRECTION INTEGER, ZRECIPIENTCOUNT INTEGER);
INSERT INTO ZINTERACTIONS VALUES (1, 'soon', 1e300, 778600000, X'6E6574', 2, 'many');
INSERT INTO ZINTERACTIONS VALUES (2, NULL, NULL, 778600000, 'net.whatsapp.WhatsApp', '1', 3);`
	data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: sql})
	if err != nil {
		t.Fatal(err)
	}
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile(fixture.InteractionCDomain, fixture.InteractionCPath, data)
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, interactionc.New(), whatsappcontacts.New())
	got := moduletest.Project(o.List(t), "start_date", "end_date", "bundle_id", "direction", "recipient_count", "sender_identifier",
		"sender_resolved_phone_number")
	want := []map[string]any{
		{"start_date": nil, "end_date": nil, "bundle_id": "net", "direction": "2", "recipient_count": nil, "sender_identifier": nil},
		{"start_date": nil, "end_date": nil, "bundle_id": "net.whatsapp.WhatsApp", "direction": "OUTGOING", "recipient_count": 3.0,
			"sender_identifier": nil, "sender_resolved_phone_number": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s (%s); records (-want +got):\n%s", o.Status.State, o.Status.Reason, diff)
	}
	// Without a start date the creation date is the only anchor.
	wantTL := []string{
		`"2025-09-03 13:46:40.000000","InteractionC","interactions_creation_date","[net.whatsapp.WhatsApp] OUTGOING from local user to unknown"`,
		`"2025-09-03 13:46:40.000000","InteractionC","interactions_creation_date","[net] 2 from unknown to unknown"`,
	}
	if diff := cmp.Diff(wantTL, own(o.Timeline)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestUnreadable(t *testing.T) {
	t.Parallel()
	build := func(sql string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: sql})
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	truncated := func(t *testing.T) []byte {
		b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
		if err := fixture.AddInteractionC(b, fixture.SampleInteractionC(fixture.Epoch, 1500, 1)); err != nil {
			t.Fatal(err)
		}
		d := b.Lookup(fixture.InteractionCDomain, fixture.InteractionCPath).Content
		return d[:len(d)/3]
	}
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		state  module.State
		reason string
	}{
		{"absent", nil, module.Skipped, "not in this acquisition"},
		{"not_sqlite", func(*testing.T) []byte { return []byte("\x00\x01garbage") }, module.Failed, "not a SQLite database"},
		{"truncated", truncated, module.Failed, "malformed"},
		{"no_interactions_table", build("CREATE TABLE ZCONTACTS (Z_PK INTEGER PRIMARY KEY, ZIDENTIFIER TEXT);"), module.Failed, "no ZINTERACTIONS table"},
		{"unknown_layout", build("CREATE TABLE ZINTERACTIONS (Z_PK INTEGER PRIMARY KEY, ZWHATEVER TEXT);"), module.Failed, "unknown layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				b.AddFile(fixture.InteractionCDomain, fixture.InteractionCPath, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, interactionc.New(), whatsappcontacts.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	t.Parallel()
	fromEmail := four("")
	fixture.PlantInteractionFromEmail(&fromEmail, attacker, t1)
	toEmail := four("")
	toEmail.Contacts = append(toEmail.Contacts, fixture.InteractionCContact{ID: 9, Identifier: "mailto:" + strings.ToUpper(attacker)})
	toEmail.Interactions[2].Recipients = []int64{4, 9}
	link := four("")
	fixture.PlantInteractionLink(&link, "https://bit.ly/3xAmple?id=77", t1)
	contentURL := four(fixture.InteractionCNoAttachments)
	contentURL.Interactions[0].ContentURL = "https://lnkd.example-cdn.net/x/41"
	fileURL := four("")
	fileURL.Interactions[0].ContentURL = "file:///var/mobile/Media/DCIM/evil.example/IMG_1.JPG"
	textLink := four("")
	textLink.Attachments[0].ContentText = "look at this www.evil.example/p?q=1 now"
	jid := four("")

	tests := []struct {
		name string
		spec fixture.InteractionCSpec
		ix   *ioc.Index
		want []string
	}{
		{"sender_email", fromEmail, moduletest.Index("emails", attacker), []string{"CRITICAL ioc/email 2025-09-04T13:46:40Z " + attacker}},
		{"recipient_email_once_per_interaction", toEmail, moduletest.Index("emails", attacker), []string{"CRITICAL ioc/email 2025-09-05T13:46:40Z " + attacker}},
		{"attachment_url", link, moduletest.Index("urls", "https://bit.ly/3xAmple?id=77"), []string{"CRITICAL ioc/url 2025-09-04T13:46:40Z https://bit.ly/3xAmple?id=77"}},
		{"attachment_domain", link, moduletest.Index("domains", "bit.ly"), []string{"CRITICAL ioc/domain 2025-09-04T13:46:40Z bit.ly"}},
		{"interaction_content_url", contentURL, moduletest.Index("domains", "example-cdn.net"), []string{"CRITICAL ioc/domain 2025-09-03T13:46:40Z example-cdn.net"}},
		{"link_in_content", textLink, moduletest.Index("domains", "evil.example"), []string{"CRITICAL ioc/domain 2025-09-03T13:46:40Z evil.example"}},
		// False positives.
		{"similar_email", fromEmail, moduletest.Index("emails", "bogaardlisa80@gmail.com", "domains", "gmail.co"), nil},
		{"no_indicators", fromEmail, nil, nil},
		{"file_url_not_a_link", fileURL, moduletest.Index("domains", "evil.example"), nil},
		{"whatsapp_ids_are_not_emails", jid, moduletest.Index("emails", "100000000000001@lid", "emails", "14155550100@s.whatsapp.net"), nil},
		{"other_domain", link, moduletest.Index("domains", "bit.lyx", "urls", "https://bit.ly/3xOther"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.spec, alice(), tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, interactionc.New())
		})
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	spec := four("")
	fixture.PlantInteractionLink(&spec, "https://bit.ly/3xAmple?id=77", t1)
	spec.Interactions[0].ContentURL = "file:///private/var/mobile/Library/SMS/Attachments/a.jpg"
	spec.Interactions[1].ContentURL = "https://wa.me/14155550100"
	spec.Attachments[0].ContentText = "https://wa.me/14155550100 and https://www.srf.ch/news"
	o := run(t, spec, alice(), nil)
	want := []map[string]any{
		{"url": "https://wa.me/14155550100", "expanded_url": nil, "timestamp": "2025-09-03 13:46:40.000000", "source": "interaction_c", "shortened": false},
		{"url": "https://www.srf.ch/news", "expanded_url": nil, "timestamp": "2025-09-03 13:46:40.000000", "source": "interaction_c", "shortened": false},
		{"url": "https://wa.me/14155550100", "expanded_url": nil, "timestamp": "2025-09-04 13:46:40.000000", "source": "interaction_c", "shortened": false},
		{"url": "https://bit.ly/3xAmple?id=77", "expanded_url": nil, "timestamp": "2025-09-04 13:46:40.000000", "source": "interaction_c", "shortened": true},
	}
	if diff := cmp.Diff(want, o.URLs); diff != "" {
		t.Errorf("urls.json (-want +got):\n%s", diff)
	}
}

// TestSampleAndPlants checks that the sample raises nothing, even with the planted
// traces' indicators loaded, and that each plant raises exactly its alert.
func TestSampleAndPlants(t *testing.T) {
	t.Parallel()
	now := fixture.Epoch
	spec := fixture.SampleInteractionC(now, 400, 7)
	if diff := cmp.Diff(spec, fixture.SampleInteractionC(now, 400, 7)); diff != "" {
		t.Fatalf("sample is not deterministic:\n%s", diff)
	}
	contacts := fixture.SampleWhatsAppContacts(now, 40, 7)
	ix := moduletest.Index("emails", attacker, "urls", "https://bit.ly/3xAmple?id=77")
	clean := run(t, spec, &contacts, ix)
	if clean.Status.State != module.OK || len(clean.Alerts) != 0 {
		t.Fatalf("clean sample: status %+v, alerts %v", clean.Status, summary(clean.Alerts))
	}
	resolved := 0
	for _, r := range clean.List(t) {
		if r["sender_resolved_name"] != nil {
			resolved++
		}
	}
	if resolved == 0 {
		t.Error("no WhatsApp sender of the sample is resolved against the sample contacts")
	}

	at := now.Add(-10 * 24 * time.Hour)
	fixture.PlantInteractionFromEmail(&spec, attacker, at)
	fixture.PlantInteractionLink(&spec, "https://bit.ly/3xAmple?id=77", at.Add(time.Minute))
	id := fixture.PlantWhatsAppInteraction(&spec, &contacts, "123456789012345", "+41795550199", "Nora Planted", at.Add(2*time.Minute))
	o := run(t, spec, &contacts, ix)
	want := []string{
		"CRITICAL ioc/email 2026-03-04T09:26:53Z " + attacker,
		"CRITICAL ioc/url 2026-03-04T09:27:53Z https://bit.ly/3xAmple?id=77",
	}
	if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, interactionc.New())
	var found bool
	for _, r := range o.List(t) {
		if r["table_id"] == float64(id) {
			found = true
			if r["sender_resolved_phone_number"] != "+41795550199" || r["sender_resolved_name"] != "Nora Planted" {
				t.Errorf("planted WhatsApp interaction resolved to %v, %v", r["sender_resolved_phone_number"], r["sender_resolved_name"])
			}
		}
	}
	if !found {
		t.Errorf("planted WhatsApp interaction %d not found", id)
	}
}

// TestDecodeMVTRecord checks the checks on interactions as MVT writes them with its
// fallback queries for older layouts: direction as ZDIRECTION's number, dates copied as
// text when they are text ("0"), no attachment columns.
func TestDecodeMVTRecord(t *testing.T) {
	t.Parallel()
	const record = `{"start_date": "2025-09-04 13:46:40.000000", "end_date": "2025-09-04 13:46:40.000000",
		"bundle_id": "com.apple.MobileSMS", "sender_display_name": "Lisa", "sender_identifier": "mailto:BogaardLisa803@gmail.com",
		"sender_personid": null, "direction": 0, "is_response": 0, "mechanism": 1, "recipient_count": 1,
		"interactions_creation_date": "2025-09-04 13:46:41.000000", "contacts_creation_date": "2025-09-04 13:46:41.000000",
		"first_incoming_recipient_date": null, "first_incoming_sender_date": "2025-09-04 13:46:40.000000",
		"first_outgoing_recipient_date": null, "last_incoming_sender_date": "2025-09-04 13:46:40.000000",
		"last_incoming_recipient_date": "0", "last_outgoing_recipient_date": null, "account": "e:me@example.org",
		"domain_identifier": "chat42", "incoming_recipient_count": 0, "incoming_sender_count": 1, "outgoing_recipient_count": 0,
		"custom_id": null, "interaction_content_url": "https://lnkd.example-cdn.net/x/41", "location_uuid": null, "table_id": 17}`
	m := interactionc.New()
	rec, err := m.DecodeRecord([]byte(record))
	if err != nil {
		t.Fatal(err)
	}
	var got []alert.Alert
	r := check.NewReporter(interactionc.Name, func(a alert.Alert) { got = append(got, a) })
	c := m.NewChecker(check.NewEnv(moduletest.Index("emails", attacker, "domains", "example-cdn.net")))
	c.Check(rec, r)
	c.Check(rec, r) // the same interaction again: reported once
	c.Finish(r)
	want := []string{
		"CRITICAL ioc/email 2025-09-04T13:46:40Z " + attacker,
		"CRITICAL ioc/domain 2025-09-04T13:46:40Z example-cdn.net",
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Fatalf("alerts (-want +got):\n%s", diff)
	}
	for _, a := range got {
		if !strings.Contains(a.Message, "[com.apple.MobileSMS] e:me@example.org INCOMING from Lisa (mailto:BogaardLisa803@gmail.com) to chat42") {
			t.Errorf("message %q does not describe the interaction", a.Message)
		}
	}
	if ev := got[0].Event.(*interactionc.Record); !ev.LastIncomingRecipientDate.IsZero() || ev.ContactsCreationDate.IsZero() {
		t.Errorf("dates: last_incoming_recipient_date %v, contacts_creation_date %v", ev.LastIncomingRecipientDate, ev.ContactsCreationDate)
	}
}
