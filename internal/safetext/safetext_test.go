package safetext_test

import (
	"testing"

	"github.com/spytrace/spytrace/internal/safetext"
)

func TestEscapeInvalid(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"é and 🎉":       "é and 🎉",
		"bad\xffbyte":   `bad\xffbyte`,
		"\xc3":          `\xc3`,
		"ok\xe2\x82end": `ok\xe2\x82end`,
		"":              "",
	} {
		if got := safetext.EscapeInvalid(in); got != want {
			t.Errorf("EscapeInvalid(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"https://example.org/x": "https://example.org/x",
		"\x1b]0;owned\x07title": `\x1b]0;owned\x07title`,
		"line\nbreak\tand tab":  `line\nbreak\tand tab`,
		"carriage\rreturn":      `carriage\x0dreturn`,
		"rtl\u202eevil":         `rtl\u{202e}evil`,
		"c1\u009bcontrol":       `c1\u{009b}control`,
		"bad\xff":               `bad\xff`,
		"é ok":                  "é ok",
	} {
		if got := safetext.Terminal(in); got != want {
			t.Errorf("Terminal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	if got := safetext.Truncate("héllo", 2); got != "h…" {
		t.Errorf("Truncate cut a rune: %q", got)
	}
	if got := safetext.Truncate("short", 10); got != "short" {
		t.Errorf("Truncate = %q", got)
	}
}
