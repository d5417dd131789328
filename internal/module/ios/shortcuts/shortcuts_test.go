package shortcuts_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/shortcuts"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2022, 5, 3, 8, 0, 0, 0, time.UTC)
	t1 = t0.Add(36 * time.Hour)
)

func run(t *testing.T, spec fixture.ShortcutsSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddShortcuts(b, spec); err != nil {
		t.Fatal(err)
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, shortcuts.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

func text(s string) map[string]any {
	return map[string]any{"Value": map[string]any{"string": s, "attachmentsByRange": map[string]any{}}, "WFSerializationType": "WFTextTokenString"}
}

// two is a shortcut that opens a news site and posts to an API, and one with no URL.
func two() fixture.ShortcutsSpec {
	return fixture.ShortcutsSpec{Shortcuts: []fixture.Shortcut{
		{ID: 1, Name: "Morning News", Description: "Open URLs, Get Contents of URL", Created: t0, Modified: t1, Actions: []fixture.ShortcutAction{
			{Identifier: "is.workflow.actions.openurl", Parameters: map[string]any{"WFInput": text("see https://news.example/today.")}},
			{Identifier: "is.workflow.actions.downloadurl", Parameters: map[string]any{"WFURL": "https://api.example.org/v1/push?id=7",
				"WFHTTPMethod": "POST", "WFJSONValues": map[string]any{"Value": map[string]any{"WFDictionaryFieldValueItems": []any{
					map[string]any{"WFKey": text("callback"), "WFValue": text("https://news.example/today")},
				}}}}},
		}},
		{ID: 2, Name: "Focus\nTimer", Created: t0, Modified: t0, Actions: []fixture.ShortcutAction{
			{Identifier: "is.workflow.actions.timer.start", Parameters: map[string]any{"WFDuration": int64(25), "Data": []byte{1, 2}}},
		}},
	}}
}

func TestRecords(t *testing.T) {
	t.Parallel()
	o := run(t, two(), nil)
	if o.Status.State != module.OK || o.Status.Records != 2 {
		t.Fatalf("status %+v, want ok with 2 records", o.Status)
	}
	want := []map[string]any{
		{"shortcut_id": 1.0, "shortcut_name": "Morning News", "modified_date": "2022-05-04 20:00:00.000000", "description": "Open URLs, Get Contents of URL",
			"parsed_actions": 2.0, "action_urls": []any{"https://news.example/today", "https://api.example.org/v1/push?id=7"},
			"isodate": "2022-05-03 08:00:00.000000", "actions": []any{
				map[string]any{"identifier": "is.workflow.actions.openurl", "parameters": map[string]any{"WFInput": map[string]any{
					"Value": map[string]any{"string": "see https://news.example/today.", "attachmentsByRange": map[string]any{}}, "WFSerializationType": "WFTextTokenString"}},
					"urls": []any{"https://news.example/today"}},
				map[string]any{"identifier": "is.workflow.actions.downloadurl", "parameters": map[string]any{"WFURL": "https://api.example.org/v1/push?id=7",
					"WFHTTPMethod": "POST", "WFJSONValues": map[string]any{"Value": map[string]any{"WFDictionaryFieldValueItems": []any{
						map[string]any{"WFKey": map[string]any{"Value": map[string]any{"string": "callback", "attachmentsByRange": map[string]any{}}, "WFSerializationType": "WFTextTokenString"},
							"WFValue": map[string]any{"Value": map[string]any{"string": "https://news.example/today", "attachmentsByRange": map[string]any{}}, "WFSerializationType": "WFTextTokenString"}},
					}}}},
					"urls": []any{"https://news.example/today", "https://api.example.org/v1/push?id=7"}}, // dictionaries by key
			}},
		{"shortcut_id": 2.0, "shortcut_name": "Focus\nTimer", "modified_date": "2022-05-03 08:00:00.000000", "description": nil,
			"parsed_actions": 1.0, "action_urls": []any{}, "isodate": "2022-05-03 08:00:00.000000", "actions": []any{
				map[string]any{"identifier": "is.workflow.actions.timer.start", "parameters": map[string]any{"WFDuration": 25.0, "Data": "AQI="}, "urls": []any{}},
			}},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}
}

func TestTimelineAndURLs(t *testing.T) {
	t.Parallel()
	o := run(t, two(), nil)
	want := []string{
		`"2022-05-03 08:00:00.000000","Shortcuts","shortcut_created","iOS Shortcut 'Focus Timer'"`,
		`"2022-05-03 08:00:00.000000","Shortcuts","shortcut_created","iOS Shortcut 'Morning News': Open URLs, Get Contents of URL - URLs in actions: https://news.example/today, https://api.example.org/v1/push?id=7"`,
		`"2022-05-03 08:00:00.000000","Shortcuts","shortcut_modified","iOS Shortcut 'Focus Timer'"`,
		`"2022-05-04 20:00:00.000000","Shortcuts","shortcut_modified","iOS Shortcut 'Morning News': Open URLs, Get Contents of URL - URLs in actions: https://news.example/today, https://api.example.org/v1/push?id=7"`,
	}
	if diff := cmp.Diff(want, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	wantURLs := []map[string]any{
		{"url": "https://news.example/today", "expanded_url": nil, "timestamp": "2022-05-04 20:00:00.000000", "source": "shortcuts", "shortened": false},
		{"url": "https://api.example.org/v1/push?id=7", "expanded_url": nil, "timestamp": "2022-05-04 20:00:00.000000", "source": "shortcuts", "shortened": false},
	}
	if diff := cmp.Diff(wantURLs, o.URLs); diff != "" {
		t.Errorf("urls.json (-want +got):\n%s", diff)
	}
}

func TestWALOnlyRows(t *testing.T) {
	t.Parallel()
	spec := two()
	spec.Shortcuts = append(spec.Shortcuts, fixture.Shortcut{ID: 3, Name: "Only in the log", Created: t1, Modified: t1, WAL: true,
		Actions: []fixture.ShortcutAction{{Identifier: "is.workflow.actions.openurl", Parameters: map[string]any{"WFInput": "https://wal.example/x"}}}})
	o := run(t, spec, nil)
	got := moduletest.Project(o.List(t), "shortcut_id", "shortcut_name", "action_urls")
	want := []map[string]any{
		{"shortcut_id": 1.0, "shortcut_name": "Morning News", "action_urls": []any{"https://news.example/today", "https://api.example.org/v1/push?id=7"}},
		{"shortcut_id": 2.0, "shortcut_name": "Focus\nTimer", "action_urls": []any{}},
		{"shortcut_id": 3.0, "shortcut_name": "Only in the log", "action_urls": []any{"https://wal.example/x"}},
	}
	if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s; records (-want +got):\n%s", o.Status.State, diff)
	}
}

// TestBrokenActions: a blob that is no property list, one that is not an array, an
// array with a malformed action, and no action row at all. The shortcut is kept with
// actions_error and the module ends partial.
func TestBrokenActions(t *testing.T) {
	t.Parallel()
	notArray, err := plist.Marshal(map[string]any{"x": int64(1)}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	mixed, err := plist.Marshal([]any{"junk", map[string]any{"WFWorkflowActionParameters": map[string]any{"u": "https://x.example/a"}},
		map[string]any{"WFWorkflowActionIdentifier": "is.workflow.actions.openurl", "WFWorkflowActionParameters": map[string]any{"WFInput": "https://y.example/b"}}}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := plist.Marshal(map[string]any{"WFWorkflowClientVersion": "1146", "WFWorkflowActions": []any{
		map[string]any{"WFWorkflowActionIdentifier": "is.workflow.actions.openurl", "WFWorkflowActionParameters": map[string]any{"WFInput": "https://z.example/c"}}}}, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	spec := fixture.ShortcutsSpec{Shortcuts: []fixture.Shortcut{
		{ID: 1, Name: "Garbage", Created: t0, Data: []byte("bplist00\x00garbage")},
		{ID: 2, Name: "Not an array", Created: t0, Data: notArray},
		{ID: 3, Name: "Mixed", Created: t0, Data: mixed},
		{ID: 4, Name: "No actions", Created: t0, NoActions: true},
		{ID: 5, Name: "Exported layout", Created: t0, Data: exported},
	}}
	o := run(t, spec, moduletest.Index("domains", "y.example"))
	if o.Status.State != module.Partial || o.Status.Records != 5 || len(o.Status.Problems) != 3 {
		t.Fatalf("status %+v, want partial with 5 records and 3 problems", o.Status)
	}
	got := moduletest.Project(o.List(t), "shortcut_id", "parsed_actions", "action_urls", "actions_error")
	for _, r := range got {
		if e, ok := r["actions_error"].(string); ok && r["shortcut_id"] == 1.0 {
			if !strings.Contains(e, "binary plist") {
				t.Errorf("actions_error %q does not say what failed", e)
			}
			r["actions_error"] = "(decode error)"
		}
	}
	want := []map[string]any{
		{"shortcut_id": 1.0, "parsed_actions": 0.0, "action_urls": []any{}, "actions_error": "(decode error)"},
		{"shortcut_id": 2.0, "parsed_actions": 0.0, "action_urls": []any{}, "actions_error": "the property list holds a dictionary, not an array of actions"},
		{"shortcut_id": 3.0, "parsed_actions": 2.0, "action_urls": []any{"https://x.example/a", "https://y.example/b"},
			"actions_error": "action 1 is a string, not a dictionary (and 1 more problems)"},
		{"shortcut_id": 4.0, "parsed_actions": 0.0, "action_urls": []any{}},
		{"shortcut_id": 5.0, "parsed_actions": 1.0, "action_urls": []any{"https://z.example/c"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CRITICAL ioc/domain 2022-05-03T08:00:00Z"}, summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, moduletest.Index("domains", "y.example"), shortcuts.New())
}

func TestOtherLayouts(t *testing.T) {
	t.Parallel()
	build := func(sql string) *fixture.Backup {
		b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
		data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: sql})
		if err != nil {
			t.Fatal(err)
		}
		b.AddFile(fixture.ShortcutsDomain, fixture.ShortcutsPath, data)
		return b
	}
	t.Run("no_actions_table", func(t *testing.T) {
		b := build("CREATE TABLE ZSHORTCUT (Z_PK INTEGER PRIMARY KEY, ZNAME VARCHAR, ZCREATIONDATE TIMESTAMP); " +
			"INSERT INTO ZSHORTCUT VALUES (1, 'Old', 673257600.5);")
		o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, shortcuts.New())
		want := []map[string]any{{"shortcut_id": 1.0, "shortcut_name": "Old", "modified_date": nil, "description": nil, "parsed_actions": 0.0,
			"action_urls": []any{}, "isodate": "2022-05-03 08:00:00.500000", "actions": []any{}}}
		if diff := cmp.Diff(want, o.List(t)); diff != "" || o.Status.State != module.OK {
			t.Errorf("status %s; records (-want +got):\n%s", o.Status.State, diff)
		}
	})
	t.Run("odd_values", func(t *testing.T) {
		b := build("CREATE TABLE ZSHORTCUT (Z_PK INTEGER PRIMARY KEY, ZNAME VARCHAR, ZCREATIONDATE TIMESTAMP, ZACTIONSDESCRIPTION VARCHAR); " +
			"CREATE TABLE ZSHORTCUTACTIONS (ZSHORTCUT INTEGER, ZDATA BLOB); " +
			"INSERT INTO ZSHORTCUT VALUES (1, CAST(X'4E616DFF' AS BLOB), 'yesterday', 42); INSERT INTO ZSHORTCUTACTIONS VALUES (1, 'text, not a plist');")
		o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, shortcuts.New())
		got := moduletest.Project(o.List(t), "shortcut_name", "isodate", "description", "parsed_actions")
		want := []map[string]any{{"shortcut_name": `Nam\xff`, "isodate": nil, "description": "42", "parsed_actions": 0.0}}
		if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.Partial {
			t.Errorf("status %s (%v); records (-want +got):\n%s", o.Status.State, o.Status.Problems, diff)
		}
	})
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
		if err := fixture.AddShortcuts(b, fixture.SampleShortcuts(fixture.Epoch, 400, 1)); err != nil {
			t.Fatal(err)
		}
		d := b.Lookup(fixture.ShortcutsDomain, fixture.ShortcutsPath).Content
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
		{"no_shortcut_table", build("CREATE TABLE ZSHORTCUTACTIONS (ZSHORTCUT INTEGER, ZDATA BLOB);"), module.Failed, "no ZSHORTCUT table"},
		{"unknown_layout", build("CREATE TABLE ZSHORTCUT (id INTEGER, ZNAME TEXT);"), module.Failed, "unknown layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				b.AddFile(fixture.ShortcutsDomain, fixture.ShortcutsPath, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, shortcuts.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	t.Parallel()
	planted := two()
	fixture.PlantShortcutURL(&planted, "https://c2.badhost.example/u/8a3f", t1)
	tests := []struct {
		name string
		ix   *ioc.Index
		want []string
	}{
		{"url", moduletest.Index("urls", "https://c2.badhost.example/u/8a3f"), []string{"CRITICAL ioc/url 2022-05-04T20:00:00Z"}},
		{"domain", moduletest.Index("domains", "badhost.example"), []string{"CRITICAL ioc/domain 2022-05-04T20:00:00Z"}},
		{"other_url", moduletest.Index("urls", "https://c2.badhost.example/u/other", "domains", "goodhost.example"), nil},
		{"similar_domain", moduletest.Index("domains", "host.example"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, planted, tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, shortcuts.New())
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, planted, moduletest.Index("domains", "badhost.example"))
		if len(o.Alerts) != 1 || !strings.Contains(o.Alerts[0].Message, `in an action of the shortcut "Update"`) {
			t.Errorf("alerts %+v, want one naming the shortcut", o.Alerts)
		}
	})
}

// TestDecodeMVTRecord reads shortcuts the way MVT writes them (its seven keys, the
// name and description as text) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	t.Parallel()
	rec := func(id, name, urls string) string {
		return `{"shortcut_id": ` + id + `, "shortcut_name": ` + name + `, "modified_date": "2022-05-04 20:00:00.000000",
			"description": "Get Contents of URL", "parsed_actions": 1, "action_urls": ` + urls + `, "isodate": "2022-05-03 08:00:00.000000"}`
	}
	tests := []struct {
		name, record string
		want         []string
	}{
		{"action_url", rec("12", `"Update"`, `["https://c2.badhost.example/u/8a3f"]`),
			[]string{`CRITICAL 2022-05-04T20:00:00Z Found a known suspicious domain "https://c2.badhost.example/u/8a3f" (through "badhost.example") in an action of the shortcut "Update"`}},
		{"numeric_name_and_large_id", rec("9007199254740993", `42`, `["https://c2.badhost.example/"]`),
			[]string{`CRITICAL 2022-05-04T20:00:00Z Found a known suspicious domain "https://c2.badhost.example/" (through "badhost.example") in an action of the shortcut "42"`}},
		{"clean", rec("3", `"News"`, `["https://news.example/"]`), nil},
		{"no_urls", rec("4", `null`, `[]`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := shortcuts.New()
			r, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, fmt.Sprintf("%s %s %s", a.Level, a.EventTime.Time.Format(time.RFC3339), msg))
			})
			ck := m.NewChecker(check.NewEnv(moduletest.Index("domains", "badhost.example")))
			ck.Check(r, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			if tc.name == "numeric_name_and_large_id" {
				if b, err := json.Marshal(r); err != nil || !strings.Contains(string(b), `"shortcut_id":9007199254740993,`) {
					t.Errorf("record written back as %s (%v), want the id's every digit", b, err)
				}
			}
		})
	}
}

func TestSampleIsClean(t *testing.T) {
	t.Parallel()
	spec := fixture.SampleShortcuts(fixture.Epoch, 40, 3)
	if diff := cmp.Diff(spec, fixture.SampleShortcuts(fixture.Epoch, 40, 3)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, spec, nil)
	if o.Status.State != module.OK || o.Status.Records != 40 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, 40 records, no alert", o.Status, summary(o.Alerts))
	}
	if len(o.URLs) == 0 {
		t.Errorf("no URL listed: the sample opens websites")
	}
}
