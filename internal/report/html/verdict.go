package html

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/results"
)

// Verdict kinds, which are also the CSS class of the verdict panel.
const (
	verdictKnownSpyware = "known-spyware" // HIGH or CRITICAL alerts, at least one matching an indicator
	verdictSevere       = "severe"        // HIGH or CRITICAL alerts from heuristics only
	verdictLook         = "look"          // MEDIUM or LOW alerts only
	verdictNoTrace      = "no-trace"      // no alert above INFORMATIONAL, indicators loaded
	verdictNoIndicators = "no-indicators" // no alert above INFORMATIONAL, no indicator loaded
)

// verdictView is the panel at the top of the report: what was and was not found, what
// it means, and the facts that weaken it.
type verdictView struct {
	Kind     string
	Headline string
	// Body and Caveats are made of the folder's facts (module names, indicator
	// collections), so they are shown like any other text from it.
	Body    []richText
	Caveats []richText
	Counts  []levelCount
}

// levelCount is the number of alerts at one level, for the panel's tally.
type levelCount struct {
	Level, Class string
	N            int
}

// levelClass is the CSS class of a level.
func levelClass(l alert.Level) string { return "lv-" + strings.ToLower(l.String()) }

// descending lists the levels from CRITICAL down.
func descending() []alert.Level {
	ls := slices.Clone(alert.Levels)
	slices.Reverse(ls)
	return ls
}

// buildVerdict states the verdict from the facts of info.json and the alerts. Only
// what the folder records is said: counts, indicator files, module outcomes.
func buildVerdict(f *results.Folder, redacted bool) verdictView {
	counts := map[alert.Level]int{}
	for _, a := range f.Alerts {
		counts[a.Level]++
	}
	listed := len(f.Alerts)
	recorded := 0
	for _, l := range alert.Levels {
		n := f.Info.Alerts[l.String()]
		recorded += n
		counts[l] = max(counts[l], n) // info.json may count alerts that alerts.json lost
	}
	indicatorAlerts := map[bool]int{} // by "at HIGH or above"
	var collections []string
	seenCollection := map[string]bool{}
	for _, a := range f.Alerts {
		if a.Indicator == nil {
			continue
		}
		indicatorAlerts[a.Level >= alert.High]++
		if c := a.Indicator.Name; c != "" && !seenCollection[c] && a.Level >= alert.High {
			seenCollection[c] = true
			collections = append(collections, c)
		}
	}
	slices.Sort(collections)
	indicators := 0
	for _, file := range f.Info.IndicatorFiles {
		indicators += file.Indicators
	}

	var v verdictView
	var body []string
	for _, l := range descending() {
		v.Counts = append(v.Counts, levelCount{Level: l.String(), Class: levelClass(l), N: counts[l]})
	}
	severe := counts[alert.Critical] + counts[alert.High]
	look := counts[alert.Medium] + counts[alert.Low]
	switch {
	case severe > 0 && indicatorAlerts[true] > 0:
		v.Kind = verdictKnownSpyware
		v.Headline = "Traces matching known spyware were found"
		found := fmt.Sprintf("%s at HIGH or CRITICAL level; %s public indicators of known spyware", plural(severe, "alert is", "alerts are"),
			matchCount(indicatorAlerts[true]))
		if len(collections) > 0 {
			found += " (" + strings.Join(collections, "; ") + ")"
		}
		body = append(body, found+".",
			"This is a strong signal, not a conclusion: it needs an experienced analyst's review before anyone is told the phone is compromised. "+
				"An indicator can also match an innocent trace (a link that was received but never opened, a name shared with a legitimate program). "+
				"Read each alert's explanation and the events around it in the timeline.")
	case severe > 0:
		v.Kind = verdictSevere
		v.Headline = "Signs that need an expert's review were found"
		body = append(body, fmt.Sprintf("%s at HIGH or CRITICAL level, raised by spytrace's heuristics; none of them matches an indicator of known spyware.", plural(severe, "alert is", "alerts are")),
			"These signs are often left by spyware but can have innocent causes: they need an experienced analyst's review before anyone is told the phone is compromised. "+
				"Read each alert's explanation and the events around it in the timeline.")
	case look > 0:
		v.Kind = verdictLook
		if indicatorAlerts[false] > 0 {
			v.Headline = "No HIGH or CRITICAL alert; some indicator matches and other things deserve a look"
			body = append(body, fmt.Sprintf("No alert reached HIGH or CRITICAL level. %s at MEDIUM or LOW level; %s a public indicator at a lower level.",
				plural(look, "alert is", "alerts are"), matchCount(indicatorAlerts[false])))
		} else {
			v.Headline = "No known-spyware match; some things deserve a look"
			body = append(body, fmt.Sprintf("No indicator of known spyware matched, and no alert reached HIGH or CRITICAL level. %s at MEDIUM or LOW level.",
				plural(look, "alert is", "alerts are")))
		}
		body = append(body, "They point at settings, apps or events that are usually innocent but that spyware can also cause: read each alert's explanation and what to do next.")
	case indicators == 0:
		v.Kind = verdictNoIndicators
		v.Headline = "Nothing was found, but no indicators were loaded"
		body = append(body, "spytrace's heuristics raised no alert above INFORMATIONAL level. Without indicators, known spyware cannot be recognised by its traces: this result says little.",
			"Check this results folder again with current indicators: spytrace iocs update, then spytrace check-iocs on this folder.")
	default:
		v.Kind = verdictNoTrace
		v.Headline = "No trace of known spyware was found"
		body = append(body, "Public indicators only find documented spyware: this is not proof that the phone is clean. "+
			"Spyware that is new, or whose indicators were not published, leaves no match.")
	}
	if n := counts[alert.Informational]; n > 0 {
		body = append(body, fmt.Sprintf("%s (facts worth knowing, not signs of compromise).", plural(n, "informational note is listed", "informational notes are listed")))
	}
	for _, b := range body {
		v.Body = append(v.Body, newText(b, maxExplanation))
	}
	for _, c := range caveats(f, indicators, listed, recorded, redacted) {
		v.Caveats = append(v.Caveats, newText(c, maxExplanation))
	}
	return v
}

// matchCount says how many alerts match indicators.
func matchCount(n int) string {
	if n == 1 {
		return "1 of them matches"
	}
	return fmt.Sprintf("%d of them match", n)
}

// caveats lists the facts of the run that weaken the verdict or that the reader must
// know to weigh it.
func caveats(f *results.Folder, indicators, listed, recorded int, redacted bool) []string {
	var out []string
	info := &f.Info
	if info.Interrupted {
		out = append(out, "The run was interrupted: modules that had not finished were not checked, so the verdict is weaker.")
	}
	byState := map[string][]string{}
	for _, m := range info.Modules {
		byState[m.Status] = append(byState[m.Status], m.Name)
	}
	if names := byState["failed"]; len(names) > 0 {
		out = append(out, fmt.Sprintf("%s failed (%s): what %s was not checked, so the verdict is weaker. See the module table for the reasons.",
			plural(len(names), "module", "modules"), listNames(names), pick(len(names) == 1, "it would have read", "they would have read")))
	}
	if names := byState["partial"]; len(names) > 0 {
		out = append(out, fmt.Sprintf("%s read %s only in part (%s): some records were not checked, so the verdict is weaker.",
			plural(len(names), "module", "modules"), pick(len(names) == 1, "its artifact", "their artifacts"), listNames(names)))
	}
	ran := len(byState["ok"]) + len(byState["partial"])
	switch {
	case len(info.Modules) == 0:
		out = append(out, "info.json lists no module: nothing is known of what was checked.")
	case ran == 0:
		out = append(out, "No module found anything to read in this acquisition: it may be empty, or not of the kind that was checked.")
	case len(byState["skipped"]) > 0:
		out = append(out, fmt.Sprintf("%s found nothing to read in this acquisition (see the module table): the artifacts they read were not there.",
			plural(len(byState["skipped"]), "module", "modules")))
	}
	if indicators == 0 {
		out = append(out, "No indicator was loaded: only spytrace's heuristics ran, and known spyware could not be recognised by its indicators.")
	} else {
		out = append(out, fmt.Sprintf("%s from %s were loaded. This report does not know how recent they are (info.json records each file's SHA-256, not its date): "+
			"spyware documented after they were published cannot match. Check this folder again when new indicators are published (spytrace iocs update, then spytrace check-iocs).",
			plural(indicators, "indicator", "indicators"), plural(len(info.IndicatorFiles), "file", "files")))
	}
	if n := len(info.Problems); n > 0 {
		out = append(out, fmt.Sprintf("%s met while reading the acquisition (see Problems).", plural(n, "problem was", "problems were")))
	}
	if recorded != listed && (recorded > 0 || listed > 0) && len(info.Alerts) > 0 {
		out = append(out, fmt.Sprintf("info.json counts %s but alerts.json holds %d: the list below may be incomplete.", plural(recorded, "alert", "alerts"), listed))
	}
	if redacted {
		out = append(out, "This copy is redacted for sharing: message texts, names of people, phone numbers and e-mail addresses are replaced by "+Redacted+
			" (best effort: read it before sharing). Indicator values are kept, as they are public.")
	}
	return out
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// listNames joins at most 8 names, saying how many more there are.
func listNames(names []string) string {
	const shown = 8
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:shown], ", ") + fmt.Sprintf(" and %d more", len(names)-shown)
}
