package plistx_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/plistx"
)

// wrappedKey is an MBFile EncryptionKey: a 4-byte little-endian protection class and
// a 40-byte wrapped key.
func wrappedKey() []byte {
	return append([]byte{3, 0, 0, 0}, bytes.Repeat([]byte{0xa5}, 40)...)
}

// mbFile is an MBFile as found in the file column of an iOS backup's Manifest.db.
func mbFile(t testing.TB) *plistx.Object {
	xattrs := marshal(t, map[string]any{"com.apple.assetsd.UUID": []byte("0c1d2e3f")}, plist.BinaryFormat)
	return &plistx.Object{Class: "MBFile", Fields: map[string]any{
		"Birth":            1_600_000_000,
		"LastModified":     1_600_000_100,
		"LastStatusChange": 1_600_000_200,
		"Mode":             0o100644,
		"UserID":           501,
		"GroupID":          501,
		"InodeNumber":      uint64(12_345_678),
		"Size":             int64(28_672),
		"Flags":            0,
		"ProtectionClass":  3,
		"RelativePath":     "Library/SMS/sms.db",
		"EncryptionKey": &plistx.Object{
			Class: "NSMutableData", Classes: []string{"NSData", "NSObject"},
			Fields: map[string]any{"NS.data": wrappedKey()},
		},
		"Digest":             []byte{0xde, 0xad, 0xbe, 0xef},
		"ExtendedAttributes": xattrs,
	}}
}

// mbFileWant is what Unarchive returns for mbFile.
func mbFileWant(t testing.TB) map[string]any {
	return map[string]any{
		"$class":             "MBFile",
		"Birth":              int64(1_600_000_000),
		"LastModified":       int64(1_600_000_100),
		"LastStatusChange":   int64(1_600_000_200),
		"Mode":               int64(0o100644),
		"UserID":             int64(501),
		"GroupID":            int64(501),
		"InodeNumber":        int64(12_345_678),
		"Size":               int64(28_672),
		"Flags":              int64(0),
		"ProtectionClass":    int64(3),
		"RelativePath":       "Library/SMS/sms.db",
		"EncryptionKey":      wrappedKey(),
		"Digest":             []byte{0xde, 0xad, 0xbe, 0xef},
		"ExtendedAttributes": marshal(t, map[string]any{"com.apple.assetsd.UUID": []byte("0c1d2e3f")}, plist.BinaryFormat),
	}
}

// TestArchiveMBFileShape checks that Archive writes the document Apple writes.
func TestArchiveMBFileShape(t *testing.T) {
	data, err := plistx.Archive(mbFile(t))
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	if !bytes.HasPrefix(data, []byte("bplist00")) {
		t.Fatalf("Archive output starts with %q", data[:8])
	}
	got, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := map[string]any{
		"$archiver": "NSKeyedArchiver",
		"$version":  int64(100000),
		"$top":      map[string]any{"root": plistx.UID(1)},
		"$objects": []any{
			"$null",
			map[string]any{
				"$class":             plistx.UID(8),
				"Birth":              int64(1_600_000_000),
				"Digest":             plistx.UID(2),
				"EncryptionKey":      plistx.UID(4),
				"ExtendedAttributes": plistx.UID(6),
				"Flags":              int64(0),
				"GroupID":            int64(501),
				"InodeNumber":        int64(12_345_678),
				"LastModified":       int64(1_600_000_100),
				"LastStatusChange":   int64(1_600_000_200),
				"Mode":               int64(0o100644),
				"ProtectionClass":    int64(3),
				"RelativePath":       plistx.UID(7),
				"Size":               int64(28_672),
				"UserID":             int64(501),
			},
			map[string]any{"NS.data": []byte{0xde, 0xad, 0xbe, 0xef}, "$class": plistx.UID(3)},
			map[string]any{"$classname": "NSData", "$classes": []any{"NSData", "NSObject"}},
			map[string]any{"NS.data": wrappedKey(), "$class": plistx.UID(5)},
			map[string]any{"$classname": "NSMutableData", "$classes": []any{"NSMutableData", "NSData", "NSObject"}},
			map[string]any{"NS.data": mbFileWant(t)["ExtendedAttributes"], "$class": plistx.UID(3)},
			"Library/SMS/sms.db",
			map[string]any{"$classname": "MBFile", "$classes": []any{"MBFile", "NSObject"}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archived MBFile (-want +got):\n%s", diff)
	}
	if !plistx.IsArchive(got) {
		t.Errorf("IsArchive = false")
	}
}

// mbFileXML is an MBFile archive in XML form, as plutil writes it.
const mbFileXML = xmlHeader + `<dict>
	<key>$archiver</key>
	<string>NSKeyedArchiver</string>
	<key>$objects</key>
	<array>
		<string>$null</string>
		<dict>
			<key>$class</key>
			<dict>
				<key>CF$UID</key>
				<integer>5</integer>
			</dict>
			<key>Birth</key>
			<integer>1600000000</integer>
			<key>EncryptionKey</key>
			<dict>
				<key>CF$UID</key>
				<integer>3</integer>
			</dict>
			<key>Flags</key>
			<integer>0</integer>
			<key>GroupID</key>
			<integer>501</integer>
			<key>InodeNumber</key>
			<integer>12345678</integer>
			<key>LastModified</key>
			<integer>1600000100</integer>
			<key>LastStatusChange</key>
			<integer>1600000200</integer>
			<key>Mode</key>
			<integer>33188</integer>
			<key>ProtectionClass</key>
			<integer>3</integer>
			<key>RelativePath</key>
			<dict>
				<key>CF$UID</key>
				<integer>2</integer>
			</dict>
			<key>Size</key>
			<integer>28672</integer>
			<key>UserID</key>
			<integer>501</integer>
		</dict>
		<string>Library/SMS/sms.db</string>
		<dict>
			<key>$class</key>
			<dict>
				<key>CF$UID</key>
				<integer>4</integer>
			</dict>
			<key>NS.data</key>
			<data>
			AwAAAKWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU=
			</data>
		</dict>
		<dict>
			<key>$classes</key>
			<array>
				<string>NSMutableData</string>
				<string>NSData</string>
				<string>NSObject</string>
			</array>
			<key>$classname</key>
			<string>NSMutableData</string>
		</dict>
		<dict>
			<key>$classes</key>
			<array>
				<string>MBFile</string>
				<string>NSObject</string>
			</array>
			<key>$classname</key>
			<string>MBFile</string>
		</dict>
	</array>
	<key>$top</key>
	<dict>
		<key>root</key>
		<dict>
			<key>CF$UID</key>
			<integer>1</integer>
		</dict>
	</dict>
	<key>$version</key>
	<integer>100000</integer>
</dict>
</plist>
`

func TestUnarchiveMBFile(t *testing.T) {
	bin, err := plistx.Archive(mbFile(t))
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	xmlWant := mbFileWant(t)
	delete(xmlWant, "Digest")
	delete(xmlWant, "ExtendedAttributes")
	tests := []struct {
		name string
		data []byte
		want map[string]any
	}{
		{name: "binary", data: bin, want: mbFileWant(t)},
		{name: "binary_to_xml", data: toXML(t, bin), want: mbFileWant(t)},
		{name: "xml_plutil", data: []byte(mbFileXML), want: xmlWant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := plistx.Unarchive(tc.data, plistx.Limits{})
			if err != nil {
				t.Fatalf("Unarchive: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Unarchive (-want +got):\n%s", diff)
			}
			m, _ := plistx.AsMap(got)
			key := plistx.Bytes(m, "EncryptionKey")
			if len(key) != 44 || key[0] != 3 {
				t.Errorf("EncryptionKey = %x", key)
			}
			if size, ok := plistx.Int(m, "Size"); !ok || size != 28_672 {
				t.Errorf("Size = %d, %v", size, ok)
			}
			// The extended attributes are themselves a binary plist.
			if xa := plistx.Bytes(m, "ExtendedAttributes"); xa != nil {
				v, err := plistx.Decode(xa, plistx.Limits{})
				if err != nil {
					t.Fatalf("Decode ExtendedAttributes: %v", err)
				}
				if diff := cmp.Diff(map[string]any{"com.apple.assetsd.UUID": []byte("0c1d2e3f")}, v); diff != "" {
					t.Errorf("ExtendedAttributes (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestUnarchiveRoundTrip archives a value of every supported class with Archive and
// reads it back, from the binary document and from its XML rewrite.
func TestUnarchiveRoundTrip(t *testing.T) {
	when := time.Date(2021, 7, 18, 10, 20, 30, 123_456_000, time.UTC)
	uuid := []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	base := &plistx.Object{Class: "NSURL", Fields: map[string]any{"NS.base": nil, "NS.relative": "https://example.org/dir/"}}
	tests := []struct {
		name string
		in   any
		want any
	}{
		{name: "NSString_plain", in: "Pegasus", want: "Pegasus"},
		{name: "NSString_unicode", in: "Prédateur ✓ \U0001F600", want: "Prédateur ✓ \U0001F600"},
		{name: "NSString_object", in: &plistx.Object{Class: "NSString", Fields: map[string]any{"NS.string": "x"}}, want: "x"},
		{name: "NSMutableString", in: &plistx.Object{Class: "NSMutableString", Classes: []string{"NSString", "NSObject"}, Fields: map[string]any{"NS.string": "y"}}, want: "y"},
		{name: "NSNumber_int", in: -42, want: int64(-42)},
		{name: "NSNumber_uint64", in: uint64(math.MaxUint64), want: uint64(math.MaxUint64)},
		{name: "NSNumber_float", in: 2.5, want: 2.5},
		{name: "NSNumber_bool", in: true, want: true},
		{name: "NSNumber_types", in: &plistx.Object{Class: "Nums", Fields: map[string]any{
			"i8": int8(-8), "i16": int16(-16), "i32": int32(-32), "i": -1, "u": uint(1), "u8": uint8(8),
			"u16": uint16(16), "u32": uint32(32), "u64": uint64(64), "f32": float32(0.5), "b": false, "uid": plistx.UID(0),
		}}, want: map[string]any{
			"$class": "Nums", "i8": int64(-8), "i16": int64(-16), "i32": int64(-32), "i": int64(-1), "u": int64(1), "u8": int64(8),
			"u16": int64(16), "u32": int64(32), "u64": int64(64), "f32": 0.5, "b": false, "uid": nil,
		}},
		{name: "null", in: nil, want: nil},
		{name: "NSNull", in: &plistx.Object{Class: "NSNull"}, want: nil},
		{name: "NSData", in: []byte{1, 2, 3}, want: []byte{1, 2, 3}},
		{name: "NSData_empty", in: []byte{}, want: []byte{}},
		{name: "NSMutableData", in: &plistx.Object{Class: "NSMutableData", Classes: []string{"NSData", "NSObject"}, Fields: map[string]any{"NS.data": []byte{4}}}, want: []byte{4}},
		{name: "NSDate", in: when, want: when},
		{name: "NSDate_before_2001", in: time.Date(1999, 12, 31, 23, 59, 59, 500_000_000, time.UTC), want: time.Date(1999, 12, 31, 23, 59, 59, 500_000_000, time.UTC)},
		{name: "NSUUID", in: &plistx.Object{Class: "NSUUID", Fields: map[string]any{"NS.uuidbytes": uuid}}, want: "12345678-9abc-def0-0123-456789abcdef"},
		{name: "NSURL", in: &plistx.Object{Class: "NSURL", Fields: map[string]any{"NS.base": nil, "NS.relative": "https://example.org/thisisbad"}}, want: "https://example.org/thisisbad"},
		{name: "NSURL_relative", in: &plistx.Object{Class: "NSURL", Fields: map[string]any{"NS.base": base, "NS.relative": "x?y=1"}}, want: "https://example.org/dir/x?y=1"},
		{name: "NSArray", in: []any{"a", 1, nil, []any{}, 1.5}, want: []any{"a", int64(1), nil, []any{}, 1.5}},
		{name: "NSMutableArray", in: &plistx.Object{Class: "NSMutableArray", Classes: []string{"NSArray", "NSObject"}, Fields: map[string]any{"NS.objects": []any{"a"}}}, want: []any{"a"}},
		{name: "NSSet", in: &plistx.Object{Class: "NSSet", Fields: map[string]any{"NS.objects": []any{"a", "b"}}}, want: []any{"a", "b"}},
		{name: "NSMutableSet", in: &plistx.Object{Class: "NSMutableSet", Classes: []string{"NSSet", "NSObject"}, Fields: map[string]any{"NS.objects": []any{int64(1)}}}, want: []any{int64(1)}},
		{name: "NSOrderedSet", in: &plistx.Object{Class: "NSOrderedSet", Fields: map[string]any{"NS.objects": []any{"z", "y"}}}, want: []any{"z", "y"}},
		{name: "NSDictionary", in: map[string]any{"b": "x", "a": []any{when}, "c": map[string]any{}}, want: map[string]any{"b": "x", "a": []any{when}, "c": map[string]any{}}},
		{name: "NSMutableDictionary", in: &plistx.Object{Class: "NSMutableDictionary", Classes: []string{"NSDictionary", "NSObject"}, Fields: map[string]any{"NS.keys": []any{"k", 7}, "NS.objects": []any{"v", "w"}}}, want: map[string]any{"k": "v", "7": "w"}},
		{name: "NSDictionary_duplicate_keys", in: &plistx.Object{Class: "NSDictionary", Fields: map[string]any{"NS.keys": []any{"k", "k"}, "NS.objects": []any{1, 2}}}, want: map[string]any{"k": int64(2)}},
		{name: "NSAttributedString", in: &plistx.Object{Class: "NSAttributedString", Fields: map[string]any{"NSString": "hello", "NSAttributes": map[string]any{"NSColor": "red"}}},
			want: map[string]any{"$class": "NSAttributedString", "NSString": "hello", "NSAttributes": map[string]any{"NSColor": "red"}, "string": "hello"}},
		{name: "NSMutableAttributedString", in: &plistx.Object{Class: "NSMutableAttributedString", Classes: []string{"NSAttributedString", "NSObject"}, Fields: map[string]any{"NSString": &plistx.Object{Class: "NSMutableString", Fields: map[string]any{"NS.string": "hi"}}}},
			want: map[string]any{"$class": "NSMutableAttributedString", "NSString": "hi", "string": "hi"}},
		{name: "custom_class", in: &plistx.Object{Class: "SPYThing", Classes: []string{"SPYBase", "NSObject"}, Fields: map[string]any{"n": 1, "s": "x", "when": when, "list": []any{"a"}, "none": nil}},
			want: map[string]any{"$class": "SPYThing", "n": int64(1), "s": "x", "when": when, "list": []any{"a"}, "none": nil}},
		{name: "subclass_of_dictionary", in: &plistx.Object{Class: "SPYDictionary", Classes: []string{"NSMutableDictionary", "NSDictionary", "NSObject"}, Fields: map[string]any{"NS.keys": []any{"a"}, "NS.objects": []any{"b"}}}, want: map[string]any{"a": "b"}},
		{name: "known_class_odd_shape", in: &plistx.Object{Class: "NSDate", Fields: map[string]any{"other": "x"}}, want: map[string]any{"$class": "NSDate", "other": "x"}},
		{name: "nested", in: map[string]any{"files": []any{mbFile(t), map[string]any{"ok": false}}}, want: map[string]any{"files": []any{mbFileWant(t), map[string]any{"ok": false}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, err := plistx.Archive(tc.in)
			if err != nil {
				t.Fatalf("Archive: %v", err)
			}
			for _, form := range []struct {
				name string
				data []byte
			}{{"binary", bin}, {"xml", toXML(t, bin)}} {
				got, err := plistx.Unarchive(form.data, plistx.Limits{})
				if err != nil {
					t.Fatalf("%s: Unarchive: %v", form.name, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s: Unarchive (-want +got):\n%s", form.name, diff)
				}
			}
		})
	}
}

// TestUnarchiveCrafted reads archives written by hand, as an attacker or another
// archiver could write them.
func TestUnarchiveCrafted(t *testing.T) {
	u := func(i uint64) plist.UID { return plist.UID(i) }
	root := map[string]any{"root": u(1)}
	node := func() *plistx.Object { return &plistx.Object{Class: "Node", Fields: map[string]any{"name": "n"}} }
	self := node()
	self.Fields["self"] = self
	a, b := node(), node()
	a.Fields["peer"], b.Fields["peer"] = b, a
	b.Fields["name"] = "m"
	archived := func(v any) []byte {
		data, err := plistx.Archive(v)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		return data
	}
	tests := []struct {
		name string
		data []byte
		want any
	}{
		{name: "object_references_itself", data: archived(self),
			want: map[string]any{"$class": "Node", "name": "n", "self": map[string]any{"$ref": uint64(1)}}},
		{name: "objects_reference_each_other", data: archived(a),
			want: map[string]any{"$class": "Node", "name": "n", "peer": map[string]any{"$class": "Node", "name": "m", "peer": map[string]any{"$ref": uint64(1)}}}},
		{name: "array_contains_itself", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.objects": []any{u(1), u(3)}, "$class": u(2)}, cls("NSArray", "NSObject"), "x"),
			want: []any{map[string]any{"$ref": uint64(1)}, "x"}},
		{name: "shared_not_cyclic", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.objects": []any{u(3), u(3)}, "$class": u(2)}, cls("NSArray", "NSObject"), "x"),
			want: []any{"x", "x"}},
		{name: "top_without_root", data: archiveDoc(t, map[string]any{"first": u(1), "second": u(2), "inline": int64(5)}, "$null", "a", "b"),
			want: map[string]any{"first": "a", "second": "b", "inline": int64(5)}},
		{name: "inline_ns_string", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.string": "inline", "$class": u(2)}, cls("NSMutableString", "NSString", "NSObject")),
			want: "inline"},
		{name: "ns_string_as_bytes", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.bytes": []byte("utf8"), "$class": u(2)}, cls("NSString", "NSObject")),
			want: "utf8"},
		{name: "non_string_keys", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.keys": []any{u(3), u(4), u(0)}, "NS.objects": []any{u(4), u(3), u(3)}, "$class": u(2)}, cls("NSDictionary", "NSObject"), int64(5), true),
			want: map[string]any{"5": true, "true": int64(5), "<nil>": int64(5)}},
		{name: "mismatched_keys_and_objects", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.keys": []any{u(3)}, "NS.objects": []any{}, "$class": u(2)}, cls("NSDictionary", "NSObject"), "k"),
			want: map[string]any{"$class": "NSDictionary", "NS.keys": []any{"k"}, "NS.objects": []any{}}},
		{name: "date_as_integer", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.time": int64(1), "$class": u(2)}, cls("NSDate", "NSObject")),
			want: time.Date(2001, 1, 1, 0, 0, 1, 0, time.UTC)},
		{name: "date_infinite", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.time": math.Inf(-1), "$class": u(2)}, cls("NSDate", "NSObject")),
			want: time.Time{}},
		{name: "uuid_wrong_length", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.uuidbytes": []byte{1}, "$class": u(2)}, cls("NSUUID", "NSObject")),
			want: map[string]any{"$class": "NSUUID", "NS.uuidbytes": []byte{1}}},
		{name: "null_string_anywhere", data: archiveDoc(t, root, "$null", []any{u(2)}, "$null"),
			want: []any{nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var got any
			var err error
			go func() {
				defer close(done)
				got, err = plistx.Unarchive(tc.data, plistx.Limits{})
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatalf("Unarchive did not return")
			}
			if err != nil {
				t.Fatalf("Unarchive: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Unarchive (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnarchiveBinaryOddities reads binary archives no archiver writes but a forger
// could: UTF-16 keys, a key repeated in a dictionary, a set for $objects.
func TestUnarchiveBinaryOddities(t *testing.T) {
	var p rawPlist
	// 0 top dict, 1-3 keys, 4 "NSKeyedArchiver", 5 $objects, 6 $top, 7 "root", 8 UID 1,
	// 9 "$null", 10 object, 11 "$class", 12 UID 13, 13 class, 14 "$classname",
	// 15 "Thing", 16 "n", 17 int 1, 18 int 2.
	objs := [][]byte{
		p.dict([]int{1, 2, 3}, []int{4, 5, 6}),
		bpUTF16("$archiver"), bpUTF16("$objects"), bpUTF16("$top"),
		bpStr("NSKeyedArchiver"),
		p.container(0xc0, 9, 10, 13), // a set
		p.dict([]int{7}, []int{8}),
		bpUTF16("root"), {0x80, 0x01},
		bpStr("$null"),
		p.dict([]int{11, 16, 16}, []int{12, 17, 18}), // "n" twice: the last wins
		bpUTF16("$class"), {0x80, 0x02},
		p.dict([]int{14}, []int{15}),
		bpStr("$classname"), bpUTF16("Thing"),
		bpStr("n"), bpInt(1), bpInt(2),
	}
	got, err := plistx.Unarchive(rawPlist{objs: objs}.bytes(), plistx.Limits{})
	if err != nil {
		t.Fatalf("Unarchive: %v", err)
	}
	if diff := cmp.Diff(map[string]any{"$class": "Thing", "n": int64(2)}, got); diff != "" {
		t.Errorf("Unarchive (-want +got):\n%s", diff)
	}
}

func TestUnarchiveErrors(t *testing.T) {
	u := func(i uint64) plist.UID { return plist.UID(i) }
	root := map[string]any{"root": u(1)}
	// A chain of 200 objects, each holding the next.
	var chain *plistx.Object
	for i := 0; i < 200; i++ {
		chain = &plistx.Object{Class: "Link", Fields: map[string]any{"next": chain}}
	}
	// 40 levels of objects, each holding the next level twice: 2^40 paths.
	var dag *plistx.Object
	for i := 0; i < 40; i++ {
		dag = &plistx.Object{Class: "Pair", Fields: map[string]any{"l": dag, "r": dag}}
	}
	dagArrays := []any{"$null"}
	for i := uint64(1); i <= 40; i++ {
		dagArrays = append(dagArrays, map[string]any{"NS.objects": []any{u(i + 1), u(i + 1)}, "$class": u(42)})
	}
	dagArrays = append(dagArrays, "leaf", cls("NSArray", "NSObject"))
	archived := func(v any) []byte {
		data, err := plistx.Archive(v)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		return data
	}
	tests := []struct {
		name      string
		data      []byte
		lim       plistx.Limits
		wantLimit string
		wantSub   string
	}{
		{name: "root_out_of_range", data: archiveDoc(t, map[string]any{"root": u(99)}, "$null"), wantSub: "reference 99 out of range (1 objects)"},
		{name: "field_out_of_range", data: archiveDoc(t, root, "$null", map[string]any{"f": u(50), "$class": u(2)}, cls("X", "NSObject")), wantSub: "reference 50 out of range"},
		{name: "class_out_of_range", data: archiveDoc(t, root, "$null", map[string]any{"$class": u(70)}), wantSub: "class reference 70 out of range"},
		{name: "class_not_a_dictionary", data: archiveDoc(t, root, "$null", map[string]any{"$class": u(2)}, "oops"), wantSub: "not a dictionary"},
		{name: "class_without_name", data: archiveDoc(t, root, "$null", map[string]any{"$class": u(2)}, map[string]any{"$classes": []any{}}), wantSub: "no $classname"},
		{name: "class_not_a_reference", data: archiveDoc(t, root, "$null", map[string]any{"$class": "X"}), wantSub: "not a reference"},
		{name: "not_an_archive", data: marshal(t, map[string]any{"a": 1}, plist.BinaryFormat), wantSub: "not an NSKeyedArchiver document"},
		{name: "not_a_plist", data: []byte("bplist00"), wantSub: "truncated"},
		{name: "depth", data: archived(chain), wantLimit: "MaxDepth"},
		{name: "depth_small", data: archived(mbFile(t)), lim: plistx.Limits{MaxDepth: 1}, wantLimit: "MaxDepth"},
		{name: "dag_objects", data: archived(dag), wantLimit: "MaxObjects"},
		{name: "dag_arrays", data: archiveDoc(t, root, dagArrays...), wantLimit: "MaxObjects"},
		{name: "shared_data_payload", data: archiveDoc(t, root, "$null",
			map[string]any{"NS.objects": sharedRefs(2000, 3), "$class": u(2)}, cls("NSArray", "NSObject"),
			map[string]any{"NS.data": make([]byte, 100_000), "$class": u(4)}, cls("NSData", "NSObject")),
			wantLimit: "MaxBytes", wantSub: "shared references"},
		{name: "objects_small", data: archived([]any{1, 2, 3}), lim: plistx.Limits{MaxObjects: 3}, wantLimit: "MaxObjects"},
		{name: "max_bytes", data: archived(mbFile(t)), lim: plistx.Limits{MaxBytes: 100}, wantLimit: "MaxBytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			got, err := plistx.Unarchive(tc.data, tc.lim)
			if d := time.Since(start); d > time.Minute {
				t.Errorf("Unarchive took %v", d)
			}
			if err == nil {
				t.Fatalf("Unarchive = %v, want an error", got)
			}
			if l := limitOf(err); l != tc.wantLimit {
				t.Errorf("Unarchive error %q: limit %q, want %q", err, l, tc.wantLimit)
			}
			if !strings.Contains(err.Error(), tc.wantSub) {
				t.Errorf("Unarchive error %q does not contain %q", err, tc.wantSub)
			}
		})
	}
}

// sharedRefs is n references to object u.
func sharedRefs(n int, u uint64) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = plist.UID(u)
	}
	return out
}

func TestArchiveErrors(t *testing.T) {
	loop := map[string]any{}
	loop["self"] = loop
	tests := []struct {
		name string
		in   any
	}{
		{name: "unsupported_type", in: struct{}{}},
		{name: "unsupported_field", in: &plistx.Object{Class: "X", Fields: map[string]any{"c": make(chan int)}}},
		{name: "no_class", in: &plistx.Object{}},
		{name: "reserved_field", in: &plistx.Object{Class: "X", Fields: map[string]any{"$class": 1}}},
		{name: "map_contains_itself", in: loop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := plistx.Archive(tc.in); err == nil {
				t.Errorf("Archive: no error")
			}
		})
	}
}

func TestIsArchive(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{name: "archive", v: map[string]any{"$archiver": "NSKeyedArchiver", "$objects": []any{}, "$top": map[string]any{}}, want: true},
		{name: "no_top", v: map[string]any{"$archiver": "NSKeyedArchiver", "$objects": []any{}}},
		{name: "objects_not_array", v: map[string]any{"$archiver": "NSKeyedArchiver", "$objects": "x", "$top": map[string]any{}}},
		{name: "not_a_map", v: []any{}},
		{name: "nil", v: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := plistx.IsArchive(tc.v); got != tc.want {
				t.Errorf("IsArchive = %v, want %v", got, tc.want)
			}
		})
	}
}

// BenchmarkUnarchiveMBFile measures the per-file cost of reading Manifest.db: an iOS
// backup may hold 300,000 MBFile blobs.
func BenchmarkUnarchiveMBFile(b *testing.B) {
	data, err := plistx.Archive(mbFile(b))
	if err != nil {
		b.Fatalf("Archive: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := plistx.Unarchive(data, plistx.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
