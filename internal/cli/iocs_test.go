package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/feeds"
	"github.com/spytrace/spytrace/internal/fixture"
)

// runIOCs runs "spytrace iocs ARGS" in-process with the given environment (a data
// folder of its own unless SPYTRACE_DATA_DIR is set) and returns the exit status the
// command line would have.
func runIOCs(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] },
		now:    func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		home:   t.TempDir(),
	}
	c := e.iocsCommand()
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&errb)
	c.SilenceErrors, c.SilenceUsage = true, true
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	err := c.ExecuteContext(context.Background())
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		code = ExitClean
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &ue) || isCobraUsage(err):
		code = ExitUsage
	default:
		fmt.Fprintf(&errb, "spytrace: error: %s\n", err)
		code = ExitError
	}
	return code, out.String(), errb.String()
}

func stixBundle(t *testing.T, name string, patterns ...string) []byte {
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

// iocsServer serves bundles by path; "/slow.stix2" never answers in time.
func iocsServer(t *testing.T, files map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow.stix2" {
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIOCsUpdateListShow(t *testing.T) {
	pegasus := stixBundle(t, "Pegasus", fixture.DomainPattern("evil.example"), fixture.ProcessPattern("bh"), fixture.EmailPattern("op@evil.example"))
	srv := iocsServer(t, map[string][]byte{
		"/pegasus.stix2":   pegasus,
		"/malformed.stix2": []byte(`{"type":"bundle","objects":[`),
	})
	data := t.TempDir()
	index := filepath.Join(t.TempDir(), "index.yaml")
	os.WriteFile(index, fmt.Appendf(nil, `indicators:
  - {type: url, name: Pegasus, sources: [Amnesty International], download_url: %[1]s/pegasus.stix2}
  - {type: url, name: Gone, download_url: %[1]s/gone.stix2}
  - {type: url, name: Malformed, download_url: %[1]s/malformed.stix2}
  - {type: url, name: Slow, download_url: %[1]s/slow.stix2}
`, srv.URL), 0o644)
	vars := map[string]string{"SPYTRACE_DATA_DIR": data}

	// A previous copy of the malformed entry: kept.
	indicators := filepath.Join(data, "indicators")
	os.MkdirAll(indicators, 0o755)
	old := stixBundle(t, "Old", fixture.DomainPattern("old.example"))
	malformedFile := filepath.Join(indicators, feeds.FileName(srv.URL+"/malformed.stix2"))
	os.WriteFile(malformedFile, old, 0o644)

	code, out, errOut := runIOCs(t, vars, "update", "--index", index, "--timeout", "400ms")
	if code != ExitError {
		t.Errorf("update exit = %d, want %d (some entries failed)\n%s%s", code, ExitError, out, errOut)
	}
	pegName := feeds.FileName(srv.URL + "/pegasus.stix2")
	for _, want := range []string{
		"updated    Pegasus: 3 indicators, sha256 " + sha256Hex(pegasus) + ", " + pegName + "\n",
		"FAILED     Gone (" + srv.URL + "/gone.stix2): HTTP status 404 Not Found; no previous copy\n",
		"FAILED     Malformed (" + srv.URL + "/malformed.stix2): malformed bundle",
		"; previous copy kept\n",
		"FAILED     Slow (" + srv.URL + "/slow.stix2): ",
		"4 index entries: 1 updated, 0 unchanged, 3 failed; indicators folder " + indicators + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("update output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "3 of the index's bundles could not be installed") {
		t.Errorf("stderr: %s", errOut)
	}
	if b, _ := os.ReadFile(malformedFile); !bytes.Equal(b, old) {
		t.Error("the previous copy of the malformed bundle was not kept")
	}
	if b, err := os.ReadFile(filepath.Join(indicators, pegName)); err != nil || !bytes.Equal(b, pegasus) {
		t.Errorf("pegasus not installed: %v", err)
	}
	m, err := feeds.ReadManifest(filepath.Join(data, feeds.ManifestName))
	if err != nil || len(m.Bundles) != 4 || m.Index != index {
		t.Fatalf("manifest: %+v %v", m, err)
	}
	if entries, _ := os.ReadDir(indicators); len(entries) != 2 {
		t.Errorf("indicators folder holds %d files, want 2 (no partial file): %v", len(entries), entries)
	}

	// list: the installed bundle, the kept copy, a SPYTRACE_IOCS file, a missing
	// SPYTRACE_IOCS path, and the entries that never installed.
	extra := filepath.Join(t.TempDir(), "mine.stix2")
	os.WriteFile(extra, stixBundle(t, "Mine", fixture.FilePathPattern("/private/var/tmp/implant"), fixture.AppIDPattern("com.spy.app")), 0o644)
	missing := filepath.Join(t.TempDir(), "absent.stix2")
	vars["SPYTRACE_IOCS"] = extra + string(os.PathListSeparator) + missing
	code, out, errOut = runIOCs(t, vars, "list")
	if code != ExitClean {
		t.Fatalf("list exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		filepath.Join(indicators, pegName) + "\n  from:        " + srv.URL + "/pegasus.stix2 (index entry \"Pegasus\")\n  downloaded:  2026-11-23 12:00:00 UTC\n  sha256:      " + sha256Hex(pegasus) + "\n  status:      ok\n  indicators:  3 (domains 1, processes 1, emails 1)\n  collections: Pegasus (3)\n",
		malformedFile + "\n  from:        " + srv.URL + "/malformed.stix2 (index entry \"Malformed\")\n",
		"  status:      ok; last update failed (2026-11-23 12:00:00 UTC): malformed bundle",
		"  collections: Old (1)\n",
		extra + "\n  modified:    ",
		"  indicators:  2 (file_paths 1, app_ids 1)\n  collections: Mine (2)\n",
		"(not installed) Gone\n  from:        " + srv.URL + "/gone.stix2\n  status:      last update failed (2026-11-23 12:00:00 UTC): HTTP status 404 Not Found\n",
		"(not installed) Slow\n",
		missing + "\n  status:      missing (named by SPYTRACE_IOCS or --iocs)\n",
		"3 files, 6 distinct indicator values; indicators folder " + indicators + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}

	// show: values looked up as checks do.
	for _, c := range []struct {
		value string
		want  []string
	}{
		{"a.b.evil.example", []string{"a.b.evil.example: 1 indicator matches", "host          domains  evil.example  Pegasus     " + filepath.Join(indicators, pegName)}},
		{"https://www.evil.example/login?x=1", []string{"1 indicator matches", "URL           domains  evil.example  Pegasus"}},
		{"OP@Evil.Example", []string{"e-mail        emails  op@evil.example  Pegasus"}},
		{"/usr/libexec/bh", []string{"process       processes  bh  Pegasus"}},
		{"/var/tmp/implant/x.db", []string{"file path     file_paths  /private/var/tmp/implant  Mine  " + extra}},
		{"COM.SPY.APP", []string{"app id        app_ids  com.spy.app  Mine"}},
		{"notevil.example", []string{"notevil.example: not found in 3 indicator files (6 distinct values)\n"}},
	} {
		code, out, errOut := runIOCs(t, vars, "show", c.value)
		if code != ExitClean {
			t.Errorf("show %s: exit %d: %s", c.value, code, errOut)
		}
		norm := strings.Join(strings.Fields(out), " ")
		for _, w := range c.want {
			if !strings.Contains(out, w) && !strings.Contains(norm, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("show %s: output lacks %q:\n%s", c.value, w, out)
			}
		}
	}

	// A second update of the same index: the Pegasus bundle is unchanged.
	code, out, _ = runIOCs(t, vars, "update", "--index", index, "--timeout", "400ms")
	if code != ExitError || !strings.Contains(out, "unchanged  Pegasus: 3 indicators") || !strings.Contains(out, "4 index entries: 0 updated, 1 unchanged, 3 failed") {
		t.Errorf("second update: exit %d\n%s", code, out)
	}
}

func TestIOCsUpdateAllGood(t *testing.T) {
	srv := iocsServer(t, map[string][]byte{"/a.stix2": stixBundle(t, "A", fixture.DomainPattern("a.example"))})
	index := filepath.Join(t.TempDir(), "index.yaml")
	os.WriteFile(index, fmt.Appendf(nil, "indicators:\n  - {type: url, name: A, download_url: %s/a.stix2}\n", srv.URL), 0o644)
	code, out, errOut := runIOCs(t, map[string]string{"SPYTRACE_DATA_DIR": t.TempDir()}, "update", "--index", index)
	if code != ExitClean || !strings.Contains(out, "1 index entries: 1 updated, 0 unchanged, 0 failed") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestIOCsUpdateThroughProxy(t *testing.T) {
	b := stixBundle(t, "P", fixture.DomainPattern("p.example"))
	var mu sync.Mutex
	var seen []string
	// The proxy answers itself; feeds.invalid never resolves, so only the proxy can
	// have served these requests.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		switch r.URL.String() {
		case "http://feeds.invalid/index.yaml":
			w.Write([]byte("indicators:\n  - {type: url, name: P, download_url: http://feeds.invalid/p.stix2}\n"))
		case "http://feeds.invalid/p.stix2":
			w.Write(b)
		default:
			http.NotFound(w, r)
		}
	}))
	defer proxy.Close()
	vars := map[string]string{"SPYTRACE_DATA_DIR": t.TempDir(), "http_proxy": proxy.URL}
	code, out, errOut := runIOCs(t, vars, "update", "--index", "http://feeds.invalid/index.yaml")
	if code != ExitClean || !strings.Contains(out, "updated    P: 1 indicators") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "http://feeds.invalid/index.yaml" || seen[1] != "http://feeds.invalid/p.stix2" {
		t.Errorf("proxy saw %q", seen)
	}
}

func TestIOCsErrorsAndUsage(t *testing.T) {
	vars := map[string]string{"SPYTRACE_DATA_DIR": t.TempDir()}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"update", "extra"}, ExitUsage, ""},
		{[]string{"update", "--index", ""}, ExitUsage, ""},
		{[]string{"update", "--timeout", "0s"}, ExitUsage, ""},
		{[]string{"update", "--bogus"}, ExitUsage, ""},
		{[]string{"show"}, ExitUsage, ""},
		{[]string{"show", "a", "b"}, ExitUsage, ""},
		{[]string{"update", "--index", "ftp://example.org/i.yaml"}, ExitError, "only http and https"},
		{[]string{"update", "--index", filepath.Join(t.TempDir(), "none.yaml")}, ExitError, "read index"},
	} {
		code, _, errOut := runIOCs(t, vars, c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("iocs %q: exit %d, want %d; stderr %q", c.args, code, c.code, errOut)
		}
	}
	// Nothing installed yet.
	code, out, _ := runIOCs(t, vars, "list")
	if code != ExitClean || !strings.Contains(out, `no indicator files: run "spytrace iocs update"`) {
		t.Errorf("empty list: exit %d\n%s", code, out)
	}
	code, out, _ = runIOCs(t, vars, "show", "evil.example")
	if code != ExitClean || !strings.Contains(out, "evil.example: not found in 0 indicator files") {
		t.Errorf("show with nothing loaded: exit %d\n%s", code, out)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
