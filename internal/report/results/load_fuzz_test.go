package results_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/html"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/stixexport"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/report/timesketch"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// FuzzLoad reads arbitrary info.json, alerts.json and timeline.csv as a results folder
// (spytrace report and the exports read folders that may come from anyone) and renders
// it as report.html, a STIX bundle and Timesketch lines. Nothing may panic; the page
// must be valid UTF-8 without a raw escape character, whatever the folder holds.
func FuzzLoad(f *testing.F) {
	info, alerts, tl := sampleFolder(f)
	f.Add(info, alerts, tl)
	f.Add(info, []byte(`[{"level":"HIGH","module":"\u001b[2J","event_time":"x","event":{"a":[1,{"b":null}]},"matched_indicator":{"value":"a\u202eb","type":"domains"}}]`), []byte{})
	f.Add([]byte(`{"tool":"spytrace","date":"2026-03-04 09:32:53.000000","modules":[{"name":"sms","status":"failed","problems":["\u0007"]}],"hashes":[{}],"problems":[{"x":1}]}`), []byte(`null`), tl)
	f.Fuzz(func(t *testing.T, info, alerts, tl []byte) {
		dir := t.TempDir()
		for name, data := range map[string][]byte{"info.json": info, "alerts.json": alerts, "timeline.csv": tl} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		folder, err := results.Load(dir)
		if err != nil {
			return
		}
		folder.Timeline(func(timeline.Event) error { return nil })
		for _, redact := range []bool{false, true} {
			var page bytes.Buffer
			if err := html.Write(&page, folder, html.Options{Redact: redact, MaxTimelineRows: 50}); err != nil {
				t.Fatalf("report: %v", err)
			}
			if !utf8.Valid(page.Bytes()) || bytes.IndexByte(page.Bytes(), 0x1b) >= 0 {
				t.Fatal("the report holds invalid UTF-8 or a raw escape character")
			}
		}
		stixexport.Write(io.Discard, folder, stixexport.Options{})
		timesketch.Write(io.Discard, folder)
	})
}

// sampleFolder writes a small results folder with the package's writers and returns
// its info.json, alerts.json and timeline.csv.
func sampleFolder(f *testing.F) (info, alerts, tl []byte) {
	dir := filepath.Join(f.TempDir(), "r")
	d, err := results.Create(dir, false)
	if err != nil {
		f.Fatal(err)
	}
	when := time.Date(2026, 3, 4, 9, 32, 53, 0, time.UTC)
	err = d.WriteAlerts([]alert.Alert{
		{Level: alert.Critical, Module: "sms", Message: "m", EventTime: timefmt.TimeText{Time: when},
			Event: map[string]any{"text": "<script>", "phone": "+41 79 123 45 67"}, Indicator: &alert.Indicator{Value: "evil.example", Type: "domains", Name: "Test", STIX2FileName: "t.stix2"}, Check: "ioc/domain"},
		{Level: alert.Medium, Module: "shutdown_log", Message: "a process ran from /private/var/tmp", Check: "shutdown/tmp"},
	})
	if err != nil {
		f.Fatal(err)
	}
	err = d.WriteJSON("info.json", results.Info{
		Tool: "spytrace", Command: "ios check-backup", Date: timefmt.Format(when), Alerts: map[string]int{"CRITICAL": 1, "MEDIUM": 1},
		Acquisition: map[string]any{"kind": "ios_backup", "device": map[string]any{"Product Type": "iPhone14,2"}},
		Modules:     []results.ModuleInfo{{Name: "sms", Version: 1, Status: "ok", Records: 3, Alerts: 1}, {Name: "calls", Status: "failed", Reason: "corrupt"}},
		Hashes:      []results.Hash{},
	})
	if err != nil {
		f.Fatal(err)
	}
	s := timeline.NewSpool(f.TempDir(), 0)
	s.Add(timeline.Event{Time: when, Plugin: "SMS", Event: "sms_received", Description: "hello https://evil.example"})
	if err := d.WriteWith("timeline.csv", func(w io.Writer) error { _, err := s.WriteCSV(w); return err }); err != nil {
		f.Fatal(err)
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		return data
	}
	return read("info.json"), read("alerts.json"), read("timeline.csv")
}
