package webkitresourceloadstatistics_test

import (
	"fmt"
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
	"github.com/spytrace/spytrace/internal/module/ios/webkitresourceloadstatistics"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	safari = fixture.WebKitSafariDomain
	rel    = fixture.WebKitObservationsPath
	chrome = "AppDomain-com.google.chrome.ios"
)

var t0 = fixture.Epoch // 1773480413 in Unix seconds

// run writes each database (by backup domain) into a fresh backup and runs the module.
func run(t *testing.T, ix *ioc.Index, dbs map[string]fixture.WebKitObservationsSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	for domain, spec := range dbs {
		if err := fixture.AddWebKitObservations(b, domain, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, webkitresourceloadstatistics.New())
}

// small is the fixture most tests start from: a site the user used, a prevalent ad
// domain whose subresources redirect to another ad domain, and a link shortener that
// redirected to a news site.
func small(schema string) fixture.WebKitObservationsSpec {
	spec := fixture.WebKitObservationsSpec{Schema: schema, Domains: []fixture.ObservedDomain{
		{Domain: "bbc.com", LastSeen: t0.Add(-2 * time.Hour), UserInteraction: t0.Add(-130 * time.Minute)},
		{Domain: "doubleclick.net", LastSeen: t0.Add(-90 * time.Minute), Prevalent: true, VeryPrevalent: true},
		{Domain: "t.co", LastSeen: t0.Add(-time.Hour)},
		{Domain: "nytimes.com", LastSeen: t0.Add(-time.Hour + 500*time.Millisecond), UserInteraction: t0.Add(-59 * time.Minute),
			WebPushInteraction: t0.Add(-30 * time.Minute)},
	}}
	if schema != fixture.WebKitObservationsMinimal {
		spec.Domains[1].SubresourceRedirectsTo = []string{"googlesyndication.com"}
		spec.Domains[2].RedirectsTo = []string{"nytimes.com"}
	}
	return spec
}

// obs is one expected record with MVT's always-present keys and the extras; layouts add
// or remove keys.
func obs(id float64, domain string, seen float64, iso string, interacted bool) map[string]any {
	return map[string]any{
		"domain_id": id, "registrable_domain": domain, "last_seen": seen, "had_user_interaction": interacted,
		"last_seen_isodate": iso, "domain": safari, "path": rel,
		"is_prevalent": false, "is_very_prevalent": false,
		"top_frame_redirects_to": []any{}, "top_frame_redirects_from": []any{},
		"subresource_redirects_to": []any{}, "subresource_redirects_from": []any{},
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func without(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		delete(m, k)
	}
	return m
}

func wantSmall(layout string) []map[string]any {
	recs := []map[string]any{
		with(obs(1, "bbc.com", 1773473213, "2026-03-14 07:26:53.000000", true),
			"most_recent_user_interaction_time", 1773472613.0, "most_recent_user_interaction_time_isodate", "2026-03-14 07:16:53.000000",
			"most_recent_web_push_interaction_time", -1.0),
		with(obs(2, "doubleclick.net", 1773475013, "2026-03-14 07:56:53.000000", false),
			"most_recent_user_interaction_time", -1.0, "most_recent_web_push_interaction_time", -1.0,
			"is_prevalent", true, "is_very_prevalent", true, "subresource_redirects_to", []any{"googlesyndication.com"}),
		with(obs(3, "t.co", 1773476813, "2026-03-14 08:26:53.000000", false),
			"most_recent_user_interaction_time", -1.0, "most_recent_web_push_interaction_time", -1.0,
			"top_frame_redirects_to", []any{"nytimes.com"}),
		with(obs(4, "nytimes.com", 1773476813.5, "2026-03-14 08:26:53.500000", true),
			"most_recent_user_interaction_time", 1773476873.0, "most_recent_user_interaction_time_isodate", "2026-03-14 08:27:53.000000",
			"most_recent_web_push_interaction_time", 1773478613.0, "most_recent_web_push_interaction_time_isodate", "2026-03-14 08:56:53.000000",
			"top_frame_redirects_from", []any{"t.co"}),
		with(obs(5, "googlesyndication.com", 1773475013, "2026-03-14 07:56:53.000000", false),
			"most_recent_user_interaction_time", -1.0, "most_recent_web_push_interaction_time", -1.0,
			"subresource_redirects_from", []any{"doubleclick.net"}),
	}
	switch layout {
	case fixture.WebKitObservationsNoWebPush:
		for _, r := range recs {
			without(r, "most_recent_web_push_interaction_time", "most_recent_web_push_interaction_time_isodate")
		}
	case fixture.WebKitObservationsMinimal:
		recs = recs[:4]
		for _, r := range recs {
			without(r, "most_recent_user_interaction_time", "most_recent_user_interaction_time_isodate",
				"most_recent_web_push_interaction_time", "most_recent_web_push_interaction_time_isodate")
			with(r, "is_prevalent", nil, "is_very_prevalent", nil, "top_frame_redirects_to", []any{}, "top_frame_redirects_from", []any{},
				"subresource_redirects_to", []any{}, "subresource_redirects_from", []any{})
		}
	}
	return recs
}

func TestRecordsPerSchema(t *testing.T) {
	t.Parallel()
	for _, layout := range []string{fixture.WebKitObservationsCurrent, fixture.WebKitObservationsNoWebPush, fixture.WebKitObservationsMinimal} {
		t.Run(layout, func(t *testing.T) {
			t.Parallel()
			o := run(t, nil, map[string]fixture.WebKitObservationsSpec{safari: small(layout)})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), problems %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			if diff := cmp.Diff(wantSmall(layout), o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts without indicators: %v", o.Alerts)
			}
		})
	}
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	o := run(t, nil, map[string]fixture.WebKitObservationsSpec{safari: small("")})
	row := func(ts, data string) string {
		return `"` + ts + `","WebkitResourceLoadStatistics","visit","` + data + ` by app in domain ` + safari + `"`
	}
	want := []string{
		row("2026-03-14 07:26:53.000000", "WebKit resource loaded from bbc.com"),
		row("2026-03-14 07:56:53.000000", "WebKit resource loaded from doubleclick.net"),
		row("2026-03-14 07:56:53.000000", "WebKit resource loaded from googlesyndication.com"),
		`"2026-03-14 08:26:53.000000","WebkitResourceLoadStatistics","visit","WebKit resource loaded from t.co by app in domain ` + safari + ` (redirected to nytimes.com)"`,
		`"2026-03-14 08:26:53.500000","WebkitResourceLoadStatistics","visit","WebKit resource loaded from nytimes.com by app in domain ` + safari + ` (redirected from t.co)"`,
	}
	if diff := cmp.Diff(want, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.URLs) != 0 {
		t.Errorf("urls.json: %v, want nothing (registrable domains are not URLs)", o.URLs)
	}
}

func TestWALOnlyRowsAreRead(t *testing.T) {
	t.Parallel()
	spec := small("")
	spec.Domains = append(spec.Domains,
		fixture.ObservedDomain{Domain: "reuters.com", LastSeen: t0, WAL: true},
		fixture.ObservedDomain{Domain: "bit.ly", LastSeen: t0, RedirectsTo: []string{"reuters.com"}, WAL: true})
	o := run(t, nil, map[string]fixture.WebKitObservationsSpec{safari: spec})
	got := moduletest.Project(o.List(t), "domain_id", "registrable_domain", "last_seen_isodate", "top_frame_redirects_to", "top_frame_redirects_from")
	if o.Status.State != module.OK || len(got) != 7 {
		t.Fatalf("status %s, %d records, want ok and 7", o.Status.State, len(got))
	}
	// Listed domains come first (reuters.com 5, bit.ly 6), then googlesyndication.com,
	// named only by a relation.
	want := []map[string]any{
		{"domain_id": 5.0, "registrable_domain": "reuters.com", "last_seen_isodate": "2026-03-14 09:26:53.000000",
			"top_frame_redirects_to": []any{}, "top_frame_redirects_from": []any{"bit.ly"}},
		{"domain_id": 6.0, "registrable_domain": "bit.ly", "last_seen_isodate": "2026-03-14 09:26:53.000000",
			"top_frame_redirects_to": []any{"reuters.com"}, "top_frame_redirects_from": []any{}},
	}
	if diff := cmp.Diff(want, got[4:6]); diff != "" {
		t.Errorf("WAL records (-want +got):\n%s", diff)
	}
	if !slices.Contains(o.Status.Files, safari+"/"+rel+"-wal") {
		t.Errorf("files read %v: the -wal is not listed", o.Status.Files)
	}
}

func TestEveryAppDomainIsRead(t *testing.T) {
	t.Parallel()
	one := func(d string) fixture.WebKitObservationsSpec {
		return fixture.WebKitObservationsSpec{Domains: []fixture.ObservedDomain{{Domain: d, LastSeen: t0}}}
	}
	o := run(t, nil, map[string]fixture.WebKitObservationsSpec{
		safari: one("bbc.com"), chrome: one("eff.org"), "HomeDomain": one("apple.com"),
	})
	got := moduletest.Project(o.List(t), "domain", "path", "registrable_domain")
	want := []map[string]any{
		{"domain": safari, "path": rel, "registrable_domain": "bbc.com"},
		{"domain": chrome, "path": rel, "registrable_domain": "eff.org"},
		{"domain": "HomeDomain", "path": rel, "registrable_domain": "apple.com"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Status.Files) != 3 {
		t.Errorf("files read: %v", o.Status.Files)
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	t.Parallel()
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		o := run(t, nil, map[string]fixture.WebKitObservationsSpec{safari: {}})
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Errorf("status %s (%s) with %d records, want ok with none", o.Status.State, o.Status.Reason, len(o.List(t)))
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
	other, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE x (y)"})
	if err != nil {
		t.Fatal(err)
	}
	noDomain, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: "CREATE TABLE ObservedDomains (domainID INTEGER PRIMARY KEY, lastSeen REAL)"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		content   []byte // written at Safari's observations.db
		second    bool   // also add a readable database in Chrome's domain
		state     module.State
		reasonHas string
	}{
		{"not_sqlite", []byte("this is not a database at all, just some text"), false, module.Failed, "not a SQLite database"},
		{"truncated", other[:100], false, module.Failed, safari},
		{"other_tables", other, false, module.Failed, "no ObservedDomains table"},
		{"no_registrable_domain", noDomain, false, module.Failed, "no column registrableDomain"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(safari, rel, tc.content)
			if tc.second {
				spec := fixture.WebKitObservationsSpec{Domains: []fixture.ObservedDomain{{Domain: "eff.org", LastSeen: t0}}}
				if err := fixture.AddWebKitObservations(b, chrome, spec); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, webkitresourceloadstatistics.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reasonHas) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reasonHas)
			}
			if tc.second {
				if got := o.List(t); len(got) != 1 || got[0]["registrable_domain"] != "eff.org" {
					t.Errorf("records of the readable database: %v", got)
				}
				if len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], safari+"/"+rel) {
					t.Errorf("problems %v do not name the damaged database", o.Status.Problems)
				}
			}
		})
	}
}

func TestRowProblems(t *testing.T) {
	t.Parallel()
	spec := small("")
	spec.ExtraSQL = "UPDATE ObservedDomains SET lastSeen = 'yesterday' WHERE domainID = 1; " +
		"UPDATE ObservedDomains SET lastSeen = 0 WHERE domainID = 2; " +
		"DELETE FROM ObservedDomains WHERE domainID = 4;" // t.co's redirect now points nowhere
	o := run(t, nil, map[string]fixture.WebKitObservationsSpec{safari: spec})
	if o.Status.State != module.Partial {
		t.Fatalf("status %s, want partial", o.Status.State)
	}
	wantProblems := []string{safari + "/" + rel + `: domain 1 (bbc.com): lastSeen "yesterday" is not a number`}
	if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	got := moduletest.Project(o.List(t), "registrable_domain", "last_seen", "last_seen_isodate", "top_frame_redirects_to")
	want := []map[string]any{
		{"registrable_domain": "bbc.com", "last_seen": 0.0, "last_seen_isodate": nil, "top_frame_redirects_to": []any{}},
		{"registrable_domain": "doubleclick.net", "last_seen": 0.0, "last_seen_isodate": nil, "top_frame_redirects_to": []any{}},
		{"registrable_domain": "t.co", "last_seen": 1773476813.0, "last_seen_isodate": "2026-03-14 08:26:53.000000", "top_frame_redirects_to": []any{}},
		{"registrable_domain": "googlesyndication.com", "last_seen": 1773475013.0, "last_seen_isodate": "2026-03-14 07:56:53.000000", "top_frame_redirects_to": []any{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestLongRelationListsAreBounded(t *testing.T) {
	t.Parallel()
	var targets []string
	for i := range 1005 {
		targets = append(targets, fmt.Sprintf("site%04d.example", i))
	}
	spec := fixture.WebKitObservationsSpec{Domains: []fixture.ObservedDomain{{Domain: "hub.example", LastSeen: t0, RedirectsTo: targets}}}
	o := run(t, nil, map[string]fixture.WebKitObservationsSpec{safari: spec})
	if o.Status.State != module.Partial || len(o.Status.Problems) != 1 ||
		!strings.Contains(o.Status.Problems[0], "domain 1 has more than 1000 entries in TopFrameUniqueRedirectsTo") {
		t.Fatalf("status %s, problems %v", o.Status.State, o.Status.Problems)
	}
	recs := o.List(t)
	if len(recs) != 1006 {
		t.Fatalf("%d records, want 1006", len(recs))
	}
	to := recs[0]["top_frame_redirects_to"].([]any)
	if len(to) != 1000 || to[0] != "site0000.example" || to[999] != "site0999.example" {
		t.Errorf("redirect list of %d entries, from %v to %v", len(to), to[0], to[len(to)-1])
	}
}

func TestIndicators(t *testing.T) {
	t.Parallel()
	at := t0.Add(-10 * time.Minute)
	plain := small("")
	fixture.PlantObservedDomain(&plain, "webadv.co", at)
	// The network injection of Amnesty International's Moroccan case: yahoo.fr
	// redirected to a Pegasus installation server.
	injected := small("")
	fixture.PlantObservedDomain(&injected, "yahoo.fr", at, "free247downloads.com")
	sampled := fixture.SampleWebKitObservations(t0, 500, 4)
	fixture.PlantObservedDomain(&sampled, "yahoo.fr", at, "free247downloads.com")
	// WebKit uses the address as the registrable domain of a host given by IP address.
	byIP := small("")
	fixture.PlantObservedDomain(&byIP, "203.0.113.7", at)
	seenAt := "2026-03-14 09:16:53 UTC"
	tests := []struct {
		name string
		ix   *ioc.Index
		spec fixture.WebKitObservationsSpec
		want []string // messages up to ", matching"
	}{
		{"domain", moduletest.Index(string(ioc.Domain), "webadv.co"), plain,
			[]string{`Found a known suspicious domain "webadv.co" in the WebKit resource-load statistics of ` + safari + ` (last seen ` + seenAt + `)`}},
		// WebKit keeps registrable domains only: an indicator naming a host under one
		// cannot match.
		{"host_indicator", moduletest.Index(string(ioc.Domain), "sms.webadv.co"), plain, nil},
		{"url_indicator_of_the_domain", moduletest.Index(string(ioc.URL), "https://sms.webadv.co/4h7kqz"), plain, nil},
		{"ip", moduletest.Index(string(ioc.IP), "203.0.113.7"), byIP,
			[]string{`Found a known suspicious IP address "203.0.113.7" in the WebKit resource-load statistics of ` + safari + ` (last seen ` + seenAt + `)`}},
		{"other_ip", moduletest.Index(string(ioc.IP), "203.0.113.8"), byIP, nil},
		{"other_domain", moduletest.Index(string(ioc.Domain), "webadv.com"), plain, nil},
		{"suffix_not_on_label_boundary", moduletest.Index(string(ioc.Domain), "dv.co"), plain, nil},
		{"redirect_target", moduletest.Index(string(ioc.Domain), "free247downloads.com"), injected,
			[]string{`Found a known suspicious domain "free247downloads.com" in the WebKit resource-load statistics of ` + safari +
				` (last seen ` + seenAt + `; pages redirected to it from yahoo.fr)`}},
		{"redirect_source", moduletest.Index(string(ioc.Domain), "yahoo.fr"), injected,
			[]string{`Found a known suspicious domain "yahoo.fr" in the WebKit resource-load statistics of ` + safari +
				` (last seen ` + seenAt + `; it redirected pages to free247downloads.com)`}},
		{"planted_in_sample", moduletest.Index(string(ioc.Domain), "free247downloads.com"), sampled,
			[]string{`Found a known suspicious domain "free247downloads.com" in the WebKit resource-load statistics of ` + safari +
				` (last seen ` + seenAt + `; pages redirected to it from yahoo.fr)`}},
		{"innocent_redirects", moduletest.Index(string(ioc.Domain), "free247downloads.com"), small(""), nil},
		{"clean_sample", moduletest.Index(string(ioc.Domain), "webadv.co", string(ioc.Domain), "free247downloads.com"),
			fixture.SampleWebKitObservations(t0, 2000, 3), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.ix, map[string]fixture.WebKitObservationsSpec{safari: tc.spec})
			var got []string
			for _, a := range o.Alerts {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, msg)
				if a.Level != alert.Critical || !strings.HasPrefix(a.Check, "ioc/") || !a.Time().Equal(at) {
					t.Errorf("alert %s %s at %v, want CRITICAL ioc/… at %v", a.Level, a.Check, a.Time(), at)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, webkitresourceloadstatistics.New())
		})
	}
}

// TestDecodeMVTRecord reads observations the way MVT writes them (its seven keys, the
// interaction time and its date when set; no redirect lists) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	t.Parallel()
	rec := func(domain string) string {
		return `{"domain_id": 12, "registrable_domain": "` + domain + `", "last_seen": 1773479813.0, "had_user_interaction": 1,
			"last_seen_isodate": "2026-03-14 09:16:53.000000", "domain": "` + safari + `", "path": "` + rel + `",
			"most_recent_user_interaction_time": 1773479813, "most_recent_user_interaction_time_isodate": "2026-03-14 09:16:53.000000"}`
	}
	tests := []struct {
		name, record string
		want         []string
	}{
		{"domain", rec("webadv.co"), []string{`CRITICAL ioc/domain Found a known suspicious domain "webadv.co" in the WebKit resource-load statistics of ` + safari + ` (last seen 2026-03-14 09:16:53 UTC)`}},
		{"other_domain", rec("webadv.com"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := webkitresourceloadstatistics.New()
			r, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			// The database's number is read as a boolean.
			if o, ok := r.(*webkitresourceloadstatistics.Observation); !ok || o.HadUserInteraction == nil || !*o.HadUserInteraction {
				t.Errorf("record %+v, want had_user_interaction true", r)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, fmt.Sprintf("%s %s %s", a.Level, a.Check, msg))
				if !a.Time().Equal(t0.Add(-10 * time.Minute)) {
					t.Errorf("alert at %v", a.Time())
				}
			})
			ck := m.NewChecker(check.NewEnv(moduletest.Index(string(ioc.Domain), "webadv.co")))
			ck.Check(r, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleIsDeterministicAndRealistic(t *testing.T) {
	t.Parallel()
	a := fixture.SampleWebKitObservations(t0, 500, 9)
	if diff := cmp.Diff(a, fixture.SampleWebKitObservations(t0, 500, 9)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, nil, map[string]fixture.WebKitObservationsSpec{safari: a})
	recs := o.List(t)
	if o.Status.State != module.OK || len(recs) != 500 || len(o.Alerts) != 0 {
		t.Fatalf("status %s, %d records, %d alerts; want ok, 500, none", o.Status.State, len(recs), len(o.Alerts))
	}
	redirects, prevalent := 0, 0
	for _, r := range recs {
		redirects += len(r["top_frame_redirects_to"].([]any)) + len(r["subresource_redirects_to"].([]any))
		if r["is_prevalent"] == true {
			prevalent++
		}
	}
	if redirects == 0 || prevalent == 0 {
		t.Errorf("sample has %d redirects and %d prevalent domains, want some of each", redirects, prevalent)
	}
}
