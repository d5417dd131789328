package webkitindexeddb_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/webkitindexeddb"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2024, 5, 2, 10, 11, 12, 0, time.UTC)

var (
	dirA = fixture.AppContainer("AAAAAAAA-0000-4000-8000-000000000001") + "/" + fixture.WebKitIndexedDBRel
	dirB = fixture.AppContainer("BBBBBBBB-0000-4000-8000-000000000002") + "/" + fixture.WebKitIndexedDBRel + "/v1"
)

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSFilesystem, files), ix, webkitindexeddb.New())
}

func TestRecords(t *testing.T) {
	files := fstest.MapFS{}
	fixture.AddWebKitOrigins(files, dirA, t0.Add(48*time.Hour), []fixture.WebKitOrigin{
		{Name: "https_www.example.com_0", ModTime: t0},
		{Name: "http_localhost_8080", ModTime: t0.Add(time.Hour)},
		{Name: "___IndexedDBLegacyDatabase", ModTime: t0},
	})
	fixture.AddWebKitOrigins(files, dirB, t0, []fixture.WebKitOrigin{{Name: "https_b.example_0", ModTime: t0.Add(-time.Hour)}})
	o := run(t, nil, files)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"folder": dirA, "url": "http://localhost", "isodate": "2024-05-02 11:11:12.000000", "name": "http_localhost_8080"},
		{"folder": dirA, "url": "https://www.example.com", "isodate": "2024-05-02 10:11:12.000000", "name": "https_www.example.com_0"},
		{"folder": dirB, "url": "https://b.example", "isodate": "2024-05-02 09:11:12.000000", "name": "https_b.example_0"},
	}
	if d := cmp.Diff(want, o.List(t)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if len(o.Timeline) != 3 || !strings.Contains(o.Timeline[0], "webkit_indexeddb") ||
		!strings.Contains(o.Timeline[0], "IndexedDB folder "+dirB+" containing data for URL https://b.example") {
		t.Errorf("timeline %q", o.Timeline)
	}
	if len(o.URLs) != 3 {
		t.Errorf("urls.json %v", o.URLs)
	}
}

func TestIndicators(t *testing.T) {
	files := fstest.MapFS{}
	origins := fixture.SampleWebKitOrigins(t0, 20, 4, false, "")
	fixture.PlantWebKitOrigin(&origins, "https://track.evil.example", t0, false, "")
	fixture.AddWebKitOrigins(files, dirA, t0, origins)
	o := run(t, moduletest.Index("domains", "evil.example"), files)
	if len(o.Alerts) != 1 || o.Alerts[0].Level.String() != "CRITICAL" || !strings.Contains(o.Alerts[0].Message, "https_track.evil.example_0") {
		t.Fatalf("alerts %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index("domains", "evil.example"), webkitindexeddb.New())
	o = run(t, moduletest.Index("domains", "evil.example.net"), files)
	if len(o.Alerts) != 0 {
		t.Errorf("false positive %+v", o.Alerts)
	}
}

func TestAbsent(t *testing.T) {
	o := run(t, nil, fstest.MapFS{"private/var/mobile/Library/x": {Data: []byte("x")}})
	if o.Status.State != module.Skipped || !strings.Contains(o.Status.Reason, "no folder matches") {
		t.Errorf("absent: %+v", o.Status)
	}
	// A file where the folder should be is not a folder: skipped too.
	o = run(t, nil, fstest.MapFS{dirA: {Data: []byte("x")}})
	if o.Status.State != module.Skipped {
		t.Errorf("file instead of folder: %+v", o.Status)
	}
}
