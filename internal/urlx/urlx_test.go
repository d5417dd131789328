package urlx_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/urlx"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		// Links a reader sees.
		{"https_in_sentence", "New secrets about detainees: https://a.example/x?id=1 read now", []string{"https://a.example/x?id=1"}},
		{"closing_paren_and_period", "see https://a.example/x).", []string{"https://a.example/x"}},
		{"balanced_parens_kept", "(https://en.wikipedia.org/wiki/Go_(language))", []string{"https://en.wikipedia.org/wiki/Go_(language)"}},
		{"balanced_brackets_kept", "https://a.example/list[1]", []string{"https://a.example/list[1]"}},
		{"trailing_punctuation", "Go to https://a.example/path!?, then http://b.example:", []string{"https://a.example/path", "http://b.example"}},
		{"quotes_and_angles", `"https://a.example/q" <https://b.example/r> 'https://c.example/s'`, []string{"https://a.example/q", "https://b.example/r", "https://c.example/s"}},
		{"upper_case_scheme", "HTTPS://A.EXAMPLE/X", []string{"HTTPS://A.EXAMPLE/X"}},
		{"ftp", "ftp://files.example.org/pub/x.tar.gz", []string{"ftp://files.example.org/pub/x.tar.gz"}},
		{"port_and_userinfo", "http://user:pw@10.0.0.1:8080/admin", []string{"http://user:pw@10.0.0.1:8080/admin"}},
		{"ipv6", "http://[2001:db8::1]:443/x", []string{"http://[2001:db8::1]:443/x"}},
		{"host_only", "http://intranet", []string{"http://intranet"}},
		{"www_host", "Visit www.example.com.", []string{"www.example.com"}},
		{"www_with_path", "www.example.com/a/b?c=d#e", []string{"www.example.com/a/b?c=d#e"}},
		{"www_digits", "WWW2.example.org", []string{"WWW2.example.org"}},
		{"bare_host_path", "Tap bit.ly/3xYzAb to track your parcel", []string{"bit.ly/3xYzAb"}},
		{"bare_host_path_in_parens", "(bit.ly/3xYzAb)", []string{"bit.ly/3xYzAb"}},
		{"after_colon", "link:https://a.example/x", []string{"https://a.example/x"}},
		{"comma_separated", "https://a.example,https://b.example/y", []string{"https://a.example", "https://b.example/y"}},
		{"nested_url_stays_one", "https://r.example/?u=https://b.example/", []string{"https://r.example/?u=https://b.example/"}},
		{"duplicates_once", "https://a.example https://b.example https://a.example", []string{"https://a.example", "https://b.example"}},
		{"idn_host", "https://bücher.example/straße", []string{"https://bücher.example/straße"}},
		{"idn_bare_www", "www.例え.テスト/パス", []string{"www.例え.テスト/パス"}},
		{"punycode", "https://xn--bcher-kva.example/ and www.xn--80ak6aa92e.xn--p1ai", []string{"https://xn--bcher-kva.example/", "www.xn--80ak6aa92e.xn--p1ai"}},
		{"cjk_punctuation_ends", "请访问https://x.example/a，谢谢", []string{"https://x.example/a"}},
		{"emoji_ends", "https://x.example/a😀b", []string{"https://x.example/a"}},
		{"newline_ends", "https://x.example/a\nhttps://y.example/b", []string{"https://x.example/a", "https://y.example/b"}},

		// Text that is not a link.
		{"eg_is_not", "e.g. this, i.e. that", nil},
		{"file_name_is_not", "open file.txt and notes.pdf", nil},
		{"scheme_alone", "http:// and https://. and ftp://", nil},
		{"empty_host", "https:///path", nil},
		{"bad_host", "https://-a.example/ https://.example/", nil},
		{"www_without_tld", "www.example", nil},
		{"email_is_not", "write to user@www.example.com or user@example.com", nil},
		{"numbers_are_not", "1.5/2 v2.0/beta 3.14", nil},
		{"single_letter_tld", "a.b/c", nil},
		{"scheme_inside_word", "xhttps://a.example/", nil},
		{"abbreviation_slash", "a.m./p.m.", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := urlx.Extract(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestExtractBounds(t *testing.T) {
	t.Run("max_urls", func(t *testing.T) {
		var b strings.Builder
		for i := range urlx.MaxURLs + 50 {
			b.WriteString("https://h")
			b.WriteString(strings.Repeat("a", i%7+1))
			b.WriteString(".example/")
			b.WriteString(strings.Repeat("x", i))
			b.WriteByte(' ')
		}
		if got := len(urlx.Extract(b.String())); got != urlx.MaxURLs {
			t.Errorf("got %d links, want %d", got, urlx.MaxURLs)
		}
	})
	t.Run("long_url_is_cut", func(t *testing.T) {
		u := "https://padded.example/" + strings.Repeat("é", urlx.MaxURLBytes)
		got := urlx.Extract("x " + u + " y")
		if len(got) != 1 || len(got[0]) > urlx.MaxURLBytes || !strings.HasPrefix(u, got[0]) || !utf8.ValidString(got[0]) {
			t.Fatalf("got %d links, first %d bytes; want one prefix of at most %d bytes", len(got), len(got[0]), urlx.MaxURLBytes)
		}
	})
	t.Run("invalid_utf8_separates", func(t *testing.T) {
		got := urlx.Extract("https://a.example/x\xffhttps://b.example/y")
		want := []string{"https://a.example/x", "https://b.example/y"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	text := strings.Repeat("Meet at 5, see https://maps.example/?q=Bern and www.example.org/a. ", 20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		urlx.Extract(text)
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"see https://a.example/x).", "www.example.com", "bit.ly/abc", "http://[::1]:80/",
		"https://a.example,https://b.example", "(((https://x.example/a_(b)))", "www.www.www.",
		"ftp://u@h:1/", "https://例え.jp/パス、", "\xff\xfehttps://x.y/\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := urlx.Extract(text)
		if len(got) > urlx.MaxURLs {
			t.Fatalf("%d links, more than %d", len(got), urlx.MaxURLs)
		}
		seen := map[string]bool{}
		for _, u := range got {
			if u == "" || !strings.Contains(text, u) {
				t.Fatalf("link %q is not a non-empty substring of the input", u)
			}
			if len(u) > urlx.MaxURLBytes || !utf8.ValidString(u) {
				t.Fatalf("link %q too long or not UTF-8", u)
			}
			if seen[u] {
				t.Fatalf("link %q returned twice", u)
			}
			seen[u] = true
		}
	})
}
