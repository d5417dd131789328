package plistx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"time"

	"howett.net/plist"
)

// UID is a reference to an object of an NSKeyedArchiver document (a CF$UID).
type UID uint64

// macEpochUnix is 2001-01-01T00:00:00Z in Unix seconds, the epoch of plist dates.
const macEpochUnix = 978307200

// maxDateSeconds bounds the dates accepted from evidence (about 31 million years).
const maxDateSeconds = 1e15

// appleDate converts seconds since 2001-01-01 UTC to a time, rounded to the
// microsecond (a float64 holds no more precision for present-day dates); values that
// are not finite or not of a plausible size give the zero time.
func appleDate(s float64) time.Time {
	if math.IsNaN(s) || math.Abs(s) > maxDateSeconds {
		return time.Time{}
	}
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec)+macEpochUnix, int64(math.Round(frac*1e6))*1e3).UTC()
}

// appleSeconds is the inverse of appleDate.
func appleSeconds(t time.Time) float64 {
	return float64(t.Unix()-macEpochUnix) + float64(t.Nanosecond())/1e9
}

// Decode parses any plist format into plain Go values: map[string]any, []any, string,
// int64 (uint64 above math.MaxInt64), float64, bool, time.Time (UTC), []byte, UID and
// nil. It never panics; an input larger than MaxBytes, nesting deeper than MaxDepth,
// a binary plist expanding to more than MaxObjects values, a malformed input, or a
// runtime panic inside the plist library is an error.
func Decode(data []byte, lim Limits) (any, error) {
	v, _, err := decode(data, lim.withDefaults())
	return v, err
}

// decode is Decode with limits already defaulted; it also returns the format name.
func decode(data []byte, lim Limits) (any, string, error) {
	format, err := check(data, lim)
	if err != nil {
		return nil, format, err
	}
	if format == "binary" {
		v, err := decodeBinary(data, lim)
		if err != nil {
			return nil, format, fmt.Errorf("decode binary plist: %w", err)
		}
		return v, format, nil
	}
	var v any
	if err := unmarshal(data, &v); err != nil {
		return nil, format, fmt.Errorf("decode %s plist: %w", format, err)
	}
	n := normaliser{maxDepth: lim.MaxDepth}
	v, err = n.value(v, 0)
	if err != nil {
		return nil, format, fmt.Errorf("decode %s plist: %w", format, err)
	}
	return v, format, nil
}

// check applies the size limit and, for text formats, the pre-scan; it returns the
// format name ("binary", "xml" or "text").
func check(data []byte, lim Limits) (string, error) {
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("decode: empty input")
	case int64(len(data)) > lim.MaxBytes:
		return "", fmt.Errorf("decode: input of %d bytes: %w", len(data), errBytes(lim))
	case bytes.HasPrefix(data, []byte("bplist")):
		return "binary", nil
	}
	if sniffXML(data) {
		if err := scanXML(data, lim); err != nil {
			return "xml", fmt.Errorf("decode xml plist: %w", err)
		}
		return "xml", nil
	}
	if _, err := scanText(data, lim); err != nil {
		return "text", fmt.Errorf("decode text plist: %w", err)
	}
	return "text", nil
}

// DecodeInto is Decode into a struct or map via howett.net/plist's Unmarshal
// semantics (plist struct tags, OpenStep strings parsed into numbers), with the same
// protection: the input is decoded by Decode first, with the same limits, so an input
// Decode refuses never reaches the library's own readers, and panics inside the
// library are returned as errors. v must be a non-nil pointer.
func DecodeInto(data []byte, v any, lim Limits) error {
	lim = lim.withDefaults()
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("decode into %T: need a non-nil pointer", v)
	}
	// The library's binary reader recurses and expands shared references without
	// bounds, and its text readers are only bounded by the pre-scan: hand it only
	// documents that Decode accepts.
	_, format, err := decode(data, lim)
	if err != nil {
		return err
	}
	// The library also sizes a table by the object count of the trailer, which
	// unreferenced objects can inflate beyond what Decode looked at.
	if format == "binary" {
		// Decode accepted the trailer, whose object count sits 24 bytes from the end.
		if n := binary.BigEndian.Uint64(data[len(data)-24:]); n > uint64(lim.MaxObjects) {
			return fmt.Errorf("decode binary plist: %d objects: %w", n,
				&LimitError{Limit: "MaxObjects", Max: int64(lim.MaxObjects)})
		}
	}
	if err := unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s plist into %T: %w", format, v, err)
	}
	return nil
}

// unmarshal calls the plist library and turns any panic it lets escape (the library
// re-raises Go runtime errors) into an error.
func unmarshal(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plist library panic: %v", r)
		}
	}()
	_, err = plist.Unmarshal(data, v)
	return err
}

// normaliser converts the library's values to this package's: uint64 that fit become
// int64, float32 becomes float64, plist.UID becomes UID and times are UTC. It also
// enforces MaxDepth exactly (the pre-scan only bounds it).
type normaliser struct {
	maxDepth int
}

func (n normaliser) value(v any, depth int) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if depth >= n.maxDepth {
			return nil, &LimitError{Limit: "MaxDepth", Max: int64(n.maxDepth)}
		}
		for k, e := range x {
			c, err := n.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	case []any:
		if depth >= n.maxDepth {
			return nil, &LimitError{Limit: "MaxDepth", Max: int64(n.maxDepth)}
		}
		for i, e := range x {
			c, err := n.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
	case float32:
		return float64(x), nil
	case plist.UID:
		return UID(x), nil
	case time.Time:
		return x.UTC(), nil
	}
	return v, nil
}

// Format names the detected format of data: "binary", "xml", "openstep" or
// "gnustep" (OpenStep text using GNUstep's <*I…>, <*D…> or <[…]> extensions), and
// "unknown" for empty input. It is meant for messages: it does not validate data.
func Format(data []byte) string {
	switch {
	case len(data) == 0:
		return "unknown"
	case bytes.HasPrefix(data, []byte("bplist")):
		return "binary"
	case sniffXML(data):
		return "xml"
	}
	if measureText(data).gnustep {
		return "gnustep"
	}
	return "openstep"
}
