// Package osanalyticsaddaily reads the per-process network usage baseline that iOS's
// analytics keep for their daily report.
//
// The artifact is the property list com.apple.osanalytics.addaily.plist, at
// HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist in a backup and
// /private/var/mobile/Library/Preferences/com.apple.osanalytics.addaily.plist on the
// phone. Its key netUsageBaseline maps a process name or bundle identifier to an array
// [date, wifi_in, wifi_out, wwan_in, wwan_out]: the date of the baseline (a plist date,
// seconds since 2001-01-01 UTC; a number in that base is accepted too) and the bytes
// received and sent over Wi-Fi and cellular data. Other top-level keys are ignored.
// Amnesty International's Pegasus report (July 2021) lists this file among those where
// Pegasus process names were found.
//
// It corresponds to MVT's OSAnalyticsADDaily module and writes MVT's keys (package, ts,
// wifi_in, wifi_out, wwan_in, wwan_out). Unlike MVT, which stops on the first entry that
// is not a five-element array, a malformed entry gives a record with the values that
// could be read (null for the others) and a problem naming the entry; records are
// sorted by process name; and indicator alerts carry the baseline date.
package osanalyticsaddaily

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "os_analytics_ad_daily"

// Path is the artifact's place in an iOS backup.
const Path = "HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist"

// Module reads com.apple.osanalytics.addaily.plist.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "OSAnalyticsADDaily",
		Version:     1,
		Description: "Network usage baseline per process kept by iOS analytics (com.apple.osanalytics.addaily.plist)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(_ string, data []byte) ([]*Record, []string, error) { return parse(data) })
}

// parse decodes the plist into records, sorted by process name, and describes the
// entries it could only partly read.
func parse(data []byte) ([]*Record, []string, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, nil, err
	}
	top, ok := plistx.AsMap(v)
	if !ok {
		return nil, nil, fmt.Errorf("top level is %s, want a dictionary", kindOf(v))
	}
	raw, present := top["netUsageBaseline"]
	if !present {
		return nil, nil, nil
	}
	base, ok := plistx.AsMap(raw)
	if !ok {
		return nil, nil, fmt.Errorf("netUsageBaseline is %s, want a dictionary", kindOf(raw))
	}
	keys := make([]string, 0, len(base))
	for k := range base {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var recs []*Record
	var problems []string
	for _, k := range keys {
		rec, bad := entry(k, base[k])
		recs = append(recs, rec)
		if bad != "" {
			problems = append(problems, fmt.Sprintf("netUsageBaseline entry %q %s", rec.Package, bad))
		}
	}
	return recs, problems, nil
}

// entry reads one [date, wifi_in, wifi_out, wwan_in, wwan_out] array. bad describes
// what could not be read ("" when all could).
func entry(process string, v any) (rec *Record, bad string) {
	rec = &Record{Package: safetext.EscapeInvalid(process)}
	list, ok := v.([]any)
	if !ok {
		return rec, fmt.Sprintf("is %s, want an array", kindOf(v))
	}
	var faults []string
	if len(list) < 5 {
		faults = append(faults, fmt.Sprintf("has %d values, want 5", len(list)))
	}
	if len(list) > 0 {
		switch d := list[0].(type) {
		case time.Time:
			if timefmt.Valid(d) {
				rec.Date = timefmt.Of(d.UTC())
			} else {
				faults = append(faults, "has an implausible date")
			}
		case float64, int64, uint64:
			f, _ := plistx.Float(map[string]any{"d": d}, "d")
			if t := timefmt.FromMacAbsolute(f); !t.IsZero() {
				rec.Date = timefmt.Of(t)
			} else {
				faults = append(faults, "has an implausible date")
			}
		default:
			faults = append(faults, fmt.Sprintf("has %s where the date should be", kindOf(d)))
		}
	}
	for i, dst := range []**int64{&rec.WifiIn, &rec.WifiOut, &rec.WwanIn, &rec.WwanOut} {
		if i+1 >= len(list) {
			break
		}
		n, ok := plistx.Int(map[string]any{"n": list[i+1]}, "n")
		if !ok {
			faults = append(faults, fmt.Sprintf("has %s as %s", kindOf(list[i+1]), counterNames[i]))
			continue
		}
		*dst = &n
	}
	if len(faults) == 0 {
		return rec, ""
	}
	return rec, joinFaults(faults)
}

var counterNames = [4]string{"wifi_in", "wifi_out", "wwan_in", "wwan_out"}

func joinFaults(faults []string) string {
	s := faults[0]
	for _, f := range faults[1:] {
		s += ", " + f
	}
	return s
}

// kindOf names the plist type of a decoded value, for messages.
func kindOf(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "a dictionary"
	case []any:
		return "an array"
	case string:
		return "a string"
	case int64, uint64:
		return "an integer"
	case float64:
		return fmt.Sprintf("the number %g", x)
	case bool:
		return "a boolean"
	case []byte:
		return "data"
	case time.Time:
		return "a date"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
