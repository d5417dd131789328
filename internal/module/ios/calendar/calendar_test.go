package calendar_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/calendar"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2021, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(90 * time.Minute)
)

func run(t *testing.T, spec fixture.CalendarSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddCalendar(b, spec); err != nil {
		t.Fatal(err)
	}
	return reloaded(t, moduletest.Run(t, moduletest.OpenBackup(t, b), ix, calendar.New()), ix)
}

// reloaded checks that the records of o read back to the same JSON and raise the
// same alerts with the indicators ix, as check-iocs would, and returns o.
func reloaded(t *testing.T, o *moduletest.Outcome, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	moduletest.ReloadExact(t, o, ix, calendar.New())
	return o
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

// twoEvents is a dentist appointment made on the phone and an invitation from a
// colleague with a video-call link in its notes and a url.
func twoEvents(schema string) fixture.CalendarSpec {
	return fixture.CalendarSpec{Schema: schema, Events: []fixture.CalendarEvent{
		{ROWID: 1, Summary: "Dentist", Start: t1, End: t1.Add(30 * time.Minute), Created: t0.Add(-48 * time.Hour), LastModified: t0.Add(-24 * time.Hour),
			UUID: "6C1D0A5E-1111-4A2B-8C3D-000000000001"},
		{ROWID: 2, Summary: "Interview", Description: "Call: https://zoom.us/j/93184420715\nthanks", Calendar: fixture.CalendarWork,
			Start: t1.Add(24 * time.Hour), End: t1.Add(25 * time.Hour), Created: t0, LastModified: t0, URL: "https://news.example/briefing",
			UUID: "6C1D0A5E-1111-4A2B-8C3D-000000000002",
			Organizer: &fixture.CalendarParticipant{Email: "jonas.weber@redaktion.example", Phone: "+41791110000", Comment: "see you",
				LastModified: t0, UUID: "AF000000-0000-4000-8000-000000000001"}},
	}}
}

func TestRecords(t *testing.T) {
	t.Parallel()
	o := run(t, twoEvents(""), nil)
	if o.Status.State != module.OK || o.Status.Records != 2 {
		t.Fatalf("status %+v, want ok with 2 records", o.Status)
	}
	keys := []string{"id", "summary", "description", "all_day", "calendar_id", "organizer_id", "url", "external_id", "external_mod_tag",
		"unique_identifier", "hidden", "uuid", "action", "created_by_id", "participant_uuid", "participant_email", "participant_phone",
		"participant_comment", "start_date", "end_date", "last_modified", "creation_date", "participant_last_modified",
		"participant_is_self", "links"}
	want := []map[string]any{
		{"id": 1.0, "summary": "Dentist", "description": nil, "all_day": 0.0, "calendar_id": 1.0, "organizer_id": nil, "url": nil,
			"external_id": "6C1D0A5E-1111-4A2B-8C3D-000000000001.ics", "external_mod_tag": nil,
			"unique_identifier": "6C1D0A5E-1111-4A2B-8C3D-000000000001", "hidden": 0.0, "uuid": "6C1D0A5E-1111-4A2B-8C3D-000000000001",
			"action": nil, "created_by_id": nil, "participant_uuid": nil, "participant_email": nil, "participant_phone": nil,
			"participant_comment": nil, "start_date": "2021-07-01 11:30:00.000000", "end_date": "2021-07-01 12:00:00.000000",
			"last_modified": "2021-06-30 10:00:00.000000", "creation_date": "2021-06-29 10:00:00.000000",
			"participant_last_modified": nil, "participant_is_self": nil, "links": []any{}},
		{"id": 2.0, "summary": "Interview", "description": "Call: https://zoom.us/j/93184420715\nthanks", "all_day": 0.0, "calendar_id": 2.0,
			"organizer_id": 1.0, "url": "https://news.example/briefing",
			"external_id": "6C1D0A5E-1111-4A2B-8C3D-000000000002.ics", "external_mod_tag": nil,
			"unique_identifier": "6C1D0A5E-1111-4A2B-8C3D-000000000002", "hidden": 0.0, "uuid": "6C1D0A5E-1111-4A2B-8C3D-000000000002",
			"action": nil, "created_by_id": nil, "participant_uuid": "AF000000-0000-4000-8000-000000000001",
			"participant_email": "jonas.weber@redaktion.example", "participant_phone": "+41791110000", "participant_comment": "see you",
			"start_date": "2021-07-02 11:30:00.000000", "end_date": "2021-07-02 12:30:00.000000",
			"last_modified": "2021-07-01 10:00:00.000000", "creation_date": "2021-07-01 10:00:00.000000",
			"participant_last_modified": "2021-07-01 10:00:00.000000", "participant_is_self": 0.0,
			"links": []any{"https://news.example/briefing", "https://zoom.us/j/93184420715"}},
	}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), keys...)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}
	// Every key of a record is MVT's or a documented addition.
	for _, rec := range o.List(t) {
		if len(rec) != len(keys)+1 {
			t.Errorf("record has %d keys, want %d: %v", len(rec), len(keys)+1, rec)
		}
	}
}

// TestRecordKey checks MVT's "record": every column of both tables, prefixed, in
// table order, with blobs in base64.
func TestRecordKey(t *testing.T) {
	t.Parallel()
	o := run(t, twoEvents(""), nil)
	rec, ok := o.List(t)[1]["record"].(map[string]any)
	if !ok {
		t.Fatalf("record is %T, want an object", o.List(t)[1]["record"])
	}
	for k, want := range map[string]any{
		"calendar_ROWID": 2.0, "calendar_summary": "Interview", "calendar_start_tz": "Europe/Zurich", "calendar_entity_type": 2.0,
		"calendar_start_date": 646918200.0, "calendar_external_rep": nil, "participant_ROWID": 1.0, "participant_owner_id": 2.0,
		"participant_email": "jonas.weber@redaktion.example", "participant_is_self": 0.0, "participant_comment_last_modified": nil,
	} {
		if diff := cmp.Diff(want, rec[k]); diff != "" {
			t.Errorf("record[%q] (-want +got):\n%s", k, diff)
		}
	}
	if len(rec) != 76+21 {
		t.Errorf("record has %d columns, want 97 (76 of CalendarItem, 21 of Participant)", len(rec))
	}
	raw := string(o.RecordsJSON)
	if i, j := strings.Index(raw, `"calendar_ROWID"`), strings.Index(raw, `"participant_comment_last_modified"`); i < 0 || j < i {
		t.Errorf("record columns are not in table order")
	}
}

func TestLegacyLayout(t *testing.T) {
	t.Parallel()
	o := run(t, twoEvents(fixture.CalendarLegacy), nil)
	if o.Status.State != module.OK || o.Status.Records != 2 {
		t.Fatalf("status %+v, want ok with 2 records", o.Status)
	}
	got := moduletest.Project(o.List(t), "id", "summary", "creation_date", "action", "created_by_id", "last_modified", "participant_email")
	want := []map[string]any{
		{"id": 1.0, "summary": "Dentist", "creation_date": nil, "action": nil, "created_by_id": nil, "last_modified": "2021-06-30 10:00:00.000000",
			"participant_email": nil},
		{"id": 2.0, "summary": "Interview", "creation_date": nil, "action": nil, "created_by_id": nil, "last_modified": "2021-07-01 10:00:00.000000",
			"participant_email": "jonas.weber@redaktion.example"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	rec := o.List(t)[0]["record"].(map[string]any)
	if _, ok := rec["calendar_creation_date"]; ok {
		t.Errorf("record has calendar_creation_date, which the legacy layout lacks")
	}
}

func TestTimelineAndURLs(t *testing.T) {
	t.Parallel()
	o := run(t, twoEvents(""), nil)
	want := []string{
		`"2021-06-29 10:00:00.000000","Calendar","creation_date","Calendar event Dentist"`,
		`"2021-06-30 10:00:00.000000","Calendar","last_modified","Calendar event Dentist"`,
		`"2021-07-01 10:00:00.000000","Calendar","creation_date","Calendar event Interview (Call: https://zoom.us/j/93184420715 thanks) (invitation by jonas.weber@redaktion.example)"`,
		`"2021-07-01 10:00:00.000000","Calendar","last_modified","Calendar event Interview (Call: https://zoom.us/j/93184420715 thanks) (invitation by jonas.weber@redaktion.example)"`,
		`"2021-07-01 10:00:00.000000","Calendar","participant_last_modified","Calendar event Interview (Call: https://zoom.us/j/93184420715 thanks) (invitation by jonas.weber@redaktion.example)"`,
		`"2021-07-01 11:30:00.000000","Calendar","start_date","Calendar event Dentist"`,
		`"2021-07-01 12:00:00.000000","Calendar","end_date","Calendar event Dentist"`,
		`"2021-07-02 11:30:00.000000","Calendar","start_date","Calendar event Interview (Call: https://zoom.us/j/93184420715 thanks) (invitation by jonas.weber@redaktion.example)"`,
		`"2021-07-02 12:30:00.000000","Calendar","end_date","Calendar event Interview (Call: https://zoom.us/j/93184420715 thanks) (invitation by jonas.weber@redaktion.example)"`,
	}
	if diff := cmp.Diff(want, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	wantURLs := []map[string]any{
		{"url": "https://news.example/briefing", "expanded_url": nil, "timestamp": "2021-07-01 10:00:00.000000", "source": "calendar", "shortened": false},
		{"url": "https://zoom.us/j/93184420715", "expanded_url": nil, "timestamp": "2021-07-01 10:00:00.000000", "source": "calendar", "shortened": false},
	}
	if diff := cmp.Diff(wantURLs, o.URLs); diff != "" {
		t.Errorf("urls.json (-want +got):\n%s", diff)
	}
}

func TestWALOnlyRows(t *testing.T) {
	t.Parallel()
	spec := twoEvents("")
	spec.Events = append(spec.Events, fixture.CalendarEvent{ROWID: 3, Summary: "Only in the log", Start: t1, Created: t1,
		Organizer: &fixture.CalendarParticipant{Email: "wal@example.org"}, WAL: true})
	o := run(t, spec, nil)
	got := moduletest.Project(o.List(t), "id", "summary", "participant_email")
	want := []map[string]any{
		{"id": 1.0, "summary": "Dentist", "participant_email": nil},
		{"id": 2.0, "summary": "Interview", "participant_email": "jonas.weber@redaktion.example"},
		{"id": 3.0, "summary": "Only in the log", "participant_email": "wal@example.org"},
	}
	if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s; records (-want +got):\n%s", o.Status.State, diff)
	}
}

func TestOddValues(t *testing.T) {
	t.Parallel()
	build := func(sql string) *fixture.Backup {
		b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
		data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: sql})
		if err != nil {
			t.Fatal(err)
		}
		b.AddFile(fixture.CalendarDomain, fixture.CalendarPath, data)
		return b
	}
	// No Participant table, a text date, a blob summary with invalid UTF-8, a NaN-free
	// float id, an organizer that points nowhere.
	b := build(`CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY, summary TEXT, description TEXT, start_date REAL, organizer_id INTEGER, "we""ird" TEXT);
INSERT INTO CalendarItem VALUES (1, CAST(X'4D656574FF' AS BLOB), NULL, 'yesterday', 7, 'x');`)
	o := reloaded(t, moduletest.Run(t, moduletest.OpenBackup(t, b), nil, calendar.New()), nil)
	if o.Status.State != module.OK || o.Status.Records != 1 {
		t.Fatalf("status %+v, want ok with 1 record", o.Status)
	}
	got := moduletest.Project(o.List(t), "id", "summary", "start_date", "organizer_id", "participant_email", "record")
	want := []map[string]any{{"id": 1.0, "summary": "TWVldP8=", "start_date": nil, "organizer_id": 7.0, "participant_email": nil,
		"record": map[string]any{"calendar_ROWID": 1.0, "calendar_summary": "TWVldP8=", "calendar_description": nil,
			"calendar_start_date": "yesterday", "calendar_organizer_id": 7.0, `calendar_we"ird`: "x"}}}
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
		if err := fixture.AddCalendar(b, fixture.SampleCalendar(fixture.Epoch, 600, 1)); err != nil {
			t.Fatal(err)
		}
		d := b.Lookup(fixture.CalendarDomain, fixture.CalendarPath).Content
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
		{"no_calendaritem_table", build("CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY, title TEXT);"), module.Failed, "no CalendarItem table"},
		{"unknown_layout", build("CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY, title TEXT);"), module.Failed, "unknown layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				b.AddFile(fixture.CalendarDomain, fixture.CalendarPath, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, calendar.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	for _, schema := range []string{fixture.CalendarCurrent, fixture.CalendarLegacy} {
		o := run(t, fixture.CalendarSpec{Schema: schema}, nil)
		if o.Status.State != module.OK || o.Status.Records != 0 {
			t.Errorf("%s: status %+v, want ok with no record", schema, o.Status)
		}
	}
}

func TestIndicators(t *testing.T) {
	t.Parallel()
	invite := twoEvents("")
	fixture.PlantCalendarInviteFrom(&invite, "Operator.7@ICloud.com", t1)
	tests := []struct {
		name string
		spec fixture.CalendarSpec
		ix   *ioc.Index
		want []string
	}{
		{"organizer_email", invite, moduletest.Index("emails", "operator.7@icloud.com"), []string{"CRITICAL ioc/email 2021-07-01T11:30:00Z"}},
		{"other_email", invite, moduletest.Index("emails", "operator.8@icloud.com"), nil},
		{"url_column", twoEvents(""), moduletest.Index("urls", "https://news.example/briefing"), []string{"CRITICAL ioc/url 2021-07-01T10:00:00Z"}},
		{"link_in_notes_domain", twoEvents(""), moduletest.Index("domains", "zoom.us"), []string{"CRITICAL ioc/domain 2021-07-01T10:00:00Z"}},
		{"other_domain", twoEvents(""), moduletest.Index("domains", "zoom.example", "urls", "https://news.example/other"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.spec, tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExploitInvite(t *testing.T) {
	t.Parallel()
	with := func(e fixture.CalendarEvent) fixture.CalendarSpec {
		spec := twoEvents("")
		e.ROWID = 9
		spec.Events = append(spec.Events, e)
		return spec
	}
	planted := twoEvents("")
	fixture.PlantCalendarExploitInvite(&planted, t1)
	legacy := twoEvents(fixture.CalendarLegacy)
	fixture.PlantCalendarExploitInvite(&legacy, t1)
	stranger := &fixture.CalendarParticipant{Email: "someone@icloud.com"}
	self := &fixture.CalendarParticipant{Email: "reporter@icloud.com", IsSelf: true}
	tests := []struct {
		name string
		spec fixture.CalendarSpec
		want []string
	}{
		{"planted", planted, []string{"HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"}},
		{"planted_legacy_layout", legacy, []string{"HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"}},
		{"invitation_not_backdated", with(fixture.CalendarEvent{Summary: "Meeting", Description: "Notes", Start: t1.Add(time.Hour), Created: t1, Organizer: stranger}),
			[]string{"HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"}},
		{"own_event_backdated", with(fixture.CalendarEvent{Summary: "Meeting", Description: "Notes", Start: t1.AddDate(0, -3, 0), Created: t1}),
			[]string{"HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"}},
		{"hidden", with(fixture.CalendarEvent{Summary: "Meeting", Description: "Notes", Start: t1.Add(time.Hour), Created: t1, Hidden: true}),
			[]string{"HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"}},
		{"own_event", with(fixture.CalendarEvent{Summary: "Meeting", Description: "Notes", Start: t1.Add(time.Hour), Created: t1}),
			[]string{"MEDIUM calendar/exploit-invite 2021-07-01T11:30:00Z"}},
		{"organized_by_owner", with(fixture.CalendarEvent{Summary: "Meeting", Description: "Notes", Start: t1.Add(time.Hour), Created: t1, Organizer: self}),
			[]string{"MEDIUM calendar/exploit-invite 2021-07-01T11:30:00Z"}},
		{"other_notes", with(fixture.CalendarEvent{Summary: "Meeting", Description: "Notes for the budget", Start: t1.AddDate(-1, 0, 0), Created: t1, Organizer: stranger}), nil},
		{"no_notes", with(fixture.CalendarEvent{Summary: "Meeting", Start: t1.AddDate(-1, 0, 0), Created: t1, Organizer: stranger}), nil},
		{"other_case", with(fixture.CalendarEvent{Summary: "meeting", Description: "notes", Start: t1.AddDate(-1, 0, 0), Created: t1, Organizer: stranger}), nil},
		{"other_title", with(fixture.CalendarEvent{Summary: "Team meeting", Description: "Notes", Start: t1.AddDate(-1, 0, 0), Created: t1, Organizer: stranger}), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.spec, nil)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("messages", func(t *testing.T) {
		o := run(t, planted, nil)
		uuid, _ := o.List(t)[2]["uuid"].(string)
		want := `Calendar event "Meeting" (` + uuid + `) with the notes "Notes", the pattern of QuaDream's exploit invitations: ` +
			`received as an invitation from kc.tranh.8831@icloud.com; added on 2021-07-01 for 2019-07-01, 731 days earlier (backdated)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts %+v, want one with message %q", o.Alerts, want)
		}
		o = run(t, tests[5].spec, nil)
		want = `Calendar event "Meeting" (` + o.List(t)[2]["uuid"].(string) + `) with the notes "Notes", the pattern of QuaDream's exploit invitations; ` +
			`it appears to have been made on the phone by its owner and is not backdated`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want || o.Alerts[0].Meaning == "" || o.Alerts[0].Advice == "" {
			t.Errorf("alerts %+v, want one with message %q and the heuristic's texts", o.Alerts, want)
		}
	})
	t.Run("with_email_indicator", func(t *testing.T) {
		o := run(t, planted, moduletest.Index("emails", "kc.tranh.8831@icloud.com"))
		want := []string{"CRITICAL ioc/email 2021-07-01T11:30:00Z", "HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"}
		if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
			t.Errorf("alerts (-want +got):\n%s", diff)
		}
	})
}

func TestSampleIsClean(t *testing.T) {
	t.Parallel()
	spec := fixture.SampleCalendar(fixture.Epoch, 400, 3)
	if diff := cmp.Diff(spec, fixture.SampleCalendar(fixture.Epoch, 400, 3)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, spec, nil)
	if o.Status.State != module.OK || o.Status.Records != 400 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, 400 records, no alert", o.Status, summary(o.Alerts))
	}
	if len(o.URLs) == 0 {
		t.Errorf("no URL listed: the sample has links in some notes")
	}
}

// TestDecodeMVTRecord checks records the way MVT writes them: id, summary,
// description … participant_comment with the database's values, the dates as time
// strings, and (in MVT's current module) record with every column; no
// participant_is_self and no links.
func TestDecodeMVTRecord(t *testing.T) {
	t.Parallel()
	event := func(summary, description string, organizer any, email string, start, created string, record string) string {
		org, _ := json.Marshal(organizer)
		mail := "null"
		if email != "" {
			mail = strconv.Quote(email)
		}
		return `{"id": 9, "summary": "` + summary + `", "description": "` + description + `", "all_day": 0, "calendar_id": 2,
			"organizer_id": ` + string(org) + `, "url": null, "external_id": null, "external_mod_tag": null,
			"unique_identifier": "5B1C2D3E", "hidden": 0, "uuid": "0D6F1A52-8C3B-4E1D-9A7F-3B2C1D0E9F8A", "action": null,
			"created_by_id": null, "participant_uuid": null, "participant_email": ` + mail + `, "participant_phone": null,
			"participant_comment": null` + record + `, "start_date": "` + start + `", "end_date": "` + start + `",
			"last_modified": "` + created + `", "creation_date": "` + created + `", "participant_last_modified": ""}`
	}
	const created = "2021-07-01 11:30:00.000000"
	withOrganizerRow := `, "record": {"calendar_ROWID": 9, "calendar_summary": "Meeting", "participant_ROWID": 5}`
	tests := []struct {
		name   string
		record string
		ix     *ioc.Index
		want   []string
		msg    string
	}{
		{"exploit_invite", event("Meeting", "Notes", 5, "kc.tranh.8831@icloud.com", "2019-07-01 11:30:00.000000", created, withOrganizerRow), nil,
			[]string{"HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"},
			`Calendar event "Meeting" (0D6F1A52-8C3B-4E1D-9A7F-3B2C1D0E9F8A) with the notes "Notes", the pattern of QuaDream's exploit invitations: ` +
				`received as an invitation from kc.tranh.8831@icloud.com; added on 2021-07-01 for 2019-07-01, 731 days earlier (backdated)`},
		{"exploit_invite_organizer_gone", event("Meeting", "Notes", 5, "", "2021-07-01 12:30:00.000000", created, ""), nil,
			[]string{"HIGH calendar/exploit-invite 2021-07-01T11:30:00Z"},
			`Calendar event "Meeting" (0D6F1A52-8C3B-4E1D-9A7F-3B2C1D0E9F8A) with the notes "Notes", the pattern of QuaDream's exploit invitations: ` +
				`received as an invitation from an organizer whose record is gone`},
		{"own_event", event("Meeting", "Notes", nil, "", "2021-07-01 12:30:00.000000", created, ""), nil,
			[]string{"MEDIUM calendar/exploit-invite 2021-07-01T11:30:00Z"}, ""},
		{"organizer_email", event("Lunch", "", 5, "Operator.7@ICloud.com", "2021-07-01 12:30:00.000000", created, withOrganizerRow),
			moduletest.Index("emails", "operator.7@icloud.com"), []string{"CRITICAL ioc/email 2021-07-01T11:30:00Z"}, ""},
		{"link_in_notes", event("Call", "Join https://zoom.us/j/123", nil, "", "2021-07-01 12:30:00.000000", created, ""),
			moduletest.Index("domains", "zoom.us"), []string{"CRITICAL ioc/domain 2021-07-01T11:30:00Z"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := calendar.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			var got []alert.Alert
			r := check.NewReporter(calendar.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tc.ix))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			if tc.msg != "" && (len(got) != 1 || got[0].Message != tc.msg) {
				t.Errorf("alerts %v, want one with message %q", summary(got), tc.msg)
			}
		})
	}
}
