package safarifavicon_test

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
	"github.com/spytrace/spytrace/internal/module/ios/safarifavicon"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2024, 5, 2, 10, 11, 12, 0, time.UTC)

const appDB = fixture.AppContainersDir + "/0A1B2C3D-0000-4000-8000-000000000001/" + fixture.AppFaviconRel

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSFilesystem, files), ix, safarifavicon.New())
}

func add(t *testing.T, files fstest.MapFS, name string, spec fixture.SafariFaviconSpec) {
	t.Helper()
	if err := fixture.AddSafariFavicon(files, name, spec); err != nil {
		t.Fatal(err)
	}
}

func TestRecords(t *testing.T) {
	files := fstest.MapFS{}
	add(t, files, fixture.SafariFaviconPath, fixture.SafariFaviconSpec{Entries: []fixture.SafariFavicon{
		{PageURL: "https://b.example/", IconURL: "https://b.example/favicon.ico", Time: t0.Add(time.Hour)},
		{PageURL: "https://a.example/", IconURL: "https://a.example/favicon.ico", Time: t0},
		{PageURL: "https://c.example/", IconURL: "https://c.example/touch.png", Time: t0.Add(30 * time.Minute), Rejected: true},
		{PageURL: "https://d.example/", IconURL: "https://d.example/favicon.ico", Time: t0.Add(2 * time.Hour), WAL: true},
	}})
	add(t, files, appDB, fixture.SafariFaviconSpec{Legacy: true, Entries: []fixture.SafariFavicon{
		{PageURL: "https://e.example/", IconURL: "https://e.example/i.ico"},
	}})
	o := run(t, nil, files)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	mac := func(t time.Time) any { return float64(t.Unix() - 978307200) }
	rec := func(u, icon string, at time.Time, typ, db string) map[string]any {
		m := map[string]any{"url": u, "icon_url": icon, "type": typ, "safari_favicon_db_path": db, "timestamp": nil, "isodate": nil}
		if !at.IsZero() {
			m["timestamp"], m["isodate"] = mac(at), at.Format("2006-01-02 15:04:05.000000")
		}
		return m
	}
	want := []map[string]any{
		rec("https://e.example/", "https://e.example/i.ico", time.Time{}, "valid", appDB),
		rec("https://a.example/", "https://a.example/favicon.ico", t0, "valid", fixture.SafariFaviconPath),
		rec("https://c.example/", "https://c.example/touch.png", t0.Add(30*time.Minute), "rejected", fixture.SafariFaviconPath),
		rec("https://b.example/", "https://b.example/favicon.ico", t0.Add(time.Hour), "valid", fixture.SafariFaviconPath),
		rec("https://d.example/", "https://d.example/favicon.ico", t0.Add(2*time.Hour), "valid", fixture.SafariFaviconPath),
	}
	if d := cmp.Diff(want, o.List(t)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if len(o.Timeline) != 4 || !strings.Contains(o.Timeline[0], "safari_favicon") ||
		!strings.Contains(o.Timeline[0], "Safari favicon from https://a.example/ with icon URL https://a.example/favicon.ico (valid)") {
		t.Errorf("timeline %q", o.Timeline)
	}
	var urls []string
	for _, u := range o.URLs {
		urls = append(urls, u["url"].(string))
	}
	if len(urls) != 5 {
		t.Errorf("urls.json %v", urls)
	}
}

func TestIndicators(t *testing.T) {
	files := fstest.MapFS{}
	spec := fixture.SampleSafariFavicon(t0, 30, 7)
	fixture.PlantSafariFavicon(&spec, "https://landing.evil.example/x", "https://landing.evil.example/favicon.ico", t0)
	fixture.PlantSafariFavicon(&spec, "https://innocent.example/", "https://cdn.badicon.example/i.ico", t0)
	add(t, files, fixture.SafariFaviconPath, spec)
	o := run(t, moduletest.Index("domains", "evil.example", "domains", "badicon.example"), files)
	got := map[string]string{}
	for _, a := range o.Alerts {
		if a.Level.String() != "CRITICAL" || a.Check != "ioc/domain" {
			t.Errorf("alert %s %s", a.Level, a.Check)
		}
		got[a.Indicator.Value] = a.Message
	}
	if len(o.Alerts) != 2 || !strings.Contains(got["evil.example"], "landing.evil.example/x") ||
		!strings.Contains(got["badicon.example"], "icon URL of page https://innocent.example/") {
		t.Errorf("alerts %v", got)
	}
	moduletest.Reload(t, o, moduletest.Index("domains", "evil.example", "domains", "badicon.example"), safarifavicon.New())
	// False positive: a lookalike domain and the sample content raise nothing.
	o = run(t, moduletest.Index("domains", "evil.example.org", "domains", "wikipedia.org.evil"), files)
	if len(o.Alerts) != 0 {
		t.Errorf("unexpected alerts %+v", o.Alerts)
	}
}

// TestDecodeMVTRecord reads favicons the way MVT writes them and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	const db = "private/var/mobile/Library/Image Cache/Favicons/Favicons.db"
	rec := func(u, icon, typ string) string {
		return `{"url": "` + u + `", "icon_url": "` + icon + `", "timestamp": 736337472.0,
			"isodate": "2024-05-02 10:11:12.000000", "type": "` + typ + `", "safari_favicon_db_path": "` + db + `"}`
	}
	tests := []struct {
		name, record string
		want         []string
	}{
		{"page", rec("https://landing.evil.example/x", "https://landing.evil.example/favicon.ico", "valid"),
			[]string{`Found a known suspicious domain "https://landing.evil.example/x" (through "evil.example") in a page in the valid favicon cache entry of ` + db}},
		{"icon", rec("https://innocent.example/", "https://cdn.evil.example/i.ico", "rejected"),
			[]string{`Found a known suspicious domain "https://cdn.evil.example/i.ico" (through "evil.example") in the icon URL of page https://innocent.example/ in the rejected favicon cache entry of ` + db}},
		{"clean", rec("https://innocent.example/", "https://innocent.example/i.ico", "valid"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := safarifavicon.New()
			r, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, msg)
				if !a.Time().Equal(t0) {
					t.Errorf("alert at %v, want %v", a.Time(), t0)
				}
			})
			ck := m.NewChecker(check.NewEnv(moduletest.Index("domains", "evil.example")))
			ck.Check(r, rep)
			ck.Finish(rep)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("alerts (-want +got):\n%s", d)
			}
		})
	}
}

func TestCorruptAndAbsent(t *testing.T) {
	o := run(t, nil, fstest.MapFS{"private/var/mobile/Library/Other.db": {Data: []byte("x")}})
	if o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	o = run(t, nil, fstest.MapFS{fixture.SafariFaviconPath: {Data: []byte("not a database at all")}})
	if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not a SQLite database") {
		t.Errorf("not SQLite: %+v", o.Status)
	}
	main, _, err := fixture.SafariFaviconDB(fixture.SafariFaviconSpec{})
	if err != nil {
		t.Fatal(err)
	}
	o = run(t, nil, fstest.MapFS{fixture.SafariFaviconPath: {Data: main[:len(main)/2]}})
	if o.Status.State != module.Failed {
		t.Errorf("truncated: %+v", o.Status)
	}
	other, _, err := fixture.CacheDB(fixture.CacheDBSpec{})
	if err != nil {
		t.Fatal(err)
	}
	files := fstest.MapFS{fixture.SafariFaviconPath: {Data: other}}
	add(t, files, appDB, fixture.SafariFaviconSpec{Entries: []fixture.SafariFavicon{{PageURL: "https://a.example/", IconURL: "https://a.example/i", Time: t0}}})
	o = run(t, nil, files)
	if o.Status.State != module.Partial || len(o.List(t)) != 1 || !strings.Contains(strings.Join(o.Status.Problems, "\n"), "no page_url table") {
		t.Errorf("one bad copy: %+v", o.Status)
	}
	o = run(t, nil, fstest.MapFS{fixture.SafariFaviconPath: {Data: other}})
	if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not a Safari favicon database") {
		t.Errorf("missing table: %+v", o.Status)
	}
}

func TestSampleDeterministic(t *testing.T) {
	a, b := fixture.SampleSafariFavicon(t0, 20, 3), fixture.SampleSafariFavicon(t0, 20, 3)
	if len(a.Entries) != 20 || !cmp.Equal(a, b) {
		t.Errorf("sample: %d entries, equal %v", len(a.Entries), cmp.Equal(a, b))
	}
}
