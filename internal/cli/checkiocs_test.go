package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runRecheck runs spytrace like run, with the URL shorteners of --expand-urls replaced
// by isShortener (nil: none may be contacted).
func runRecheck(t *testing.T, isShortener func(string) bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if isShortener == nil {
		isShortener = func(string) bool { return false }
	}
	var out, errb bytes.Buffer
	e := testEnv(t, t.TempDir(), &out, &errb)
	e.now = func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	e.isShortener = isShortener
	code = e.run(context.Background(), args)
	return code, out.String(), errb.String()
}

// rechecks returns the re-check folders of a case, oldest first.
func rechecks(t *testing.T, caseDir string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(caseDir, "rechecks", "*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	return dirs
}

// canonicalAlerts returns the alerts of a file as canonical JSON strings, sorted.
func canonicalAlerts(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var alerts []any
	if err := json.Unmarshal(data, &alerts); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(alerts))
	for i, a := range alerts {
		b, _ := json.Marshal(a)
		out[i] = string(b)
	}
	sort.Strings(out)
	return out
}

// assertRecheckReproduces re-checks the results folder out with the indicator files of
// its run and fails unless the re-check raises exactly the run's alerts, record for
// record, and finds none of them new. The results the run wrote stay unchanged.
func assertRecheckReproduces(t *testing.T, out string, iocs ...string) {
	t.Helper()
	before := hashTree(t, out)
	args := []string{"check-iocs", "-q", "--no-default-iocs"}
	for _, f := range iocs {
		args = append(args, "-i", f)
	}
	code, stdout, stderr := runRecheck(t, nil, append(args, out)...)
	if code != ExitClean {
		t.Fatalf("check-iocs: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, ", 0 new -> ") || strings.Contains(stdout, " failed: ") || strings.Contains(stdout, " partial: ") {
		t.Errorf("summary: %s", stdout)
	}
	dirs := rechecks(t, out)
	if len(dirs) != 1 {
		t.Fatalf("re-check folders: %q", dirs)
	}
	if diff := cmp.Diff(canonicalAlerts(t, filepath.Join(out, "alerts.json")), canonicalAlerts(t, filepath.Join(dirs[0], "alerts.json"))); diff != "" {
		t.Errorf("re-check alerts differ from the run's (-run +re-check):\n%s", diff)
	}
	if got := canonicalAlerts(t, filepath.Join(dirs[0], "new_alerts.json")); len(got) != 0 {
		t.Errorf("new alerts on a re-check with the same indicators: %q", got)
	}
	after := hashTree(t, out)
	for name, sum := range before {
		if fi, err := os.Stat(name); err == nil && fi.IsDir() {
			continue // a folder's time changes when rechecks/ is made in it
		}
		if after[name] != sum {
			t.Errorf("%s changed by the re-check", name)
		}
	}
}

// writeFiles writes files (name → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeIndicators writes one STIX file of the patterns and returns its path.
func writeIndicators(t *testing.T, name string, patterns ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, stixBundle(t, "New Spyware", patterns...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckIOCsFindsWhatNewIndicatorsReveal checks the demo backup without
// indicators, then re-checks its results when indicators appear: the indicator
// matches are new, the heuristics' alerts are not, the earlier results are untouched,
// and a second re-check finds nothing new and writes a folder of its own.
func TestCheckIOCsFindsWhatNewIndicatorsReveal(t *testing.T) {
	d := demoCopy(t)
	out := filepath.Join(t.TempDir(), "case")
	code, _, stderr := run(t, "ios", "check-backup", "-q", "--no-default-iocs", "-o", out, d.Backup)
	if code != ExitAlerts {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	heuristics := canonicalAlerts(t, filepath.Join(out, "alerts.json"))
	for _, a := range heuristics {
		if strings.Contains(a, `"check":"ioc/`) {
			t.Fatalf("an indicator alert without indicators: %s", a)
		}
	}
	before := hashTree(t, out)

	code, stdout, stderr := runRecheck(t, nil, "check-iocs", "--no-default-iocs", "-i", d.Indicators, out)
	if code != ExitAlerts {
		t.Fatalf("re-check: exit %d, want %d\n%s%s", code, ExitAlerts, stdout, stderr)
	}
	dirs := rechecks(t, out)
	if len(dirs) != 1 {
		t.Fatalf("re-check folders %q", dirs)
	}
	all := canonicalAlerts(t, filepath.Join(dirs[0], "alerts.json"))
	fresh := canonicalAlerts(t, filepath.Join(dirs[0], "new_alerts.json"))
	if len(fresh) == 0 || len(all) != len(heuristics)+len(fresh) {
		t.Fatalf("%d alerts, %d new, %d heuristic alerts before", len(all), len(fresh), len(heuristics))
	}
	// Every alert of the first run is raised again and is not new.
	for _, h := range heuristics {
		if !slices.Contains(all, h) || slices.Contains(fresh, h) {
			t.Errorf("an alert of the first run is missing or new: %s", h)
		}
	}
	modules := map[string]bool{}
	for _, a := range fresh {
		var m map[string]any
		json.Unmarshal([]byte(a), &m)
		ind, _ := m["matched_indicator"].(map[string]any)
		if ind == nil {
			// A heuristic that needs indicators (a redirect through a listed domain).
			if m["check"] != "webkit_session_resource_log/suspicious-redirect" {
				t.Errorf("a new alert that is not an indicator match: %s", a)
			}
			continue
		}
		if ind["stix2_file_name"] != filepath.Base(d.Indicators) || ind["stix2_file_sha256"] == "" {
			t.Errorf("new alert without its indicator file: %v", ind)
		}
		modules[m["module"].(string)] = true
	}
	for _, m := range []string{"sms", "safari_history", "datausage", "manifest", "tcc"} {
		if !modules[m] {
			t.Errorf("no new indicator alert in %s (new in %v)", m, modules)
		}
	}
	// The summary line and the re-check's info.json name the indicator set.
	var info struct {
		ResultsFolder string `json:"results_folder"`
		Original      struct {
			Tool, Platform string
			Alerts         int
		} `json:"original"`
		IndicatorSet struct {
			SHA256 string `json:"sha256"`
			Files  []struct{ Path, SHA256 string }
		} `json:"indicator_set"`
		NewAlerts map[string]int `json:"new_alerts"`
		Modules   []struct{ Name, Status string }
	}
	data, err := os.ReadFile(filepath.Join(dirs[0], "info.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if info.Original.Tool != "spytrace" || info.Original.Platform != "ios" || info.Original.Alerts != len(heuristics) ||
		len(info.IndicatorSet.Files) != 1 || info.IndicatorSet.Files[0].Path != d.Indicators ||
		!strings.HasSuffix(dirs[0], "-"+info.IndicatorSet.SHA256[:12]) || info.NewAlerts["CRITICAL"] == 0 {
		t.Errorf("info.json: %s", data)
	}
	for _, m := range info.Modules {
		if m.Status != "ok" {
			t.Errorf("module %s: %s", m.Name, m.Status)
		}
	}
	if !strings.Contains(stdout, "case: spytrace ios, ") || !strings.Contains(stdout, "CRITICAL") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("summary: %q", stdout)
	}
	// The results of the first run are untouched.
	after := hashTree(t, out)
	for name, sum := range before {
		if fi, err := os.Stat(name); err == nil && !fi.IsDir() && after[name] != sum {
			t.Errorf("%s changed", name)
		}
	}

	// The same indicators again: nothing new, and the first re-check is kept.
	code, stdout, stderr = runRecheck(t, nil, "check-iocs", "--no-default-iocs", "-i", d.Indicators, out)
	if code != ExitClean || !strings.Contains(stdout, ", 0 new -> ") {
		t.Fatalf("second re-check: exit %d\n%s%s", code, stdout, stderr)
	}
	if dirs2 := rechecks(t, out); len(dirs2) != 2 || dirs2[0] != dirs[0] || dirs2[1] != dirs[0]+"-2" {
		t.Errorf("re-check folders %q", dirs2)
	}
	// One module only.
	code, stdout, _ = runRecheck(t, nil, "check-iocs", "--no-default-iocs", "-i", d.Indicators, "-m", "sms", out)
	if code != ExitClean || !strings.Contains(stdout, " of 1 modules: ") {
		t.Errorf("-m sms: exit %d %s", code, stdout)
	}
}

// mvtIOSCase is an iOS results folder as MVT writes it: its info.json, sms.json,
// safari_history.json and datausage.json with MVT's keys, and its alerts.json (v3)
// with one indicator match already reported.
var mvtIOSCase = map[string]string{
	"info.json": `{
    "target_path": "/cases/backup",
    "mvt_version": "2.6.1",
    "date": "2025-02-10 10:00:00.000000",
    "ioc_files": ["/indicators/old.stix2"],
    "hashes": []
}`,
	"sms.json": `[
    {
        "ROWID": 41,
        "guid": "5C1A1A1E-0000-4000-8000-000000000041",
        "text": "Your parcel is waiting: https://parcel-track.example/p/8812",
        "handle_id": 3,
        "service": "SMS",
        "date": 760000000000000000,
        "date_read": 0,
        "is_from_me": 0,
        "isodate": "2025-01-30 07:06:40.000000",
        "isodate_read": null,
        "direction": "received",
        "phone_number": "+15550001111",
        "links": ["https://parcel-track.example/p/8812"]
    },
    {
        "ROWID": 42,
        "guid": "5C1A1A1E-0000-4000-8000-000000000042",
        "text": "ALERT: Apple detected a targeted mercenary spyware attack against your iPhone.",
        "handle_id": 4,
        "service": "iMessage",
        "date": 760000100000000000,
        "is_from_me": 0,
        "isodate": "2025-01-30 07:08:20.000000",
        "direction": "received",
        "phone_number": "threat-notifications@apple.com",
        "links": []
    }
]`,
	"safari_history.json": `[
    {
        "id": 7,
        "url": "https://old-known.example/landing",
        "visit_id": 70,
        "timestamp": 760000050.5,
        "isodate": "2025-01-30 07:07:30.500000",
        "redirect_source": null,
        "redirect_destination": null,
        "safari_history_db": "History.db"
    }
]`,
	"alerts.json": `[
    {
        "level": "CRITICAL",
        "module": "safari_history",
        "message": "Found a known suspicious domain old-known.example",
        "event_time": "2025-01-30 07:07:30.500000",
        "event": {"id": 7, "url": "https://old-known.example/landing"},
        "matched_indicator": {"value": "old-known.example", "type": "domains", "name": "Old", "stix2_file_name": "old.stix2"}
    }
]`,
	"command.log": "2025-02-10 10:00:00,000 - mvt.ios.cli - INFO - Checking iTunes backup\n",
}

// mvtAndroidCase is an Android results folder as MVT's check-backup writes it (SMS
// from an adb backup: "address", "body", dates in milliseconds).
var mvtAndroidCase = map[string]string{
	"info.json": `{"target_path": "/cases/backup.ab", "mvt_version": "2.6.1", "date": "2025-03-01 08:00:00.000000", "ioc_files": [], "hashes": []}`,
	"sms.json": `[
    {
        "_id": 5,
        "address": "+15550002222",
        "body": "Security update for your phone: https://upd.stalk-new.example/apk",
        "date": 1738220800000,
        "date_sent": 0,
        "type": 1,
        "read": 1,
        "isodate": "2025-01-30 07:06:40.000000",
        "direction": "received",
        "links": ["https://upd.stalk-new.example/apk"]
    }
]`,
}

// TestCheckIOCsFolderOfFolders re-checks a folder of cases in one command: a spytrace
// case, an iOS and an Android MVT case, a damaged case; a folder without results is
// passed over. One summary line per case; new matches and heuristics found in MVT's
// records; an alert MVT already reported is not new.
func TestCheckIOCsFolderOfFolders(t *testing.T) {
	d := demoCopy(t)
	cases := t.TempDir()
	code, _, stderr := run(t, "ios", "check-backup", "-q", "--no-default-iocs", "-o", filepath.Join(cases, "2026", "spytrace-case"), d.Backup)
	if code != ExitAlerts {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	writeFiles(t, filepath.Join(cases, "2025", "mvt-ios"), mvtIOSCase)
	writeFiles(t, filepath.Join(cases, "2025", "mvt-android"), mvtAndroidCase)
	writeFiles(t, filepath.Join(cases, "2025", "damaged"), map[string]string{"info.json": `{"mvt_version": "2.6.1", "date": `, "sms.json": `[`})
	writeFiles(t, filepath.Join(cases, "notes"), map[string]string{"todo.txt": "call back"})
	iocs := writeIndicators(t, "new.stix2",
		"[domain-name:value = 'parcel-track.example']",
		"[domain-name:value = 'old-known.example']",
		"[domain-name:value = 'stalk-new.example']",
		"[domain-name:value = 'free247downloads.com']")

	code, stdout, stderr := runRecheck(t, nil, "check-iocs", "--no-default-iocs", "-i", iocs, cases)
	if code != ExitAlerts {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("want one line per case (4), got:\n%s", stdout)
	}
	for i, want := range []string{
		filepath.Join(cases, "2025", "damaged") + ": not re-checked: ",
		filepath.Join(cases, "2025", "mvt-android") + ": mvt android, 1 records of 1 modules: 1 alerts, 1 new (1 CRITICAL)",
		filepath.Join(cases, "2025", "mvt-ios") + ": mvt ios, 3 records of 2 modules: 3 alerts, 2 new (1 CRITICAL, 1 HIGH)",
		filepath.Join(cases, "2026", "spytrace-case") + ": spytrace ios, ",
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d: %q\nwant prefix %q", i, lines[i], want)
		}
	}
	if !strings.Contains(stderr, "3 results folders re-checked, 1 could not be") {
		t.Errorf("stderr: %s", stderr)
	}
	// What the MVT iOS case revealed, and what was known.
	dirs := rechecks(t, filepath.Join(cases, "2025", "mvt-ios"))
	if len(dirs) != 1 {
		t.Fatalf("%q", dirs)
	}
	var fresh []map[string]any
	data, _ := os.ReadFile(filepath.Join(dirs[0], "new_alerts.json"))
	json.Unmarshal(data, &fresh)
	var got []string
	for _, a := range fresh {
		got = append(got, a["module"].(string)+" "+a["check"].(string)+" "+a["level"].(string)+" "+a["event_time"].(string))
	}
	sort.Strings(got)
	want := []string{
		"sms ioc/domain CRITICAL 2025-01-30 07:06:40.000000",
		"sms sms/threat-notification HIGH 2025-01-30 07:08:20.000000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("new alerts of the MVT case (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(cases, "notes", "rechecks")); err == nil {
		t.Error("a folder without results got a re-check")
	}
}

// TestCheckIOCsExpandURLs expands the shortened URLs of a case through a shortener the
// test runs on 127.0.0.1, only with --expand-urls: the destination matches an
// indicator, a shortener that does not answer in time is reported, and nothing is
// requested without the flag.
func TestCheckIOCsExpandURLs(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/x7":
			if r.Header.Get("Cookie") != "" {
				t.Errorf("cookie sent: %q", r.Header.Get("Cookie"))
			}
			w.Header().Set("Location", "https://inbox-secure.example/login?u=7")
			w.WriteHeader(http.StatusMovedPermanently)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	isShortener := func(link string) bool { return strings.HasPrefix(link, srv.URL+"/") }
	caseDir := filepath.Join(t.TempDir(), "case")
	files := map[string]string{}
	for k, v := range mvtIOSCase {
		files[k] = v
	}
	files["urls.json"] = `[
    {"url": "` + srv.URL + `/x7", "expanded_url": null, "timestamp": "2025-01-30 07:06:40.000000", "source": "sms"},
    {"url": "` + srv.URL + `/slow", "expanded_url": null, "timestamp": "2025-01-30 07:06:41.000000", "source": "whatsapp"},
    {"url": "` + srv.URL + `/missing", "expanded_url": null, "timestamp": null, "source": "sms"},
    {"url": "https://not-short.example/a", "expanded_url": null, "timestamp": null, "source": "sms"}
]`
	writeFiles(t, caseDir, files)
	iocs := writeIndicators(t, "phish.stix2", "[domain-name:value = 'inbox-secure.example']")

	code, stdout, stderr := runRecheck(t, isShortener, "check-iocs", "--no-default-iocs", "-i", iocs, caseDir)
	if requests.Load() != 0 {
		t.Fatalf("%d requests without --expand-urls", requests.Load())
	}
	if strings.Contains(stdout, "expanded") || strings.Contains(stderr, "expand-urls") {
		t.Errorf("expansion mentioned without the flag:\n%s%s", stdout, stderr)
	}
	_ = code

	code, stdout, stderr = runRecheck(t, isShortener, "check-iocs", "--no-default-iocs", "-i", iocs, "--expand-urls", "--url-timeout", "300ms", caseDir)
	if code != ExitAlerts {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "from this computer's address") || !strings.Contains(stdout, ", 3 shortened URLs expanded") {
		t.Errorf("warning or summary missing:\n%s%s", stdout, stderr)
	}
	dirs := rechecks(t, caseDir)
	var expanded []struct {
		URL         string  `json:"url"`
		ExpandedURL *string `json:"expanded_url"`
		Source      string  `json:"source"`
		Error       string  `json:"error"`
	}
	data, err := os.ReadFile(filepath.Join(dirs[len(dirs)-1], "expanded_urls.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &expanded); err != nil {
		t.Fatal(err)
	}
	if len(expanded) != 3 || expanded[0].ExpandedURL == nil || *expanded[0].ExpandedURL != "https://inbox-secure.example/login?u=7" ||
		!strings.Contains(expanded[1].Error, "no answer in time") || !strings.Contains(expanded[2].Error, "404") {
		t.Errorf("expanded_urls.json: %s", data)
	}
	var fresh []map[string]any
	data, _ = os.ReadFile(filepath.Join(dirs[len(dirs)-1], "new_alerts.json"))
	json.Unmarshal(data, &fresh)
	found := false
	for _, a := range fresh {
		if a["module"] == "sms" && a["check"] == "ioc/domain" && strings.Contains(a["message"].(string), "destination of the shortened URL") {
			found = true
		}
	}
	if !found {
		t.Errorf("no alert for the shortened URL's destination: %s", data)
	}
}

func TestCheckIOCsUsage(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "case"), mvtAndroidCase)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check-iocs"}, ExitUsage, "needs at least one results folder"},
		{[]string{"check-iocs", "-m", "nope", dir}, ExitUsage, `unknown module "nope"`},
		{[]string{"check-iocs", "--expand-urls", "--url-timeout", "0s", dir}, ExitUsage, "--url-timeout must be positive"},
		{[]string{"check-iocs", t.TempDir()}, ExitError, "not a results folder"},
		{[]string{"check-iocs", filepath.Join(dir, "absent")}, ExitError, "no such file"},
	} {
		code, stdout, stderr := runRecheck(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("%q: exit %d\n%s%s\nwant %d %q", tc.args, code, stdout, stderr, tc.code, tc.want)
		}
	}
}

// TestCheckIOCsLimits: --limit records and alerts apply to a re-check (a limit reached
// is an alert there too); the limits of evidence reading are refused.
func TestCheckIOCsLimits(t *testing.T) {
	cases := t.TempDir()
	writeFiles(t, filepath.Join(cases, "mvt-ios"), mvtIOSCase)
	// sms raises two alerts: the indicator's match and a threat notification.
	iocs := writeIndicators(t, "new.stix2", "[domain-name:value = 'parcel-track.example']")
	code, stdout, stderr := runRecheck(t, nil, "check-iocs", "--no-default-iocs", "--fail-level", "NONE", "-i", iocs, "--limit", "alerts=1", cases)
	if code != ExitClean {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	dirs := rechecks(t, filepath.Join(cases, "mvt-ios"))
	if len(dirs) != 1 {
		t.Fatalf("%q", dirs)
	}
	found := false
	for _, a := range readAlerts(t, dirs[0]) {
		if a["check"] == "limit/alerts" && a["module"] == "sms" {
			found = true
		}
	}
	if !found {
		t.Error("no limit/alerts alert for sms in the re-check")
	}
	code, _, stderr = runRecheck(t, nil, "check-iocs", "--no-default-iocs", "--limit", "entries=5", cases)
	if code != ExitUsage || !strings.Contains(stderr, "only the records and alerts limits") {
		t.Errorf("entries: exit %d\n%s", code, stderr)
	}
}
