package html

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Display limits, in bytes: text longer than this is cut for display, and the page says
// so. The results files keep every byte.
const (
	maxMessage     = 2000 // an alert's message
	maxValue       = 4000 // a record value, a fact, a problem
	maxExplanation = 8000 // meaning, false positive, advice
	maxDescription = 600  // a timeline description
	maxName        = 300  // module names, event names, keys, file names
	redactMargin   = 64   // bytes kept past a limit before redaction, so a cut never splits a number that redaction must see whole
	maxJSONInput   = 1 << 20
)

// seg is one piece of displayed text: plain text, or (C) the visible escape of a
// control character, an invisible formatting character or a byte that is not UTF-8.
type seg struct {
	S string
	C bool
}

// richText is evidence text made fit for the page: cut to a display limit and split into
// plain pieces and visible escapes. The template escapes every piece.
type richText struct {
	Segs []seg
	// Full is the length in bytes of the whole text when it was cut, 0 when it is whole.
	Full int
}

// String returns the displayed text (escapes included), for tests and for sorting.
func (t richText) String() string {
	var b strings.Builder
	for _, s := range t.Segs {
		b.WriteString(s.S)
	}
	return b.String()
}

// Empty reports whether there is nothing to show.
func (t richText) Empty() bool { return len(t.Segs) == 0 && t.Full == 0 }

// FullSize writes Full with thousands separators.
func (t richText) FullSize() string { return groupDigits(int64(t.Full)) }

// newText cuts s to limit bytes (on a rune boundary) and splits it into segments.
func newText(s string, limit int) richText {
	var t richText
	if len(s) > limit {
		t.Full = len(s)
		s = cutString(s, limit)
	}
	t.Segs = segments(s)
	return t
}

// cutString returns the longest prefix of s of at most n bytes that does not split a
// rune.
func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// segments splits s into plain text and visible escapes.
func segments(s string) []seg {
	if s == "" {
		return nil
	}
	if plain(s) {
		return []seg{{S: s}}
	}
	var out []seg
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && size == 1:
			esc = fmt.Sprintf(`\x%02x`, s[i])
		case invisible(r):
			if r < 0x80 {
				esc = fmt.Sprintf(`\x%02x`, r)
			} else {
				esc = fmt.Sprintf(`\u{%04x}`, r)
			}
		}
		if esc == "" {
			i += size
			continue
		}
		if start < i {
			out = append(out, seg{S: s[start:i]})
		}
		out = append(out, seg{S: esc, C: true})
		i += size
		start = i
	}
	if start < len(s) {
		out = append(out, seg{S: s[start:]})
	}
	return out
}

// plain reports whether s is printable ASCII (tabs and newlines allowed), the common
// case that needs no look at runes.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || (c < 0x20 && c != '\n' && c != '\t') {
			return false
		}
	}
	return true
}

// invisible reports the runes shown as escapes: control characters but tab and
// newline, and format characters (bidirectional overrides and marks, zero-width
// spaces, the byte-order mark, tag characters) that can hide or reorder text, and the
// line and paragraph separators. The zero-width joiner, part of many emoji, is kept.
func invisible(r rune) bool {
	switch {
	case r == '\n' || r == '\t' || r == 0x200d:
		return false
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// compactJSON renders a value decoded from JSON back as compact JSON, without HTML
// escaping (the template escapes), for nested record values.
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("(not JSON: %v)", err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// scalar renders a value decoded from JSON for a table cell: strings as they are,
// everything else as compact JSON.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	}
	return compactJSON(v)
}

// groupDigits writes n with commas between thousands.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural returns "1 alert", "2 alerts".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return groupDigits(int64(n)) + " " + many
}

// moduleKey is the name of a module reduced to lower-case letters and digits, which
// makes a module's slug ("sms_attachments") and its MVT class name ("SMSAttachments",
// timeline.csv's Plugin column) the same key.
func moduleKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}
