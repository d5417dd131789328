package plistx_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/plistx"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
`

func TestDecode(t *testing.T) {
	when := time.Date(2021, 7, 18, 10, 20, 30, 0, time.UTC)
	var p rawPlist
	tests := []struct {
		name string
		data []byte
		want any
	}{
		{
			name: "binary_all_types",
			data: marshal(t, map[string]any{
				"s": "Pegasus", "u16": "Prédateur ✓", "i": int64(-5), "small": int64(7),
				"big": uint64(math.MaxUint64), "f": 1.5, "b": true, "d": []byte{1, 2},
				"t": when, "a": []any{int64(1), "two", map[string]any{}}, "uid": plist.UID(3),
			}, plist.BinaryFormat),
			want: map[string]any{
				"s": "Pegasus", "u16": "Prédateur ✓", "i": int64(-5), "small": int64(7),
				"big": uint64(math.MaxUint64), "f": 1.5, "b": true, "d": []byte{1, 2},
				"t": when, "a": []any{int64(1), "two", map[string]any{}}, "uid": plistx.UID(3),
			},
		},
		{
			name: "binary_hand_built",
			data: rawPlist{objs: [][]byte{
				p.arr(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
				{0x00}, // null
				{0x08}, // false
				append([]byte{0x14}, appendUint(appendUint(nil, 0, 8), math.MaxUint64, 8)...),               // 128-bit unsigned
				append([]byte{0x14}, appendUint(appendUint(nil, math.MaxUint64, 8), uint64(1<<64-7), 8)...), // 128-bit negative
				append([]byte{0x22}, appendUint(nil, uint64(math.Float32bits(0.25)), 4)...),                 // float32
				bpUTF16("a\U0001F600b"),
				{0x53, 'c', 0xe9, 'z'}, // "ASCII" with a Latin-1 byte
				{0x81, 0x01, 0x02},     // UID of 2 bytes
				p.container(0xc0, 1),   // set
				append([]byte{0x33}, appendUint(nil, math.Float64bits(1.5), 8)...), // date
				{0x11, 0x01, 0x00}, // 2-byte integer
				bpStr(strings.Repeat("x", 20)),
				append([]byte{0x33}, appendUint(nil, math.Float64bits(math.NaN()), 8)...), // NaN date
			}}.bytes(),
			want: []any{
				nil, false, uint64(math.MaxUint64), int64(-7), 0.25, "a\U0001F600b", "céz",
				plistx.UID(0x102), []any{nil}, time.Date(2001, 1, 1, 0, 0, 1, 500_000_000, time.UTC),
				int64(256), strings.Repeat("x", 20), time.Time{},
			},
		},
		{
			name: "xml",
			data: []byte(xmlHeader + `<dict>
	<key>name</key><string>spy &amp; ware</string>
	<key>neg</key><integer>-3</integer>
	<key>hex</key><integer>0x10</integer>
	<key>max</key><integer>18446744073709551615</integer>
	<key>real</key><real>2.5</real>
	<key>yes</key><true/>
	<key>no</key><false/>
	<key>when</key><date>2021-07-18T10:20:30Z</date>
	<key>blob</key><data>
	AQID
	</data>
	<key>list</key><array><string>a</string><dict/><array/></array>
	<key>ref</key><dict><key>CF$UID</key><integer>7</integer></dict>
</dict>
</plist>`),
			want: map[string]any{
				"name": "spy & ware", "neg": int64(-3), "hex": int64(16), "max": uint64(math.MaxUint64),
				"real": 2.5, "yes": true, "no": false, "when": when, "blob": []byte{1, 2, 3},
				"list": []any{"a", map[string]any{}, []any{}}, "ref": plistx.UID(7),
			},
		},
		{
			name: "openstep",
			data: []byte(`// comment
{
	name = "spy\"ware";   /* block comment */
	list = (a, "b c", <0102 0a>, ());
	nested = { k = v; "path/with//slashes" = x//y; };
}`),
			want: map[string]any{
				"name":   `spy"ware`,
				"list":   []any{"a", "b c", []byte{1, 2, 10}, []any{}},
				"nested": map[string]any{"k": "v", "path/with//slashes": "x//y"},
			},
		},
		{
			name: "gnustep",
			data: []byte(`{ i = <*I42>; n = <*I-1>; r = <*R1.5>; b = <*BY>; d = <*D2021-07-18 10:20:30 +0000>; x = <[AQI=]>; }`),
			want: map[string]any{
				"i": int64(42), "n": int64(-1), "r": 1.5, "b": true, "d": when, "x": []byte{1, 2},
			},
		},
		{
			name: "strings_file",
			data: []byte("\"greeting\" = \"hello\";\n\"bye\" = \"ciao\";\n"),
			want: map[string]any{"greeting": "hello", "bye": "ciao"},
		},
		{
			name: "openstep_utf16",
			data: append([]byte{0xff, 0xfe}, utf16LE(`("é", x)`)...),
			want: []any{"é", "x"},
		},
		{
			name: "openstep_uid",
			data: []byte(`{ r = { CF$UID = 12; }; }`),
			want: map[string]any{"r": plistx.UID(12)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plistx.Decode(tc.data, plistx.Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func utf16LE(s string) []byte {
	var out []byte
	for _, r := range s {
		out = binary.LittleEndian.AppendUint16(out, uint16(r))
	}
	return out
}

func utf16BE(s string) []byte {
	var out []byte
	for _, r := range s {
		out = binary.BigEndian.AppendUint16(out, uint16(r))
	}
	return out
}

func TestDecodeErrors(t *testing.T) {
	var p rawPlist
	good := rawPlist{objs: [][]byte{bpStr("ok")}}.bytes()
	tests := []struct {
		name      string
		data      []byte
		lim       plistx.Limits
		wantLimit string // Limit of the expected *LimitError, or ""
		wantSub   string // substring of the error message
	}{
		{name: "empty", data: nil, wantSub: "empty input"},
		{name: "max_bytes", data: good, lim: plistx.Limits{MaxBytes: 10}, wantLimit: "MaxBytes"},
		{name: "truncated", data: []byte("bplist00\x00"), wantSub: "truncated"},
		{name: "version_15", data: append([]byte("bplist15"), good[8:]...), wantSub: `unsupported header "bplist15"`},
		{name: "offset_table_beyond", data: rawPlist{objs: [][]byte{bpStr("ok")}, tableOff: 1 << 40}.bytes(), wantSub: "offset table"},
		{name: "offset_table_in_header", data: rawPlist{objs: [][]byte{bpStr("ok")}, tableOff: 3}.bytes(), wantSub: "offset table"},
		{name: "too_many_objects", data: rawPlist{objs: [][]byte{bpStr("ok")}, numObjects: 1 << 62}.bytes(), wantSub: "object count"},
		{name: "top_out_of_range", data: rawPlist{objs: [][]byte{bpStr("ok")}, top: 5}.bytes(), wantSub: "top object 5"},
		{name: "bad_offset_size", data: rawPlist{objs: [][]byte{bpStr("ok")}, offSize: 9}.bytes(), wantSub: "offset size"},
		{name: "ref_out_of_range", data: rawPlist{objs: [][]byte{p.arr(1, 9), {0x09}}}.bytes(), wantSub: "object 9 out of range"},
		{name: "offset_past_objects", data: func() []byte {
			b := rawPlist{objs: [][]byte{p.arr(1), {0x09}}}.bytes()
			b[len(b)-32-1] = 0xf0 // offset of object 1
			return b
		}(), wantSub: "outside the object area"},
		{name: "string_too_long", data: rawPlist{objs: [][]byte{{0x5f, 0x10, 0xff}}}.bytes(), wantSub: "run past"},
		{name: "data_count_huge", data: rawPlist{objs: [][]byte{append([]byte{0x4f, 0x13}, appendUint(nil, math.MaxUint64, 8)...)}}.bytes(), wantSub: "run past"},
		{name: "utf16_count_overflow", data: utf16Overflow(), wantSub: "UTF-16 units run past"},
		{name: "array_count_overflow", data: rawPlist{objs: [][]byte{append([]byte{0xaf, 0x13}, appendUint(nil, 1<<63, 8)...)}}.bytes(), wantSub: "references run past"},
		{name: "dict_count_overflow", data: rawPlist{objs: [][]byte{append([]byte{0xdf, 0x13}, appendUint(nil, 1<<63+1, 8)...)}}.bytes(), wantSub: "dictionary of"},
		{name: "bad_count_marker", data: rawPlist{objs: [][]byte{{0x5f, 0x22, 0, 0, 0, 0}}}.bytes(), wantSub: "bad count marker"},
		{name: "non_string_key", data: rawPlist{objs: [][]byte{p.dict([]int{1}, []int{1}), {0x09}}}.bytes(), wantSub: "not a string"},
		{name: "array_contains_itself", data: rawPlist{objs: [][]byte{p.arr(1), p.arr(0)}}.bytes(), wantSub: "contains itself"},
		{name: "unknown_marker", data: rawPlist{objs: [][]byte{{0x0f}}}.bytes(), wantSub: "unknown marker 0x0f"},
		{name: "int_32_bytes", data: rawPlist{objs: [][]byte{{0x15}}}.bytes(), wantSub: "integer of 2^5 bytes"},
		{name: "int128_out_of_range", data: rawPlist{objs: [][]byte{append([]byte{0x14}, appendUint(appendUint(nil, 1, 8), 0, 8)...)}}.bytes(), wantSub: "128-bit"},
		{name: "uid_too_wide", data: rawPlist{objs: [][]byte{{0x8f}}}.bytes(), wantSub: "unknown marker"},
		{name: "real_truncated", data: rawPlist{objs: [][]byte{{0x23, 0, 0}}}.bytes(), wantSub: "run past"},
		{name: "binary_depth", data: nestedBinary(10), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "binary_depth_exact", data: nestedBinary(6), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "binary_objects", data: marshal(t, []any{1, 2, 3, 4, 5}, plist.BinaryFormat), lim: plistx.Limits{MaxObjects: 4}, wantLimit: "MaxObjects"},
		{name: "binary_dag", data: dagBinary(40), wantLimit: "MaxObjects"},
		{name: "binary_shared_payload", data: sharedPayload(), wantLimit: "MaxBytes", wantSub: "shared references"},
		{name: "xml_depth", data: []byte(xmlHeader + strings.Repeat("<array>", 10) + strings.Repeat("</array>", 10) + "</plist>"), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "xml_depth_exact", data: []byte(xmlHeader + strings.Repeat("<array>", 6) + strings.Repeat("</array>", 6) + "</plist>"), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "xml_memory", data: []byte(xmlHeader + "<array>" + strings.Repeat("<dict/>", 40) + "</array></plist>"), lim: plistx.Limits{MaxBytes: 4096}, wantLimit: "MaxBytes"},
		{name: "xml_bad", data: []byte(xmlHeader + "<dict><key>a</key></dict></plist>"), wantSub: "decode xml plist"},
		{name: "openstep_depth", data: []byte(strings.Repeat("(", 10) + strings.Repeat(")", 10)), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "openstep_depth_exact", data: []byte(strings.Repeat("(", 6) + strings.Repeat(")", 6)), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "openstep_memory", data: []byte("(" + strings.Repeat("(),", 60) + ")"), lim: plistx.Limits{MaxBytes: 4096}, wantLimit: "MaxBytes"},
		{name: "openstep_hexdata_memory", data: []byte("(" + strings.Repeat("<>,", 200) + ")"), lim: plistx.Limits{MaxBytes: 4096}, wantLimit: "MaxBytes"},
		{name: "openstep_escapes", data: []byte(`"` + strings.Repeat(`\n`, 100_000) + `"`), wantSub: "escape sequences"},
		{name: "openstep_utf16le_depth", data: append([]byte{0xff, 0xfe}, utf16LE(strings.Repeat("(", 10))...), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "openstep_utf16be_depth", data: utf16BE(strings.Repeat("(", 10)), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "openstep_utf8_bom_depth", data: append([]byte{0xef, 0xbb, 0xbf}, strings.Repeat("{a=", 10)...), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "openstep_utf16_odd", data: append([]byte{0xff, 0xfe}, append(utf16LE(strings.Repeat("(", 10)), 0)...), lim: plistx.Limits{MaxDepth: 5}, wantSub: "decode text plist"},
		{name: "openstep_unterminated", data: []byte(`("abc`), wantSub: "decode text plist"},
		// Brackets hidden in a comment must not hide real nesting, and vice versa.
		{name: "openstep_depth_after_comment", data: []byte("(/* \" */ " + strings.Repeat("(", 10) + strings.Repeat(")", 11)), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
		{name: "openstep_depth_after_gnustep", data: []byte(`(<*I5">, ` + strings.Repeat("(", 10) + strings.Repeat(")", 11)), lim: plistx.Limits{MaxDepth: 5}, wantLimit: "MaxDepth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plistx.Decode(tc.data, tc.lim)
			if err == nil {
				t.Fatalf("Decode = %#v, want an error", got)
			}
			if l := limitOf(err); l != tc.wantLimit {
				t.Errorf("Decode error %q: limit %q, want %q", err, l, tc.wantLimit)
			}
			if !strings.Contains(err.Error(), tc.wantSub) {
				t.Errorf("Decode error %q does not contain %q", err, tc.wantSub)
			}
			var v any
			if err := plistx.DecodeInto(tc.data, &v, tc.lim); err == nil {
				t.Errorf("DecodeInto succeeded, want an error")
			}
		})
	}
}

// utf16Overflow is a binary plist whose UTF-16 string count overflows when doubled:
// the plist library checks the doubled (wrapped) length, then asks for a slice of
// 2^63+1 elements and panics with a runtime error it re-raises.
func utf16Overflow() []byte {
	obj := append([]byte{0x6f, 0x13}, appendUint(nil, 1<<63+1, 8)...)
	return rawPlist{objs: [][]byte{append(obj, 0, 'a')}}.bytes()
}

// nestedBinary is n arrays nested in one another around an integer.
func nestedBinary(n int) []byte {
	p := rawPlist{refSize: 4}
	for i := 0; i < n; i++ {
		p.objs = append(p.objs, p.arr(i+1))
	}
	p.objs = append(p.objs, bpInt(1))
	return p.bytes()
}

// sharedPayload is an array referencing one 100 KB data object 2,000 times: 200 MB
// of copies from a 100 KB input.
func sharedPayload() []byte {
	var p rawPlist
	refs := make([]int, 2000)
	for i := range refs {
		refs[i] = 1
	}
	return rawPlist{objs: [][]byte{p.arr(refs...), append(bpCount(0x40, 100_000), make([]byte, 100_000)...)}}.bytes()
}

// dagBinary is n levels of arrays each holding the next level twice: 2^n leaves.
func dagBinary(n int) []byte {
	var p rawPlist
	for i := 0; i < n; i++ {
		p.objs = append(p.objs, p.arr(i+1, i+1))
	}
	p.objs = append(p.objs, bpStr("leaf"))
	return p.bytes()
}

// TestDecodeHostileNesting feeds a million levels of nesting in every format: the
// plist library alone would overflow the stack (a fatal error no recover catches).
func TestDecodeHostileNesting(t *testing.T) {
	const n = 1_000_000
	tests := []struct {
		name string
		data []byte
	}{
		{name: "binary", data: nestedBinary(n)},
		{name: "xml", data: []byte(xmlHeader + strings.Repeat("<array>", n))},
		{name: "openstep", data: []byte(strings.Repeat("(", n))},
		{name: "openstep_dict", data: []byte(strings.Repeat("{a=", n))},
		{name: "strings_file", data: []byte(`a = ` + strings.Repeat("(", n))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := plistx.Decode(tc.data, plistx.Limits{})
			if limitOf(err) != "MaxDepth" {
				t.Errorf("Decode error %v, want MaxDepth", err)
			}
			var v any
			if err := plistx.DecodeInto(tc.data, &v, plistx.Limits{}); limitOf(err) != "MaxDepth" {
				t.Errorf("DecodeInto error %v, want MaxDepth", err)
			}
			if d := time.Since(start); d > time.Minute {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestDecodeLibraryPanic(t *testing.T) {
	// The plist library re-panics Go runtime errors: show it does on this input, so
	// that the test keeps meaning something if the library changes.
	func() {
		defer func() {
			if recover() == nil {
				t.Log("plist.Unmarshal no longer panics on the UTF-16 overflow input")
			}
		}()
		var v any
		_, _ = plist.Unmarshal(utf16Overflow(), &v)
	}()
	if _, err := plistx.Decode(utf16Overflow(), plistx.Limits{}); err == nil {
		t.Errorf("Decode: no error")
	}

	// A panic raised inside the library while it fills the caller's value (a map
	// with integer keys cannot take string keys) is an error, not a crash.
	data := []byte(xmlHeader + "<dict><key>a</key><string>b</string></dict></plist>")
	var m map[int]string
	err := plistx.DecodeInto(data, &m, plistx.Limits{})
	if err == nil || !strings.Contains(err.Error(), "plist library panic") {
		t.Errorf("DecodeInto into map[int]string: error %v, want a recovered panic", err)
	}
}

func TestDecodeInto(t *testing.T) {
	type info struct {
		Name    string    `plist:"Device Name"`
		Version string    `plist:"Product Version"`
		Size    int64     `plist:"Size"`
		When    time.Time `plist:"Last Backup Date"`
		Blob    []byte    `plist:"Blob"`
	}
	src := map[string]any{
		"Device Name": "iPhone", "Product Version": "17.5", "Size": int64(42),
		"Last Backup Date": time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), "Blob": []byte{9},
	}
	want := info{Name: "iPhone", Version: "17.5", Size: 42, When: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), Blob: []byte{9}}
	for _, tc := range []struct {
		name   string
		format int
	}{{"binary", plist.BinaryFormat}, {"xml", plist.XMLFormat}} {
		t.Run(tc.name, func(t *testing.T) {
			var got info
			if err := plistx.DecodeInto(marshal(t, src, tc.format), &got, plistx.Limits{}); err != nil {
				t.Fatalf("DecodeInto: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DecodeInto (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("openstep_lax", func(t *testing.T) {
		var got struct {
			N int  `plist:"n"`
			B bool `plist:"b"`
		}
		if err := plistx.DecodeInto([]byte(`{ n = 12; b = true; }`), &got, plistx.Limits{}); err != nil {
			t.Fatalf("DecodeInto: %v", err)
		}
		if got.N != 12 || !got.B {
			t.Errorf("DecodeInto = %+v", got)
		}
	})
	t.Run("unreferenced_objects", func(t *testing.T) {
		// The top object is a string; 20 more objects are never referenced, but the
		// plist library would size a table for all of them.
		p := rawPlist{objs: [][]byte{bpStr("top")}}
		for i := 0; i < 20; i++ {
			p.objs = append(p.objs, []byte{0x09})
		}
		data := p.bytes()
		if _, err := plistx.Decode(data, plistx.Limits{MaxObjects: 10}); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		var s string
		if err := plistx.DecodeInto(data, &s, plistx.Limits{MaxObjects: 10}); limitOf(err) != "MaxObjects" {
			t.Errorf("DecodeInto error %v, want MaxObjects", err)
		}
		if err := plistx.DecodeInto(data, &s, plistx.Limits{}); err != nil || s != "top" {
			t.Errorf("DecodeInto = %q, %v", s, err)
		}
	})
	t.Run("not_a_pointer", func(t *testing.T) {
		var got info
		if err := plistx.DecodeInto(marshal(t, src, plist.XMLFormat), got, plistx.Limits{}); err == nil {
			t.Errorf("DecodeInto into a non-pointer: no error")
		}
	})
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{name: "binary", data: "bplist00rest", want: "binary"},
		{name: "xml", data: xmlHeader + "<dict/></plist>", want: "xml"},
		{name: "xml_bare", data: "<dict/>", want: "xml"},
		{name: "openstep", data: "{ a = b; }", want: "openstep"},
		{name: "openstep_data", data: "<0102>", want: "openstep"},
		{name: "gnustep", data: "{ a = <*I1>; }", want: "gnustep"},
		{name: "gnustep_base64", data: "<[AQI=]>", want: "gnustep"},
		{name: "gnustep_marker_in_string", data: `{ a = "<*I1>"; }`, want: "openstep"},
		{name: "empty", data: "", want: "unknown"},
		{name: "gnustep_utf16", data: string(append([]byte{0xfe, 0xff}, utf16BE("(<*I1>)")...)), want: "gnustep"},
		{name: "openstep_utf16_no_bom", data: string(utf16LE("(a)")), want: "openstep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := plistx.Format([]byte(tc.data)); got != tc.want {
				t.Errorf("Format(%q) = %q, want %q", tc.data, got, tc.want)
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	when := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	m := map[string]any{
		"s": "x", "i": int64(-4), "u": uint64(7), "ubig": uint64(math.MaxUint64), "f": 2.0, "ff": 2.5,
		"fbig": 1e19, "b": true, "one": int64(1), "two": int64(2), "data": []byte{1}, "t": when,
		"goint": 3, "nil": nil,
	}
	if got, ok := plistx.AsMap(any(m)); !ok || len(got) != len(m) {
		t.Errorf("AsMap(map) = %v, %v", got, ok)
	}
	if _, ok := plistx.AsMap([]any{}); ok {
		t.Errorf("AsMap([]any) ok")
	}
	strs := []struct{ key, want string }{{"s", "x"}, {"i", ""}, {"missing", ""}}
	for _, tc := range strs {
		if got := plistx.String(m, tc.key); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
	ints := []struct {
		key  string
		want int64
		ok   bool
	}{
		{"i", -4, true}, {"u", 7, true}, {"ubig", 0, false}, {"f", 2, true}, {"ff", 0, false},
		{"fbig", 0, false}, {"s", 0, false}, {"goint", 3, true}, {"missing", 0, false},
	}
	for _, tc := range ints {
		if got, ok := plistx.Int(m, tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("Int(%q) = %d, %v, want %d, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	floats := []struct {
		key  string
		want float64
		ok   bool
	}{{"ff", 2.5, true}, {"i", -4, true}, {"u", 7, true}, {"s", 0, false}}
	for _, tc := range floats {
		if got, ok := plistx.Float(m, tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("Float(%q) = %v, %v, want %v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	bools := []struct {
		key      string
		want, ok bool
	}{{"b", true, true}, {"one", true, true}, {"u", false, false}, {"two", false, false}, {"f", false, false}, {"s", false, false}}
	for _, tc := range bools {
		if got, ok := plistx.Bool(m, tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("Bool(%q) = %v, %v, want %v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	if got := plistx.Bytes(m, "data"); !bytes.Equal(got, []byte{1}) {
		t.Errorf("Bytes(data) = %v", got)
	}
	if got := plistx.Bytes(m, "s"); got != nil {
		t.Errorf("Bytes(s) = %v", got)
	}
	if got, ok := plistx.Time(m, "t"); !ok || !got.Equal(when) {
		t.Errorf("Time(t) = %v, %v", got, ok)
	}
	if _, ok := plistx.Time(m, "s"); ok {
		t.Errorf("Time(s) ok")
	}
}

func TestLimitsDefaults(t *testing.T) {
	want := plistx.Limits{MaxBytes: 64 << 20, MaxDepth: 128, MaxObjects: 1_000_000}
	if diff := cmp.Diff(want, plistx.DefaultLimits); diff != "" {
		t.Errorf("DefaultLimits (-want +got):\n%s", diff)
	}
	// 128 nested arrays pass with zero Limits, 129 do not.
	if _, err := plistx.Decode(nestedBinary(128), plistx.Limits{}); err != nil {
		t.Errorf("128 levels: %v", err)
	}
	if _, err := plistx.Decode(nestedBinary(129), plistx.Limits{}); limitOf(err) != "MaxDepth" {
		t.Errorf("129 levels: %v, want MaxDepth", err)
	}
}
