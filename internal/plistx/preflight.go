package plistx

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The text parsers of howett.net/plist (XML, OpenStep, GNUstep) recurse once per
// nested container, preallocate room for 10 to 32 children per container (and 256
// bytes per OpenStep <data>), and rebuild an OpenStep quoted string at every escape
// sequence. The pre-scan below follows the same tokenisation and measures those
// costs first, so that a hostile input cannot overflow the stack (a fatal error, not
// a panic), multiply memory, or take quadratic time.
const (
	// Approximate bytes the library and the conversion to Go values spend per
	// container, beyond the input itself.
	costDict     = 1536
	costXMLArray = 384
	costArray    = 768
	costHexData  = 384
	// memFactor times MaxBytes bounds the estimated container overhead.
	memFactor = 8
	// maxEscapeCost bounds the sum, over OpenStep quoted strings, of escape sequences
	// times string length (bytes copied by the library's string rebuilding).
	maxEscapeCost = 1 << 28
)

// xmlElement reports the element names howett.net/plist accepts as the first element of
// an XML property list; any other first element makes it try the text formats.
func xmlElement(name string) bool {
	switch name {
	case "plist", "dict", "array", "string", "integer", "real", "true", "false", "date", "data":
		return true
	}
	return false
}

// sniffXML reports whether the plist library will read data as XML: its first token
// parses and its first element is a plist element.
func sniffXML(data []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if el, ok := tok.(xml.StartElement); ok {
			return xmlElement(el.Name.Local)
		}
	}
}

// scanXML checks element depth and container cost of an XML input.
func scanXML(data []byte, lim Limits) error {
	budget := satMul(memFactor, lim.MaxBytes)
	// Fast path: too few elements to matter.
	if n := int64(bytes.Count(data, []byte("<"))); n <= int64(lim.MaxDepth) && n*costDict <= budget {
		return nil
	}
	// <plist> plus MaxDepth containers plus a scalar leaf.
	depth, cost := measureXML(data, lim.MaxDepth+2, budget)
	switch {
	case depth > lim.MaxDepth+2:
		return errDepth(lim)
	case cost > budget:
		return fmt.Errorf("containers would need over %d MiB: %w", budget>>20, errBytes(lim))
	}
	return nil
}

// xmlDepth returns the element depth of an XML input, for tests.
func xmlDepth(data []byte) int {
	depth, _ := measureXML(data, math.MaxInt, math.MaxInt64)
	return depth
}

// measureXML walks the XML tokens exactly as the library will (the same encoding/xml
// decoder, stopping at the same error) and returns the deepest element nesting and
// the container cost, stopping as soon as one exceeds its bound.
func measureXML(data []byte, maxDepth int, maxCost int64) (int, int64) {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, deepest, cost := 0, 0, int64(0)
	for deepest <= maxDepth && cost <= maxCost {
		tok, err := d.Token()
		if err != nil {
			break // the library stops here too
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			deepest = max(deepest, depth)
			switch el.Name.Local {
			case "dict":
				cost += costDict
			case "array":
				cost += costXMLArray
			}
		case xml.EndElement:
			depth--
		}
	}
	return deepest, cost
}

// textStats is what scanText measured.
type textStats struct {
	maxDepth   int   // deepest nesting of ( and {
	containers int64 // number of ( and {
	dicts      int64 // number of {
	hexData    int64 // number of <…> data
	escapeCost int64 // sum over quoted strings of escapes × length, saturating
	gnustep    bool  // a GNUstep <*…> or <[…]> value was seen
	unreadable bool  // the library cannot convert the encoding (odd-length UTF-16)
}

// check applies the limits to the measurements.
func (s textStats) check(lim Limits) error {
	switch {
	case s.maxDepth > lim.MaxDepth+1: // +1: a .strings file is a dictionary without braces
		return errDepth(lim)
	case s.escapeCost > maxEscapeCost:
		return fmt.Errorf("quoted strings hold too many escape sequences to decode in reasonable time")
	}
	arrays := s.containers - s.dicts
	if budget := satMul(memFactor, lim.MaxBytes); s.dicts*costDict+arrays*costArray+s.hexData*costHexData > budget {
		return fmt.Errorf("containers would need over %d MiB: %w", budget>>20, errBytes(lim))
	}
	return nil
}

// scanText pre-scans an OpenStep/GNUstep input and checks it against lim.
func scanText(data []byte, lim Limits) (textStats, error) {
	// Fast path: counts of the relevant bytes bound every measurement from above
	// (in UTF-16 input each ASCII character still shows as its byte).
	opens := int64(bytes.Count(data, []byte("(")) + bytes.Count(data, []byte("{")))
	lts := int64(bytes.Count(data, []byte("<")))
	escapes := int64(bytes.Count(data, []byte(`\`)))
	fast := textStats{maxDepth: int(min(opens, 1<<30)), containers: opens, dicts: opens, hexData: lts,
		escapeCost: satMul(escapes, 2*int64(len(data)))}
	if fast.check(lim) == nil {
		// No measurement can exceed the limits; gnustep is only needed by Format.
		fast.gnustep = bytes.Contains(data, []byte("<*")) || bytes.Contains(data, []byte("<["))
		return fast, nil
	}
	s := measureText(data)
	if s.unreadable {
		return s, nil
	}
	return s, s.check(lim)
}

// textEncoding converts data the way the library guesses its encoding: a UTF-8 BOM is
// dropped, a UTF-16 BOM or a zero in one of the first two bytes selects UTF-16, and
// anything else is read byte for byte.
func textEncoding(data []byte) (string, bool) {
	var order binary.ByteOrder
	switch {
	case len(data) >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf:
		return string(data[3:]), true
	case len(data) < 2:
		return string(data), true
	case data[0] == 0xfe && data[1] == 0xff:
		order, data = binary.BigEndian, data[2:]
	case data[0] == 0 && data[1] != 0:
		order = binary.BigEndian
	case data[0] == 0xff && data[1] == 0xfe:
		order, data = binary.LittleEndian, data[2:]
	case data[0] != 0 && data[1] == 0:
		order = binary.LittleEndian
	default:
		return string(data), true
	}
	if len(data)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(data)/2)
	for i := range u {
		u[i] = order.Uint16(data[2*i:])
	}
	return string(utf16.Decode(u)), true
}

// unquotedRune reports whether the library accepts r inside an unquoted string.
func unquotedRune(r rune) bool {
	if r > 0xff {
		return true
	}
	return r < utf8.RuneSelf && strings.IndexByte("!#$%&*+-./0123456789:?@ABCDEFGHIJKLMNOPQRSTUVWXYZ^_abcdefghijklmnopqrstuvwxyz|~", byte(r)) >= 0
}

// measureText tokenises like the library's text parser. Where the library would fail
// the measurements no longer matter (the decode fails too), so the scan just moves on;
// on every prefix the library accepts, the tokens (and so the depth) are the same.
func measureText(data []byte) textStats {
	var st textStats
	s, ok := textEncoding(data)
	if !ok {
		st.unreadable = true
		return st
	}
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || (c >= 8 && c <= 13):
			i++
		case strings.HasPrefix(s[i:], "//"):
			if j := strings.IndexAny(s[i:], "\n\r"); j >= 0 {
				i += j
			} else {
				i = len(s)
			}
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return st // unterminated comment: the library fails
			}
			i += 2 + j + 2
		case c == '"':
			j, esc := i+1, int64(0)
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					esc++
					j++
				}
				j++
			}
			if j >= len(s) {
				return st // unterminated string: the library fails
			}
			st.escapeCost = min(st.escapeCost+satMul(esc, int64(j-i)), 1<<62)
			i = j + 1
		case strings.HasPrefix(s[i:], "<*"):
			st.gnustep = true
			j := -1
			if i+3 <= len(s) {
				j = strings.IndexByte(s[i+3:], '>')
			}
			if j < 0 {
				return st
			}
			i += 3 + j + 1
		case strings.HasPrefix(s[i:], "<["):
			st.gnustep = true
			j := strings.Index(s[i+2:], "]>")
			if k := strings.IndexByte(s[i+2:], ']'); j < 0 || k != j {
				return st // the library wants "]>" at the first ']'
			}
			i += 2 + j + 2
		case c == '<':
			j := strings.IndexByte(s[i+1:], '>')
			if j < 0 {
				return st
			}
			st.hexData++
			i += 1 + j + 1
		case c == '(' || c == '{':
			depth++
			st.maxDepth = max(st.maxDepth, depth)
			st.containers++
			if c == '{' {
				st.dicts++
			}
			i++
		case c == ')' || c == '}':
			depth = max(depth-1, 0)
			i++
		default:
			r, w := utf8.DecodeRuneInString(s[i:])
			i += w
			if !unquotedRune(r) {
				continue // '=', ';', ',' or a character the library rejects
			}
			for i < len(s) {
				r, w = utf8.DecodeRuneInString(s[i:])
				if !unquotedRune(r) {
					break
				}
				i += w
			}
		}
	}
	return st
}

// satMul multiplies two non-negative numbers, saturating at 1<<62.
func satMul(a, b int64) int64 {
	if a != 0 && b > (1<<62)/a {
		return 1 << 62
	}
	return a * b
}
