// Package timefmt converts the time bases found on phones into UTC instants and
// writes them the way MVT's consumers expect.
//
// Time bases handled:
//   - Mac absolute time (Cocoa, CFAbsoluteTime): seconds since 2001-01-01 00:00:00 UTC,
//     as a float or an integer; iOS 11 and later store some of them (sms.db date columns)
//     as integer nanoseconds since the same epoch.
//   - Unix time in seconds, milliseconds, microseconds or nanoseconds.
//   - WebKit/Chrome time: microseconds since 1601-01-01 00:00:00 UTC.
//
// Output format is MVT's "YYYY-MM-DD HH:MM:SS.ffffff", always UTC, no zone suffix.
package timefmt

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Layout is the textual form of every time spytrace writes into results files.
const Layout = "2006-01-02 15:04:05.000000"

// macEpochUnix is 2001-01-01T00:00:00Z in Unix seconds.
const macEpochUnix = 978307200

// webkitEpochOffsetMicros is the number of microseconds between 1601-01-01 and 1970-01-01.
const webkitEpochOffsetMicros = 11644473600 * 1_000_000

// Bounds of the instants spytrace accepts as real: anything outside is reported as
// unknown rather than as a nonsense date (a hostile or corrupt value must not print as
// year 292277026596).
var (
	minValid = time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	maxValid = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// macNanosThreshold separates Mac absolute seconds from Mac absolute nanoseconds: no
// plausible seconds value exceeds it (1e11 s is year 5170), while every nanosecond value
// after 2001-01-02 does.
const macNanosThreshold = 1e11

// Valid reports whether t is inside the range of plausible device times.
func Valid(t time.Time) bool {
	return !t.Before(minValid) && t.Before(maxValid)
}

func checked(t time.Time) time.Time {
	if !Valid(t) {
		return time.Time{}
	}
	return t.UTC()
}

// FromMacAbsolute converts a Mac absolute time in seconds (possibly fractional) to UTC.
// Values that can only be nanoseconds (iOS 11+ sms.db) are detected and converted.
// Zero, NaN, infinities and out-of-range values give the zero time.
func FromMacAbsolute(v float64) time.Time {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return time.Time{}
	}
	if math.Abs(v) >= macNanosThreshold {
		return FromMacAbsoluteNanos(int64(v))
	}
	sec, frac := math.Modf(v)
	return checked(time.Unix(int64(sec)+macEpochUnix, int64(math.Round(frac*1e6))*1000))
}

// FromMacAbsoluteNanos converts nanoseconds since 2001-01-01 UTC.
func FromMacAbsoluteNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return checked(time.Unix(macEpochUnix+ns/1e9, ns%1e9))
}

// FromMacAbsoluteInt converts an integer Mac absolute time which may be seconds or,
// on iOS 11 and later, nanoseconds.
func FromMacAbsoluteInt(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	if v >= macNanosThreshold || v <= -macNanosThreshold {
		return FromMacAbsoluteNanos(v)
	}
	return checked(time.Unix(v+macEpochUnix, 0))
}

// FromUnix converts Unix seconds (possibly fractional).
func FromUnix(v float64) time.Time {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(v)
	return checked(time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000))
}

// FromUnixMillis converts Unix milliseconds.
func FromUnixMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return checked(time.UnixMilli(ms))
}

// FromUnixMicros converts Unix microseconds.
func FromUnixMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return checked(time.UnixMicro(us))
}

// FromWebKit converts WebKit/Chrome time: microseconds since 1601-01-01 UTC.
func FromWebKit(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return FromUnixMicros(us - webkitEpochOffsetMicros)
}

// ToMacAbsolute returns the Mac absolute seconds of t (for fixtures and tests).
func ToMacAbsolute(t time.Time) float64 {
	return float64(t.UnixNano()-macEpochUnix*1e9) / 1e9
}

// ToMacAbsoluteNanos returns the Mac absolute nanoseconds of t.
func ToMacAbsoluteNanos(t time.Time) int64 {
	return t.UnixNano() - macEpochUnix*1e9
}

// ToWebKit returns the WebKit/Chrome microseconds of t.
func ToWebKit(t time.Time) int64 {
	return t.UnixMicro() + webkitEpochOffsetMicros
}

// Format writes t in [Layout] (UTC), or "" for the zero time.
func Format(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(Layout)
}

// Parse reads a time written by [Format] or by MVT, or an RFC 3339 time.
func Parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{Layout, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("parse time %q: unknown layout", s)
}

// Time is a UTC instant that marshals to JSON in [Layout], or null when unknown.
// Records use it for their MVT "isodate"-style fields.
type Time struct{ time.Time }

// Of wraps t.
func Of(t time.Time) Time { return Time{t} }

// String returns the [Layout] form, or "" when unknown.
func (t Time) String() string { return Format(t.Time) }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(Format(t.Time))
}

// UnmarshalJSON implements json.Unmarshaler; it accepts null, "", [Layout] and RFC 3339.
// Any other value reads as an unknown time rather than an error: records read back
// from results folders written by other tools hold 0 or "0" for a date they did not
// know, and one such field must not lose the rest of the record.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	if v, err := Parse(s); err == nil {
		t.Time = v
	}
	return nil
}

// TimeText is like [Time] but writes "" rather than null for an unknown time, as MVT
// does for an alert's event_time.
type TimeText struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t TimeText) MarshalJSON() ([]byte, error) { return json.Marshal(Format(t.Time)) }

// UnmarshalJSON implements json.Unmarshaler.
func (t *TimeText) UnmarshalJSON(b []byte) error {
	var v Time
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	t.Time = v.Time
	return nil
}
