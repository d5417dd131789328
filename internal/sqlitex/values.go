package sqlitex

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Evidence databases are hostile: a column declared INTEGER may hold text or a blob. The
// helpers below read a value scanned into an `any` and convert it leniently, so a module
// can report what it found instead of failing the whole table on one odd row.

// Int returns v as an int64. Floats are truncated; numeric text is parsed.
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x != x || x > 9.2e18 || x < -9.2e18 {
			return 0, false
		}
		return int64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		return parseInt(x)
	case []byte:
		return parseInt(string(x))
	}
	return 0, false
}

func parseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return Int(f)
	}
	return 0, false
}

// Float returns v as a float64.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	case []byte:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
		return f, err == nil
	}
	return 0, false
}

// Text returns v as a string: text as is, a blob as its bytes, numbers formatted; NULL
// gives "". Bytes that are not valid UTF-8 are written as \xNN so none is lost.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return safetext.EscapeInvalid(x)
	case []byte:
		return safetext.EscapeInvalid(string(x))
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		// The driver turns text in DATE/DATETIME/TIMESTAMP columns into times.
		return x.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

// Blob returns v as bytes (text is converted), nil for NULL or numbers.
func Blob(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// IsText reports whether v is text that is valid UTF-8 (as opposed to binary data).
func IsText(v any) bool {
	switch x := v.(type) {
	case string:
		return utf8.ValidString(x)
	case []byte:
		return utf8.Valid(x)
	}
	return false
}
