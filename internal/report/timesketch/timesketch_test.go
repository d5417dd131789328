package timesketch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/report/timesketch"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// demoFolder runs every iOS backup module on the demo backup with the demo indicators
// (once per test binary) and returns the results folder read back.
var demoFolder = sync.OnceValues(func() (*results.Folder, error) {
	root, err := os.MkdirTemp("", "spytrace-timesketch-test-")
	if err != nil {
		return nil, err
	}
	demoRoot = root
	d, err := fixture.BuildDemo(root)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	b, err := iosbackup.Open(ctx, d.Backup, iosbackup.Options{TempDir: root})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	ix, _, err := ioc.Load([]string{d.Indicators}, ioc.LoadOptions{})
	if err != nil {
		return nil, err
	}
	out := filepath.Join(root, "results")
	dir, err := results.Create(out, false)
	if err != nil {
		return nil, err
	}
	_, err = engine.Run(ctx, engine.Config{
		Acquisition: b,
		Modules:     list.ForKind(acquire.IOSBackup),
		Index:       ix,
		Results:     dir,
		Info:        results.Info{Tool: "spytrace", Command: "ios check-backup", TargetPath: d.Backup, Date: "2026-03-04 10:00:00.000000"},
		TempDir:     root,
	})
	if err != nil {
		return nil, err
	}
	return results.Load(out)
})

var demoRoot string

func TestMain(m *testing.M) {
	code := m.Run()
	if demoRoot != "" {
		os.RemoveAll(demoRoot)
	}
	os.Exit(code)
}

// parsed is one line read back the way Timesketch's importer reads it: a JSON object.
type parsed map[string]any

// checkFormat checks every line of out against Timesketch's JSONL format and returns
// the lines decoded.
func checkFormat(t *testing.T, out []byte) []parsed {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Error("the last line does not end in a newline")
	}
	var lines []parsed
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Bytes()
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", n, err, raw)
		}
		if dec.More() {
			t.Fatalf("line %d holds more than one JSON value", n)
		}
		for _, k := range []string{"message", "datetime", "timestamp_desc"} {
			s, ok := obj[k].(string)
			if !ok || s == "" {
				t.Errorf("line %d: mandatory field %q is %#v, want a non-empty string", n, k, obj[k])
			}
		}
		dt, _ := obj["datetime"].(string)
		when, err := time.Parse(time.RFC3339Nano, dt)
		if err != nil || !strings.HasSuffix(dt, "Z") || len(dt) != len("2006-01-02T15:04:05.000000Z") {
			t.Errorf("line %d: datetime %q is not RFC 3339 UTC with microseconds: %v", n, dt, err)
		}
		num, ok := obj["timestamp"].(json.Number)
		if !ok {
			t.Errorf("line %d: timestamp is %#v, want a number", n, obj["timestamp"])
		} else if us, err := num.Int64(); err != nil || us != when.UnixMicro() {
			t.Errorf("line %d: timestamp %s is not datetime %s in microseconds (%d)", n, num, dt, when.UnixMicro())
		}
		lines = append(lines, obj)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestDemoFolder(t *testing.T) {
	f, err := demoFolder()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st, err := timesketch.Write(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	lines := checkFormat(t, buf.Bytes())

	events := 0
	if err := f.Timeline(func(timeline.Event) error { events++; return nil }); err != nil {
		t.Fatal(err)
	}
	timed := 0
	for _, a := range f.Alerts {
		if !a.Time().IsZero() {
			timed++
		}
	}
	if timed == 0 || events == 0 {
		t.Fatalf("the demo gave %d events and %d alerts with a time", events, timed)
	}
	want := timesketch.Stats{Events: events, Alerts: timed, AlertsWithoutTime: len(f.Alerts) - timed}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if len(lines) != events+timed {
		t.Errorf("%d lines, want %d events + %d alerts", len(lines), events, timed)
	}

	// Lines are in time order (the demo's timeline is sorted), every alert line carries
	// its fields, and the indicator alert of the demo's Pegasus domain is there.
	var last time.Time
	sawDomain := false
	for i, l := range lines {
		when, _ := time.Parse(time.RFC3339Nano, l["datetime"].(string))
		if when.Before(last) {
			t.Errorf("line %d (%s) is before the line above it (%s)", i+1, when, last)
		}
		last = when
		if l["timestamp_desc"] != timesketch.AlertTimestampDesc {
			if l["module"] == nil || l["event"] == nil || !strings.HasPrefix(l["message"].(string), l["event"].(string)) {
				t.Errorf("event line %d lacks module/event or the event prefix: %v", i+1, l)
			}
			continue
		}
		level, _ := l["alert_level"].(string)
		if _, err := alert.ParseLevel(level); err != nil || l["alert_check"] == nil || l["module"] == nil {
			t.Errorf("alert line %d: %v", i+1, l)
		}
		if diff := cmp.Diff([]any{timesketch.AlertTag, level}, l["tag"]); diff != "" {
			t.Errorf("alert line %d tag (-want +got):\n%s", i+1, diff)
		}
		if l["indicator_value"] == fixture.DemoPegasusDomain {
			sawDomain = true
			if l["indicator_type"] != string(ioc.Domain) || !strings.Contains(l["indicator_collection"].(string), "Pegasus") ||
				l["indicator_file"] != "demo-indicators.stix2" {
				t.Errorf("domain alert line: %v", l)
			}
		}
		if _, ok := l["event"]; ok {
			t.Errorf("alert line %d carries the record: %v", i+1, l)
		}
	}
	if !sawDomain {
		t.Errorf("no alert line for %s", fixture.DemoPegasusDomain)
	}

	var again bytes.Buffer
	if _, err := timesketch.Write(&again, f); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("a second write differs (error %v)", err)
	}
}

// folder writes a results folder with the given timeline rows (written as they are:
// CSV text after the header) and alerts, and loads it.
func folder(t *testing.T, rows string, alerts []alert.Alert) *results.Folder {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "results")
	d, err := results.Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteJSON("info.json", results.Info{Tool: "spytrace", Command: "test", Date: "2026-03-04 10:00:00.000000"}); err != nil {
		t.Fatal(err)
	}
	if alerts != nil {
		if err := d.WriteAlerts(alerts); err != nil {
			t.Fatal(err)
		}
	}
	if rows != "" {
		csv := `"UTC Timestamp","Plugin","Event","Description"` + "\r\n" + rows
		if err := os.WriteFile(d.File("timeline.csv"), []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// spool renders events as timeline.csv rows, the way a run writes them.
func spool(t *testing.T, evs ...timeline.Event) string {
	t.Helper()
	s := timeline.NewSpool(t.TempDir(), 0)
	for _, e := range evs {
		s.Add(e)
	}
	var buf bytes.Buffer
	if _, err := s.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	_, rows, _ := strings.Cut(buf.String(), "\r\n")
	return rows
}

var (
	t0 = time.Date(2026, 3, 1, 8, 0, 0, 123456000, time.UTC)
	t1 = t0.Add(time.Hour)
	t2 = t0.Add(2 * time.Hour)
)

func at(t time.Time) timefmt.TimeText { return timefmt.TimeText{Time: t} }

func TestOrderAndFields(t *testing.T) {
	rows := spool(t,
		timeline.Event{Time: t0, Plugin: "SMS", Event: "sms_received", Description: "+15551234567: hello"},
		timeline.Event{Time: t1, Plugin: "SafariHistory", Event: "visit", Description: "https://evil.example/x"},
		timeline.Event{Time: t2, Plugin: "SMS", Event: "sms_read", Description: "+15551234567: hello"},
	) + `"","Manifest","","a row without a time"` + "\r\n"
	alerts := []alert.Alert{
		{Level: alert.Medium, Module: "sms", Message: "t1 alert listed first", EventTime: at(t1), Check: "sms/x"},
		{Level: alert.Critical, Module: "safari_history", Message: "t1 alert listed second", EventTime: at(t1), Check: "ioc/domain",
			Event:     map[string]any{"url": "https://evil.example/x", "secret": "record body"},
			Indicator: &alert.Indicator{Value: "evil.example", Type: "domains", Name: "Pegasus", STIX2FileName: "pegasus.stix2"}},
		{Level: alert.Low, Module: "sms", Message: "before everything", EventTime: at(t0.Add(-time.Minute)), Check: "sms/y"},
		{Level: alert.High, Module: "profiles", Message: "no time", Check: "profiles/z"},
	}
	f := folder(t, rows, alerts)
	var buf bytes.Buffer
	st, err := timesketch.Write(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	if want := (timesketch.Stats{Events: 3, Alerts: 3, EventsWithoutTime: 1, AlertsWithoutTime: 1}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	lines := checkFormat(t, buf.Bytes())
	var got []string
	for _, l := range lines {
		got = append(got, l["message"].(string))
	}
	want := []string{
		"before everything",
		"sms_received: +15551234567: hello",
		"visit: https://evil.example/x",
		"t1 alert listed first", // after the event of its own time, in alerts.json's order
		"t1 alert listed second",
		"sms_read: +15551234567: hello",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}

	var domain parsed
	for _, l := range lines {
		if l["indicator_value"] != nil {
			domain = l
		}
	}
	wantDomain := parsed{
		"message": "t1 alert listed second", "datetime": "2026-03-01T09:00:00.123456Z", "timestamp": json.Number("1772355600123456"),
		"timestamp_desc": "spytrace alert", "module": "safari_history", "alert_level": "CRITICAL", "alert_check": "ioc/domain",
		"indicator_value": "evil.example", "indicator_type": "domains", "indicator_collection": "Pegasus",
		"indicator_file": "pegasus.stix2", "tag": []any{"spytrace-alert", "CRITICAL"},
	}
	if diff := cmp.Diff(wantDomain, domain); diff != "" {
		t.Errorf("indicator alert line (-want +got):\n%s", diff)
	}
	if bytes.Contains(buf.Bytes(), []byte("record body")) {
		t.Error("an alert's record was written")
	}
	first := lines[1]
	wantFirst := parsed{
		"message": "sms_received: +15551234567: hello", "datetime": "2026-03-01T08:00:00.123456Z",
		"timestamp": json.Number("1772352000123456"), "timestamp_desc": "sms_received", "module": "SMS", "event": "sms_received",
	}
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Errorf("event line (-want +got):\n%s", diff)
	}
}

func TestHostileText(t *testing.T) {
	hostile := "line one\nline two\r\n\"quoted\" 'single' \\ back\u2028sep\u2029para\x00nul </script><script>alert(1)</script>"
	invalid := "bad \xff\xfe bytes"
	rows := spool(t,
		timeline.Event{Time: t0, Plugin: "SMS", Event: "sms_received", Description: hostile},
		timeline.Event{Time: t1, Plugin: "SMS\n", Event: "sms\"received", Description: invalid},
		timeline.Event{Time: t2, Plugin: "Big", Event: "big", Description: strings.Repeat("x", 900_000)},
	)
	alerts := []alert.Alert{{Level: alert.High, Module: "sms", Message: hostile + invalid, EventTime: at(t1), Check: "c",
		Indicator: &alert.Indicator{Value: "evil'\"\\.example", Type: "domains", Name: "n\nm"}}}
	f := folder(t, rows, alerts)
	var buf bytes.Buffer
	st, err := timesketch.Write(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	lines := checkFormat(t, buf.Bytes())
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 4 || len(lines) != 4 || st.Events != 3 || st.Alerts != 1 {
		t.Fatalf("%d newlines, %d lines, stats %+v: want 4 lines, one per event and alert", n, len(lines), st)
	}
	// encoding/csv reads a quoted "\r\n" as "\n" when timeline.csv is read back.
	if got, want := lines[0]["message"], "sms_received: "+strings.ReplaceAll(hostile, "\r\n", "\n"); got != want {
		t.Errorf("hostile text not kept whole:\n got %q\nwant %q", got, want)
	}
	if got, want := lines[1]["message"], `sms"received: bad \xff\xfe bytes`; got != want {
		t.Errorf("invalid UTF-8: got %q, want %q", got, want)
	}
	if got := lines[3]["message"].(string); len(got) > timesketch.MaxFieldBytes+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("a long description is %d bytes, want at most %d and cut", len(got), timesketch.MaxFieldBytes)
	}
	// alerts.json itself holds U+FFFD for the invalid bytes: encoding/json wrote it.
	if got := lines[2]["indicator_value"]; got != "evil'\"\\.example" || lines[2]["message"] != hostile+"bad \uFFFD\uFFFD bytes" {
		t.Errorf("alert line: %v", lines[2])
	}
}

func TestEmptyFolder(t *testing.T) {
	f := folder(t, "", nil)
	var buf bytes.Buffer
	st, err := timesketch.Write(&buf, f)
	if err != nil || buf.Len() != 0 || st != (timesketch.Stats{}) {
		t.Errorf("empty folder: %d bytes, stats %+v, error %v", buf.Len(), st, err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestWriteError(t *testing.T) {
	rows := spool(t, timeline.Event{Time: t0, Plugin: "P", Event: "e", Description: strings.Repeat("d", 300_000)})
	f := folder(t, rows, nil)
	if _, err := timesketch.Write(failWriter{}, f); err == nil || !strings.Contains(err.Error(), "timesketch") {
		t.Errorf("error = %v", err)
	}
}
