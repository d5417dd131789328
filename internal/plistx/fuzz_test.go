package plistx_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/plistx"
)

// seeds returns fuzzing seeds in every format: archives written by Archive and their
// XML rewrites, hand-built archives and binary plists, and text plists.
func seeds(t testing.TB) [][]byte {
	u := func(i uint64) plist.UID { return plist.UID(i) }
	root := map[string]any{"root": u(1)}
	self := &plistx.Object{Class: "Node", Fields: map[string]any{"name": "n"}}
	self.Fields["self"] = self
	var dag *plistx.Object
	for i := 0; i < 6; i++ {
		dag = &plistx.Object{Class: "Pair", Fields: map[string]any{"l": dag, "r": dag}}
	}
	values := []any{
		mbFile(t), self, dag, "s", int64(-1), uint64(math.MaxUint64), 1.5, true, nil,
		[]byte{1}, time.Date(2021, 7, 18, 0, 0, 0, 0, time.UTC),
		map[string]any{"a": []any{"b", map[string]any{"c": 1}}},
		&plistx.Object{Class: "NSUUID", Fields: map[string]any{"NS.uuidbytes": make([]byte, 16)}},
		&plistx.Object{Class: "NSURL", Fields: map[string]any{"NS.base": nil, "NS.relative": "https://example.org/"}},
		&plistx.Object{Class: "NSMutableSet", Classes: []string{"NSSet", "NSObject"}, Fields: map[string]any{"NS.objects": []any{"a"}}},
		&plistx.Object{Class: "NSAttributedString", Fields: map[string]any{"NSString": "x"}},
	}
	var out [][]byte
	for _, v := range values {
		b, err := plistx.Archive(v)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		out = append(out, b, toXML(t, b))
	}
	var p rawPlist
	out = append(out,
		[]byte(mbFileXML),
		archiveDoc(t, root, "$null", map[string]any{"NS.objects": []any{u(1), u(3)}, "$class": u(2)}, cls("NSArray", "NSObject"), "x"),
		archiveDoc(t, map[string]any{"a": u(1), "b": u(9)}, "$null", "a"),
		archiveDoc(t, root, "$null", map[string]any{"NS.keys": []any{u(3)}, "NS.objects": []any{u(2)}, "$class": u(2)}, cls("NSDictionary", "NSObject"), int64(1)),
		utf16Overflow(),
		nestedBinary(3),
		dagBinary(4),
		rawPlist{objs: [][]byte{p.arr(1, 2, 3), {0x00}, bpUTF16("é"), p.dict([]int{4}, []int{0}), bpStr("k")}}.bytes(),
		[]byte(xmlHeader+"<dict><key>a</key><array><integer>1</integer><real>2</real><date>2021-07-18T10:20:30Z</date><data>AQI=</data><true/></array></dict></plist>"),
		[]byte(`{ a = (b, "c\n", <0102>); d = { e = f; }; /* x */ g = <*I1>; h = <[AQI=]>; } // y`),
		[]byte(`"k" = "v";`),
	)
	return out
}

// libraryDecode calls the plist library directly, recovering its panics.
func libraryDecode(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("plist library panic: %v", r)
		}
	}()
	_, err = plist.Unmarshal(data, &v)
	return v, err
}

func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := plistx.Limits{MaxDepth: 8, MaxObjects: 10_000}
		v, err := plistx.Decode(data, lim)
		if err == nil && depthOf(v) > lim.MaxDepth {
			t.Errorf("Decode returned depth %d > MaxDepth %d", depthOf(v), lim.MaxDepth)
		}
		var into any
		_ = plistx.DecodeInto(data, &into, lim)
		_ = plistx.Format(data)
		// The pre-scan must never see less nesting than the library builds: that is
		// what keeps the library's recursion off a stack overflow.
		if depth, isXML, ok := plistx.PrescanDepth(data); ok && len(data) < 1<<16 {
			raw, err := libraryDecode(data)
			if err != nil {
				return
			}
			bound := depth + 1 // a .strings file is a dictionary without braces
			if isXML {
				bound = depth
			}
			if d := depthOf(raw); d > bound {
				t.Errorf("library built depth %d, pre-scan measured %d (xml %v)", d, depth, isXML)
			}
		}
	})
}

func FuzzUnarchive(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := plistx.Limits{MaxDepth: 16, MaxObjects: 20_000}
		v, err := plistx.Unarchive(data, lim)
		if err != nil {
			return
		}
		// Containers only up to MaxDepth, and a {"$ref"} marker one below.
		if d := depthOf(v); d > lim.MaxDepth+1 {
			t.Fatalf("Unarchive returned depth %d > MaxDepth %d", d, lim.MaxDepth)
		}
		// What Unarchive returns, Archive can write and Unarchive reads back the same,
		// except where the format itself is ambiguous.
		bin, err := plistx.Archive(v)
		if err != nil || !roundTrips(v) {
			return
		}
		back, err := plistx.Unarchive(bin, plistx.Limits{MaxObjects: 1 << 30})
		if err != nil {
			t.Fatalf("Unarchive(Archive(v)): %v", err)
		}
		if diff := cmp.Diff(v, back, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}

// roundTrips reports whether v avoids what NSKeyedArchiver cannot tell apart: the
// string "$null" (read as nil), strings that are not valid UTF-8 (which the plist
// library writes with U+FFFD), {"$ref"} cycle markers (uint64 read back as int64),
// NaN, and dates too far away for float seconds to keep their microseconds.
func roundTrips(v any) bool {
	switch x := v.(type) {
	case string:
		return x != "$null" && utf8.ValidString(x)
	case float64:
		return !math.IsNaN(x)
	case time.Time:
		return x.IsZero() || (x.Year() > 0 && x.Year() < 10_000)
	case []any:
		for _, e := range x {
			if !roundTrips(e) {
				return false
			}
		}
	case map[string]any:
		if _, ok := x["$ref"]; ok {
			return false
		}
		for k, e := range x {
			if strings.Contains(k, "$null") || !utf8.ValidString(k) || !roundTrips(e) {
				return false
			}
		}
	}
	return true
}
