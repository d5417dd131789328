package ioc

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner walks JSON read from a stream, value by value, through its own buffer,
// without reflection: a STIX bundle is read at several hundred MB/s allocating only
// the strings kept. Everything read or skipped is checked against the JSON grammar
// (RFC 8259), except that strings are not checked to be valid UTF-8 (encoding/json
// does not either). Nesting is limited to maxJSONDepth.
type jsonScanner struct {
	r       io.Reader
	buf     []byte
	pos     int   // next unread byte in buf
	base    int64 // stream offset of buf[0]
	done    bool  // r has no more data
	depth   int
	scratch []byte   // strings that span reads or hold escapes
	keys    [][]byte // the current key at each depth
}

const maxJSONDepth = 10000

// jsonSyntaxError is a violation of the JSON grammar.
type jsonSyntaxError struct {
	offset int64
	msg    string
}

func (e *jsonSyntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.offset, e.msg) }

// newJSONScanner returns a scanner reading r, whose size (if known, else 0)
// bounds its buffer.
func newJSONScanner(r io.Reader, size int64) *jsonScanner {
	n := 256 << 10
	if size > 0 && size < int64(n) {
		n = max(int(size)+1, 512)
	}
	return &jsonScanner{r: r, buf: make([]byte, 0, n)}
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return &jsonSyntaxError{offset: s.base + int64(s.pos), msg: fmt.Sprintf(format, args...)}
}

// fill reads more data, keeping the unread bytes; it reports false at the end of
// the stream.
func (s *jsonScanner) fill() bool {
	n := copy(s.buf[:cap(s.buf)], s.buf[s.pos:])
	s.base += int64(s.pos)
	s.pos = 0
	s.buf = s.buf[:n]
	if n == cap(s.buf) { // cannot happen (lookahead is a few bytes) but never spin
		s.buf = slices.Grow(s.buf, n)
	}
	for !s.done && len(s.buf) == n {
		m, err := s.r.Read(s.buf[n:cap(s.buf)])
		s.buf = s.buf[:n+m]
		if err != nil {
			s.done = true
		}
	}
	return len(s.buf) > n
}

// at returns the byte k positions after pos without consuming it.
func (s *jsonScanner) at(k int) (byte, bool) {
	for s.pos+k >= len(s.buf) {
		if !s.fill() {
			return 0, false
		}
	}
	return s.buf[s.pos+k], true
}

// peek skips white space and returns the next byte without consuming it.
func (s *jsonScanner) peek() (byte, error) {
	for {
		c, ok := s.at(0)
		if !ok {
			return 0, io.ErrUnexpectedEOF
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
		s.pos++
	}
}

// expect consumes byte c, after white space.
func (s *jsonScanner) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return s.errorf("invalid character %q, want %q", got, c)
	}
	s.pos++
	return nil
}

// kind names the JSON type of the value starting with c, as encoding/json does.
func kind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

func (s *jsonScanner) enter() error {
	if s.depth++; s.depth > maxJSONDepth {
		return s.errorf("nesting deeper than %d", maxJSONDepth)
	}
	for len(s.keys) <= s.depth {
		s.keys = append(s.keys, nil)
	}
	return nil
}

// object reads an object, calling member for each key with the scanner on the
// value, which member must consume. key is valid only until the value is read.
func (s *jsonScanner) object(member func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	if c, err := s.peek(); err != nil {
		return err
	} else if c == '}' {
		s.pos++
		return nil
	}
	for {
		if c, err := s.peek(); err != nil {
			return err
		} else if c != '"' {
			return s.errorf("invalid character %q, want a key", c)
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		key := append(s.keys[s.depth][:0], k...) // a read may move k
		s.keys[s.depth] = key
		if err := s.expect(':'); err != nil {
			return err
		}
		if _, err := s.peek(); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return err
		}
		s.pos++
		switch c {
		case ',':
		case '}':
			return nil
		default:
			s.pos--
			return s.errorf("invalid character %q after object member", c)
		}
	}
}

// array reads an array, calling elem with the scanner on each element, which elem
// must consume.
func (s *jsonScanner) array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	if c, err := s.peek(); err != nil {
		return err
	} else if c == ']' {
		s.pos++
		return nil
	}
	for {
		if _, err := s.peek(); err != nil {
			return err
		}
		if err := elem(); err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return err
		}
		s.pos++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			s.pos--
			return s.errorf("invalid character %q after array element", c)
		}
	}
}

// skip reads and discards one value.
func (s *jsonScanner) skip() error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case '{':
		return s.object(func([]byte) error { return s.skip() })
	case '[':
		return s.array(s.skip)
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

func (s *jsonScanner) literal(word string) error {
	for i := range len(word) {
		if c, ok := s.at(i); !ok {
			return io.ErrUnexpectedEOF
		} else if c != word[i] {
			s.pos += i
			return s.errorf("invalid character %q in literal %s", c, word)
		}
	}
	s.pos += len(word)
	return nil
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() error {
	c, _ := s.at(0)
	if c == '-' {
		s.pos++
	}
	digits := func() int {
		n := 0
		for c, ok := s.at(0); ok && isDigit(c); c, ok = s.at(0) {
			s.pos++
			n++
		}
		return n
	}
	if c, _ := s.at(0); c == '0' {
		s.pos++
	} else if digits() == 0 {
		return s.errorf("invalid character %q looking for a value", c)
	}
	if c, _ := s.at(0); c == '.' {
		s.pos++
		if digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	if c, _ := s.at(0); c == 'e' || c == 'E' {
		s.pos++
		if c, _ := s.at(0); c == '+' || c == '-' {
			s.pos++
		}
		if digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	return nil
}

// str reads a string and returns its unescaped bytes, valid until the next read.
func (s *jsonScanner) str() ([]byte, error) {
	s.pos++ // opening quote
	s.scratch = s.scratch[:0]
	copied := false
	for {
		i := s.pos
		for i < len(s.buf) && s.buf[i] != '"' && s.buf[i] != '\\' && s.buf[i] >= 0x20 {
			i++
		}
		if i == len(s.buf) {
			s.scratch, copied, s.pos = append(s.scratch, s.buf[s.pos:i]...), true, i
			if !s.fill() {
				return nil, io.ErrUnexpectedEOF
			}
			continue
		}
		switch c := s.buf[i]; {
		case c == '"':
			out := s.buf[s.pos:i]
			if copied {
				s.scratch = append(s.scratch, out...)
				out = s.scratch
			}
			s.pos = i + 1
			return out, nil
		case c < 0x20:
			s.pos = i
			return nil, s.errorf("control character %q in string", c)
		}
		s.scratch, copied, s.pos = append(s.scratch, s.buf[s.pos:i]...), true, i
		if err := s.escape(); err != nil {
			return nil, err
		}
	}
}

// escape reads the escape sequence at pos into scratch.
func (s *jsonScanner) escape() error {
	c, ok := s.at(1)
	if !ok {
		return io.ErrUnexpectedEOF
	}
	if r, ok := map1(c); ok {
		s.scratch = append(s.scratch, r)
		s.pos += 2
		return nil
	}
	if c != 'u' {
		s.pos++
		return s.errorf("invalid escape %q in string", c)
	}
	r, err := s.hex4(2)
	if err != nil {
		return err
	}
	s.pos += 6
	if utf16.IsSurrogate(r) {
		// A pair \uD8xx\uDCxx is one rune; a lone surrogate is U+FFFD.
		r2 := rune(-1)
		if c0, _ := s.at(0); c0 == '\\' {
			if c1, _ := s.at(1); c1 == 'u' {
				if r2, err = s.hex4(2); err != nil {
					return err
				}
			}
		}
		if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
			r = d
			s.pos += 6
		} else {
			r = utf8.RuneError
		}
	}
	s.scratch = utf8.AppendRune(s.scratch, r)
	return nil
}

func map1(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// hex4 reads the four hex digits k bytes after pos.
func (s *jsonScanner) hex4(k int) (rune, error) {
	var r rune
	for j := k; j < k+4; j++ {
		c, ok := s.at(j)
		if !ok {
			return 0, io.ErrUnexpectedEOF
		}
		switch {
		case isDigit(c):
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			s.pos += j
			return 0, s.errorf("invalid character %q in \\u escape", c)
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}

// errTypeMismatch marks a value of the wrong JSON type for its field.
var errTypeMismatch = errors.New("type mismatch")

// text reads a string value, or null as "". Any other value is skipped and
// reported as errTypeMismatch.
func (s *jsonScanner) text() ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case '"':
		return s.str()
	case 'n':
		return nil, s.literal("null")
	}
	if err := s.skip(); err != nil {
		return nil, err
	}
	return nil, errTypeMismatch
}
