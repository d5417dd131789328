package firefoxfavicon_test

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
	"github.com/spytrace/spytrace/internal/module/ios/firefoxfavicon"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0        = fixture.Epoch // 2026-03-14 09:26:53 UTC
	browserDB = fixture.FirefoxDomain + "/" + fixture.FirefoxBrowserDBPath
	betaDB    = fixture.FirefoxBetaDomain + "/" + fixture.FirefoxBrowserDBPath
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
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, firefoxfavicon.New())
}

// small is the fixture most tests start from: BBC's icon, linked to the page it was
// fetched for and (bySiteURL) to the home page by URL; Le Monde's touch icon, linked to
// a page with no visit; and Human Rights Watch's guessed icon, linked to no page.
func small(schema string, bySiteURL bool) fixture.FirefoxSpec {
	spec := fixture.FirefoxSpec{Schema: schema,
		Visits: []fixture.FirefoxVisit{{URL: "https://www.bbc.com/news", Title: "BBC News", At: t0.Add(-2 * time.Hour)}},
		Favicons: []fixture.FirefoxFavicon{
			{IconURL: "https://www.bbc.com/favicon.ico", PageURL: "https://www.bbc.com/news", Width: 32, Height: 32,
				Type: fixture.FirefoxIcon, At: t0.Add(-2*time.Hour + 500*time.Millisecond)},
		},
	}
	if bySiteURL {
		spec.Favicons = append(spec.Favicons, fixture.FirefoxFavicon{IconURL: "https://www.bbc.com/favicon.ico",
			PageURL: "https://www.bbc.com/", BySiteURL: true, Type: fixture.FirefoxIcon, At: t0})
	}
	spec.Favicons = append(spec.Favicons,
		fixture.FirefoxFavicon{IconURL: "https://www.lemonde.fr/apple-touch-icon.png", PageURL: "https://www.lemonde.fr/",
			Width: 180, Height: 180, Type: fixture.FirefoxAppleIcon, At: t0.Add(-time.Hour)},
		fixture.FirefoxFavicon{IconURL: "https://www.hrw.org/favicon.ico", Type: fixture.FirefoxIconGuess, At: t0.Add(-30 * time.Minute)})
	return spec
}

// rec is one expected record, as decoded from firefox_favicon.json.
func rec(id float64, url string, w, h, typ any, iso string, hid any, hurl, link string) map[string]any {
	return map[string]any{
		"id": id, "url": url, "width": w, "height": h, "type": typ, "isodate": iso,
		"history_id": hid, "history_url": hurl, "linked_by": link, "firefox_db": browserDB,
	}
}

var (
	bbcBySiteURL = rec(1, "https://www.bbc.com/favicon.ico", 32.0, 32.0, 0.0, "2026-03-14 07:26:53.500000", nil, "https://www.bbc.com/", "favicon_site_urls")
	bbc          = rec(1, "https://www.bbc.com/favicon.ico", 32.0, 32.0, 0.0, "2026-03-14 07:26:53.500000", 1.0, "https://www.bbc.com/news", "favicon_sites")
	lemonde      = rec(2, "https://www.lemonde.fr/apple-touch-icon.png", 180.0, 180.0, 1.0, "2026-03-14 08:26:53.000000", 2.0, "https://www.lemonde.fr/", "favicon_sites")
	hrw          = rec(3, "https://www.hrw.org/favicon.ico", nil, nil, 3.0, "2026-03-14 08:56:53.000000", nil, "", "")
)

func TestRecordsPerSchema(t *testing.T) {
	t.Parallel()
	renamed := small(fixture.FirefoxBrowser, true)
	renamed.ExtraSQL = "ALTER TABLE favicon_sites RENAME TO faviconSites"
	mapping := small(fixture.FirefoxBrowserV39, false)
	mapping.ExtraSQL = "ALTER TABLE favicon_sites RENAME TO faviconSiteMapping"
	tests := []struct {
		name string
		spec fixture.FirefoxSpec
		want []map[string]any
	}{
		{"v41", small(fixture.FirefoxBrowser, true), []map[string]any{bbcBySiteURL, bbc, lemonde, hrw}},
		{"v39", small(fixture.FirefoxBrowserV39, false), []map[string]any{bbc, lemonde, hrw}},
		{"old_link_table_name", renamed, []map[string]any{bbcBySiteURL, bbc, lemonde, hrw}},
		{"first_link_table_name", mapping, []map[string]any{bbc, lemonde, hrw}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: tc.spec})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), problems %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			if diff := cmp.Diff(tc.want, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts on innocent favicons: %v", o.Alerts)
			}
		})
	}
}

func TestTimelineAndURLs(t *testing.T) {
	t.Parallel()
	o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: small("", true)})
	wantTimeline := []string{
		`"2026-03-14 07:26:53.500000","FirefoxFavicon","firefox_favicon","Firefox favicon https://www.bbc.com/favicon.ico when visiting https://www.bbc.com/"`,
		`"2026-03-14 07:26:53.500000","FirefoxFavicon","firefox_favicon","Firefox favicon https://www.bbc.com/favicon.ico when visiting https://www.bbc.com/news"`,
		`"2026-03-14 08:26:53.000000","FirefoxFavicon","firefox_favicon","Firefox favicon https://www.lemonde.fr/apple-touch-icon.png when visiting https://www.lemonde.fr/"`,
		`"2026-03-14 08:56:53.000000","FirefoxFavicon","firefox_favicon","Firefox favicon https://www.hrw.org/favicon.ico"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	url := func(u, ts string) map[string]any {
		return map[string]any{"url": u, "timestamp": ts, "source": "firefox_favicon"}
	}
	wantURLs := []map[string]any{
		url("https://www.bbc.com/favicon.ico", "2026-03-14 07:26:53.500000"),
		url("https://www.bbc.com/", "2026-03-14 07:26:53.500000"),
		url("https://www.bbc.com/favicon.ico", "2026-03-14 07:26:53.500000"),
		url("https://www.bbc.com/news", "2026-03-14 07:26:53.500000"),
		url("https://www.lemonde.fr/apple-touch-icon.png", "2026-03-14 08:26:53.000000"),
		url("https://www.lemonde.fr/", "2026-03-14 08:26:53.000000"),
		url("https://www.hrw.org/favicon.ico", "2026-03-14 08:56:53.000000"),
	}
	if diff := cmp.Diff(wantURLs, moduletest.Project(o.URLs, "url", "timestamp", "source")); diff != "" {
		t.Errorf("urls (-want +got):\n%s", diff)
	}
}

func TestWALOnlyFaviconsAreRead(t *testing.T) {
	t.Parallel()
	spec := small("", false)
	spec.Favicons = append(spec.Favicons, fixture.FirefoxFavicon{IconURL: "https://github.com/favicon.ico",
		PageURL: "https://github.com/", Width: 16, Height: 16, Type: fixture.FirefoxIcon, At: t0, WAL: true})
	o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: spec})
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
	}
	want := []map[string]any{bbc, lemonde, hrw,
		rec(4, "https://github.com/favicon.ico", 16.0, 16.0, 0.0, "2026-03-14 09:26:53.000000", 3.0, "https://github.com/", "favicon_sites")}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if !slices.Contains(o.Status.Files, browserDB+"-wal") {
		t.Errorf("files read %v: the -wal is not listed", o.Status.Files)
	}
}

func TestDatabasesWithoutFavicons(t *testing.T) {
	t.Parallel()
	t.Run("only_one", func(t *testing.T) {
		t.Parallel()
		o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: {Schema: fixture.FirefoxBrowserNoFavicons}})
		if o.Status.State != module.Skipped || !strings.Contains(o.Status.Reason, `no favicons table in "`+browserDB+`"`) {
			t.Errorf("status %s (%q), want skipped for want of a favicons table", o.Status.State, o.Status.Reason)
		}
	})
	t.Run("beside_one_with", func(t *testing.T) {
		t.Parallel()
		o := run(t, nil, map[string]fixture.FirefoxSpec{
			browserDB: {Schema: fixture.FirefoxBrowserNoFavicons},
			betaDB:    {Favicons: []fixture.FirefoxFavicon{{IconURL: "https://www.eff.org/favicon.ico", At: t0}}},
		})
		if o.Status.State != module.OK || len(o.Status.Problems) != 0 {
			t.Fatalf("status %s (%s), problems %v: want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
		}
		got := moduletest.Project(o.List(t), "url", "firefox_db")
		want := []map[string]any{{"url": "https://www.eff.org/favicon.ico", "firefox_db": betaDB}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
	t.Run("absent", func(t *testing.T) {
		t.Parallel()
		// places.db holds no favicons and is not read.
		places := fixture.FirefoxDomain + "/" + fixture.FirefoxPlacesDBPath
		o := run(t, nil, map[string]fixture.FirefoxSpec{places: {Schema: fixture.FirefoxPlaces}})
		if o.Status.State != module.Skipped {
			t.Errorf("status %s (%s), want skipped", o.Status.State, o.Status.Reason)
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: {}})
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Errorf("status %s with %d records, want ok with none", o.Status.State, len(o.List(t)))
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
	noURL := build("CREATE TABLE favicons (id INTEGER PRIMARY KEY, width INTEGER)")
	noHistory := build("CREATE TABLE favicons (id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE favicon_sites (id INTEGER PRIMARY KEY, siteID INTEGER, faviconID INTEGER)")
	badLink := build("CREATE TABLE favicons (id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE favicon_sites (id INTEGER PRIMARY KEY, site INTEGER)")
	tests := []struct {
		name      string
		content   []byte // written at browserDB
		second    bool   // also add a readable beta browser.db
		state     module.State
		reasonHas string
	}{
		{"not_sqlite", []byte("this is not a database at all, just text"), false, module.Failed, "not a SQLite database"},
		{"truncated", noURL[:100], false, module.Failed, browserDB},
		{"favicons_without_url", noURL, false, module.Failed, "table favicons has no column url"},
		{"links_without_history", noHistory, false, module.Failed, "table history is missing"},
		{"link_table_of_another_layout", badLink, false, module.Failed, "table favicon_sites has no siteID or faviconID column"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(fixture.FirefoxDomain, fixture.FirefoxBrowserDBPath, tc.content)
			if tc.second {
				spec := fixture.FirefoxSpec{Favicons: []fixture.FirefoxFavicon{{IconURL: "https://www.eff.org/favicon.ico", At: t0}}}
				if err := fixture.AddFirefox(b, fixture.FirefoxBetaDomain, fixture.FirefoxBrowserDBPath, spec); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, firefoxfavicon.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reasonHas) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reasonHas)
			}
			if tc.second && (len(o.List(t)) != 1 || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], browserDB)) {
				t.Errorf("records %d, problems %q: want the beta favicon and one problem naming %s", len(o.List(t)), o.Status.Problems, browserDB)
			}
		})
	}
}

func TestRowProblems(t *testing.T) {
	t.Parallel()
	spec := small("", false)
	spec.ExtraSQL = "DELETE FROM history WHERE id = 2; UPDATE favicons SET date = 'yesterday' WHERE id = 3; UPDATE favicons SET date = 1e15 WHERE id = 1;"
	o := run(t, nil, map[string]fixture.FirefoxSpec{browserDB: spec})
	if o.Status.State != module.Partial {
		t.Fatalf("status %s, want partial", o.Status.State)
	}
	wantProblems := []string{
		browserDB + ": favicon 2 is linked to history row 2, which does not exist",
		browserDB + ": favicon 1: date 1e+15 is not a plausible time in seconds since 1970",
		browserDB + `: favicon 3: date "yesterday" is not a number`,
	}
	if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// Every favicon is kept: numbers sort before text in SQLite.
	got := moduletest.Project(o.List(t), "id", "isodate", "history_id", "history_url")
	want := []map[string]any{
		{"id": 2.0, "isodate": "2026-03-14 08:26:53.000000", "history_id": 2.0, "history_url": ""},
		{"id": 1.0, "isodate": nil, "history_id": 1.0, "history_url": "https://www.bbc.com/news"},
		{"id": 3.0, "isodate": nil, "history_id": nil, "history_url": ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestIndicators(t *testing.T) {
	t.Parallel()
	const (
		page = "https://sms.webadv.co/4h7kqz"
		icon = "https://cdn.webadv.co/favicon.ico"
	)
	spec := small("", true)
	fixture.PlantFirefoxFavicon(&spec, page, icon, t0)
	tests := []struct {
		name      string
		ix        *ioc.Index
		spec      fixture.FirefoxSpec
		indicator string // value of the one expected match; "" for none
		where     string
	}{
		{"icon_domain", moduletest.Index(string(ioc.Domain), "webadv.co"), spec, "webadv.co",
			`"` + icon + `" (through "webadv.co") in a Firefox favicon fetched on 2026-03-14 09:26:53 UTC,`},
		{"icon_url", moduletest.Index(string(ioc.URL), icon), spec, icon,
			`"` + icon + `" in a Firefox favicon fetched on 2026-03-14 09:26:53 UTC,`},
		{"page_url", moduletest.Index(string(ioc.URL), page), spec, page,
			`"` + page + `" in the page of a Firefox favicon fetched on 2026-03-14 09:26:53 UTC,`},
		// One alert per favicon: the icon's match, as in MVT.
		{"icon_and_page", moduletest.Index(string(ioc.URL), page, string(ioc.URL), icon), spec, icon,
			`"` + icon + `" in a Firefox favicon`},
		{"other_domain", moduletest.Index(string(ioc.Domain), "webadv.com"), spec, "", ""},
		{"other_url", moduletest.Index(string(ioc.URL), "https://sms.webadv.co/other"), spec, "", ""},
		{"clean_sample", moduletest.Index(string(ioc.Domain), "webadv.co", string(ioc.Domain), "free247downloads.com"),
			fixture.SampleFirefox(t0, 2000, 7), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.ix, map[string]fixture.FirefoxSpec{browserDB: tc.spec})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
			}
			moduletest.Reload(t, o, tc.ix, firefoxfavicon.New())
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

// TestDecodeMVTRecord checks the checks on favicons as MVT writes them: id, url (the
// icon), width, height, type, isodate, history_id and history_url (the page).
func TestDecodeMVTRecord(t *testing.T) {
	t.Parallel()
	const record = `{"id": 4, "url": "https://cdn.webadv.co/favicon.ico", "width": 32, "height": 32, "type": 0,
		"isodate": "2026-03-14 09:26:53.000000", "history_id": 9, "history_url": "https://sms.free247downloads.com/4h7kqz"}`
	tests := []struct {
		name  string
		ix    *ioc.Index
		want  string // the matched indicator; "" for none
		where string
	}{
		{"icon", moduletest.Index(string(ioc.Domain), "webadv.co"), "webadv.co", " in a Firefox favicon fetched on 2026-03-14 09:26:53 UTC, matching"},
		{"page", moduletest.Index(string(ioc.Domain), "free247downloads.com"), "free247downloads.com",
			" in the page of a Firefox favicon fetched on 2026-03-14 09:26:53 UTC, matching"},
		{"none", moduletest.Index(string(ioc.Domain), "webadv.com"), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := firefoxfavicon.New()
			rec, err := m.DecodeRecord([]byte(record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(firefoxfavicon.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tc.ix))
			c.Check(rec, r)
			c.Finish(r)
			if tc.want == "" {
				if len(got) != 0 {
					t.Errorf("alerts %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Indicator.Value != tc.want || !strings.Contains(got[0].Message, tc.where) || !got[0].Time().Equal(t0) {
				t.Errorf("alerts %+v, want one for %s %q at %v", got, tc.want, tc.where, t0)
			}
		})
	}
}

func TestPlantFaviconID(t *testing.T) {
	t.Parallel()
	spec := small("", true)
	if id := fixture.PlantFirefoxFavicon(&spec, "https://a.example/", "https://a.example/i.png", t0); id != 4 {
		t.Errorf("new icon id %d, want 4", id)
	}
	if id := fixture.PlantFirefoxFavicon(&spec, "https://b.example/", "https://www.bbc.com/favicon.ico", t0); id != 1 {
		t.Errorf("shared icon id %d, want 1", id)
	}
}
