package whatsappcontacts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/whatsappcontacts"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2025, 9, 3, 13, 46, 40, 0, time.UTC)
	t1 = t0.Add(36 * time.Hour)
	t2 = t0.Add(10 * 24 * time.Hour)
)

func run(t *testing.T, specs ...fixture.WhatsAppContactsSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	for _, spec := range specs {
		if err := fixture.AddWhatsAppContacts(b, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), nil, whatsappcontacts.New())
}

// two is Alice, with a LID and a 7-day timer, and Bob, without LID or timer.
func two() fixture.WhatsAppContactsSpec {
	return fixture.WhatsAppContactsSpec{Contacts: []fixture.WhatsAppContact{
		{WhatsAppID: "14155550100@s.whatsapp.net", LID: "100000000000001@lid", PhoneNumber: "+14155550100",
			LocalizedPhoneNumber: "+1 (415) 555-0100", FullName: "Alice Example", GivenName: "Alice", LastName: "Example",
			AboutText: "Busy", AboutEmoji: "☕", DisappearingDuration: fixture.WhatsAppTimer7d, DisappearingSet: t1,
			AboutSet: t0, AboutExpires: t2, LastUpdated: t1, PhoneStatus: 1, SyncPolicy: 2},
		{WhatsAppID: "14155550101@s.whatsapp.net", PhoneNumber: "+14155550101", BusinessName: "Bob's Bikes",
			Notes: "met at the fair", LastUpdated: t0},
	}}
}

func TestRecords(t *testing.T) {
	t.Parallel()
	o := run(t, two())
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
	}
	want := []map[string]any{
		{"row_pk": 1.0, "whatsapp_id": "14155550100@s.whatsapp.net", "lid": "100000000000001@lid", "phone_number": "+14155550100",
			"localized_phone_number": "+1 (415) 555-0100", "full_name": "Alice Example", "given_name": "Alice", "last_name": "Example",
			"user_name": nil, "business_name": nil, "about_text": "Busy", "about_emoji": "☕", "notes": nil,
			"disappearing_mode_duration": 604800.0, "disappearing_mode_timestamp": "2025-09-05 01:46:40.000000",
			"about_timestamp": "2025-09-03 13:46:40.000000", "about_expiration_timestamp": "2025-09-13 13:46:40.000000",
			"last_updated": "2025-09-05 01:46:40.000000", "phone_status": 1.0, "sync_policy": 2.0,
			"disappearing_mode_is_on": true, "disappearing_mode_label": "7 days", "app": "net.whatsapp.WhatsApp"},
		{"row_pk": 2.0, "whatsapp_id": "14155550101@s.whatsapp.net", "lid": nil, "phone_number": "+14155550101",
			"localized_phone_number": nil, "full_name": nil, "given_name": nil, "last_name": nil,
			"user_name": nil, "business_name": "Bob's Bikes", "about_text": nil, "about_emoji": nil, "notes": "met at the fair",
			"disappearing_mode_duration": 0.0, "disappearing_mode_timestamp": nil,
			"about_timestamp": nil, "about_expiration_timestamp": nil,
			"last_updated": "2025-09-03 13:46:40.000000", "phone_status": 0.0, "sync_policy": 0.0,
			"disappearing_mode_is_on": false, "disappearing_mode_label": "off", "app": "net.whatsapp.WhatsApp"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	timeline := []string{
		`"2025-09-03 13:46:40.000000","WhatsappContacts","about_changed","WhatsApp about text of 14155550100@s.whatsapp.net (Alice Example) changed to ""Busy"""`,
		`"2025-09-03 13:46:40.000000","WhatsappContacts","contact_last_updated","WhatsApp contact record for 14155550101@s.whatsapp.net updated"`,
		`"2025-09-05 01:46:40.000000","WhatsappContacts","contact_last_updated","WhatsApp contact record for 14155550100@s.whatsapp.net (Alice Example) updated"`,
		`"2025-09-05 01:46:40.000000","WhatsappContacts","disappearing_mode_set","WhatsApp disappearing messages timer set to '7 days' for 14155550100@s.whatsapp.net (Alice Example)"`,
		`"2025-09-13 13:46:40.000000","WhatsappContacts","about_expiration","WhatsApp about text of 14155550100@s.whatsapp.net (Alice Example) scheduled to expire"`,
	}
	if diff := cmp.Diff(timeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestLegacyLayout(t *testing.T) {
	t.Parallel()
	spec := two()
	spec.Schema = fixture.WhatsAppContactsLegacy
	o := run(t, spec)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
	}
	got := moduletest.Project(o.List(t), "whatsapp_id", "lid", "user_name", "phone_status", "disappearing_mode_duration",
		"disappearing_mode_timestamp", "disappearing_mode_is_on", "disappearing_mode_label", "about_expiration_timestamp", "about_timestamp")
	want := []map[string]any{
		{"whatsapp_id": "14155550100@s.whatsapp.net", "lid": nil, "user_name": nil, "phone_status": 1.0,
			"disappearing_mode_duration": nil, "disappearing_mode_timestamp": nil, "disappearing_mode_is_on": nil,
			"disappearing_mode_label": nil, "about_expiration_timestamp": nil, "about_timestamp": "2025-09-03 13:46:40.000000"},
		{"whatsapp_id": "14155550101@s.whatsapp.net", "lid": nil, "user_name": nil, "phone_status": 0.0,
			"disappearing_mode_duration": nil, "disappearing_mode_timestamp": nil, "disappearing_mode_is_on": nil,
			"disappearing_mode_label": nil, "about_expiration_timestamp": nil, "about_timestamp": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestBlobTextAndOddValues(t *testing.T) {
	t.Parallel()
	spec := fixture.WhatsAppContactsSpec{BlobText: true, Contacts: []fixture.WhatsAppContact{
		{ID: 7, WhatsAppID: "41791234567@s.whatsapp.net", FullName: "Zoë \xff", UserName: "zoe", DisappearingDuration: 3600.5},
		{ID: 9, LID: "200000000000002@lid", DisappearingDuration: fixture.WhatsAppTimer90d, DisappearingSet: t0},
	}}
	o := run(t, spec)
	got := moduletest.Project(o.List(t), "row_pk", "whatsapp_id", "full_name", "user_name", "disappearing_mode_label", "disappearing_mode_is_on")
	want := []map[string]any{
		{"row_pk": 7.0, "whatsapp_id": "41791234567@s.whatsapp.net", "full_name": `Zoë \xff`, "user_name": "zoe",
			"disappearing_mode_label": "3600 seconds", "disappearing_mode_is_on": true},
		{"row_pk": 9.0, "whatsapp_id": nil, "full_name": nil, "user_name": nil, "disappearing_mode_label": "90 days", "disappearing_mode_is_on": true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{`"2025-09-03 13:46:40.000000","WhatsappContacts","disappearing_mode_set","WhatsApp disappearing messages timer set to '90 days' for 200000000000002@lid"`}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestWALOnlyAndBusiness(t *testing.T) {
	t.Parallel()
	spec := two()
	spec.Contacts[1].WAL = true
	business := fixture.WhatsAppContactsSpec{Business: true, Contacts: []fixture.WhatsAppContact{
		{WhatsAppID: "41795550199@s.whatsapp.net", PhoneNumber: "+41795550199", FullName: "Client One"},
	}}
	o := run(t, business, spec)
	if o.Status.State != module.OK || len(o.Status.Files) == 0 {
		t.Fatalf("status %+v, want ok", o.Status)
	}
	got := moduletest.Project(o.List(t), "whatsapp_id", "app")
	want := []map[string]any{
		{"whatsapp_id": "14155550100@s.whatsapp.net", "app": "net.whatsapp.WhatsApp"},
		{"whatsapp_id": "14155550101@s.whatsapp.net", "app": "net.whatsapp.WhatsApp"},
		{"whatsapp_id": "41795550199@s.whatsapp.net", "app": "net.whatsapp.WhatsAppSMB"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
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
		if err := fixture.AddWhatsAppContacts(b, fixture.SampleWhatsAppContacts(fixture.Epoch, 800, 1)); err != nil {
			t.Fatal(err)
		}
		d := b.Lookup(whatsappcontacts.Domain, fixture.WhatsAppContactsPath).Content
		return d[:len(d)/3]
	}
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		state  module.State
		reason string
	}{
		{"absent", nil, module.Skipped, "not in this acquisition"},
		{"not_sqlite", func(*testing.T) []byte { return []byte("SQLite format 2\x00garbage") }, module.Failed, "not a SQLite database"},
		{"truncated", truncated, module.Failed, "malformed"},
		{"no_contacts_table", build("CREATE TABLE ZWAPROFILEPUSHNAME (Z_PK INTEGER PRIMARY KEY, ZJID VARCHAR);"), module.Failed, "no ZWAADDRESSBOOKCONTACT table"},
		{"unknown_layout", build("CREATE TABLE ZWAADDRESSBOOKCONTACT (Z_PK INTEGER PRIMARY KEY, ZSOMETHING BLOB);"), module.Failed, "unknown layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				b.AddFile(whatsappcontacts.Domain, fixture.WhatsAppContactsPath, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, whatsappcontacts.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestOneBadDatabaseOfTwo(t *testing.T) {
	t.Parallel()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddWhatsAppContacts(b, two()); err != nil {
		t.Fatal(err)
	}
	b.AddFile(whatsappcontacts.BusinessDomain, fixture.WhatsAppContactsPath, []byte("not a database at all, just text"))
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, whatsappcontacts.New())
	if o.Status.State != module.Partial || o.Status.Records != 2 || len(o.Status.Problems) != 1 {
		t.Errorf("status %+v, want partial with 2 records and 1 problem", o.Status)
	}
}

func TestDurationLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{
		0: "off", 86400: "24 hours", 604800: "7 days", 1209600: "14 days", 2592000: "30 days", 7776000: "90 days",
		3600: "3600 seconds", 86400.9: "24 hours", -5: "-5 seconds", 1e300: "1e+300 seconds",
	} {
		if got := whatsappcontacts.DurationLabel(in); got != want {
			t.Errorf("DurationLabel(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestSample(t *testing.T) {
	t.Parallel()
	spec := fixture.SampleWhatsAppContacts(fixture.Epoch, 60, 3)
	if diff := cmp.Diff(spec, fixture.SampleWhatsAppContacts(fixture.Epoch, 60, 3)); diff != "" {
		t.Fatalf("sample is not deterministic:\n%s", diff)
	}
	o := run(t, spec)
	if o.Status.State != module.OK || o.Status.Records != 60 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, %d alerts; want ok, 60 records, no alert", o.Status, len(o.Alerts))
	}
	on := 0
	for _, r := range o.List(t) {
		if r["disappearing_mode_is_on"] == true {
			on++
		}
	}
	if on == 0 || on > 20 {
		t.Errorf("%d contacts with disappearing messages on, want a few", on)
	}
}
