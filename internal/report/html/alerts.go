package html

import (
	"slices"

	"github.com/spytrace/spytrace/internal/alert"
)

// levelGroup is the alerts of one level, in the order of alerts.json.
type levelGroup struct {
	Level, Class string
	Alerts       []alertView
}

// alertView is one alert as the page shows it.
type alertView struct {
	N          int // 1-based position in alerts.json: the anchor alert-N
	Level      string
	Class      string
	Message    richText
	Module     richText
	Time       string
	Check      richText
	Indicator  *indicatorView
	Meaning    richText
	FalsePos   richText
	Advice     richText
	Record     []kv
	InTimeline bool
}

// indicatorView is the indicator an alert matched and where it comes from. Indicator
// values are public: redaction keeps them.
type indicatorView struct {
	Value, Type, MatchedOn, Collection, ID, CollectionID richText
	File, FilePath, FileSHA256                           richText
	OtherSources                                         int
}

// alertGroups groups the alerts by level, CRITICAL first.
func alertGroups(alerts []alert.Alert, red *redactor) []levelGroup {
	byLevel := map[alert.Level][]alertView{}
	var unknown []alertView
	for i := range alerts {
		v := alertOf(i, &alerts[i], red)
		if slices.Contains(alert.Levels, alerts[i].Level) {
			byLevel[alerts[i].Level] = append(byLevel[alerts[i].Level], v)
		} else {
			unknown = append(unknown, v)
		}
	}
	var out []levelGroup
	for _, l := range descending() {
		if len(byLevel[l]) > 0 {
			out = append(out, levelGroup{Level: l.String(), Class: levelClass(l), Alerts: byLevel[l]})
		}
	}
	if len(unknown) > 0 {
		out = append(out, levelGroup{Level: "OTHER", Class: "lv-other", Alerts: unknown})
	}
	return out
}

func alertOf(i int, a *alert.Alert, red *redactor) alertView {
	v := alertView{
		N:        i + 1,
		Level:    a.Level.String(),
		Class:    levelClass(a.Level),
		Message:  red.text(a.Message, maxMessage),
		Module:   newText(a.Module, maxName),
		Time:     formatTime(a.EventTime.Time),
		Check:    newText(a.Check, maxName),
		Meaning:  newText(a.Meaning, maxExplanation),
		FalsePos: newText(a.FalsePositive, maxExplanation),
		Advice:   newText(a.Advice, maxExplanation),
	}
	if ind := a.Indicator; ind != nil {
		v.Indicator = &indicatorView{
			Value:        newText(ind.Value, maxValue),
			Type:         newText(ind.Type, maxName),
			MatchedOn:    newText(ind.MatchedOn, maxValue),
			Collection:   newText(ind.Name, maxValue),
			ID:           newText(ind.ID, maxName),
			CollectionID: newText(ind.CollectionID, maxName),
			File:         newText(ind.STIX2FileName, maxValue),
			FilePath:     red.text(ind.STIX2FilePath, maxValue),
			FileSHA256:   newText(ind.STIX2FileHash, maxName),
			OtherSources: ind.OtherSources,
		}
		if ind.MatchedOn == ind.Value {
			v.Indicator.MatchedOn = richText{}
		}
	}
	v.Record = recordRows(a.Module, a.Event, red)
	return v
}

// recordRows lays a record out as key/value rows, keys sorted; nested values are
// compact JSON. A record that is not an object is one row.
func recordRows(module string, rec any, red *redactor) []kv {
	rec = red.value(module, rec)
	m, ok := rec.(map[string]any)
	if !ok {
		if rec == nil {
			return nil
		}
		return []kv{{K: newText("(record)", maxName), V: newText(scalar(rec), maxValue), Mono: true}}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]kv, 0, len(keys))
	for _, k := range keys {
		_, isString := m[k].(string)
		out = append(out, kv{K: newText(k, maxName), V: newText(scalar(m[k]), maxValue), Mono: !isString})
	}
	return out
}
