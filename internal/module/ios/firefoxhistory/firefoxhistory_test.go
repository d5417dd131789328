package firefoxhistory_test

import (
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
	"github.com/spytrace/spytrace/internal/module/ios/firefoxhistory"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0        = fixture.Epoch // 2026-03-14 09:26:53 UTC
	browserDB = fixture.FirefoxDomain + "/" + fixture.FirefoxBrowserDBPath
	placesDB  = fixture.FirefoxDomain + "/" + fixture.FirefoxPlacesDBPath
)

// run writes each database into a fresh backup and runs the module over it.
func run(t *testing.T, ix *ioc.Index, dbs map[string]fixture.FirefoxSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	for name, spec := range dbs {
		domain, rel, _ := strings.Cut(name, "/")
		if err := fixture.AddFirefox(b, domain, rel, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, firefoxhistory.New())
}

// small is the fixture most tests start from: a typed address, a followed link whose
// date has microseconds, and a bookmark opened on another device and synced.
func small(schema string) fixture.FirefoxSpec {
	return fixture.FirefoxSpec{Schema: schema, Visits: []fixture.FirefoxVisit{
		{URL: "https://www.bbc.com/news", Title: "BBC News", At: t0.Add(-2 * time.Hour), Type: fixture.FirefoxTyped},
		{URL: "https://www.lemonde.fr/", Title: "Le Monde", At: t0.Add(-time.Hour + 123456*time.Microsecond)},
		{URL: "https://www.hrw.org/", At: t0.Add(-30 * time.Minute), Type: fixture.FirefoxBookmark, Remote: true},
	}}
}

// rec is one expected record, as decoded from firefox_history.json.
func rec(db string, id float64, iso, url, title string, local, typ any, hist float64) map[string]any {
	return map[string]any{
		"id": id, "isodate": iso, "url": url, "title": title, "i1000000s_local": local, "type": typ,
		"is_local": local, "history_id": hist, "from_visit": nil, "firefox_db": db,
	}
}

func TestRecordsPerSchema(t *testing.T) {
	t.Parallel()
	full := func(db, second string) []map[string]any {
		return []map[string]any{
			rec(db, 1, "2026-03-14 07:26:53.000000", "https://www.bbc.com/news", "BBC News", 1.0, 2.0, 1),
			rec(db, 2, second, "https://www.lemonde.fr/", "Le Monde", 1.0, 1.0, 2),
			rec(db, 3, "2026-03-14 08:56:53.000000", "https://www.hrw.org/", "", 0.0, 3.0, 3),
		}
	}
	minimal := []map[string]any{
		rec(browserDB, 1, "2026-03-14 07:26:53.000000", "https://www.bbc.com/news", "", nil, nil, 1),
		rec(browserDB, 2, "2026-03-14 08:26:53.123456", "https://www.lemonde.fr/", "", nil, nil, 2),
		rec(browserDB, 3, "2026-03-14 08:56:53.000000", "https://www.hrw.org/", "", nil, nil, 3),
	}
	tests := []struct {
		name   string
		db     string
		schema string
		want   []map[string]any
	}{
		{"browser_v41", browserDB, fixture.FirefoxBrowser, full(browserDB, "2026-03-14 08:26:53.123456")},
		{"browser_v39", browserDB, fixture.FirefoxBrowserV39, full(browserDB, "2026-03-14 08:26:53.123456")},
		{"browser_without_favicons", browserDB, fixture.FirefoxBrowserNoFavicons, full(browserDB, "2026-03-14 08:26:53.123456")},
		{"minimal", browserDB, fixture.FirefoxBrowserMinimal, minimal},
		// places.db keeps milliseconds.
		{"places", placesDB, fixture.FirefoxPlaces, full(placesDB, "2026-03-14 08:26:53.123000")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, nil, map[string]fixture.FirefoxSpec{tc.db: small(tc.schema)})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), problems %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			if diff := cmp.Diff(tc.want, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts on innocent browsing: %v", o.Alerts)
			}
		})
	}
}

func TestFromVisit(t *testing.T) {
	t.Parallel()
	spec := fixture.FirefoxSpec{Schema: fixture.FirefoxPlaces, Visits: []fixture.FirefoxVisit{
		{URL: "https://t.co/x1y2z3", At: t0, Type: fixture.FirefoxLink},
		{URL: "https://www.nytimes.com/a", Title: "NYT", At: t0.Add(90 * time.Millisecond), Type: fixture.FirefoxRedirectTemporary, From: 1},
	}}
	o := run(t, nil, map[string]fixture.FirefoxSpec{placesDB: spec})
	got := moduletest.Project(o.List(t), "id", "type", "from_visit")
	want := []map[string]any{
		{"id": 1.0, "type": 1.0, "from_visit": nil},
		{"id": 2.0, "type": 6.0, "from_visit": 1.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestTimelineAndURLs(t *testing.T) {
	t.Parallel()
	o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: small("")})
	wantTimeline := []string{
		`"2026-03-14 07:26:53.000000","FirefoxHistory","firefox_history","Firefox visit with ID 1 to URL: https://www.bbc.com/news"`,
		`"2026-03-14 08:26:53.123456","FirefoxHistory","firefox_history","Firefox visit with ID 2 to URL: https://www.lemonde.fr/"`,
		`"2026-03-14 08:56:53.000000","FirefoxHistory","firefox_history","Firefox visit with ID 3 to URL: https://www.hrw.org/"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	url := func(u, ts string) map[string]any {
		return map[string]any{"url": u, "timestamp": ts, "source": "firefox_history"}
	}
	wantURLs := []map[string]any{
		url("https://www.bbc.com/news", "2026-03-14 07:26:53.000000"),
		url("https://www.lemonde.fr/", "2026-03-14 08:26:53.123456"),
		url("https://www.hrw.org/", "2026-03-14 08:56:53.000000"),
	}
	if diff := cmp.Diff(wantURLs, moduletest.Project(o.URLs, "url", "timestamp", "source")); diff != "" {
		t.Errorf("urls (-want +got):\n%s", diff)
	}
}

func TestWALOnlyVisitsAreRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ db, schema string }{
		{browserDB, fixture.FirefoxBrowser},
		{placesDB, fixture.FirefoxPlaces},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			t.Parallel()
			spec := small(tc.schema)
			spec.Visits = append(spec.Visits,
				fixture.FirefoxVisit{URL: "https://www.bbc.com/news", Title: "BBC News", At: t0.Add(-time.Minute), WAL: true},
				fixture.FirefoxVisit{URL: "https://github.com/", Title: "GitHub", At: t0, WAL: true})
			o := run(t, nil, map[string]fixture.FirefoxSpec{tc.db: spec})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
			}
			recs := o.List(t)
			got := moduletest.Project(recs, "id", "url", "history_id")
			want := []map[string]any{
				{"id": 1.0, "url": "https://www.bbc.com/news", "history_id": 1.0},
				{"id": 2.0, "url": "https://www.lemonde.fr/", "history_id": 2.0},
				{"id": 3.0, "url": "https://www.hrw.org/", "history_id": 3.0},
				{"id": 4.0, "url": "https://www.bbc.com/news", "history_id": 1.0},
				{"id": 5.0, "url": "https://github.com/", "history_id": 4.0},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(recs) == 5 && (recs[3]["isodate"] != "2026-03-14 09:25:53.000000" || recs[4]["isodate"] != "2026-03-14 09:26:53.000000") {
				t.Errorf("WAL visit dates %v, %v", recs[3]["isodate"], recs[4]["isodate"])
			}
			if !slices.Contains(o.Status.Files, tc.db+"-wal") {
				t.Errorf("files read %v: the -wal is not listed", o.Status.Files)
			}
		})
	}
}

func TestChannelsAndDatabases(t *testing.T) {
	t.Parallel()
	one := func(schema, u string) fixture.FirefoxSpec {
		return fixture.FirefoxSpec{Schema: schema, Visits: []fixture.FirefoxVisit{{URL: u, At: t0}}}
	}
	beta := fixture.FirefoxBetaDomain + "/" + fixture.FirefoxBrowserDBPath
	nightly := fixture.FirefoxNightlyDomain + "/" + fixture.FirefoxPlacesDBPath
	focus := "AppDomainGroup-group.org.mozilla.ios.Focus/" + fixture.FirefoxBrowserDBPath
	o := run(t, nil, map[string]fixture.FirefoxSpec{
		browserDB: one("", "https://www.bbc.com/"),
		placesDB:  one(fixture.FirefoxPlaces, "https://www.eff.org/"),
		beta:      one("", "https://www.reuters.com/"),
		nightly:   one(fixture.FirefoxPlaces, "https://github.com/"),
		focus:     one("", "https://example.com/"),
	})
	var got [][2]any
	for _, r := range o.List(t) {
		got = append(got, [2]any{r["firefox_db"], r["url"]})
	}
	// In the order of the files' names; Focus keeps no history and is not read.
	want := [][2]any{
		{nightly, "https://github.com/"},
		{browserDB, "https://www.bbc.com/"},
		{placesDB, "https://www.eff.org/"},
		{beta, "https://www.reuters.com/"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	t.Parallel()
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: {}})
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Errorf("status %s with %d records, want ok with none", o.Status.State, len(o.List(t)))
		}
	})
	t.Run("absent", func(t *testing.T) {
		t.Parallel()
		o := run(t, nil, nil)
		if o.Status.State != module.Skipped {
			t.Errorf("status %s (%s), want skipped", o.Status.State, o.Status.Reason)
		}
	})
}

func TestDamagedDatabases(t *testing.T) {
	t.Parallel()
	build := func(schema string) []byte {
		t.Helper()
		db, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: schema})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	other := build("CREATE TABLE x (y)")
	noDate := build("CREATE TABLE history (id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE visits (id INTEGER PRIMARY KEY, siteID INTEGER)")
	noPlaces := build("CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, place_id INTEGER, visit_date INTEGER)")
	tests := []struct {
		name      string
		content   []byte // written at browserDB
		second    bool   // also add a readable places.db
		state     module.State
		reasonHas string
	}{
		{"not_sqlite", []byte("this is not a database at all, just text"), false, module.Failed, "not a SQLite database"},
		{"truncated", other[:100], false, module.Failed, browserDB},
		{"other_tables", other, false, module.Failed, "no visits or moz_historyvisits table: not a Firefox history database"},
		{"missing_column", noDate, false, module.Failed, "table visits has no column date"},
		{"missing_places_table", noPlaces, false, module.Failed, "table moz_places has no column id"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(fixture.FirefoxDomain, fixture.FirefoxBrowserDBPath, tc.content)
			if tc.second {
				spec := fixture.FirefoxSpec{Schema: fixture.FirefoxPlaces, Visits: []fixture.FirefoxVisit{{URL: "https://www.eff.org/", At: t0}}}
				if err := fixture.AddFirefox(b, fixture.FirefoxDomain, fixture.FirefoxPlacesDBPath, spec); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, firefoxhistory.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reasonHas) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reasonHas)
			}
			if tc.second && (len(o.List(t)) != 1 || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], browserDB)) {
				t.Errorf("records %d, problems %q: want the places.db visit and one problem naming %s", len(o.List(t)), o.Status.Problems, browserDB)
			}
		})
	}
}

func TestRowProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		db, schema, sql string
		want            []string
	}{
		{browserDB, fixture.FirefoxBrowser,
			"UPDATE visits SET date = 'yesterday' WHERE id = 1; UPDATE visits SET date = 9e18 WHERE id = 2; DELETE FROM history WHERE id = 3;",
			[]string{
				browserDB + ": visit 3 refers to history row 3, which does not exist",
				browserDB + ": visit 2: date 9000000000000000000 is not a plausible time in microseconds since 1970",
				browserDB + `: visit 1: date "yesterday" is not a number`,
			}},
		{placesDB, fixture.FirefoxPlaces,
			// A date in microseconds where milliseconds are expected is year 58000.
			"UPDATE moz_historyvisits SET visit_date = 'yesterday' WHERE id = 1; UPDATE moz_historyvisits SET visit_date = 1773476813123456 WHERE id = 2; DELETE FROM moz_places WHERE id = 3;",
			[]string{
				placesDB + ": visit 3 refers to moz_places row 3, which does not exist",
				placesDB + ": visit 2: visit_date 1773476813123456 is not a plausible time in milliseconds since 1970",
				placesDB + `: visit 1: visit_date "yesterday" is not a number`,
			}},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			t.Parallel()
			spec := small(tc.schema)
			spec.ExtraSQL = tc.sql
			o := run(t, nil, map[string]fixture.FirefoxSpec{tc.db: spec})
			if o.Status.State != module.Partial {
				t.Fatalf("status %s, want partial", o.Status.State)
			}
			if diff := cmp.Diff(tc.want, o.Status.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			// Every visit is kept: numbers sort before text in SQLite.
			got := moduletest.Project(o.List(t), "id", "isodate", "url")
			want := []map[string]any{
				{"id": 3.0, "isodate": "2026-03-14 08:56:53.000000", "url": ""},
				{"id": 2.0, "isodate": nil, "url": "https://www.lemonde.fr/"},
				{"id": 1.0, "isodate": nil, "url": "https://www.bbc.com/news"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	t.Parallel()
	const planted = "https://sms.webadv.co/4h7kqz"
	spec := small("")
	fixture.PlantFirefoxVisit(&spec, planted, t0)
	places := small(fixture.FirefoxPlaces)
	fixture.PlantFirefoxVisit(&places, planted, t0)
	ipSpec := small("")
	fixture.PlantFirefoxVisit(&ipSpec, "http://185.125.190.21:8443/x", t0)
	tests := []struct {
		name      string
		ix        *ioc.Index
		dbs       map[string]fixture.FirefoxSpec
		indicator string // value of the one expected match; "" for none
		where     string
	}{
		{"domain", moduletest.Index(string(ioc.Domain), "webadv.co"), map[string]fixture.FirefoxSpec{browserDB: spec}, "webadv.co",
			"in a Firefox visit on 2026-03-14 09:26:53 UTC,"},
		{"url", moduletest.Index(string(ioc.URL), planted), map[string]fixture.FirefoxSpec{browserDB: spec}, planted,
			"in a Firefox visit on 2026-03-14 09:26:53 UTC,"},
		{"ip", moduletest.Index(string(ioc.IP), "185.125.190.21"), map[string]fixture.FirefoxSpec{browserDB: ipSpec}, "185.125.190.21",
			"in a Firefox visit on 2026-03-14 09:26:53 UTC,"},
		{"places_db", moduletest.Index(string(ioc.Domain), "webadv.co"), map[string]fixture.FirefoxSpec{placesDB: places}, "webadv.co",
			"in a Firefox visit on 2026-03-14 09:26:53 UTC (" + placesDB + "),"},
		{"other_domain", moduletest.Index(string(ioc.Domain), "webadv.com"), map[string]fixture.FirefoxSpec{browserDB: spec}, "", ""},
		{"suffix_not_on_label_boundary", moduletest.Index(string(ioc.Domain), "dv.co"), map[string]fixture.FirefoxSpec{browserDB: spec}, "", ""},
		{"other_url", moduletest.Index(string(ioc.URL), "https://sms.webadv.co/other"), map[string]fixture.FirefoxSpec{browserDB: spec}, "", ""},
		{"other_ip", moduletest.Index(string(ioc.IP), "185.125.190.22"), map[string]fixture.FirefoxSpec{browserDB: ipSpec}, "", ""},
		{"clean_sample", moduletest.Index(string(ioc.Domain), "webadv.co", string(ioc.Domain), "free247downloads.com"),
			map[string]fixture.FirefoxSpec{browserDB: fixture.SampleFirefox(t0, 2000, 7)}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.ix, tc.dbs)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
			}
			moduletest.Reload(t, o, tc.ix, firefoxhistory.New())
			var got []string
			for _, a := range o.Alerts {
				got = append(got, a.Indicator.Value)
				if a.Level != alert.Critical || !a.Time().Equal(t0) {
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

// TestDecodeMVTRecord checks the checks on visits as MVT writes them: id, isodate, url,
// title, i1000000s_local and type.
func TestDecodeMVTRecord(t *testing.T) {
	t.Parallel()
	const record = `{"id": 7, "isodate": "2026-03-14 09:26:53.000000", "url": "https://sms.webadv.co/4h7kqz", "title": null,
		"i1000000s_local": 1, "type": 2}`
	tests := []struct {
		name string
		ix   *ioc.Index
		want string // the matched indicator; "" for none
	}{
		{"domain", moduletest.Index(string(ioc.Domain), "webadv.co"), "webadv.co"},
		{"url", moduletest.Index(string(ioc.URL), "https://sms.webadv.co/4h7kqz"), "https://sms.webadv.co/4h7kqz"},
		{"other_domain", moduletest.Index(string(ioc.Domain), "webadv.com"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := firefoxhistory.New()
			rec, err := m.DecodeRecord([]byte(record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(firefoxhistory.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tc.ix))
			c.Check(rec, r)
			c.Finish(r)
			if tc.want == "" {
				if len(got) != 0 {
					t.Errorf("alerts %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Indicator.Value != tc.want || !got[0].Time().Equal(t0) ||
				!strings.Contains(got[0].Message, " in a Firefox visit on 2026-03-14 09:26:53 UTC, matching") {
				t.Errorf("alerts %+v, want one for %s at %v", got, tc.want, t0)
			}
		})
	}
}

func TestSampleIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := fixture.SampleFirefox(t0, 500, 3), fixture.SampleFirefox(t0, 500, 3)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two samples of one seed differ:\n%s", diff)
	}
	if len(a.Visits) != 500 || len(a.Favicons) == 0 {
		t.Fatalf("%d visits, %d favicons: want 500 visits and some favicons", len(a.Visits), len(a.Favicons))
	}
	o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: a})
	if o.Status.State != module.OK || o.Status.Records != 500 {
		t.Errorf("status %s with %d records, want ok with 500", o.Status.State, o.Status.Records)
	}
}
