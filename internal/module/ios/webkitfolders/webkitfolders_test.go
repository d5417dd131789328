package webkitfolders_test

import (
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/ios/webkitfolders"
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
