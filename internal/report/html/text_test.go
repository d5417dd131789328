package html

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		shown string
		marks int
		full  int
	}{
		{"plain text\twith tab\nand newline", 100, "plain text\twith tab\nand newline", 0, 0},
		{"é and 🎉 and 👩‍💻", 100, "é and 🎉 and 👩‍💻", 0, 0},
		{"esc\x1b[0m bell\x07 del\x7f", 100, `esc\x1b[0m bell\x07 del\x7f`, 3, 0},
		{"c1\u009b rtl\u202e zw\u200b bom\ufeff ls\u2028", 100, `c1\u{009b} rtl\u{202e} zw\u{200b} bom\u{feff} ls\u{2028}`, 5, 0},
		{"bad\xff\xc3", 100, `bad\xff\xc3`, 2, 0},
		{"abcdef", 3, "abc", 0, 6},
		{"ééé", 3, "é", 0, 6}, // never a split rune
		{"", 10, "", 0, 0},
	} {
		got := newText(tc.in, tc.limit)
		marks := 0
		for _, s := range got.Segs {
			if s.C {
				marks++
			}
		}
		if got.String() != tc.shown || marks != tc.marks || got.Full != tc.full {
			t.Errorf("newText(%q, %d) = %q (%d marks, full %d), want %q (%d, %d)", tc.in, tc.limit, got.String(), marks, got.Full, tc.shown, tc.marks, tc.full)
		}
	}
}

func TestGenericKeepsBytes(t *testing.T) {
	type rec struct {
		Name  string   `json:"name"`
		Items []string `json:"items"`
	}
	v := generic(map[string]any{"raw": "in\xffvalid", "typed": rec{"n", []string{"a"}}, "n": 3})
	got := compactJSON(v)
	if !strings.Contains(v.(map[string]any)["raw"].(string), "\xff") {
		t.Error("generic changed the bytes of a string")
	}
	if !strings.Contains(got, `"typed":{"items":["a"],"name":"n"}`) || !strings.Contains(got, `"n":3`) {
		t.Errorf("generic = %s", got)
	}
}

func TestModuleKey(t *testing.T) {
	for in, want := range map[string]string{
		"sms_attachments":         "smsattachments",
		"SMSAttachments":          "smsattachments",
		"interaction_c":           "interactionc",
		"InteractionC":            "interactionc",
		"Phone Number":            "phonenumber",
		"<script>":                "script",
		strings.Repeat("ab", 100): strings.Repeat("ab", 32),
	} {
		if got := moduleKey(in); got != want {
			t.Errorf("moduleKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzText checks that whatever the evidence holds, the displayed text is valid UTF-8
// without a control or invisible character outside the marked escapes, within its
// limit, and that redaction never fails on it.
func FuzzText(f *testing.F) {
	f.Add("plain", 10)
	f.Add("esc\x1b[0m\u202e\xff\xc3 +41 79 123 45 67 a@b.ch", 8)
	f.Add(strings.Repeat("é", 50), 7)
	r := newRedactor(true, nil)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 0 || limit > 1<<16 {
			return
		}
		for _, tx := range []richText{newText(s, limit), r.text(s, limit)} {
			shown := 0
			for _, sg := range tx.Segs {
				if !utf8.ValidString(sg.S) {
					t.Fatalf("segment %q is not UTF-8", sg.S)
				}
				if sg.C {
					continue
				}
				shown += len(sg.S)
				for _, c := range sg.S {
					if invisible(c) {
						t.Fatalf("segment %q holds %U unmarked", sg.S, c)
					}
				}
			}
			if shown > limit+len(Redacted) && tx.Full == 0 {
				t.Fatalf("%d bytes shown for a limit of %d, not said to be cut", shown, limit)
			}
		}
	})
}
