package analytics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Bounds of [Record.Strings].
const (
	// MaxStrings is the most string values taken from one event.
	MaxStrings = 1000
	// maxWalkDepth is the deepest nesting walked.
	maxWalkDepth = 32
	// maxWalkValues bounds the values visited in one event.
	maxWalkValues = 100_000
)

// Record is one event.
//
// JSON: every key of the event's dictionary (data as base64, dates as MVT time
// strings), then MVT's isodate (the row's timestamp) and artifact (the database's file
// name), and spytrace's table (the table the row is in). An event key named like one
// of these is overwritten by it, as in MVT.
type Record struct {
	// Data is the event's dictionary as decoded (plist values); nil when the row has
	// no data or it could not be decoded. Do not change it.
	Data     map[string]any
	Isodate  timefmt.Time
	Artifact string
	Table    string
}

// MarshalJSON writes the record (see [Record]).
func (r *Record) MarshalJSON() ([]byte, error) {
	m, _ := plistx.JSONValue(r.Data).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	m["isodate"] = r.Isodate
	m["artifact"] = r.Artifact
	m["table"] = r.Table
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Text returns the event's value of key when it is a string ("" otherwise).
func (r *Record) Text(key string) string { return safetext.EscapeInvalid(plistx.String(r.Data, key)) }

// Strings returns the distinct string values of the event, nested ones included, in a
// fixed order (dictionary keys sorted), at most MaxStrings of them.
func (r *Record) Strings() []string {
	w := walker{seen: map[string]bool{}}
	w.walk(r.Data, 0)
	return w.out
}

type walker struct {
	out    []string
	seen   map[string]bool
	visits int
}

func (w *walker) full() bool { return len(w.out) >= MaxStrings || w.visits >= maxWalkValues }

func (w *walker) walk(v any, depth int) {
	if w.full() || depth > maxWalkDepth {
		return
	}
	w.visits++
	switch x := v.(type) {
	case string:
		if x != "" && !w.seen[x] {
			w.seen[x] = true
			w.out = append(w.out, x)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if w.full() {
				return
			}
			w.walk(x[k], depth+1)
		}
	case []any:
		for _, e := range x {
			if w.full() {
				return
			}
			w.walk(e, depth+1)
		}
	}
}

// describe writes the event in one line: "soft_failures NetworkingTLSHandshake,
// errorDomain NSOSStatusErrorDomain, errorCode -9806, build 20F66".
func (r *Record) describe() string {
	var parts []string
	head := r.Table
	if t := r.Text("eventType"); t != "" {
		head += " " + t
	}
	parts = append(parts, head)
	for _, k := range []string{"errorDomain", "errorCode", "build"} {
		if v, ok := r.Data[k]; ok {
			switch v.(type) {
			case string, int64, float64, bool:
				parts = append(parts, k+" "+safetext.EscapeInvalid(fmt.Sprint(v)))
			}
		}
	}
	if r.Data == nil {
		parts = append(parts, "no event data")
	}
	return strings.Join(parts, ", ")
}

// Timeline implements module.Timeliner: one event named after the database (MVT).
func (r *Record) Timeline() []module.Event {
	if r.Isodate.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.Isodate.Time, Event: r.Artifact, Data: r.describe()}}
}

// URLs implements module.URLLister: the links in the event's string values.
func (r *Record) URLs() []module.URL {
	var out []module.URL
	for _, s := range r.Strings() {
		if !strings.Contains(s, "://") {
			continue
		}
		for _, u := range urlx.Extract(s) {
			out = append(out, module.URL{URL: u, Time: r.Isodate.Time})
		}
	}
	return out
}
