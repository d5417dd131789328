package safaribrowserstate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/spytrace/spytrace/internal/plistx"
)

// Bounds of one session_data blob. Safari's sessions are a few kilobytes; these limits
// only stop hostile blobs.
const (
	// MaxSessionBytes bounds a session once decompressed.
	MaxSessionBytes = 16 << 20
	// MaxSessionEntries bounds the back/forward entries read from one session.
	MaxSessionEntries = 10_000
)

// ParseSessionData decodes a tab's session_data: WebKit's legacy session state, which
// is a 4-byte big-endian format version followed by a binary property list
//
//	{SessionHistory: {SessionHistoryVersion, SessionHistoryCurrentIndex,
//	  SessionHistoryEntries: [{SessionHistoryEntryURL, SessionHistoryEntryTitle,
//	    SessionHistoryEntryOriginalURL, SessionHistoryEntryData}]}, ProvisionalURL}
//
// Safari stores it compressed with Apple's LZ4 ("bv41" blocks, COMPRESSION_LZ4) when
// uncompressedSize (the uncompressed_session_data_size column) is set and differs from
// the blob's length. An empty blob has no entries. When err is not nil, entries holds
// what could be read before the problem. It never panics and never uses more than
// about MaxSessionBytes of memory for the decoded data.
func ParseSessionData(blob []byte, uncompressedSize int64) (entries []SessionEntry, err error) {
	if len(blob) == 0 {
		return nil, nil
	}
	data := blob
	switch {
	case bytes.HasPrefix(blob, []byte("bv4")):
		limit := int64(MaxSessionBytes)
		if uncompressedSize > 0 {
			limit = min(limit, uncompressedSize)
		}
		if data, err = decodeLZ4(blob, int(limit)); err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
	case uncompressedSize > 0 && uncompressedSize != int64(len(blob)):
		return nil, fmt.Errorf("marked compressed (%d bytes uncompressed) but not an Apple LZ4 stream", uncompressedSize)
	}
	if !bytes.HasPrefix(data, []byte("bplist")) {
		// The version header (2 since 2014). Older writers stored the plist alone.
		if len(data) < 4 {
			return nil, fmt.Errorf("%d bytes: too short for a session state", len(data))
		}
		data = data[4:]
	}
	if !bytes.HasPrefix(data, []byte("bplist")) {
		// WebKit writes kCFPropertyListBinaryFormat_v1_0 only; text formats are refused
		// rather than handed to a text parser.
		return nil, errors.New("session state is not a binary property list")
	}
	v, err := plistx.Decode(data, plistx.Limits{MaxBytes: MaxSessionBytes, MaxDepth: 32, MaxObjects: 1 << 18})
	if err != nil {
		return nil, fmt.Errorf("session state: %w", err)
	}
	state, ok := plistx.AsMap(v)
	if !ok {
		return nil, fmt.Errorf("session state is %s, not a dictionary", kind(v))
	}
	hist, ok := state["SessionHistory"]
	if !ok {
		return nil, nil // no back/forward list saved
	}
	histMap, ok := plistx.AsMap(hist)
	if !ok {
		return nil, fmt.Errorf("SessionHistory is %s, not a dictionary", kind(hist))
	}
	list, ok := histMap["SessionHistoryEntries"]
	if !ok {
		return nil, nil // a tab with nothing loaded
	}
	items, ok := list.([]any)
	if !ok {
		return nil, fmt.Errorf("SessionHistoryEntries is %s, not an array", kind(list))
	}
	var bad int
	for _, it := range items {
		if len(entries) == MaxSessionEntries {
			return entries, fmt.Errorf("more than %d entries: the rest were not read", MaxSessionEntries)
		}
		m, ok := plistx.AsMap(it)
		if !ok {
			bad++
			continue
		}
		entries = append(entries, SessionEntry{
			EntryTitle:       plistx.String(m, "SessionHistoryEntryTitle"),
			EntryURL:         plistx.String(m, "SessionHistoryEntryURL"),
			EntryOriginalURL: plistx.String(m, "SessionHistoryEntryOriginalURL"),
			DataLength:       len(plistx.Bytes(m, "SessionHistoryEntryData")),
		})
	}
	if bad > 0 {
		return entries, fmt.Errorf("%d of %d entries are not dictionaries", bad, len(items))
	}
	return entries, nil
}

// kind names the type of a decoded plist value for messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "missing"
	case map[string]any:
		return "a dictionary"
	case []any:
		return "an array"
	case string:
		return "a string"
	case []byte:
		return "data"
	case bool:
		return "a boolean"
	case float64:
		return "a real number"
	case int64, uint64:
		return "an integer"
	}
	return fmt.Sprintf("a %T", v)
}

// errTruncated reports an LZ4 stream that ends early.
var errTruncated = errors.New("truncated LZ4 stream")

// decodeLZ4 decodes Apple's LZ4 stream (compression_decode_buffer with
// COMPRESSION_LZ4): blocks that each start with a 4-byte magic, "bv41" (an LZ4 block,
// after its decoded and encoded sizes as 32-bit little-endian numbers), "bv4-" (stored
// bytes, after their size), and "bv4$" at the end of the stream. Matches may reach back
// into earlier blocks. More than limit decoded bytes is an error.
func decodeLZ4(src []byte, limit int) ([]byte, error) {
	var out []byte
	for off := 0; ; {
		rest := src[off:]
		if len(rest) < 4 {
			return nil, errTruncated
		}
		switch magic := string(rest[:4]); magic {
		case "bv4$":
			return out, nil
		case "bv4-":
			if len(rest) < 8 {
				return nil, errTruncated
			}
			n := uint64(binary.LittleEndian.Uint32(rest[4:]))
			if n > uint64(len(rest)-8) {
				return nil, errTruncated
			}
			if uint64(len(out))+n > uint64(limit) {
				return nil, fmt.Errorf("decodes to more than %d bytes", limit)
			}
			out = append(out, rest[8:8+n]...)
			off += 8 + int(n)
		case "bv41":
			if len(rest) < 12 {
				return nil, errTruncated
			}
			raw := uint64(binary.LittleEndian.Uint32(rest[4:]))
			enc := uint64(binary.LittleEndian.Uint32(rest[8:]))
			if enc > uint64(len(rest)-12) {
				return nil, errTruncated
			}
			if uint64(len(out))+raw > uint64(limit) {
				return nil, fmt.Errorf("decodes to more than %d bytes", limit)
			}
			// No room is reserved for the claimed size: a block that claims megabytes
			// and holds a few bytes must cost a few bytes.
			end := len(out) + int(raw)
			var err error
			if out, err = decodeLZ4Block(out, rest[12:12+enc], end); err != nil {
				return nil, fmt.Errorf("block at offset %d: %w", off, err)
			}
			if len(out) != end {
				return nil, fmt.Errorf("block at offset %d decodes to %d bytes, its header says %d", off, len(out)-(end-int(raw)), raw)
			}
			off += 12 + int(enc)
		default:
			return nil, fmt.Errorf("unknown block %q at offset %d", magic, off)
		}
	}
}

// decodeLZ4Block appends the decoding of one LZ4 block (sequences of a token, literals,
// a 2-byte little-endian offset and a match length) to dst, which may not grow past end.
func decodeLZ4Block(dst, src []byte, end int) ([]byte, error) {
	i := 0
	// length reads the extension bytes of a 15 in the token, up to max.
	length := func(n, max int) (int, error) {
		for {
			if i >= len(src) {
				return 0, errTruncated
			}
			b := src[i]
			i++
			n += int(b)
			if n > max {
				return 0, fmt.Errorf("length goes past the block's size")
			}
			if b != 255 {
				return n, nil
			}
		}
	}
	for {
		if i >= len(src) {
			return nil, errTruncated
		}
		token := src[i]
		i++
		lit := int(token >> 4)
		if lit == 15 {
			var err error
			if lit, err = length(lit, end-len(dst)); err != nil {
				return nil, err
			}
		}
		if lit > len(src)-i {
			return nil, errTruncated
		}
		if lit > end-len(dst) {
			return nil, fmt.Errorf("literals go past the block's size")
		}
		dst = append(dst, src[i:i+lit]...)
		i += lit
		if i == len(src) {
			return dst, nil // the last sequence has literals only
		}
		if len(src)-i < 2 {
			return nil, errTruncated
		}
		offset := int(src[i]) | int(src[i+1])<<8
		i += 2
		if offset == 0 || offset > len(dst) {
			return nil, fmt.Errorf("match offset %d outside the %d bytes decoded", offset, len(dst))
		}
		n := int(token & 15)
		if n == 15 {
			var err error
			if n, err = length(n, end-len(dst)); err != nil {
				return nil, err
			}
		}
		n += 4
		if n > end-len(dst) {
			return nil, fmt.Errorf("match goes past the block's size")
		}
		from := len(dst) - offset
		if offset >= n {
			dst = append(dst, dst[from:from+n]...)
			continue
		}
		for k := 0; k < n; k++ { // overlapping copy: a repeated pattern
			dst = append(dst, dst[from+k])
		}
	}
}
