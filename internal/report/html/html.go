// Package html writes report.html: the report of a results folder that a person reads,
// in one self-contained HTML file.
//
// The report is built from the results folder alone (info.json, alerts.json and
// timeline.csv, read through package results), never from the evidence. From top to
// bottom it holds: a verdict panel saying plainly what was and was not found, what it
// means and what weakens it; the alerts grouped by severity, each with what was found,
// the matched indicator and its source, why it matters, how it can be innocent, what
// to do next and the record; a filterable timeline of the events within an hour of each
// alert (timeline.csv is read once, streamed, and only a bounded number of rows is
// kept); the acquisition facts, the indicator files, the module outcomes, the problems
// met and the SHA-256 of every evidence file read.
//
// Everything in a results folder comes from evidence and is hostile. The page is
// rendered with html/template, so every value is escaped for its context; long values
// are cut for display (the page says so); control and invisible formatting characters
// and bytes that are not UTF-8 are shown as visible escapes. URLs from the evidence are
// shown as text, never as links. The page makes no network request: its only style and
// script are inline, and a Content-Security-Policy allows nothing else (the hashes of
// the style and the script are computed here, so a script injected into the page could
// not run). The page is fully readable with scripts off; the script only adds the
// timeline's filters and opens every collapsed section for printing.
//
// With Options.Redact the report can be shared: message texts, names of people, phone
// numbers and e-mail addresses are replaced by [redacted] in records, alert messages,
// timeline descriptions and facts (see redact.go for the keys). Indicator values stay:
// they are public.
//
// The output is deterministic: the same folder and options give the same bytes.
package html

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Options tune the report.
type Options struct {
	// Redact hides message texts, names of people, phone numbers and e-mail addresses,
	// so that the report can be shared.
	Redact bool
	// MaxTimelineRows bounds the rows of the timeline (alerts and events); 0 means
	// DefaultMaxTimelineRows.
	MaxTimelineRows int
}

// DefaultMaxTimelineRows is the default bound of the timeline's rows.
const DefaultMaxTimelineRows = 5000

// Bounds of the long lists of info.json shown on the page; the rest stays in info.json.
const (
	maxHashes         = 20000
	maxProblems       = 1000
	maxModuleProblems = 50
	maxModuleFiles    = 200
)

var (
	//go:embed assets/style.css
	styleText string
	//go:embed assets/filter.js
	scriptText string
	//go:embed assets/report.html.tmpl
	pageText string

	pageTemplate = template.Must(template.New("report").Parse(pageText))
	// csp allows the page's own style and script, by hash, and data: images (the
	// empty icon that stops a browser from asking a server for one); nothing else.
	csp = "default-src 'none'; style-src " + cspHash(styleText) + "; script-src " + cspHash(scriptText) +
		"; img-src data:; base-uri 'none'; form-action 'none'"
)

// cspHash returns the CSP source expression of an inline element's content.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// Write renders the report of the results folder f to w.
func Write(w io.Writer, f *results.Folder, opts Options) error {
	if f == nil {
		return errors.New("write report: no results folder")
	}
	p := build(f, opts)
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := pageTemplate.Execute(bw, p); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// page is what the template renders.
type page struct {
	CSP      string
	Style    template.CSS
	Script   template.JS
	Title    string
	Redacted bool
	Device   richText
	Run      []kv
	Verdict  verdictView
	Groups   []levelGroup
	Alerts   int
	Timeline timelineView
	Facts    []kv
	IOCFiles []iocFileView
	Modules  moduleTable
	Problems listView
	Hashes   hashView
}

// kv is one row of a key/value table.
type kv struct {
	K, V richText
	// Mono shows the value in a fixed-width font (hashes, paths, JSON).
	Mono bool
}

func build(f *results.Folder, opts Options) *page {
	if opts.MaxTimelineRows <= 0 {
		opts.MaxTimelineRows = DefaultMaxTimelineRows
	}
	alerts := make([]alert.Alert, len(f.Alerts))
	for i, a := range f.Alerts {
		a.Event = generic(a.Event)
		alerts[i] = a
	}
	red := newRedactor(opts.Redact, alerts)
	info := &f.Info
	p := &page{
		CSP:      csp,
		Style:    template.CSS(styleText),
		Script:   template.JS(scriptText),
		Redacted: opts.Redact,
		Alerts:   len(alerts),
	}
	p.Verdict = buildVerdict(&results.Folder{Dir: f.Dir, Info: f.Info, Alerts: alerts}, opts.Redact)
	p.Device = red.text(deviceLine(info.Acquisition, red), maxValue)
	p.Title = "spytrace report"
	if d := p.Device.String(); d != "" {
		p.Title += ": " + d
	}
	p.Run = runFacts(info, red)
	p.Groups = alertGroups(alerts, red)
	p.Timeline = buildTimeline(f, alerts, opts.MaxTimelineRows, red)
	for gi := range p.Groups {
		for ai := range p.Groups[gi].Alerts {
			a := &p.Groups[gi].Alerts[ai]
			a.InTimeline = p.Timeline.shown[a.N-1]
		}
	}
	p.Facts = factRows(info.Acquisition, red)
	p.IOCFiles = iocFiles(info.IndicatorFiles, red)
	p.Modules = moduleRows(info.Modules, red)
	p.Problems = problemRows(info.Problems, red)
	p.Hashes = hashRows(info.Hashes, red)
	return p
}

// generic turns a record into the values encoding/json decodes into (maps, slices,
// strings, float64, bool, nil), as results.Load gives it; records made in Go are
// encoded and decoded once. Strings are kept byte for byte.
func generic(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return v
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = generic(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = generic(e)
		}
		return out
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("(record not encodable: %v)", err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return fmt.Sprintf("(record not decodable: %v)", err)
	}
	return out
}

// formatTime writes a time in UTC, with microseconds only when it has them.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format(time.DateTime) + " UTC"
	}
	return t.Format(timefmt.Layout) + " UTC"
}

// deviceLine describes the phone from the acquisition facts that name it, when any.
func deviceLine(facts map[string]any, red *redactor) string {
	str := func(k string) string {
		s, _ := facts[k].(string)
		return strings.TrimSpace(s)
	}
	var parts []string
	if name := str("DeviceName"); name != "" {
		if red.on {
			name = Redacted
		}
		parts = append(parts, name)
	}
	if t := str("ProductType"); t != "" {
		parts = append(parts, t)
	}
	if v := str("ProductVersion"); v != "" {
		os := "iOS " + v
		if b := str("BuildVersion"); b != "" {
			os += " (" + b + ")"
		}
		parts = append(parts, os)
	}
	line := strings.Join(parts, ", ")
	if k := str("kind"); k != "" {
		if line != "" {
			line += " — "
		}
		line += k
	}
	return line
}

// runFacts are the facts of the run: tool, command, target and date.
func runFacts(info *results.Info, red *redactor) []kv {
	tool := info.Tool
	if tool == "" {
		tool = "spytrace"
	}
	version := info.Version
	if info.Commit != "" {
		version += " (" + info.Commit + ")"
	}
	rows := []struct {
		k, v string
		mono bool
	}{
		{"Tool", tool + " " + version, false},
		{"Command", info.Command, true},
		{"Evidence", info.TargetPath, true},
		{"Checked on", info.Date + " UTC", false},
		{"Fail level", info.FailLevel, false},
		{"Results layout", fmt.Sprintf("version %d", info.SchemaVersion), false},
	}
	var out []kv
	for _, r := range rows {
		if strings.TrimSpace(r.v) == "" || r.v == " UTC" {
			continue
		}
		out = append(out, kv{K: newText(r.k, maxName), V: red.text(r.v, maxValue), Mono: r.mono})
	}
	return out
}

// factRows lists the acquisition facts, sorted by key; nested values as compact JSON.
func factRows(facts map[string]any, red *redactor) []kv {
	keys := make([]string, 0, len(facts))
	for k := range facts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []kv
	for _, k := range keys {
		v := generic(facts[k])
		if red.on {
			if red.hides("", k) {
				v = red.hidden(v)
			} else {
				v = red.value("", v)
			}
		}
		_, nested := v.(string)
		out = append(out, kv{K: newText(k, maxName), V: newText(scalar(v), maxValue), Mono: !nested})
	}
	return out
}

// iocFileView is one indicator file.
type iocFileView struct {
	Path, Name, SHA256 richText
	Indicators         string
	ByType, Skipped    richText
	Collections        []richText
}

func iocFiles(files []results.IndicatorFile, red *redactor) []iocFileView {
	var out []iocFileView
	for _, f := range files {
		v := iocFileView{
			Path:       red.text(f.Path, maxValue),
			Name:       red.text(path.Base(strings.ReplaceAll(f.Path, `\`, "/")), maxName),
			SHA256:     newText(f.SHA256, maxName),
			Indicators: groupDigits(int64(f.Indicators)),
			ByType:     newText(countList(f.ByType), maxValue),
			Skipped:    newText(countList(f.Skipped), maxValue),
		}
		for _, c := range f.Collections {
			v.Collections = append(v.Collections, newText(c, maxName))
		}
		out = append(out, v)
	}
	return out
}

// countList writes a map of counts as "a: 1, b: 2", sorted by key.
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + groupDigits(int64(m[k]))
	}
	return strings.Join(parts, ", ")
}

// moduleTable is the outcome of every module.
type moduleTable struct {
	Rows                         []moduleRow
	OK, Partial, Failed, Skipped int
	Other                        int
	Records                      string
}

type moduleRow struct {
	Name, Status         richText
	Class                string
	Version              int
	Records, Alerts      string
	Reason               richText
	Problems             []richText
	MoreProblems         int
	Files                []richText
	FileCount, MoreFiles int
}

// statusOrder puts the modules that need attention first.
var statusOrder = map[string]int{"failed": 0, "partial": 1, "ok": 2, "skipped": 3}

func moduleRows(mods []results.ModuleInfo, red *redactor) moduleTable {
	var t moduleTable
	sorted := slices.Clone(mods)
	slices.SortStableFunc(sorted, func(a, b results.ModuleInfo) int {
		oa, ok := statusOrder[a.Status]
		if !ok {
			oa = 4
		}
		ob, ok := statusOrder[b.Status]
		if !ok {
			ob = 4
		}
		return oa - ob
	})
	records := 0
	for _, m := range sorted {
		switch m.Status {
		case "ok":
			t.OK++
		case "partial":
			t.Partial++
		case "failed":
			t.Failed++
		case "skipped":
			t.Skipped++
		default:
			t.Other++
		}
		records += m.Records
		r := moduleRow{
			Name:      newText(m.Name, maxName),
			Status:    newText(m.Status, maxName),
			Class:     "st-" + moduleKey(m.Status),
			Version:   m.Version,
			Records:   groupDigits(int64(m.Records)),
			Alerts:    groupDigits(int64(m.Alerts)),
			Reason:    red.text(m.Reason, maxValue),
			FileCount: len(m.Files),
		}
		for i, p := range m.Problems {
			if i == maxModuleProblems {
				r.MoreProblems = len(m.Problems) - i
				break
			}
			r.Problems = append(r.Problems, red.text(p, maxValue))
		}
		for i, file := range m.Files {
			if i == maxModuleFiles {
				r.MoreFiles = len(m.Files) - i
				break
			}
			r.Files = append(r.Files, red.text(file, maxValue))
		}
		t.Rows = append(t.Rows, r)
	}
	t.Records = groupDigits(int64(records))
	return t
}

// listView is a bounded list of rows of text.
type listView struct {
	Rows [][]richText
	More int
}

// problemRows lists the acquisition's problems: kind, name, message, and any other
// key as compact JSON.
func problemRows(problems []map[string]any, red *redactor) listView {
	var l listView
	for i, p := range problems {
		if i == maxProblems {
			l.More = len(problems) - i
			break
		}
		p = red.value("", generic(p)).(map[string]any)
		cells := make([]string, 3)
		for j, k := range []string{"kind", "name", "message"} {
			if v, ok := p[k]; ok {
				cells[j] = scalar(v)
			}
		}
		var rest []string
		for k := range p {
			if k != "kind" && k != "name" && k != "message" {
				rest = append(rest, k)
			}
		}
		slices.Sort(rest)
		for _, k := range rest {
			cells[2] += " (" + k + ": " + cutString(scalar(p[k]), maxValue) + ")"
		}
		row := make([]richText, 3)
		for j, c := range cells {
			row[j] = newText(c, maxValue)
		}
		l.Rows = append(l.Rows, row)
	}
	return l
}

// hashView lists the SHA-256 of the evidence files read.
type hashView struct {
	Rows  []hashRow
	Total string
	N     int
	More  int
}

type hashRow struct {
	Name, Path, SHA256, Error richText
	Size                      string
}

func hashRows(hashes []results.Hash, red *redactor) hashView {
	v := hashView{N: len(hashes), Total: groupDigits(int64(len(hashes)))}
	for i, h := range hashes {
		if i == maxHashes {
			v.More = len(hashes) - i
			break
		}
		r := hashRow{Name: red.text(h.Name, maxValue), SHA256: newText(h.SHA256, maxName), Error: red.text(h.Error, maxValue),
			Size: groupDigits(h.Size)}
		if h.FilePath != h.Name {
			r.Path = red.text(h.FilePath, maxValue)
		}
		v.Rows = append(v.Rows, r)
	}
	return v
}

// timelineView is the timeline section.
type timelineView struct {
	Windows []windowView
	Modules []toggle
	// Rows is the number of rows shown; Near the events of timeline.csv within Radius of
	// an alert shown; Read the events read; Timed the alerts with a time, Shown those on
	// the timeline.
	Rows, Near, Read, Timed, Shown, Untimed int
	Capped                                  bool
	Max                                     int
	Err                                     richText
	shown                                   map[int]bool // indexes of the alerts on the timeline
}

// windowView is one stretch of the timeline around one or more alerts.
type windowView struct {
	From, To string
	Alerts   int
	Rows     []rowView
}

type rowView struct {
	Alert  bool
	N      int // the alert's number (its anchor)
	Class  string
	Key    string // moduleKey of the module, for the filter
	Time   string
	Offset string // from the nearest alert
	Module richText
	Event  richText
	Desc   richText
}

// toggle is one module of the timeline's filter.
type toggle struct {
	Key   string
	Label richText
	N     int
}

func buildTimeline(f *results.Folder, alerts []alert.Alert, maxRows int, red *redactor) timelineView {
	var v timelineView
	v.Max = maxRows
	shown, timed := timelineAlerts(alerts, maxRows)
	v.Timed, v.Shown, v.Untimed = timed, len(shown), len(alerts)-timed
	v.shown = make(map[int]bool, len(shown))
	for _, t := range shown {
		v.shown[t.idx] = true
	}
	if len(shown) == 0 {
		return v
	}
	times := make([]time.Time, len(shown))
	for i, t := range shown {
		times[i] = t.a.EventTime.Time
	}
	sel := newSelector(times, Radius, maxRows-len(shown))
	if err := f.Timeline(func(e timeline.Event) error { sel.add(e); return nil }); err != nil {
		v.Err = red.text(err.Error(), maxValue)
	}
	v.Read, v.Near = sel.read, sel.near
	events := sel.events()
	v.Capped = len(shown) < timed || len(events) < sel.near
	v.Rows = len(shown) + len(events)

	labels := map[string]string{}
	for _, m := range f.Info.Modules {
		labels[moduleKey(m.Name)] = m.Name
	}
	counts := map[string]int{}
	// label counts a row of the module and returns its key and the name it is shown
	// by: the module's slug when info.json lists it, else the name as written.
	label := func(name string) (string, richText) {
		k := moduleKey(name)
		if _, ok := labels[k]; !ok {
			labels[k] = name
		}
		counts[k]++
		return k, newText(labels[k], maxName)
	}

	spans := mergeSpans(times, Radius)
	v.Windows = make([]windowView, len(spans))
	for i, s := range spans {
		v.Windows[i] = windowView{From: formatTime(s.From), To: formatTime(s.To)}
	}
	win := func(t time.Time) int {
		i, _ := slices.BinarySearchFunc(spans, t, func(s span, t time.Time) int {
			switch {
			case s.To.Before(t):
				return -1
			case s.From.After(t):
				return 1
			}
			return 0
		})
		return min(i, len(spans)-1)
	}
	ai := 0
	emitAlert := func() {
		t := shown[ai]
		ai++
		a := t.a
		w := &v.Windows[win(a.EventTime.Time)]
		w.Alerts++
		key, name := label(a.Module)
		w.Rows = append(w.Rows, rowView{
			Alert: true, N: t.idx + 1, Class: levelClass(a.Level), Key: key,
			Time: formatTime(a.EventTime.Time), Offset: "alert",
			Module: name, Event: newText(a.Level.String(), maxName),
			Desc: red.text(a.Message, maxDescription),
		})
	}
	for _, p := range events {
		for ai < len(shown) && shown[ai].a.EventTime.Time.Before(p.ev.Time) {
			emitAlert()
		}
		d, _ := nearest(times, p.ev.Time)
		desc := red.text(red.timeline(p.ev.Plugin, p.ev.Description), maxDescription)
		if desc.Full > 0 {
			desc.Full = max(desc.Full, p.descLen) // the kept description was already cut
		}
		w := &v.Windows[win(p.ev.Time)]
		key, name := label(p.ev.Plugin)
		w.Rows = append(w.Rows, rowView{
			Key: key, Time: formatTime(p.ev.Time), Offset: formatOffset(d),
			Module: name, Event: red.text(p.ev.Event, maxName), Desc: desc,
		})
	}
	for ai < len(shown) {
		emitAlert()
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(labels[a]), strings.ToLower(labels[b])) })
	for _, k := range keys {
		v.Modules = append(v.Modules, toggle{Key: k, Label: newText(labels[k], maxName), N: counts[k]})
	}
	return v
}

// formatOffset writes a signed distance from an alert: "-12m05s", "+45s", "0s".
func formatOffset(d time.Duration) string {
	d = d.Round(time.Second)
	if d == 0 {
		return "0s"
	}
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("%s%dh%02dm%02ds", sign, h, m, s)
	case m > 0:
		return fmt.Sprintf("%s%dm%02ds", sign, m, s)
	}
	return fmt.Sprintf("%s%ds", sign, s)
}
