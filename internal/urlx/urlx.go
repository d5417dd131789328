// Package urlx finds the links a person would see in free text: a message, a note, a
// calendar entry. It finds http, https and ftp URLs, bare "www." hosts
// ("www.example.org/page"), and bare host names followed by a path ("bit.ly/3abc"),
// which is what MVT's link extraction finds, without a regular expression.
//
// The text is scanned once, left to right, with no backtracking: the cost is linear in
// its length. A link ends at white space, at a control character, at one of <>"`{}|\^,
// or at a character that is neither a letter, a mark nor a digit outside ASCII (CJK
// punctuation, emoji, typographic quotes). Trailing punctuation is then trimmed the way
// a reader would: "see https://a.example/x)." gives https://a.example/x, while the
// balanced brackets of https://en.wikipedia.org/wiki/Go_(language) are kept.
// Internationalised (Unicode) and punycode host names are kept as written.
package urlx

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of [Extract].
const (
	// MaxURLs is the largest number of links returned for one text.
	MaxURLs = 1000
	// MaxURLBytes is the longest link returned; a longer one is cut to this length (at
	// a character boundary), so that padding cannot hide a link's host.
	MaxURLBytes = 8 << 10
)

// Extract returns the links found in text, de-duplicated, in order of appearance.
// Every link is a substring of text; links keep the form they have in the text (no
// scheme is added to "www." hosts). It returns nil when there is none.
func Extract(text string) []string {
	var out []string
	var seen map[string]bool
	for i := 0; i < len(text) && len(out) < MaxURLs; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isSeparator(r, size) {
			i += size
			continue
		}
		j := i
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if isSeparator(r, size) {
				break
			}
			j += size
		}
		for _, u := range fromToken(text[i:j], MaxURLs-len(out)) {
			if seen[u] {
				continue
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[u] = true
			out = append(out, u)
		}
		i = j
	}
	return out
}

// isSeparator reports whether a character ends a token: a link never spans it.
func isSeparator(r rune, size int) bool {
	if r == utf8.RuneError && size <= 1 {
		return true // invalid UTF-8
	}
	if r < utf8.RuneSelf {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("<>\"`{}|\\^", r)
	}
	return !(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))
}

// fromToken returns the links in one token (a run of characters without separators),
// at most limit of them.
func fromToken(tok string, limit int) []string {
	var out []string
	for p := 0; p < len(tok) && len(out) < limit; {
		end, ok := linkAt(tok, p)
		if !ok {
			p++
			continue
		}
		if u := trimEnd(capLen(tok[p:end])); u != "" {
			out = append(out, u)
		}
		p = end
	}
	return out
}

// linkAt reports whether a link starts at tok[p], and where it ends.
func linkAt(tok string, p int) (end int, ok bool) {
	var prev byte
	if p > 0 {
		prev = tok[p-1]
	}
	switch c := tok[p]; {
	case (c == 'h' || c == 'H' || c == 'f' || c == 'F') && !isASCIIAlnum(prev):
		if n := schemeLen(tok[p:]); n > 0 {
			return schemeLink(tok, p, p+n)
		}
	case (c == 'w' || c == 'W') && (p == 0 || !isASCIIAlnum(prev) && !strings.ContainsRune("@.-_/", rune(prev))):
		if n := wwwLen(tok[p:]); n > 0 {
			return bareLink(tok, p, true)
		}
	}
	if isASCIIAlnum(tok[p]) || tok[p] >= utf8.RuneSelf {
		if p == 0 || strings.IndexByte("([{'*", prev) >= 0 {
			return bareLink(tok, p, false)
		}
	}
	return 0, false
}

// schemeLen returns the length of "http://", "https://" or "ftp://" (any case) at the
// start of s, or 0.
func schemeLen(s string) int {
	for _, scheme := range [...]string{"https://", "http://", "ftp://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			return len(scheme)
		}
	}
	return 0
}

// wwwLen returns the length of "www.", "www2." … "www999." (any case) at the start of
// s, or 0.
func wwwLen(s string) int {
	if len(s) < 4 || !strings.EqualFold(s[:3], "www") {
		return 0
	}
	i := 3
	for i < len(s) && i < 6 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '.' {
		return i + 1
	}
	return 0
}

// schemeLink parses the authority that starts at tok[a] (after "scheme://" at
// tok[p:]) and returns where the link ends: at the end of the token when a path, query
// or fragment follows the authority, else where the authority ends.
func schemeLink(tok string, p, a int) (int, bool) {
	e := a
	for e < len(tok) && e-p < MaxURLBytes && isAuthorityByte(tok, e) {
		_, size := utf8.DecodeRuneInString(tok[e:])
		e += size
	}
	if !validAuthority(tok[a:e]) {
		return 0, false
	}
	if e < len(tok) && strings.IndexByte("/?#", tok[e]) >= 0 {
		return len(tok), true
	}
	return e, true
}

// bareLink parses a host without a scheme at tok[p:]. A "www." host may stand alone; any
// other host must have a path ("bit.ly/x"), so that "e.g." or "file.txt" are not links.
func bareLink(tok string, p int, www bool) (int, bool) {
	e := p
	for e < len(tok) && e-p < MaxURLBytes {
		r, size := utf8.DecodeRuneInString(tok[e:])
		if !isHostRune(r) {
			break
		}
		e += size
	}
	host := strings.TrimRight(tok[p:e], ".") // "www.example.org." ends a sentence
	dots := strings.Count(host, ".")
	if !validHost(host) || dots < 1 || www && dots < 2 || !validTLD(host[strings.LastIndexByte(host, '.')+1:]) {
		return 0, false
	}
	switch {
	case e < len(tok) && strings.IndexByte("/?#", tok[e]) >= 0 && (www || tok[e] == '/'):
		return len(tok), true
	case www:
		return e, true
	}
	return 0, false
}

// isAuthorityByte reports whether the character at tok[i] may be part of a URL's
// authority (user information, host, port).
func isAuthorityByte(tok string, i int) bool {
	c := tok[i]
	if c >= utf8.RuneSelf {
		r, _ := utf8.DecodeRuneInString(tok[i:])
		return isHostRune(r)
	}
	return isASCIIAlnum(c) || strings.IndexByte("-._~%:@[]", c) >= 0
}

// validAuthority checks "[user[:password]@]host[:port]".
func validAuthority(auth string) bool {
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return false
		}
		host, port = auth[1:end], auth[end+1:]
		if host == "" || strings.Trim(host, "0123456789abcdefABCDEF:.") != "" {
			return false
		}
		if port != "" && port[0] != ':' {
			return false
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.IndexByte(auth, ':'); i >= 0 {
		host, port = auth[:i], auth[i+1:]
		if strings.Contains(host, "[") || strings.Contains(host, "]") || !validHost(host) {
			return false
		}
	} else if !validHost(host) {
		return false
	}
	return strings.Trim(port, "0123456789") == ""
}

// validHost checks a host name: labels of letters, digits, '-' and '_' separated by
// single dots, starting with a letter or digit.
func validHost(h string) bool {
	if h == "" || strings.HasSuffix(h, "..") {
		return false
	}
	h = strings.TrimSuffix(h, ".") // a trailing dot is a fully qualified name
	for label := range strings.SplitSeq(h, ".") {
		if label == "" {
			return false
		}
		r, _ := utf8.DecodeRuneInString(label)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
		for _, r := range label {
			if !isHostRune(r) {
				return false
			}
		}
	}
	return true
}

// validTLD accepts a top-level label of at least two letters, or a punycode one.
func validTLD(tld string) bool {
	if strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return len(tld) > 4
	}
	n := 0
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return false
		}
		n++
	}
	return n >= 2
}

func isHostRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r)) || r == '-' || r == '.' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// capLen cuts s to MaxURLBytes, at a character boundary.
func capLen(s string) string {
	if len(s) <= MaxURLBytes {
		return s
	}
	cut := MaxURLBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// trimEnd removes what a reader does not take as part of a link: trailing sentence
// punctuation and quotes, and closing brackets that have no opening one in the link.
func trimEnd(u string) string {
	parens := strings.Count(u, ")") - strings.Count(u, "(")
	brackets := strings.Count(u, "]") - strings.Count(u, "[")
	for len(u) > 0 {
		switch c := u[len(u)-1]; {
		case strings.IndexByte(".,:;!?'*", c) >= 0:
		case c == ')' && parens > 0:
			parens--
		case c == ']' && brackets > 0:
			brackets--
		default:
			return u
		}
		u = u[:len(u)-1]
	}
	return u
}
