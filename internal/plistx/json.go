package plistx

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"

	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// JSONValue returns a decoded plist value as results files show it: data as base64 text
// (as MVT writes it), dates as MVT time strings, invalid UTF-8 as \xNN, and non-finite
// numbers, which JSON cannot hold, as text. Nesting is bounded by the decoder's limits.
func JSONValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[safetext.EscapeInvalid(k)] = JSONValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = JSONValue(e)
		}
		return l
	case string:
		return safetext.EscapeInvalid(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return timefmt.Of(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	}
	return v
}
