package safaribrowserstate_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/ios/safaribrowserstate"
)

var twoPages = []fixture.SafariSessionEntry{
	{URL: "https://duckduckgo.com/?q=eff", Title: "eff at DuckDuckGo"},
	{URL: "https://www.eff.org/", Title: "EFF", OriginalURL: "http://eff.org/"},
}

var twoEntries = []safaribrowserstate.SessionEntry{
	{EntryTitle: "eff at DuckDuckGo", EntryURL: "https://duckduckgo.com/?q=eff", EntryOriginalURL: "https://duckduckgo.com/?q=eff", DataLength: 129},
	{EntryTitle: "EFF", EntryURL: "https://www.eff.org/", EntryOriginalURL: "http://eff.org/", DataLength: 129},
}

func sessionBlob(t testing.TB, compress bool) ([]byte, int64) {
	t.Helper()
	data, size, err := fixture.SafariSessionData(twoPages, compress)
	if err != nil {
		t.Fatal(err)
	}
	return data, size
}

// withHeader returns WebKit's version header followed by the binary plist of v.
func withHeader(t testing.TB, v any) []byte {
	t.Helper()
	data, err := plist.Marshal(v, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{0, 0, 0, 2}, data...)
}

// stored wraps data in Apple LZ4 "bv4-" (stored) blocks.
func stored(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, "bv4-"...)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return append(out, "bv4$"...)
}

// lz4 wraps an LZ4 block in an Apple "bv41" block that claims raw decoded bytes.
func lz4(raw int, block ...byte) []byte {
	out := append([]byte("bv41"), binary.LittleEndian.AppendUint32(nil, uint32(raw))...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(block)))
	return append(out, block...)
}

func TestParseSessionData(t *testing.T) {
	plain, _ := sessionBlob(t, false)
	packed, size := sessionBlob(t, true)
	empty, _, err := fixture.SafariSessionData(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	entry := map[string]any{"SessionHistoryEntryURL": "https://www.eff.org/", "SessionHistoryEntryTitle": "EFF"}
	tests := []struct {
		name    string
		blob    []byte
		size    int64
		want    []safaribrowserstate.SessionEntry
		wantErr string // "" for none
	}{
		{"empty", nil, 0, nil, ""},
		{"uncompressed", plain, 0, twoEntries, ""},
		{"uncompressed_size_equal_to_length", plain, int64(len(plain)), twoEntries, ""},
		{"compressed", packed, size, twoEntries, ""},
		{"compressed_size_unknown", packed, 0, twoEntries, ""},
		{"stored_blocks", stored(plain[:40], plain[40:]), int64(len(plain)), twoEntries, ""},
		{"no_version_header", plain[4:], 0, twoEntries, ""},
		{"no_history", withHeader(t, map[string]any{"ProvisionalURL": "https://www.eff.org/"}), 0, nil, ""},
		{"nothing_loaded", empty, 0, nil, ""},
		{"entry_without_data", withHeader(t, map[string]any{"SessionHistory": map[string]any{"SessionHistoryEntries": []any{entry}}}), 0,
			[]safaribrowserstate.SessionEntry{{EntryTitle: "EFF", EntryURL: "https://www.eff.org/"}}, ""},

		{"too_short", []byte{0, 2}, 0, nil, "2 bytes: too short for a session state"},
		{"broken_binary_plist", []byte("\x00\x00\x00\x02bplist00\x01\x02"), 0, nil, "session state: "},
		{"text_plist", []byte("\x00\x00\x00\x02<plist><dict/></plist>"), 0, nil, "session state is not a binary property list"},
		{"not_a_dictionary", withHeader(t, []any{"x"}), 0, nil, "session state is an array, not a dictionary"},
		{"history_not_a_dictionary", withHeader(t, map[string]any{"SessionHistory": "x"}), 0, nil, "SessionHistory is a string, not a dictionary"},
		{"entries_not_an_array", withHeader(t, map[string]any{"SessionHistory": map[string]any{"SessionHistoryEntries": 3}}), 0, nil,
			"SessionHistoryEntries is an integer, not an array"},
		{"some_entries_not_dictionaries", withHeader(t, map[string]any{"SessionHistory": map[string]any{"SessionHistoryEntries": []any{"x", entry}}}), 0,
			[]safaribrowserstate.SessionEntry{{EntryTitle: "EFF", EntryURL: "https://www.eff.org/"}}, "1 of 2 entries are not dictionaries"},
		{"marked_compressed_not_lz4", plain, 9999, nil, "marked compressed (9999 bytes uncompressed) but not an Apple LZ4 stream"},
		{"size_smaller_than_content", packed, size - 1, nil, "decompress: decodes to more than"},
		{"lz4_bomb", lz4(1<<30, 0x1f, 'a', 1, 0, 0xff, 0xff), 0, nil, "decompress: decodes to more than 16777216 bytes"},
		{"lz4_truncated", packed[:len(packed)-4], size, nil, "decompress: truncated LZ4 stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := safaribrowserstate.ParseSessionData(tc.blob, tc.size)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one starting %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestManyEntriesAreBounded(t *testing.T) {
	list := make([]any, safaribrowserstate.MaxSessionEntries+5)
	for i := range list {
		list[i] = map[string]any{"SessionHistoryEntryURL": "https://www.eff.org/"}
	}
	got, err := safaribrowserstate.ParseSessionData(withHeader(t, map[string]any{"SessionHistory": map[string]any{"SessionHistoryEntries": list}}), 0)
	if len(got) != safaribrowserstate.MaxSessionEntries || err == nil || !strings.Contains(err.Error(), "the rest were not read") {
		t.Errorf("%d entries, error %v: want %d and an error", len(got), err, safaribrowserstate.MaxSessionEntries)
	}
}

func TestDecodeLZ4(t *testing.T) {
	tests := []struct {
		name    string
		src     []byte
		want    string
		wantErr string
	}{
		{"stored", stored([]byte("abc")), "abc", ""},
		{"empty_stream", []byte("bv4$"), "", ""},
		// One literal, then a 10-byte match at offset 1: a run, as LZ4 encodes it.
		{"overlapping_match", append(lz4(12, 0x16, 'a', 1, 0, 0x10, 'b'), "bv4$"...), "aaaaaaaaaaab", ""},
		// Literal lengths of 15 and more take extension bytes.
		{"long_literals", append(lz4(20, append([]byte{0xf0, 5}, "abcdefghijklmnopqrst"...)...), "bv4$"...), "abcdefghijklmnopqrst", ""},
		// The second block copies from the first.
		{"match_into_previous_block", append(append(lz4(4, 0x40, 'w', 'x', 'y', 'z'), lz4(5, 0x00, 4, 0, 0x10, '!')...), "bv4$"...), "wxyzwxyz!", ""},
		{"real_session", fixture.SafariLZ4([]byte(strings.Repeat("SessionHistoryEntryURL https://www.eff.org/ ", 40))),
			strings.Repeat("SessionHistoryEntryURL https://www.eff.org/ ", 40), ""},

		{"no_end_marker", stored([]byte("abc"))[:11], "", "truncated LZ4 stream"},
		{"unknown_block", []byte("bvx2\x00\x00\x00\x00"), "", `unknown block "bvx2" at offset 0`},
		{"offset_zero", append(lz4(9, 0x10, 'a', 0, 0, 0x00), "bv4$"...), "", "block at offset 0: match offset 0 outside the 1 bytes decoded"},
		{"offset_too_far", append(lz4(9, 0x10, 'a', 2, 0, 0x00), "bv4$"...), "", "block at offset 0: match offset 2 outside the 1 bytes decoded"},
		{"short_block", append(lz4(9, 0x30, 'a', 'b', 'c'), "bv4$"...), "", "block at offset 0 decodes to 3 bytes, its header says 9"},
		{"literals_past_size", append(lz4(2, 0x30, 'a', 'b', 'c'), "bv4$"...), "", "block at offset 0: literals go past the block's size"},
		{"stored_past_end", []byte("bv4-\xff\xff\xff\xffabc"), "", "truncated LZ4 stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := safaribrowserstate.DecodeLZ4(tc.src, 1<<20)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("decoded %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzSessionData(f *testing.F) {
	plain, _ := sessionBlob(f, false)
	packed, size := sessionBlob(f, true)
	f.Add(plain, int64(0))
	f.Add(packed, size)
	f.Add(packed, int64(0))
	f.Add(stored(plain), int64(len(plain)))
	f.Add(plain[4:], int64(0))
	f.Add([]byte("bv41\xff\xff\x00\x00\x08\x00\x00\x00\x1fa\x01\x00\xff\xff\xff\xffbv4$"), int64(0))
	f.Fuzz(func(t *testing.T, blob []byte, size int64) {
		entries, err := safaribrowserstate.ParseSessionData(blob, size)
		if len(entries) > safaribrowserstate.MaxSessionEntries {
			t.Fatalf("%d entries, more than the bound", len(entries))
		}
		if err == nil && len(blob) == 0 && entries != nil {
			t.Fatal("entries from an empty blob")
		}
	})
}

func FuzzDecodeLZ4(f *testing.F) {
	f.Add(fixture.SafariLZ4(bytes.Repeat([]byte("https://www.eff.org/"), 50)))
	f.Add(stored([]byte("abc"), []byte("def")))
	f.Add(append(lz4(12, 0x16, 'a', 1, 0, 0x10, 'b'), "bv4$"...))
	f.Fuzz(func(t *testing.T, src []byte) {
		const limit = 1 << 16
		out, err := safaribrowserstate.DecodeLZ4(src, limit)
		if len(out) > limit {
			t.Fatalf("decoded %d bytes, limit %d", len(out), limit)
		}
		if err != nil && out != nil {
			t.Fatal("output returned with an error")
		}
	})
}
