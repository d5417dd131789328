package intrusionlog_test

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/intrusionlog"
)

type got struct {
	Type, Err string
	Line      int
	Fields    map[string]any
	Bad       bool
}

func readAll(t *testing.T, text string, opt intrusionlog.Options) ([]got, intrusionlog.Stats) {
	t.Helper()
	rd := intrusionlog.NewReader(strings.NewReader(text), opt)
	var out []got
	for i := 0; i < 1000; i++ {
		ev, err := rd.Next()
		if err == io.EOF {
			return out, rd.Stats()
		}
		var le *intrusionlog.LineError
		switch {
		case errors.As(err, &le):
			out = append(out, got{Err: le.Error(), Line: le.Line})
		case err != nil:
			out = append(out, got{Err: err.Error()})
			return out, rd.Stats()
		default:
			out = append(out, got{Type: ev.Type, Line: ev.Line, Fields: ev.Fields, Bad: ev.InvalidUTF8})
		}
	}
	t.Fatal("reader does not end")
	return nil, intrusionlog.Stats{}
}

func TestReader(t *testing.T) {
	text := "\xef\xbb\xbf{\"dns_event\":{\"event_time\":1700000000123,\"hostname\":\"a.example\"}}\r\n" +
		"\n   \n" +
		"{\"security_event\":{\"event_time\":1700000000123456789,\"adb_shell_cmd\":{\"command\":\"ls\"}}}\n" +
		"not json\n" +
		"{\"dns_event\":5}\n" +
		"[1,2]\n" +
		"{}\n" +
		"{\"a\":{}} trailing\n" +
		"{\"b_event\":{\"x\":1},\"a_event\":{\"y\":\"\xff\"}}\n" +
		"{\"connect_event\":{\"port\":443}}" // no final newline
	evs, st := readAll(t, text, intrusionlog.Options{})
	n := func(s string) json.Number { return json.Number(s) }
	want := []got{
		{Type: "dns_event", Line: 1, Fields: map[string]any{"event_time": n("1700000000123"), "hostname": "a.example"}},
		{Type: "security_event", Line: 4, Fields: map[string]any{"event_time": n("1700000000123456789"), "adb_shell_cmd": map[string]any{"command": "ls"}}},
		{Err: "line 5: not a JSON object: invalid JSON at byte 2", Line: 5},
		{Err: "line 6: dns_event: value is a number, not an object", Line: 6},
		{Err: "line 7: not a JSON object: JSON array where an object was expected", Line: 7},
		{Err: "line 8: empty JSON object, no event", Line: 8},
		{Err: "line 9: text after the JSON object", Line: 9},
		{Type: "a_event", Line: 10, Fields: map[string]any{"y": "\uFFFD"}, Bad: true},
		{Type: "b_event", Line: 10, Fields: map[string]any{"x": n("1")}, Bad: true},
		{Type: "connect_event", Line: 11, Fields: map[string]any{"port": n("443")}},
	}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantSt := intrusionlog.Stats{Lines: 11, Events: 5, Invalid: 5, InvalidUTF8: 1}
	if st != wantSt {
		t.Errorf("stats %+v, want %+v", st, wantSt)
	}
}

func TestReaderWant(t *testing.T) {
	evs, _ := readAll(t, "{\"dns_event\":{\"a\":1}}\n{\"other\":[1]}\n", intrusionlog.Options{Want: func(t string) bool { return t == "dns_event" }})
	want := []got{
		{Type: "dns_event", Line: 1, Fields: map[string]any{"a": json.Number("1")}},
		{Type: "other", Line: 2}, // not decoded, so not checked either
	}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestReaderBounds(t *testing.T) {
	long := "{\"dns_event\":{\"hostname\":\"" + strings.Repeat("a", 200) + "\"}}"
	text := long + "\n{\"dns_event\":{}}\n" + long + "\n{\"dns_event\":{}}\n{\"dns_event\":{}}\n"
	evs, st := readAll(t, text, intrusionlog.Options{MaxLineBytes: 100, MaxLines: 4})
	want := []got{
		{Err: "line 1: longer than 100 bytes, skipped", Line: 1},
		{Type: "dns_event", Line: 2, Fields: map[string]any{}},
		{Err: "line 3: longer than 100 bytes, skipped", Line: 3},
		{Type: "dns_event", Line: 4, Fields: map[string]any{}},
		{Err: intrusionlog.ErrTooManyLines.Error()},
	}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if st.TooLong != 2 {
		t.Errorf("too long = %d", st.TooLong)
	}
	// A line far longer than the reader's buffer, at the end of the input.
	evs, _ = readAll(t, "{\"dns_event\":{}}\n"+strings.Repeat("x", 300<<10), intrusionlog.Options{MaxLineBytes: 1000})
	if len(evs) != 2 || evs[1].Err != "line 2: longer than 1000 bytes, skipped" {
		t.Errorf("events %+v", evs)
	}
}

func TestDedupKey(t *testing.T) {
	key := func(line string) [16]byte {
		ev, err := intrusionlog.NewReader(strings.NewReader(line), intrusionlog.Options{}).Next()
		if err != nil {
			t.Fatal(err)
		}
		return ev.Key
	}
	a := key(`{"dns_event":{"event_id":1,"hostname":"x","event_time":1700000000000000001}}`)
	if b := key(`{ "dns_event" : { "hostname":"x", "event_time":1700000000000000001, "event_id":1 } }`); a != b {
		t.Error("same event with other key order or spacing has another key")
	}
	if b := key(`{"dns_event":{"event_id":1,"hostname":"x","event_time":1700000000000000002}}`); a == b {
		t.Error("nanosecond difference lost")
	}
	if b := key(`{"connect_event":{"event_id":1,"hostname":"x","event_time":1700000000000000001}}`); a == b {
		t.Error("event type not in the key")
	}
	s := intrusionlog.NewSeen(1)
	if s.Dup(a) || !s.Dup(a) {
		t.Error("Seen does not remember")
	}
	other := [16]byte{1}
	if s.Dup(other) || s.Dup(other) || !s.Full() {
		t.Error("a full Seen must keep new events and say it is full")
	}
}

func TestFields(t *testing.T) {
	cases := []struct {
		in         string
		addr, host string
	}{
		{"/192.0.2.1", "192.0.2.1", ""},
		{"ip6-localhost/::1", "::1", "ip6-localhost"},
		{"192.0.2.1", "192.0.2.1", ""},
		{" example.org/2001:db8::1 ", "2001:db8::1", "example.org"},
	}
	for _, c := range cases {
		if a, h := intrusionlog.CleanAddress(c.in); a != c.addr || h != c.host {
			t.Errorf("CleanAddress(%q) = %q, %q", c.in, a, h)
		}
	}
	for _, s := range []string{"127.0.0.1", "127.8.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1"} {
		if !intrusionlog.Local(s) {
			t.Errorf("Local(%q) = false", s)
		}
	}
	for _, s := range []string{"192.0.2.1", "10.0.0.1", "example.org", ""} {
		if intrusionlog.Local(s) {
			t.Errorf("Local(%q) = true", s)
		}
	}
	for v, want := range map[any][2]bool{true: {true, true}, json.Number("0"): {false, true}, "1": {true, true}, "x": {false, false}, nil: {false, false}} {
		if b, ok := intrusionlog.Bool(v); b != want[0] || ok != want[1] {
			t.Errorf("Bool(%v) = %v, %v", v, b, ok)
		}
	}
	if i, ok := intrusionlog.Int(json.Number("1.7e18")); !ok || i != 1_700_000_000_000_000_000 {
		t.Errorf("Int(1.7e18) = %d, %v", i, ok)
	}
	if _, ok := intrusionlog.Int(json.Number("1.5")); ok {
		t.Error("Int(1.5) accepted")
	}
	if !intrusionlog.FromUnixNanos(1).IsZero() || intrusionlog.FromUnixNanos(1_700_000_000_000_000_000).Year() != 2023 {
		t.Error("FromUnixNanos")
	}
}

func TestEventFiles(t *testing.T) {
	files := []string{"a.txt", "b/C.TXT", "getprop.txt", "intrusion_logs/x.txt", "intrusion-logs/d/y.txt", "logs/z.txt", "n.json", "intrusion_logs/getprop.txt"}
	if diff := cmp.Diff([]string{"a.txt", "b/C.TXT", "intrusion_logs/x.txt", "intrusion-logs/d/y.txt", "logs/z.txt"},
		intrusionlog.EventFiles(acquire.AndroidIntrusionLogs, files)); diff != "" {
		t.Errorf("intrusion-logs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"intrusion_logs/x.txt", "intrusion-logs/d/y.txt"}, intrusionlog.EventFiles(acquire.AndroidQF, files)); diff != "" {
		t.Errorf("androidqf (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"getprop.txt"}, intrusionlog.GetpropFiles(acquire.AndroidQF, files)); diff != "" {
		t.Errorf("androidqf getprop (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"getprop.txt", "intrusion_logs/getprop.txt"}, intrusionlog.GetpropFiles(acquire.AndroidIntrusionLogs, files)); diff != "" {
		t.Errorf("getprop (-want +got):\n%s", diff)
	}
}

func TestTags(t *testing.T) {
	if len(intrusionlog.SecurityTags) != 46 {
		t.Fatalf("%d tags", len(intrusionlog.SecurityTags))
	}
	for i, tag := range intrusionlog.SecurityTags {
		if tag.ID != 210001+i {
			t.Errorf("tag %d is %d", i, tag.ID)
		}
		if intrusionlog.LookupTag(tag.Name) != &intrusionlog.SecurityTags[i] {
			t.Errorf("lookup %s", tag.Name)
		}
	}
	if tg := intrusionlog.LookupTag("media_mount"); tg == nil || tg.Name != "media_mounted" {
		t.Errorf("alias media_mount: %+v", tg)
	}
}
