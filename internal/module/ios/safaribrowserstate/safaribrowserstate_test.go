package safaribrowserstate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/safaribrowserstate"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	home    = fixture.SafariDomain
	stateDB = home + "/" + fixture.SafariBrowserStatePath
	// A one-click infection link of Citizen Lab's "Million Dollar Dissident" report.
	exploitURL = "https://sms.webadv.co/4h7kqz"
)

var t0 = fixture.Epoch

// run writes each database into a fresh backup and runs the module over it.
func run(t *testing.T, ix *ioc.Index, dbs map[string]fixture.BrowserStateSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	for name, spec := range dbs {
		domain, rel, _ := strings.Cut(name, "/")
		if err := fixture.AddBrowserState(b, domain, rel, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, safaribrowserstate.New())
}

// small is the fixture most tests start from: a private tab with a compressed two-page
// history, a tab opened from a link with an uncompressed session, and a tab with no
// saved session.
func small(schema string) fixture.BrowserStateSpec {
	return fixture.BrowserStateSpec{Schema: schema, Tabs: []fixture.SafariTab{
		{
			Title: "BBC News", URL: "https://www.bbc.com/news", LastViewed: t0.Add(-time.Hour), Private: true, Compressed: true,
			Entries: []fixture.SafariSessionEntry{
				{URL: "https://duckduckgo.com/?q=bbc", Title: "bbc at DuckDuckGo"},
				{URL: "https://www.bbc.com/news", Title: "BBC News", OriginalURL: "http://bbc.com/news"},
			},
		},
		{
			Title: "Le Monde", URL: "https://www.lemonde.fr/", UserVisibleURL: "lemonde.fr", LastViewed: t0.Add(-2 * time.Hour), OpenedFromLink: true,
			Entries: []fixture.SafariSessionEntry{{URL: "https://www.lemonde.fr/", Title: "Le Monde"}},
		},
		{Title: "Start Page", URL: "https://www.apple.com/", LastViewed: t0.Add(-3 * time.Hour), NoSession: true},
	}}
}

// entry is one expected session entry, as decoded from the JSON.
func entry(title, url, orig string) map[string]any {
	return map[string]any{"entry_title": title, "entry_url": url, "entry_original_url": orig, "data_length": 129.0}
}

func tab(title, url, visible, viewed string, private, fromLink bool, entries ...any) map[string]any {
	if entries == nil {
		entries = []any{}
	}
	return map[string]any{
		"tab_title": title, "tab_url": url, "tab_visible_url": visible, "last_viewed_timestamp": viewed,
		"session_data": entries, "safari_browser_state_db": stateDB,
		"private_browsing": private, "opened_from_link": fromLink,
	}
}

var smallRecords = []map[string]any{
	tab("Start Page", "https://www.apple.com/", "https://www.apple.com/", "2026-03-14 06:26:53.000000", false, false),
	tab("Le Monde", "https://www.lemonde.fr/", "lemonde.fr", "2026-03-14 07:26:53.000000", false, true,
		entry("Le Monde", "https://www.lemonde.fr/", "https://www.lemonde.fr/")),
	tab("BBC News", "https://www.bbc.com/news", "https://www.bbc.com/news", "2026-03-14 08:26:53.000000", true, false,
		entry("bbc at DuckDuckGo", "https://duckduckgo.com/?q=bbc", "https://duckduckgo.com/?q=bbc"),
		entry("BBC News", "https://www.bbc.com/news", "http://bbc.com/news")),
}

func TestRecordsPerSchema(t *testing.T) {
	for _, schema := range []string{fixture.BrowserStateIOS17, fixture.BrowserStateIOS14, fixture.BrowserStateIOS12} {
		t.Run(schema, func(t *testing.T) {
			o := run(t, nil, map[string]fixture.BrowserStateSpec{stateDB: small(schema)})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), problems %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			if diff := cmp.Diff(smallRecords, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimelineAndURLs(t *testing.T) {
	o := run(t, nil, map[string]fixture.BrowserStateSpec{stateDB: small("")})
	wantTimeline := []string{
		`"2026-03-14 06:26:53.000000","SafariBrowserState","tab","https://www.apple.com/ (Start Page)"`,
		`"2026-03-14 07:26:53.000000","SafariBrowserState","tab","https://www.lemonde.fr/ (Le Monde)"`,
		`"2026-03-14 08:26:53.000000","SafariBrowserState","tab","https://www.bbc.com/news (BBC News)"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	url := func(u, ts string) map[string]any {
		return map[string]any{"url": u, "expanded_url": nil, "timestamp": ts, "source": "safari_browser_state", "shortened": false}
	}
	wantURLs := []map[string]any{
		url("https://www.apple.com/", "2026-03-14 06:26:53.000000"),
		url("https://www.lemonde.fr/", "2026-03-14 07:26:53.000000"),
		url("lemonde.fr", "2026-03-14 07:26:53.000000"),
		url("https://www.bbc.com/news", "2026-03-14 08:26:53.000000"),
		url("https://duckduckgo.com/?q=bbc", "2026-03-14 08:26:53.000000"),
		url("http://bbc.com/news", "2026-03-14 08:26:53.000000"),
	}
	if diff := cmp.Diff(wantURLs, o.URLs); diff != "" {
		t.Errorf("urls (-want +got):\n%s", diff)
	}
}

func TestWALOnlyTabsAreRead(t *testing.T) {
	for _, schema := range []string{fixture.BrowserStateIOS17, fixture.BrowserStateIOS12} {
		t.Run(schema, func(t *testing.T) {
			spec := small(schema)
			fixture.PlantBrowserTab(&spec, exploitURL, t0)
			spec.Tabs[len(spec.Tabs)-1].WAL = true
			o := run(t, nil, map[string]fixture.BrowserStateSpec{stateDB: spec})
			got := o.List(t)
			if o.Status.State != module.OK || len(got) != 4 {
				t.Fatalf("status %s, %d records, want ok and 4", o.Status.State, len(got))
			}
			want := tab("", exploitURL, exploitURL, "2026-03-14 09:26:53.000000", false, true, entry("", exploitURL, exploitURL))
			if diff := cmp.Diff(want, got[3]); diff != "" {
				t.Errorf("WAL tab (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProfilesAreSeparateDatabases(t *testing.T) {
	profile := home + "/Library/Safari/Profiles/6A1F5D2C-93B8-4F1E-A2C4-7D8E9F0A1B2C/BrowserState.db"
	one := func(u string) fixture.BrowserStateSpec {
		return fixture.BrowserStateSpec{Tabs: []fixture.SafariTab{{URL: u, LastViewed: t0, NoSession: true}}}
	}
	o := run(t, nil, map[string]fixture.BrowserStateSpec{stateDB: one("https://www.bbc.com/"), profile: one("https://www.eff.org/")})
	var got [][2]any
	for _, r := range o.List(t) {
		got = append(got, [2]any{r["safari_browser_state_db"], r["tab_url"]})
	}
	want := [][2]any{{stateDB, "https://www.bbc.com/"}, {profile, "https://www.eff.org/"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		o := run(t, nil, map[string]fixture.BrowserStateSpec{stateDB: {}})
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
	other, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE tabs (uuid TEXT)"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		content   []byte
		profile   bool
		state     module.State
		reasonHas string
	}{
		{"not_sqlite", []byte("bplist00 this is not a database"), false, module.Failed, "not a SQLite database"},
		{"truncated", other[:100], false, module.Failed, stateDB},
		{"other_tables", other, false, module.Failed, "not a Safari browser state database"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(home, fixture.SafariBrowserStatePath, tc.content)
			if tc.profile {
				if err := fixture.AddBrowserState(b, home, "Library/Safari/Profiles/P1/BrowserState.db", small("")); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, safaribrowserstate.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reasonHas) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reasonHas)
			}
			if tc.profile && (len(o.List(t)) != 3 || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], stateDB)) {
				t.Errorf("records %d, problems %q: want the profile's tabs and one problem naming %s", len(o.List(t)), o.Status.Problems, stateDB)
			}
		})
	}
}

func TestUndecodableSessions(t *testing.T) {
	good, size, err := fixture.SafariSessionData([]fixture.SafariSessionEntry{{URL: "https://www.eff.org/", Title: "EFF"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	notDict := withHeader(t, []any{"https://www.eff.org/"})
	tests := []struct {
		name    string
		data    []byte
		size    int64
		problem string
	}{
		{"not_a_plist", []byte("\x00\x00\x00\x02this is not a property list"), 0, "session state is not a binary property list"},
		{"broken_plist", []byte("\x00\x00\x00\x02bplist00\x00\x01"), 0, "session state: decode binary plist: "},
		{"truncated_lz4", good[:len(good)-12], size, "decompress: "},
		{"marked_compressed", []byte("\x00\x00\x00\x02bplist00"), 4096, "marked compressed (4096 bytes uncompressed) but not an Apple LZ4 stream"},
		{"not_a_dictionary", notDict, 0, "session state is an array, not a dictionary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := small("")
			spec.Tabs = append(spec.Tabs, fixture.SafariTab{URL: "https://www.eff.org/", LastViewed: t0, SessionData: tc.data, UncompressedSize: tc.size})
			o := run(t, nil, map[string]fixture.BrowserStateSpec{stateDB: spec})
			recs := o.List(t)
			if o.Status.State != module.Partial || len(recs) != 4 {
				t.Fatalf("status %s with %d records, want partial with every tab", o.Status.State, len(recs))
			}
			prefix := stateDB + ": tab 4 (https://www.eff.org/): session data: "
			if len(o.Status.Problems) != 1 || !strings.HasPrefix(o.Status.Problems[0], prefix+tc.problem) {
				t.Errorf("problems %q, want one starting %q", o.Status.Problems, prefix+tc.problem)
			}
			last := recs[3]
			if msg, _ := last["session_data_error"].(string); !strings.HasPrefix(msg, tc.problem) || len(last["session_data"].([]any)) != 0 {
				t.Errorf("record %v: want no entries and session_data_error starting %q", last, tc.problem)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	// The exploit link is only in the back/forward list: the tab moved on to a decoy.
	hidden := small("")
	hidden.Tabs = append(hidden.Tabs, fixture.SafariTab{
		Title: "Google", URL: "https://www.google.com/", LastViewed: t0, Compressed: true,
		Entries: []fixture.SafariSessionEntry{{URL: exploitURL}, {URL: "https://www.google.com/", Title: "Google"}},
	})
	// The exploit link redirected: only the original URL of the entry has it.
	redirected := small("")
	redirected.Tabs = append(redirected.Tabs, fixture.SafariTab{
		URL: "https://www.google.com/", LastViewed: t0,
		Entries: []fixture.SafariSessionEntry{{URL: "https://www.google.com/", OriginalURL: exploitURL}},
	})
	open := small("")
	fixture.PlantBrowserTab(&open, exploitURL, t0)
	domain := moduletest.Index(string(ioc.Domain), "webadv.co")
	const history = "the back/forward history of a Safari tab last viewed on 2026-03-14 09:26:53 UTC"
	const tabWhere = "a Safari tab last viewed on 2026-03-14 09:26:53 UTC"
	tests := []struct {
		name  string
		ix    *ioc.Index
		spec  fixture.BrowserStateSpec
		wants []string // "observed|where" of each alert
	}{
		{"tab_url_domain", domain, open, []string{exploitURL + "|" + tabWhere}},
		{"tab_url_url", moduletest.Index(string(ioc.URL), exploitURL), open, []string{exploitURL + "|" + tabWhere}},
		{"session_entry_url", domain, hidden, []string{exploitURL + "|" + history}},
		{"session_original_url", domain, redirected, []string{exploitURL + "|" + history}},
		{"other_domain", moduletest.Index(string(ioc.Domain), "webadv.com"), open, nil},
		{"clean_tabs", domain, fixture.SampleBrowserState(t0, 200, 3), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, map[string]fixture.BrowserStateSpec{stateDB: tc.spec})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s) %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			var got []string
			for _, a := range o.Alerts {
				if a.Level != alert.Critical || !a.Time().Equal(t0) {
					t.Errorf("alert level %s at %v, want CRITICAL at %v", a.Level, a.Time(), t0)
				}
				if !strings.Contains(a.Message, `"`+exploitURL+`"`) {
					continue
				}
				for _, w := range []string{history, tabWhere} {
					if strings.Contains(a.Message, " in "+w+", matching") {
						got = append(got, exploitURL+"|"+w)
						break
					}
				}
			}
			if len(got) != len(o.Alerts) {
				t.Errorf("alerts with unexpected messages: %v", o.Alerts)
			}
			if diff := cmp.Diff(tc.wants, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, safaribrowserstate.New())
		})
	}
}

// TestDecodeMVTRecord reads tabs the way MVT writes them (the original URL of a session
// entry under entry_title, no extras) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	const mvtDB = "3a/3a47b0981ed7c10f3e2800aa66bac96a3b5db28e"
	mvtTab := func(tabURL, title, url string) string {
		return `{"tab_title": "Google", "tab_url": "` + tabURL + `", "tab_visible_url": "` + tabURL + `",
			"last_viewed_timestamp": "2026-03-14 09:26:53.000000",
			"session_data": [{"entry_title": "` + title + `", "entry_url": "` + url + `", "data_length": 129}],
			"safari_browser_state_db": "` + mvtDB + `"}`
	}
	const where = "a Safari tab last viewed on 2026-03-14 09:26:53 UTC (" + mvtDB + ")"
	tests := []struct {
		name   string
		record string
		want   []string // "observed|where" of each alert
	}{
		{"tab_url", mvtTab(exploitURL, "https://www.google.com/", "https://www.google.com/"), []string{exploitURL + "|" + where}},
		{"entry_url", mvtTab("https://www.google.com/", "https://www.google.com/", exploitURL), []string{exploitURL + "|the back/forward history of " + where}},
		{"original_url_in_entry_title", mvtTab("https://www.google.com/", exploitURL, "https://www.google.com/"), []string{exploitURL + "|the back/forward history of " + where}},
		{"clean", mvtTab("https://www.google.com/", "", "https://www.google.com/"), nil},
	}
	ix := moduletest.Index(string(ioc.Domain), "webadv.co")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := safaribrowserstate.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				_, w, _ := strings.Cut(a.Message, " in ")
				w, _, _ = strings.Cut(w, ", matching")
				got = append(got, exploitURL+"|"+w)
				if a.Level != alert.Critical || !a.Time().Equal(t0) || !strings.Contains(a.Message, `"`+exploitURL+`"`) {
					t.Errorf("alert %s at %v: %q", a.Level, a.Time(), a.Message)
				}
			})
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkRun5k reads 5,000 tabs, most with compressed sessions, through the engine.
func BenchmarkRun5k(b *testing.B) {
	bk := fixture.NewBackup(fixture.DefaultDevice, t0)
	if err := fixture.AddBrowserState(bk, home, fixture.SafariBrowserStatePath, fixture.SampleBrowserState(t0, 5000, 1)); err != nil {
		b.Fatal(err)
	}
	acq := moduletest.OpenBackup(b, bk)
	for b.Loop() {
		if o := moduletest.Run(b, acq, nil, safaribrowserstate.New()); o.Status.Records != 5000 || o.Status.State != module.OK {
			b.Fatalf("%d records, status %s", o.Status.Records, o.Status.State)
		}
	}
}
