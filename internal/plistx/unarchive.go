package plistx

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/url"
)

// IsArchive reports whether a decoded top-level value looks like an NSKeyedArchiver
// document: a dictionary with a string $archiver, an array $objects and a dictionary
// $top.
func IsArchive(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, okA := m["$archiver"].(string)
	_, okO := m["$objects"].([]any)
	_, okT := m["$top"].(map[string]any)
	return okA && okO && okT
}

// Unarchive decodes an NSKeyedArchiver document (binary, XML or text plist) and
// returns the object graph rooted at $top["root"] (or, when $top has no "root", a map
// of $top's keys to their objects), with references resolved:
//
//   - NSDictionary, NSMutableDictionary (NS.keys/NS.objects) → map[string]any; keys that
//     are not strings are formatted with fmt's %v; of duplicate keys the last wins;
//   - NSArray, NSMutableArray, NSSet, NSMutableSet, NSOrderedSet, NSMutableOrderedSet
//     (NS.objects) → []any;
//   - NSString, NSMutableString (NS.string) and plain strings → string;
//   - NSData, NSMutableData (NS.data) → []byte;
//   - NSDate (NS.time, seconds since 2001-01-01 UTC) → time.Time in UTC;
//   - NSUUID (NS.uuidbytes) → canonical lowercase string;
//   - NSURL (NS.base, NS.relative) → string;
//   - NSNull and "$null" → nil; numbers and booleans are already plain values;
//   - NSAttributedString, NSMutableAttributedString → map of its fields with "$class",
//     plus its text under "string";
//   - any other class → map[string]any of its decoded fields plus "$class" (the class
//     name). A class unknown by name is decoded as its nearest known superclass in
//     $classes when its fields have that class's shape.
//
// A reference to an object already on the current resolution path (a cycle) becomes
// map[string]any{"$ref": uint64(uid)} instead of looping. Nesting beyond MaxDepth, or
// more than MaxObjects values resolved in total (shared references are resolved again
// each time they are met, so a "billion laughs" graph hits this limit), is a
// *LimitError; a reference out of range is an error naming it.
func Unarchive(data []byte, lim Limits) (any, error) {
	lim = lim.withDefaults()
	r := &resolver{maxDepth: lim.MaxDepth, maxObjects: lim.MaxObjects, budget: lim.MaxObjects}
	r.path, r.classes = r.pathBuf[:0], r.classBuf[:0]
	doc, format, err := r.open(data, lim)
	if err != nil {
		return nil, fmt.Errorf("unarchive: %w", err)
	}
	archiver, okA, err := r.get(doc, "$archiver")
	if err != nil {
		return nil, fmt.Errorf("unarchive: %w", err)
	}
	objects, okO, err := r.get(doc, "$objects")
	if err != nil {
		return nil, fmt.Errorf("unarchive: %w", err)
	}
	top, okT, err := r.get(doc, "$top")
	if err != nil {
		return nil, fmt.Errorf("unarchive: %w", err)
	}
	_, isStr := archiver.v.(string)
	if !okA || !okO || !okT || !isStr || !r.isArray(objects) || !r.isDict(top) {
		return nil, fmt.Errorf("unarchive: %s plist is not an NSKeyedArchiver document", format)
	}
	r.objects = objects
	if r.nobj, err = r.alen(objects); err != nil {
		return nil, fmt.Errorf("unarchive: $objects: %w", err)
	}
	root, ok, err := r.get(top, "root")
	if err == nil {
		if !ok {
			root = top
		}
		var out any
		if out, err = r.value(root, 0); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("unarchive: %w", err)
}

// node is a value of an archive: a decoded Go value, or (for binary plists) an array
// or dictionary still in the document, resolved lazily so that $objects entries are
// never built as intermediate maps.
type node struct {
	v    any    // the value, when ref is 0
	ref  uint64 // 1 + the index of a binary plist container, or 0
	dict bool   // the container at ref is a dictionary (else an array)
}

// classInfo is a resolved class object.
type classInfo struct {
	uid  uint64
	name string
	kind int
}

// maxClassCache bounds the class objects remembered by one resolver.
const maxClassCache = 32

// resolver turns $objects entries into plain values.
type resolver struct {
	bin        *bplistReader // the document, for binary plists; nil otherwise
	objects    node          // the $objects array
	nobj       uint64        // its length
	maxDepth   int
	maxObjects int
	budget     int      // values and dictionary entries still allowed
	path       []uint64 // references being resolved, outermost first
	classes    []classInfo

	// Storage that saves allocations for small documents.
	binStore bplistReader
	pathBuf  [16]uint64
	classBuf [4]classInfo
}

// open decodes the document: lazily for a binary plist, fully otherwise.
func (r *resolver) open(data []byte, lim Limits) (node, string, error) {
	if !bytes.HasPrefix(data, []byte("bplist")) {
		v, format, err := decode(data, lim)
		return node{v: v}, format, err
	}
	format, err := check(data, lim)
	if err != nil {
		return node{}, format, err
	}
	top, err := r.binStore.init(data, lim)
	if err == nil {
		r.bin = &r.binStore
		var doc node
		if doc, err = r.bin.shallow(top); err == nil {
			return doc, format, nil
		}
	}
	return node{}, format, fmt.Errorf("decode binary plist: %w", err)
}

// spend takes n from the budget.
func (r *resolver) spend(n uint64) error {
	if n > uint64(r.budget) {
		r.budget = 0
		return &LimitError{Limit: "MaxObjects", Max: int64(r.maxObjects)}
	}
	r.budget -= int(n)
	return nil
}

func (r *resolver) isDict(n node) bool {
	if n.ref != 0 {
		return n.dict
	}
	_, ok := n.v.(map[string]any)
	return ok
}

func (r *resolver) isArray(n node) bool {
	if n.ref != 0 {
		return !n.dict
	}
	_, ok := n.v.([]any)
	return ok
}

// get looks key up in the dictionary n; of duplicate keys the last wins. Scanning a
// binary dictionary is paid for from the budget.
func (r *resolver) get(n node, key string) (node, bool, error) {
	if n.ref == 0 {
		m, _ := n.v.(map[string]any)
		v, ok := m[key]
		return node{v: v}, ok, nil
	}
	if !n.dict {
		return node{}, false, nil
	}
	cnt, start, err := r.bin.container(n.ref-1, true)
	if err != nil {
		return node{}, false, err
	}
	if err := r.spend(cnt); err != nil {
		return node{}, false, err
	}
	for i := cnt; i > 0; i-- {
		is, err := r.bin.keyIs(r.bin.refAt(start, i-1), key)
		if err != nil {
			return node{}, false, err
		}
		if is {
			v, err := r.bin.shallow(r.bin.refAt(start, cnt+i-1))
			return v, err == nil, err
		}
	}
	return node{}, false, nil
}

// each calls fn for every entry of the dictionary n.
func (r *resolver) each(n node, fn func(k string, v node) error) error {
	if n.ref == 0 {
		for k, v := range n.v.(map[string]any) {
			if err := fn(k, node{v: v}); err != nil {
				return err
			}
		}
		return nil
	}
	cnt, start, err := r.bin.container(n.ref-1, true)
	if err != nil {
		return err
	}
	for i := uint64(0); i < cnt; i++ {
		k, err := r.bin.key(r.bin.refAt(start, i))
		if err != nil {
			return err
		}
		v, err := r.bin.shallow(r.bin.refAt(start, cnt+i))
		if err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// dlen returns the number of entries of the dictionary n.
func (r *resolver) dlen(n node) (uint64, error) {
	if n.ref == 0 {
		return uint64(len(n.v.(map[string]any))), nil
	}
	cnt, _, err := r.bin.container(n.ref-1, true)
	return cnt, err
}

// alen returns the length of the array n.
func (r *resolver) alen(n node) (uint64, error) {
	if n.ref == 0 {
		return uint64(len(n.v.([]any))), nil
	}
	cnt, _, err := r.bin.container(n.ref-1, false)
	return cnt, err
}

// at returns element i (< alen) of the array n.
func (r *resolver) at(n node, i uint64) (node, error) {
	if n.ref == 0 {
		return node{v: n.v.([]any)[i]}, nil
	}
	_, start, err := r.bin.container(n.ref-1, false)
	if err != nil {
		return node{}, err
	}
	return r.bin.shallow(r.bin.refAt(start, i))
}

// value resolves n, found inside depth levels of objects and containers.
func (r *resolver) value(n node, depth int) (any, error) {
	if err := r.spend(1); err != nil {
		return nil, err
	}
	switch {
	case r.isDict(n):
		if depth >= r.maxDepth {
			return nil, &LimitError{Limit: "MaxDepth", Max: int64(r.maxDepth)}
		}
		return r.dictionary(n, depth+1)
	case r.isArray(n):
		if depth >= r.maxDepth {
			return nil, &LimitError{Limit: "MaxDepth", Max: int64(r.maxDepth)}
		}
		return r.list(n, depth+1)
	}
	if u, ok := n.v.(UID); ok {
		return r.ref(uint64(u), depth)
	}
	return n.v, nil
}

// dictionary resolves a dictionary: an archived object when it has "$class", a plain
// dictionary otherwise.
func (r *resolver) dictionary(n node, depth int) (any, error) {
	c, ok, err := r.get(n, "$class")
	if err != nil {
		return nil, err
	}
	if ok {
		return r.object(n, c, depth)
	}
	return r.fields(n, 0, depth)
}

// objectError locates an error at the innermost object being resolved.
type objectError struct {
	uid uint64
	err error
}

func (e *objectError) Error() string { return fmt.Sprintf("object %d: %v", e.uid, e.err) }
func (e *objectError) Unwrap() error { return e.err }

// ref resolves the object with index u.
func (r *resolver) ref(u uint64, depth int) (any, error) {
	if u >= r.nobj {
		return nil, fmt.Errorf("reference %d out of range (%d objects)", u, r.nobj)
	}
	for _, p := range r.path {
		if p == u {
			return map[string]any{"$ref": u}, nil
		}
	}
	o, err := r.at(r.objects, u)
	if err != nil {
		return nil, &objectError{uid: u, err: err}
	}
	if s, ok := o.v.(string); ok && s == "$null" {
		return nil, nil
	}
	next, isUID := o.v.(UID) // an entry that is itself a reference (Apple writes none)
	if !r.isDict(o) && !r.isArray(o) && !isUID {
		return o.v, nil
	}
	if depth >= r.maxDepth {
		return nil, &LimitError{Limit: "MaxDepth", Max: int64(r.maxDepth)}
	}
	r.path = append(r.path, u)
	var v any
	switch {
	case isUID:
		v, err = r.ref(uint64(next), depth+1)
	case r.isDict(o):
		v, err = r.dictionary(o, depth+1)
	default:
		v, err = r.list(o, depth+1)
	}
	if err != nil {
		if _, located := err.(*objectError); !located {
			err = &objectError{uid: u, err: err}
		}
		return nil, err
	}
	r.path = r.path[:len(r.path)-1]
	return v, nil
}

// list resolves every element of an array.
func (r *resolver) list(n node, depth int) ([]any, error) {
	cnt, err := r.alen(n)
	if err != nil {
		return nil, err
	}
	if cnt > uint64(r.budget) {
		return nil, r.spend(cnt)
	}
	out := make([]any, cnt)
	for i := range out {
		e, err := r.at(n, uint64(i))
		if err != nil {
			return nil, err
		}
		if out[i], err = r.value(e, depth); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fields resolves every entry of a dictionary except "$class", into a map with room
// for extra more entries.
func (r *resolver) fields(n node, extra, depth int) (map[string]any, error) {
	cnt, err := r.dlen(n)
	if err != nil {
		return nil, err
	}
	if cnt > uint64(r.budget) {
		return nil, r.spend(cnt)
	}
	out := make(map[string]any, min(int(cnt), maxSizeHint)+extra)
	err = r.each(n, func(k string, e node) error {
		if k == "$class" {
			return nil
		}
		v, err := r.value(e, depth)
		out[k] = v
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Kinds of Foundation classes Unarchive converts to plain values.
const (
	kindOther = iota
	kindDict
	kindArray
	kindString
	kindData
	kindDate
	kindUUID
	kindURL
	kindNull
	kindAttributed
)

// classKind maps a Foundation class name to its kind.
func classKind(name string) int {
	switch name {
	case "NSDictionary", "NSMutableDictionary":
		return kindDict
	case "NSArray", "NSMutableArray", "NSSet", "NSMutableSet", "NSOrderedSet", "NSMutableOrderedSet":
		return kindArray
	case "NSString", "NSMutableString":
		return kindString
	case "NSData", "NSMutableData":
		return kindData
	case "NSDate":
		return kindDate
	case "NSUUID":
		return kindUUID
	case "NSURL":
		return kindURL
	case "NSNull":
		return kindNull
	case "NSAttributedString", "NSMutableAttributedString":
		return kindAttributed
	}
	return kindOther
}

// class reads the class object that a "$class" value c refers to: its name and the
// kind of the first known class in its chain.
func (r *resolver) class(c node) (classInfo, error) {
	u, ok := c.v.(UID)
	if !ok {
		return classInfo{}, fmt.Errorf("$class is not a reference")
	}
	for _, ci := range r.classes {
		if ci.uid == uint64(u) {
			return ci, nil
		}
	}
	if uint64(u) >= r.nobj {
		return classInfo{}, fmt.Errorf("class reference %d out of range (%d objects)", u, r.nobj)
	}
	o, err := r.at(r.objects, uint64(u))
	if err != nil {
		return classInfo{}, err
	}
	if !r.isDict(o) {
		return classInfo{}, fmt.Errorf("class object %d is not a dictionary", u)
	}
	name, _, err := r.get(o, "$classname")
	if err != nil {
		return classInfo{}, err
	}
	ci := classInfo{uid: uint64(u)}
	if ci.name, ok = name.v.(string); !ok {
		return classInfo{}, fmt.Errorf("class object %d has no $classname", u)
	}
	if ci.kind = classKind(ci.name); ci.kind == kindOther {
		if ci.kind, err = r.chainKind(o); err != nil {
			return classInfo{}, err
		}
	}
	if len(r.classes) < maxClassCache {
		r.classes = append(r.classes, ci)
	}
	return ci, nil
}

// chainKind returns the kind of the first known class in the $classes of the class
// object o.
func (r *resolver) chainKind(o node) (int, error) {
	chain, ok, err := r.get(o, "$classes")
	if err != nil || !ok || !r.isArray(chain) {
		return kindOther, err
	}
	cnt, err := r.alen(chain)
	if err != nil {
		return kindOther, err
	}
	if err := r.spend(cnt); err != nil {
		return kindOther, err
	}
	for i := uint64(0); i < cnt; i++ {
		e, err := r.at(chain, i)
		if err != nil {
			return kindOther, err
		}
		if s, ok := e.v.(string); ok {
			if k := classKind(s); k != kindOther {
				return k, nil
			}
		}
	}
	return kindOther, nil
}

// object resolves an archived object n whose "$class" value is c.
func (r *resolver) object(n, c node, depth int) (any, error) {
	ci, err := r.class(c)
	if err != nil {
		return nil, err
	}
	var v any
	var ok bool
	switch ci.kind {
	case kindNull:
		return nil, nil
	case kindDict:
		v, ok, err = r.nsDictionary(n, depth)
	case kindArray:
		v, ok, err = r.nsArray(n, depth)
	case kindString:
		v, ok, err = r.nsString(n, depth)
	case kindData:
		v, ok, err = r.typed(n, "NS.data", depth, func(x any) (any, bool) { b, ok := x.([]byte); return b, ok })
	case kindDate:
		v, ok, err = r.typed(n, "NS.time", depth, nsDate)
	case kindUUID:
		v, ok, err = r.typed(n, "NS.uuidbytes", depth, func(x any) (any, bool) {
			if b, ok := x.([]byte); ok && len(b) == 16 {
				return uuidString(b), true
			}
			return nil, false
		})
	case kindURL:
		v, ok, err = r.nsURL(n, depth)
	}
	if err != nil || ok {
		return v, err
	}
	// Any other class, or a known class whose fields do not have the usual shape.
	out, err := r.fields(n, 2, depth)
	if err != nil {
		return nil, err
	}
	out["$class"] = ci.name
	if ci.kind == kindAttributed {
		if s, isStr := out["NSString"].(string); isStr {
			out["string"] = s
		}
	}
	return out, nil
}

// typed resolves the field key of n and converts it with conv.
func (r *resolver) typed(n node, key string, depth int, conv func(any) (any, bool)) (any, bool, error) {
	f, ok, err := r.get(n, key)
	if err != nil || !ok {
		return nil, false, err
	}
	x, err := r.value(f, depth)
	if err != nil {
		return nil, false, err
	}
	v, ok := conv(x)
	return v, ok, nil
}

// nsDictionary resolves an NSDictionary from NS.keys and NS.objects.
func (r *resolver) nsDictionary(n node, depth int) (any, bool, error) {
	keys, okK, err := r.get(n, "NS.keys")
	if err != nil {
		return nil, false, err
	}
	vals, okV, err := r.get(n, "NS.objects")
	if err != nil || !okK || !okV || !r.isArray(keys) || !r.isArray(vals) {
		return nil, false, err
	}
	cnt, err := r.alen(keys)
	if err != nil {
		return nil, false, err
	}
	if cv, err := r.alen(vals); err != nil || cv != cnt {
		return nil, false, err
	}
	if 2*cnt > uint64(r.budget) {
		return nil, false, r.spend(2 * cnt)
	}
	out := make(map[string]any, min(cnt, maxSizeHint))
	for i := uint64(0); i < cnt; i++ {
		kn, err := r.at(keys, i)
		if err != nil {
			return nil, false, err
		}
		vn, err := r.at(vals, i)
		if err != nil {
			return nil, false, err
		}
		k, err := r.value(kn, depth)
		if err != nil {
			return nil, false, err
		}
		v, err := r.value(vn, depth)
		if err != nil {
			return nil, false, err
		}
		ks, isStr := k.(string)
		if !isStr {
			ks = fmt.Sprintf("%v", k)
		}
		out[ks] = v
	}
	return out, true, nil
}

// nsArray resolves an NSArray or NSSet from NS.objects.
func (r *resolver) nsArray(n node, depth int) (any, bool, error) {
	objs, ok, err := r.get(n, "NS.objects")
	if err != nil || !ok || !r.isArray(objs) {
		return nil, false, err
	}
	out, err := r.list(objs, depth)
	return out, err == nil, err
}

// nsString resolves an NSString from NS.string (or UTF-8 NS.bytes).
func (r *resolver) nsString(n node, depth int) (any, bool, error) {
	v, ok, err := r.typed(n, "NS.string", depth, func(x any) (any, bool) { s, ok := x.(string); return s, ok })
	if err != nil || ok {
		return v, ok, err
	}
	return r.typed(n, "NS.bytes", depth, func(x any) (any, bool) {
		if b, ok := x.([]byte); ok {
			return string(b), true
		}
		return nil, false
	})
}

// nsURL resolves an NSURL: NS.relative, resolved against NS.base when there is one.
func (r *resolver) nsURL(n node, depth int) (any, bool, error) {
	rel, ok, err := r.typed(n, "NS.relative", depth, func(x any) (any, bool) { s, ok := x.(string); return s, ok })
	if err != nil || !ok {
		return nil, false, err
	}
	base, _, err := r.typed(n, "NS.base", depth, func(x any) (any, bool) { s, ok := x.(string); return s, ok })
	if err != nil {
		return nil, false, err
	}
	relStr, baseStr := rel.(string), ""
	if base != nil {
		baseStr = base.(string)
	}
	if baseStr == "" {
		return relStr, true, nil
	}
	b, errB := url.Parse(baseStr)
	u, errR := url.Parse(relStr)
	if errB != nil || errR != nil {
		return baseStr + relStr, true, nil
	}
	return b.ResolveReference(u).String(), true, nil
}

// nsDate converts NS.time.
func nsDate(v any) (any, bool) {
	switch t := v.(type) {
	case float64:
		return appleDate(t), true
	case int64:
		return appleDate(float64(t)), true
	case uint64:
		return appleDate(float64(t)), true
	}
	return nil, false
}

// uuidString formats 16 bytes as a canonical lowercase UUID.
func uuidString(b []byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
