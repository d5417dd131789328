package webkitsessionresourcelog_test

import (
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
	"github.com/spytrace/spytrace/internal/module/ios/webkitsessionresourcelog"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/report/results"
)

const (
	safari  = fixture.WebKitSafariDomain
	rel     = fixture.WebKitSessionLogPath
	logFile = safari + "/" + rel
	app     = "AppDomain-com.example.reader"
)

var t0 = fixture.Epoch // 1773480413 in Unix seconds

// run writes each log (by backup domain) into a fresh backup and runs the module.
func run(t *testing.T, ix *ioc.Index, logs map[string]fixture.SessionResourceLogSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	for domain, spec := range logs {
		if err := fixture.AddSessionResourceLog(b, domain, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, webkitsessionresourcelog.New())
}

// small is a session: a site the user used with an embedded video and an ad domain
// loaded under it, and a link shortener that redirected to a news site.
func small(model string) fixture.SessionResourceLogSpec {
	return fixture.SessionResourceLogSpec{Model: model, Entries: []fixture.SessionResource{
		{Origin: "bbc.com", LastSeen: t0.Add(-2 * time.Hour), UserInteraction: t0.Add(-130 * time.Minute)},
		{Origin: "doubleclick.net", LastSeen: t0.Add(-90 * time.Minute), Prevalent: true,
			SubresourceUnder: []string{"bbc.com", "nytimes.com"}, SubresourceRedirectsTo: []string{"googlesyndication.com"}},
		{Origin: "youtube.com", LastSeen: t0.Add(-80 * time.Minute), SubframeUnder: []string{"bbc.com"}},
		{Origin: "t.co", LastSeen: t0.Add(-time.Hour), RedirectsTo: []string{"nytimes.com"}},
		{Origin: "nytimes.com", LastSeen: t0.Add(-time.Hour + 500*time.Millisecond), UserInteraction: t0.Add(-59 * time.Minute),
			RedirectsFrom: []string{"t.co"}},
	}}
}

func TestRecordsPerModel(t *testing.T) {
	t.Parallel()
	for _, model := range []string{fixture.WebKitSessionLogDomains, fixture.WebKitSessionLogOrigins} {
		t.Run(model, func(t *testing.T) {
			t.Parallel()
			refs := func(domains ...string) []any {
				out := []any{}
				for _, d := range domains {
					if model == fixture.WebKitSessionLogOrigins {
						out = append(out, map[string]any{"origin": d, "count": 1.0})
					} else {
						out = append(out, map[string]any{"domain": d})
					}
				}
				return out
			}
			entry := func(origin, seen string, interacted any, interaction any) map[string]any {
				return map[string]any{
					"origin": origin, "redirect_source": refs(), "redirect_destination": refs(),
					"subframe_under_origin": refs(), "subresource_under_origin": refs(),
					"user_interaction": interacted, "most_recent_interaction": interaction, "last_seen": seen,
					"file": logFile, "subresource_redirects_to": refs(), "subresource_redirects_from": refs(),
					"is_prevalent": false, "is_very_prevalent": false,
				}
			}
			want := []map[string]any{
				entry("bbc.com", "2026-03-14 07:26:53.000000", true, "2026-03-14 07:16:53.000000"),
				with(entry("doubleclick.net", "2026-03-14 07:56:53.000000", false, nil), "is_prevalent", true,
					"subresource_under_origin", refs("bbc.com", "nytimes.com"), "subresource_redirects_to", refs("googlesyndication.com")),
				with(entry("youtube.com", "2026-03-14 08:06:53.000000", false, nil), "subframe_under_origin", refs("bbc.com")),
				with(entry("t.co", "2026-03-14 08:26:53.000000", false, nil), "redirect_destination", refs("nytimes.com")),
				with(entry("nytimes.com", "2026-03-14 08:26:53.500000", true, "2026-03-14 08:27:53.000000"), "redirect_source", refs("t.co")),
			}
			o := run(t, nil, map[string]fixture.SessionResourceLogSpec{safari: small(model)})
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), problems %v", o.Status.State, o.Status.Reason, o.Status.Problems)
			}
			if diff := cmp.Diff(want, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts without indicators: %v", o.Alerts)
			}
		})
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestPlistDatesAreReadToo(t *testing.T) {
	t.Parallel()
	spec := small("")
	spec.DatesAsPlistDates = true
	o := run(t, nil, map[string]fixture.SessionResourceLogSpec{safari: spec})
	got := moduletest.Project(o.List(t), "last_seen", "most_recent_interaction")
	want := []map[string]any{
		{"last_seen": "2026-03-14 07:26:53.000000", "most_recent_interaction": "2026-03-14 07:16:53.000000"},
		{"last_seen": "2026-03-14 07:56:53.000000", "most_recent_interaction": nil},
		{"last_seen": "2026-03-14 08:06:53.000000", "most_recent_interaction": nil},
		{"last_seen": "2026-03-14 08:26:53.000000", "most_recent_interaction": nil},
		{"last_seen": "2026-03-14 08:26:53.500000", "most_recent_interaction": "2026-03-14 08:27:53.000000"},
	}
	if diff := cmp.Diff(want, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s; dates (-want +got):\n%s", o.Status.State, diff)
	}
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	o := run(t, nil, map[string]fixture.SessionResourceLogSpec{safari: small("")})
	row := func(ts, data string) string {
		return `"` + ts + `","WebkitSessionResourceLog","webkit_session_resource","WebKit session resource ` + data + ` in ` + logFile + `"`
	}
	want := []string{
		row("2026-03-14 07:26:53.000000", "bbc.com"),
		row("2026-03-14 07:56:53.000000", "doubleclick.net"),
		row("2026-03-14 08:06:53.000000", "youtube.com"),
		row("2026-03-14 08:26:53.000000", "t.co (redirected to nytimes.com)"),
		row("2026-03-14 08:26:53.500000", "nytimes.com (redirected from t.co)"),
	}
	if diff := cmp.Diff(want, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestEveryLocationIsRead(t *testing.T) {
	t.Parallel()
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	one := func(d string) fixture.SessionResourceLogSpec {
		return fixture.SessionResourceLogSpec{Entries: []fixture.SessionResource{{Origin: d, LastSeen: t0}}}
	}
	for domain, d := range map[string]string{safari: "bbc.com", app: "eff.org"} {
		if err := fixture.AddSessionResourceLog(b, domain, one(d)); err != nil {
			t.Fatal(err)
		}
	}
	top, err := fixture.SessionResourceLogPlist(one("apple.com"))
	if err != nil {
		t.Fatal(err)
	}
	clip := "Library/WebClips/3F2A9C1E.webclip/Storage/" + webkitsessionresourcelog.FileName
	if err := b.AddPlist("HomeDomain", clip, top); err != nil {
		t.Fatal(err)
	}
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, webkitsessionresourcelog.New())
	got := moduletest.Project(o.List(t), "file", "origin")
	want := []map[string]any{
		{"file": logFile, "origin": "bbc.com"},
		{"file": app + "/" + rel, "origin": "eff.org"},
		{"file": "HomeDomain/" + clip, "origin": "apple.com"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	t.Parallel()
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		o := run(t, nil, map[string]fixture.SessionResourceLogSpec{safari: {}})
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

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	data, err := plist.Marshal(v, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDamagedFiles(t *testing.T) {
	t.Parallel()
	good, err := fixture.SessionResourceLogPlist(small(""))
	if err != nil {
		t.Fatal(err)
	}
	full := marshal(t, good)
	tests := []struct {
		name      string
		content   []byte
		second    bool // also add a readable log in another app's domain
		state     module.State
		reasonHas string
	}{
		{"not_a_plist", []byte("just some text, not a property list {"), false, module.Failed, logFile},
		{"truncated", full[:len(full)/2], false, module.Failed, logFile},
		{"top_level_array", marshal(t, []any{"a"}), false, module.Failed, "top level is an array, want a dictionary"},
		{"no_statistics", marshal(t, map[string]any{"version": int64(17)}), false, module.Failed, "no browsingStatistics array"},
		{"statistics_not_array", marshal(t, map[string]any{"browsingStatistics": "x"}), false, module.Failed, "browsingStatistics is a string, want an array"},
		{"one_of_two_damaged", []byte("garbage"), true, module.Partial, "problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fixture.NewBackup(fixture.DefaultDevice, t0)
			b.AddFile(safari, rel, tc.content)
			if tc.second {
				if err := fixture.AddSessionResourceLog(b, app, small("")); err != nil {
					t.Fatal(err)
				}
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, webkitsessionresourcelog.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reasonHas) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reasonHas)
			}
			if tc.second && (len(o.List(t)) != 5 || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], logFile)) {
				t.Errorf("%d records, problems %v; want the 5 of the readable log and the damaged one named", len(o.List(t)), o.Status.Problems)
			}
		})
	}
}

func TestEntryProblems(t *testing.T) {
	t.Parallel()
	top := map[string]any{"version": int64(17), "browsingStatistics": []any{
		"not a dictionary",
		map[string]any{"PrevalentResourceDomain": "bbc.com", "lastSeen": "yesterday", "topFrameUniqueRedirectsTo": "nytimes.com",
			"topFrameUniqueRedirectsFrom": []any{map[string]any{"count": int64(2)}, "t.co", map[string]any{"domain": "lnkd.in"}}},
		map[string]any{"PrevalentResourceDomain": "eff.org", "mostRecentUserInteraction": -1.0, "hadUserInteraction": int64(7)},
	}}
	b := fixture.NewBackup(fixture.DefaultDevice, t0)
	if err := b.AddPlist(safari, rel, top); err != nil {
		t.Fatal(err)
	}
	o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, webkitsessionresourcelog.New())
	if o.Status.State != module.Partial {
		t.Fatalf("status %s, want partial", o.Status.State)
	}
	wantProblems := []string{
		logFile + ": entry 1 is a string, not a dictionary",
		logFile + ": entry 2 (bbc.com): topFrameUniqueRedirectsFrom has 1 item(s) without a domain",
		logFile + ": entry 2 (bbc.com): topFrameUniqueRedirectsTo is a string, not an array",
		logFile + ": entry 2 (bbc.com): lastSeen is a string, not a time",
	}
	if diff := cmp.Diff(wantProblems, o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	got := moduletest.Project(o.List(t), "origin", "redirect_source", "redirect_destination", "last_seen", "user_interaction", "most_recent_interaction")
	want := []map[string]any{
		{"origin": "bbc.com", "redirect_source": []any{map[string]any{"domain": "t.co"}, map[string]any{"domain": "lnkd.in"}},
			"redirect_destination": []any{}, "last_seen": nil, "user_interaction": nil, "most_recent_interaction": nil},
		{"origin": "eff.org", "redirect_source": []any{}, "redirect_destination": []any{}, "last_seen": nil,
			"user_interaction": nil, "most_recent_interaction": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// summary lists alerts as "LEVEL check: message" with the message cut before its
// indicator details.
func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		msg, _, _ := strings.Cut(a.Message, ", matching")
		out = append(out, a.Level.String()+" "+a.Check+": "+msg)
	}
	return out
}

func TestIndicators(t *testing.T) {
	t.Parallel()
	ix := func(d string) *ioc.Index { return moduletest.Index(string(ioc.Domain), d) }
	seen := "last seen 2026-03-14 07:56:53 UTC"
	tests := []struct {
		name string
		ix   *ioc.Index
		want []string
	}{
		{"origin", ix("doubleclick.net"), []string{
			`CRITICAL ioc/domain: Found a known suspicious domain "doubleclick.net" in WebKit's session resource log (` + seen + `)`}},
		// nytimes.com is a top frame of doubleclick.net's resources, t.co's redirect
		// destination and the origin of its own entry.
		{"every_role", ix("nytimes.com"), []string{
			`CRITICAL ioc/domain: Found a known suspicious domain "nytimes.com" in WebKit's session resource log, as a site under which "doubleclick.net" was loaded as a resource (` + seen + `)`,
			`CRITICAL ioc/domain: Found a known suspicious domain "nytimes.com" in WebKit's session resource log, as a domain the pages of "t.co" redirected the browser to (last seen 2026-03-14 08:26:53 UTC)`,
			`HIGH webkit_session_resource_log/suspicious-redirect: HTTP redirect between suspicious domains: ORIGIN: "t.co" → DESTINATION: "nytimes.com"`,
			`CRITICAL ioc/domain: Found a known suspicious domain "nytimes.com" in WebKit's session resource log (last seen 2026-03-14 08:26:53 UTC)`,
			`HIGH webkit_session_resource_log/suspicious-redirect: HTTP redirect between suspicious domains: SOURCE: "t.co" → ORIGIN: "nytimes.com"`,
		}},
		{"subresource_redirect", ix("googlesyndication.com"), []string{
			`CRITICAL ioc/domain: Found a known suspicious domain "googlesyndication.com" in WebKit's session resource log, as a domain resources of "doubleclick.net" were redirected to (` + seen + `)`}},
		// bbc.com is the origin of its own entry, and a top frame of two others.
		{"subframe_top_frame", ix("bbc.com"), []string{
			`CRITICAL ioc/domain: Found a known suspicious domain "bbc.com" in WebKit's session resource log (last seen 2026-03-14 07:26:53 UTC)`,
			`CRITICAL ioc/domain: Found a known suspicious domain "bbc.com" in WebKit's session resource log, as a site under which "doubleclick.net" was loaded as a resource (` + seen + `)`,
			`CRITICAL ioc/domain: Found a known suspicious domain "bbc.com" in WebKit's session resource log, as a site under which "youtube.com" was loaded as a frame (last seen 2026-03-14 08:06:53 UTC)`,
		}},
		{"other_domain", ix("doubleclick.com"), nil},
		{"ip_not_in_log", moduletest.Index(string(ioc.IP), "203.0.113.7"), nil},
		{"suffix_not_on_label_boundary", ix("eclick.net"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.ix, map[string]fixture.SessionResourceLogSpec{safari: small("")})
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, webkitsessionresourcelog.New())
		})
	}
}

func TestSuspiciousRedirect(t *testing.T) {
	t.Parallel()
	at := t0.Add(-10 * time.Minute)
	const pegasus = "free247downloads.com"
	planted := func(source, origin, dest string) fixture.SessionResourceLogSpec {
		spec := small("")
		fixture.PlantSessionRedirect(&spec, source, origin, dest, at)
		return spec
	}
	critical := func(d, role string) string {
		return `CRITICAL ioc/domain: Found a known suspicious domain "` + d + `" in WebKit's session resource log` + role + ` (last seen 2026-03-14 09:16:53 UTC)`
	}
	high := func(chain string) string {
		return "HIGH " + webkitsessionresourcelog.SuspiciousRedirect.ID + ": HTTP redirect between suspicious domains: " + chain
	}
	tests := []struct {
		name string
		ix   *ioc.Index
		logs map[string]fixture.SessionResourceLogSpec
		want []string
	}{
		{"injection_origin", moduletest.Index(string(ioc.Domain), pegasus),
			map[string]fixture.SessionResourceLogSpec{safari: planted("yahoo.fr", pegasus, "")},
			[]string{critical(pegasus, ""), high(`SOURCE: "yahoo.fr" → ORIGIN: "` + pegasus + `"`)}},
		{"indicator_on_source_and_destination", moduletest.Index(string(ioc.Domain), "webadv.co", string(ioc.Domain), "example-exploit.net"),
			map[string]fixture.SessionResourceLogSpec{safari: planted("webadv.co", "bit.ly", "example-exploit.net")},
			[]string{
				critical("webadv.co", `, as a domain whose pages redirected the browser to "bit.ly"`),
				critical("example-exploit.net", `, as a domain the pages of "bit.ly" redirected the browser to`),
				high(`SOURCE: "webadv.co" → ORIGIN: "bit.ly" → DESTINATION: "example-exploit.net"`),
			}},
		{"other_app", moduletest.Index(string(ioc.Domain), pegasus),
			map[string]fixture.SessionResourceLogSpec{app: planted("yahoo.fr", pegasus, "")},
			[]string{
				`CRITICAL ioc/domain: Found a known suspicious domain "` + pegasus + `" in WebKit's session resource log (` + app + "/" + rel + `, last seen 2026-03-14 09:16:53 UTC)`,
				high(`SOURCE: "yahoo.fr" → ORIGIN: "` + pegasus + `" in ` + app + "/" + rel),
			}},
		// An IP address as origin (WebKit's registrable domain of a host given by address).
		{"ip_origin", moduletest.Index(string(ioc.IP), "203.0.113.0/24"),
			map[string]fixture.SessionResourceLogSpec{safari: planted("yahoo.fr", "203.0.113.7", "")},
			[]string{
				`CRITICAL ioc/ip: Found a known suspicious IP address "203.0.113.7" in WebKit's session resource log (last seen 2026-03-14 09:16:53 UTC)`,
				high(`SOURCE: "yahoo.fr" → ORIGIN: "203.0.113.7"`),
			}},
		// No redirect: the domain alert only.
		{"hit_without_redirect", moduletest.Index(string(ioc.Domain), pegasus),
			map[string]fixture.SessionResourceLogSpec{safari: planted("", pegasus, "")},
			[]string{critical(pegasus, "")}},
		// A redirect between domains none of which is listed.
		{"redirect_without_hit", moduletest.Index(string(ioc.Domain), "webadv.co"),
			map[string]fixture.SessionResourceLogSpec{safari: planted("yahoo.fr", pegasus, "")}, nil},
		{"redirect_without_indicators", nil,
			map[string]fixture.SessionResourceLogSpec{safari: planted("yahoo.fr", pegasus, "")}, nil},
		{"planted_in_sample", moduletest.Index(string(ioc.Domain), pegasus), map[string]fixture.SessionResourceLogSpec{safari: func() fixture.SessionResourceLogSpec {
			spec := fixture.SampleSessionResourceLog(t0, 500, 5)
			fixture.PlantSessionRedirect(&spec, "yahoo.fr", pegasus, "", at)
			return spec
		}()}, []string{critical(pegasus, ""), high(`SOURCE: "yahoo.fr" → ORIGIN: "` + pegasus + `"`)}},
		{"clean_sample", moduletest.Index(string(ioc.Domain), pegasus, string(ioc.Domain), "webadv.co"),
			map[string]fixture.SessionResourceLogSpec{safari: fixture.SampleSessionResourceLog(t0, 1000, 5)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := run(t, tc.ix, tc.logs)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, webkitsessionresourcelog.New())
			for _, a := range o.Alerts {
				if !a.Time().Equal(at) {
					t.Errorf("alert at %v, want the entry's last seen %v", a.Time(), at)
				}
				if a.Check == webkitsessionresourcelog.SuspiciousRedirect.ID && (a.Meaning == "" || a.FalsePositive == "" || a.Advice == "") {
					t.Errorf("heuristic alert without its texts: %+v", a)
				}
			}
		})
	}
}

// TestDecodeMVTRecord reads the results the way MVT writes them: one object mapping
// each log's path to its entries, "" for a domain list the log lacks, and checks them
// again.
func TestDecodeMVTRecord(t *testing.T) {
	t.Parallel()
	const (
		path1 = "private/var/mobile/Containers/Data/Application/0A1B2C3D-0000-4000-8000-000000000001/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/full_browsing_session_resourceLog.plist"
		path2 = "private/var/mobile/Library/WebClips/0A1B2C3D.webclip/Storage/full_browsing_session_resourceLog.plist"
		seen  = "2026-03-14 09:16:53"
	)
	entry := func(origin, from, to, subresource string) string {
		return `{"origin": "` + origin + `", "redirect_source": ` + from + `, "redirect_destination": ` + to +
			`, "subframe_under_origin": "", "subresource_under_origin": ` + subresource +
			`, "user_interaction": false, "most_recent_interaction": "", "last_seen": "` + seen + `.000000"}`
	}
	record := `{
    "` + path1 + `": [
        ` + entry("free247downloads.com", `[{"origin": "yahoo.fr", "count": 1}]`, `""`, `""`) + `,
        ` + entry("bbc.com", `""`, `""`, `[{"origin": "webadv.co", "count": 3}]`) + `
    ],
    "` + path2 + `": [
        ` + entry("bit.ly", `[{"domain": "webadv.co"}]`, `["example-exploit.net"]`, `[]`) + `
    ]
}`
	m := webkitsessionresourcelog.New()
	rec, err := m.DecodeRecord([]byte(record))
	if err != nil {
		t.Fatal(err)
	}
	var got []alert.Alert
	rep := check.NewReporter(m.Info().Name, func(a alert.Alert) { got = append(got, a) })
	ck := m.NewChecker(check.NewEnv(moduletest.Index(string(ioc.Domain), "free247downloads.com", string(ioc.Domain), "webadv.co",
		string(ioc.Domain), "example-exploit.net")))
	ck.Check(rec, rep)
	ck.Finish(rep)
	high := "HIGH " + webkitsessionresourcelog.SuspiciousRedirect.ID + ": HTTP redirect between suspicious domains: "
	want := []string{
		`CRITICAL ioc/domain: Found a known suspicious domain "free247downloads.com" in WebKit's session resource log (` + path1 + `, last seen ` + seen + ` UTC)`,
		high + `SOURCE: "yahoo.fr" → ORIGIN: "free247downloads.com" in ` + path1,
		`CRITICAL ioc/domain: Found a known suspicious domain "webadv.co" in WebKit's session resource log, as a site under which "bbc.com" was loaded as a resource (` + path1 + `, last seen ` + seen + ` UTC)`,
		`CRITICAL ioc/domain: Found a known suspicious domain "webadv.co" in WebKit's session resource log, as a domain whose pages redirected the browser to "bit.ly" (` + path2 + `, last seen ` + seen + ` UTC)`,
		`CRITICAL ioc/domain: Found a known suspicious domain "example-exploit.net" in WebKit's session resource log, as a domain the pages of "bit.ly" redirected the browser to (` + path2 + `, last seen ` + seen + ` UTC)`,
		high + `SOURCE: "webadv.co" → ORIGIN: "bit.ly" → DESTINATION: "example-exploit.net" in ` + path2,
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}

	// A domain list of another type is left empty and reported; the entry is still read.
	bad := `{"` + path1 + `": [` + entry("free247downloads.com", `42`, `""`, `""`) + `]}`
	rec, err = m.DecodeRecord([]byte(bad))
	if !module.IsFieldTypeError(err) || rec == nil {
		t.Fatalf("DecodeRecord(%s) = %v, %v; want the record and a field type error", bad, rec, err)
	}
	got = nil
	ck = m.NewChecker(check.NewEnv(moduletest.Index(string(ioc.Domain), "free247downloads.com")))
	ck.Check(rec, rep)
	if len(got) != 1 || got[0].Check != "ioc/domain" {
		t.Errorf("alerts %v, want the domain alert only", summary(got))
	}
}

func TestSampleIsDeterministicAndRealistic(t *testing.T) {
	t.Parallel()
	a := fixture.SampleSessionResourceLog(t0, 300, 2)
	if diff := cmp.Diff(a, fixture.SampleSessionResourceLog(t0, 300, 2)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, nil, map[string]fixture.SessionResourceLogSpec{safari: a})
	recs := o.List(t)
	if o.Status.State != module.OK || len(recs) != 300 || len(o.Alerts) != 0 {
		t.Fatalf("status %s, %d records, %d alerts; want ok, 300, none", o.Status.State, len(recs), len(o.Alerts))
	}
	redirects := 0
	for _, r := range recs {
		redirects += len(r["redirect_destination"].([]any))
	}
	if redirects == 0 {
		t.Error("sample has no redirect")
	}
}

func FuzzParse(f *testing.F) {
	for _, model := range []string{fixture.WebKitSessionLogDomains, fixture.WebKitSessionLogOrigins} {
		spec := small(model)
		fixture.PlantSessionRedirect(&spec, "yahoo.fr", "free247downloads.com", "x.net", t0)
		top, err := fixture.SessionResourceLogPlist(spec)
		if err != nil {
			f.Fatal(err)
		}
		for _, format := range []int{plist.BinaryFormat, plist.XMLFormat} {
			data, err := plist.Marshal(top, format)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>browsingStatistics</key><array>` +
		`<string>x</string><dict><key>PrevalentResourceOrigin</key><string>a.com</string><key>lastSeen</key><date>2020-01-01T00:00:00Z</date>` +
		`<key>topFrameUniqueRedirectsTo</key><array><dict><key>origin</key><string>b.com</string><key>count</key><integer>3</integer></dict>` +
		`<integer>1</integer></array></dict></array></dict></plist>`))
	f.Add([]byte("bplist00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := webkitsessionresourcelog.Parse(data, "f")
		if err != nil {
			return
		}
		for _, e := range entries {
			if _, err := results.Marshal(e); err != nil {
				t.Fatalf("record does not encode: %v", err)
			}
			e.Timeline()
		}
	})
}
