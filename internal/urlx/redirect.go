package urlx

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Cleartext reports whether u is an http:// address.
func Cleartext(u string) bool {
	return len(u) >= len("http://") && strings.EqualFold(u[:len("http://")], "http://")
}

// Site returns the registrable domain of u's host ("example.co.uk" for
// www.example.co.uk), the host itself for IP addresses and names without a registrable
// part, and "" when u has no host.
func Site(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
	if host == "" {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// FastCrossSiteRedirect judges a browser redirect from src to dst that took d (either
// sign): it is the pattern of network-injection attacks (Amnesty International's
// Pegasus methodology, 2021) when src is a cleartext http:// address, dst is on another
// site, and |d| is under within. It returns a sentence describing the redirect.
func FastCrossSiteRedirect(src, dst string, d, within time.Duration) (string, bool) {
	if !Cleartext(src) {
		return "", false
	}
	if d < 0 {
		d = -d
	}
	if d >= within {
		return "", false
	}
	from, to := Site(src), Site(dst)
	if from == "" || to == "" || from == to {
		return "", false
	}
	return fmt.Sprintf("Cleartext visit to %q was redirected in %s to %q, another site (%s → %s)",
		src, d.Round(time.Millisecond), dst, from, to), true
}
