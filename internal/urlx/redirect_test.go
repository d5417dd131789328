package urlx

import (
	"testing"
	"time"
)

func TestSite(t *testing.T) {
	for u, want := range map[string]string{
		"https://www.example.co.uk/x": "example.co.uk",
		"http://10.0.0.1:8080/":       "10.0.0.1",
		"http://localhost/":           "localhost",
		"HTTP://A.B.Example.ORG./":    "example.org",
		"/relative":                   "",
		"http://[::1":                 "",
	} {
		if got := Site(u); got != want {
			t.Errorf("Site(%q) = %q, want %q", u, got, want)
		}
	}
}

func TestFastCrossSiteRedirect(t *testing.T) {
	const within = time.Second
	tests := []struct {
		src, dst string
		d        time.Duration
		want     bool
	}{
		{"http://yahoo.fr/", "https://a.b.free247downloads.com:30495/x", 280 * time.Millisecond, true},
		{"http://yahoo.fr/", "https://a.b.free247downloads.com/x", -280 * time.Millisecond, true}, // clocks out of order
		{"https://yahoo.fr/", "https://evil.example/x", 10 * time.Millisecond, false},             // not cleartext
		{"http://yahoo.fr/", "https://www.yahoo.fr/", 10 * time.Millisecond, false},               // same site
		{"http://yahoo.fr/", "https://evil.example/", time.Second, false},                         // too slow
		{"http://yahoo.fr/", "about:blank", 0, false},                                             // no host
	}
	for _, tt := range tests {
		msg, ok := FastCrossSiteRedirect(tt.src, tt.dst, tt.d, within)
		if ok != tt.want || (ok && msg == "") {
			t.Errorf("FastCrossSiteRedirect(%q, %q, %s) = %q, %v; want %v", tt.src, tt.dst, tt.d, msg, ok, tt.want)
		}
	}
}
