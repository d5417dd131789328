package intrusionlog

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/timefmt"
)

// Helpers reading the fields of a decoded event (json.Number numbers). Values of an
// unexpected type are treated as absent, never as an error: the exporter omits fields
// it cannot write, and hostile files may put anything anywhere.

// Int returns v as an int64 when it is an integral number (or a string of one).
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), true
		}
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return i, true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

// IntPtr is Int as a pointer, nil when absent.
func IntPtr(v any) *int64 {
	if i, ok := Int(v); ok {
		return &i
	}
	return nil
}

// Str returns v when it is a string, a number's text, or "" otherwise.
func Str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// Bool reads a success-like flag: a JSON boolean (the exporter's form), a number 0 or
// 1 (the raw SecurityLog form), or the strings "true"/"false"/"1"/"0". ok is false
// when v is none of these.
func Bool(v any) (b, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i != 0, true
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	}
	return false, false
}

// Strs returns the strings of a JSON array (other elements are skipped).
func Strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s := Str(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// CleanAddress returns the address of an exported InetAddress text and the host name
// written before it: Java writes "<host>/<address>", with an empty host when none is
// known ("/192.0.2.1", "ip6-localhost/::1"). Text without "/" is returned as is.
func CleanAddress(s string) (addr, host string) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return strings.TrimSpace(s[i+1:]), strings.TrimSpace(s[:i])
	}
	return s, ""
}

// Unspecified reports whether s is the unspecified address (0.0.0.0 or ::).
func Unspecified(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Unmap().IsUnspecified()
}

// Local reports whether s is a loopback or unspecified address (127.0.0.0/8, ::1,
// 0.0.0.0, ::, and their IPv4-mapped forms), which never leaves the phone.
func Local(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	a = a.Unmap()
	return a.IsLoopback() || a.IsUnspecified()
}

// Extra returns the members of fields whose keys are not in known, or nil.
func Extra(fields map[string]any, known ...string) map[string]any {
	var out map[string]any
	for k, v := range fields {
		if isIn(k, known) {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}

func isIn(s string, l []string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// FromUnixNanos converts security events' Unix nanoseconds to UTC; zero, and instants
// outside timefmt's plausible range, give the zero time.
func FromUnixNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	t := time.Unix(0, ns).UTC()
	if !timefmt.Valid(t) {
		return time.Time{}
	}
	return t
}
