package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
)

var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func bundle(t *testing.T, name string, patterns ...string) []byte {
	t.Helper()
	var inds []fixture.STIXIndicator
	for _, p := range patterns {
		inds = append(inds, fixture.STIXIndicator{Pattern: p})
	}
	var b bytes.Buffer
	if err := fixture.WriteSTIX(&b, fixture.STIXCollection{Name: name, Indicators: inds}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestParseIndex(t *testing.T) {
	data := `# comment
indicators:
  -
    type: github
    name: NSO Group Pegasus Indicators of Compromise
    sources:
      - Amnesty International
    references:
      - https://example.org/report
    github:
      owner: AmnestyTech
      repo: investigations
      branch: master
      path: 2021-07-18_nso/pegasus.stix2
    future_key: ignored
  - type: github
    name: "  Default branch  "
    github: {owner: mvt-project, repo: mvt-indicators, path: a/b.stix2}
  - type: url
    name: Elsewhere
    download_url: https://feeds.example/x.stix2
  - type: github
    name: Bad
    github: not-a-map
  - {}
`
	ix, problems, err := ParseIndex([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Type: "github", Name: "NSO Group Pegasus Indicators of Compromise", Sources: []string{"Amnesty International"}, References: []string{"https://example.org/report"},
			GitHub: &GitHub{Owner: "AmnestyTech", Repo: "investigations", Branch: "master", Path: "2021-07-18_nso/pegasus.stix2"}},
		{Type: "github", Name: "Default branch", GitHub: &GitHub{Owner: "mvt-project", Repo: "mvt-indicators", Path: "a/b.stix2"}},
		{Type: "url", Name: "Elsewhere", DownloadURL: "https://feeds.example/x.stix2"},
		{Name: "entry 5"},
	}
	if d := cmp.Diff(want, ix.Entries); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "entry 4 (line 22)") {
		t.Errorf("problems = %q, want one about entry 4 at line 22", problems)
	}
	urls := []string{
		"https://raw.githubusercontent.com/AmnestyTech/investigations/master/2021-07-18_nso/pegasus.stix2",
		"https://raw.githubusercontent.com/mvt-project/mvt-indicators/main/a/b.stix2",
		"https://feeds.example/x.stix2",
	}
	for i, u := range urls {
		got, err := ix.Entries[i].URL("")
		if err != nil || got != u {
			t.Errorf("entry %d URL = %q, %v; want %q", i, got, err, u)
		}
	}
	if _, err := ix.Entries[3].URL(""); err == nil {
		t.Error("entry without github section nor download_url: no error")
	}
}

func TestParseIndexErrors(t *testing.T) {
	for _, data := range []string{"indicators: [\n", "other: 1\n", "", "- a\n- b\n"} {
		if ix, _, err := ParseIndex([]byte(data)); err == nil {
			t.Errorf("ParseIndex(%q) = %+v, want an error", data, ix)
		}
	}
}

func TestEntryURLRefusals(t *testing.T) {
	for _, e := range []Entry{
		{Type: "github", GitHub: &GitHub{Owner: "a", Repo: "b", Path: "../../x.stix2"}},
		{Type: "github", GitHub: &GitHub{Owner: "a/..", Repo: "b", Path: "x.stix2"}},
		{Type: "github", GitHub: &GitHub{Owner: "a", Repo: "", Path: "x.stix2"}},
		{Type: "github", GitHub: &GitHub{Owner: "a", Repo: "b", Path: ""}},
		{Type: "github"},
		{Type: "url", DownloadURL: "file:///etc/passwd"},
		{Type: "url", DownloadURL: "ftp://example.org/x.stix2"},
		{Type: "url", DownloadURL: "https:///nohost"},
	} {
		if u, err := e.URL(""); err == nil {
			t.Errorf("%+v: URL = %q, want an error", e, u)
		}
	}
	// Unusual characters are escaped, never interpreted.
	e := Entry{Type: "github", GitHub: &GitHub{Owner: "o", Repo: "r", Branch: "feature/x", Path: "dir/a b?.stix2"}}
	if u, err := e.URL("http://127.0.0.1:1/"); err != nil || u != "http://127.0.0.1:1/o/r/feature/x/dir/a%20b%3F.stix2" {
		t.Errorf("URL = %q, %v", u, err)
	}
}

func TestFileName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://raw.githubusercontent.com/AmnestyTech/investigations/master/2021-07-18_nso/pegasus.stix2",
			"raw.githubusercontent.com_AmnestyTech_investigations_master_2021-07-18_nso_pegasus.stix2"},
		{"https://shop.example/x.json", "shop.example_x.json"}, // MVT's lstrip would have eaten the "s" and "h"
		{"http://127.0.0.1:8080/a%20b/c?d=1", "127.0.0.1_8080_a_20b_c_d_1.stix2"},
		{"https://h/.hidden", "h_.hidden.stix2"},
		{"https://h/x.STIX2", "h_x.STIX2"},
		{".x", "_.x.stix2"},
	} {
		if got := FileName(c.in); got != c.want {
			t.Errorf("FileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := FileName("https://h/" + strings.Repeat("a", 500) + ".stix2")
	if len(long) > maxNameBytes || !strings.HasSuffix(long, ".stix2") || long == FileName("https://h/"+strings.Repeat("a", 499)+".stix2") {
		t.Errorf("long name %q (%d bytes)", long, len(long))
	}
}

// feedServer serves an index and bundles, including failures.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	bundles  map[string][]byte // path → body
	requests []string
	agents   []string
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	fs := &feedServer{bundles: map[string][]byte{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(path string, body []byte) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.bundles[path] = body
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.requests = append(fs.requests, r.URL.Path)
	fs.agents = append(fs.agents, r.UserAgent())
	body, ok := fs.bundles[r.URL.Path]
	fs.mu.Unlock()
	switch r.URL.Path {
	case "/slow.stix2":
		select { // longer than the client's timeout: the client gives up first
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return
	case "/truncated.stix2":
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))
		buf.Write(body[:len(body)/2])
		buf.Flush()
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(body)
}

func testOptions(t *testing.T, dir string) Options {
	return Options{
		Dir:          filepath.Join(dir, "indicators"),
		ManifestPath: filepath.Join(dir, ManifestName),
		Getenv:       func(string) string { return "" },
		Timeout:      500 * time.Millisecond,
		Now:          func() time.Time { return fixedNow },
	}
}

func TestUpdate(t *testing.T) {
	srv := newFeedServer(t)
	pegasus := bundle(t, "Pegasus", fixture.DomainPattern("evil.example"), fixture.ProcessPattern("bh"), fixture.EmailPattern("a@evil.example"))
	predator := bundle(t, "Predator", fixture.DomainPattern("pred.example"))
	good := bundle(t, "Old", fixture.DomainPattern("old.example"))
	srv.set("/AmnestyTech/investigations/master/nso/pegasus.stix2", pegasus)
	srv.set("/predator.stix2", predator)
	srv.set("/truncated.stix2", good)
	srv.set("/malformed.stix2", []byte(`{"type":"bundle","objects":[{"type":"indicator"`))
	srv.set("/notjson.stix2", []byte("<html>rate limited</html>"))
	srv.set("/empty.stix2", bundle(t, "Empty"))
	index := fmt.Sprintf(`indicators:
  - type: github
    name: Pegasus
    sources: [Amnesty International]
    github: {owner: AmnestyTech, repo: investigations, branch: master, path: nso/pegasus.stix2}
  - {type: url, name: Predator, download_url: %[1]s/predator.stix2}
  - {type: url, name: Gone, download_url: %[1]s/gone.stix2}
  - {type: url, name: Slow, download_url: %[1]s/slow.stix2}
  - {type: url, name: Truncated, download_url: %[1]s/truncated.stix2}
  - {type: url, name: Malformed, download_url: %[1]s/malformed.stix2}
  - {type: url, name: NotJSON, download_url: %[1]s/notjson.stix2}
  - {type: url, name: Empty, download_url: %[1]s/empty.stix2}
  - {type: url, name: Twice, download_url: %[1]s/predator.stix2}
  - {type: url, name: NoURL}
`, srv.URL)
	srv.set("/index.yaml", []byte(index))

	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.RawBase = srv.URL
	name := func(p string) string { return FileName(srv.URL + p) }
	// Previous copies of the entries that will fail: they must survive.
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/truncated.stix2", "/malformed.stix2", "/slow.stix2"} {
		if err := os.WriteFile(filepath.Join(opts.Dir, name(p)), good, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	handMade := filepath.Join(opts.Dir, "mine.stix2")
	if err := os.WriteFile(handMade, good, 0o644); err != nil {
		t.Fatal(err)
	}

	var progress []string
	opts.Progress = func(r Result) { progress = append(progress, r.Entry.Name+" "+r.Status) }
	ix, problems, err := FetchIndex(context.Background(), srv.URL+"/index.yaml", opts)
	if err != nil || len(problems) != 0 {
		t.Fatalf("FetchIndex: %v %q", err, problems)
	}
	results, err := Update(context.Background(), ix, srv.URL+"/index.yaml", opts)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		Name, Status, Err string
		Kept              bool
	}
	var got []outcome
	for _, r := range results {
		o := outcome{Name: r.Entry.Name, Status: r.Status, Kept: r.KeptPrevious}
		if r.Err != nil {
			o.Err = r.Err.Error()
		}
		got = append(got, o)
	}
	want := []outcome{
		{"Pegasus", StatusUpdated, "", false},
		{"Predator", StatusUpdated, "", false},
		{"Gone", StatusFailed, "HTTP status 404 Not Found", false},
		{"Slow", StatusFailed, "Client.Timeout", true},
		{"Truncated", StatusFailed, "unexpected EOF", true},
		{"Malformed", StatusFailed, "malformed bundle", true},
		{"NotJSON", StatusFailed, "malformed bundle (not JSON)", false},
		{"Empty", StatusFailed, "no usable indicator", false},
		{"Twice", StatusFailed, "listed twice", true},
		{"NoURL", StatusFailed, "neither a github section nor a download_url", false},
	}
	if len(got) != len(want) {
		t.Fatalf("results = %+v", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Status != w.Status || g.Kept != w.Kept || !strings.Contains(g.Err, w.Err) || (w.Err == "") != (g.Err == "") {
			t.Errorf("result %d = %+v, want %+v (error containing %q)", i, g, w, w.Err)
		}
	}
	if len(progress) != len(want) {
		t.Errorf("progress calls = %q", progress)
	}

	// Installed files: the good ones, the kept previous copies, nothing partial.
	entries, err := os.ReadDir(opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	wantFiles := []string{
		name("/malformed.stix2"), name("/predator.stix2"), name("/slow.stix2"), name("/truncated.stix2"),
		name("/AmnestyTech/investigations/master/nso/pegasus.stix2"), "mine.stix2",
	}
	if d := cmp.Diff(sortedCopy(wantFiles), files); d != "" {
		t.Errorf("files in the indicators folder (-want +got):\n%s", d)
	}
	for p, body := range map[string][]byte{
		name("/AmnestyTech/investigations/master/nso/pegasus.stix2"): pegasus,
		name("/predator.stix2"): predator, name("/truncated.stix2"): good, name("/malformed.stix2"): good,
		name("/slow.stix2"): good, "mine.stix2": good,
	} {
		b, err := os.ReadFile(filepath.Join(opts.Dir, p))
		if err != nil || !bytes.Equal(b, body) {
			t.Errorf("%s: content changed or unreadable (%v)", p, err)
		}
	}

	// The manifest.
	m, err := ReadManifest(opts.ManifestPath)
	if err != nil {
		t.Fatal(err)
	}
	d := fixedNow
	wantM := &Manifest{
		Version: 1, Index: srv.URL + "/index.yaml", Updated: fixedNow,
		Bundles: []Bundle{
			{Name: "Truncated", File: name("/truncated.stix2"), URL: srv.URL + "/truncated.stix2", Status: StatusFailed, LastAttempt: fixedNow, LastError: "download interrupted after"},
			{Name: "Empty", File: name("/empty.stix2"), URL: srv.URL + "/empty.stix2", Status: StatusFailed, LastAttempt: fixedNow, LastError: "no usable indicator"},
			{Name: "Gone", File: name("/gone.stix2"), URL: srv.URL + "/gone.stix2", Status: StatusFailed, LastAttempt: fixedNow, LastError: "HTTP status 404 Not Found"},
			{Name: "Malformed", File: name("/malformed.stix2"), URL: srv.URL + "/malformed.stix2", Status: StatusFailed, LastAttempt: fixedNow, LastError: "malformed bundle (not JSON): refused"},
			{Name: "NotJSON", File: name("/notjson.stix2"), URL: srv.URL + "/notjson.stix2", Status: StatusFailed, LastAttempt: fixedNow, LastError: "malformed bundle (not JSON): refused"},
			{Name: "Predator", File: name("/predator.stix2"), URL: srv.URL + "/predator.stix2", Downloaded: &d, SHA256: sha(predator), Size: int64(len(predator)),
				Indicators: 1, ByType: map[string]int{"domains": 1}, Collections: []CollectionCount{{"Predator", 1}}, Status: StatusOK, LastAttempt: fixedNow},
			{Name: "Slow", File: name("/slow.stix2"), URL: srv.URL + "/slow.stix2", Status: StatusFailed, LastAttempt: fixedNow, LastError: "Client.Timeout"},
			{Name: "Pegasus", File: name("/AmnestyTech/investigations/master/nso/pegasus.stix2"), URL: srv.URL + "/AmnestyTech/investigations/master/nso/pegasus.stix2",
				Sources: []string{"Amnesty International"}, Downloaded: &d, SHA256: sha(pegasus), Size: int64(len(pegasus)),
				Indicators: 3, ByType: map[string]int{"domains": 1, "processes": 1, "emails": 1}, Collections: []CollectionCount{{"Pegasus", 3}}, Status: StatusOK, LastAttempt: fixedNow},
			{Name: "NoURL", Status: StatusFailed, LastAttempt: fixedNow, LastError: "no way to download this entry: neither a github section nor a download_url"},
		},
	}
	sortBundles(wantM)
	errorPrefix := cmp.Comparer(func(a, b string) bool {
		return a == b || (a != "" && b != "" && (strings.Contains(a, b) || strings.Contains(b, a)))
	})
	if d := cmp.Diff(wantM, m, cmp.FilterPath(func(p cmp.Path) bool { return strings.HasSuffix(p.String(), "LastError") }, errorPrefix)); d != "" {
		t.Errorf("manifest (-want +got):\n%s", d)
	}

	// Every request carried spytrace's User-Agent.
	for _, a := range srv.agents {
		if !strings.HasPrefix(a, "spytrace/") {
			t.Errorf("User-Agent %q", a)
		}
	}

	// A second run: identical bundles are "unchanged"; the bundle fixed upstream
	// replaces the kept copy, and its manifest record loses its error.
	fixed := bundle(t, "Malformed no more", fixture.URLPattern("https://evil.example/x"), fixture.URLPattern("https://evil.example/y"))
	srv.set("/malformed.stix2", fixed)
	results, err = Update(context.Background(), ix, srv.URL+"/index.yaml", opts)
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Status != StatusUnchanged || results[1].Status != StatusUnchanged || results[5].Status != StatusUpdated {
		t.Errorf("second run statuses: %s %s %s", results[0].Status, results[1].Status, results[5].Status)
	}
	if b, _ := os.ReadFile(filepath.Join(opts.Dir, name("/malformed.stix2"))); !bytes.Equal(b, fixed) {
		t.Error("the fixed bundle was not installed")
	}
	m, _ = ReadManifest(opts.ManifestPath)
	if b := m.Find(name("/malformed.stix2")); b == nil || b.Status != StatusOK || b.LastError != "" || b.Indicators != 2 || b.ByType["urls"] != 2 || b.SHA256 != sha(fixed) {
		t.Errorf("manifest record of the fixed bundle: %+v", b)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func sortBundles(m *Manifest) {
	bs := m.Bundles
	m.Bundles = nil
	for _, b := range bs {
		m.put(b)
	}
}

// A failed download of an entry whose earlier copy the manifest describes keeps
// that description (date, hash) beside the error.
func TestUpdateFailureKeepsManifestRecord(t *testing.T) {
	srv := newFeedServer(t)
	v1 := bundle(t, "X", fixture.DomainPattern("x.example"))
	srv.set("/x.stix2", v1)
	ix := &Index{Entries: []Entry{{Type: "url", Name: "X", DownloadURL: srv.URL + "/x.stix2"}}}
	dir := t.TempDir()
	opts := testOptions(t, dir)
	if _, err := Update(context.Background(), ix, "idx", opts); err != nil {
		t.Fatal(err)
	}
	srv.set("/x.stix2", []byte("{not json"))
	later := fixedNow.Add(time.Hour)
	opts.Now = func() time.Time { return later }
	res, err := Update(context.Background(), ix, "idx", opts)
	if err != nil || res[0].Status != StatusFailed || !res[0].KeptPrevious {
		t.Fatalf("second update: %+v %v", res, err)
	}
	m, _ := ReadManifest(opts.ManifestPath)
	b := m.Find(FileName(srv.URL + "/x.stix2"))
	if b == nil || b.SHA256 != sha(v1) || b.Downloaded == nil || !b.Downloaded.Equal(fixedNow) || !b.LastAttempt.Equal(later) || b.Status != StatusFailed || b.LastError == "" {
		t.Errorf("record after a failed update: %+v", b)
	}
}

func TestUpdateOversizedBundle(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/big.stix2", bundle(t, "Big", fixture.DomainPattern("big.example")))
	ix := &Index{Entries: []Entry{{Type: "url", Name: "Big", DownloadURL: srv.URL + "/big.stix2"}}}
	opts := testOptions(t, t.TempDir())
	opts.MaxBundleBytes = 100
	res, err := Update(context.Background(), ix, "idx", opts)
	if err != nil || res[0].Status != StatusFailed || !strings.Contains(res[0].Err.Error(), "larger than 100 bytes") {
		t.Fatalf("oversized: %+v %v", res, err)
	}
	if entries, _ := os.ReadDir(opts.Dir); len(entries) != 0 {
		t.Errorf("left in the folder: %v", entries)
	}
}

func TestFetchIndexFailures(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/bad.yaml", []byte("indicators: [\n"))
	srv.set("/big.yaml", bytes.Repeat([]byte("#"), 2000))
	opts := testOptions(t, t.TempDir())
	opts.MaxIndexBytes = 1000
	for src, want := range map[string]string{
		srv.URL + "/missing.yaml":                  "404",
		srv.URL + "/bad.yaml":                      "not valid YAML",
		srv.URL + "/big.yaml":                      "larger than 1000 bytes",
		filepath.Join(t.TempDir(), "nothing.yaml"): "no such file",
		"ftp://example.org/index.yaml":             "only http and https",
		srv.URL + "/slow.stix2":                    "Client.Timeout",
	} {
		if _, _, err := FetchIndex(context.Background(), src, opts); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("FetchIndex(%s) error = %v, want %q", src, err, want)
		}
	}
	// A local index file.
	p := filepath.Join(t.TempDir(), "index.yaml")
	os.WriteFile(p, []byte("indicators:\n  - {type: url, name: A, download_url: https://a.example/a.stix2}\n"), 0o644)
	ix, _, err := FetchIndex(context.Background(), p, opts)
	if err != nil || len(ix.Entries) != 1 || ix.Entries[0].Name != "A" {
		t.Errorf("local index: %+v %v", ix, err)
	}
}

// startProxy starts a forward HTTP proxy on 127.0.0.1 that answers every request
// itself (it never connects anywhere) and records the absolute URLs it was asked for.
func startProxy(t *testing.T, files map[string][]byte) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		body, ok := files[r.URL.String()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(p.Close)
	return p, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func TestProxyHonoured(t *testing.T) {
	b := bundle(t, "Via proxy", fixture.DomainPattern("proxied.example"))
	// feeds.invalid never resolves: the requests can only succeed through the proxy.
	files := map[string][]byte{
		"http://feeds.invalid/index.yaml": []byte("indicators:\n  - {type: url, name: P, download_url: http://feeds.invalid/p.stix2}\n"),
		"http://feeds.invalid/p.stix2":    b,
	}
	proxy, seen := startProxy(t, files)
	opts := testOptions(t, t.TempDir())
	opts.Getenv = func(k string) string {
		if k == "HTTP_PROXY" {
			return proxy.URL
		}
		return ""
	}
	ix, _, err := FetchIndex(context.Background(), "http://feeds.invalid/index.yaml", opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Update(context.Background(), ix, "http://feeds.invalid/index.yaml", opts)
	if err != nil || res[0].Status != StatusUpdated {
		t.Fatalf("update through the proxy: %+v %v", res, err)
	}
	if d := cmp.Diff([]string{"GET http://feeds.invalid/index.yaml", "GET http://feeds.invalid/p.stix2"}, seen()); d != "" {
		t.Errorf("proxy requests (-want +got):\n%s", d)
	}

}

func TestProxyFunc(t *testing.T) {
	env := map[string]string{"https_proxy": "http://secure-proxy:1", "HTTP_PROXY": "http://plain-proxy:2", "no_proxy": "internal.example"}
	f := ProxyFunc(func(k string) string { return env[k] })
	for u, want := range map[string]string{
		"https://a.example/x":       "http://secure-proxy:1",
		"http://a.example/x":        "http://plain-proxy:2",
		"http://internal.example/x": "",
		"http://127.0.0.1:9/x":      "", // loopback is never proxied, as in net/http
	} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		p, err := f(req)
		got := ""
		if p != nil {
			got = p.String()
		}
		if err != nil || got != want {
			t.Errorf("proxy for %s = %q, %v; want %q", u, got, err, want)
		}
	}
}

func TestManifestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if m, err := ReadManifest(filepath.Join(dir, "none.json")); err != nil || len(m.Bundles) != 0 {
		t.Errorf("missing manifest: %+v %v", m, err)
	}
	p := filepath.Join(dir, "bad.json")
	os.WriteFile(p, []byte("{"), 0o644)
	if _, err := ReadManifest(p); err == nil {
		t.Error("corrupt manifest: no error")
	}
	// Update rebuilds an unreadable manifest rather than failing.
	srv := newFeedServer(t)
	srv.set("/x.stix2", bundle(t, "X", fixture.DomainPattern("x.example")))
	opts := testOptions(t, dir)
	opts.ManifestPath = p
	if _, err := Update(context.Background(), &Index{Entries: []Entry{{Name: "X", DownloadURL: srv.URL + "/x.stix2"}}}, "i", opts); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadManifest(p); err != nil || len(m.Bundles) != 1 || m.Bundles[0].Status != StatusOK {
		t.Errorf("rebuilt manifest: %+v %v", m, err)
	}
}

func TestUpdateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opts := testOptions(t, t.TempDir())
	res, err := Update(ctx, &Index{Entries: []Entry{{Name: "X", DownloadURL: "http://127.0.0.1:1/x.stix2"}}}, "i", opts)
	if err == nil || len(res) != 0 {
		t.Errorf("cancelled update: %+v %v", res, err)
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("indicators:\n  - type: github\n    name: A\n    github: {owner: o, repo: r, path: p.stix2}\n"))
	f.Add([]byte("indicators:\n  - {type: url, name: B, download_url: 'https://x/y'}\n  - 3\n"))
	f.Add([]byte("indicators: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, _, err := ParseIndex(data)
		if err != nil {
			return
		}
		for _, e := range ix.Entries {
			u, err := e.URL("")
			if err != nil {
				continue
			}
			name := FileName(u)
			if name == "" || strings.ContainsAny(name, "/\\") || name[0] == '.' || len(name) > maxNameBytes {
				t.Fatalf("FileName(%q) = %q", u, name)
			}
		}
	})
}
