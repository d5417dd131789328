package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/taxii"
	"github.com/spytrace/spytrace/internal/taxii/taxiitest"
)

const taxiiTestCol = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

var taxiiT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// taxiiServer serves one collection of five domain indicators, in three pages.
func taxiiServer(t *testing.T) *taxiitest.Server {
	t.Helper()
	col := &taxiitest.Collection{ID: taxiiTestCol, Title: "Mercenary spyware"}
	for i := range 5 {
		col.Objects = append(col.Objects, taxiitest.Object{
			Added: taxiiT0.Add(time.Duration(i) * time.Hour),
			JSON:  taxiitest.Indicator(i, fmt.Sprintf("c2-%d.example", i), taxiiT0),
		})
	}
	s := taxiitest.New(col)
	t.Cleanup(s.Close)
	return s
}

// runTAXII runs "spytrace iocs pull-taxii ARGS" through a small root holding only that
// command, with the given environment, and returns the exit status the command line
// would have.
func runTAXII(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] },
		now:    func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		home:   t.TempDir(),
	}
	root := &cobra.Command{Use: "spytrace", SilenceErrors: true, SilenceUsage: true}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	group := &cobra.Command{Use: "iocs"}
	group.AddCommand(e.iocsPullTAXIICommand())
	root.AddCommand(group)
	root.SetArgs(append([]string{"iocs", "pull-taxii"}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		code = ExitClean
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintf(&errb, "spytrace: error: %s\n", err)
		code = ExitUsage
	default:
		fmt.Fprintf(&errb, "spytrace: error: %s\n", err)
		code = ExitError
	}
	return code, out.String(), errb.String()
}

func taxiiIndicatorsDir(data string) string { return filepath.Join(data, "indicators") }

func TestPullTAXIIListsCollections(t *testing.T) {
	s := taxiiServer(t)
	vars := map[string]string{"SPYTRACE_DATA_DIR": t.TempDir()}
	code, out, errOut := runTAXII(t, vars, s.URL)
	if code != ExitClean || !strings.Contains(out, taxiiTestCol) || !strings.Contains(out, "Mercenary spyware") || !strings.Contains(errOut, "--collection ID") {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if _, err := os.Stat(taxiiIndicatorsDir(vars["SPYTRACE_DATA_DIR"])); !os.IsNotExist(err) {
		t.Errorf("listing created the indicators folder: %v", err)
	}
}

func TestPullTAXIIIncremental(t *testing.T) {
	s := taxiiServer(t)
	data := t.TempDir()
	vars := map[string]string{"SPYTRACE_DATA_DIR": data}
	code, out, errOut := runTAXII(t, vars, s.URL+"/taxii2/", "--collection", taxiiTestCol, "--limit", "2")
	if code != ExitClean {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"5 objects (everything) in 3 pages", "5 new, 0 updated", "5 indicators (domains 5)", "next pull: objects added after 2026-03-01T14:00:00.000000Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	ix, _, err := ioc.Load([]string{taxiiIndicatorsDir(data)}, ioc.LoadOptions{})
	if err != nil || ix.MatchDomain("x.c2-3.example") == nil {
		t.Fatalf("indicators folder does not match: %v", err)
	}

	s.Add(taxiiTestCol, taxiiT0.Add(30*time.Hour), taxiitest.Indicator(9, "c2-9.example", taxiiT0))
	code, out, errOut = runTAXII(t, vars, s.URL, "--collection", taxiiTestCol)
	if code != ExitClean || !strings.Contains(out, "1 objects (added after 2026-03-01T14:00:00.000000Z) in 1 pages") || !strings.Contains(out, "6 objects (1 new, 0 updated, 5 kept)") {
		t.Fatalf("incremental: code %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runTAXII(t, vars, s.URL, "--collection", taxiiTestCol)
	if code != ExitClean || !strings.Contains(out, "nothing new") {
		t.Errorf("nothing new: code %d\n%s", code, out)
	}
	st, err := taxii.ReadState(taxiiIndicatorsDir(data))
	if err != nil || len(st.Sources) != 1 || st.Sources[0].Objects != 6 || st.Sources[0].DateAddedLast != "2026-03-02T16:00:00.000000Z" {
		t.Errorf("state %+v %v", st, err)
	}
	// iocs list names the collection the bundle came from.
	code, out, errOut = runIOCs(t, vars, "list")
	for _, want := range []string{"from:        TAXII 2.1 collection " + taxiiTestCol, "pulled:      2026-11-23 12:00:00 UTC, 6 objects, added up to 2026-03-02T16:00:00.000000Z", "indicators:  6 (domains 6)"} {
		if code != ExitClean || !strings.Contains(out, want) {
			t.Errorf("iocs list lacks %q: code %d\n%s%s", want, code, out, errOut)
		}
	}
	os.Remove(filepath.Join(taxiiIndicatorsDir(data), st.Sources[0].File))
	if _, out, _ = runIOCs(t, vars, "list"); !strings.Contains(out, "(not installed) TAXII collection "+taxiiTestCol) {
		t.Errorf("a pulled collection whose file is gone:\n%s", out)
	}
}

func TestPullTAXIIAuth(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	badFile := filepath.Join(dir, "bad")
	tokFile := filepath.Join(dir, "tok")
	os.WriteFile(pwFile, []byte("s3cret\n"), 0o600)
	os.WriteFile(badFile, []byte("wrong-secret\n"), 0o600)
	os.WriteFile(tokFile, []byte("tok-123\n"), 0o600)

	t.Run("basic", func(t *testing.T) {
		s := taxiiServer(t)
		s.User, s.Password = "analyst", "s3cret"
		vars := map[string]string{"SPYTRACE_DATA_DIR": t.TempDir()}
		if code, out, errOut := runTAXII(t, vars, s.URL, "--collection", taxiiTestCol, "--user", "analyst", "--password-file", pwFile); code != ExitClean || !strings.Contains(errOut, "plain http") {
			t.Errorf("password file: code %d\n%s\n%s", code, out, errOut)
		}
		vars[TAXIIPasswordEnv] = "s3cret"
		if code, out, errOut := runTAXII(t, vars, s.URL, "--collection", taxiiTestCol, "--user", "analyst"); code != ExitClean {
			t.Errorf("password env: code %d\n%s\n%s", code, out, errOut)
		}
		code, _, errOut := runTAXII(t, vars, s.URL, "--collection", taxiiTestCol, "--user", "analyst", "--password-file", badFile)
		if code != ExitError || strings.Count(errOut, "error:") != 1 || !strings.Contains(errOut, `refused user "analyst" and its password (HTTP 401`) || strings.Contains(errOut, "wrong-secret") {
			t.Errorf("wrong password: code %d\n%s", code, errOut)
		}
		delete(vars, TAXIIPasswordEnv)
		code, _, errOut = runTAXII(t, vars, s.URL, "--collection", taxiiTestCol)
		if code != ExitError || !strings.Contains(errOut, "needs credentials (HTTP 401") {
			t.Errorf("no credentials: code %d\n%s", code, errOut)
		}
		code, _, errOut = runTAXII(t, vars, s.URL, "--user", "analyst")
		if code != ExitUsage || !strings.Contains(errOut, "--user needs a password") {
			t.Errorf("user without password: code %d\n%s", code, errOut)
		}
	})
	t.Run("bearer", func(t *testing.T) {
		s := taxiiServer(t)
		s.Token = "tok-123"
		vars := map[string]string{"SPYTRACE_DATA_DIR": t.TempDir()}
		if code, out, errOut := runTAXII(t, vars, s.URL, "--collection", taxiiTestCol, "--token-file", tokFile); code != ExitClean || !strings.Contains(out, "5 indicators") {
			t.Errorf("token file: code %d\n%s\n%s", code, out, errOut)
		}
		vars[TAXIITokenEnv] = "tok-123"
		if code, out, errOut := runTAXII(t, vars, s.URL, "--collection", taxiiTestCol); code != ExitClean {
			t.Errorf("token env: code %d\n%s\n%s", code, out, errOut)
		}
		vars[TAXIITokenEnv] = "tok-999"
		code, _, errOut := runTAXII(t, vars, s.URL, "--collection", taxiiTestCol)
		if code != ExitError || strings.Count(errOut, "error:") != 1 || !strings.Contains(errOut, "refused the bearer token (HTTP 401") || strings.Contains(errOut, "tok-999") {
			t.Errorf("wrong token: code %d\n%s", code, errOut)
		}
	})
}

func TestPullTAXIIFailures(t *testing.T) {
	s := taxiiServer(t)
	data := t.TempDir()
	vars := map[string]string{"SPYTRACE_DATA_DIR": data}

	code, _, errOut := runTAXII(t, vars, s.URL, "--collection", "missing")
	if code != ExitError || !strings.Contains(errOut, `collection "missing" not found`) {
		t.Errorf("404 collection: code %d\n%s", code, errOut)
	}

	// A first pull, then a malformed page in the next one: the file is kept.
	if code, out, errOut := runTAXII(t, vars, s.URL, "--collection", taxiiTestCol); code != ExitClean {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(taxiiIndicatorsDir(data), "*.stix2"))
	if len(files) != 1 {
		t.Fatalf("bundles: %v", files)
	}
	before, _ := os.ReadFile(files[0])
	for i := range 3 {
		s.Add(taxiiTestCol, taxiiT0.Add(time.Duration(40+i)*time.Hour), taxiitest.Indicator(20+i, "late.example", taxiiT0))
	}
	bad := s.Pages() + 2
	s.Lock()
	s.BadPage = bad
	s.Unlock()
	code, _, errOut = runTAXII(t, vars, s.URL, "--collection", taxiiTestCol)
	if code != ExitError || !strings.Contains(errOut, "page 2") || !strings.Contains(errOut, "truncated JSON") {
		t.Errorf("malformed page: code %d\n%s", code, errOut)
	}
	if after, _ := os.ReadFile(files[0]); !bytes.Equal(before, after) {
		t.Error("a failed pull changed the bundle")
	}

	// Two collections, one missing: the other is pulled, the exit status says 1.
	code, out, errOut := runTAXII(t, vars, s.URL, "--collection", "missing", "--collection", taxiiTestCol)
	if code != ExitError || !strings.Contains(out, "FAILED  missing") || !strings.Contains(out, "3 new") || !strings.Contains(errOut, "1 of 2 collections") {
		t.Errorf("one of two: code %d\n%s\n%s", code, out, errOut)
	}

	s.Lock()
	s.Delay = 5 * time.Second
	s.Unlock()
	code, _, errOut = runTAXII(t, vars, s.URL, "--collection", taxiiTestCol, "--full", "--timeout", "100ms")
	if code != ExitError || !strings.Contains(errOut, "Timeout") {
		t.Errorf("timeout: code %d\n%s", code, errOut)
	}
}

func TestPullTAXIIUsage(t *testing.T) {
	vars := map[string]string{"SPYTRACE_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{
		{},
		{"ftp://x.example/"},
		{"https://user:pw@x.example/taxii2/"},
		{"https://x.example/", "--user", "a", "--token-file", "t"},
		{"https://x.example/", "--password-file", "p"},
		{"https://x.example/", "--full", "--added-after", "2026-01-01T00:00:00Z"},
		{"https://x.example/", "--added-after", "yesterday"},
		{"https://x.example/", "--timeout", "0s"},
		{"https://x.example/", "--proxy", "::"},
		{"https://x.example/", "--password", "x"},
	} {
		if code, out, errOut := runTAXII(t, vars, args...); code != ExitUsage {
			t.Errorf("%q: code %d\n%s\n%s", args, code, out, errOut)
		}
	}
}
