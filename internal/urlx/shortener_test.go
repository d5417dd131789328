package urlx

import "testing"

func TestIsShortener(t *testing.T) {
	for link, want := range map[string]bool{
		"https://bit.ly/3abcDEF":             true,
		"bit.ly/3abc":                        true,
		"HTTP://WWW.TinyURL.com/y4x2":        true,
		"t.co/xyz?amp=1":                     true,
		"https://t.co.example.org/x":         false, // only the exact host
		"https://notbit.ly/x":                false,
		"https://example.org/bit.ly":         false,
		"https://free247downloads.com:30495": false,
		"":                                   false,
		"http://[::1":                        false, // unparsable
	} {
		if got := IsShortener(link); got != want {
			t.Errorf("IsShortener(%q) = %v, want %v", link, got, want)
		}
	}
}
