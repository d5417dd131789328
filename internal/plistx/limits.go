package plistx

import "fmt"

// Default limit values.
const (
	defaultMaxBytes   = 64 << 20
	defaultMaxDepth   = 128
	defaultMaxObjects = 1_000_000
)

// Limits bound what one decode may consume. Zero fields take the defaults.
type Limits struct {
	// MaxBytes bounds the input size; default 64 MiB. It also bounds what an input
	// may make the decoder allocate beyond its own size: the strings and data that
	// shared references of a binary plist copy again, and (about eight times over)
	// the containers of a text plist.
	MaxBytes int64
	// MaxDepth bounds the nesting depth of containers and references; default 128.
	MaxDepth int
	// MaxObjects bounds the values produced from one binary plist or resolved in one
	// NSKeyedArchiver document (every element, field and reference counts, so shared
	// references cannot multiply the work); default 1,000,000.
	MaxObjects int
}

// DefaultLimits holds the values that zero fields of a Limits take.
var DefaultLimits = Limits{
	MaxBytes:   defaultMaxBytes,
	MaxDepth:   defaultMaxDepth,
	MaxObjects: defaultMaxObjects,
}

// withDefaults returns lim with zero (or negative) fields replaced by the defaults.
func (lim Limits) withDefaults() Limits {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = defaultMaxBytes
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = defaultMaxDepth
	}
	if lim.MaxObjects <= 0 {
		lim.MaxObjects = defaultMaxObjects
	}
	return lim
}

// LimitError reports that an input went beyond one of the Limits.
type LimitError struct {
	// Limit names the field of Limits: "MaxBytes", "MaxDepth" or "MaxObjects".
	Limit string
	// Max is the value of that limit during the decode.
	Max int64
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("exceeds %s (%d)", e.Limit, e.Max)
}

func errBytes(lim Limits) error { return &LimitError{Limit: "MaxBytes", Max: lim.MaxBytes} }
func errDepth(lim Limits) error { return &LimitError{Limit: "MaxDepth", Max: int64(lim.MaxDepth)} }
