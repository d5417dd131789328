package cachefiles_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/cachefiles"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var t0 = time.Date(2024, 5, 2, 10, 11, 12, 0, time.UTC)

var (
	dbA = fixture.CacheDBPath("11111111-0000-4000-8000-000000000001", "com.example.news")
	dbB = "private/var/mobile/Library/Caches/com.apple.nsurlsessiond/Cache.db"
)

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSFilesystem, files), ix, cachefiles.New())
}

func add(t *testing.T, files fstest.MapFS, name string, spec fixture.CacheDBSpec) {
	t.Helper()
	if err := fixture.AddCacheDB(files, name, spec); err != nil {
		t.Fatal(err)
	}
}

func TestRecords(t *testing.T) {
	files := fstest.MapFS{"private/var/mobile/Library/Caches/other/Cache.db.bak": {Data: []byte("x")}}
	add(t, files, dbA, fixture.CacheDBSpec{Responses: []fixture.CacheResponse{
		{EntryID: 2, Version: 0, HashValue: -42, StoragePolicy: 0, URL: "https://b.example/api", Time: t0, Partition: "example.com"},
		{EntryID: 1, Version: 0, HashValue: 7, StoragePolicy: 1, URL: "https://a.example/api", TimeText: "not a date"},
		{EntryID: 3, URL: "https://c.example/wal", Time: t0.Add(time.Minute), WAL: true},
	}})
	add(t, files, dbB, fixture.CacheDBSpec{Legacy: true, Responses: []fixture.CacheResponse{
		{EntryID: 9, Version: 1, HashValue: 5, StoragePolicy: 0, URL: "https://d.example/", Time: t0.Add(-time.Hour)},
	}})
	o := run(t, nil, files)
	if o.Status.State != module.Partial || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], `"not a date" is not a date`) {
		t.Fatalf("status %+v", o.Status)
	}
	rec := func(id int, ver, hash, pol any, u, iso, raw, part, file string) map[string]any {
		m := map[string]any{"entry_id": float64(id), "version": ver, "hash_value": hash, "storage_policy": pol, "url": u,
			"isodate": nil, "cache_file": file, "time_stamp": raw, "partition": part}
		if iso != "" {
			m["isodate"] = iso
		}
		return m
	}
	want := []map[string]any{
		rec(1, 0.0, 7.0, 1.0, "https://a.example/api", "", "not a date", "", dbA),
		rec(2, 0.0, -42.0, 0.0, "https://b.example/api", "2024-05-02 10:11:12.000000", "2024-05-02 10:11:12", "example.com", dbA),
		rec(3, 0.0, 0.0, 0.0, "https://c.example/wal", "2024-05-02 10:12:12.000000", "2024-05-02 10:12:12", "", dbA),
		rec(9, 1.0, 5.0, 0.0, "https://d.example/", "2024-05-02 09:11:12.000000", "2024-05-02 09:11:12", "", dbB),
	}
	if d := cmp.Diff(want, o.List(t)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if len(o.Timeline) != 3 || !strings.Contains(o.Timeline[0], "cache_response") ||
		!strings.Contains(strings.Join(o.Timeline, "\n"), dbB+" recorded visit to URL https://d.example/") {
		t.Errorf("timeline %q", o.Timeline)
	}
	if len(o.URLs) != 4 {
		t.Errorf("urls.json %v", o.URLs)
	}
}

func TestIndicators(t *testing.T) {
	files := fstest.MapFS{}
	spec := fixture.SampleCacheDB(t0, 25, 1)
	fixture.PlantCacheResponse(&spec, "https://c2.evil.example/beacon?id=1", t0)
	add(t, files, dbA, spec)
	ix := moduletest.Index("domains", "evil.example")
	o := run(t, ix, files)
	if len(o.Alerts) != 1 || o.Alerts[0].Level.String() != "CRITICAL" || o.Alerts[0].Check != "ioc/domain" ||
		!strings.Contains(o.Alerts[0].Message, dbA) {
		t.Fatalf("alerts %+v", o.Alerts)
	}
	moduletest.Reload(t, o, ix, cachefiles.New())
	// False positive: lookalikes of sample hosts raise nothing.
	o = run(t, moduletest.Index("domains", "evil.example.com", "domains", "weather.com.evil"), files)
	if len(o.Alerts) != 0 {
		t.Errorf("unexpected alerts %+v", o.Alerts)
	}
}

func TestCorruptAndAbsent(t *testing.T) {
	o := run(t, nil, fstest.MapFS{"private/var/mobile/Library/x.db": {Data: []byte("x")}})
	if o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	o = run(t, nil, fstest.MapFS{dbA: {Data: []byte("garbage")}})
	if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not a SQLite database") {
		t.Errorf("not SQLite: %+v", o.Status)
	}
	fav, _, err := fixture.SafariFaviconDB(fixture.SafariFaviconSpec{})
	if err != nil {
		t.Fatal(err)
	}
	o = run(t, nil, fstest.MapFS{dbA: {Data: fav}})
	if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "no cfurl_cache_response table") {
		t.Errorf("missing table: %+v", o.Status)
	}
	main, _, err := fixture.CacheDB(fixture.SampleCacheDB(t0, 200, 2))
	if err != nil {
		t.Fatal(err)
	}
	files := fstest.MapFS{dbB: {Data: main[:len(main)/3]}}
	add(t, files, dbA, fixture.CacheDBSpec{Responses: []fixture.CacheResponse{{URL: "https://a.example/", Time: t0}}})
	o = run(t, nil, files)
	if o.Status.State != module.Partial || len(o.List(t)) != 1 {
		t.Errorf("one truncated copy: %+v", o.Status)
	}
}

// TestDecodeMVTRecord checks the checks on cache_files.json as MVT writes it: one
// object, cache file → list of responses, with the raw time_stamp text as isodate.
func TestDecodeMVTRecord(t *testing.T) {
	const mvt = `{
		"private/var/mobile/Library/Caches/com.apple.nsurlsessiond/Cache.db": [
			{"entry_id": 1, "version": 0, "hash_value": -42, "storage_policy": 0, "url": "https://c2.evil.example/beacon", "isodate": "2024-05-02 10:11:12"},
			{"entry_id": 2, "version": 0, "hash_value": 7, "storage_policy": 0, "url": "https://weather.example/", "isodate": "2024-05-02 10:11:13"}
		],
		"private/var/mobile/Containers/Data/Application/X/Library/Caches/com.example.news/Cache.db": [
			{"entry_id": 5, "version": 0, "hash_value": 7, "storage_policy": 1, "url": "https://evil.example/x", "isodate": "not a date"}
		]
	}`
	m := cachefiles.New()
	rec, err := m.DecodeRecord([]byte(mvt))
	if err != nil {
		t.Fatal(err)
	}
	var got []alert.Alert
	r := check.NewReporter(cachefiles.Name, func(a alert.Alert) { got = append(got, a) })
	c := m.NewChecker(check.NewEnv(moduletest.Index("domains", "evil.example")))
	c.Check(rec, r)
	c.Finish(r)
	type hit struct{ File, URL, At string }
	var hits []hit
	for _, a := range got {
		resp, ok := a.Event.(*cachefiles.Response)
		if !ok || a.Check != "ioc/domain" || !strings.Contains(a.Message, resp.CacheFile) {
			t.Fatalf("alert %+v", a)
		}
		hits = append(hits, hit{resp.CacheFile, resp.URL, timefmt.Format(a.EventTime.Time)})
	}
	want := []hit{
		{"private/var/mobile/Containers/Data/Application/X/Library/Caches/com.example.news/Cache.db", "https://evil.example/x", ""},
		{"private/var/mobile/Library/Caches/com.apple.nsurlsessiond/Cache.db", "https://c2.evil.example/beacon", "2024-05-02 10:11:12.000000"},
	}
	if d := cmp.Diff(want, hits); d != "" {
		t.Errorf("alerts (-want +got):\n%s", d)
	}
}
