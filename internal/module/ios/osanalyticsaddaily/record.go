package osanalyticsaddaily

import (
	"fmt"
	"strconv"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one process of the network usage baseline. Its keys are MVT's; a value
// that could not be read is null.
type Record struct {
	// Package is the process name or bundle identifier, as iOS wrote it.
	Package string `json:"package"`
	// Date is the baseline's date (MVT's "ts").
	Date timefmt.Time `json:"ts"`
	// Bytes received and sent over Wi-Fi and cellular data.
	WifiIn  *int64 `json:"wifi_in"`
	WifiOut *int64 `json:"wifi_out"`
	WwanIn  *int64 `json:"wwan_in"`
	WwanOut *int64 `json:"wwan_out"`
}

func count(n *int64) string {
	if n == nil {
		return "unknown"
	}
	return strconv.FormatInt(*n, 10)
}

// Timeline implements module.Timeliner: one osanalytics_addaily event at the
// baseline's date, worded as MVT words it.
func (r *Record) Timeline() []module.Event {
	if r.Date.IsZero() {
		return nil
	}
	return []module.Event{{
		Time:  r.Date.Time,
		Event: "osanalytics_addaily",
		Data: fmt.Sprintf("%s WIFI IN: %s, WIFI OUT: %s - WWAN IN: %s, WWAN OUT: %s",
			r.Package, count(r.WifiIn), count(r.WifiOut), count(r.WwanIn), count(r.WwanOut)),
	}}
}
