package webkitlocalstorage_test

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
	"github.com/spytrace/spytrace/internal/module/ios/webkitlocalstorage"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2024, 5, 2, 10, 11, 12, 0, time.UTC)

var dirA = fixture.AppContainer("AAAAAAAA-0000-4000-8000-000000000001") + "/" + fixture.WebKitLocalStorageRel

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSFilesystem, files), ix, webkitlocalstorage.New())
}

func TestIndicators(t *testing.T) {
	files := fstest.MapFS{}
	origins := fixture.SampleWebKitOrigins(t0, 20, 4, true, ".localstorage")
	fixture.PlantWebKitOrigin(&origins, "https://track.evil.example", t0, true, ".localstorage")
	fixture.AddWebKitOrigins(files, dirA, t0, origins)
	o := run(t, moduletest.Index("domains", "evil.example"), files)
	if len(o.Alerts) != 1 || o.Alerts[0].Level.String() != "CRITICAL" || o.Alerts[0].Check != "ioc/domain" {
		t.Fatalf("alerts %+v", o.Alerts)
	}
	if len(o.List(t)) != 21 {
		t.Errorf("%d records, want 21", len(o.List(t)))
	}
	moduletest.Reload(t, o, moduletest.Index("domains", "evil.example"), webkitlocalstorage.New())
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
}

func TestRecords(t *testing.T) {
	files := fstest.MapFS{}
	fixture.AddWebKitOrigins(files, dirA, t0.Add(72*time.Hour), []fixture.WebKitOrigin{
		{Name: "https_www.example.com_0.localstorage", File: true, ModTime: t0},
		{Name: "https_www.example.com_0.localstorage-wal", File: true, ModTime: t0.Add(time.Minute)},
		{Name: "StorageTracker.db", File: true, ModTime: t0},
	})
	o := run(t, nil, files)
	want := []map[string]any{
		{"folder": dirA, "url": "https://www.example.com", "isodate": "2024-05-02 10:11:12.000000", "name": "https_www.example.com_0.localstorage"},
		{"folder": dirA, "url": "https://www.example.com", "isodate": "2024-05-02 10:12:12.000000", "name": "https_www.example.com_0.localstorage-wal"},
	}
	if d := cmp.Diff(want, o.List(t)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if len(o.Timeline) != 2 || !strings.Contains(o.Timeline[0], "webkit_local_storage") ||
		!strings.Contains(o.Timeline[0], "WebKit Local Storage folder "+dirA+" containing data for URL https://www.example.com") {
		t.Errorf("timeline %q", o.Timeline)
	}
}
