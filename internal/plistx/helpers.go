package plistx

import (
	"math"
	"time"
)

// AsMap returns v as a dictionary.
func AsMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// String returns m[key] if it is a string, and "" otherwise.
func String(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// Int returns m[key] as an integer. It accepts int64, int, uint64 up to
// math.MaxInt64, and float64 with no fractional part inside the int64 range.
func Int(m map[string]any, key string) (int64, bool) {
	switch v := m[key].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	case float64:
		// -2^63 is exact in float64; 2^63 is the first value out of range.
		if v == math.Trunc(v) && v >= -(1<<63) && v < 1<<63 {
			return int64(v), true
		}
	}
	return 0, false
}

// Float returns m[key] as a float64. It accepts float64, float32 and integers.
func Float(m map[string]any, key string) (float64, bool) {
	switch v := m[key].(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case uint64:
		return float64(v), true
	}
	return 0, false
}

// Bool returns m[key] as a bool. It accepts bool and the integers 0 and 1.
func Bool(m map[string]any, key string) (bool, bool) {
	var i int64
	switch v := m[key].(type) {
	case bool:
		return v, true
	case int64:
		i = v
	case int:
		i = int64(v)
	case uint64:
		i = int64(min(v, 2))
	default:
		return false, false
	}
	switch i {
	case 0:
		return false, true
	case 1:
		return true, true
	}
	return false, false
}

// Bytes returns m[key] if it is a []byte, and nil otherwise.
func Bytes(m map[string]any, key string) []byte {
	b, _ := m[key].([]byte)
	return b
}

// Time returns m[key] if it is a time.Time.
func Time(m map[string]any, key string) (time.Time, bool) {
	t, ok := m[key].(time.Time)
	return t, ok
}
