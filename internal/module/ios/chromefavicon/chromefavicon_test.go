package chromefavicon_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/chromefavicon"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	chrome     = fixture.ChromeDomain
	faviconsDB = chrome + "/" + fixture.ChromeFaviconsPath
)

var t0 = fixture.Epoch

// run writes each database into a fresh backup and runs the module over it.
func run(t *testing.T, ix *ioc.Index, dbs map[string]fixture.ChromeFaviconsSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	for name, spec := range dbs {
		domain, rel, _ := strings.Cut(name, "/")
		if err := fixture.AddChromeFavicons(b, domain, rel, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, chromefavicon.New())
}

// small is the fixture most tests start from: two pages of one site sharing its
// favicon.ico (two sizes), a touch icon, and an on-demand icon (last_updated 0).
func small(schema string) fixture.ChromeFaviconsSpec {
	return fixture.ChromeFaviconsSpec{Schema: schema, Icons: []fixture.ChromeFavicon{
		{PageURL: "https://www.bbc.com/news", IconURL: "https://www.bbc.com/favicon.ico", Updated: t0.Add(-2 * time.Hour), Sizes: []int{16, 32}},
		{PageURL: "https://www.bbc.com/", IconURL: "https://www.bbc.com/favicon.ico"},
		{PageURL: "https://www.lemonde.fr/", IconURL: "https://www.lemonde.fr/apple-touch-icon.png", IconType: fixture.ChromeIconTouch,
			Updated: t0.Add(-time.Hour), Sizes: []int{180}},
		{PageURL: "https://www.hrw.org/", IconURL: "https://www.hrw.org/favicon-96x96.png", Requested: t0.Add(-30 * time.Minute), Sizes: []int{96}},
	}}
}

// rec is one expected record as read with ExactList (numbers as json.Number).
func rec(page, icon, ts string, iso any, typ string, size any) map[string]any {
	return map[string]any{
		"url": page, "icon_url": icon, "timestamp": json.Number(ts), "isodate": iso,
		"chrome_favicon_db": faviconsDB, "icon_type": typ, "width": size, "height": size,
	}
}

func n(s string) json.Number { return json.Number(s) }

const (
	bbcIcon    = "https://www.bbc.com/favicon.ico"
	lemondeTch = "https://www.lemonde.fr/apple-touch-icon.png"
	hrwIcon    = "https://www.hrw.org/favicon-96x96.png"
	at2h       = "2026-03-14 07:26:53.000000"
)

func TestRecordsPerSchema(t *testing.T) {
	full := []map[string]any{
		rec("https://www.bbc.com/news", bbcIcon, "13417946813000000", at2h, "favicon", n("16")),
		rec("https://www.bbc.com/news", bbcIcon, "13417946813000000", at2h, "favicon", n("32")),
		rec("https://www.bbc.com/", bbcIcon, "13417946813000000", at2h, "favicon", n("16")),
		rec("https://www.bbc.com/", bbcIcon, "13417946813000000", at2h, "favicon", n("32")),
		rec("https://www.lemonde.fr/", lemondeTch, "13417950413000000", "2026-03-14 08:26:53.000000", "touch_icon", n("180")),
		rec("https://www.hrw.org/", hrwIcon, "13417952213000000", "2026-03-14 08:56:53.000000", "favicon", n("96")),
	}
	// Version 7 has no last_requested: the on-demand icon has no time, and sorts first.
	v7 := append([]map[string]any{rec("https://www.hrw.org/", hrwIcon, "0", nil, "favicon", n("96"))}, full[:5]...)
	tests := []struct {
		name   string
		schema string
		want   []map[string]any
	}{
		{"v8", fixture.ChromeFaviconsV8, full},
		{"v9", fixture.ChromeFaviconsV9, full},
		{"v7", fixture.ChromeFaviconsV7, v7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, nil, map[string]fixture.ChromeFaviconsSpec{faviconsDB: small(tc.schema)})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), problems %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			if diff := cmp.Diff(tc.want, o.ExactList(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts on innocent icons: %v", o.Alerts)
			}
		})
	}
}

func TestTimelineAndURLs(t *testing.T) {
	spec := fixture.ChromeFaviconsSpec{Icons: small("").Icons[2:]}
	o := run(t, nil, map[string]fixture.ChromeFaviconsSpec{faviconsDB: spec})
	wantTimeline := []string{
		`"2026-03-14 08:26:53.000000","ChromeFavicon","new_favicon","` + lemondeTch + ` from https://www.lemonde.fr/"`,
		`"2026-03-14 08:56:53.000000","ChromeFavicon","new_favicon","` + hrwIcon + ` from https://www.hrw.org/"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	url := func(u, ts string) map[string]any {
		return map[string]any{"url": u, "expanded_url": nil, "shortened": false, "timestamp": ts, "source": "chrome_favicon"}
	}
	wantURLs := []map[string]any{
		url("https://www.lemonde.fr/", "2026-03-14 08:26:53.000000"),
		url(lemondeTch, "2026-03-14 08:26:53.000000"),
		url("https://www.hrw.org/", "2026-03-14 08:56:53.000000"),
		url(hrwIcon, "2026-03-14 08:56:53.000000"),
	}
	if diff := cmp.Diff(wantURLs, o.URLs); diff != "" {
		t.Errorf("urls (-want +got):\n%s", diff)
	}
}

func TestWALOnlyIconsAreRead(t *testing.T) {
	spec := small("")
	spec.Icons = append(spec.Icons,
		fixture.ChromeFavicon{PageURL: "https://www.bbc.com/sport", IconURL: bbcIcon, WAL: true},
		fixture.ChromeFavicon{PageURL: "https://github.com/", IconURL: "https://github.githubassets.com/favicons/favicon.svg", Updated: t0, WAL: true})
	o := run(t, nil, map[string]fixture.ChromeFaviconsSpec{faviconsDB: spec})
	got := moduletest.Project(o.ExactList(t), "url", "icon_url", "isodate")
	want := []map[string]any{
		{"url": "https://www.bbc.com/news", "icon_url": bbcIcon, "isodate": at2h},
		{"url": "https://www.bbc.com/news", "icon_url": bbcIcon, "isodate": at2h},
		{"url": "https://www.bbc.com/", "icon_url": bbcIcon, "isodate": at2h},
		{"url": "https://www.bbc.com/", "icon_url": bbcIcon, "isodate": at2h},
		{"url": "https://www.bbc.com/sport", "icon_url": bbcIcon, "isodate": at2h},
		{"url": "https://www.bbc.com/sport", "icon_url": bbcIcon, "isodate": at2h},
		{"url": "https://www.lemonde.fr/", "icon_url": lemondeTch, "isodate": "2026-03-14 08:26:53.000000"},
		{"url": "https://www.hrw.org/", "icon_url": hrwIcon, "isodate": "2026-03-14 08:56:53.000000"},
		{"url": "https://github.com/", "icon_url": "https://github.githubassets.com/favicons/favicon.svg", "isodate": "2026-03-14 09:26:53.000000"},
	}
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if !slices.Contains(o.Status.Files, faviconsDB+"-wal") {
		t.Errorf("files read %v: the -wal is not listed", o.Status.Files)
	}
}

func TestEveryAppAndProfileIsItsOwnDatabase(t *testing.T) {
	profile := chrome + "/Library/Application Support/Google/Chrome/Profile 1/Favicons"
	beta := "AppDomain-com.google.chrome.ios.beta/" + fixture.ChromeFaviconsPath
	one := func(u string) fixture.ChromeFaviconsSpec {
		return fixture.ChromeFaviconsSpec{Icons: []fixture.ChromeFavicon{{PageURL: u, IconURL: u + "favicon.ico", Updated: t0}}}
	}
	o := run(t, nil, map[string]fixture.ChromeFaviconsSpec{
		faviconsDB: one("https://www.bbc.com/"),
		profile:    one("https://www.eff.org/"),
		beta:       one("https://www.reuters.com/"),
	})
	var got [][2]any
	for _, r := range o.List(t) {
		got = append(got, [2]any{r["chrome_favicon_db"], r["url"]})
	}
	want := [][2]any{
		{beta, "https://www.reuters.com/"},
		{faviconsDB, "https://www.bbc.com/"},
		{profile, "https://www.eff.org/"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		o := run(t, nil, map[string]fixture.ChromeFaviconsSpec{faviconsDB: {}})
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Errorf("status %s with %d records, want ok with none", o.Status.State, len(o.List(t)))
		}
	})
	t.Run("absent", func(t *testing.T) {
		o := run(t, nil, nil)
		if o.Status.State != module.Skipped {
			t.Errorf("status %s (%s), want skipped", o.Status.State, o.Status.Reason)
		}
	})
}

func TestDamagedDatabases(t *testing.T) {
	good, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE x (y)"})
	if err != nil {
		t.Fatal(err)
	}
	noIconURL, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE icon_mapping (id INTEGER PRIMARY KEY, page_url TEXT, icon_id INTEGER); CREATE TABLE favicons (id INTEGER PRIMARY KEY)"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		content   []byte // written at faviconsDB
		profile   bool   // also add a readable profile database
		state     module.State
		reasonHas string
	}{
		{"not_sqlite", []byte("this is not a database at all, just text"), false, module.Failed, "not a SQLite database"},
		{"truncated", good[:100], false, module.Failed, faviconsDB},
		{"other_tables", good, false, module.Failed, "not a Chrome favicon database"},
		{"favicons_without_url", noIconURL, false, module.Failed, "table favicons has no column url: not a Chrome favicon database"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(chrome, fixture.ChromeFaviconsPath, tc.content)
			if tc.profile {
				spec := fixture.ChromeFaviconsSpec{Icons: []fixture.ChromeFavicon{{PageURL: "https://www.eff.org/", IconURL: "https://www.eff.org/favicon.ico", Updated: t0}}}
				if err := fixture.AddChromeFavicons(b, chrome, "Library/Application Support/Google/Chrome/Profile 1/Favicons", spec); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, chromefavicon.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reasonHas) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reasonHas)
			}
			if tc.profile && (len(o.List(t)) != 1 || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], faviconsDB)) {
				t.Errorf("records %d, problems %q: want the profile's icon and one problem naming %s", len(o.List(t)), o.Status.Problems, faviconsDB)
			}
		})
	}
}

// What MVT's inner joins drop, or makes it crash, is kept with what is known.
func TestIncompleteRows(t *testing.T) {
	spec := small("")
	spec.ExtraSQL = "DELETE FROM icon_mapping WHERE id = 4;" + // hrw's icon: no page maps to it
		"DELETE FROM favicons WHERE id = 2;" + // lemonde's page: its icon row is gone
		"UPDATE favicon_bitmaps SET last_updated = NULL WHERE id = 1;" + // NULL: MVT crashes
		"UPDATE favicon_bitmaps SET last_requested = 13417953413000000 WHERE id = 1;" +
		"UPDATE favicon_bitmaps SET last_updated = 'soon' WHERE id = 2;" +
		"INSERT INTO icon_mapping (id, page_url, icon_id) VALUES (9, 'https://www.eff.org/', 77);" // no icon at all
	o := run(t, nil, map[string]fixture.ChromeFaviconsSpec{faviconsDB: spec})
	if o.Status.State != module.Partial {
		t.Fatalf("status %s (%s), want partial", o.Status.State, o.Status.Reason)
	}
	wantProblems := []string{
		faviconsDB + `: icon mapping 1: last_updated "soon" is not a number`,
		faviconsDB + `: icon mapping 2: last_updated "soon" is not a number`,
	}
	if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	got := moduletest.Project(o.ExactList(t), "url", "icon_url", "isodate", "width", "icon_type")
	want := []map[string]any{
		{"url": "https://www.lemonde.fr/", "icon_url": "", "isodate": nil, "width": nil, "icon_type": ""},
		{"url": "https://www.eff.org/", "icon_url": "", "isodate": nil, "width": nil, "icon_type": ""},
		{"url": "", "icon_url": hrwIcon, "isodate": "2026-03-14 08:56:53.000000", "width": n("96"), "icon_type": "favicon"},
		{"url": "https://www.bbc.com/news", "icon_url": bbcIcon, "isodate": "2026-03-14 09:16:53.000000", "width": n("16"), "icon_type": "favicon"},
		{"url": "https://www.bbc.com/", "icon_url": bbcIcon, "isodate": "2026-03-14 09:16:53.000000", "width": n("16"), "icon_type": "favicon"},
		// Text sorts after numbers.
		{"url": "https://www.bbc.com/news", "icon_url": bbcIcon, "isodate": nil, "width": n("32"), "icon_type": "favicon"},
		{"url": "https://www.bbc.com/", "icon_url": bbcIcon, "isodate": nil, "width": n("32"), "icon_type": "favicon"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2026-03-14 08:56:53.000000","ChromeFavicon","new_favicon","` + hrwIcon + ` from no page"`,
		`"2026-03-14 09:16:53.000000","ChromeFavicon","new_favicon","` + bbcIcon + ` from https://www.bbc.com/"`,
		`"2026-03-14 09:16:53.000000","ChromeFavicon","new_favicon","` + bbcIcon + ` from https://www.bbc.com/news"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestNoBitmapsTable(t *testing.T) {
	spec := small("")
	spec.ExtraSQL = "DROP TABLE favicon_bitmaps"
	o := run(t, nil, map[string]fixture.ChromeFaviconsSpec{faviconsDB: spec})
	got := moduletest.Project(o.ExactList(t), "url", "icon_url", "timestamp", "width")
	want := []map[string]any{
		{"url": "https://www.bbc.com/news", "icon_url": bbcIcon, "timestamp": n("0"), "width": nil},
		{"url": "https://www.bbc.com/", "icon_url": bbcIcon, "timestamp": n("0"), "width": nil},
		{"url": "https://www.lemonde.fr/", "icon_url": lemondeTch, "timestamp": n("0"), "width": nil},
		{"url": "https://www.hrw.org/", "icon_url": hrwIcon, "timestamp": n("0"), "width": nil},
	}
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestIndicators(t *testing.T) {
	const (
		page = "https://sms.webadv.co/4h7kqz"
		icon = "https://cdn.free247downloads.com/favicon.ico"
	)
	spec := small("")
	fixture.PlantChromeFavicon(&spec, page, icon, t0)
	tests := []struct {
		name      string
		ix        *ioc.Index
		indicator string // value of the one expected match; "" for none
		where     string // what the message says the value is
	}{
		{"page_domain", moduletest.Index(string(ioc.Domain), "webadv.co"), "webadv.co", "in the page URL of a Chrome favicon, dated 2026-03-14 09:26:53 UTC"},
		{"page_url", moduletest.Index(string(ioc.URL), page), page, "in the page URL"},
		{"icon_domain", moduletest.Index(string(ioc.Domain), "free247downloads.com"), "free247downloads.com",
			"in the icon URL of a Chrome favicon for " + page + ", dated 2026-03-14 09:26:53 UTC"},
		{"both_report_the_page", moduletest.Index(string(ioc.Domain), "free247downloads.com", string(ioc.Domain), "webadv.co"), "webadv.co", "in the page URL"},
		{"other_domain", moduletest.Index(string(ioc.Domain), "webadv.com"), "", ""},
		{"suffix_not_on_label_boundary", moduletest.Index(string(ioc.Domain), "dv.co"), "", ""},
		{"other_url", moduletest.Index(string(ioc.URL), "https://sms.webadv.co/other"), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, map[string]fixture.ChromeFaviconsSpec{faviconsDB: spec})
			moduletest.Reload(t, o, tc.ix, chromefavicon.New())
			var got []string
			for _, a := range o.Alerts {
				got = append(got, a.Indicator.Value)
				if a.Level != alert.Critical || a.Time() != t0 {
					t.Errorf("alert level %s at %v, want CRITICAL at %v", a.Level, a.Time(), t0)
				}
				if !strings.Contains(a.Message, tc.where) {
					t.Errorf("message %q does not say %q", a.Message, tc.where)
				}
			}
			var want []string
			if tc.indicator != "" {
				want = []string{tc.indicator}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("matched indicators (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSample(t *testing.T) {
	a, b := fixture.SampleChromeFavicons(t0, 400, 5), fixture.SampleChromeFavicons(t0, 400, 5)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	if len(a.Icons) != 400 {
		t.Fatalf("%d icons, want 400", len(a.Icons))
	}
	// Indicators of the demo attack: nothing innocent matches them.
	ix := moduletest.Index(string(ioc.Domain), "free247downloads.com", string(ioc.Domain), "webadv.co")
	o := run(t, ix, map[string]fixture.ChromeFaviconsSpec{faviconsDB: a})
	recs := o.List(t)
	if o.Status.State != module.OK || len(recs) < 400 || len(o.Alerts) != 0 {
		t.Fatalf("status %s, %d records, %d alerts", o.Status.State, len(recs), len(o.Alerts))
	}
	types := map[any]bool{}
	undated := 0
	for _, r := range recs {
		types[r["icon_type"]] = true
		if r["isodate"] == nil {
			undated++
		}
	}
	if !types["favicon"] || !types["touch_icon"] || undated != 0 {
		t.Errorf("icon types %v, %d undated records", types, undated)
	}
}

// TestDecodeMVTRecord checks the checks on favicons as MVT writes them: url (the page),
// icon_url, timestamp (Chrome time) and isodate, nothing else.
func TestDecodeMVTRecord(t *testing.T) {
	const record = `{"url": "https://sms.webadv.co/4h7kqz", "icon_url": "https://cdn.free247downloads.com/favicon.ico",
		"timestamp": 13419919613000000, "isodate": "2026-03-14 09:26:53.000000"}`
	tests := []struct {
		name  string
		ix    *ioc.Index
		want  string // the matched indicator; "" for none
		where string
	}{
		{"page", moduletest.Index(string(ioc.Domain), "webadv.co"), "webadv.co",
			"in the page URL of a Chrome favicon, dated 2026-03-14 09:26:53 UTC"},
		{"icon", moduletest.Index(string(ioc.Domain), "free247downloads.com"), "free247downloads.com",
			"in the icon URL of a Chrome favicon for https://sms.webadv.co/4h7kqz, dated 2026-03-14 09:26:53 UTC"},
		{"none", moduletest.Index(string(ioc.Domain), "webadv.com"), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := chromefavicon.New()
			rec, err := m.DecodeRecord([]byte(record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(chromefavicon.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tc.ix))
			c.Check(rec, r)
			c.Finish(r)
			if tc.want == "" {
				if len(got) != 0 {
					t.Errorf("alerts %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Indicator.Value != tc.want || !strings.Contains(got[0].Message, tc.where+", matching") || got[0].Time() != t0 {
				t.Errorf("alerts %+v, want one for %s %q at %v", got, tc.want, tc.where, t0)
			}
		})
	}
}
