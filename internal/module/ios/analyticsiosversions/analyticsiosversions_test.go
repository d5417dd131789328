package analyticsiosversions_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/analytics"
	"github.com/spytrace/spytrace/internal/module/ios/analyticsiosversions"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2023, 6, 1, 8, 30, 0, 0, time.UTC)

func runFS(t *testing.T, f fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSFilesystem, f), nil, analyticsiosversions.New(), analytics.New())
}

func run(t *testing.T, spec fixture.AnalyticsSpec) *moduletest.Outcome {
	t.Helper()
	f, err := fixture.AnalyticsFiles(spec)
	if err != nil {
		t.Fatal(err)
	}
	return runFS(t, f)
}

func ev(at time.Time, build string) fixture.AnalyticsEvent {
	attrs := map[string]any{"eventType": "x"}
	if build != "" {
		attrs["build"] = build
	}
	return fixture.AnalyticsEvent{Table: "soft_failures", At: at, Attrs: attrs}
}

func TestInfo(t *testing.T) {
	info := analyticsiosversions.New().Info()
	if info.Name != "analytics_ios_versions" || info.Class != "AnalyticsIOSVersions" || info.Kinds[0] != acquire.IOSFilesystem ||
		len(info.Requires) != 1 || info.Requires[0] != "analytics" {
		t.Errorf("info %+v", info)
	}
}

func TestRecords(t *testing.T) {
	spec := fixture.AnalyticsSpec{DBs: []fixture.AnalyticsDB{
		{Name: "b.db", Events: []fixture.AnalyticsEvent{
			ev(t0.Add(48*time.Hour), "20F66"),
			ev(t0, "20E252"),
			ev(t0.Add(time.Hour), ""),          // no build
			ev(time.Time{}, "19A346"),          // no time
			ev(t0.Add(72*time.Hour), "99Z999"), // unknown build
		}},
		{Name: "a.db", Schema: fixture.AnalyticsLegacy, Events: []fixture.AnalyticsEvent{
			{Table: "all_events", At: t0.Add(24 * time.Hour), Attrs: map[string]any{"build": "20F66"}},
			ev(t0.Add(96*time.Hour), "20E252"),
		}},
	}}
	o := run(t, spec)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s)", o.Status.State, o.Status.Reason)
	}
	want := []map[string]any{
		{"isodate": "2023-06-01 08:30:00.000000", "build": "20E252", "version": "16.4.1", "artifact": "b.db"},
		{"isodate": "2023-06-02 08:30:00.000000", "build": "20F66", "version": "16.5", "artifact": "a.db"},
		{"isodate": "2023-06-04 08:30:00.000000", "build": "99Z999", "version": "", "artifact": "b.db"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2023-06-01 08:30:00.000000","AnalyticsIOSVersions","analytics_ios_version","Seen iOS version 16.4.1 (20E252)"`,
		`"2023-06-02 08:30:00.000000","AnalyticsIOSVersions","analytics_ios_version","Seen iOS version 16.5 (20F66)"`,
		`"2023-06-04 08:30:00.000000","AnalyticsIOSVersions","analytics_ios_version","Seen iOS version (unknown version) (99Z999)"`,
	}
	var tl []string
	for _, row := range o.Timeline {
		if strings.Contains(row, `,"AnalyticsIOSVersions",`) {
			tl = append(tl, row)
		}
	}
	if diff := cmp.Diff(wantTL, tl); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v", o.Alerts)
	}
}

func TestSample(t *testing.T) {
	spec := fixture.SampleAnalytics(fixture.Epoch, 300, 5)
	o := run(t, spec)
	if o.Status.State != module.OK || o.Status.Records == 0 || len(o.Alerts) != 0 {
		t.Fatalf("status %+v, alerts %v", o.Status, o.Alerts)
	}
	for _, r := range o.List(t) {
		if r["version"] == "" {
			t.Errorf("sample build %v has no known version", r["build"])
		}
	}
}

func TestUnreadable(t *testing.T) {
	t.Run("absent", func(t *testing.T) {
		o := runFS(t, fstest.MapFS{"private/var/x": &fstest.MapFile{Data: []byte("x")}})
		if o.Status.State != module.Skipped {
			t.Errorf("status %+v, want skipped", o.Status)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		o := runFS(t, fstest.MapFS{"private/var/Keychains/Analytics/a.db": &fstest.MapFile{Data: []byte("not a database, not at all")}})
		// The analytics module fails on the database; this one finds no event.
		if o.Status.Records != 0 || len(o.Alerts) != 0 || len(o.Timeline) != 0 {
			t.Errorf("status %+v, alerts %v, timeline %v: want no record", o.Status, o.Alerts, o.Timeline)
		}
	})
}
