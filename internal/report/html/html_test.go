package html

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// t0 is the event time of the first alert of the test folders.
var t0 = time.Date(2026, 3, 4, 9, 32, 53, 0, time.UTC)

const (
	testDomain    = "free247downloads.com"
	testURL       = "https://bun54l2b67.get1tn0w.free247downloads.com:30495/szev4hz"
	testPhone     = "+41 79 123 45 67"
	testEmail     = "jane.doe@example.org"
	testBody      = "Meet me at the usual café tomorrow"
	testIndicator = "indicators.stix2"
)

// folderSpec is what a test results folder holds.
type folderSpec struct {
	info   results.Info
	alerts []alert.Alert
	events []timeline.Event
}

// writeFolder writes a results folder as the engine does and reads it back.
func writeFolder(t testing.TB, spec folderSpec) *results.Folder {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "results")
	d, err := results.Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteAlerts(spec.alerts); err != nil {
		t.Fatal(err)
	}
	info := spec.info
	if info.Alerts == nil {
		info.Alerts = map[string]int{}
		for _, l := range alert.Levels {
			info.Alerts[l.String()] = 0
		}
		for _, a := range spec.alerts {
			info.Alerts[a.Level.String()]++
		}
	}
	if err := d.WriteJSON("info.json", info); err != nil {
		t.Fatal(err)
	}
	s := timeline.NewSpool(t.TempDir(), 0)
	for _, e := range spec.events {
		s.Add(e)
	}
	if err := d.WriteWith("timeline.csv", func(w io.Writer) error { _, err := s.WriteCSV(w); return err }); err != nil {
		t.Fatal(err)
	}
	f, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// baseInfo is the info.json of a backup check with one indicator file.
func baseInfo() results.Info {
	return results.Info{
		SchemaVersion: results.SchemaVersion, Tool: "spytrace", Version: "1.2.3", Command: "ios check-backup",
		TargetPath: "/cases/a/backup", Date: "2026-03-14 10:00:00.000000", FailLevel: "HIGH",
		Acquisition: map[string]any{"kind": "ios-backup", "ProductType": "iPhone14,2", "ProductVersion": "17.3.1",
			"BuildVersion": "21D61", "DeviceName": "Jane's iPhone", "manifest": map[string]any{"files": 537.0, "directories": 95.0}},
		IndicatorFiles: []results.IndicatorFile{{Path: "/iocs/" + testIndicator, SHA256: strings.Repeat("ab", 32), Indicators: 8,
			ByType: map[string]int{"domains": 1, "processes": 4, "emails": 3}, Collections: []string{"NSO Group Pegasus"}}},
		Modules: []results.ModuleInfo{
			{Name: "sms", Version: 1, Status: "ok", Records: 300, Alerts: 2},
			{Name: "safari_history", Version: 1, Status: "ok", Records: 500, Alerts: 1},
			{Name: "datausage", Version: 1, Status: "ok", Records: 80, Alerts: 1},
			{Name: "tcc", Version: 1, Status: "ok", Records: 30, Alerts: 1},
			{Name: "global_preferences", Version: 1, Status: "ok", Records: 1, Alerts: 1},
			{Name: "calendar", Version: 1, Status: "skipped", Reason: "no Calendar.sqlitedb in the backup"},
		},
		Hashes: []results.Hash{{FilePath: "/cases/a/backup/3d/3d0d7e5f", Name: "HomeDomain/Library/SMS/sms.db", Size: 123456, SHA256: strings.Repeat("cd", 32)}},
	}
}

func pegasus(value, typ string) *alert.Indicator {
	return &alert.Indicator{Value: value, Type: typ, Name: "NSO Group Pegasus", STIX2FileName: testIndicator,
		STIX2FilePath: "/iocs/" + testIndicator, STIX2FileHash: strings.Repeat("ab", 32), ID: "indicator--0b5a1ef6-8d3e-4a0a-9a5b-1c2d3e4f5a6b"}
}

// everyLevel is one alert of each level, the CRITICAL one an indicator match in a
// message.
func everyLevel() []alert.Alert {
	at := func(d time.Duration) timefmt.TimeText { return timefmt.TimeText{Time: t0.Add(d)} }
	return []alert.Alert{
		{Level: alert.Low, Module: "tcc", Message: "low: an app may use the microphone", EventTime: at(-30 * 24 * time.Hour),
			Event: map[string]any{"client": "com.example.recorder", "service": "kTCCServiceMicrophone"}, Check: "tcc/path-client-sensitive",
			Meaning: "meaning-low", FalsePositive: "fp-low", Advice: "advice-low"},
		{Level: alert.Critical, Module: "sms", Message: "A link in an SMS received from " + testPhone + " matches " + testDomain, EventTime: at(0),
			Event: map[string]any{"text": testBody + " " + testURL, "phone_number": testPhone, "chat_identifier": testEmail,
				"links": []any{testURL}, "ROWID": 42.0, "service": "SMS"},
			Indicator: pegasus(testDomain, "domains"), Check: "ioc/domain",
			Meaning: "meaning-critical", FalsePositive: "fp-critical", Advice: "advice-critical"},
		{Level: alert.High, Module: "datausage", Message: "high: a process that is no longer installed used the network", EventTime: at(10 * time.Minute),
			Event: map[string]any{"proc_name": "roleaccountd"}, Check: "datausage/deleted-process",
			Meaning: "meaning-high", FalsePositive: "fp-high", Advice: "advice-high"},
		{Level: alert.Medium, Module: "safari_history", Message: "medium: a fast redirect", EventTime: at(20 * time.Minute),
			Event: map[string]any{"url": "https://example.com/redirect"}, Check: "safari_history/fast-redirect",
			Meaning: "meaning-medium", FalsePositive: "fp-medium", Advice: "advice-medium"},
		{Level: alert.Informational, Module: "global_preferences", Message: "informational: Lockdown Mode is on",
			Event: map[string]any{"LDMGlobalEnabled": true}, Check: "global_preferences/lockdown-mode",
			Meaning: "meaning-info", FalsePositive: "fp-info", Advice: "advice-info"},
	}
}

func everyLevelEvents() []timeline.Event {
	return []timeline.Event{
		{Time: t0.Add(-2 * time.Hour), Plugin: "SafariHistory", Event: "safari_history", Description: "far before: https://example.net/"},
		{Time: t0.Add(-5 * time.Minute), Plugin: "SMS", Event: "sms_received", Description: testPhone + ": " + testBody},
		{Time: t0, Plugin: "SMS", Event: "sms_received", Description: testPhone + ": " + testURL},
		{Time: t0.Add(time.Minute), Plugin: "SafariHistory", Event: "safari_history", Description: testURL},
		{Time: t0.Add(3 * time.Minute), Plugin: "IDStatusCache", Event: "lookup", Description: "mailto:" + testEmail},
		{Time: t0.Add(5 * time.Hour), Plugin: "Manifest", Event: "file_created", Description: "far after"},
	}
}

func render(t testing.TB, f *results.Folder, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func parse(t testing.TB, page []byte) *xhtml.Node {
	t.Helper()
	doc, err := xhtml.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// walk calls fn on every element node.
func walk(n *xhtml.Node, fn func(*xhtml.Node)) {
	if n.Type == xhtml.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// byID returns the element with the id, or nil.
func byID(doc *xhtml.Node, id string) *xhtml.Node {
	var found *xhtml.Node
	walk(doc, func(n *xhtml.Node) {
		if found == nil && attr(n, "id") == id {
			found = n
		}
	})
	return found
}

// text returns the text of a node and its descendants.
func text(n *xhtml.Node) string {
	var b strings.Builder
	var rec func(*xhtml.Node)
	rec = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// elements returns the elements with the tag name.
func elements(doc *xhtml.Node, tag string) []*xhtml.Node {
	var out []*xhtml.Node
	walk(doc, func(n *xhtml.Node) {
		if n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q", what, sub)
		}
	}
}

func TestAlertsOfEveryLevel(t *testing.T) {
	f := writeFolder(t, folderSpec{info: baseInfo(), alerts: everyLevel(), events: everyLevelEvents()})
	doc := parse(t, render(t, f, Options{}))

	v := byID(doc, "verdict")
	if v == nil {
		t.Fatal("no verdict panel")
	}
	if !strings.Contains(attr(v, "class"), verdictKnownSpyware) {
		t.Errorf("verdict class %q", attr(v, "class"))
	}
	mustContain(t, "verdict", strings.Join(strings.Fields(text(v)), " "),
		"Traces matching known spyware were found", "1 CRITICAL", "1 HIGH", "1 MEDIUM", "1 LOW", "1 INFORMATIONAL",
		"2 alerts are at HIGH or CRITICAL level; 1 of them matches public indicators of known spyware (NSO Group Pegasus)",
		"needs an experienced analyst's review before anyone is told the phone is compromised",
		"1 module found nothing to read", "8 indicators from 1 file were loaded", "does not know how recent they are")

	// Sections by level, most severe first, each alert with its explanation.
	var order []string
	walk(byID(doc, "alerts"), func(n *xhtml.Node) {
		if n.Data == "section" && strings.HasPrefix(attr(n, "id"), "level-") {
			order = append(order, strings.TrimPrefix(attr(n, "id"), "level-"))
		}
	})
	if got := strings.Join(order, ","); got != "CRITICAL,HIGH,MEDIUM,LOW,INFORMATIONAL" {
		t.Errorf("level sections %s", got)
	}
	for i, a := range everyLevel() {
		art := byID(doc, "alert-"+strconv.Itoa(i+1))
		if art == nil {
			t.Fatalf("no article for alert %d", i+1)
		}
		if !strings.Contains(attr(art, "class"), levelClass(a.Level)) {
			t.Errorf("alert %d class %q", i+1, attr(art, "class"))
		}
		body := text(art)
		mustContain(t, "alert "+a.Level.String(), body, a.Message, a.Module, a.Check, a.Meaning, a.FalsePositive, a.Advice,
			"Why it matters", "How it can be innocent", "What to do next", "The record")
		if a.EventTime.IsZero() {
			mustContain(t, "alert "+a.Level.String(), body, "Event timeunknown")
		} else {
			mustContain(t, "alert "+a.Level.String(), body, formatTime(a.EventTime.Time))
		}
	}
	crit := text(byID(doc, "alert-2"))
	mustContain(t, "indicator alert", crit, "Matched indicator"+testDomain+" (domains)", "SourceNSO Group Pegasus",
		testIndicator, "/iocs/"+testIndicator, strings.Repeat("ab", 32), "indicator--0b5a1ef6",
		// the record, as a key/value table; nested values as compact JSON
		"phone_number"+testPhone, "links[\""+testURL+"\"]", "ROWID42")
	if d := elements(byID(doc, "alert-2"), "details"); len(d) != 1 {
		t.Errorf("%d details in the alert, want the record collapsed", len(d))
	}

	// The timeline: the alerts among the events within an hour, not those further.
	tl := byID(doc, "tl")
	if tl == nil {
		t.Fatal("no timeline")
	}
	tlText := text(tl)
	mustContain(t, "timeline", tlText, testBody, "mailto:"+testEmail, "alert #2", "alert #3", "alert #4", "alert #1")
	for _, far := range []string{"far before", "far after"} {
		if strings.Contains(tlText, far) {
			t.Errorf("timeline shows the event %q, more than an hour from any alert", far)
		}
	}
	if byID(doc, "tl-alert-5") != nil {
		t.Error("an alert without time is on the timeline")
	}
	if r := byID(doc, "tl-alert-2"); r == nil || !strings.Contains(attr(r, "class"), "a ") {
		t.Error("the CRITICAL alert is not a highlighted timeline row")
	}
	// Without scripts the filter stays hidden and every row is shown.
	if flt := byID(doc, "tl-filter"); flt == nil || !hasAttr(flt, "hidden") {
		t.Error("the filter is not hidden for pages without scripts")
	}
	walk(tl, func(n *xhtml.Node) {
		if hasAttr(n, "hidden") {
			t.Errorf("timeline element %s hidden without script", n.Data)
		}
	})
	var toggles []string
	walk(byID(doc, "tl-filter"), func(n *xhtml.Node) {
		if m := attr(n, "data-m"); m != "" {
			toggles = append(toggles, m)
		}
	})
	if got := strings.Join(toggles, ","); got != "datausage,idstatuscache,safarihistory,sms,tcc" {
		t.Errorf("module switches %s", got)
	}

	// Facts, modules, hashes.
	mustContain(t, "acquisition", text(byID(doc, "acquisition")), "ios check-backup", "/cases/a/backup", "iPhone14,2",
		"Jane's iPhone", testIndicator, "domains: 1, emails: 3, processes: 4", `{"directories":95,"files":537}`)
	mustContain(t, "modules", text(byID(doc, "modules")), "5 ran", "1 skipped", "no Calendar.sqlitedb in the backup")
	h := byID(doc, "hashes")
	mustContain(t, "hashes", text(h), "HomeDomain/Library/SMS/sms.db", strings.Repeat("cd", 32), "123,456")
	if len(elements(h, "details")) != 1 {
		t.Error("the hashes are not collapsible")
	}
}

func hasAttr(n *xhtml.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func TestVerdicts(t *testing.T) {
	at := timefmt.TimeText{Time: t0}
	heuristic := func(l alert.Level) alert.Alert {
		return alert.Alert{Level: l, Module: "tcc", Message: "m", EventTime: at, Check: "tcc/x"}
	}
	noIOC := baseInfo()
	noIOC.IndicatorFiles = nil
	failed := baseInfo()
	failed.Modules[0].Status, failed.Modules[0].Reason = "failed", "database disk image is malformed"
	failed.Modules[1].Status, failed.Modules[1].Reason = "partial", "stopped after 50,000,000 records"
	failed.Interrupted = true
	failed.Problems = []map[string]any{{"kind": "missing", "name": "Manifest.db", "message": "listed but absent"}}
	lowIOC := heuristic(alert.Medium)
	lowIOC.Indicator = pegasus("evil.example", "domains")
	for _, tc := range []struct {
		name   string
		info   results.Info
		alerts []alert.Alert
		kind   string
		want   []string
		absent []string
	}{
		{"clean", baseInfo(), nil, verdictNoTrace,
			[]string{"No trace of known spyware was found", "Public indicators only find documented spyware: this is not proof that the phone is clean."},
			[]string{"failed", "weaker"}},
		{"informational only", baseInfo(), []alert.Alert{heuristic(alert.Informational)}, verdictNoTrace,
			[]string{"No trace of known spyware was found", "1 informational note is listed"}, nil},
		{"clean without indicators", noIOC, nil, verdictNoIndicators,
			[]string{"no indicators were loaded", "No indicator was loaded: only spytrace's heuristics ran"}, []string{"No trace of known spyware"}},
		{"low and medium", baseInfo(), []alert.Alert{heuristic(alert.Low), heuristic(alert.Medium)}, verdictLook,
			[]string{"No known-spyware match; some things deserve a look", "2 alerts are at MEDIUM or LOW level"}, nil},
		{"indicator at medium", baseInfo(), []alert.Alert{lowIOC}, verdictLook,
			[]string{"some indicator matches", "1 of them matches a public indicator"}, []string{"No known-spyware match"}},
		{"heuristics only at high", baseInfo(), []alert.Alert{heuristic(alert.High)}, verdictSevere,
			[]string{"Signs that need an expert's review were found", "none of them matches an indicator",
				"need an experienced analyst's review before anyone is told the phone is compromised"}, []string{"Traces matching known spyware"}},
		{"failures weaken the verdict", failed, nil, verdictNoTrace,
			[]string{"The run was interrupted", "1 module failed (sms)", "the verdict is weaker", "1 module read its artifact only in part (safari_history)",
				"1 problem was met while reading the acquisition"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := writeFolder(t, folderSpec{info: tc.info, alerts: tc.alerts})
			doc := parse(t, render(t, f, Options{}))
			v := byID(doc, "verdict")
			if !strings.Contains(attr(v, "class"), tc.kind) {
				t.Errorf("verdict %q, want %s", attr(v, "class"), tc.kind)
			}
			got := strings.Join(strings.Fields(text(v)), " ")
			mustContain(t, "verdict", got, tc.want...)
			for _, s := range tc.absent {
				if strings.Contains(got, s) {
					t.Errorf("verdict says %q:\n%s", s, got)
				}
			}
		})
	}
}

// hostile values planted in a record, a message, the timeline and the facts.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	"javascript:alert(1)",
	"</style><style>body{display:none}</style>",
	"<!-- --><a href=\"https://evil.example/\">click</a>",
}

func hostileFolder(t testing.TB) *results.Folder {
	big := strings.Repeat("A", 2<<20)
	info := baseInfo()
	info.Acquisition["DeviceName"] = hostile[1]
	info.Modules[5].Reason = hostile[0]
	info.Problems = []map[string]any{{"kind": hostile[1], "name": "x", "message": hostile[3]}}
	rec := map[string]any{"long": big, "ctl": "esc\x1b[31mred\x07 nul\x00 rtl\u202eexe.pdf", "url": "https://evil.example/x?a=1&b=2"}
	for i, h := range hostile {
		rec[string(rune('a'+i))] = h
	}
	events := []timeline.Event{
		{Time: t0, Plugin: "SafariHistory", Event: "safari_history", Description: hostile[0] + hostile[1] + strings.Repeat("B", 500_000)},
		// Longer than a row of timeline.csv may be: reading stops there, with an error.
		{Time: t0.Add(30 * time.Minute), Plugin: "SafariHistory", Event: "safari_history", Description: big},
	}
	alerts := []alert.Alert{{Level: alert.Critical, Module: "safari_history", Message: hostile[0] + " " + hostile[1],
		EventTime: timefmt.TimeText{Time: t0}, Event: rec, Indicator: pegasus(hostile[1], "domains"), Check: hostile[0],
		Meaning: hostile[4], FalsePositive: big, Advice: "x"}}
	f := writeFolder(t, folderSpec{info: info, alerts: alerts, events: events})
	// Records made in Go (not read back from JSON) may hold bytes that are not UTF-8.
	f.Alerts[0].Event.(map[string]any)["bad"] = "in\xffvalid\xc3"
	return f
}

func TestHostileEvidenceIsEscaped(t *testing.T) {
	f := hostileFolder(t)
	page := render(t, f, Options{})
	if n := bytes.Count(page, []byte("<script")); n != 1 {
		t.Errorf("%d <script in the page, want only the report's own", n)
	}
	if n := bytes.Count(bytes.ToLower(page), []byte("<img")); n != 0 {
		t.Errorf("%d <img in the page", n)
	}
	for _, raw := range []string{"</style><style>", "<a href=\"https://evil", "\x1b", "\x07", "\x00", "\u202e", "\xff"} {
		if bytes.Contains(page, []byte(raw)) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	if !utf8.Valid(page) {
		t.Error("the page is not valid UTF-8")
	}
	if len(page) > 400<<10 {
		t.Errorf("page of %d bytes: long values are not cut", len(page))
	}
	doc := parse(t, page)
	if n := len(elements(doc, "script")); n != 1 {
		t.Errorf("%d script elements", n)
	}
	if n := len(elements(doc, "img")) + len(elements(doc, "iframe")) + len(elements(doc, "object")); n != 0 {
		t.Errorf("%d img, iframe or object elements", n)
	}
	if n := len(elements(doc, "style")); n != 1 {
		t.Errorf("%d style elements", n)
	}
	walk(doc, func(n *xhtml.Node) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("event handler attribute %s=%q on %s", a.Key, a.Val, n.Data)
			}
		}
	})
	// Every hostile value is there, as text.
	all := text(doc)
	for _, h := range hostile {
		if !strings.Contains(all, h) {
			t.Errorf("the page does not show %q as text", h)
		}
	}
	mustContain(t, "page", all, `esc\x1b[31mred\x07 nul\x00 rtl\u{202e}exe.pdf`, `in\xffvalid\xc3`,
		"shortened for display: 2,097,152 bytes in all", "https://evil.example/x?a=1&b=2")
	tl := text(byID(doc, "timeline"))
	mustContain(t, "timeline", tl, hostile[0]+hostile[1], "shortened for display: 500,055 bytes in all",
		"timeline.csv could not be read to the end", "a timeline line longer than")
	// Escapes are marked, so that they cannot be mistaken for the text "\x1b".
	var marked []string
	walk(doc, func(n *xhtml.Node) {
		if n.Data == "span" && attr(n, "class") == "c" {
			marked = append(marked, text(n))
		}
	})
	mustContain(t, "marked escapes", strings.Join(marked, " "), `\x1b`, `\x07`, `\x00`, `\u{202e}`, `\xff`, `\xc3`)
}

func TestCSPHashesTheInlineCode(t *testing.T) {
	page := render(t, hostileFolder(t), Options{})
	doc := parse(t, page)
	var policy string
	walk(doc, func(n *xhtml.Node) {
		if n.Data == "meta" && strings.EqualFold(attr(n, "http-equiv"), "Content-Security-Policy") {
			policy = attr(n, "content")
		}
	})
	directives := map[string]string{}
	for _, d := range strings.Split(policy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	scripts, styles := elements(doc, "script"), elements(doc, "style")
	if len(scripts) != 1 || len(styles) != 1 {
		t.Fatalf("%d scripts, %d styles", len(scripts), len(styles))
	}
	for name, want := range map[string]string{
		"default-src": "'none'",
		"script-src":  hash(text(scripts[0])),
		"style-src":   hash(text(styles[0])),
		"img-src":     "data:",
		"base-uri":    "'none'",
	} {
		if directives[name] != want {
			t.Errorf("CSP %s = %q, want %q (policy %q)", name, directives[name], want, policy)
		}
	}
	// The hash is of the exact bytes of the page, not only of the parsed text.
	m := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindSubmatch(page)
	if m == nil || hash(string(m[1])) != directives["script-src"] {
		t.Error("script-src does not hash the script's bytes")
	}
}

func TestNoNetworkReference(t *testing.T) {
	for _, redact := range []bool{false, true} {
		f := writeFolder(t, folderSpec{info: baseInfo(), alerts: everyLevel(), events: everyLevelEvents()})
		page := render(t, f, Options{Redact: redact})
		doc := parse(t, page)
		walk(doc, func(n *xhtml.Node) {
			for _, a := range n.Attr {
				switch a.Key {
				case "src", "href", "action", "formaction", "srcset", "poster", "data", "background", "ping", "xlink:href":
					v := strings.ToLower(strings.TrimSpace(a.Val))
					if strings.Contains(v, "http://") || strings.Contains(v, "https://") || strings.HasPrefix(v, "//") ||
						!(strings.HasPrefix(v, "#") || strings.HasPrefix(v, "data:")) {
						t.Errorf("%s %s=%q", n.Data, a.Key, a.Val)
					}
				}
			}
		})
		for _, tag := range []string{"link", "img", "iframe", "object", "embed", "base", "form", "audio", "video", "source"} {
			for _, n := range elements(doc, tag) {
				if tag != "link" || attr(n, "href") != "data:," {
					t.Errorf("element %s %v", tag, n.Attr)
				}
			}
		}
		if !redact {
			mustContain(t, "page", text(doc), testURL) // shown, as text
		}
	}
}

func TestRedact(t *testing.T) {
	f := writeFolder(t, folderSpec{info: baseInfo(), alerts: everyLevel(), events: everyLevelEvents()})
	plain := text(parse(t, render(t, f, Options{})))
	page := render(t, f, Options{Redact: true})
	red := text(parse(t, page))
	secrets := []string{testPhone, "+41791234567", testEmail, "Meet me at the usual", "Jane's iPhone"}
	for _, s := range secrets[:4] {
		if !strings.Contains(plain, s) && s != "+41791234567" {
			t.Errorf("the plain report does not show %q: the test proves nothing", s)
		}
	}
	for _, s := range secrets {
		if strings.Contains(red, s) || bytes.Contains(page, []byte(s)) {
			t.Errorf("the redacted report shows %q", s)
		}
	}
	mustContain(t, "redacted report", red, "spytrace report (redacted)", "This copy is redacted for sharing",
		testDomain, "Matched indicator"+testDomain, Redacted,
		// the hidden message held the indicator, and says so
		Redacted+" (it holds the indicator value "+testDomain+")",
		// other text keeps what is not personal
		"far", "datausage", "roleaccountd")
	doc := parse(t, page)
	crit := text(byID(doc, "alert-2"))
	mustContain(t, "redacted alert", crit, "A link in an SMS received from "+Redacted+" matches "+testDomain)
	// A timeline description of a message module is hidden whole; others only lose
	// addresses and numbers.
	tl := text(byID(doc, "tl"))
	mustContain(t, "redacted timeline", tl, "mailto:"+Redacted, testURL)
	if strings.Contains(tl, "sms_received"+testPhone) {
		t.Error("an SMS description is shown")
	}
}

func TestRedactPatterns(t *testing.T) {
	r := newRedactor(true, []alert.Alert{{Module: "whatsapp", Indicator: &alert.Indicator{Value: "bogaardlisa803@gmail.com"},
		Event: map[string]any{"ZPUSHNAME": "Amira K.", "ZFROMJID": "41791234567@s.whatsapp.net"}}})
	for in, want := range map[string]string{
		"call +41 79 123 45 67 now":                   "call [redacted] now",
		"from 0041791234567":                          "from [redacted]",
		"national 079 123 45 67.":                     "national [redacted].",
		"US (555) 123-4567":                           "US [redacted]",
		"write to jane.doe@example.org!":              "write to [redacted]!",
		"tel:+41791234567":                            "[redacted]",
		"indicator bogaardlisa803@gmail.com stays":    "indicator bogaardlisa803@gmail.com stays",
		"a message from Amira K. (41791234567@s…)":    "a message from [redacted] ([redacted]…)",
		"2026-03-04 09:32:53.012345 UTC, size 12345":  "2026-03-04 09:32:53.012345 UTC, size 12345",
		"build 21D61, iOS 17.3.1, pid 4242, 10.0.0.1": "build 21D61, iOS 17.3.1, pid 4242, 10.0.0.1",
		"uuid 76DAB334-7E17-475D-A5D6-0794EB5818A5":   "uuid 76DAB334-7E17-475D-A5D6-0794EB5818A5",
		"sha256 " + strings.Repeat("0123456789", 6):   "sha256 " + strings.Repeat("0123456789", 6),
	} {
		if got := r.free(in); got != want {
			t.Errorf("free(%q) = %q, want %q", in, got, want)
		}
	}
	rec := r.value("calls", map[string]any{"name": "Amira", "number": "0791234567", "duration": 12.0,
		"participants": []any{"x@y.org"}, "nested": map[string]any{"Phone Number": "+1 555 123 4567", "kind": "phone"}})
	want := map[string]any{"name": Redacted, "number": Redacted, "duration": 12.0, "participants": Redacted,
		"nested": map[string]any{"Phone Number": Redacted, "kind": "phone"}}
	if compactJSON(rec) != compactJSON(want) {
		t.Errorf("value = %s, want %s", compactJSON(rec), compactJSON(want))
	}
	// Outside calls, "name" is innocent (a process, an app).
	if got := compactJSON(r.value("datausage", map[string]any{"name": "bh"})); got != `{"name":"bh"}` {
		t.Errorf("datausage name redacted: %s", got)
	}
	if got := r.timeline("Whatsapp", "received from 4179…: hi"); got != Redacted {
		t.Errorf("timeline of a message module: %q", got)
	}
	off := newRedactor(false, nil)
	if got := off.free("+41 79 123 45 67"); got != "+41 79 123 45 67" {
		t.Errorf("redaction off changed %q", got)
	}
}

func TestDeterministic(t *testing.T) {
	for _, redact := range []bool{false, true} {
		f := writeFolder(t, folderSpec{info: baseInfo(), alerts: everyLevel(), events: everyLevelEvents()})
		first := render(t, f, Options{Redact: redact})
		for range 3 {
			f2, err := results.Load(f.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if again := render(t, f2, Options{Redact: redact}); !bytes.Equal(first, again) {
				t.Fatalf("two renderings differ (redact %v)", redact)
			}
		}
	}
}

func TestTimelineCap(t *testing.T) {
	var events []timeline.Event
	for i := range 200 {
		events = append(events, timeline.Event{Time: t0.Add(time.Duration(i-100) * time.Minute), Plugin: "Manifest", Event: "file_modified",
			Description: "event " + string(rune('A'+i%26)) + time.Duration(i).String()})
	}
	alerts := []alert.Alert{
		{Level: alert.High, Module: "manifest", Message: "first", EventTime: timefmt.TimeText{Time: t0}},
		{Level: alert.Low, Module: "manifest", Message: "second", EventTime: timefmt.TimeText{Time: t0.Add(30 * time.Minute)}},
	}
	f := writeFolder(t, folderSpec{info: baseInfo(), alerts: alerts, events: events})
	doc := parse(t, render(t, f, Options{MaxTimelineRows: 12}))
	rows := 0
	walk(byID(doc, "tl"), func(n *xhtml.Node) {
		if n.Data == "tr" && hasAttr(n, "data-m") {
			rows++
		}
	})
	if rows != 12 {
		t.Errorf("%d timeline rows, want 12", rows)
	}
	section := strings.Join(strings.Fields(text(byID(doc, "timeline"))), " ")
	// Events from t0-60 min to t0+90 min are within an hour of an alert.
	mustContain(t, "timeline", section, "This timeline is limited to 12 rows.", "151 events of timeline.csv are within an hour of an alert",
		"See timeline.csv for the rest")
	// More alerts with a time than rows: the most severe are shown.
	doc = parse(t, render(t, f, Options{MaxTimelineRows: 1}))
	if byID(doc, "tl-alert-1") == nil || byID(doc, "tl-alert-2") != nil {
		t.Error("with one row, the timeline does not show the HIGH alert alone")
	}
	mustContain(t, "timeline", strings.Join(strings.Fields(text(byID(doc, "timeline"))), " "), "the 1 most severe alerts")
}
