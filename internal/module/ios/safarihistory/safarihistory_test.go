package safarihistory_test

import (
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
	"github.com/spytrace/spytrace/internal/module/ios/safarihistory"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	home       = fixture.SafariDomain
	historyRel = fixture.SafariHistoryPath
	historyDB  = home + "/" + historyRel
	// The Pegasus installation page of Amnesty International's Moroccan case.
	pegasusURL = "https://bun54l2b67.get1tn0w.free247downloads.com:30495/szev4hz"
)

var t0 = fixture.Epoch

// run writes each database into a fresh backup and runs the module over it.
func run(t *testing.T, ix *ioc.Index, dbs map[string]fixture.SafariHistorySpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	for name, spec := range dbs {
		domain, rel, _ := strings.Cut(name, "/")
		if err := fixture.AddSafariHistory(b, domain, rel, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, safarihistory.New())
}

// small is the fixture most tests start from: a plain visit, a typed address upgraded
// to https on the same site, and a failed load synced from another device.
func small(schema string) fixture.SafariHistorySpec {
	return fixture.SafariHistorySpec{Schema: schema, Visits: []fixture.SafariVisit{
		{URL: "https://www.bbc.com/news", Title: "BBC News", At: t0.Add(-2 * time.Hour)},
		{URL: "http://lemonde.fr/", At: t0.Add(-time.Hour), RedirectsTo: 3},
		{URL: "https://www.lemonde.fr/", Title: "Le Monde", At: t0.Add(-time.Hour + 250*time.Millisecond)},
		{URL: "https://www.hrw.org/", At: t0.Add(-30 * time.Minute), Failed: true, Synced: true},
	}}
}

// rec is one expected record, as decoded from safari_history.json.
func rec(id, visit float64, url string, ts float64, iso string, src, dst any, title string, ok any, origin any, srcURL string) map[string]any {
	return map[string]any{
		"id": id, "url": url, "visit_id": visit, "timestamp": ts, "isodate": iso,
		"redirect_source": src, "redirect_destination": dst, "safari_history_db": historyDB,
		"title": title, "load_successful": ok, "origin": origin, "redirect_source_url": srcURL,
	}
}

func TestRecordsPerSchema(t *testing.T) {
	full := []map[string]any{
		rec(1, 1, "https://www.bbc.com/news", 795166013, "2026-03-14 07:26:53.000000", nil, nil, "BBC News", true, 0.0, ""),
		rec(2, 2, "http://lemonde.fr/", 795169613, "2026-03-14 08:26:53.000000", nil, 3.0, "", true, 0.0, ""),
		rec(3, 3, "https://www.lemonde.fr/", 795169613.25, "2026-03-14 08:26:53.250000", 2.0, nil, "Le Monde", true, 0.0, "http://lemonde.fr/"),
		rec(4, 4, "https://www.hrw.org/", 795171413, "2026-03-14 08:56:53.000000", nil, nil, "", false, 1.0, ""),
	}
	minimal := []map[string]any{
		rec(1, 1, "https://www.bbc.com/news", 795166013, "2026-03-14 07:26:53.000000", nil, nil, "", nil, nil, ""),
		rec(2, 2, "http://lemonde.fr/", 795169613, "2026-03-14 08:26:53.000000", nil, nil, "", nil, nil, ""),
		rec(3, 3, "https://www.lemonde.fr/", 795169613.25, "2026-03-14 08:26:53.250000", nil, nil, "", nil, nil, ""),
		rec(4, 4, "https://www.hrw.org/", 795171413, "2026-03-14 08:56:53.000000", nil, nil, "", nil, nil, ""),
	}
	tests := []struct {
		name   string
		schema string
		want   []map[string]any
	}{
		{"ios17", fixture.SafariHistoryIOS17, full},
		{"ios12", fixture.SafariHistoryIOS12, full},
		{"minimal", fixture.SafariHistoryMinimal, minimal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, nil, map[string]fixture.SafariHistorySpec{historyDB: small(tc.schema)})
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

func TestTimelineAndURLs(t *testing.T) {
	o := run(t, nil, map[string]fixture.SafariHistorySpec{historyDB: small("")})
	wantTimeline := []string{
		`"2026-03-14 07:26:53.000000","SafariHistory","safari_history","https://www.bbc.com/news"`,
		`"2026-03-14 08:26:53.000000","SafariHistory","safari_history","http://lemonde.fr/"`,
		`"2026-03-14 08:26:53.250000","SafariHistory","safari_history","https://www.lemonde.fr/ (redirect from http://lemonde.fr/)"`,
		`"2026-03-14 08:56:53.000000","SafariHistory","safari_history","https://www.hrw.org/"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	url := func(u, ts string) map[string]any {
		return map[string]any{"url": u, "expanded_url": nil, "timestamp": ts, "source": "safari_history", "shortened": false}
	}
	wantURLs := []map[string]any{
		url("https://www.bbc.com/news", "2026-03-14 07:26:53.000000"),
		url("http://lemonde.fr/", "2026-03-14 08:26:53.000000"),
		url("https://www.lemonde.fr/", "2026-03-14 08:26:53.250000"),
		url("https://www.hrw.org/", "2026-03-14 08:56:53.000000"),
	}
	if diff := cmp.Diff(wantURLs, o.URLs); diff != "" {
		t.Errorf("urls (-want +got):\n%s", diff)
	}
}

func TestWALOnlyVisitsAreRead(t *testing.T) {
	spec := small("")
	spec.Visits = append(spec.Visits,
		fixture.SafariVisit{URL: "https://www.bbc.com/news", Title: "BBC News", At: t0.Add(-time.Minute), WAL: true},
		fixture.SafariVisit{URL: "https://github.com/", Title: "GitHub", At: t0, WAL: true})
	o := run(t, nil, map[string]fixture.SafariHistorySpec{historyDB: spec})
	got := o.List(t)
	if o.Status.State != module.OK || len(got) != 6 {
		t.Fatalf("status %s, %d records, want ok and 6", o.Status.State, len(got))
	}
	want := []map[string]any{
		rec(1, 5, "https://www.bbc.com/news", 795173153, "2026-03-14 09:25:53.000000", nil, nil, "BBC News", true, 0.0, ""),
		rec(5, 6, "https://github.com/", 795173213, "2026-03-14 09:26:53.000000", nil, nil, "GitHub", true, 0.0, ""),
	}
	if diff := cmp.Diff(want, got[4:]); diff != "" {
		t.Errorf("WAL records (-want +got):\n%s", diff)
	}
	if !slicesContains(o.Status.Files, historyDB+"-wal") {
		t.Errorf("files read %v: the -wal is not listed", o.Status.Files)
	}
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestProfilesAndAppDomainsAreSeparateDatabases(t *testing.T) {
	profile := home + "/Library/Safari/Profiles/6A1F5D2C-93B8-4F1E-A2C4-7D8E9F0A1B2C/History.db"
	app := "AppDomain-com.example.reader/Library/Safari/History.db"
	one := func(u string) fixture.SafariHistorySpec {
		return fixture.SafariHistorySpec{Visits: []fixture.SafariVisit{{URL: u, At: t0}}}
	}
	o := run(t, nil, map[string]fixture.SafariHistorySpec{
		historyDB: one("https://www.bbc.com/"),
		profile:   one("https://www.eff.org/"),
		app:       one("https://www.reuters.com/"),
	})
	var got [][2]any
	for _, r := range o.List(t) {
		got = append(got, [2]any{r["safari_history_db"], r["url"]})
	}
	want := [][2]any{
		{app, "https://www.reuters.com/"},
		{historyDB, "https://www.bbc.com/"},
		{profile, "https://www.eff.org/"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		o := run(t, nil, map[string]fixture.SafariHistorySpec{historyDB: {}})
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
	tests := []struct {
		name      string
		content   []byte // written at historyDB
		profile   bool   // also add a readable profile database
		state     module.State
		reasonHas string
	}{
		{"not_sqlite", []byte("this is not a database at all, just text"), false, module.Failed, "not a SQLite database"},
		{"truncated", good[:100], false, module.Failed, historyDB},
		{"other_tables", good, false, module.Failed, "not a Safari history database"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(home, historyRel, tc.content)
			if tc.profile {
				spec := fixture.SafariHistorySpec{Visits: []fixture.SafariVisit{{URL: "https://www.eff.org/", At: t0}}}
				if err := fixture.AddSafariHistory(b, home, "Library/Safari/Profiles/P1/History.db", spec); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, safarihistory.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reasonHas) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reasonHas)
			}
			if tc.profile && (len(o.List(t)) != 1 || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], historyDB)) {
				t.Errorf("records %d, problems %q: want the profile's visit and one problem naming %s", len(o.List(t)), o.Status.Problems, historyDB)
			}
		})
	}
}

func TestRowProblems(t *testing.T) {
	spec := small("")
	spec.ExtraSQL = "UPDATE history_visits SET visit_time = 'yesterday' WHERE id = 1; DELETE FROM history_items WHERE id = 4;"
	o := run(t, nil, map[string]fixture.SafariHistorySpec{historyDB: spec})
	if o.Status.State != module.Partial {
		t.Fatalf("status %s, want partial", o.Status.State)
	}
	wantProblems := []string{
		historyDB + ": visit 4 refers to history item 4, which does not exist",
		historyDB + `: visit 1: visit_time "yesterday" is not a number`,
	}
	if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	recs := o.List(t)
	if len(recs) != 4 {
		t.Fatalf("%d records, want all 4 kept", len(recs))
	}
	// Text sorts after numbers in SQLite: the undated visit comes last, with no date.
	if last := recs[3]; last["visit_id"] != 1.0 || last["isodate"] != nil || last["timestamp"] != 0.0 {
		t.Errorf("undated visit: %v", last)
	}
	if orphan := recs[2]; orphan["visit_id"] != 4.0 || orphan["url"] != "" {
		t.Errorf("orphan visit: %v", orphan)
	}
}

func TestIndicators(t *testing.T) {
	spec := small("")
	fixture.PlantSafariVisit(&spec, "https://sms.webadv.co/4h7kqz", t0)
	tests := []struct {
		name      string
		ix        *ioc.Index
		indicator string // value of the one expected match; "" for none
	}{
		{"domain", moduletest.Index(string(ioc.Domain), "webadv.co"), "webadv.co"},
		{"url", moduletest.Index(string(ioc.URL), "https://sms.webadv.co/4h7kqz"), "https://sms.webadv.co/4h7kqz"},
		{"other_domain", moduletest.Index(string(ioc.Domain), "webadv.com"), ""},
		{"suffix_not_on_label_boundary", moduletest.Index(string(ioc.Domain), "dv.co"), ""},
		{"other_url", moduletest.Index(string(ioc.URL), "https://sms.webadv.co/other"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, map[string]fixture.SafariHistorySpec{historyDB: spec})
			var got []string
			for _, a := range o.Alerts {
				got = append(got, a.Indicator.Value)
				if a.Level != alert.Critical || a.Time() != t0 {
					t.Errorf("alert level %s at %v, want CRITICAL at %v", a.Level, a.Time(), t0)
				}
				if want := `"https://sms.webadv.co/4h7kqz"`; !strings.Contains(a.Message, want) ||
					!strings.Contains(a.Message, "in a Safari visit on 2026-03-14 09:26:53 UTC") {
					t.Errorf("message %q does not say what and where", a.Message)
				}
			}
			var want []string
			if tc.indicator != "" {
				want = []string{tc.indicator}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("matched indicators (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, safarihistory.New())
		})
	}
}

func TestFastRedirect(t *testing.T) {
	at := t0.Add(-10 * time.Minute)
	redirect := func(from, to string, delay time.Duration) fixture.SafariHistorySpec {
		spec := small("")
		fixture.PlantSafariRedirect(&spec, from, to, at, delay)
		return spec
	}
	// Safari writes both ends of a redirect; a database may hold only one.
	oneSided := func(column string) fixture.SafariHistorySpec {
		spec := redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond)
		spec.ExtraSQL = "UPDATE history_visits SET " + column + " = NULL"
		return spec
	}
	// The destination of a cleartext visit is logged only in another database.
	split := fixture.SafariHistorySpec{
		Visits:   []fixture.SafariVisit{{URL: "http://yahoo.fr/", At: at, RedirectsTo: 2}, {URL: "https://fr.yahoo.com/", At: at}},
		ExtraSQL: "DELETE FROM history_visits WHERE id = 2",
	}
	other := fixture.SafariHistorySpec{Visits: []fixture.SafariVisit{
		{URL: "https://www.eff.org/", At: at}, {URL: pegasusURL, At: at.Add(80 * time.Millisecond)},
	}}
	profile := home + "/Library/Safari/Profiles/P1/History.db"
	tests := []struct {
		name string
		ix   *ioc.Index
		dbs  map[string]fixture.SafariHistorySpec
		want []string // messages
	}{
		{"pegasus_injection", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond)},
			[]string{`Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`}},
		{"with_indicators_loaded", moduletest.Index(string(ioc.Domain), "example.org"),
			map[string]fixture.SafariHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond)},
			[]string{`Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`}},
		{"just_under_a_second", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://news.example.com/", "https://x7.example.net/a", 999*time.Millisecond)},
			[]string{`Cleartext visit to "http://news.example.com/" was redirected in 999ms to "https://x7.example.net/a", another site (example.com → example.net)`}},
		{"destination_logged_first", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, -200*time.Millisecond)},
			[]string{`Cleartext visit to "http://yahoo.fr/" was redirected in 200ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`}},
		{"only_destination_names_source", nil, map[string]fixture.SafariHistorySpec{historyDB: oneSided("redirect_destination")},
			[]string{`Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`}},
		{"only_source_names_destination", nil, map[string]fixture.SafariHistorySpec{historyDB: oneSided("redirect_source")},
			[]string{`Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`}},
		{"ip_addresses_are_sites", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://10.0.3.4/", "http://10.9.3.4:8443/x", 30*time.Millisecond)},
			[]string{`Cleartext visit to "http://10.0.3.4/" was redirected in 30ms to "http://10.9.3.4:8443/x", another site (10.0.3.4 → 10.9.3.4)`}},
		{"profile_database", nil, map[string]fixture.SafariHistorySpec{profile: redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond)},
			[]string{`Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com) in ` + profile}},

		// Innocent redirects.
		{"same_site_https_upgrade", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://yahoo.fr/", "https://www.yahoo.fr/", 50*time.Millisecond)}, nil},
		{"other_host_of_same_site", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://lemonde.fr/", "https://abonnes.lemonde.fr/login", 40*time.Millisecond)}, nil},
		{"https_shortener", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("https://t.co/x1y2z3", "https://www.nytimes.com/a", 90*time.Millisecond)}, nil},
		{"one_second", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, time.Second)}, nil},
		{"slow", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, 3*time.Second)}, nil},
		{"no_host", nil, map[string]fixture.SafariHistorySpec{historyDB: redirect("http://yahoo.fr/", "about:blank", 10*time.Millisecond)}, nil},
		{"ends_in_two_databases", nil, map[string]fixture.SafariHistorySpec{historyDB: split, profile: other}, nil},
		{"clean_sample", nil, map[string]fixture.SafariHistorySpec{historyDB: fixture.SampleSafariHistory(t0, 3000, 7)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, tc.dbs)
			var got []string
			for _, a := range o.Alerts {
				got = append(got, a.Message)
				if a.Check != safarihistory.FastRedirect.ID || a.Level != alert.Medium || a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %+v is not a complete fast-redirect alert", a)
				}
				if !a.Time().Equal(at) {
					t.Errorf("event time %v, want the cleartext visit's %v", a.Time(), at)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, safarihistory.New())
		})
	}
}

// TestDecodeMVTRecord reads visits the way MVT writes them (its eight keys, no extras)
// and checks them again: the indicator match and the redirect heuristic.
func TestDecodeMVTRecord(t *testing.T) {
	const mvtDB = "1a/1a0e7afc19d307da602ccdcece51af33afe92c53"
	visit := func(id, visitID int, url string, ts float64, iso, src, dst string) string {
		return `{"id": ` + strconv.Itoa(id) + `, "url": "` + url + `", "visit_id": ` + strconv.Itoa(visitID) +
			`, "timestamp": ` + strconv.FormatFloat(ts, 'f', -1, 64) + `, "isodate": "` + iso +
			`", "redirect_source": ` + src + `, "redirect_destination": ` + dst + `, "safari_history_db": "` + mvtDB + `"}`
	}
	tests := []struct {
		name    string
		ix      *ioc.Index
		records []string
		want    []string // check and message of each alert
	}{
		{"indicator", moduletest.Index(string(ioc.Domain), "webadv.co"),
			[]string{visit(7, 9, "https://sms.webadv.co/4h7kqz", 795173213, "2026-03-14 09:26:53.000000", "null", "null")},
			[]string{`ioc/domain Found a known suspicious domain "https://sms.webadv.co/4h7kqz" (through "webadv.co") in a Safari visit on 2026-03-14 09:26:53 UTC (` + mvtDB + `)`}},
		{"fast_redirect", nil, []string{
			visit(1, 11, "http://yahoo.fr/", 795173213, "2026-03-14 09:26:53.000000", "null", "12"),
			visit(2, 12, pegasusURL, 795173213.08, "2026-03-14 09:26:53.080000", "11", "null"),
		}, []string{`safari_history/fast-redirect Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com) in ` + mvtDB}},
		{"slow_redirect", nil, []string{
			visit(1, 11, "http://yahoo.fr/", 795173213, "2026-03-14 09:26:53.000000", "null", "12"),
			visit(2, 12, pegasusURL, 795173215, "2026-03-14 09:26:55.000000", "11", "null"),
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := safarihistory.New()
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
				if !a.Time().Equal(t0) {
					t.Errorf("alert at %v, want %v", a.Time(), t0)
				}
			})
			ck := m.NewChecker(check.NewEnv(tc.ix))
			for _, r := range tc.records {
				rec, err := m.DecodeRecord([]byte(r))
				if err != nil {
					t.Fatal(err)
				}
				ck.Check(rec, rep)
			}
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkRun100k reads 100,000 visits (the size of the project benchmark) through the
// engine, with the redirect check.
func BenchmarkRun100k(b *testing.B) {
	bk := fixture.NewBackup(fixture.DefaultDevice, t0)
	if err := fixture.AddSafariHistory(bk, home, historyRel, fixture.SampleSafariHistory(t0, 100_000, 1)); err != nil {
		b.Fatal(err)
	}
	acq := moduletest.OpenBackup(b, bk)
	for b.Loop() {
		if o := moduletest.Run(b, acq, nil, safarihistory.New()); o.Status.Records != 100_000 || len(o.Alerts) != 0 {
			b.Fatalf("%d records, %d alerts", o.Status.Records, len(o.Alerts))
		}
	}
}
