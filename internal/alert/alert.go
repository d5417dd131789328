// Package alert defines the leveled, explained findings that checks raise and every
// writer reports.
//
// An alert carries MVT's keys (level, module, message, event_time, event,
// matched_indicator) so that tools reading MVT's alerts.json keep working, plus the
// explanation spytrace adds for analysts: which check raised it, what it means, how it
// can be innocent and what to do next.
package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/timefmt"
)

// Level orders alerts by severity. The numeric values are MVT's.
type Level int

// Alert levels, lowest first.
const (
	Informational Level = 0
	Low           Level = 10
	Medium        Level = 20
	High          Level = 30
	Critical      Level = 40
)

// Levels lists every level from the lowest to the highest.
var Levels = []Level{Informational, Low, Medium, High, Critical}

// String returns the level's name as written in results files (e.g. "HIGH").
func (l Level) String() string {
	switch l {
	case Informational:
		return "INFORMATIONAL"
	case Low:
		return "LOW"
	case Medium:
		return "MEDIUM"
	case High:
		return "HIGH"
	case Critical:
		return "CRITICAL"
	}
	return fmt.Sprintf("LEVEL(%d)", int(l))
}

// ParseLevel reads a level name, case-insensitively; "INFO" is accepted for INFORMATIONAL.
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "INFORMATIONAL", "INFO":
		return Informational, nil
	case "LOW":
		return Low, nil
	case "MEDIUM":
		return Medium, nil
	case "HIGH":
		return High, nil
	case "CRITICAL":
		return Critical, nil
	}
	return 0, fmt.Errorf("unknown alert level %q (want INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL)", s)
}

// MarshalJSON writes the level's name.
func (l Level) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// UnmarshalJSON reads a level name.
func (l *Level) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseLevel(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Indicator is the indicator an alert matched, as written in results files. The first
// four keys are MVT's; the others let an analyst trace the match back to its source.
type Indicator struct {
	Value          string `json:"value"`
	Type           string `json:"type"`
	Name           string `json:"name"`            // collection name, e.g. "NSO Group Pegasus"
	STIX2FileName  string `json:"stix2_file_name"` // base name of the indicator file
	ID             string `json:"id,omitempty"`    // STIX id of the indicator object
	CollectionID   string `json:"collection_id,omitempty"`
	STIX2FilePath  string `json:"stix2_file_path,omitempty"`
	STIX2FileHash  string `json:"stix2_file_sha256,omitempty"`
	MatchedOn      string `json:"matched_on,omitempty"` // the observed value that matched (e.g. a URL's host)
	OtherSources   int    `json:"other_sources,omitempty"`
	IndicatorCount int    `json:"-"`
}

// Alert is one finding.
type Alert struct {
	Level   Level  `json:"level"`
	Module  string `json:"module"`
	Message string `json:"message"`
	// EventTime is when the recorded event happened on the device, zero when unknown
	// (written as "", as MVT does).
	EventTime timefmt.TimeText `json:"event_time"`
	// Event is the record the alert is about.
	Event any `json:"event"`
	// Indicator is set for indicator matches, nil for heuristics.
	Indicator *Indicator `json:"matched_indicator"`

	// Check names the check that raised the alert, e.g. "ioc/domain" or "sms/threat-notification".
	Check string `json:"check"`
	// Meaning says why the finding matters.
	Meaning string `json:"meaning,omitempty"`
	// FalsePositive says how the finding can be innocent.
	FalsePositive string `json:"false_positive,omitempty"`
	// Advice says what the analyst should do next.
	Advice string `json:"advice,omitempty"`
}

// Time returns the event time (zero when unknown).
func (a *Alert) Time() time.Time { return a.EventTime.Time }

// Counts tallies alerts per level.
type Counts map[Level]int

// Add counts one alert.
func (c Counts) Add(l Level) { c[l]++ }

// AtLeast returns how many alerts are at level l or above.
func (c Counts) AtLeast(l Level) int {
	n := 0
	for lv, k := range c {
		if lv >= l {
			n += k
		}
	}
	return n
}

// Total returns the number of alerts.
func (c Counts) Total() int { return c.AtLeast(Informational) }
