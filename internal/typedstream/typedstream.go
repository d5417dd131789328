// Package typedstream reads the text of NSAttributedString and NSString objects stored
// with NSArchiver in Apple's "typedstream" format (the blob starts with
// "\x04\x0bstreamtyped"). iOS and macOS Messages store the body of each message in this
// form in sms.db / chat.db, column message.attributedBody; from iOS 16 the plain text
// column is often NULL and this blob is the only copy of the text.
//
// The format, in short: a header (streamer version 4, the signature "streamtyped" for
// little-endian or "typedstream" for big-endian data, a system version), then groups of
// values, each preceded by its Objective-C type encoding ("@" object, "i" int, "+"
// counted bytes, "{…}" struct, "[N…]" array…). Integers are written in one byte, or
// after a tag in two or four. Type encodings and class names are "shared strings",
// written once and then referred to by number; objects, classes and C strings likewise
// share a second table of numbers. An object is its class chain (each class written
// once with its version, up to a known class or nil) followed by its value groups and an
// end tag.
//
// The reader is generic (every type encoding is understood) but only reads what it
// needs: the root object's class and its first value group, which for an
// NSAttributedString is the NSString holding the text. The attribute runs that follow
// are not decoded. Every read is bounded: nesting depth, number of values and table
// sizes are limited, no length is trusted beyond the input, and no input makes it
// panic (see FuzzText).
package typedstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrFormat is wrapped by every error about data that is not a valid typedstream or
// does not hold the expected objects.
var ErrFormat = errors.New("invalid typedstream")

// Limits of the reader. They are far above what Messages writes (a message body is a
// few dozen values) and keep hostile input cheap.
const (
	maxDepth  = 64      // nesting of objects, arrays and structs
	maxValues = 1 << 16 // values read from one input
)

// Tags: single-byte markers that are not small integers.
const (
	tagInt2  = -127 // a 2-byte integer follows
	tagInt4  = -126 // a 4-byte integer follows
	tagFloat = -125 // a 4- or 8-byte IEEE float follows
	tagNew   = -124 // a literal string, class or object follows
	tagNil   = -123 // nil
	tagEnd   = -122 // end of an object
	lastTag  = -111 // -128…-111 are reserved for tags
	firstRef = -110 // reference number 0 is written as -110
)

// Text returns the string held by an archived NSAttributedString (or
// NSMutableAttributedString), or by an archived NSString. The bytes are returned as
// they are stored (UTF-8 as written by Apple); the caller decides how to show invalid
// sequences.
func Text(data []byte) (string, error) {
	r, err := newReader(data)
	if err != nil {
		return "", err
	}
	root, err := r.root()
	if err != nil {
		return "", err
	}
	switch {
	case root.is("NSString", "NSMutableString"):
		return root.text()
	case root.is("NSAttributedString", "NSMutableAttributedString"):
		if len(root.groups) == 0 || len(root.groups[0]) != 1 {
			return "", fmt.Errorf("%w: attributed string has no string", ErrFormat)
		}
		s, ok := root.groups[0][0].(*object)
		if !ok || !s.is("NSString", "NSMutableString") {
			return "", fmt.Errorf("%w: attributed string does not start with a string", ErrFormat)
		}
		return s.text()
	}
	return "", fmt.Errorf("%w: root object is a %s, not a string", ErrFormat, root.class.name)
}

// class is one archived class and its superclass chain.
type class struct {
	name    string
	version int64
	super   *class
}

// object is an archived object: its class and its value groups. Values are int64,
// uint64, float64, bool, []byte (counted strings and byte arrays), string (C strings,
// selectors and atoms, which are shared strings), nil, *class, *object, []any (arrays
// and structs).
type object struct {
	class  *class
	groups [][]any
}

// is reports whether the object's class, or one of its superclasses, has one of the
// names.
func (o *object) is(names ...string) bool {
	for c, n := o.class, 0; c != nil && n < maxDepth; c, n = c.super, n+1 {
		if slices.Contains(names, c.name) {
			return true
		}
	}
	return false
}

// text returns the counted bytes of an NSString: its first group, of type "+".
func (o *object) text() (string, error) {
	if len(o.groups) == 0 || len(o.groups[0]) != 1 {
		return "", fmt.Errorf("%w: %s has no content", ErrFormat, o.class.name)
	}
	b, ok := o.groups[0][0].([]byte)
	if !ok {
		return "", fmt.Errorf("%w: %s content is %T, not bytes", ErrFormat, o.class.name, o.groups[0][0])
	}
	return string(b), nil
}

// reader decodes one typedstream.
type reader struct {
	data    []byte
	pos     int
	order   binary.ByteOrder
	strings []string // shared strings: type encodings, class names
	// types holds the parsed type encoding of each shared string used as one, so that
	// an encoding repeated by reference is parsed once.
	types  map[int][]*typ
	table  []any // objects, classes and C strings, by reference number
	values int
	depth  int
}

func newReader(data []byte) (*reader, error) {
	r := &reader{data: data}
	if len(data) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrFormat, len(data))
	}
	version, sigLen := data[0], int(data[1])
	if version != 4 {
		return nil, fmt.Errorf("%w: streamer version %d (want 4)", ErrFormat, version)
	}
	if sigLen != 11 || len(data) < 2+sigLen {
		return nil, fmt.Errorf("%w: no signature", ErrFormat)
	}
	switch string(data[2 : 2+sigLen]) {
	case "streamtyped":
		r.order = binary.LittleEndian
	case "typedstream":
		r.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: signature %q", ErrFormat, data[2:2+sigLen])
	}
	r.pos = 2 + sigLen
	if _, err := r.unsigned(); err != nil { // system version, 1000 on Mac OS X and iOS
		return nil, err
	}
	return r, nil
}

// root reads the first value group, which must be a single object, and of that object
// only its class and first group.
func (r *reader) root() (*object, error) {
	enc, err := r.sharedString()
	if err != nil {
		return nil, err
	}
	if enc != "@" {
		return nil, fmt.Errorf("%w: root value of type %q, not an object", ErrFormat, enc)
	}
	head, err := r.head()
	if err != nil {
		return nil, err
	}
	if head != tagNew {
		return nil, fmt.Errorf("%w: root is not a literal object", ErrFormat)
	}
	return r.objectBody(1)
}

func (r *reader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrFormat, r.pos, fmt.Sprintf(format, args...))
}

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.data)-r.pos {
		return nil, r.errorf("%d bytes needed, %d left", n, len(r.data)-r.pos)
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// head reads the signed byte that starts most values.
func (r *reader) head() (int8, error) {
	b, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return int8(b[0]), nil
}

// integer reads an integer whose head byte was already read.
func (r *reader) integer(head int8, signed bool) (int64, error) {
	if head > lastTag { // not a tag: the byte is the value
		if signed {
			return int64(head), nil
		}
		return int64(uint8(head)), nil
	}
	switch head {
	case tagInt2:
		b, err := r.take(2)
		if err != nil {
			return 0, err
		}
		v := r.order.Uint16(b)
		if signed {
			return int64(int16(v)), nil
		}
		return int64(v), nil
	case tagInt4:
		b, err := r.take(4)
		if err != nil {
			return 0, err
		}
		v := r.order.Uint32(b)
		if signed {
			return int64(int32(v)), nil
		}
		return int64(v), nil
	}
	return 0, r.errorf("tag %d where an integer was expected", head)
}

func (r *reader) unsigned() (int64, error) {
	h, err := r.head()
	if err != nil {
		return 0, err
	}
	return r.integer(h, false)
}

func (r *reader) float(head int8, size int) (float64, error) {
	if head != tagFloat {
		v, err := r.integer(head, true)
		return float64(v), err
	}
	b, err := r.take(size)
	if err != nil {
		return 0, err
	}
	if size == 4 {
		return float64(math.Float32frombits(r.order.Uint32(b))), nil
	}
	return math.Float64frombits(r.order.Uint64(b)), nil
}

// counted reads a counted (unshared) string whose head byte was already read; nil for
// the nil tag.
func (r *reader) counted(head int8) ([]byte, error) {
	if head == tagNil {
		return nil, nil
	}
	n, err := r.integer(head, false)
	if err != nil {
		return nil, err
	}
	if n > int64(len(r.data)-r.pos) {
		return nil, r.errorf("string of %d bytes, %d left", n, len(r.data)-r.pos)
	}
	return r.take(int(n))
}

// sharedString reads a shared string: a literal one (added to the string table) or a
// reference to an earlier one. Nil is an error: shared strings here are type encodings
// and class names.
func (r *reader) sharedString() (string, error) {
	head, err := r.head()
	if err != nil {
		return "", err
	}
	s, _, err := r.sharedStringAt(head)
	return s, err
}

// sharedStringAt reads a shared string whose head byte was already read, and returns
// its index in the string table.
func (r *reader) sharedStringAt(head int8) (string, int, error) {
	switch head {
	case tagNil:
		return "", 0, r.errorf("nil shared string")
	case tagNew:
		h, err := r.head()
		if err != nil {
			return "", 0, err
		}
		b, err := r.counted(h)
		if err != nil {
			return "", 0, err
		}
		if b == nil {
			return "", 0, r.errorf("nil literal shared string")
		}
		if err := r.count(); err != nil {
			return "", 0, err
		}
		r.strings = append(r.strings, string(b))
		return string(b), len(r.strings) - 1, nil
	}
	i, err := r.reference(head)
	if err != nil {
		return "", 0, err
	}
	if i >= len(r.strings) {
		return "", 0, r.errorf("shared string %d of %d", i, len(r.strings))
	}
	return r.strings[i], i, nil
}

// reference decodes a reference number whose head byte was already read.
func (r *reader) reference(head int8) (int, error) {
	v, err := r.integer(head, true)
	if err != nil {
		return 0, err
	}
	i := v - firstRef
	if i < 0 || i > math.MaxInt32 {
		return 0, r.errorf("reference number %d", v)
	}
	return int(i), nil
}

// tableRef returns the table entry a reference points to.
func (r *reader) tableRef(head int8) (any, error) {
	i, err := r.reference(head)
	if err != nil {
		return nil, err
	}
	if i >= len(r.table) {
		return nil, r.errorf("reference %d of %d", i, len(r.table))
	}
	return r.table[i], nil
}

// count charges one value against the reader's budget.
func (r *reader) count() error {
	r.values++
	if r.values > maxValues {
		return r.errorf("more than %d values", maxValues)
	}
	return nil
}

// class reads a class: a chain of literal classes ending with nil or a reference to a
// class read before.
func (r *reader) class(head int8) (*class, error) {
	var chain []*class
	for head == tagNew {
		if len(chain) >= maxDepth {
			return nil, r.errorf("class chain longer than %d", maxDepth)
		}
		name, err := r.sharedString()
		if err != nil {
			return nil, err
		}
		h, err := r.head()
		if err != nil {
			return nil, err
		}
		version, err := r.integer(h, true)
		if err != nil {
			return nil, err
		}
		if err := r.count(); err != nil {
			return nil, err
		}
		chain = append(chain, &class{name: name, version: version})
		if head, err = r.head(); err != nil {
			return nil, err
		}
	}
	var super *class
	if head != tagNil {
		v, err := r.tableRef(head)
		if err != nil {
			return nil, err
		}
		c, ok := v.(*class)
		if !ok {
			return nil, r.errorf("reference to a %s where a class was expected", kind(v))
		}
		super = c
	}
	for i := len(chain) - 1; i >= 0; i-- {
		chain[i].super = super
		super = chain[i]
	}
	for _, c := range chain {
		r.table = append(r.table, c)
	}
	return super, nil
}

// object reads an object value whose head byte was already read.
func (r *reader) object(head int8) (*object, error) {
	switch head {
	case tagNil:
		return nil, nil
	case tagNew:
		return r.objectBody(-1)
	}
	v, err := r.tableRef(head)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*object)
	if !ok {
		return nil, r.errorf("reference to a %s where an object was expected", kind(v))
	}
	return o, nil
}

// objectBody reads a literal object after its tag: its class, then value groups until
// the end tag, or only the first maxGroups groups when maxGroups > 0 (the root).
func (r *reader) objectBody(maxGroups int) (*object, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	o := &object{}
	r.table = append(r.table, o) // the object's number comes before its class's
	h, err := r.head()
	if err != nil {
		return nil, err
	}
	if o.class, err = r.class(h); err != nil {
		return nil, err
	}
	if o.class == nil {
		return nil, r.errorf("object without a class")
	}
	for maxGroups <= 0 || len(o.groups) < maxGroups {
		h, err := r.head()
		if err != nil {
			return nil, err
		}
		if h == tagEnd {
			break
		}
		g, err := r.group(h)
		if err != nil {
			return nil, err
		}
		o.groups = append(o.groups, g)
	}
	return o, nil
}

// group reads a type encoding (whose head byte was already read) and the values it
// describes.
func (r *reader) group(head int8) ([]any, error) {
	enc, i, err := r.sharedStringAt(head)
	if err != nil {
		return nil, err
	}
	types, ok := r.types[i]
	if !ok {
		if types, err = parseTypes(enc); err != nil {
			return nil, r.errorf("%v", err)
		}
		if r.types == nil {
			r.types = map[int][]*typ{}
		}
		r.types[i] = types
	}
	out := make([]any, 0, len(types))
	for _, t := range types {
		v, err := r.value(t)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// value reads one value of a type.
func (r *reader) value(t *typ) (any, error) {
	if err := r.count(); err != nil {
		return nil, err
	}
	switch t.code {
	case 'c', 'C', 'B':
		b, err := r.take(1) // chars and bools are written as raw bytes
		if err != nil {
			return nil, err
		}
		switch t.code {
		case 'c':
			return int64(int8(b[0])), nil
		case 'B':
			return b[0] != 0, nil
		}
		return int64(b[0]), nil
	case '!':
		return nil, nil // an ignored field: its type is written, no data
	case '[':
		return r.array(t)
	case '{':
		return r.structure(t)
	}
	head, err := r.head()
	if err != nil {
		return nil, err
	}
	switch t.code {
	case 's', 'i', 'l', 'q':
		return r.integer(head, true)
	case 'S', 'I', 'L', 'Q':
		v, err := r.integer(head, false)
		return uint64(v), err
	case 'f':
		return r.float(head, 4)
	case 'd':
		return r.float(head, 8)
	case '+':
		b, err := r.counted(head)
		if b == nil && err == nil {
			return nil, nil
		}
		return b, err
	case '%', ':':
		if head == tagNil {
			return nil, nil
		}
		s, _, err := r.sharedStringAt(head)
		return s, err
	case '*':
		return r.cString(head)
	case '#':
		c, err := r.class(head)
		if c == nil && err == nil {
			return nil, nil
		}
		return c, err
	case '@':
		o, err := r.object(head)
		if o == nil && err == nil {
			return nil, nil
		}
		return o, err
	}
	return nil, r.errorf("unsupported type %q", t.code)
}

// cString reads a C string: nil, a literal (a shared string, also numbered in the
// object table) or a reference to one. It is returned as a string, never copied.
func (r *reader) cString(head int8) (any, error) {
	switch head {
	case tagNil:
		return nil, nil
	case tagNew:
		s, err := r.sharedString()
		if err != nil {
			return nil, err
		}
		r.table = append(r.table, s)
		return s, nil
	}
	v, err := r.tableRef(head)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(string); !ok {
		return nil, r.errorf("reference to a %s where a C string was expected", kind(v))
	}
	return v, nil
}

func (r *reader) array(t *typ) (any, error) {
	if t.elem.code == 'c' || t.elem.code == 'C' {
		return r.take(t.n) // byte arrays are written as raw bytes
	}
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var out []any
	for range t.n {
		v, err := r.value(t.elem)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (r *reader) structure(t *typ) (any, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	out := make([]any, 0, len(t.fields))
	for _, f := range t.fields {
		v, err := r.value(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (r *reader) enter() error {
	r.depth++
	if r.depth > maxDepth {
		return r.errorf("nested deeper than %d", maxDepth)
	}
	return nil
}

func (r *reader) leave() { r.depth-- }

func kind(v any) string {
	switch v.(type) {
	case *object:
		return "object"
	case *class:
		return "class"
	case string:
		return "C string"
	}
	return "nothing"
}

// typ is a parsed type encoding.
type typ struct {
	code   byte   // 'i', '@', '+'…, '[' for an array, '{' for a struct
	n      int    // array length
	elem   *typ   // array element type
	fields []*typ // struct field types
}

// parseTypes parses a type encoding string, which may hold several types ("iI" → i, I;
// "{CGPoint=dd}@" → a struct of two doubles, an object).
func parseTypes(enc string) ([]*typ, error) {
	if enc == "" {
		return nil, errors.New("empty type encoding")
	}
	p := &typeParser{enc: enc}
	var out []*typ
	for p.pos < len(enc) {
		t, err := p.parse(0)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// typeParser reads one type encoding string; nodes bounds the types it may hold.
type typeParser struct {
	enc   string
	pos   int
	nodes int
}

func (p *typeParser) parse(depth int) (*typ, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("type encoding %q nested too deeply", p.enc)
	}
	if p.nodes++; p.nodes > maxValues {
		return nil, fmt.Errorf("more than %d types in one encoding", maxValues)
	}
	c := p.enc[p.pos]
	p.pos++
	switch c {
	case '[':
		start := p.pos
		for p.pos < len(p.enc) && p.enc[p.pos] >= '0' && p.enc[p.pos] <= '9' {
			p.pos++
		}
		n, err := strconv.Atoi(p.enc[start:p.pos])
		if err != nil || n > maxValues {
			return nil, fmt.Errorf("bad array length in %q", p.enc)
		}
		if p.pos >= len(p.enc) || p.enc[p.pos] == ']' {
			return nil, fmt.Errorf("array without element type in %q", p.enc)
		}
		elem, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.enc) || p.enc[p.pos] != ']' {
			return nil, fmt.Errorf("unterminated array in %q", p.enc)
		}
		p.pos++
		return &typ{code: '[', n: n, elem: elem}, nil
	case '{':
		for p.pos < len(p.enc) && p.enc[p.pos] != '=' && p.enc[p.pos] != '}' { // the struct's name
			if strings.IndexByte("{[", p.enc[p.pos]) >= 0 {
				return nil, fmt.Errorf("bad struct name in %q", p.enc)
			}
			p.pos++
		}
		if p.pos < len(p.enc) && p.enc[p.pos] == '=' {
			p.pos++
		}
		t := &typ{code: '{'}
		for p.pos < len(p.enc) && p.enc[p.pos] != '}' {
			f, err := p.parse(depth + 1)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, f)
		}
		if p.pos >= len(p.enc) {
			return nil, fmt.Errorf("unterminated struct in %q", p.enc)
		}
		p.pos++
		return t, nil
	}
	if strings.IndexByte("cCBsSiIlLqQfd+%:*#@!", c) < 0 {
		return nil, fmt.Errorf("unsupported type encoding %q", c)
	}
	return &typ{code: c}, nil
}
