package calls_test

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
	"github.com/spytrace/spytrace/internal/module/ios/calls"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2026, 2, 3, 10, 0, 0, 0, time.UTC)

const attacker = "bogaardlisa803@gmail.com"

func run(t *testing.T, ix *ioc.Index, specs ...fixture.CallsSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	for _, spec := range specs {
		if err := fixture.AddCalls(b, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, calls.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s %s", a.Level, a.Check, a.Indicator.Value, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

// threeCalls is an answered outgoing phone call, a missed FaceTime call from an Apple
// ID and an incoming WhatsApp call.
func threeCalls(schema string) fixture.CallsSpec {
	return fixture.CallsSpec{Schema: schema, Calls: []fixture.Call{
		{ID: 1, Address: "+41791234567", Name: "Anna Meier", Date: t0, Duration: 192.4, Outgoing: true, Answered: true,
			Provider: fixture.CallProviderPhone, CallType: fixture.CallTypePhone, Location: "Switzerland", Country: "ch", UniqueID: "U1"},
		{ID: 2, Address: "anna.meier@icloud.com", Date: t0.Add(time.Hour + 500*time.Millisecond), Provider: fixture.CallProviderFaceTime,
			CallType: fixture.CallTypeFaceTimeAudio, UniqueID: "U2"},
		{ID: 3, Address: "+41790000003", Name: "Luca", Date: t0.Add(2 * time.Hour), Duration: 45, Answered: true,
			Provider: fixture.CallProviderWhatsApp, CallType: fixture.CallTypePhone, DisconnectedCause: 6, UniqueID: "U3"},
	}}
}

func TestLayouts(t *testing.T) {
	rec := func(extra map[string]any, base map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	store := []map[string]any{
		{"isodate": "2026-02-03 10:00:00.000000", "duration": 192.4, "location": "Switzerland", "number": "+41791234567",
			"provider": "com.apple.Telephony", "id": 1.0, "direction": "outgoing", "answered": true, "call_type": "phone",
			"name": "Anna Meier", "disconnected_cause": 0.0, "unique_id": "U1", "iso_country_code": "ch", "call_history_db": "CallHistory.storedata"},
		{"isodate": "2026-02-03 11:00:00.500000", "duration": 0.0, "location": "", "number": "anna.meier@icloud.com",
			"provider": "com.apple.FaceTime", "id": 2.0, "direction": "incoming", "answered": false, "call_type": "facetime_audio",
			"disconnected_cause": 0.0, "unique_id": "U2", "call_history_db": "CallHistory.storedata"},
		{"isodate": "2026-02-03 12:00:00.000000", "duration": 45.0, "location": "", "number": "+41790000003",
			"provider": "net.whatsapp.WhatsApp", "id": 3.0, "direction": "incoming", "answered": true, "call_type": "phone",
			"name": "Luca", "disconnected_cause": 6.0, "unique_id": "U3", "call_history_db": "CallHistory.storedata"},
	}
	ios9 := make([]map[string]any, len(store))
	for i, r := range store {
		ios9[i] = rec(map[string]any{"provider": ""}, r)
	}
	legacy := []map[string]any{
		{"isodate": "2026-02-03 10:00:00.000000", "duration": 192.0, "location": "", "number": "+41791234567", "provider": "",
			"id": 1.0, "direction": "outgoing", "name": "Anna Meier", "flags": 5.0, "call_history_db": "call_history.db"},
		{"isodate": "2026-02-03 11:00:00.000000", "duration": 0.0, "location": "", "number": "anna.meier@icloud.com", "provider": "",
			"id": 2.0, "direction": "incoming", "flags": 4.0, "call_history_db": "call_history.db"},
		{"isodate": "2026-02-03 12:00:00.000000", "duration": 45.0, "location": "", "number": "+41790000003", "provider": "",
			"id": 3.0, "direction": "incoming", "name": "Luca", "flags": 4.0, "call_history_db": "call_history.db"},
	}
	storeTimeline := []string{
		`"2026-02-03 10:00:00.000000","Calls","call","Outgoing phone call to +41791234567 (Anna Meier), 3m12s"`,
		`"2026-02-03 11:00:00.500000","Calls","call","Missed FaceTime audio call from anna.meier@icloud.com"`,
		`"2026-02-03 12:00:00.000000","Calls","call","Incoming WhatsApp call from +41790000003 (Luca), 45s"`,
	}
	tests := []struct {
		schema   string
		records  []map[string]any
		timeline []string
	}{
		{fixture.CallsRecent, store, storeTimeline},
		{fixture.CallsIOS11, store, storeTimeline},
		{fixture.CallsIOS9, ios9, []string{
			`"2026-02-03 10:00:00.000000","Calls","call","Outgoing phone call to +41791234567 (Anna Meier), 3m12s"`,
			`"2026-02-03 11:00:00.500000","Calls","call","Missed FaceTime audio call from anna.meier@icloud.com"`,
			`"2026-02-03 12:00:00.000000","Calls","call","Incoming phone call from +41790000003 (Luca), 45s"`,
		}},
		{fixture.CallsLegacy, legacy, []string{
			`"2026-02-03 10:00:00.000000","Calls","call","Outgoing phone call to +41791234567 (Anna Meier), 3m12s"`,
			`"2026-02-03 11:00:00.000000","Calls","call","Incoming phone call from anna.meier@icloud.com"`,
			`"2026-02-03 12:00:00.000000","Calls","call","Incoming phone call from +41790000003 (Luca), 45s"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.schema, func(t *testing.T) {
			o := run(t, nil, threeCalls(tc.schema))
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
			}
			if diff := cmp.Diff(tc.records, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.timeline, o.Timeline); diff != "" {
				t.Errorf("timeline (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 || len(o.URLs) != 0 {
				t.Errorf("alerts %v, urls %v: want none", summary(o.Alerts), o.URLs)
			}
		})
	}
}

// TestGroupCall reads the participants of a group FaceTime call, which has no address.
func TestGroupCall(t *testing.T) {
	spec := threeCalls("")
	spec.Calls = append(spec.Calls, fixture.Call{ID: 4, Date: t0.Add(3 * time.Hour), Duration: 600, Answered: true, Outgoing: true,
		Provider: fixture.CallProviderFaceTime, CallType: fixture.CallTypeFaceTimeVideo, Participants: []string{"+41791234567", "luca@example.ch"}})
	o := run(t, nil, spec)
	got := moduletest.Project(o.List(t)[3:], "number", "participants", "call_type")
	want := []map[string]any{{"number": "", "participants": []any{"+41791234567", "luca@example.ch"}, "call_type": "facetime_video"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group call (-want +got):\n%s", diff)
	}
	if last := o.Timeline[len(o.Timeline)-1]; !strings.HasSuffix(last, `"Outgoing FaceTime video call to +41791234567, luca@example.ch, 10m0s"`) {
		t.Errorf("timeline row %s", last)
	}
}

func TestWALOnlyRows(t *testing.T) {
	for _, schema := range []string{fixture.CallsRecent, fixture.CallsLegacy} {
		t.Run(schema, func(t *testing.T) {
			spec := threeCalls(schema)
			spec.Calls = append(spec.Calls, fixture.Call{ID: 4, Address: "+41795550000", Date: t0.Add(-time.Hour), Provider: fixture.CallProviderPhone,
				Participants: []string{"+41795550000"}, WALOnly: true})
			o := run(t, nil, spec)
			var numbers []string
			for _, r := range o.List(t) {
				numbers = append(numbers, fmt.Sprint(r["number"]))
			}
			want := []string{"+41795550000", "+41791234567", "anna.meier@icloud.com", "+41790000003"}
			if diff := cmp.Diff(want, numbers); diff != "" || o.Status.State != module.OK {
				t.Errorf("status %s; numbers (-want +got):\n%s", o.Status.State, diff)
			}
		})
	}
}

// TestBothDatabases reads call_history.db left beside CallHistory.storedata.
func TestBothDatabases(t *testing.T) {
	old := fixture.CallsSpec{Schema: fixture.CallsLegacy, Calls: []fixture.Call{{Address: "+41790000009", Date: t0.Add(-24 * time.Hour), Duration: 30, Outgoing: true}}}
	o := run(t, nil, threeCalls(""), old)
	got := moduletest.Project(o.List(t), "number", "call_history_db")
	want := []map[string]any{
		{"number": "+41791234567", "call_history_db": "CallHistory.storedata"},
		{"number": "anna.meier@icloud.com", "call_history_db": "CallHistory.storedata"},
		{"number": "+41790000003", "call_history_db": "CallHistory.storedata"},
		{"number": "+41790000009", "call_history_db": "call_history.db"},
	}
	if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s; records (-want +got):\n%s", o.Status.State, diff)
	}
}

// TestOddValues feeds values iOS never writes: the module keeps what it can read.
func TestOddValues(t *testing.T) {
	data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: `CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS BLOB, ZORIGINATED INTEGER, ZCALLTYPE INTEGER);
INSERT INTO ZCALLRECORD VALUES (1, 'yesterday', 'long', X'2B34317F80FF', 7, 99);
INSERT INTO ZCALLRECORD VALUES (2, 1e300, NULL, NULL, NULL, NULL);
INSERT INTO ZCALLRECORD VALUES (3, -1e18, 12, '  +41790000001 ', 1, 16);`})
	if err != nil {
		t.Fatal(err)
	}
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile(fixture.CallHistoryDomain, fixture.CallHistoryPath, data)
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, calls.New())
	want := []map[string]any{
		{"isodate": nil, "duration": 12.0, "location": "", "number": "+41790000001", "provider": "", "id": 3.0, "direction": "outgoing",
			"call_type": "facetime_audio", "call_history_db": "CallHistory.storedata"},
		{"isodate": nil, "duration": nil, "location": "", "number": "", "provider": "", "id": 2.0, "call_history_db": "CallHistory.storedata"},
		{"isodate": nil, "duration": nil, "location": "", "number": "+41\x7f\\x80\\xff", "provider": "", "id": 1.0,
			"call_type": "99", "call_history_db": "CallHistory.storedata"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s (%s); records (-want +got):\n%s", o.Status.State, o.Status.Reason, diff)
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
		if err := fixture.AddCalls(b, fixture.SampleCalls(fixture.Epoch, 2000, 1)); err != nil {
			t.Fatal(err)
		}
		d := b.Lookup(fixture.CallHistoryDomain, fixture.CallHistoryPath).Content
		return d[:len(d)/3]
	}
	tests := []struct {
		name   string
		legacy bool
		data   func(t *testing.T) []byte
		state  module.State
		reason string
	}{
		{"absent", false, nil, module.Skipped, "not in this acquisition"},
		{"not_sqlite", false, func(*testing.T) []byte { return []byte("\x00\x01garbage") }, module.Failed, "not a SQLite database"},
		{"truncated", false, truncated, module.Failed, "malformed"},
		{"no_table", false, build("CREATE TABLE ZCALLDBPROPERTIES (Z_PK INTEGER PRIMARY KEY);"), module.Failed, "no ZCALLRECORD table"},
		{"no_date", false, build("CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZADDRESS BLOB);"), module.Failed, "no ZDATE column"},
		{"legacy_no_table", true, build("CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT);"), module.Failed, "no call table"},
		{"legacy_no_date", true, build("CREATE TABLE call (ROWID INTEGER PRIMARY KEY, address TEXT);"), module.Failed, "no date column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				domain, rel := fixture.CallHistoryDomain, fixture.CallHistoryPath
				if tc.legacy {
					domain, rel = fixture.CallHistoryLegacyDomain, fixture.CallHistoryLegacyPath
				}
				b.AddFile(domain, rel, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, calls.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

// TestOneBadDatabase: a corrupt call_history.db beside a good store makes the module
// partial, with the store's calls.
func TestOneBadDatabase(t *testing.T) {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddCalls(b, threeCalls("")); err != nil {
		t.Fatal(err)
	}
	b.AddFile(fixture.CallHistoryLegacyDomain, fixture.CallHistoryLegacyPath, []byte("not a database"))
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, calls.New())
	if o.Status.State != module.Partial || o.Status.Records != 3 || len(o.Status.Problems) != 1 {
		t.Errorf("status %+v, want partial with 3 records and one problem", o.Status)
	}
}

func TestEmailIndicator(t *testing.T) {
	planted := threeCalls("")
	fixture.PlantFaceTimeCall(&planted, attacker, t0.Add(5*time.Hour))
	upper := threeCalls(fixture.CallsIOS11)
	fixture.PlantFaceTimeCall(&upper, "BogaardLisa803@Gmail.com", t0.Add(5*time.Hour))
	group := threeCalls("")
	group.Calls = append(group.Calls, fixture.Call{Date: t0.Add(5 * time.Hour), Provider: fixture.CallProviderFaceTime,
		Participants: []string{"+41791234567", attacker}})
	phone := threeCalls("")
	phone.Calls = append(phone.Calls, fixture.Call{Address: "+41791234567", Name: attacker, Date: t0.Add(5 * time.Hour), Provider: fixture.CallProviderPhone})
	want := []string{"CRITICAL ioc/email " + attacker + " 2026-02-03T15:00:00Z"}
	tests := []struct {
		name string
		spec fixture.CallsSpec
		ix   *ioc.Index
		want []string
	}{
		{"facetime_call", planted, moduletest.Index("emails", attacker), want},
		{"case_and_blob", upper, moduletest.Index("emails", attacker), want},
		{"group_participant", group, moduletest.Index("emails", attacker), want},
		{"no_indicators", planted, nil, nil},
		{"other_address", planted, moduletest.Index("emails", "lisa803@gmail.com", "domains", "gmail.com"), nil},
		{"name_is_not_looked_up", phone, moduletest.Index("emails", attacker), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, tc.spec)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, calls.New())
			for _, a := range o.Alerts {
				if !strings.Contains(a.Message, "Missed FaceTime audio call from") && !strings.Contains(a.Message, "FaceTime call") {
					t.Errorf("message %q does not describe the call", a.Message)
				}
			}
		})
	}
}

// TestSampleAndPlant checks the fixture the demo builds on: innocent sample calls raise
// nothing even with the demo's indicators; the planted call raises exactly one alert.
func TestSampleAndPlant(t *testing.T) {
	ix := moduletest.Index("emails", fixture.DemoAttackerEmail, "domains", fixture.DemoPegasusDomain, "processes", fixture.DemoProcess)
	clean := fixture.SampleCalls(fixture.Epoch, 300, 7)
	o := run(t, ix, clean)
	if o.Status.State != module.OK || o.Status.Records != 300 || len(o.Alerts) != 0 {
		t.Fatalf("clean sample: status %+v, alerts %v", o.Status, summary(o.Alerts))
	}
	if diff := cmp.Diff(clean, fixture.SampleCalls(fixture.Epoch, 300, 7)); diff != "" {
		t.Errorf("sample not deterministic:\n%s", diff)
	}
	at := fixture.DemoAttack.Add(-2 * time.Minute)
	fixture.PlantFaceTimeCall(&clean, fixture.DemoAttackerEmail, at)
	o = run(t, ix, clean)
	want := []string{"CRITICAL ioc/email " + fixture.DemoAttackerEmail + " " + at.Format(time.RFC3339)}
	if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" || o.Status.Records != 301 {
		t.Errorf("records %d; alerts (-want +got):\n%s", o.Status.Records, diff)
	}
}

// TestDecodeMVTRecord checks the e-mail check on calls as MVT writes them: five keys,
// the number as text (or null).
func TestDecodeMVTRecord(t *testing.T) {
	tests := []struct {
		name, record string
		want         []string
	}{
		{"facetime", `{"isodate": "2026-02-03 15:00:00.000000", "duration": 0.0, "location": "<<RecentsNumberLocationNotFound>>",
			"number": "BogaardLisa803@Gmail.com", "provider": "com.apple.FaceTime"}`,
			[]string{"CRITICAL ioc/email " + attacker + " 2026-02-03T15:00:00Z"}},
		{"phone", `{"isodate": "2026-02-03 15:00:00.000000", "duration": 12.5, "location": "Switzerland",
			"number": "+41791234567", "provider": "com.apple.Telephony"}`, nil},
		{"null_number", `{"isodate": "", "duration": null, "location": null, "number": null, "provider": null}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := calls.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(calls.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(moduletest.Index("emails", attacker)))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
