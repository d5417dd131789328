package plistx

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Layout of a binary property list: an 8-byte header ("bplist00"), the objects, an
// offset table giving each object's position, and a 32-byte trailer.
const (
	bplistMagic   = "bplist00"
	bplistTrailer = 32
	// keyMemoMax is the largest object count for which dictionary keys are memoised.
	keyMemoMax = 4096
	// maxSizeHint bounds the room reserved for a map before its entries are read: a
	// dictionary may repeat one key many times.
	maxSizeHint = 4096
)

// bplistReader decodes one binary property list. Every read is checked against the
// object area, every container against the depth limit and the current path (a
// container cannot contain itself), every value against the MaxObjects budget, and
// the bytes of strings and data (copied again at each reference) against a budget of
// MaxBytes beyond the input size, so shared references cannot expand into exponential
// work or memory.
type bplistReader struct {
	data       []byte
	offSize    uint64 // bytes per offset-table entry
	refSize    uint64 // bytes per object reference
	numObjects uint64
	tableOff   uint64 // start of the offset table; objects lie in [8, tableOff)
	maxDepth   int
	maxObjects int
	budget     int   // values still allowed
	payload    int64 // bytes of strings and data still allowed
	maxBytes   int64
	path       []uint64 // containers being decoded, outermost first
	keys       []string // memoised dictionary keys by object index; nil when not used
	keySet     []bool
}

// decodeBinary decodes a whole binary property list into plain Go values.
func decodeBinary(data []byte, lim Limits) (any, error) {
	var r bplistReader
	top, err := r.init(data, lim)
	if err != nil {
		return nil, err
	}
	return r.value(top, 0)
}

// init checks the header and trailer, sets up r and returns the index of the top
// object.
func (r *bplistReader) init(data []byte, lim Limits) (uint64, error) {
	if len(data) < len(bplistMagic)+1+1+bplistTrailer {
		return 0, fmt.Errorf("truncated (%d bytes)", len(data))
	}
	if string(data[:len(bplistMagic)]) != bplistMagic {
		return 0, fmt.Errorf("unsupported header %q", data[:len(bplistMagic)])
	}
	t := data[len(data)-bplistTrailer:]
	*r = bplistReader{
		data:       data,
		offSize:    uint64(t[6]),
		refSize:    uint64(t[7]),
		numObjects: binary.BigEndian.Uint64(t[8:]),
		tableOff:   binary.BigEndian.Uint64(t[24:]),
		maxDepth:   lim.MaxDepth,
		maxObjects: lim.MaxObjects,
		budget:     lim.MaxObjects,
		payload:    min(lim.MaxBytes, math.MaxInt64/2) + int64(len(data)),
		maxBytes:   lim.MaxBytes,
	}
	top := binary.BigEndian.Uint64(t[16:])
	trailerOff := uint64(len(data) - bplistTrailer)
	switch {
	case r.offSize < 1 || r.offSize > 8:
		return 0, fmt.Errorf("bad offset size %d", r.offSize)
	case r.refSize < 1 || r.refSize > 8:
		return 0, fmt.Errorf("bad reference size %d", r.refSize)
	case r.tableOff <= uint64(len(bplistMagic)) || r.tableOff >= trailerOff:
		return 0, fmt.Errorf("offset table at 0x%x outside the object area", r.tableOff)
	case r.numObjects == 0 || r.numObjects > (trailerOff-r.tableOff)/r.offSize:
		return 0, fmt.Errorf("object count %d does not fit the offset table", r.numObjects)
	case top >= r.numObjects:
		return 0, fmt.Errorf("top object %d out of range (%d objects)", top, r.numObjects)
	}
	return top, nil
}

// uintAt reads an n-byte big-endian unsigned integer (1 <= n <= 8) at off; the caller
// has checked the bounds.
func uintAt(b []byte, off, n uint64) uint64 {
	var v uint64
	for _, c := range b[off : off+n] {
		v = v<<8 | uint64(c)
	}
	return v
}

// offset returns where object ref starts.
func (r *bplistReader) offset(ref uint64) (uint64, error) {
	if ref >= r.numObjects {
		return 0, fmt.Errorf("reference to object %d out of range (%d objects)", ref, r.numObjects)
	}
	off := uintAt(r.data, r.tableOff+ref*r.offSize, r.offSize)
	if off < uint64(len(bplistMagic)) || off >= r.tableOff {
		return 0, fmt.Errorf("object %d: offset 0x%x outside the object area", ref, off)
	}
	return off, nil
}

// span returns the n bytes at off if they lie inside the object area.
func (r *bplistReader) span(ref, off, n uint64) ([]byte, error) {
	if off > r.tableOff || n > r.tableOff-off {
		return nil, fmt.Errorf("object %d at 0x%x: %d bytes run past the object area", ref, off, n)
	}
	return r.data[off : off+n], nil
}

// count reads the element count of a data, string or container object and returns it
// with the offset of the first byte after it.
func (r *bplistReader) count(ref, off uint64) (n, start uint64, err error) {
	if lo := uint64(r.data[off] & 0x0f); lo != 0x0f {
		return lo, off + 1, nil
	}
	b, err := r.span(ref, off+1, 1)
	if err != nil {
		return 0, 0, err
	}
	if b[0]>>4 != 0x1 || b[0]&0x0f > 3 {
		return 0, 0, fmt.Errorf("object %d at 0x%x: bad count marker 0x%02x", ref, off, b[0])
	}
	size := uint64(1) << (b[0] & 0x0f)
	if _, err := r.span(ref, off+2, size); err != nil {
		return 0, 0, err
	}
	return uintAt(r.data, off+2, size), off + 2 + size, nil
}

// spend takes n values from the MaxObjects budget.
func (r *bplistReader) spend(n uint64) error {
	if n > uint64(r.budget) {
		r.budget = 0
		return &LimitError{Limit: "MaxObjects", Max: int64(r.maxObjects)}
	}
	r.budget -= int(n)
	return nil
}

// copyOut takes n bytes of strings or data from the payload budget.
func (r *bplistReader) copyOut(n uint64) error {
	if n > uint64(r.payload) {
		r.payload = 0
		return fmt.Errorf("strings and data repeated by shared references: %w",
			&LimitError{Limit: "MaxBytes", Max: r.maxBytes})
	}
	r.payload -= int64(n)
	return nil
}

// value decodes object ref, which sits inside depth containers.
func (r *bplistReader) value(ref uint64, depth int) (any, error) {
	off, err := r.offset(ref)
	if err != nil {
		return nil, err
	}
	if err := r.spend(1); err != nil {
		return nil, err
	}
	tag := r.data[off]
	switch tag >> 4 {
	case 0x0:
		switch tag {
		case 0x00:
			return nil, nil
		case 0x08:
			return false, nil
		case 0x09:
			return true, nil
		}
	case 0x1:
		return r.integer(ref, off)
	case 0x2:
		switch tag & 0x0f {
		case 2:
			b, err := r.span(ref, off+1, 4)
			if err != nil {
				return nil, err
			}
			return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
		case 3:
			b, err := r.span(ref, off+1, 8)
			if err != nil {
				return nil, err
			}
			return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
		}
	case 0x3:
		if tag == 0x33 {
			b, err := r.span(ref, off+1, 8)
			if err != nil {
				return nil, err
			}
			return appleDate(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
		}
	case 0x4:
		n, start, err := r.count(ref, off)
		if err != nil {
			return nil, err
		}
		b, err := r.span(ref, start, n)
		if err != nil {
			return nil, err
		}
		if err := r.copyOut(n); err != nil {
			return nil, err
		}
		out := make([]byte, len(b))
		copy(out, b)
		return out, nil
	case 0x5, 0x6, 0x7:
		s, _, err := r.str(ref, off)
		return s, err
	case 0x8:
		n := uint64(tag&0x0f) + 1
		if n > 8 {
			break
		}
		b, err := r.span(ref, off+1, n)
		if err != nil {
			return nil, err
		}
		return UID(uintAt(b, 0, n)), nil
	case 0xa, 0xb, 0xc:
		return r.array(ref, off, depth)
	case 0xd:
		return r.dict(ref, off, depth)
	}
	return nil, fmt.Errorf("object %d at 0x%x: unknown marker 0x%02x", ref, off, tag)
}

// integer decodes an integer object. Integers of 1, 2 and 4 bytes are unsigned, of 8
// bytes signed; 16-byte integers carry unsigned 64-bit values above math.MaxInt64.
func (r *bplistReader) integer(ref, off uint64) (any, error) {
	lo := r.data[off] & 0x0f
	if lo > 4 {
		return nil, fmt.Errorf("object %d at 0x%x: integer of 2^%d bytes", ref, off, lo)
	}
	n := uint64(1) << lo
	b, err := r.span(ref, off+1, n)
	if err != nil {
		return nil, err
	}
	if n <= 8 {
		return int64(uintAt(b, 0, n)), nil
	}
	hi, v := binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	switch {
	case hi == 0 && v > math.MaxInt64:
		return v, nil
	case hi == 0 || (hi == math.MaxUint64 && v > math.MaxInt64):
		return int64(v), nil
	}
	return nil, fmt.Errorf("object %d at 0x%x: 128-bit integer out of the 64-bit range", ref, off)
}

// str decodes an ASCII (0x5), UTF-16 (0x6) or UTF-8 (0x7) string object; interned
// reports a well-known string returned without allocation.
func (r *bplistReader) str(ref, off uint64) (s string, interned bool, err error) {
	n, start, err := r.count(ref, off)
	if err != nil {
		return "", false, err
	}
	switch r.data[off] >> 4 {
	case 0x5:
		b, err := r.span(ref, start, n)
		if err != nil {
			return "", false, err
		}
		if s, ok := intern(b); ok {
			return s, true, nil
		}
		if err := r.copyOut(n); err != nil {
			return "", false, err
		}
		return latin1(b), false, nil
	case 0x6:
		if n > (r.tableOff-start)/2 {
			return "", false, fmt.Errorf("object %d at 0x%x: %d UTF-16 units run past the object area", ref, off, n)
		}
		if err := r.copyOut(2 * n); err != nil {
			return "", false, err
		}
		return utf16BE(r.data[start : start+2*n]), false, nil
	default:
		b, err := r.span(ref, start, n)
		if err != nil {
			return "", false, err
		}
		if err := r.copyOut(n); err != nil {
			return "", false, err
		}
		return string(b), false, nil
	}
}

// intern returns the constant for strings that recur in archives (structure keys,
// Foundation field and class names, the fields of Manifest.db's MBFile), so that
// decoding them allocates nothing.
func intern(b []byte) (string, bool) {
	switch string(b) {
	case "$archiver":
		return "$archiver", true
	case "$objects":
		return "$objects", true
	case "$top":
		return "$top", true
	case "$version":
		return "$version", true
	case "root":
		return "root", true
	case "$null":
		return "$null", true
	case "$class":
		return "$class", true
	case "$classname":
		return "$classname", true
	case "$classes":
		return "$classes", true
	case "NSKeyedArchiver":
		return "NSKeyedArchiver", true
	case "NSObject":
		return "NSObject", true
	case "NS.keys":
		return "NS.keys", true
	case "NS.objects":
		return "NS.objects", true
	case "NS.string":
		return "NS.string", true
	case "NS.bytes":
		return "NS.bytes", true
	case "NS.data":
		return "NS.data", true
	case "NS.time":
		return "NS.time", true
	case "NS.uuidbytes":
		return "NS.uuidbytes", true
	case "NS.base":
		return "NS.base", true
	case "NS.relative":
		return "NS.relative", true
	case "NSData":
		return "NSData", true
	case "NSMutableData":
		return "NSMutableData", true
	case "MBFile":
		return "MBFile", true
	case "Birth":
		return "Birth", true
	case "LastModified":
		return "LastModified", true
	case "LastStatusChange":
		return "LastStatusChange", true
	case "Mode":
		return "Mode", true
	case "UserID":
		return "UserID", true
	case "GroupID":
		return "GroupID", true
	case "InodeNumber":
		return "InodeNumber", true
	case "Size":
		return "Size", true
	case "Flags":
		return "Flags", true
	case "ProtectionClass":
		return "ProtectionClass", true
	case "RelativePath":
		return "RelativePath", true
	case "EncryptionKey":
		return "EncryptionKey", true
	case "Target":
		return "Target", true
	case "Digest":
		return "Digest", true
	case "ExtendedAttributes":
		return "ExtendedAttributes", true
	}
	return "", false
}

// latin1 converts bytes from an "ASCII" string object; stray bytes above 0x7f (which
// CoreFoundation never writes) are kept as the Latin-1 characters they name.
func latin1(b []byte) string {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			var sb strings.Builder
			sb.Grow(len(b) + len(b)/2)
			for _, c := range b {
				sb.WriteRune(rune(c))
			}
			return sb.String()
		}
	}
	return string(b)
}

// utf16BE converts big-endian UTF-16; unpaired surrogates become U+FFFD.
func utf16BE(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) / 2 * 3 / 2)
	for i := 0; i+1 < len(b); i += 2 {
		c := rune(binary.BigEndian.Uint16(b[i:]))
		if utf16.IsSurrogate(c) && i+3 < len(b) {
			if r := utf16.DecodeRune(c, rune(binary.BigEndian.Uint16(b[i+2:]))); r != utf8.RuneError {
				sb.WriteRune(r)
				i += 2
				continue
			}
		}
		if utf16.IsSurrogate(c) {
			c = utf8.RuneError
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// enter checks depth and cycles before decoding the container ref.
func (r *bplistReader) enter(ref uint64, depth int) error {
	if depth >= r.maxDepth {
		return &LimitError{Limit: "MaxDepth", Max: int64(r.maxDepth)}
	}
	for _, p := range r.path {
		if p == ref {
			return fmt.Errorf("object %d: container contains itself", ref)
		}
	}
	r.path = append(r.path, ref)
	return nil
}

// refs reads the n object references starting at start.
func (r *bplistReader) refs(ref, off, start, n uint64) error {
	if n > (r.tableOff-start)/r.refSize {
		return fmt.Errorf("object %d at 0x%x: %d references run past the object area", ref, off, n)
	}
	return nil
}

// array decodes an array, set or ordered set as []any.
func (r *bplistReader) array(ref, off uint64, depth int) (any, error) {
	n, start, err := r.count(ref, off)
	if err != nil {
		return nil, err
	}
	if err := r.refs(ref, off, start, n); err != nil {
		return nil, err
	}
	if n > uint64(r.budget) {
		return nil, r.spend(n)
	}
	if err := r.enter(ref, depth); err != nil {
		return nil, err
	}
	out := make([]any, n)
	for i := range out {
		child := uintAt(r.data, start+uint64(i)*r.refSize, r.refSize)
		if out[i], err = r.value(child, depth+1); err != nil {
			return nil, err
		}
	}
	r.path = r.path[:len(r.path)-1]
	return out, nil
}

// dict decodes a dictionary, whose keys must be strings.
func (r *bplistReader) dict(ref, off uint64, depth int) (any, error) {
	n, start, err := r.count(ref, off)
	if err != nil {
		return nil, err
	}
	if n > math.MaxUint64/2 {
		return nil, fmt.Errorf("object %d at 0x%x: dictionary of %d entries", ref, off, n)
	}
	if err := r.refs(ref, off, start, 2*n); err != nil {
		return nil, err
	}
	if err := r.spend(n); err != nil { // the keys; values are counted as they are decoded
		return nil, err
	}
	if n > uint64(r.budget) {
		return nil, r.spend(n)
	}
	if err := r.enter(ref, depth); err != nil {
		return nil, err
	}
	out := make(map[string]any, min(n, maxSizeHint))
	vstart := start + n*r.refSize
	for i := uint64(0); i < n; i++ {
		k, err := r.key(uintAt(r.data, start+i*r.refSize, r.refSize))
		if err != nil {
			return nil, err
		}
		v, err := r.value(uintAt(r.data, vstart+i*r.refSize, r.refSize), depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	r.path = r.path[:len(r.path)-1]
	return out, nil
}

// key decodes a dictionary key, which must be a string object. Keys that are not
// among the well-known ones are memoised by object index in small documents, where
// they are typically shared by many dictionaries.
func (r *bplistReader) key(ref uint64) (string, error) {
	if r.keys != nil && ref < uint64(len(r.keys)) && r.keySet[ref] {
		return r.keys[ref], nil
	}
	off, err := r.offset(ref)
	if err != nil {
		return "", err
	}
	if m := r.data[off] >> 4; m < 0x5 || m > 0x7 {
		return "", fmt.Errorf("object %d at 0x%x: dictionary key is not a string", ref, off)
	}
	s, interned, err := r.str(ref, off)
	if err != nil || interned {
		return s, err
	}
	if r.keys == nil && r.numObjects <= keyMemoMax {
		r.keys = make([]string, r.numObjects)
		r.keySet = make([]bool, r.numObjects)
	}
	if r.keys != nil {
		r.keys[ref], r.keySet[ref] = s, true
	}
	return s, nil
}

// keyIs reports whether the object ref is a string equal to key, which is ASCII,
// without building the string when it can be avoided.
func (r *bplistReader) keyIs(ref uint64, key string) (bool, error) {
	off, err := r.offset(ref)
	if err != nil {
		return false, err
	}
	switch r.data[off] >> 4 {
	case 0x5, 0x7:
		n, start, err := r.count(ref, off)
		if err != nil {
			return false, err
		}
		if n != uint64(len(key)) {
			return false, nil
		}
		b, err := r.span(ref, start, n)
		return err == nil && string(b) == key, err
	case 0x6:
		s, err := r.key(ref)
		return s == key, err
	}
	return false, nil
}

// shallow decodes object ref without entering it when it is a container.
func (r *bplistReader) shallow(ref uint64) (node, error) {
	off, err := r.offset(ref)
	if err != nil {
		return node{}, err
	}
	switch r.data[off] >> 4 {
	case 0xa, 0xb, 0xc:
		return node{ref: ref + 1}, nil
	case 0xd:
		return node{ref: ref + 1, dict: true}, nil
	}
	v, err := r.value(ref, 0)
	return node{v: v}, err
}

// container returns the count of an array or dictionary and the offset of its first
// reference (a dictionary has n key references, then n value references).
func (r *bplistReader) container(ref uint64, dict bool) (n, start uint64, err error) {
	off, err := r.offset(ref)
	if err != nil {
		return 0, 0, err
	}
	if n, start, err = r.count(ref, off); err != nil {
		return 0, 0, err
	}
	m := n
	if dict {
		if n > math.MaxUint64/2 {
			return 0, 0, fmt.Errorf("object %d at 0x%x: dictionary of %d entries", ref, off, n)
		}
		m = 2 * n
	}
	return n, start, r.refs(ref, off, start, m)
}

// refAt returns the i-th reference of the list starting at start.
func (r *bplistReader) refAt(start, i uint64) uint64 {
	return uintAt(r.data, start+i*r.refSize, r.refSize)
}
