package contacts_test

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
	"github.com/spytrace/spytrace/internal/module/ios/contacts"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2025, 11, 2, 8, 30, 0, 0, time.UTC)
	t1 = t0.Add(36 * time.Hour)
)

const (
	attacker = "bogaardlisa803@gmail.com"
	badURL   = "https://bun54l2b67.get1tn0w.free247downloads.com:30495/szev4hz"
)

func run(t *testing.T, spec fixture.ContactsSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddContacts(b, spec); err != nil {
		t.Fatal(err)
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, contacts.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s %s", a.Level, a.Check, a.Indicator.Value, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

// twoContacts is a person with a mobile number, an e-mail address, a web page and a
// postal address, and a company with a custom-labelled number.
func twoContacts(schema string) fixture.ContactsSpec {
	return fixture.ContactsSpec{Schema: schema, Contacts: []fixture.Contact{
		{ID: 1, First: "Anna", Middle: "Lea", Last: "Meier", Organization: "SRF", Created: t0, Modified: t1, Values: []fixture.ContactValue{
			{UID: 11, Property: fixture.ContactPhone, Label: fixture.ContactLabelMobile, Value: "+41 79 123 45 67"},
			{UID: 12, Property: fixture.ContactEmail, Label: fixture.ContactLabelWork, Value: "anna.meier@srf.ch"},
			{UID: 13, Property: fixture.ContactAddress, Label: fixture.ContactLabelHome, Entries: map[string]string{"City": "Zürich", "Street": "Langstrasse 1"}},
			{UID: 14, Property: fixture.ContactURL, Label: fixture.ContactLabelHomePage, Value: "https://example.ch/anna"},
		}},
		{ID: 2, Organization: "Taxi Zentrale", Created: t0, Modified: t0, Values: []fixture.ContactValue{
			{UID: 21, Property: fixture.ContactPhone, Label: "Night line", Value: "+41 44 444 44 44"},
		}},
	}}
}

func TestLayouts(t *testing.T) {
	anna := func(value, kind string, property float64, label string) map[string]any {
		return map[string]any{"value": value, "first": "Anna", "middle": "Lea", "last": "Meier", "organization": "SRF", "person_id": 1.0,
			"kind": kind, "property": property, "label": label,
			"creation_date": "2025-11-02 08:30:00.000000", "modification_date": "2025-11-03 20:30:00.000000"}
	}
	want := []map[string]any{
		anna("+41 79 123 45 67", "phone", 3, "Mobile"),
		anna("anna.meier@srf.ch", "email", 4, "Work"),
		anna("https://example.ch/anna", "url", 22, "HomePage"),
		{"value": "+41 44 444 44 44", "first": "", "middle": "", "last": "", "organization": "Taxi Zentrale", "person_id": 2.0,
			"kind": "phone", "property": 3.0, "label": "Night line",
			"creation_date": "2025-11-02 08:30:00.000000", "modification_date": "2025-11-02 08:30:00.000000"},
	}
	timeline := []string{
		`"2025-11-02 08:30:00.000000","Contacts","contact_created","Contact created: Anna Lea Meier (SRF)"`,
		`"2025-11-02 08:30:00.000000","Contacts","contact_created","Contact created: Taxi Zentrale"`,
		`"2025-11-03 20:30:00.000000","Contacts","contact_modified","Contact modified: Anna Lea Meier (SRF)"`,
	}
	urls := []map[string]any{{"url": "https://example.ch/anna", "timestamp": "2025-11-02 08:30:00.000000", "source": "contacts"}}
	for _, schema := range []string{fixture.ContactsRecent, fixture.ContactsLegacy} {
		t.Run(schema, func(t *testing.T) {
			o := run(t, twoContacts(schema), nil)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
			}
			if diff := cmp.Diff(want, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(timeline, o.Timeline); diff != "" {
				t.Errorf("timeline (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(urls, moduletest.Project(o.URLs, "url", "timestamp", "source")); diff != "" {
				t.Errorf("urls.json (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts %v, want none", summary(o.Alerts))
			}
		})
	}
}

// TestMinimalTables reads tables with only the columns MVT's query needs, and a value
// whose label points nowhere.
func TestMinimalTables(t *testing.T) {
	data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: `CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT, Last TEXT);
CREATE TABLE ABMultiValue (record_id INTEGER, label INTEGER, value TEXT);
INSERT INTO ABPerson VALUES (1, 'Noah', NULL), (2, NULL, NULL);
INSERT INTO ABMultiValue VALUES (1, 7, 'noah@example.org'), (1, NULL, 'https://noah.example.org/'), (2, NULL, '+41790000000'), (3, NULL, 'orphan'), (1, NULL, NULL);`})
	if err != nil {
		t.Fatal(err)
	}
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile(fixture.AddressBookDomain, fixture.AddressBookPath, data)
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), moduletest.Index("emails", "noah@example.org", "domains", "noah.example.org"), contacts.New())
	want := []map[string]any{
		{"value": "noah@example.org", "first": "Noah", "middle": "", "last": "", "organization": "", "person_id": 1.0, "label": "7",
			"creation_date": nil, "modification_date": nil},
		{"value": "https://noah.example.org/", "first": "Noah", "middle": "", "last": "", "organization": "", "person_id": 1.0,
			"creation_date": nil, "modification_date": nil},
		{"value": "+41790000000", "first": "", "middle": "", "last": "", "organization": "", "person_id": 2.0,
			"creation_date": nil, "modification_date": nil},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s (%s); records (-want +got):\n%s", o.Status.State, o.Status.Reason, diff)
	}
	// Without the property column, values are recognised by their shape.
	if diff := cmp.Diff([]string{"CRITICAL ioc/email noah@example.org 0001-01-01T00:00:00Z", "CRITICAL ioc/domain noah.example.org 0001-01-01T00:00:00Z"},
		summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 0 {
		t.Errorf("timeline %v, want none (no dates)", o.Timeline)
	}
	moduletest.Reload(t, o, moduletest.Index("emails", "noah@example.org", "domains", "noah.example.org"), contacts.New())
}

func TestWALOnlyRows(t *testing.T) {
	spec := twoContacts("")
	spec.Contacts[1].Values = append(spec.Contacts[1].Values, fixture.ContactValue{UID: 22, Property: fixture.ContactEmail, Value: "taxi@example.ch", WALOnly: true})
	spec.Contacts = append(spec.Contacts, fixture.Contact{ID: 3, First: "Elias", Created: t1, WALOnly: true,
		Values: []fixture.ContactValue{{UID: 31, Property: fixture.ContactPhone, Value: "+41 76 000 00 00"}}})
	o := run(t, spec, nil)
	var values []string
	for _, r := range o.List(t) {
		values = append(values, fmt.Sprint(r["value"]))
	}
	want := []string{"+41 79 123 45 67", "anna.meier@srf.ch", "https://example.ch/anna", "+41 44 444 44 44", "taxi@example.ch", "+41 76 000 00 00"}
	if diff := cmp.Diff(want, values); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s; values (-want +got):\n%s", o.Status.State, diff)
	}
}

func TestUnreadable(t *testing.T) {
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
		if err := fixture.AddContacts(b, fixture.SampleContacts(fixture.Epoch, 1500, 1)); err != nil {
			t.Fatal(err)
		}
		d := b.Lookup(fixture.AddressBookDomain, fixture.AddressBookPath).Content
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
		{"no_tables", build("CREATE TABLE ABStore (ROWID INTEGER PRIMARY KEY, Name TEXT);"), module.Failed, "not an address book"},
		{"no_person", build("CREATE TABLE ABMultiValue (record_id INTEGER, value TEXT);"), module.Failed, "no ABPerson table"},
		{"no_multivalue", build("CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT);"), module.Failed, "no ABMultiValue table"},
		{"no_value", build("CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY); CREATE TABLE ABMultiValue (record_id INTEGER, data BLOB);"), module.Failed, "no value column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				b.AddFile(fixture.AddressBookDomain, fixture.AddressBookPath, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, contacts.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	email := twoContacts("")
	fixture.PlantContactEmail(&email, attacker, t1)
	url := twoContacts("")
	fixture.PlantContactURL(&url, badURL, t1)
	// The attacker's address as a phone number's label or a URL's user does not count.
	decoy := twoContacts("")
	decoy.Contacts = append(decoy.Contacts, fixture.Contact{First: "X", Created: t1, Values: []fixture.ContactValue{
		{Property: fixture.ContactPhone, Label: attacker, Value: "+41 79 000 00 00"},
		{Property: fixture.ContactRelated, Value: attacker},
	}})
	at := t1.Format(time.RFC3339)
	tests := []struct {
		name string
		spec fixture.ContactsSpec
		ix   *ioc.Index
		want []string
	}{
		{"email", email, moduletest.Index("emails", attacker), []string{"CRITICAL ioc/email " + attacker + " " + at}},
		{"email_other_case", email, moduletest.Index("emails", strings.ToUpper(attacker)), []string{"CRITICAL ioc/email " + attacker + " " + at}},
		{"url", url, moduletest.Index("urls", badURL), []string{"CRITICAL ioc/url " + badURL + " " + at}},
		{"url_domain", url, moduletest.Index("domains", "free247downloads.com"), []string{"CRITICAL ioc/domain free247downloads.com " + at}},
		{"no_indicators", email, nil, nil},
		{"other_email", email, moduletest.Index("emails", "lisa803@gmail.com", "domains", "gmail.com"), nil},
		{"other_domain", url, moduletest.Index("domains", "downloads.com", "emails", attacker), nil},
		{"not_an_email_value", decoy, moduletest.Index("emails", attacker), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.spec, tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, contacts.New())
			for _, a := range o.Alerts {
				if !strings.Contains(a.Message, "in the address book (") {
					t.Errorf("message %q does not say where", a.Message)
				}
			}
		})
	}
}

// TestSampleAndPlant checks the fixture the demo builds on: the innocent sample raises
// nothing even with the demo's indicators; each plant raises exactly its alert.
func TestSampleAndPlant(t *testing.T) {
	ix := moduletest.Index("emails", fixture.DemoAttackerEmail, "domains", fixture.DemoPegasusDomain, "urls", fixture.DemoInfectionURL)
	clean := fixture.SampleContacts(fixture.Epoch, 200, 3)
	o := run(t, clean, ix)
	if o.Status.State != module.OK || o.Status.Records < 200 || len(o.Alerts) != 0 {
		t.Fatalf("clean sample: status %+v, alerts %v", o.Status, summary(o.Alerts))
	}
	if diff := cmp.Diff(clean, fixture.SampleContacts(fixture.Epoch, 200, 3)); diff != "" {
		t.Errorf("sample not deterministic:\n%s", diff)
	}
	at := fixture.DemoAttack.Add(-3 * 24 * time.Hour).Truncate(time.Second)
	fixture.PlantContactEmail(&clean, fixture.DemoAttackerEmail, at)
	fixture.PlantContactURL(&clean, fixture.DemoInfectionURL, at)
	o = run(t, clean, ix)
	want := []string{
		"CRITICAL ioc/email " + fixture.DemoAttackerEmail + " " + at.Format(time.RFC3339),
		"CRITICAL ioc/url " + fixture.DemoInfectionURL + " " + at.Format(time.RFC3339),
	}
	if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, contacts.New())
}

// TestDecodeMVTRecord checks the checks on address-book values as MVT writes them:
// value, first, middle, last and organization (null when absent), no property.
func TestDecodeMVTRecord(t *testing.T) {
	tests := []struct {
		name, record string
		want         []string
	}{
		{"email", `{"value": "BogaardLisa803@gmail.com", "first": "Lisa", "middle": null, "last": "Bogaard", "organization": null}`,
			[]string{"CRITICAL ioc/email " + attacker + " 0001-01-01T00:00:00Z"}},
		{"url", `{"value": "` + badURL + `", "first": null, "middle": null, "last": null, "organization": "Downloads"}`,
			[]string{"CRITICAL ioc/domain free247downloads.com 0001-01-01T00:00:00Z"}},
		{"phone", `{"value": "+41 79 123 45 67", "first": "Anna", "middle": "", "last": "Meier", "organization": "SRF"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := contacts.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(contacts.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(moduletest.Index("emails", attacker, "domains", "free247downloads.com")))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
