// Package safetext makes text taken from evidence safe to store and to show.
//
// Evidence may hold invalid UTF-8 and terminal escape sequences planted by an attacker
// who knows which tools analysts run. Results files keep every byte (invalid bytes are
// written as \xNN, as MVT does); the console never receives a raw control character.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// EscapeInvalid returns s with every byte that is not part of valid UTF-8 written as
// the four characters \xNN, so that no byte of evidence text is lost when it is stored
// in JSON. Valid strings are returned unchanged, without allocating.
func EscapeInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// Terminal returns s fit for a terminal or a log line: control characters (ESC, CR,
// BEL, C1 controls, bidirectional overrides…) are shown as \xNN or \u{NNNN} escapes,
// invalid UTF-8 as \xNN. Newlines and tabs are escaped too, so one finding stays on one
// line.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u{%04x}`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune) bool {
	if r == utf8.RuneError {
		return true
	}
	if unicode.IsControl(r) {
		return true
	}
	// Bidirectional formatting characters can reorder what a terminal displays.
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// Truncate shortens s to at most n bytes on a rune boundary, adding "…" when cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
