package webkitfolders_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/webkitfolders"
	"github.com/spytrace/spytrace/internal/module/ios/webkitindexeddb"
	"github.com/spytrace/spytrace/internal/module/ios/webkitlocalstorage"
	"github.com/spytrace/spytrace/internal/module/ios/webkitsafariviewservice"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/timefmt"
)

func TestURLOf(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"https_www.example.com_0", "https://www.example.com", true},
		{"http_localhost_8080", "http://localhost", true},
		{"https_www.example.com_0.localstorage-wal", "https://www.example.com", true},
		{"httpsfoo", "httpsfoo", true}, // MVT keeps any name starting with "http"
		{"StorageTracker.db", "", false},
		{"v1", "", false},
	} {
		got, ok := webkitfolders.URLOf(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("URLOf(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	// The fixture's names round-trip.
	if got, _ := webkitfolders.URLOf(fixture.WebKitOriginName("https://a.example:8443/x", ".localstorage")); got != "https://a.example" {
		t.Errorf("round trip: %q", got)
	}
}

// TestDecodeMVTRecord reads records of the three modules the way MVT writes them
// (folder, url, isodate; no name) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	const folder = "private/var/mobile/Containers/Data/Application/AAAAAAAA-0000-4000-8000-000000000001/Library/WebKit/WebsiteData/LocalStorage"
	rec := func(url string) string {
		return `{"folder": "` + folder + `", "url": "` + url + `", "isodate": "2024-05-02 10:11:12.000000"}`
	}
	modules := []struct {
		m interface {
			module.Checkable
			module.Reloadable
		}
		label string
	}{
		{webkitindexeddb.New(), "IndexedDB folder"},
		{webkitlocalstorage.New(), "WebKit Local Storage folder"},
		{webkitsafariviewservice.New(), "SafariViewService WebsiteData folder"},
	}
	for _, mod := range modules {
		for _, tc := range []struct {
			url  string
			want []string
		}{
			{"https://track.evil.example", []string{`CRITICAL ioc/domain 2024-05-02 10:11:12.000000 Found a known suspicious domain "https://track.evil.example" (through "evil.example") in the ` + mod.label + " " + folder}},
			{"https://www.example.com", nil},
		} {
			r, err := mod.m.DecodeRecord([]byte(rec(tc.url)))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter("test", func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Level.String()+" "+a.Check+" "+timefmt.Format(a.Time())+" "+msg)
			})
			ck := mod.m.NewChecker(check.NewEnv(moduletest.Index("domains", "evil.example")))
			ck.Check(r, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s %s: alerts (-want +got):\n%s", mod.label, tc.url, diff)
			}
		}
	}
}
