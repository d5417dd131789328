package recheck

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// word is a record of the test module: its checks raise a LOW alert for "bad" words,
// panic on "boom", and count the words at Finish.
type word struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

type wordModule struct{}

func (wordModule) Info() module.Info { return module.Info{Name: "words", Version: 1} }
func (wordModule) Run(context.Context, *module.Input, *module.Output) error {
	return nil
}
func (wordModule) NewChecker(*check.Env) check.Checker { return &wordChecker{} }
func (wordModule) DecodeRecord(data []byte) (any, error) {
	return module.Decode[word](data)
}

type wordChecker struct{ n int }

func (c *wordChecker) Check(rec any, r *check.Reporter) {
	w := rec.(*word)
	c.n++
	switch w.Text {
	case "bad":
		r.Raise(alert.Alert{Level: alert.Low, Message: "bad word", Event: w, Check: "words/bad"})
	case "boom":
		panic("boom")
	}
}

func (c *wordChecker) Finish(r *check.Reporter) {
	r.Raise(alert.Alert{Level: alert.Informational, Message: strings.Repeat("w", c.n), Check: "words/count"})
}

func TestCheckRecords(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		lim      Limits
		state    module.State
		records  int
		alerts   []string // check of each alert
		problems int
		reason   string
	}{
		{name: "list", file: `[{"text":"good"},{"text":"bad"},{"text":"bad"}]`, state: module.OK, records: 3,
			alerts: []string{"words/bad", "words/bad", "words/count"}},
		{name: "indented with BOM", file: "\ufeff[\n    {\n        \"text\": \"bad\"\n    }\n]\n", state: module.OK, records: 1,
			alerts: []string{"words/bad", "words/count"}},
		{name: "single object", file: ` {"text":"bad","count":2}`, state: module.OK, records: 1,
			alerts: []string{"words/bad", "words/count"}},
		{name: "empty list", file: `[]`, state: module.OK, alerts: []string{"words/count"}},
		{name: "field of another type", file: `[{"text":"bad","count":"two"}]`, state: module.Partial, records: 1,
			alerts: []string{"words/bad", "words/count"}, problems: 1},
		{name: "record not an object", file: `[{"text":"bad"},[1,2],{"text":"x"}]`, state: module.Partial, records: 3,
			alerts: []string{"words/bad", "words/count"}, problems: 1},
		{name: "cut file", file: `[{"text":"bad"},{"text":"ba`, state: module.Partial, records: 1,
			alerts: []string{"words/bad", "words/count"}, reason: "unexpected EOF"},
		{name: "not JSON", file: `hello`, state: module.Failed, reason: "not a JSON list or object"},
		{name: "empty file", file: ``, state: module.Failed, reason: "empty file"},
		{name: "record too large", file: `[{"text":"bad"},{"text":"` + strings.Repeat("a", 5000) + `"}]`,
			lim: Limits{MaxRecordBytes: 1000}, state: module.Partial, records: 1,
			alerts: []string{"words/bad", "words/count"}, reason: "record larger than the limit"},
		{name: "record limit", file: `[{"text":"bad"},{"text":"bad"},{"text":"bad"}]`, lim: Limits{MaxRecords: 2},
			state: module.Partial, records: 2, alerts: []string{"words/bad", "words/bad", "words/count"}, reason: "record limit of 2"},
		{name: "spytrace's lines", file: "[\n{\"text\":\"bad\"},\n{\"text\":\"good\"},\n{\"text\":\"bad\"}\n]\n", state: module.OK, records: 3,
			alerts: []string{"words/bad", "words/bad", "words/count"}},
		{name: "spytrace's empty list", file: "[\n]\n", state: module.OK, alerts: []string{"words/count"}},
		{name: "spytrace's lines cut", file: "[\n{\"text\":\"bad\"},\n{\"text\":\"ba", state: module.Partial, records: 1,
			alerts: []string{"words/bad", "words/count"}, reason: "line 3 is not one JSON record"},
		{name: "spytrace's lines without end", file: "[\n{\"text\":\"bad\"},\n", state: module.Partial, records: 1,
			alerts: []string{"words/bad", "words/count"}, reason: "unexpected EOF"},
		{name: "two records on a line", file: "[\n{\"text\":\"bad\"}, {\"text\":\"bad\"}\n]", state: module.Failed,
			reason: "line 2 is not one JSON record"},
		{name: "spytrace's line too large", file: "[\n{\"text\":\"bad\"},\n{\"text\":\"" + strings.Repeat("a", 5000) + "\"}\n]",
			lim: Limits{MaxRecordBytes: 1000}, state: module.Partial, records: 1,
			alerts: []string{"words/bad", "words/count"}, reason: "record larger than the limit"},
		{name: "panic in checks", file: `[{"text":"bad"},{"text":"boom"},{"text":"bad"}]`, state: module.Failed, records: 2,
			alerts: []string{"words/bad"}, reason: "checks: panic: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := CheckRecords(context.Background(), wordModule{}, check.NewEnv(nil), strings.NewReader(tc.file), tc.lim)
			var got []string
			for _, a := range res.Alerts {
				got = append(got, a.Check)
			}
			if res.State != tc.state || res.Records != tc.records || strings.Join(got, ",") != strings.Join(tc.alerts, ",") ||
				len(res.Problems) != tc.problems || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("got %s (%q) records %d alerts %v problems %q; want %s (%q) %d %v %d problems",
					res.State, res.Reason, res.Records, got, res.Problems, tc.state, tc.reason, tc.records, tc.alerts, tc.problems)
			}
		})
	}
}

func TestCheckRecordsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	recs := make([]word, 5000)
	data, _ := json.Marshal(recs)
	res := CheckRecords(ctx, wordModule{}, check.NewEnv(nil), strings.NewReader(string(data)), Limits{})
	if res.State != module.Failed || res.Reason != "interrupted" || res.Records >= 5000 {
		t.Errorf("got %s %q after %d records", res.State, res.Reason, res.Records)
	}
}

func TestCheckRecordsNeedsReloadable(t *testing.T) {
	type notReloadable struct{ module.Module }
	res := CheckRecords(context.Background(), notReloadable{wordModule{}}, check.NewEnv(nil), strings.NewReader(`[]`), Limits{})
	if res.State != module.Skipped {
		t.Errorf("got %s", res.State)
	}
}

func TestWindowReader(t *testing.T) {
	w := &windowReader{r: strings.NewReader(strings.Repeat("x", 100)), limit: 10}
	buf := make([]byte, 64)
	n, err := w.Read(buf)
	if n != 10 || err != nil {
		t.Fatalf("first read %d %v", n, err)
	}
	if _, err := w.Read(buf); !errors.Is(err, errRecordTooLarge) {
		t.Fatalf("second read: %v", err)
	}
}

func FuzzEachRecord(f *testing.F) {
	for _, s := range []string{`[{"text":"bad"}]`, `{"a":1}`, "\ufeff[\n{}\n]", `[{"text":"bad"},{"te`, `[1,"x",null,[]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := eachRecord(strings.NewReader(string(data)), 256, func(raw json.RawMessage) error {
			n++
			if len(raw) > 256 {
				t.Fatalf("record of %d bytes past the limit", len(raw))
			}
			if !json.Valid(raw) {
				t.Fatalf("invalid record %q", raw)
			}
			return nil
		})
		_ = err
		CheckRecords(context.Background(), wordModule{}, check.NewEnv(nil), strings.NewReader(string(data)), Limits{MaxRecordBytes: 256})
	})
}
