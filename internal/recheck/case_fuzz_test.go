package recheck

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/spytrace/spytrace/internal/unshorten"
)

// FuzzCase opens arbitrary bytes as the info.json, a <slug>.json, the alerts of the
// earlier run and urls.json of a results folder, re-checks it and lists its shortened
// URLs, as check-iocs does on folders that may come from anyone: nothing may panic,
// and what is counted must agree with what was read.
func FuzzCase(f *testing.F) {
	f.Add([]byte(`{"mvt_version": "2.6.1", "date": "2025-01-01 00:00:00.000000", "ioc_files": ["/old.stix2"]}`),
		[]byte(`[{"text": "bad"}, {"text": "good"}]`),
		[]byte(`[{"text": "bad", "matched_indicator": {"value": "x", "type": "domains"}}]`),
		[]byte(`[{"url": "https://bit.ly/x", "timestamp": "2025-01-01 00:00:00.000000", "source": "sms"}]`), false)
	f.Add([]byte(`{"tool": "spytrace", "command": "android check-bugreport", "acquisition": {"kind": "android-bugreport"}}`),
		[]byte("[\n{\"text\":\"bad\"},\n{\"text\":\"bad\"}\n]\n"),
		[]byte(`[{"module": "sms", "event_time": "2025-01-30 07:06:40.000000", "check": "x", "matched_indicator": {"value": "Evil.example"}}, {"event_time": 12}]`),
		[]byte(`{"url": 1}`), true)
	f.Add([]byte(`{"tool": `), []byte(`{"text": "bad"}`), []byte(`[`), []byte("\ufeff[]"), false)
	x := unshorten.New(unshorten.Options{})
	f.Fuzz(func(t *testing.T, info, records, earlier, urls []byte, detected bool) {
		dir := t.TempDir()
		known := "alerts.json"
		if detected {
			known = "sms_detected.json" // MVT before version 3
		}
		for name, data := range map[string][]byte{"info.json": info, "sms.json": records, "safari_history.json": records, known: earlier, "urls.json": urls} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c, err := Open(dir, testModules)
		if err != nil {
			return
		}
		o, err := c.Check(context.Background(), Options{Workers: 1, Limits: Limits{MaxRecordBytes: 1 << 16, MaxRecords: 100}})
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		for _, m := range o.Modules {
			if m.Records > 100 || len(m.Problems) > maxProblems+1 {
				t.Fatalf("%s: %d records, %d problems", m.Module, m.Records, len(m.Problems))
			}
		}
		if len(o.New) > len(o.Alerts) {
			t.Fatalf("%d new of %d alerts", len(o.New), len(o.Alerts))
		}
		short, _ := c.Shortened(x)
		seen := map[string]bool{}
		for _, u := range short {
			if seen[u.URL] || !x.IsShortener(u.URL) {
				t.Fatalf("URL %q listed twice or not a shortener", u.URL)
			}
			seen[u.URL] = true
		}
	})
}
