package recheck

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// knownAlerts holds what earlier runs of a case raised, to tell the new alerts of a
// re-check from those already reported.
//
// An indicator match is the same when it is in the same module, at the same event
// time, on the same indicator value (types are not compared: MVT files IP addresses
// under "domains"); a heuristic when it is the same check
// (or, for MVT, which names none, the same message) in the same module at the same
// event time. MVT before version 3 wrote matched records instead of alerts: their
// event time is unknown, so any match of the same indicator in the same module counts
// as known.
type knownAlerts struct {
	n     int
	keys  map[string]bool
	loose map[string]bool // module + indicator, for alerts without an event time
}

func (k *knownAlerts) has(a alert.Alert) bool {
	if k.keys[alertKey(a)] {
		return true
	}
	if a.Indicator != nil {
		return k.loose[a.Module+"\x00"+strings.ToLower(a.Indicator.Value)]
	}
	return false
}

func alertKey(a alert.Alert) string {
	t := a.EventTime.String()
	if a.Indicator != nil {
		return strings.Join([]string{"ioc", a.Module, t, strings.ToLower(a.Indicator.Value)}, "\x00")
	}
	what := a.Check
	if what == "" {
		what = a.Message
	}
	return strings.Join([]string{"check", a.Module, t, what}, "\x00")
}

// earlierAlert is what is read of an alert (or, before MVT 3, a matched record) of an
// earlier run.
type earlierAlert struct {
	Module    string           `json:"module"`
	Message   string           `json:"message"`
	EventTime json.RawMessage  `json:"event_time"`
	Indicator *alert.Indicator `json:"matched_indicator"`
	Check     string           `json:"check"`
}

// maxKnownBytes bounds one earlier alerts file.
const maxKnownBytes = 1 << 30

// readKnown reads the alerts of the case's own run (alerts.json, or the
// <slug>_detected.json files when there is none) and of its earlier re-checks.
func readKnown(root *os.Root) (*knownAlerts, []string) {
	k := &knownAlerts{keys: map[string]bool{}, loose: map[string]bool{}}
	var problems []string
	read := func(name, module string) {
		f, err := root.Open(name)
		if err != nil {
			if !os.IsNotExist(err) {
				problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			}
			return
		}
		defer f.Close()
		err = eachRecord(io.LimitReader(f, maxKnownBytes), 64<<20, func(raw json.RawMessage) error {
			var e earlierAlert
			if json.Unmarshal(raw, &e) == nil { // an alert that cannot be read is left out
				k.add(e, module)
			}
			return nil
		})
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if _, err := root.Stat("alerts.json"); err == nil {
		read("alerts.json", "")
	} else if entries, err := readDirNames(root, "."); err == nil {
		for _, name := range entries {
			if m, ok := strings.CutSuffix(name, "_detected.json"); ok {
				read(name, m)
			}
		}
	}
	if entries, err := readDirNames(root, RechecksDir); err == nil {
		for _, name := range entries {
			read(path.Join(RechecksDir, name, "alerts.json"), "")
		}
	}
	return k, problems
}

func (k *knownAlerts) add(e earlierAlert, module string) {
	if e.Module == "" {
		e.Module = module
	}
	var t string
	if len(e.EventTime) > 0 {
		json.Unmarshal(e.EventTime, &t) // a number or null (MVT before 3) stays unknown
	}
	k.n++
	if e.Indicator != nil && e.Indicator.Value != "" {
		if t == "" {
			k.loose[e.Module+"\x00"+strings.ToLower(e.Indicator.Value)] = true
		}
		a := alert.Alert{Module: e.Module, Indicator: e.Indicator}
		a.EventTime.Time, _ = timefmt.Parse(t)
		k.keys[alertKey(a)] = true
		return
	}
	a := alert.Alert{Module: e.Module, Check: e.Check, Message: e.Message}
	a.EventTime.Time, _ = timefmt.Parse(t)
	k.keys[alertKey(a)] = true
}

// readDirNames lists the names in a folder of root, sorted.
func readDirNames(root *os.Root, name string) ([]string, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(100_000)
	if err != nil && err != io.EOF {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}
