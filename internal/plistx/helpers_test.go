package plistx_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"

	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/plistx"
)

// rawPlist assembles a binary plist from raw object encodings, so that tests can
// build documents the plist library would never write (bad offsets, cycles, shared
// references, odd markers).
type rawPlist struct {
	objs    [][]byte
	top     int
	refSize int // bytes per reference; 0 means 1
	// Overrides applied to the trailer after it is computed, when non-zero.
	numObjects, tableOff uint64
	offSize              int
}

func (p rawPlist) refBytes() int {
	if p.refSize == 0 {
		return 1
	}
	return p.refSize
}

// bytes returns the document.
func (p rawPlist) bytes() []byte {
	out := []byte("bplist00")
	offs := make([]int, len(p.objs))
	for i, o := range p.objs {
		offs[i] = len(out)
		out = append(out, o...)
	}
	tableOff := len(out)
	offSize := 8
	switch {
	case tableOff <= 0xff:
		offSize = 1
	case tableOff <= 0xffff:
		offSize = 2
	case tableOff <= 0xffffffff:
		offSize = 4
	}
	for _, o := range offs {
		out = appendUint(out, uint64(o), offSize)
	}
	if p.offSize != 0 {
		offSize = p.offSize
	}
	n := uint64(len(p.objs))
	if p.numObjects != 0 {
		n = p.numObjects
	}
	to := uint64(tableOff)
	if p.tableOff != 0 {
		to = p.tableOff
	}
	out = append(out, 0, 0, 0, 0, 0, 0, byte(offSize), byte(p.refBytes()))
	out = binary.BigEndian.AppendUint64(out, n)
	out = binary.BigEndian.AppendUint64(out, uint64(p.top))
	out = binary.BigEndian.AppendUint64(out, to)
	return out
}

func appendUint(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// bpCount encodes a marker with its count.
func bpCount(marker byte, n int) []byte {
	if n < 15 {
		return []byte{marker | byte(n)}
	}
	return append([]byte{marker | 0x0f, 0x13}, appendUint(nil, uint64(n), 8)...)
}

func bpStr(s string) []byte { return append(bpCount(0x50, len(s)), s...) }

func bpUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := bpCount(0x60, len(u))
	for _, c := range u {
		out = binary.BigEndian.AppendUint16(out, c)
	}
	return out
}

func bpInt(v int64) []byte { return append([]byte{0x13}, appendUint(nil, uint64(v), 8)...) }

// bpRefs encodes an array-like container with the given references.
func (p rawPlist) container(marker byte, refs ...int) []byte {
	out := bpCount(marker, len(refs))
	for _, r := range refs {
		out = appendUint(out, uint64(r), p.refBytes())
	}
	return out
}

func (p rawPlist) arr(refs ...int) []byte { return p.container(0xa0, refs...) }

// dict encodes a dictionary from key references followed by value references.
func (p rawPlist) dict(keys, vals []int) []byte {
	out := bpCount(0xd0, len(keys))
	for _, r := range append(append([]int{}, keys...), vals...) {
		out = appendUint(out, uint64(r), p.refBytes())
	}
	return out
}

// marshal writes v with the plist library (plist.UID for references).
func marshal(t testing.TB, v any, format int) []byte {
	t.Helper()
	b, err := plist.Marshal(v, format)
	if err != nil {
		t.Fatalf("plist.Marshal: %v", err)
	}
	return b
}

// archiveDoc builds an NSKeyedArchiver document from hand-written $top and $objects.
func archiveDoc(t testing.TB, top map[string]any, objects ...any) []byte {
	t.Helper()
	return marshal(t, map[string]any{
		"$archiver": "NSKeyedArchiver",
		"$version":  100000,
		"$top":      top,
		"$objects":  objects,
	}, plist.BinaryFormat)
}

// cls is a class object.
func cls(names ...string) map[string]any {
	chain := make([]any, len(names))
	for i, n := range names {
		chain[i] = n
	}
	return map[string]any{"$classname": names[0], "$classes": chain}
}

// toLibrary converts decoded values back to the plist library's types.
func toLibrary(v any) any {
	switch x := v.(type) {
	case plistx.UID:
		return plist.UID(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toLibrary(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toLibrary(e)
		}
		return out
	}
	return v
}

// toXML rewrites a binary plist as an XML plist.
func toXML(t testing.TB, bin []byte) []byte {
	t.Helper()
	v, err := plistx.Decode(bin, plistx.Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return marshal(t, toLibrary(v), plist.XMLFormat)
}

// limitOf returns the Limit of a *LimitError in err's chain, or "".
func limitOf(err error) string {
	var le *plistx.LimitError
	if errors.As(err, &le) {
		return le.Limit
	}
	return ""
}

// depthOf returns the container nesting depth of a decoded value.
func depthOf(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	}
	return 0
}
