package ioc

import (
	"errors"
	"net/netip"
	"net/url"
	"path"
	"strings"
)

// normalize returns the value an indicator of kind k is indexed under. A domain
// that is an IP address or network becomes an IP indicator, and a file name that
// holds a "/" becomes a file path indicator, hence the returned Kind.
func normalize(k Kind, v string) (Kind, string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return k, "", errors.New("empty value")
	}
	switch k {
	case Domain:
		v = strings.TrimSuffix(strings.ToLower(v), ".")
		if maybeIP(v) { // NoviSpy writes IP addresses as domain names
			if _, err := parseIP(v); err == nil {
				return normalize(IP, v)
			}
		}
		v = strings.TrimPrefix(strings.TrimPrefix(v, "*."), ".")
		if !validHostname(v) {
			return k, "", errors.New("not a hostname")
		}
		return k, v, nil
	case IP:
		p, err := parseIP(v)
		if err != nil {
			return k, "", errors.New("not an IP address or CIDR network")
		}
		if p.IsSingleIP() {
			return k, p.Addr().String(), nil
		}
		return k, p.String(), nil
	case URL:
		u, ok := parseURL(v)
		if !ok {
			return k, "", errors.New("not a URL with a host")
		}
		return k, u.canon, nil
	case Email:
		v = strings.ToLower(trimMailto(v))
		if at := strings.IndexByte(v, '@'); at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " \t\r\n") {
			return k, "", errors.New("not an e-mail address")
		}
		return k, v, nil
	case Process:
		if strings.IndexByte(v, '/') >= 0 {
			return k, "", errors.New("a process name has no '/'")
		}
		return k, v, nil
	case FileName:
		if strings.IndexByte(v, '/') >= 0 {
			return normalize(FilePath, v)
		}
		return k, v, nil
	case FilePath:
		v = cleanPath(v)
		if v == "/" || v == "." || v == ".." || strings.HasPrefix(v, "../") {
			return k, "", errors.New("not a usable path")
		}
		return k, v, nil
	case FileMD5, FileSHA1, FileSHA256, AppCertHash:
		v = strings.ToLower(v)
		if k == AppCertHash {
			v = strings.ReplaceAll(v, ":", "")
		}
		if hashKind(v) == "" || k != AppCertHash && hashKind(v) != k {
			return k, "", errors.New("not a hex digest of the right length")
		}
		return k, v, nil
	case AppID, ProfileID, AndroidProperty:
		v = strings.ToLower(v)
		if strings.ContainsAny(v, " \t\r\n") {
			return k, "", errors.New("contains white space")
		}
		return k, v, nil
	}
	return k, "", errors.New("unknown kind")
}

// hashKind returns the file hash kind of a lower-case hex digest, by its length, or
// "" if s is not one.
func hashKind(s string) Kind {
	var k Kind
	switch len(s) {
	case 32:
		k = FileMD5
	case 40:
		k = FileSHA1
	case 64:
		k = FileSHA256
	default:
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return k
}

// validHostname accepts dot-separated labels of letters, digits, '-' and '_' (and
// any non-ASCII byte, for internationalised names), at most 253 bytes.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isIdentChar(c) && c < 0x80 {
				return false
			}
		}
	}
	return true
}

// parseIP reads an address or network, tolerating surrounding brackets and a zone.
// IPv4-mapped IPv6 is returned as IPv4; a network is returned masked.
func parseIP(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.WithZone("").Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// maybeIP is a cheap test that s could be an IP address or network, to spare
// parsing (and its error) for host names.
func maybeIP(s string) bool {
	return s != "" && (isDigit(s[0]) || s[0] == '[' || strings.IndexByte(s, ':') >= 0)
}

// parseAddr is parseIP for a single address.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if !maybeIP(s) {
		return netip.Addr{}, false
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, false
	}
	return a.WithZone("").Unmap(), true
}

// splitHostPort removes a port from host:port or [v6]:port; a bare IPv6 address is
// returned unchanged.
func splitHostPort(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			return s[1:i]
		}
		return s
	}
	if i := strings.IndexByte(s, ':'); i >= 0 && strings.IndexByte(s[i+1:], ':') < 0 {
		return s[:i]
	}
	return s
}

// trimMailto removes "mailto:" prefixes and a mailto query ("?subject=…").
func trimMailto(s string) string {
	for len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
	}
	return s
}

// urlParts is a URL in canonical form: lower-case scheme and host, no user
// information, no default port, the path re-encoded canonically ("/" when empty), no
// fragment.
type urlParts struct {
	canon   string // with the query
	noQuery string // canon without its query ("" when the URL has no query)
	host    string // host name or IP address, no port, no brackets
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	case "ftp":
		return "21"
	}
	return ""
}

// parseURL parses a URL tolerantly: "http://" is assumed when it has no scheme.
func parseURL(raw string) (urlParts, bool) {
	s := strings.TrimSpace(raw)
	if !hasScheme(s) {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return urlParts{}, false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return urlParts{}, false
	}
	hostport := host
	if strings.IndexByte(host, ':') >= 0 {
		// Only an IPv6 address holds a colon ("user:pw" without its "@" is not a
		// host): anything else would be canonicalised into a URL that does not parse.
		if _, err := netip.ParseAddr(host); err != nil {
			return urlParts{}, false
		}
		hostport = "[" + host + "]"
	}
	if port := u.Port(); port != "" && port != defaultPort(u.Scheme) {
		hostport += ":" + port
	}
	p := (&url.URL{Path: u.Path}).EscapedPath()
	if p == "" {
		p = "/"
	}
	out := urlParts{canon: u.Scheme + "://" + hostport + p, host: host}
	if u.RawQuery != "" {
		out.noQuery = out.canon
		out.canon += "?" + u.RawQuery
	}
	return out, true
}

// hasScheme reports whether s starts with "scheme://".
func hasScheme(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 || !isIdentStart(s[0]) {
		return false
	}
	for j := 1; j < i; j++ {
		if c := s[j]; !(isIdentStart(c) || isDigit(c) || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// hostToken returns the host-looking start of a URL that does not parse: after an
// optional scheme and user information, up to the first character that cannot be
// part of a host and port.
func hostToken(raw string) string {
	s := strings.TrimSpace(raw)
	if hasScheme(s) {
		s = s[strings.Index(s, "://")+3:]
	}
	if i := strings.IndexAny(s, "/?#\\ \t\r\n\"'<>"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// cleanPath cleans p lexically (collapsing "//", "." and "..", dropping a trailing
// "/") and maps the iOS aliases /var, /tmp and /etc to their /private targets.
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	p = path.Clean(p)
	for _, a := range [...]string{"/var", "/tmp", "/etc"} { // iOS symlinks into /private
		if strings.HasPrefix(p, a) && (len(p) == len(a) || p[len(a)] == '/') {
			return "/private" + p
		}
	}
	return p
}

// base returns the last "/"-separated element of s ("" if s ends with "/").
func base(s string) string {
	return s[strings.LastIndexByte(s, '/')+1:]
}
