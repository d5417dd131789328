// Package timesketch writes a results folder as a Timesketch timeline: JSONL, one JSON
// object per line, for analysts who investigate in Timesketch (Google's collaborative
// timeline tool) rather than in spreadsheets.
//
// Format. Timesketch's guide "Create timeline from JSONL or CSV file"
// (https://timesketch.org/guides/user/import-from-json-csv/, docs/guides/user/
// import-from-json-csv.md in google/timesketch) names three mandatory fields:
//
//	message         string, an informative message about the event
//	datetime        ISO 8601, e.g. 2015-07-24T19:01:01+00:00
//	timestamp_desc  string, what kind of time it is ("Write time", "file created")
//
// and accepts any number of other attributes, kept as fields of the event. The file
// name must end in ".jsonl", and each line is one event: Timesketch streams JSONL
// from disk and does not take a JSON array. Its CSV example, and the earlier version
// of the guide, also give "timestamp" as microseconds since the Unix epoch; it is
// written too, for tools and scripts that sort on it.
//
// Lines. Every timeline.csv event becomes a line with
//
//	message         "<event>: <description>" (e.g. "sms_received: +15551234567: …")
//	datetime        RFC 3339 in UTC with microseconds and "Z" (2026-03-04T09:32:53.250000Z)
//	timestamp       the same instant in integer microseconds since 1970-01-01 UTC
//	timestamp_desc  the event name (e.g. "sms_received")
//	module, event   the timeline's plugin and event columns
//
// and every alert of alerts.json becomes a line with message (the alert's message),
// datetime and timestamp from its event time, timestamp_desc "spytrace alert",
// alert_level, alert_check, module, the matched indicator's value, type, collection
// and file (indicator_value, indicator_type, indicator_collection, indicator_file) and
// tag ["spytrace-alert", level], so that alerts can be found with tag:spytrace-alert.
// The record an alert is about is never written: an export leaves the analyst's
// machine more easily than a report, and the alert's message already says what was
// found.
//
// Timesketch places every event at a time: events and alerts without one (or with one
// outside the years 0000-9999 that RFC 3339 can write) are left out and counted in
// [Stats], for the caller to say so.
//
// Order. Lines follow timeline.csv's order (spytrace sorts it by time), with the alerts,
// sorted by time and otherwise in alerts.json's order, merged in: an alert comes after
// the events of its own time. The same folder always gives the same bytes. Text from
// the evidence is kept whole (invalid UTF-8 bytes written as \xNN) and JSON-escaped,
// so newlines and quotes never break a line; fields are bounded to [MaxFieldBytes].
package timesketch

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/safetext"
)

// DatetimeLayout is the layout of the datetime field: RFC 3339, UTC, microseconds.
const DatetimeLayout = "2006-01-02T15:04:05.000000Z"

// AlertTimestampDesc is the timestamp_desc of alert lines.
const AlertTimestampDesc = "spytrace alert"

// AlertTag is the first tag of alert lines; the second is the alert's level.
const AlertTag = "spytrace-alert"

// MaxFieldBytes bounds each text field of a line; longer text is cut with "…".
const MaxFieldBytes = 64 << 10

// Stats says what Write wrote and what it had to leave out.
type Stats struct {
	Events int // timeline events written
	Alerts int // alerts written
	// EventsWithoutTime and AlertsWithoutTime count what was left out for want of a
	// time Timesketch can place.
	EventsWithoutTime int
	AlertsWithoutTime int
}

// line is one Timesketch event; the field order is the order written.
type line struct {
	Message       string `json:"message"`
	Datetime      string `json:"datetime"`
	Timestamp     int64  `json:"timestamp"`
	TimestampDesc string `json:"timestamp_desc"`
	Module        string `json:"module,omitempty"`
	Event         string `json:"event,omitempty"`

	AlertLevel          string   `json:"alert_level,omitempty"`
	AlertCheck          string   `json:"alert_check,omitempty"`
	IndicatorValue      string   `json:"indicator_value,omitempty"`
	IndicatorType       string   `json:"indicator_type,omitempty"`
	IndicatorCollection string   `json:"indicator_collection,omitempty"`
	IndicatorFile       string   `json:"indicator_file,omitempty"`
	Tag                 []string `json:"tag,omitempty"`
}

// Write writes the timeline and the alerts of f to w as Timesketch JSONL.
func Write(w io.Writer, f *results.Folder) (Stats, error) {
	var st Stats
	alerts := make([]*alert.Alert, 0, len(f.Alerts))
	for i := range f.Alerts {
		if a := &f.Alerts[i]; placeable(a.Time()) {
			alerts = append(alerts, a)
		} else {
			st.AlertsWithoutTime++
		}
	}
	slices.SortStableFunc(alerts, func(a, b *alert.Alert) int { return a.Time().Compare(b.Time()) })

	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	next := 0
	flush := func(before time.Time, all bool) error {
		for ; next < len(alerts) && (all || alerts[next].Time().Before(before)); next++ {
			if err := enc.Encode(alertLine(alerts[next])); err != nil {
				return err
			}
			st.Alerts++
		}
		return nil
	}
	err := f.Timeline(func(e timeline.Event) error {
		if !placeable(e.Time) {
			st.EventsWithoutTime++
			return nil
		}
		if err := flush(e.Time, false); err != nil {
			return err
		}
		st.Events++
		return enc.Encode(eventLine(e))
	})
	if err == nil {
		err = flush(time.Time{}, true)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return st, fmt.Errorf("write timesketch timeline of %q: %w", f.Dir, err)
	}
	return st, nil
}

// placeable reports whether t can be written as an RFC 3339 datetime.
func placeable(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// text makes a field of evidence text: invalid UTF-8 kept as \xNN, bounded.
func text(s string) string {
	return safetext.Truncate(safetext.EscapeInvalid(s), MaxFieldBytes)
}

func eventLine(e timeline.Event) line {
	ev, desc := text(e.Event), text(e.Description)
	msg := desc
	switch {
	case ev != "" && desc != "":
		msg = ev + ": " + desc
	case ev != "":
		msg = ev
	case desc == "" && e.Plugin != "":
		msg = text(e.Plugin)
	case desc == "":
		msg = "(no description)"
	}
	tdesc := ev
	if tdesc == "" {
		tdesc = "event time"
	}
	l := line{Message: safetext.Truncate(msg, MaxFieldBytes), TimestampDesc: tdesc, Module: text(e.Plugin), Event: ev}
	l.setTime(e.Time)
	return l
}

func alertLine(a *alert.Alert) line {
	level := a.Level.String()
	l := line{
		Message:       text(a.Message),
		TimestampDesc: AlertTimestampDesc,
		Module:        text(a.Module),
		AlertLevel:    level,
		AlertCheck:    text(a.Check),
		Tag:           []string{AlertTag, level},
	}
	if l.Message == "" {
		l.Message = "spytrace alert " + level
	}
	if ind := a.Indicator; ind != nil {
		l.IndicatorValue = text(ind.Value)
		l.IndicatorType = text(ind.Type)
		l.IndicatorCollection = text(ind.Name)
		l.IndicatorFile = text(ind.STIX2FileName)
	}
	l.setTime(a.Time())
	return l
}

func (l *line) setTime(t time.Time) {
	t = t.UTC()
	l.Datetime = t.Format(DatetimeLayout)
	l.Timestamp = t.UnixMicro()
}
