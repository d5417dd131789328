package ioc_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/ioc"
)

func TestPatternLeaves(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		leaves   []string
		problems []string
	}{
		{"simple", "[domain-name:value = 'evil.com']", []string{"domain-name:value = evil.com"}, nil},
		{"no_spaces_double_equals", "[domain-name:value=='evil.com']", []string{"domain-name:value = evil.com"}, nil},
		{"escapes", `[file:name = 'it\'s \\ here']`, []string{`file:name = it's \ here`}, nil},
		{"equals_in_value", "[url:value = 'http://x/?a=1&b=2']", []string{"url:value = http://x/?a=1&b=2"}, nil},
		{"quoted_step", "[file:hashes.'SHA-256' = 'ab']", []string{"file:hashes.'SHA-256' = ab"}, nil},
		{"unquoted_hyphen_step", "[file:hashes.SHA-256 = 'ab']", []string{"file:hashes.SHA-256 = ab"}, nil},
		{"quoted_first_step", "[x-thing:'odd key' = 'v']", []string{"x-thing:'odd key' = v"}, nil},
		{"list_steps", "[x:list[*].field = 'v' OR x:list[2].f = 'w' OR x:list[-1].f = 'u']", []string{"x:list[*].field = v", "x:list[2].f = w", "x:list[-1].f = u"}, nil},
		{"observation_or", "[a:b = '1'] OR [a:b = '2'] OR [c:d = '3']", []string{"a:b = 1", "a:b = 2", "c:d = 3"}, nil},
		{"comparison_or_parens", "[(a:b = '1' OR a:b = '2') OR (a:b = '3')]", []string{"a:b = 1", "a:b = 2", "a:b = 3"}, nil},
		{"in_list", "[a:b IN ('1', '2')]", []string{"a:b = 1", "a:b = 2"}, nil},
		{"in_empty", "[a:b IN ()]", nil, nil},
		{"in_mixed", "[a:b IN ('1', 2)]", []string{"a:b = 1"}, []string{`invalid value: non-string value 2 for "a:b"`}},
		{"and_same", "[a:b = '1' AND a:b = '1']", []string{"a:b = 1"}, nil},
		{"and_same_observations", "([a:b = '1'] AND [a:b = '1']) FOLLOWEDBY [a:b = '1']", []string{"a:b = 1"}, nil},
		{"and_different", "[a:b = '1' AND a:b = '2']", nil, []string{"compound pattern: AND joins different comparisons; one of them alone is not a match"}},
		{"and_binds_tighter", "[a:b = '1' OR a:b = '2' AND a:c = '3']", []string{"a:b = 1"}, []string{"compound pattern: AND joins different comparisons; one of them alone is not a match"}},
		{"observation_and_binds_tighter", "[a:b = '1'] AND [a:b = '2'] OR [a:c = '3']", []string{"a:c = 3"}, []string{"compound pattern: AND joins different comparisons; one of them alone is not a match"}},
		{"followedby_lowest", "[a:b = '1'] OR [a:b = '2'] FOLLOWEDBY [a:c = '3']", nil, []string{"compound pattern: FOLLOWEDBY joins different comparisons; one of them alone is not a match"}},
		{"and_with_qualifier_inside", "[a:b = '1'] AND ([a:b = '1'] WITHIN 5 SECONDS)", nil, []string{"compound pattern: AND joins different comparisons; one of them alone is not a match"}},
		{"within", "[a:b = '1'] WITHIN 300 SECONDS", nil, []string{"qualified observation: observation with a WITHIN, REPEATS or START/STOP qualifier cannot be matched alone"}},
		{"within_float", "[a:b = '1'] WITHIN 2.5 SECONDS", nil, []string{"qualified observation: observation with a WITHIN, REPEATS or START/STOP qualifier cannot be matched alone"}},
		{"repeats_and_start_stop", "([a:b = '1'] REPEATS 2 TIMES) START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00.123Z'", nil, []string{"qualified observation: observation with a WITHIN, REPEATS or START/STOP qualifier cannot be matched alone"}},
		{"negated", "[a:b NOT = '1']", nil, []string{`unsupported operator: negated comparison on "a:b"`}},
		{"not_in", "[a:b NOT IN ('1')]", nil, []string{`unsupported operator: negated comparison on "a:b"`}},
		{"operators", "[a:b != '1' OR a:b <> '1' OR a:b < 2 OR a:b <= 2 OR a:b > 2.5 OR a:b >= -2 OR a:b LIKE 'x%' OR a:b MATCHES '^x' OR a:b ISSUBSET '10.0.0.0/8' OR a:b ISSUPERSET '10.0.0.0/8' OR EXISTS a:c]", nil, []string{
			`unsupported operator: operator != on "a:b"`, `unsupported operator: operator != on "a:b"`, `unsupported operator: operator < on "a:b"`, `unsupported operator: operator <= on "a:b"`,
			`unsupported operator: operator > on "a:b"`, `unsupported operator: operator >= on "a:b"`, `unsupported operator: operator LIKE on "a:b"`, `unsupported operator: operator MATCHES on "a:b"`,
			`unsupported operator: operator ISSUBSET on "a:b"`, `unsupported operator: operator ISSUPERSET on "a:b"`, `unsupported operator: operator EXISTS on "a:c"`,
		}},
		{"literals", "[a:b = t'2020-01-01T00:00:00Z' OR a:b = h'00ff' OR a:b = b'AAEC' OR a:b = b64'AAEC' OR a:b = true OR a:b = false OR a:b = +1 OR a:b = -0.5 OR a:b = .5]", nil, []string{
			`invalid value: non-string value 2020-01-01T00:00:00Z for "a:b"`, `invalid value: non-string value 00ff for "a:b"`, `invalid value: non-string value AAEC for "a:b"`, `invalid value: non-string value AAEC for "a:b"`,
			`invalid value: non-string value true for "a:b"`, `invalid value: non-string value false for "a:b"`, `invalid value: non-string value +1 for "a:b"`, `invalid value: non-string value -0.5 for "a:b"`,
			`invalid value: non-string value .5 for "a:b"`,
		}},
		{"white_space", "\n\t[ domain-name : value\r\n=\t'evil.com' ]  ", []string{"domain-name:value = evil.com"}, nil},
		{"unicode_value", "[domain-name:value = 'évil.example']", []string{"domain-name:value = évil.example"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaves, problems, err := ioc.PatternLeaves(tt.pattern)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.pattern, err)
			}
			if diff := cmp.Diff(tt.leaves, leaves); diff != "" {
				t.Errorf("leaves (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	tests := []struct {
		name, pattern, err string
	}{
		{"empty", "", "offset 0: unexpected end of pattern"},
		{"no_brackets", "domain-name:value = 'x'", `offset 0: unexpected "domain-name"`},
		{"unclosed_bracket", "[a:b = 'x'", "offset 10: unexpected end of pattern"},
		{"unterminated_string", "[a:b = 'x]", "offset 7: unterminated string"},
		{"bad_escape", `[a:b = 'x\n']`, "offset 9: invalid escape in string"},
		{"trailing_backslash", `[a:b = 'x\`, "offset 9: invalid escape in string"},
		{"lower_case_keyword", "[a:b = '1'] or [a:b = '2']", `offset 12: unexpected "or"`},
		{"missing_value", "[a:b = ]", `offset 7: unexpected "]"`},
		{"missing_path", "[= 'x']", `offset 1: unexpected "="`},
		{"missing_step", "[a: = 'x']", `offset 4: unexpected "="`},
		{"missing_type", "[:b = 'x']", `offset 1: unexpected ":"`},
		{"bang", "[a:b ! 'x']", `offset 5: unexpected "!"`},
		{"like_number", "[a:b LIKE 5]", `offset 10: unexpected "5"`},
		{"in_no_parens", "[a:b IN 'x']", `offset 8: unexpected "'x'"`},
		{"in_unclosed", "[a:b IN ('x'", "offset 12: unexpected end of pattern"},
		{"bad_timestamp", "[a:b = t'yesterday']", `offset 7: invalid literal "yesterday"`},
		{"bad_hex", "[a:b = h'0g']", `offset 7: invalid literal "0g"`},
		{"bad_base64", "[a:b = b'!!']", `offset 7: invalid literal "!!"`},
		{"unknown_prefix", "[a:b = x'1']", `offset 8: unexpected quote after "x"`},
		{"bad_number", "[a:b = 12ab]", "offset 7: invalid number"},
		{"lone_dot_number", "[a:b = 1.]", "offset 7: invalid number"},
		{"within_no_unit", "[a:b = '1'] WITHIN 5", "offset 20: unexpected end of pattern"},
		{"repeats_float", "[a:b = '1'] REPEATS 1.5 TIMES", `offset 20: unexpected "1.5"`},
		{"start_no_stop", "[a:b = '1'] START t'2020-01-01T00:00:00Z'", "offset 41: unexpected end of pattern"},
		{"index_not_int", "[a:b['x'] = '1']", `offset 5: unexpected "'x'"`},
		{"trailing_garbage", "[a:b = '1'] x", `offset 12: unexpected "x"`},
		{"control_char", "[a:b = '1']\x00", `offset 11: unexpected character "\x00"`},
		{"non_ascii_outside_string", "[a:b = '1'] \u00e9", `offset 12: unexpected character "\xc3"`},
		{"not_alone", "[NOT a:b = '1']", `offset 5: unexpected "a"`},
		{"too_deep_observations", strings.Repeat("(", 70) + "[a:b = '1']" + strings.Repeat(")", 70), "offset 64: nesting deeper than 64"},
		{"too_deep_comparisons", "[" + strings.Repeat("(", 70) + "a:b = '1'" + strings.Repeat(")", 70) + "]", "offset 64: nesting deeper than 64"},
		{"too_long", "[a:b = '" + strings.Repeat("x", 64<<10) + "']", "offset 0: pattern longer than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ioc.PatternLeaves(tt.pattern)
			if err == nil {
				t.Fatalf("parse %q: no error, want %q", tt.pattern, tt.err)
			}
			if err.Error() != tt.err {
				t.Errorf("parse %q: error %q, want %q", tt.pattern, err, tt.err)
			}
		})
	}
}
