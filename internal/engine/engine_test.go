package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// note is the record of the fake modules.
type note struct {
	ID   int          `json:"id"`
	Text string       `json:"text"`
	Date timefmt.Time `json:"isodate"`
	URL  string       `json:"url,omitempty"`
}

func (n *note) Timeline() []module.Event {
	return []module.Event{{Time: n.Date.Time, Event: "note", Data: n.Text}}
}

func (n *note) URLs() []module.URL {
	if n.URL == "" {
		return nil
	}
	return []module.URL{{URL: n.URL, Time: n.Date.Time}}
}

// fake is a configurable module.
type fake struct {
	info module.Info
	run  func(ctx context.Context, in *module.Input, out *module.Output) error
	chk  func(rec any, r *check.Reporter)
}

func (f *fake) Info() module.Info { return f.info }
func (f *fake) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return f.run(ctx, in, out)
}

type fakeChecker struct{ f *fake }

func (c fakeChecker) Check(rec any, r *check.Reporter) {
	if c.f.chk != nil {
		c.f.chk(rec, r)
	}
}
func (c fakeChecker) Finish(*check.Reporter) {}

func (f *fake) NewChecker(*check.Env) check.Checker { return fakeChecker{f} }

var base = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

var heuristic = check.Heuristic{ID: "test/word", Level: alert.High, Meaning: "m", FalsePositive: "fp", Advice: "a"}

func modules() []module.Module {
	reader := &fake{
		info: module.Info{Name: "reader", Class: "Reader", Version: 2, Paths: []string{"HomeDomain/notes.txt"}},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			data, err := in.ReadFile(in.Files[0])
			if err != nil {
				return err
			}
			for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				rec := &note{ID: i, Text: line, Date: timefmt.Of(base.Add(time.Duration(10-i) * time.Minute))}
				if strings.HasPrefix(line, "http") {
					rec.URL = line
				}
				if err := out.Record(rec); err != nil {
					return err
				}
			}
			return nil
		},
		chk: func(rec any, r *check.Reporter) {
			n := rec.(*note)
			if strings.Contains(n.Text, "evil") {
				heuristic.Raise(r, "found evil in note "+fmt.Sprint(n.ID), n.Date.Time, rec)
			}
		},
	}
	panicker := &fake{
		info: module.Info{Name: "panicker", Paths: []string{"HomeDomain/notes.txt"}},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			out.Record(&note{ID: 1, Text: "before the panic"})
			var m map[string]int
			m["boom"] = 1
			return nil
		},
	}
	failer := &fake{
		info: module.Info{Name: "failer", Paths: []string{"HomeDomain/notes.txt"}},
		run: func(context.Context, *module.Input, *module.Output) error {
			return errors.New("table \"x\" is corrupt")
		},
	}
	absent := &fake{
		info: module.Info{Name: "absent", Paths: []string{"HomeDomain/none.db", "*/nothing/*.db"}},
		run:  func(context.Context, *module.Input, *module.Output) error { panic("must not run") },
	}
	dependent := &fake{
		info: module.Info{Name: "dependent", Requires: []string{"reader"}},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			recs, err := in.Dependency("reader")
			if err != nil {
				return err
			}
			return out.Record(&note{ID: len(recs), Text: "counted", Date: timefmt.Of(base)})
		},
	}
	return []module.Module{dependent, reader, panicker, failer, absent}
}

func acquisition() acquire.Acquisition {
	return memfs.New(acquire.IOSBackup, fstest.MapFS{
		"HomeDomain/notes.txt": {Data: []byte("hello\nan evil note\nhttps://example.org/x?a=1&b=<2>\nbye \"quoted\"\n=HYPERLINK(1)\n")},
	})
}

func runOnce(t *testing.T, out string) *engine.Result {
	t.Helper()
	dir, err := results.Create(out, false)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := engine.Run(context.Background(), engine.Config{
		Acquisition: acquisition(),
		Modules:     modules(),
		Results:     dir,
		Info:        results.Info{Tool: "spytrace", Command: "test", Date: "2026-01-01 00:00:00.000000"},
		LogFile:     &log,
		Workers:     2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "command.log"), log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunStatusesAndFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	res := runOnce(t, out)
	got := map[string]module.State{}
	for _, st := range res.Statuses {
		got[st.Module] = st.State
	}
	want := map[string]module.State{"dependent": module.OK, "reader": module.OK, "panicker": module.Failed, "failer": module.Failed, "absent": module.Skipped}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	for _, st := range res.Statuses {
		switch st.Module {
		case "panicker":
			if !strings.Contains(st.Reason, "panic: assignment to entry in nil map") || st.Records != 1 {
				t.Errorf("panicker status = %+v", st)
			}
		case "failer":
			if st.Reason != `table "x" is corrupt` {
				t.Errorf("failer reason = %q", st.Reason)
			}
		case "absent":
			if !strings.Contains(st.Reason, "not in this acquisition") {
				t.Errorf("absent reason = %q", st.Reason)
			}
		case "dependent":
			if st.Records != 1 {
				t.Errorf("dependent records = %d", st.Records)
			}
		}
	}
	for _, name := range []string{"reader.json", "panicker.json", "dependent.json", "reader_detected.json", "alerts.json", "alerts_timeline.csv", "timeline.csv", "urls.json", "info.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	var dep []note
	readJSON(t, filepath.Join(out, "dependent.json"), &dep)
	if len(dep) != 1 || dep[0].ID != 5 {
		t.Errorf("dependent saw %v, want 5 records of reader", dep)
	}
	var alerts []map[string]any
	readJSON(t, filepath.Join(out, "alerts.json"), &alerts)
	if len(alerts) != 1 || alerts[0]["level"] != "HIGH" || alerts[0]["module"] != "reader" || alerts[0]["check"] != "test/word" ||
		alerts[0]["event_time"] != "2025-01-02 03:13:05.000000" || alerts[0]["matched_indicator"] != nil {
		t.Errorf("alerts.json = %v", alerts)
	}
	var info results.Info
	readJSON(t, filepath.Join(out, "info.json"), &info)
	if len(info.Hashes) != 1 || info.Hashes[0].Name != "HomeDomain/notes.txt" || len(info.Hashes[0].SHA256) != 64 {
		t.Errorf("hashes = %+v", info.Hashes)
	}
	if info.Alerts["HIGH"] != 1 || len(info.Modules) != 5 {
		t.Errorf("info alerts = %v, modules = %d", info.Alerts, len(info.Modules))
	}
	tl, _ := os.ReadFile(filepath.Join(out, "timeline.csv"))
	lines := strings.Split(strings.TrimSpace(string(tl)), "\r\n")
	if lines[0] != `"UTC Timestamp","Plugin","Event","Description"` || len(lines) != 7 {
		t.Fatalf("timeline.csv:\n%s", tl)
	}
	if lines[1] != `"2025-01-02 03:04:05.000000","dependent","note","counted"` || lines[2] != `"2025-01-02 03:10:05.000000","Reader","note","'=HYPERLINK(1)"` {
		t.Errorf("first row %q: want oldest first and a neutralised formula", lines[1])
	}
	if !strings.Contains(string(tl), `"bye ""quoted"""`) {
		t.Errorf("quotes not doubled:\n%s", tl)
	}
	urls, _ := os.ReadFile(filepath.Join(out, "urls.json"))
	if !strings.Contains(string(urls), `"url": "https://example.org/x?a=1&b=<2>"`) || !strings.Contains(string(urls), `"source": "reader"`) {
		t.Errorf("urls.json:\n%s", urls)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	a := filepath.Join(t.TempDir(), "a")
	b := filepath.Join(t.TempDir(), "b")
	runOnce(t, a)
	runOnce(t, b)
	compareFolders(t, a, b)
}

// logTime matches the time at the start of a command.log line.
var logTime = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} - `)

func compareFolders(t *testing.T, a, b string) {
	t.Helper()
	ea, _ := os.ReadDir(a)
	eb, _ := os.ReadDir(b)
	if len(ea) != len(eb) {
		t.Fatalf("%d files vs %d files", len(ea), len(eb))
	}
	for _, e := range ea {
		da, _ := os.ReadFile(filepath.Join(a, e.Name()))
		db, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if e.Name() == "command.log" {
			da, db = logTime.ReplaceAll(da, []byte("T - ")), logTime.ReplaceAll(db, []byte("T - "))
		}
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between runs:\n%s", e.Name(), cmp.Diff(string(da), string(db)))
		}
	}
}

func TestIndicatorAlertCarriesSource(t *testing.T) {
	bld := ioc.NewBuilder()
	file := &ioc.File{Path: "feeds/pegasus.stix2", Name: "pegasus.stix2", SHA256: strings.Repeat("ab", 32)}
	col := &ioc.Collection{ID: "malware--1", Name: "Pegasus", File: file}
	bld.Add(&ioc.Indicator{ID: "indicator--1", Kind: ioc.Domain, Value: "example.org", Collection: col})
	urlMod := &fake{
		info: module.Info{Name: "links"},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			return out.Record(&note{ID: 1, URL: "https://www.example.org/path", Date: timefmt.Of(base)})
		},
	}
	env := check.NewEnv(bld.Build())
	urlMod.chk = func(rec any, r *check.Reporter) {
		n := rec.(*note)
		env.URL(r, alert.Critical, n.URL, "a test note", n.Date.Time, rec)
	}
	dir, err := results.Create(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(context.Background(), engine.Config{Acquisition: acquisition(), Modules: []module.Module{urlMod}, Index: bld.Build(), Results: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 1 {
		t.Fatalf("alerts = %v", res.Alerts)
	}
	a := res.Alerts[0]
	want := &alert.Indicator{Value: "example.org", Type: "domains", Name: "Pegasus", STIX2FileName: "pegasus.stix2", ID: "indicator--1",
		CollectionID: "malware--1", STIX2FilePath: "feeds/pegasus.stix2", STIX2FileHash: file.SHA256, MatchedOn: a.Indicator.MatchedOn}
	if diff := cmp.Diff(want, a.Indicator); diff != "" {
		t.Errorf("matched indicator (-want +got):\n%s", diff)
	}
	if a.Level != alert.Critical || a.Check != "ioc/domain" || !strings.Contains(a.Message, `"example.org"`) || !strings.Contains(a.Message, "Pegasus") {
		t.Errorf("alert = %+v", a)
	}
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v\n%s", p, err, data)
	}
}

func TestDependencyErrors(t *testing.T) {
	mk := func(name string, requires ...string) module.Module {
		return &fake{info: module.Info{Name: name, Requires: requires}, run: func(context.Context, *module.Input, *module.Output) error { return nil }}
	}
	for _, tc := range []struct {
		name string
		mods []module.Module
		want string
	}{
		{"missing", []module.Module{mk("a", "b")}, `requires module "b", which is not selected`},
		{"cycle", []module.Module{mk("a", "b"), mk("b", "c"), mk("c", "a")}, "require each other: a → b → c → a"},
		{"twice", []module.Module{mk("a"), mk("a")}, `module "a" selected twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := results.Create(t.TempDir(), true)
			_, err := engine.Run(context.Background(), engine.Config{Acquisition: acquisition(), Modules: tc.mods, Results: dir})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestOneWorkerRunsRequiredModuleFirst: with a single worker and the dependent module
// listed first, the module it requires still runs before it.
func TestOneWorkerRunsRequiredModuleFirst(t *testing.T) {
	dir, _ := results.Create(t.TempDir(), true)
	res, err := engine.Run(context.Background(), engine.Config{Acquisition: acquisition(), Modules: modules()[:2], Results: dir, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st := res.Statuses[0]; st.Module != "dependent" || st.State != module.OK {
		t.Errorf("dependent: %+v", st)
	}
}

// TestShortenedURLs marks links on URL-shortening services in urls.json.
func TestShortenedURLs(t *testing.T) {
	m := &fake{info: module.Info{Name: "links"}, run: func(_ context.Context, _ *module.Input, out *module.Output) error {
		for i, u := range []string{"https://bit.ly/3xYz", "https://example.org/page"} {
			if err := out.Record(&note{ID: i, URL: u, Date: timefmt.Of(base)}); err != nil {
				return err
			}
		}
		return nil
	}}
	out := filepath.Join(t.TempDir(), "results")
	dir, err := results.Create(out, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Run(context.Background(), engine.Config{Acquisition: acquisition(), Modules: []module.Module{m}, Results: dir, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "urls.json"))
	if err != nil {
		t.Fatal(err)
	}
	var urls []results.URL
	if err := json.Unmarshal(data, &urls); err != nil {
		t.Fatal(err)
	}
	if len(urls) != 2 || urls[0].URL != "https://bit.ly/3xYz" || !urls[0].Shortened || urls[1].Shortened {
		t.Errorf("urls.json = %s", data)
	}
}

// TestLive follows a run through Live: every module counted, the files read and the
// bytes hashed.
func TestLive(t *testing.T) {
	dir, err := results.Create(filepath.Join(t.TempDir(), "results"), false)
	if err != nil {
		t.Fatal(err)
	}
	live := &engine.Live{}
	if s := live.Snapshot(); s.ModulesTotal != 0 || s.Hashing {
		t.Errorf("before the run: %+v", s)
	}
	res, err := engine.Run(context.Background(), engine.Config{
		Acquisition: acquisition(), Modules: modules(), Results: dir, Workers: 2, Live: live,
	})
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, h := range res.Hashes {
		size += h.Size
	}
	s := live.Snapshot()
	if s.ModulesTotal != len(modules()) || s.ModulesDone != s.ModulesTotal || len(s.Running) != 0 ||
		s.FilesRead != int64(len(res.Hashes)) || !s.Hashing || s.BytesHashed != size || size == 0 {
		t.Errorf("after the run: %+v (hashes %d files, %d bytes)", s, len(res.Hashes), size)
	}
	var none *engine.Live
	if s := none.Snapshot(); s.ModulesTotal != 0 {
		t.Errorf("nil Live: %+v", s)
	}
}

// cutAcquisition is an acquisition whose reading stopped at a limit.
type cutAcquisition struct{ acquire.Acquisition }

func (cutAcquisition) Problems() []acquire.Problem {
	return []acquire.Problem{{Kind: "limit_reached", Name: "dump.tar.gz", Message: "reading stopped: decompression ratio over 200"}}
}

// TestLimitCutAcquisition: the acquisition's limit is an alert, and a module whose
// artifact is not found says it may lie beyond the point where reading stopped.
func TestLimitCutAcquisition(t *testing.T) {
	dir, err := results.Create(filepath.Join(t.TempDir(), "results"), false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(context.Background(), engine.Config{
		Acquisition: cutAcquisition{acquisition()}, Modules: modules(), Results: dir, Workers: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range res.Alerts {
		if a.Check == "limit/acquisition" && a.Module == "acquisition" && strings.Contains(a.Message, "dump.tar.gz") {
			found = true
		}
	}
	if !found {
		t.Error("no limit/acquisition alert")
	}
	for _, st := range res.Statuses {
		if st.Module == "absent" && !strings.Contains(st.Reason, "not read to its end") {
			t.Errorf("absent: %q", st.Reason)
		}
	}
}
