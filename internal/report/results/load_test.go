package results

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/timefmt"
)

func TestLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	d, err := Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 3, 4, 9, 32, 53, 0, time.UTC)
	alerts := []alert.Alert{{Level: alert.Critical, Module: "sms", Message: "m", EventTime: timefmt.TimeText{Time: when},
		Event: map[string]any{"text": "<script>"}, Indicator: &alert.Indicator{Value: "evil.example", Type: "domains"}, Check: "ioc/domain"}}
	if err := d.WriteAlerts(alerts); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteJSON("info.json", Info{Tool: "spytrace", Command: "ios check-backup", Alerts: map[string]int{"CRITICAL": 1}}); err != nil {
		t.Fatal(err)
	}
	s := timeline.NewSpool(t.TempDir(), 0)
	s.Add(timeline.Event{Time: when, Plugin: "SMS", Event: "sms_received", Description: "hello"})
	if err := d.WriteWith("timeline.csv", func(w io.Writer) error { _, err := s.WriteCSV(w); return err }); err != nil {
		t.Fatal(err)
	}
	f, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f.Info.Command != "ios check-backup" || len(f.Alerts) != 1 || f.Alerts[0].Level != alert.Critical ||
		!f.Alerts[0].EventTime.Equal(when) || f.Alerts[0].Event.(map[string]any)["text"] != "<script>" || f.Alerts[0].Indicator.Value != "evil.example" {
		t.Errorf("loaded %+v", f)
	}
	var evs []timeline.Event
	if err := f.Timeline(func(e timeline.Event) error { evs = append(evs, e); return nil }); err != nil || len(evs) != 1 || evs[0].Description != "hello" {
		t.Errorf("timeline %+v %v", evs, err)
	}
	// No alerts.json: no alert; no info.json: not a results folder.
	os.Remove(filepath.Join(dir, "alerts.json"))
	if f, err := Load(dir); err != nil || len(f.Alerts) != 0 {
		t.Errorf("without alerts.json: %v", err)
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "info.json") {
		t.Errorf("empty folder: %v", err)
	}
}
