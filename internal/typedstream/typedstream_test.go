package typedstream_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/spytrace/spytrace/internal/typedstream"
)

// cat joins bytes, strings and single bytes (ints) into one blob.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b = append(b, v...)
		case []byte:
			b = append(b, v...)
		case int:
			b = append(b, byte(v))
		case rune:
			b = append(b, byte(v))
		}
	}
	return b
}

const header = "\x04\x0bstreamtyped\x81\xe8\x03"

// length writes an unsigned length as typedstream does (little-endian).
func length(n int) []byte {
	switch {
	case n < 128:
		return []byte{byte(n)}
	case n <= 0xffff:
		return binary.LittleEndian.AppendUint16([]byte{0x81}, uint16(n))
	}
	return binary.LittleEndian.AppendUint32([]byte{0x82}, uint32(n))
}

func lit(s string) []byte { return cat(0x84, length(len(s)), s) } // a new shared string

// attributed is what Messages writes in message.attributedBody for text: an
// NSAttributedString holding an NSString, and one attribute run whose dictionary maps
// __kIMMessagePartAttributeName to NSNumber 0.
func attributed(root, str, text string) []byte {
	u16 := len(utf16.Encode([]rune(text)))
	return cat(header,
		lit("@"),                                                 // type of the root value (string 0)
		0x84, 0x84, lit(root), 0, 0x84, lit("NSObject"), 0, 0x85, // object 0, classes 1 and 2
		0x92,                          // type "@"
		0x84, 0x84, lit(str), 1, 0x94, // object 3, class 4, superclass NSObject (object 2)
		lit("+"), length(len(text)), text, 0x86,
		lit("iI"), 1, length(u16), // attribute run: location 1, length in UTF-16 units
		0x92, 0x84, 0x84, lit("NSDictionary"), 0, 0x94, lit("i"), 1,
		0x92, 0x84, 0x96, 0x96, length(29), "__kIMMessagePartAttributeName", 0x86,
		0x92, 0x84, 0x84, lit("NSNumber"), 0, 0x84, lit("NSValue"), 0, 0x94,
		lit("*"), 0x84, 0x99, 0x99, 0, 0x86,
		0x86, 0x86)
}

func TestText(t *testing.T) {
	long := strings.Repeat("Grüezi mitenand, https://a.example/x ", 10)
	huge := strings.Repeat("x", 70_000)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"attributed_ascii", attributed("NSAttributedString", "NSString", "Hello"), "Hello"},
		{"attributed_utf8", attributed("NSAttributedString", "NSString", "Grüezi 👋 ✓"), "Grüezi 👋 ✓"},
		{"attributed_2_byte_length", attributed("NSAttributedString", "NSString", long), long},
		{"attributed_4_byte_length", attributed("NSAttributedString", "NSString", huge), huge},
		{"mutable_classes", attributed("NSMutableAttributedString", "NSMutableString", "mutable"), "mutable"},
		{"mutable_class_chain", cat(header, lit("@"), 0x84, 0x84, lit("NSMutableAttributedString"), 0, 0x84, lit("NSAttributedString"), 0, 0x84, lit("NSObject"), 0, 0x85,
			0x92, 0x84, 0x84, lit("NSMutableString"), 1, 0x84, lit("NSString"), 1, 0x95, lit("+"), 5, "chain", 0x86, 0x86), "chain"},
		{"empty_text", attributed("NSAttributedString", "NSString", ""), ""},
		{"plain_nsstring_root", cat(header, lit("@"), 0x84, 0x84, lit("NSString"), 1, 0x84, lit("NSObject"), 0, 0x85, lit("+"), 3, "abc", 0x86), "abc"},
		{"subclass_of_nsattributedstring", cat(header, lit("@"), 0x84, 0x84, lit("IMAttributedString"), 0, 0x84, lit("NSAttributedString"), 0, 0x85,
			lit("@"), 0x84, 0x84, lit("NSString"), 1, 0x85, lit("+"), 2, "ok", 0x86, 0x86), "ok"},
		{"string_value_by_reference_ok", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85,
			lit("@"), 0x84, 0x84, lit("NSString"), 1, 0x85, lit("+"), 1, "r", 0x86, 0x86), "r"},
		{"big_endian", cat("\x04\x0btypedstream\x81\x03\xe8", lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85,
			0x92, 0x84, 0x84, lit("NSString"), 1, 0x85, lit("+"), 0x81, 0x00, 0x02, "ab", 0x86, 0x86), "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := typedstream.Text(tt.data)
			if err != nil {
				t.Fatalf("Text: %v", err)
			}
			if got != tt.want {
				t.Errorf("Text = %.60q, want %.60q", got, tt.want)
			}
		})
	}
}

func TestTextErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // part of the error
	}{
		{"empty", nil, "0 bytes"},
		{"bplist", []byte("bplist00\xd4\x01\x02"), "streamer version"},
		{"version_3", []byte("\x03\x0bstreamtyped\x81\xe8\x03"), "streamer version 3"},
		{"bad_signature", []byte("\x04\x0bstreamtypex\x81\xe8\x03"), "signature"},
		{"header_only", []byte(header), "bytes needed"},
		{"root_not_object", cat(header, lit("i"), 5), "not an object"},
		{"root_is_reference", cat(header, lit("@"), 0x92), "not a literal object"},
		{"root_is_dictionary", cat(header, lit("@"), 0x84, 0x84, lit("NSDictionary"), 0, 0x85, lit("i"), 0, 0x86), "root object is a NSDictionary"},
		{"no_string_in_attributed", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85, 0x86), "has no string"},
		{"first_value_not_string", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85, lit("i"), 7, 0x86), "does not start with a string"},
		{"string_reference_out_of_range", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85, 0x99), "shared string 7 of"},
		{"class_reference_to_object", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x92), "where a class was expected"},
		{"length_beyond_input", cat(header, lit("@"), 0x84, 0x84, lit("NSString"), 1, 0x85, lit("+"), 0x82, 0xff, 0xff, 0xff, 0x7f, "abc"), "string of"},
		{"unsupported_type", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85, lit("^i"), 0), "unsupported type encoding"},
		{"unterminated_struct", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85, lit("{P=ii"), 0), "unterminated"},
		{"ignored_fields_budget", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85, lit("[65536!][65536!]")), "more than"},
		{"deep_nesting", cat(header, lit("@"), 0x84, 0x84, lit("NSAttributedString"), 0, 0x85,
			strings.Repeat("\x92\x84\x93", 100)), "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := typedstream.Text(tt.data)
			if err == nil {
				t.Fatalf("Text = %q, want an error containing %q", got, tt.want)
			}
			if !errors.Is(err, typedstream.ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrFormat containing %q", err, tt.want)
			}
		})
	}
}

// TestTruncated cuts a real-shaped blob at every length: each prefix that ends before
// the string object is complete is an error, never a panic.
func TestTruncated(t *testing.T) {
	full := attributed("NSAttributedString", "NSString", "cut me")
	end := strings.Index(string(full), "cut me") + len("cut me") + 1 // the string object's end tag
	for n := range len(full) {
		_, err := typedstream.Text(full[:n])
		if n < end && err == nil {
			t.Errorf("prefix of %d bytes: no error", n)
		}
		if n >= end && err != nil {
			t.Errorf("prefix of %d bytes: %v", n, err)
		}
	}
}

// TestDecodeAll checks the generic reader on the whole blob, attribute runs included.
func TestDecodeAll(t *testing.T) {
	groups, err := typedstream.DecodeAll(attributed("NSAttributedString", "NSString", "all of it"))
	if err != nil || groups != 1 {
		t.Fatalf("DecodeAll = %d groups, %v; want 1 group", groups, err)
	}
	mixed := cat(header,
		lit("ifd"), 0x81, 0x10, 0x27, 0x83, 0x00, 0x00, 0xc0, 0x3f, 0x83, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
		lit("{CGPoint=dd}"), 1, 2,
		lit("[3c]"), "abc",
		lit("[2{S=ic}]"), 1, 'a', 2, 'b',
		lit("*"), 0x84, lit("hello"),
		lit("*"), 0x92, // reference to the C string above (object 0)
		lit("#"), 0x84, lit("NSFoo"), 3, 0x85,
		lit(":"), lit("doIt:"),
		lit("CBcS"), 0xff, 1, 0x80, 0x82, 0x01, 0x00, 0x00, 0x00,
		lit("@"), 0x85,
		lit("+"), 0x85,
		lit("!"),
	)
	groups, err = typedstream.DecodeAll(mixed)
	if err != nil || groups != 12 {
		t.Fatalf("DecodeAll(mixed) = %d groups, %v; want 12 groups", groups, err)
	}
}

// TestRepeatedLongEncoding reads 60,000 values of a struct type whose encoding is
// 200 KB long: each encoding is parsed once, so this takes milliseconds, not hours.
func TestRepeatedLongEncoding(t *testing.T) {
	long := "{" + strings.Repeat("N", 200_000) + "=}"
	data := cat(header, lit("[60000"+long+"]"))
	if _, err := typedstream.DecodeAll(data); err != nil {
		t.Fatalf("DecodeAll: %v", err)
	}
	data = cat(header, lit(long), strings.Repeat("\x92", 60_000))
	if _, err := typedstream.DecodeAll(data); err != nil {
		t.Fatalf("DecodeAll: %v", err)
	}
}

func FuzzText(f *testing.F) {
	f.Add(attributed("NSAttributedString", "NSString", "Hello https://a.example/x"))
	f.Add(attributed("NSMutableAttributedString", "NSMutableString", strings.Repeat("é", 200)))
	f.Add(cat(header, lit("@"), 0x84, 0x84, lit("NSString"), 1, 0x85, lit("+"), 3, "abc", 0x86))
	f.Add(cat(header, lit("[2{S=ic}]"), 1, 'a', 2, 'b', lit("*"), 0x84, lit("x"), lit("*"), 0x92))
	f.Add([]byte("\x04\x0btypedstream\x81\x03\xe8"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := typedstream.Text(data)
		if err == nil && len(s) > len(data) {
			t.Fatalf("text of %d bytes from %d bytes of input", len(s), len(data))
		}
		if err != nil && !errors.Is(err, typedstream.ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", err)
		}
		typedstream.DecodeAll(data) // must not panic either
	})
}
