package idstatuscache

import (
	"strconv"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one cached lookup: a service asked Apple's identity servers whether an
// address or phone number is registered with it. The first five keys are MVT's.
type Record struct {
	Package string       `json:"package"` // the service, e.g. com.apple.madrid (iMessage)
	User    string       `json:"user"`    // "mailto:…" or "tel:…"; NUL bytes written as \x00
	Isodate timefmt.Time `json:"isodate"` // LookupDate
	// IDStatus is the answer; 1 is commonly read as "registered", 2 as "not registered".
	IDStatus    *int64 `json:"idstatus"`
	Occurrences int    `json:"occurrences"` // records with the same user, in every file read

	// NULCount is the number of NUL bytes in the address as stored.
	NULCount int `json:"nul_count,omitempty"`
	// SourceFile is the plist the record comes from.
	SourceFile string `json:"source_file"`
}

// serviceNames names the identity services an analyst meets most.
var serviceNames = map[string]string{
	"com.apple.madrid": "iMessage",
	"com.apple.ess":    "FaceTime",
}

// service returns the package with its plain name when known: "iMessage (com.apple.madrid)".
func (r *Record) service() string {
	if name, ok := serviceNames[r.Package]; ok {
		return name + " (" + r.Package + ")"
	}
	return r.Package
}

func (r *Record) status() string {
	if r.IDStatus == nil {
		return "unknown"
	}
	return strconv.FormatInt(*r.IDStatus, 10)
}

// Timeline implements module.Timeliner: one lookup event at LookupDate.
func (r *Record) Timeline() []module.Event {
	if r.Isodate.IsZero() {
		return nil
	}
	return []module.Event{{
		Time:  r.Isodate.Time,
		Event: "lookup",
		Data:  "Lookup of " + r.User + " within " + r.Package + " (status " + r.status() + ")",
	}}
}
