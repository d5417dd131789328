// Package moduletest runs modules the way a real run does (through the engine, into a
// temporary results folder) and hands back what they produced, for module tests.
package moduletest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/recheck"
	"github.com/spytrace/spytrace/internal/report/results"
)

// Outcome is what a module produced in one run.
type Outcome struct {
	Status module.Status
	// Records is the module's <name>.json, decoded into generic JSON values (a list, or
	// an object for single-record modules; nil when the module wrote no file).
	Records any
	// RecordsJSON is the raw file.
	RecordsJSON []byte
	Alerts      []alert.Alert
	// Timeline is timeline.csv without its header, one string per row.
	Timeline []string
	// URLs is urls.json decoded.
	URLs []map[string]any
	// Dir is the results folder.
	Dir string
}

// List returns Records as a list of objects (fails the test otherwise).
func (o *Outcome) List(t testing.TB) []map[string]any {
	t.Helper()
	if o.Records == nil {
		return nil
	}
	l, ok := o.Records.([]any)
	if !ok {
		t.Fatalf("records are %T, want a list", o.Records)
	}
	out := make([]map[string]any, len(l))
	for i, v := range l {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("record %d is %T, want an object", i, v)
		}
		out[i] = m
	}
	return out
}

// AlertsOf returns the alerts raised by a check (e.g. "ioc/domain").
func (o *Outcome) AlertsOf(check string) []alert.Alert {
	var out []alert.Alert
	for _, a := range o.Alerts {
		if a.Check == check {
			out = append(out, a)
		}
	}
	return out
}

// Run runs m (and, first, the modules it requires, given in deps) over acq with the
// indicators of ix (nil for none) and returns m's outcome.
func Run(t testing.TB, acq acquire.Acquisition, ix *ioc.Index, m module.Module, deps ...module.Module) *Outcome {
	t.Helper()
	out := filepath.Join(t.TempDir(), "results")
	dir, err := results.Create(out, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(context.Background(), engine.Config{
		Acquisition: acq,
		Modules:     append(deps, m),
		Index:       ix,
		Results:     dir,
		TempDir:     t.TempDir(),
		Workers:     2,
	})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	name := m.Info().Name
	o := &Outcome{Dir: out}
	for _, st := range res.Statuses {
		if st.Module == name {
			o.Status = st
		}
	}
	for _, a := range res.Alerts {
		if a.Module == name {
			o.Alerts = append(o.Alerts, a)
		}
	}
	if data, err := os.ReadFile(filepath.Join(out, name+".json")); err == nil {
		o.RecordsJSON = data
		if err := json.Unmarshal(data, &o.Records); err != nil {
			t.Fatalf("%s.json is not JSON: %v", name, err)
		}
	}
	tl, err := os.ReadFile(filepath.Join(out, "timeline.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSuffix(string(tl), "\r\n"), "\r\n")
	o.Timeline = rows[1:]
	urls, err := os.ReadFile(filepath.Join(out, "urls.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(urls, &o.URLs); err != nil {
		t.Fatalf("urls.json: %v", err)
	}
	return o
}

// OpenBackup writes b into a temporary folder and opens it.
func OpenBackup(t testing.TB, b *fixture.Backup) *iosbackup.Backup {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "backup")
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bk.Close() })
	return bk
}

// Index builds an indicator index from (kind, value) pairs, all in one collection
// named "Test Spyware" of a file named test.stix2.
func Index(pairs ...string) *ioc.Index {
	b := ioc.NewBuilder()
	file := &ioc.File{Path: "test.stix2", Name: "test.stix2", SHA256: strings.Repeat("0", 64)}
	col := &ioc.Collection{ID: "malware--00000000-0000-4000-8000-000000000000", Name: "Test Spyware", File: file}
	for i := 0; i+1 < len(pairs); i += 2 {
		b.Add(&ioc.Indicator{ID: "indicator--" + pairs[i+1], Kind: ioc.Kind(pairs[i]), Value: pairs[i+1], Collection: col})
	}
	return b.Build()
}

// ExactList returns Records as a list of objects whose numbers are json.Number, so that
// large integers (nanosecond dates) keep every digit.
func (o *Outcome) ExactList(t testing.TB) []map[string]any {
	t.Helper()
	if o.RecordsJSON == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(o.RecordsJSON))
	dec.UseNumber()
	var recs []map[string]any
	if err := dec.Decode(&recs); err != nil {
		t.Fatalf("records: %v", err)
	}
	return recs
}

// Project keeps only the named keys of each record, to compare the keys a test is
// about.
func Project(recs []map[string]any, keys ...string) []map[string]any {
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		out[i] = map[string]any{}
		for _, k := range keys {
			if v, ok := r[k]; ok {
				out[i][k] = v
			}
		}
	}
	return out
}

// Reload re-runs m's checks over the records o wrote, as spytrace check-iocs does on a
// results folder, with the indicators ix, and fails the test unless the module can
// read its records back and they raise exactly the alerts of the run, event included
// (so the records survive the trip through JSON with every field the checks read).
func Reload(t testing.TB, o *Outcome, ix *ioc.Index, m module.Module) {
	t.Helper()
	if _, ok := m.(module.Reloadable); !ok {
		t.Fatalf("%s does not implement module.Reloadable", m.Info().Name)
	}
	if o.RecordsJSON == nil {
		t.Fatalf("%s wrote no records to reload", m.Info().Name)
	}
	res := recheck.CheckRecords(context.Background(), m, check.NewEnv(ix), bytes.NewReader(o.RecordsJSON), recheck.Limits{})
	if res.State != module.OK {
		t.Fatalf("reloading %s: %s: %s %v", m.Info().Name, res.State, res.Reason, res.Problems)
	}
	if res.Records != o.Status.Records {
		t.Errorf("reloaded %d records, the run wrote %d", res.Records, o.Status.Records)
	}
	want, err := json.MarshalIndent(o.Alerts, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(res.Alerts, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("alerts on reloaded records differ from the run's (-run +reloaded):\n%s", cmp.Diff(string(want), string(got)))
	}
}

// ReloadExact is Reload plus a check that every record of o decodes with m's
// DecodeRecord and writes back to exactly the JSON it was read from (compacted). It
// returns the decoded records, in order; nothing when the module wrote no file.
func ReloadExact(t testing.TB, o *Outcome, ix *ioc.Index, m module.Module) []any {
	t.Helper()
	if o.RecordsJSON == nil {
		return nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(o.RecordsJSON, &raws); err != nil {
		t.Fatal(err)
	}
	dec, ok := m.(module.Reloadable)
	if !ok {
		t.Fatalf("%s does not implement module.Reloadable", m.Info().Name)
	}
	recs := DecodeExact(t, dec, raws)
	Reload(t, o, ix, m)
	return recs
}

// DecodeExact decodes each raw record with dec and fails the test unless the record,
// encoded again, gives back the same JSON byte for byte. It returns the records.
func DecodeExact(t testing.TB, dec module.Reloadable, raws []json.RawMessage) []any {
	t.Helper()
	recs := make([]any, len(raws))
	for i, raw := range raws {
		rec, err := dec.DecodeRecord(raw)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		var got bytes.Buffer
		enc := json.NewEncoder(&got)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, raw); err != nil {
			t.Fatal(err)
		}
		if g := bytes.TrimSuffix(got.Bytes(), []byte("\n")); !bytes.Equal(g, want.Bytes()) {
			t.Fatalf("record %d changed:\n got %s\nwant %s", i, g, want.Bytes())
		}
		recs[i] = rec
	}
	return recs
}
