package taxii_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/taxii"
	"github.com/spytrace/spytrace/internal/taxii/taxiitest"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const colID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

// newServer serves one collection of five domain indicators (three pages of two) and
// an empty one.
func newServer(t *testing.T) *taxiitest.Server {
	t.Helper()
	col := &taxiitest.Collection{ID: colID, Title: "Mercenary spyware"}
	for i := range 5 {
		col.Objects = append(col.Objects, taxiitest.Object{
			Added: t0.Add(time.Duration(i) * time.Hour),
			JSON:  taxiitest.Indicator(i, "evil"+string(rune('a'+i))+".example", t0),
		})
	}
	s := taxiitest.New(col, &taxiitest.Collection{ID: "empty", Title: "Nothing yet"})
	t.Cleanup(s.Close)
	return s
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := taxii.ParseServerURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type puller struct {
	c     *taxii.Client
	roots []*taxii.APIRoot
	srv   *url.URL
	dir   string
}

func newPuller(t *testing.T, s *taxiitest.Server, opts taxii.Options) *puller {
	t.Helper()
	c := taxii.New(opts)
	srv := mustURL(t, s.URL)
	roots, err := c.APIRoots(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	return &puller{c: c, roots: roots, srv: srv, dir: t.TempDir()}
}

func (p *puller) pull(t *testing.T, collection string, mod func(*taxii.Request)) (*taxii.Result, error) {
	t.Helper()
	root, col, err := p.c.FindCollection(context.Background(), p.roots, collection)
	if err != nil {
		return nil, err
	}
	req := taxii.Request{Server: p.srv, Root: root.URL, Collection: *col, Dir: p.dir, Now: t0.Add(24 * time.Hour)}
	if mod != nil {
		mod(&req)
	}
	return p.c.Pull(context.Background(), req)
}

// bundleIDs reads the ids and modified times in a written bundle.
func bundleIDs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Objects []struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if b.Type != "bundle" || !strings.HasPrefix(b.ID, "bundle--") {
		t.Fatalf("not a bundle: type %q id %q", b.Type, b.ID)
	}
	out := map[string]string{}
	for _, o := range b.Objects {
		out[o.ID] = o.Modified
	}
	return out
}

func TestDiscoveryAndCollections(t *testing.T) {
	s := newServer(t)
	p := newPuller(t, s, taxii.Options{})
	if len(p.roots) != 1 || p.roots[0].URL.String() != s.URL+taxiitest.RootPath {
		t.Fatalf("roots = %v", p.roots)
	}
	if err := p.c.Info(context.Background(), p.roots[0]); err != nil || p.roots[0].Title != "Test API root" {
		t.Fatalf("Info: %v, %+v", err, p.roots[0])
	}
	cols, err := p.c.Collections(context.Background(), p.roots[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cols {
		ids = append(ids, c.ID+" "+c.Title)
	}
	if diff := cmp.Diff([]string{colID + " Mercenary spyware", "empty Nothing yet"}, ids); diff != "" {
		t.Error(diff)
	}
	// An API root URL answers for itself.
	roots, err := p.c.APIRoots(context.Background(), mustURL(t, s.URL+taxiitest.RootPath))
	if err != nil || len(roots) != 1 || roots[0].URL.Path != taxiitest.RootPath {
		t.Fatalf("APIRoots(api root) = %v, %v", roots, err)
	}
	// A server URL without path means /taxii2/.
	if u := mustURL(t, "https://taxii.example.org"); u.Path != "/taxii2/" {
		t.Errorf("ParseServerURL path = %q", u.Path)
	}
	for _, bad := range []string{"ftp://x/", "https://user:pw@x/taxii2/", "not a url", "https:///x"} {
		if _, err := taxii.ParseServerURL(bad); err == nil {
			t.Errorf("ParseServerURL(%q) accepted", bad)
		}
	}
}

func TestPullPagesAndIncremental(t *testing.T) {
	s := newServer(t)
	p := newPuller(t, s, taxii.Options{})
	res, err := p.pull(t, colID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pulled.Pages != 3 || len(res.Pulled.Objects) != 5 || res.AddedAfter != "" {
		t.Fatalf("pages %d objects %d added_after %q", res.Pulled.Pages, len(res.Pulled.Objects), res.AddedAfter)
	}
	var objReqs []string
	for _, r := range s.Log() {
		if strings.Contains(r, "/objects/") {
			objReqs = append(objReqs, r)
		}
	}
	base := taxiitest.RootPath + "collections/" + colID + "/objects/"
	if diff := cmp.Diff([]string{base, base + "?next=2", base + "?next=4"}, objReqs); diff != "" {
		t.Errorf("object requests (-want +got):\n%s", diff)
	}
	m := res.Merged
	if m.Objects != 5 || m.Added != 5 || m.Updated != 0 || m.Report.Indicators != 5 || m.Report.ByKind[ioc.Domain] != 5 {
		t.Errorf("merged %+v", m)
	}
	path := filepath.Join(p.dir, res.Source.File)
	if len(bundleIDs(t, path)) != 5 {
		t.Error("bundle does not hold 5 objects")
	}
	lastAdded := "2026-03-01T14:00:00.000000Z"
	if res.Source.DateAddedLast != lastAdded || res.Pulled.DateAddedFirst != "2026-03-01T10:00:00.000000Z" {
		t.Errorf("date added: %+v / %q", res.Source, res.Pulled.DateAddedFirst)
	}
	st, err := taxii.ReadState(p.dir)
	if err != nil || len(st.Sources) != 1 || st.Sources[0].DateAddedLast != lastAdded || st.Sources[0].Indicators != 5 {
		t.Fatalf("state %+v, %v", st, err)
	}
	// The whole folder loads as indicators, the state file is not one of them.
	ix, rep, err := ioc.Load([]string{p.dir}, ioc.LoadOptions{})
	if err != nil || len(rep.Files) != 1 || ix.MatchDomain("a.evilc.example") == nil {
		t.Fatalf("Load folder: %v %+v", err, rep)
	}

	// Second pull: nothing new, asked with added_after.
	res, err = p.pull(t, colID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.AddedAfter != lastAdded || len(res.Pulled.Objects) != 0 || res.Merged != nil || res.Source.DateAddedLast != lastAdded || res.Source.Indicators != 5 {
		t.Errorf("empty incremental pull: %+v %+v", res, res.Source)
	}
	if log := s.Log(); !strings.Contains(log[len(log)-1], "added_after="+url.QueryEscape(lastAdded)) {
		t.Errorf("last request %q has no added_after", log[len(log)-1])
	}

	// Third pull: two new objects, a newer version of indicator 0, an older one of 1.
	s.Add(colID, t0.Add(10*time.Hour), taxiitest.Indicator(5, "evilf.example", t0))
	s.Add(colID, t0.Add(11*time.Hour), taxiitest.Indicator(0, "evila.example", t0.Add(48*time.Hour)))
	s.Add(colID, t0.Add(12*time.Hour), taxiitest.Indicator(1, "evilb.example", t0.Add(-48*time.Hour)))
	s.Add(colID, t0.Add(13*time.Hour), taxiitest.Indicator(6, "evilg.example", t0))
	res, err = p.pull(t, colID, nil)
	if err != nil {
		t.Fatal(err)
	}
	m = res.Merged
	if len(res.Pulled.Objects) != 4 || res.Pulled.Pages != 2 || m.Objects != 7 || m.Added != 2 || m.Updated != 1 || m.Older != 1 || m.Kept != 4 {
		t.Errorf("incremental merge: pulled %d in %d pages, %+v", len(res.Pulled.Objects), res.Pulled.Pages, m)
	}
	ids := bundleIDs(t, path)
	if got := ids["indicator--00000000-0000-4000-8000-000000000000"]; got != "2026-03-03T10:00:00.000Z" {
		t.Errorf("indicator 0 modified = %q, want the newer version", got)
	}
	if got := ids["indicator--00000000-0000-4000-8000-000000000001"]; got != "2026-03-01T10:00:00.000Z" {
		t.Errorf("indicator 1 modified = %q, want the version already held", got)
	}
	if res.Source.DateAddedLast != "2026-03-01T23:00:00.000000Z" {
		t.Errorf("DateAddedLast = %q", res.Source.DateAddedLast)
	}

	// --full pulls everything again; the merge leaves the same 7 objects.
	res, err = p.pull(t, colID, func(r *taxii.Request) { r.Full = true })
	if err != nil {
		t.Fatal(err)
	}
	if res.AddedAfter != "" || len(res.Pulled.Objects) != 9 || res.Merged.Objects != 7 || res.Merged.Added != 0 {
		t.Errorf("full pull: %q %d %+v", res.AddedAfter, len(res.Pulled.Objects), res.Merged)
	}
	// Deleting the bundle makes the next pull a full one.
	os.Remove(path)
	res, err = p.pull(t, colID, nil)
	if err != nil || res.AddedAfter != "" || res.Merged.Objects != 7 {
		t.Errorf("pull after the file was removed: %v %+v", err, res)
	}
}

func TestPullWithoutNextToken(t *testing.T) {
	s := newServer(t)
	s.NoNext = true
	p := newPuller(t, s, taxii.Options{})
	res, err := p.pull(t, colID, func(r *taxii.Request) { r.Page.Limit = 2 })
	if err != nil {
		t.Fatal(err)
	}
	if res.Pulled.Pages != 3 || res.Merged.Objects != 5 {
		t.Fatalf("pages %d, merged %+v", res.Pulled.Pages, res.Merged)
	}
	log := s.Log()
	if !strings.Contains(log[len(log)-1], "added_after="+url.QueryEscape("2026-03-01T13:00:00.000000Z")) {
		t.Errorf("last page asked with %q", log[len(log)-1])
	}
}

func TestPullEmptyCollection(t *testing.T) {
	s := newServer(t)
	p := newPuller(t, s, taxii.Options{})
	res, err := p.pull(t, "empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Merged == nil || res.Merged.Objects != 0 {
		t.Fatalf("merged %+v", res.Merged)
	}
	if _, err := os.Stat(filepath.Join(p.dir, res.Source.File)); err != nil {
		t.Error(err)
	}
}

func TestAuth(t *testing.T) {
	for _, tc := range []struct {
		name       string
		set        func(*taxiitest.Server)
		good, bad  taxii.Options
		wantHeader string
	}{
		{"basic", func(s *taxiitest.Server) { s.User, s.Password = "analyst", "s3cret" },
			taxii.Options{User: "analyst", Password: "s3cret"}, taxii.Options{User: "analyst", Password: "wrong"}, ""},
		{"bearer", func(s *taxiitest.Server) { s.Token = "tok-123" },
			taxii.Options{Token: "tok-123"}, taxii.Options{Token: "tok-456"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			tc.set(s)
			p := newPuller(t, s, tc.good)
			if res, err := p.pull(t, colID, nil); err != nil || res.Merged.Objects != 5 {
				t.Fatalf("good credentials: %v", err)
			}
			for _, o := range []taxii.Options{tc.bad, {}} {
				_, err := taxii.New(o).APIRoots(context.Background(), mustURL(t, s.URL))
				if !taxii.IsAuth(err) || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "refused the credentials") {
					t.Errorf("credentials %+v: err = %v", o, err)
				}
				if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "tok-456") {
					t.Errorf("error shows the secret: %v", err)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	s := newServer(t)
	p := newPuller(t, s, taxii.Options{})
	_, err := p.pull(t, "no-such-collection", nil)
	if err == nil || !strings.Contains(err.Error(), `collection "no-such-collection" not found`) || !strings.Contains(err.Error(), colID) {
		t.Fatalf("err = %v", err)
	}
	_, err = p.c.Objects(context.Background(), p.roots[0].URL, "no-such-collection", taxii.PullOptions{})
	if !taxii.IsNotFound(err) {
		t.Errorf("Objects: %v", err)
	}
	if _, err := p.c.APIRoots(context.Background(), mustURL(t, s.URL+"/nothing/")); !taxii.IsNotFound(err) {
		t.Errorf("APIRoots on a 404: %v", err)
	}
	if entries, _ := os.ReadDir(p.dir); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}

// TestMalformedPageKeepsFile checks that a bad page in an incremental pull fails the
// whole pull and leaves the earlier bundle and state byte for byte.
func TestMalformedPageKeepsFile(t *testing.T) {
	s := newServer(t)
	p := newPuller(t, s, taxii.Options{})
	res, err := p.pull(t, colID, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(p.dir, res.Source.File)
	before, _ := os.ReadFile(path)
	stateBefore, _ := os.ReadFile(filepath.Join(p.dir, taxii.StateFile))
	for i := range 4 {
		s.Add(colID, t0.Add(time.Duration(20+i)*time.Hour), taxiitest.Indicator(10+i, "new.example", t0))
	}
	bad := s.Pages() + 2
	s.Lock()
	s.BadPage = bad
	s.Unlock()
	_, err = p.pull(t, colID, nil)
	if err == nil || !strings.Contains(err.Error(), "page 2") || !strings.Contains(err.Error(), "truncated JSON") {
		t.Fatalf("err = %v", err)
	}
	after, _ := os.ReadFile(path)
	stateAfter, _ := os.ReadFile(filepath.Join(p.dir, taxii.StateFile))
	if string(before) != string(after) || string(stateBefore) != string(stateAfter) {
		t.Error("a failed pull changed the files")
	}
	assertNoTemp(t, p.dir)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestTimeout(t *testing.T) {
	s := newServer(t)
	s.Delay = 5 * time.Second
	p := newPuller(t, s, taxii.Options{Timeout: 100 * time.Millisecond})
	_, err := p.pull(t, colID, nil)
	if err == nil || !strings.Contains(err.Error(), "Timeout") && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(p.dir); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}

func TestBounds(t *testing.T) {
	s := newServer(t)
	p := newPuller(t, s, taxii.Options{})
	if _, err := p.pull(t, colID, func(r *taxii.Request) { r.Page.MaxPages = 2 }); err == nil || !strings.Contains(err.Error(), "after 2 pages") {
		t.Errorf("MaxPages: %v", err)
	}
	if _, err := p.pull(t, colID, func(r *taxii.Request) { r.Page.MaxBytes = 700 }); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("MaxBytes: %v", err)
	}
	if _, err := p.pull(t, colID, func(r *taxii.Request) { r.AddedAfter = "yesterday" }); err == nil || !strings.Contains(err.Error(), "bad added_after") {
		t.Errorf("AddedAfter: %v", err)
	}
}

func TestWriteBundle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.stix2")
	objs := []json.RawMessage{
		json.RawMessage(`{"type":"malware","id":"malware--1","modified":"2026-01-01T00:00:00Z","name":"Pegasus","is_family":true}`),
		json.RawMessage(`{"type":"indicator","id":"indicator--1","modified":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'a.example']","pattern_type":"stix"}`),
		json.RawMessage(`{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"}`),
		json.RawMessage(`{"id":"no-type"}`),
		json.RawMessage(`42`),
	}
	m, err := taxii.WriteBundle(path, objs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Objects != 3 || m.Invalid != 2 || m.Report.Indicators != 1 {
		t.Errorf("merged %+v", m)
	}
	var names []string
	for _, c := range m.Report.Collections {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"Pegasus"}) {
		t.Errorf("collections %v", names)
	}
	before, _ := os.ReadFile(path)

	// A result the indicator loader rejects (nesting beyond its limit) is not written.
	deep := `{"type":"x-deep","id":"x-deep--1","v":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`
	if _, err := taxii.WriteBundle(path, []json.RawMessage{json.RawMessage(deep)}); err == nil || !strings.Contains(err.Error(), "rejects") {
		t.Errorf("deep object: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the rejected bundle replaced the earlier one")
	}
	assertNoTemp(t, dir)

	// An unreadable earlier file is an error, never silently replaced.
	if err := os.WriteFile(path, []byte(`{"type":"bun`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := taxii.WriteBundle(path, objs); err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("corrupt earlier file: %v", err)
	}
}

func TestBundleName(t *testing.T) {
	a := taxii.BundleName(&url.URL{Scheme: "https", Host: "cti.example.org:8443", Path: "/taxii2/root/"}, "../../etc/passwd")
	b := taxii.BundleName(&url.URL{Scheme: "https", Host: "cti.example.org:8443", Path: "/taxii2/other/"}, "../../etc/passwd")
	if strings.ContainsAny(a, `/\:`) || !strings.HasPrefix(a, "taxii-cti.example.org-") || !strings.HasSuffix(a, ".stix2") || a == b {
		t.Errorf("names %q %q", a, b)
	}
}

func TestStatusErrorText(t *testing.T) {
	err := error(&taxii.StatusError{URL: "https://x/taxii2/", Status: 406})
	if !strings.Contains(err.Error(), "does not speak TAXII 2.1") {
		t.Error(err)
	}
	if taxii.IsAuth(errors.New("x")) || taxii.IsNotFound(nil) {
		t.Error("IsAuth/IsNotFound on other errors")
	}
}

// FuzzWriteBundle merges hostile objects (any valid JSON, as a TAXII envelope would
// deliver them) into an earlier bundle: no panic, and a written file always loads.
func FuzzWriteBundle(f *testing.F) {
	f.Add([]byte(`{"type":"indicator","id":"indicator--1","modified":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'a.example']","pattern_type":"stix"}`))
	f.Add([]byte(`{"type":"indicator","id":"indicator--2","modified":"bad","pattern":"[url:value = 'http://x/']","pattern_type":"stix"}`))
	f.Add([]byte(`[1,2,{"id":"x"}]`))
	f.Add([]byte(`{"type":"report","id":"report--1","object_refs":["indicator--1"],"name":"R"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "f.stix2")
		seed := json.RawMessage(`{"type":"indicator","id":"indicator--1","modified":"2025-01-01T00:00:00Z","pattern":"[domain-name:value = 'seed.example']","pattern_type":"stix"}`)
		if _, err := taxii.WriteBundle(path, []json.RawMessage{seed}); err != nil {
			t.Fatal(err)
		}
		m, err := taxii.WriteBundle(path, []json.RawMessage{json.RawMessage(data)})
		if err != nil {
			return
		}
		if m.Objects < 1 {
			t.Fatalf("objects %d", m.Objects)
		}
		if _, rep, err := ioc.Load([]string{path}, ioc.LoadOptions{}); err != nil || rep.Files[0].Skipped["not JSON"] > 0 {
			t.Fatalf("written bundle does not load: %v", err)
		}
	})
}

// TestProxy pulls through an HTTP proxy given in the options: every request, the
// discovery of a host only the proxy knows included, goes through it.
func TestProxy(t *testing.T) {
	s := newServer(t)
	target, _ := url.Parse(s.URL)
	var seen []string
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Host)
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	c := taxii.New(taxii.Options{Proxy: pu})
	roots, err := c.APIRoots(context.Background(), mustURL(t, "http://taxii.invalid/taxii2/"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Objects(context.Background(), roots[0].URL, colID, taxii.PullOptions{})
	if err != nil || len(res.Objects) != 5 {
		t.Fatalf("Objects through the proxy: %v", err)
	}
	if len(seen) != 4 || seen[0] != "taxii.invalid" {
		t.Errorf("proxy saw %v", seen)
	}
}
