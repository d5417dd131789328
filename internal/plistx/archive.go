package plistx

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"howett.net/plist"
)

// maxArchiveDepth bounds the nesting Archive follows, so that a Go map or slice that
// contains itself is an error rather than a stack overflow.
const maxArchiveDepth = 10_000

// Object is an archived object of a class of its own, such as MBFile, for Archive.
// Fields map the keys of the object's dictionary to values. Numbers, booleans and UID
// are written inline in the object (as encodeInt64:forKey: and encodeBool:forKey: do);
// any other value (string, []byte, map, slice, time.Time, *Object, nil) is written as
// an object of its own and referenced by UID (as encodeObject:forKey: does), except
// under Foundation's own keys, which hold inline values as Apple writes them: []byte
// under NS.data, NS.bytes and NS.uuidbytes, a string under NS.string, and []any under
// NS.keys and NS.objects (an inline array of references). So
//
//	&Object{Class: "NSMutableData", Classes: []string{"NSData", "NSObject"},
//		Fields: map[string]any{"NS.data": key}}
//
// is an NSMutableData, and &Object{Class: "NSMutableSet", Classes: []string{"NSSet",
// "NSObject"}, Fields: map[string]any{"NS.objects": []any{"a", "b"}}} an NSMutableSet.
type Object struct {
	// Class is the class name ($classname).
	Class string
	// Classes is the superclass chain after Class; nil means ["NSObject"].
	Classes []string
	// Fields are the encoded fields.
	Fields map[string]any
}

// Archive writes v as a binary NSKeyedArchiver document (for fixtures and round-trip
// tests), in the shape Apple's NSKeyedArchiver writes: $archiver "NSKeyedArchiver",
// $version 100000, $top {"root": UID(1)} and $objects starting with "$null", each
// object's UID assigned before its fields' and its class object's after them.
//
// v and the values inside it map as follows: map[string]any → NSDictionary (keys
// sorted for determinism), []any → NSArray, string → plain string object, []byte →
// NSData, time.Time → NSDate, Go integers, floats and bool → plain number objects
// (inline inside an Object's fields), nil → $null, UID → that reference as is, and
// *Object → an object of the given class. The same *Object met twice is written once,
// so shared and cyclic graphs can be built. A NaN float is an error (the plist
// library cannot write it).
func Archive(v any) ([]byte, error) {
	a := archiver{
		objects: []any{"$null"},
		classes: map[string]plist.UID{},
		seen:    map[*Object]plist.UID{},
	}
	root, err := a.object(v, 0)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	doc := map[string]any{
		"$archiver": "NSKeyedArchiver",
		"$version":  int64(100000),
		"$top":      map[string]any{"root": root},
		"$objects":  a.objects,
	}
	out, err := marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return out, nil
}

// marshal writes a binary plist with the plist library, turning its panics into errors.
func marshal(v any) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("plist library panic: %v", r)
		}
	}()
	return plist.Marshal(v, plist.BinaryFormat)
}

// archiver accumulates $objects.
type archiver struct {
	objects []any
	classes map[string]plist.UID
	seen    map[*Object]plist.UID
}

// reserve appends a placeholder object and returns its UID.
func (a *archiver) reserve() plist.UID {
	a.objects = append(a.objects, nil)
	return plist.UID(len(a.objects) - 1)
}

// add appends a finished object and returns its UID.
func (a *archiver) add(v any) plist.UID {
	a.objects = append(a.objects, v)
	return plist.UID(len(a.objects) - 1)
}

// class returns the UID of the class object for name and its superclasses.
func (a *archiver) class(name string, supers []string) plist.UID {
	if u, ok := a.classes[name]; ok {
		return u
	}
	if supers == nil && name != "NSObject" {
		supers = []string{"NSObject"}
	}
	chain := make([]any, 0, 1+len(supers))
	chain = append(chain, name)
	for _, s := range supers {
		chain = append(chain, s)
	}
	u := a.add(map[string]any{"$classname": name, "$classes": chain})
	a.classes[name] = u
	return u
}

// inline returns the plist form of v when v is written inline (numbers, booleans,
// UIDs), and false otherwise.
func inline(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return unsignedValue(uint64(x)), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return unsignedValue(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case UID:
		return plist.UID(x), true
	case plist.UID:
		return x, true
	}
	return nil, false
}

// unsignedValue keeps values that fit int64 as int64 (written as 8-byte signed or
// shorter integers) and larger ones as uint64 (written as 16-byte integers).
func unsignedValue(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

// field returns the form of the Object field key: inline for numbers, booleans and
// UIDs and for the values of Foundation's inline keys, a reference otherwise.
func (a *archiver) field(key string, v any, depth int) (any, error) {
	if x, ok := inline(v); ok {
		return x, nil
	}
	switch x := v.(type) {
	case []byte:
		if key == "NS.data" || key == "NS.bytes" || key == "NS.uuidbytes" {
			return x, nil
		}
	case string:
		if key == "NS.string" {
			return x, nil
		}
	case []any:
		if key == "NS.keys" || key == "NS.objects" {
			return a.refs(x, depth)
		}
	}
	return a.object(v, depth)
}

// object writes v as an object of its own and returns its UID.
func (a *archiver) object(v any, depth int) (plist.UID, error) {
	if depth > maxArchiveDepth {
		return 0, fmt.Errorf("nesting deeper than %d", maxArchiveDepth)
	}
	if v == nil {
		return 0, nil
	}
	if x, ok := inline(v); ok {
		if u, isUID := x.(plist.UID); isUID {
			return u, nil
		}
		return a.add(x), nil
	}
	switch x := v.(type) {
	case string:
		return a.add(x), nil
	case []byte:
		u := a.reserve()
		a.objects[u] = map[string]any{"NS.data": x, "$class": a.class("NSData", nil)}
		return u, nil
	case time.Time:
		u := a.reserve()
		a.objects[u] = map[string]any{"NS.time": appleSeconds(x), "$class": a.class("NSDate", nil)}
		return u, nil
	case []any:
		u := a.reserve()
		objs, err := a.refs(x, depth+1)
		if err != nil {
			return 0, err
		}
		a.objects[u] = map[string]any{"NS.objects": objs, "$class": a.class("NSArray", nil)}
		return u, nil
	case map[string]any:
		u := a.reserve()
		keys := slices.Sorted(maps.Keys(x))
		ks, vs := make([]any, len(keys)), make([]any, len(keys))
		for i, k := range keys {
			ks[i] = a.add(k)
		}
		for i, k := range keys {
			c, err := a.object(x[k], depth+1)
			if err != nil {
				return 0, err
			}
			vs[i] = c
		}
		a.objects[u] = map[string]any{"NS.keys": ks, "NS.objects": vs, "$class": a.class("NSDictionary", nil)}
		return u, nil
	case Object:
		return a.custom(&x, depth)
	case *Object:
		if x == nil {
			return 0, nil
		}
		return a.custom(x, depth)
	}
	return 0, fmt.Errorf("unsupported type %T", v)
}

// refs writes each element of list as an object and returns their UIDs.
func (a *archiver) refs(list []any, depth int) ([]any, error) {
	out := make([]any, len(list))
	for i, e := range list {
		u, err := a.object(e, depth)
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

// custom writes an *Object once, however often it is referenced.
func (a *archiver) custom(o *Object, depth int) (plist.UID, error) {
	if u, ok := a.seen[o]; ok {
		return u, nil
	}
	if o.Class == "" {
		return 0, fmt.Errorf("object without a class name")
	}
	u := a.reserve()
	a.seen[o] = u
	m := make(map[string]any, len(o.Fields)+1)
	for _, k := range slices.Sorted(maps.Keys(o.Fields)) {
		if k == "$class" {
			return 0, fmt.Errorf("class %q: field name \"$class\" is reserved", o.Class)
		}
		f, err := a.field(k, o.Fields[k], depth+1)
		if err != nil {
			return 0, err
		}
		m[k] = f
	}
	m["$class"] = a.class(o.Class, o.Classes)
	a.objects[u] = m
	return u, nil
}
