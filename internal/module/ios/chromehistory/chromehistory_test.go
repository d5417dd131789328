package chromehistory_test

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
	"github.com/spytrace/spytrace/internal/module/ios/chromehistory"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	chrome    = fixture.ChromeDomain
	historyDB = chrome + "/" + fixture.ChromeHistoryPath
	// The Pegasus installation page of Amnesty International's Moroccan case.
	pegasusURL = "https://bun54l2b67.get1tn0w.free247downloads.com:30495/szev4hz"
)

var t0 = fixture.Epoch

// Transitions as Chrome writes them.
const (
	typedStart = fixture.ChromeTyped | fixture.ChromeFromAddress | fixture.ChromeChainStart
	typedAlone = typedStart | fixture.ChromeChainEnd
	typedRedir = fixture.ChromeTyped | fixture.ChromeFromAddress | fixture.ChromeServerRedirect | fixture.ChromeChainEnd
	linkAlone  = fixture.ChromeLink | fixture.ChromeChainStart | fixture.ChromeChainEnd
)

// run writes each database into a fresh backup and runs the module over it.
func run(t *testing.T, ix *ioc.Index, dbs map[string]fixture.ChromeHistorySpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	for name, spec := range dbs {
		domain, rel, _ := strings.Cut(name, "/")
		if err := fixture.AddChromeHistory(b, domain, rel, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, chromehistory.New())
}

// small is the fixture most tests start from: a typed address, a typed cleartext
// address upgraded by the server to https on the same site, and a link from that page.
func small(schema string) fixture.ChromeHistorySpec {
	return fixture.ChromeHistorySpec{Schema: schema, Visits: []fixture.ChromeVisit{
		{URL: "https://www.bbc.com/news", Title: "BBC News", At: t0.Add(-2 * time.Hour), Transition: typedAlone, Duration: 95 * time.Second},
		{URL: "http://lemonde.fr/", At: t0.Add(-time.Hour), Transition: typedStart},
		{URL: "https://www.lemonde.fr/", Title: "Le Monde", At: t0.Add(-time.Hour + 250*time.Millisecond), From: 2,
			Transition: typedRedir, Duration: 42500 * time.Millisecond},
		{URL: "https://www.hrw.org/", At: t0.Add(-30 * time.Minute), From: 3, Transition: linkAlone},
	}}
}

// rec is one expected record as read with ExactList (numbers as json.Number).
func rec(id, visit, url, ts, iso string, src any, title, transition string, duration any, srcURL string) map[string]any {
	return map[string]any{
		"id": json.Number(id), "url": url, "visit_id": json.Number(visit), "timestamp": json.Number(ts),
		"isodate": iso, "redirect_source": src, "chrome_history_db": historyDB,
		"title": title, "transition": transition, "visit_duration": duration, "redirect_source_url": srcURL,
	}
}

func n(s string) json.Number { return json.Number(s) }

func TestRecordsPerSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   []map[string]any
	}{
		{"v70", fixture.ChromeHistoryV70, []map[string]any{
			rec("1", "1", "https://www.bbc.com/news", "13417946813000000", "2026-03-14 07:26:53.000000", n("0"), "BBC News",
				"typed|from_address_bar|chain_start|chain_end", n("95"), ""),
			rec("2", "2", "http://lemonde.fr/", "13417950413000000", "2026-03-14 08:26:53.000000", n("0"), "",
				"typed|from_address_bar|chain_start", n("0"), ""),
			rec("3", "3", "https://www.lemonde.fr/", "13417950413250000", "2026-03-14 08:26:53.250000", n("2"), "Le Monde",
				"typed|from_address_bar|chain_end|server_redirect", n("42.5"), "http://lemonde.fr/"),
			rec("4", "4", "https://www.hrw.org/", "13417952213000000", "2026-03-14 08:56:53.000000", n("3"), "",
				"link|chain_start|chain_end", n("0"), "https://www.lemonde.fr/"),
		}},
		{"minimal", fixture.ChromeHistoryMinimal, []map[string]any{
			rec("1", "1", "https://www.bbc.com/news", "13417946813000000", "2026-03-14 07:26:53.000000", nil, "", "", nil, ""),
			rec("2", "2", "http://lemonde.fr/", "13417950413000000", "2026-03-14 08:26:53.000000", nil, "", "", nil, ""),
			rec("3", "3", "https://www.lemonde.fr/", "13417950413250000", "2026-03-14 08:26:53.250000", nil, "", "", nil, ""),
			rec("4", "4", "https://www.hrw.org/", "13417952213000000", "2026-03-14 08:56:53.000000", nil, "", "", nil, ""),
		}},
	}
	// The old layout has every column the module reads: same records as the current one.
	tests = append(tests, struct {
		name   string
		schema string
		want   []map[string]any
	}{"v22", fixture.ChromeHistoryV22, tests[0].want})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, nil, map[string]fixture.ChromeHistorySpec{historyDB: small(tc.schema)})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), problems %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			if diff := cmp.Diff(tc.want, o.ExactList(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts on innocent browsing: %v", o.Alerts)
			}
		})
	}
}

func TestTransitionText(t *testing.T) {
	tests := []struct {
		stored int64 // as in the database: a signed 32-bit value
		want   string
	}{
		{0, "link"},
		{805306368, "link|chain_start|chain_end"},
		{-1610612736, "link|chain_end|server_redirect"},
		{1610612737, "typed|chain_end|client_redirect"},
		{0x01000008 | 0x30000000, "reload|forward_back|chain_start|chain_end"},
		{0x0a, "keyword_generated"},
		{0x08000000 | 0x00400000 | 0x00800000, "link|from_api_2|blocked|from_api"},
		{0x0b, "core_11"},
		{0x00000c00 | 0x00100000 | 3, "auto_subframe|0x00100c00"},
	}
	for _, tc := range tests {
		if got := chromehistory.TransitionText(uint32(tc.stored)); got != tc.want {
			t.Errorf("TransitionText(%d) = %q, want %q", tc.stored, got, tc.want)
		}
	}
}

func TestTimelineAndURLs(t *testing.T) {
	o := run(t, nil, map[string]fixture.ChromeHistorySpec{historyDB: small("")})
	wantTimeline := []string{
		`"2026-03-14 07:26:53.000000","ChromeHistory","visit","https://www.bbc.com/news"`,
		`"2026-03-14 08:26:53.000000","ChromeHistory","visit","http://lemonde.fr/"`,
		`"2026-03-14 08:26:53.250000","ChromeHistory","visit","https://www.lemonde.fr/ (redirect from http://lemonde.fr/)"`,
		`"2026-03-14 08:56:53.000000","ChromeHistory","visit","https://www.hrw.org/ (from https://www.lemonde.fr/)"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	url := func(u, ts string) map[string]any {
		return map[string]any{"url": u, "expanded_url": nil, "shortened": false, "timestamp": ts, "source": "chrome_history"}
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
		fixture.ChromeVisit{URL: "https://www.bbc.com/news", Title: "BBC News", At: t0.Add(-10 * time.Minute), Transition: linkAlone, WAL: true},
		fixture.ChromeVisit{URL: "https://github.com/", Title: "GitHub", At: t0, From: 5, Transition: linkAlone, WAL: true})
	o := run(t, nil, map[string]fixture.ChromeHistorySpec{historyDB: spec})
	got := o.ExactList(t)
	if o.Status.State != module.OK || len(got) != 6 {
		t.Fatalf("status %s, %d records, want ok and 6", o.Status.State, len(got))
	}
	want := []map[string]any{
		rec("1", "5", "https://www.bbc.com/news", "13417953413000000", "2026-03-14 09:16:53.000000", n("0"), "BBC News",
			"link|chain_start|chain_end", n("0"), ""),
		rec("5", "6", "https://github.com/", "13417954013000000", "2026-03-14 09:26:53.000000", n("5"), "GitHub",
			"link|chain_start|chain_end", n("0"), "https://www.bbc.com/news"),
	}
	if diff := cmp.Diff(want, got[4:]); diff != "" {
		t.Errorf("WAL records (-want +got):\n%s", diff)
	}
	if !slices.Contains(o.Status.Files, historyDB+"-wal") {
		t.Errorf("files read %v: the -wal is not listed", o.Status.Files)
	}
}

func TestEveryAppAndProfileIsItsOwnDatabase(t *testing.T) {
	profile := chrome + "/Library/Application Support/Google/Chrome/Profile 1/History"
	beta := "AppDomain-com.google.chrome.ios.beta/" + fixture.ChromeHistoryPath
	notHistory := chrome + "/Library/Application Support/Google/Chrome/Default/History-journal"
	one := func(u string) fixture.ChromeHistorySpec {
		return fixture.ChromeHistorySpec{Visits: []fixture.ChromeVisit{{URL: u, At: t0, Transition: linkAlone}}}
	}
	o := run(t, nil, map[string]fixture.ChromeHistorySpec{
		historyDB:  one("https://www.bbc.com/"),
		profile:    one("https://www.eff.org/"),
		beta:       one("https://www.reuters.com/"),
		notHistory: one("https://journal.example/"),
	})
	var got [][2]any
	for _, r := range o.List(t) {
		got = append(got, [2]any{r["chrome_history_db"], r["url"]})
	}
	want := [][2]any{
		{beta, "https://www.reuters.com/"},
		{historyDB, "https://www.bbc.com/"},
		{profile, "https://www.eff.org/"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		o := run(t, nil, map[string]fixture.ChromeHistorySpec{historyDB: {}})
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
	noURL, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE visits (id INTEGER PRIMARY KEY, visit_time INTEGER)"})
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
		{"other_tables", good, false, module.Failed, "not a Chrome history database"},
		{"visits_without_url", noURL, false, module.Failed, "table visits has no column url: not a Chrome history database"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(chrome, fixture.ChromeHistoryPath, tc.content)
			if tc.profile {
				spec := fixture.ChromeHistorySpec{Visits: []fixture.ChromeVisit{{URL: "https://www.eff.org/", At: t0}}}
				if err := fixture.AddChromeHistory(b, chrome, "Library/Application Support/Google/Chrome/Profile 1/History", spec); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, chromehistory.New())
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
	spec.ExtraSQL = "UPDATE visits SET visit_time = 'yesterday' WHERE id = 1; DELETE FROM urls WHERE id = 4;" +
		"UPDATE visits SET transition = 'typed' WHERE id = 2; UPDATE visits SET visit_duration = 'long', from_visit = 'x' WHERE id = 3;"
	o := run(t, nil, map[string]fixture.ChromeHistorySpec{historyDB: spec})
	if o.Status.State != module.Partial {
		t.Fatalf("status %s, want partial", o.Status.State)
	}
	wantProblems := []string{
		historyDB + `: visit 2: transition "typed" is not a page transition`,
		historyDB + `: visit 3: from_visit "x" is not a number`,
		historyDB + `: visit 3: visit_duration "long" is not a number`,
		historyDB + ": visit 4 refers to URL 4, which does not exist",
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
	if bad := recs[1]; bad["visit_id"] != 3.0 || bad["redirect_source"] != nil || bad["visit_duration"] != nil || bad["transition"] == "" {
		t.Errorf("visit with bad values: %v", bad)
	}
}

func TestIndicators(t *testing.T) {
	spec := small("")
	fixture.PlantChromeVisit(&spec, "https://sms.webadv.co/4h7kqz", t0)
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
			o := run(t, tc.ix, map[string]fixture.ChromeHistorySpec{historyDB: spec})
			moduletest.Reload(t, o, tc.ix, chromehistory.New())
			var got []string
			for _, a := range o.Alerts {
				got = append(got, a.Indicator.Value)
				if a.Level != alert.Critical || a.Time() != t0 {
					t.Errorf("alert level %s at %v, want CRITICAL at %v", a.Level, a.Time(), t0)
				}
				if want := `"https://sms.webadv.co/4h7kqz"`; !strings.Contains(a.Message, want) ||
					!strings.Contains(a.Message, "in a Chrome visit on 2026-03-14 09:26:53 UTC") {
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
		})
	}
}

func TestIndicatorInAnotherDatabaseSaysWhich(t *testing.T) {
	beta := "AppDomain-com.google.chrome.ios.beta/" + fixture.ChromeHistoryPath
	spec := fixture.ChromeHistorySpec{}
	fixture.PlantChromeVisit(&spec, "https://sms.webadv.co/4h7kqz", t0)
	o := run(t, moduletest.Index(string(ioc.Domain), "webadv.co"), map[string]fixture.ChromeHistorySpec{beta: spec})
	if len(o.Alerts) != 1 || !strings.Contains(o.Alerts[0].Message, "in a Chrome visit on 2026-03-14 09:26:53 UTC ("+beta+")") {
		t.Errorf("alerts %v: want one naming %s", o.Alerts, beta)
	}
}

func TestFastRedirect(t *testing.T) {
	at := t0.Add(-10 * time.Minute)
	redirect := func(from, to string, delay time.Duration) fixture.ChromeHistorySpec {
		spec := small("")
		fixture.PlantChromeRedirect(&spec, from, to, at, delay)
		return spec
	}
	withSQL := func(spec fixture.ChromeHistorySpec, sql string) fixture.ChromeHistorySpec {
		spec.ExtraSQL = sql
		return spec
	}
	schema := func(s string) fixture.ChromeHistorySpec {
		spec := fixture.ChromeHistorySpec{Schema: s}
		fixture.PlantChromeRedirect(&spec, "http://yahoo.fr/", pegasusURL, at, 80*time.Millisecond)
		return spec
	}
	// Planted visits are 5 (source) and 6 (destination) after the four of small.
	injection := `Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`
	// A page of another database.
	other := fixture.ChromeHistorySpec{Visits: []fixture.ChromeVisit{{URL: pegasusURL, At: at.Add(80 * time.Millisecond), Transition: typedRedir}}}
	split := fixture.ChromeHistorySpec{Visits: []fixture.ChromeVisit{{URL: "http://yahoo.fr/", At: at, Transition: typedStart}}}
	profile := chrome + "/Library/Application Support/Google/Chrome/Profile 1/History"
	// A person clicking a link on a cleartext page (from_visit is the referrer, no
	// redirect qualifier), fast.
	click := fixture.ChromeHistorySpec{Visits: []fixture.ChromeVisit{
		{URL: "http://old.example.com/", At: at, Transition: linkAlone},
		{URL: "https://news.example.net/a", At: at.Add(700 * time.Millisecond), From: 1, Transition: linkAlone},
	}}
	tests := []struct {
		name string
		ix   *ioc.Index
		dbs  map[string]fixture.ChromeHistorySpec
		want []string // messages
	}{
		{"pegasus_injection", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond)},
			[]string{injection}},
		{"with_indicators_loaded", moduletest.Index(string(ioc.Domain), "example.org"),
			map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond)}, []string{injection}},
		{"just_under_a_second", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://news.example.com/", "https://x7.example.net/a", 999*time.Millisecond)},
			[]string{`Cleartext visit to "http://news.example.com/" was redirected in 999ms to "https://x7.example.net/a", another site (example.com → example.net)`}},
		{"destination_logged_first", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, -200*time.Millisecond)},
			[]string{`Cleartext visit to "http://yahoo.fr/" was redirected in 200ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`}},
		{"client_redirect", nil, map[string]fixture.ChromeHistorySpec{historyDB: withSQL(redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond),
			"UPDATE visits SET transition = 1610612736 WHERE id = 6")}, []string{injection}},
		{"redirect_without_from_visit", nil, map[string]fixture.ChromeHistorySpec{historyDB: withSQL(redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond),
			"UPDATE visits SET from_visit = 0 WHERE id = 6")}, []string{injection}},
		{"no_transition_column", nil, map[string]fixture.ChromeHistorySpec{historyDB: withSQL(redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond),
			"ALTER TABLE visits DROP COLUMN transition")}, []string{injection}},
		{"old_layout", nil, map[string]fixture.ChromeHistorySpec{historyDB: schema(fixture.ChromeHistoryV22)}, []string{injection}},
		{"ip_addresses_are_sites", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://10.0.3.4/", "http://10.9.3.4:8443/x", 30*time.Millisecond)},
			[]string{`Cleartext visit to "http://10.0.3.4/" was redirected in 30ms to "http://10.9.3.4:8443/x", another site (10.0.3.4 → 10.9.3.4)`}},
		{"profile_database", nil, map[string]fixture.ChromeHistorySpec{profile: redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond)},
			[]string{injection + " in " + profile}},

		// Innocent visits.
		{"same_site_https_upgrade", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://yahoo.fr/", "https://www.yahoo.fr/", 50*time.Millisecond)}, nil},
		{"other_host_of_same_site", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://lemonde.fr/", "https://abonnes.lemonde.fr/login", 40*time.Millisecond)}, nil},
		{"https_shortener", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("https://t.co/x1y2z3", "https://www.nytimes.com/a", 90*time.Millisecond)}, nil},
		{"one_second", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, time.Second)}, nil},
		{"slow", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://yahoo.fr/", pegasusURL, 3*time.Second)}, nil},
		{"no_host", nil, map[string]fixture.ChromeHistorySpec{historyDB: redirect("http://yahoo.fr/", "about:blank", 10*time.Millisecond)}, nil},
		{"link_click_not_redirect", nil, map[string]fixture.ChromeHistorySpec{historyDB: click}, nil},
		{"previous_visit_ended_its_chain", nil, map[string]fixture.ChromeHistorySpec{historyDB: withSQL(redirect("http://yahoo.fr/", pegasusURL, 80*time.Millisecond),
			"UPDATE visits SET from_visit = 0 WHERE id = 6; UPDATE visits SET transition = 805306369 WHERE id = 5")}, nil},
		{"ends_in_two_databases", nil, map[string]fixture.ChromeHistorySpec{historyDB: split, profile: other}, nil},
		{"clean_sample", nil, map[string]fixture.ChromeHistorySpec{historyDB: fixture.SampleChromeHistory(t0, 3000, 7)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, tc.dbs)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s) %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			moduletest.Reload(t, o, tc.ix, chromehistory.New())
			var got []string
			for _, a := range o.Alerts {
				got = append(got, a.Message)
				if a.Check != chromehistory.FastRedirect.ID || a.Level != alert.Medium || a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %+v is not a complete fast-redirect alert", a)
				}
				if !a.Time().Equal(at) {
					t.Errorf("event time %v, want the cleartext visit's %v", a.Time(), at)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleIsDeterministicAndPlausible(t *testing.T) {
	a, b := fixture.SampleChromeHistory(t0, 500, 3), fixture.SampleChromeHistory(t0, 500, 3)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	if len(a.Visits) != 500 {
		t.Fatalf("%d visits, want 500", len(a.Visits))
	}
	o := run(t, nil, map[string]fixture.ChromeHistorySpec{historyDB: a})
	recs := o.List(t)
	if o.Status.State != module.OK || len(recs) != 500 {
		t.Fatalf("status %s, %d records", o.Status.State, len(recs))
	}
	kinds := map[string]bool{}
	for _, r := range recs {
		kinds[strings.Split(r["transition"].(string), "|")[0]] = true
		if strings.Contains(r["transition"].(string), "server_redirect") {
			kinds["server_redirect"] = true
		}
	}
	for _, k := range []string{"link", "typed", "generated", "reload", "auto_bookmark", "server_redirect"} {
		if !kinds[k] {
			t.Errorf("no %s visit in the sample (%v)", k, kinds)
		}
	}
}

// BenchmarkRun100k reads 100,000 visits through the engine, with the redirect check.
func BenchmarkRun100k(b *testing.B) {
	bk := fixture.NewBackup(fixture.DefaultDevice, t0)
	if err := fixture.AddChromeHistory(bk, chrome, fixture.ChromeHistoryPath, fixture.SampleChromeHistory(t0, 100_000, 1)); err != nil {
		b.Fatal(err)
	}
	acq := moduletest.OpenBackup(b, bk)
	for b.Loop() {
		if o := moduletest.Run(b, acq, nil, chromehistory.New()); o.Status.Records != 100_000 || len(o.Alerts) != 0 {
			b.Fatalf("%d records, %d alerts", o.Status.Records, len(o.Alerts))
		}
	}
}

// TestDecodeMVTRecord checks the checks on visits as MVT writes them: id, url,
// visit_id, timestamp, isodate and redirect_source (from_visit), in visit order.
func TestDecodeMVTRecord(t *testing.T) {
	const (
		source = `{"id": 11, "url": "http://yahoo.fr/", "visit_id": 5, "timestamp": 13419918413000000,
			"isodate": "2026-03-14 09:06:53.000000", "redirect_source": 0}`
		dest = `{"id": 12, "url": "` + pegasusURL + `", "visit_id": 6, "timestamp": 13419918413080000,
			"isodate": "2026-03-14 09:06:53.080000", "redirect_source": 5}`
		slow = `{"id": 12, "url": "` + pegasusURL + `", "visit_id": 6, "timestamp": 13419918416000000,
			"isodate": "2026-03-14 09:06:56.000000", "redirect_source": 5}`
	)
	injection := `Cleartext visit to "http://yahoo.fr/" was redirected in 80ms to "` + pegasusURL + `", another site (yahoo.fr → free247downloads.com)`
	tests := []struct {
		name    string
		records []string
		ix      *ioc.Index
		want    []string // check and message start
	}{
		{"fast_redirect", []string{source, dest}, nil, []string{chromehistory.FastRedirect.ID + " " + injection}},
		{"indicator", []string{source, slow}, moduletest.Index(string(ioc.Domain), "free247downloads.com"),
			[]string{"ioc/domain Found a known suspicious domain \"" + pegasusURL + "\" (through \"free247downloads.com\") in a Chrome visit on 2026-03-14 09:06:56 UTC, matching"}},
		{"slow_redirect", []string{source, slow}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := chromehistory.New()
			var got []string
			r := check.NewReporter(chromehistory.Name, func(a alert.Alert) {
				msg := a.Message
				if a.Indicator != nil {
					msg, _, _ = strings.Cut(msg, " matching")
					msg += " matching"
				}
				got = append(got, a.Check+" "+msg)
			})
			c := m.NewChecker(check.NewEnv(tc.ix))
			for _, data := range tc.records {
				rec, err := m.DecodeRecord([]byte(data))
				if err != nil {
					t.Fatal(err)
				}
				c.Check(rec, r)
			}
			c.Finish(r)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
