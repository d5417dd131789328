package results

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/csvq"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// AlertsTimelineHeader is the first line of alerts_timeline.csv (MVT's columns).
var AlertsTimelineHeader = []string{"Event Time", "Module", "Message", "Event"}

// WriteAlerts writes alerts.json (every alert, in the given order), one
// <module>_detected.json per module with alerts, and alerts_timeline.csv (the alerts
// with a known time, sorted by it; the Event column holds the record as JSON).
// alerts.json and alerts_timeline.csv are written even when there is no alert.
func (d *Dir) WriteAlerts(alerts []alert.Alert) error {
	if alerts == nil {
		alerts = []alert.Alert{}
	}
	if err := d.WriteJSON("alerts.json", alerts); err != nil {
		return err
	}
	byModule := map[string][]alert.Alert{}
	var order []string
	for _, a := range alerts {
		if _, ok := byModule[a.Module]; !ok {
			order = append(order, a.Module)
		}
		byModule[a.Module] = append(byModule[a.Module], a)
	}
	for _, m := range order {
		if err := d.WriteJSON(m+"_detected.json", byModule[m]); err != nil {
			return err
		}
	}
	timed := make([]alert.Alert, 0, len(alerts))
	for _, a := range alerts {
		if !a.EventTime.IsZero() {
			timed = append(timed, a)
		}
	}
	slices.SortStableFunc(timed, func(a, b alert.Alert) int { return a.EventTime.Compare(b.EventTime.Time) })
	return d.WriteWith("alerts_timeline.csv", func(w io.Writer) error {
		if _, err := w.Write(csvq.AppendRow(nil, AlertsTimelineHeader...)); err != nil {
			return err
		}
		for i, a := range timed {
			ev, err := json.Marshal(a.Event)
			if err != nil {
				return fmt.Errorf("encode event of alert %d: %w", i, err)
			}
			row := csvq.AppendRow(nil, timefmt.Format(a.EventTime.Time), a.Module, a.Message, string(ev))
			if _, err := w.Write(row); err != nil {
				return err
			}
		}
		return nil
	})
}
