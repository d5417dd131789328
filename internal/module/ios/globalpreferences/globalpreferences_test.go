package globalpreferences_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/globalpreferences"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/report/results"
)

func run(t *testing.T, add func(b *fixture.Backup) error) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if add != nil {
		if err := add(b); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), nil, globalpreferences.New())
}

func withPrefs(prefs map[string]any) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error { return fixture.AddGlobalPreferences(b, prefs) }
}

func withRaw(data []byte) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error {
		b.AddFile(fixture.GlobalPreferencesDomain, fixture.GlobalPreferencesPath, data)
		return nil
	}
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.Message))
	}
	return out
}

// prefs has one value of every plist type.
var prefs = map[string]any{
	"AppleLanguages":          []any{"fr-CH", "en-CH"},
	"AppleLocale":             "fr_CH",
	"AppleICUForce24HourTime": true,
	"WebKitShowLinkPreviews":  false,
	"AppleKeyboardsExpanded":  int64(1),
	"ScaleFactor":             1.5,
	"Token":                   []byte{0, 1, 2, 0xfe},
	"LastSeen":                time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
	"Nested":                  map[string]any{"a": []any{int64(1), "b"}},
}

var wantPrefs = []map[string]any{
	{"entry": "AppleICUForce24HourTime", "value": true},
	{"entry": "AppleKeyboardsExpanded", "value": 1.0},
	{"entry": "AppleLanguages", "value": []any{"fr-CH", "en-CH"}},
	{"entry": "AppleLocale", "value": "fr_CH"},
	{"entry": "LastSeen", "value": "2024-05-06 07:08:09.000000"},
	{"entry": "Nested", "value": map[string]any{"a": []any{1.0, "b"}}},
	{"entry": "ScaleFactor", "value": 1.5},
	{"entry": "Token", "value": "AAEC/g=="},
	{"entry": "WebKitShowLinkPreviews", "value": false},
}

func TestRecordsPerFormat(t *testing.T) {
	xml, err := plist.Marshal(prefs, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		add  func(b *fixture.Backup) error
	}{
		{"binary", withPrefs(prefs)},
		{"xml", withRaw(xml)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, tt.add)
			if o.Status.State != module.OK {
				t.Fatalf("status = %+v", o.Status)
			}
			if diff := cmp.Diff(wantPrefs, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(o.Timeline) != 0 || len(o.Alerts) != 0 {
				t.Errorf("timeline = %q, alerts = %q", o.Timeline, summary(o.Alerts))
			}
			moduletest.Reload(t, o, nil, globalpreferences.New())
		})
	}
}

func TestEmptyAndAbsent(t *testing.T) {
	o := run(t, withPrefs(map[string]any{}))
	if o.Status.State != module.OK || o.Status.Records != 0 {
		t.Errorf("empty: status = %+v", o.Status)
	}
	o = run(t, nil)
	if o.Status.State != module.Skipped {
		t.Errorf("absent: status = %+v", o.Status)
	}
}

func TestUnreadable(t *testing.T) {
	good, err := plist.Marshal(prefs, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	list, err := plist.Marshal([]any{"a"}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"truncated", good[:len(good)/2], "HomeDomain/Library/Preferences/.GlobalPreferences.plist"},
		{"not_a_plist", []byte("hello"), "HomeDomain/Library/Preferences/.GlobalPreferences.plist"},
		{"top_level_array", list, "want a dictionary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, withRaw(tt.data))
			if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, tt.reason) {
				t.Errorf("status = %+v, want failed mentioning %q", o.Status, tt.reason)
			}
		})
	}
}

func TestLockdownMode(t *testing.T) {
	tests := []struct {
		name  string
		value any // nil: key absent
		want  []string
	}{
		{"enabled", true, []string{"INFORMATIONAL global_preferences/lockdown-mode Lockdown Mode is enabled (LDMGlobalEnabled is true)"}},
		{"disabled", false, []string{"LOW global_preferences/lockdown-mode Lockdown Mode was enabled before and is now disabled (LDMGlobalEnabled is false)"}},
		{"enabled_as_integer", int64(1), []string{"INFORMATIONAL global_preferences/lockdown-mode Lockdown Mode is enabled (LDMGlobalEnabled is true)"}},
		{"absent", nil, nil},
		{"not_a_boolean", "yes", nil},
		{"other_integer", int64(7), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fixture.SampleGlobalPreferences(fixture.Epoch)
			if tt.value != nil {
				p[fixture.LockdownModeKey] = tt.value
			}
			o := run(t, withPrefs(p))
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, nil, globalpreferences.New())
			for _, a := range o.Alerts {
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %q lacks its explanation", a.Message)
				}
				rec, ok := a.Event.(*globalpreferences.Preference)
				if !ok || rec.Entry != fixture.LockdownModeKey {
					t.Errorf("alert event = %#v", a.Event)
				}
			}
		})
	}
}

func TestPlantLockdownMode(t *testing.T) {
	p := fixture.SampleGlobalPreferences(fixture.Epoch)
	fixture.PlantLockdownMode(p, false)
	o := run(t, withPrefs(p))
	if got := len(o.AlertsOf("global_preferences/lockdown-mode")); got != 1 {
		t.Errorf("alerts = %q", summary(o.Alerts))
	}
}

func TestSampleIsClean(t *testing.T) {
	o := run(t, withPrefs(fixture.SampleGlobalPreferences(fixture.Epoch)))
	if o.Status.State != module.OK || o.Status.Records == 0 || len(o.Alerts) != 0 {
		t.Errorf("status = %+v, alerts = %q", o.Status, summary(o.Alerts))
	}
}

// TestDecodeMVTRecord checks the Lockdown Mode check on preferences as MVT writes them
// (entry, value), and that decoded values are written back unchanged.
func TestDecodeMVTRecord(t *testing.T) {
	tests := []struct {
		name, record string
		want         []string
	}{
		{"enabled", `{"entry": "LDMGlobalEnabled", "value": true}`,
			[]string{"INFORMATIONAL global_preferences/lockdown-mode Lockdown Mode is enabled (LDMGlobalEnabled is true)"}},
		{"disabled", `{"entry": "LDMGlobalEnabled", "value": false}`,
			[]string{"LOW global_preferences/lockdown-mode Lockdown Mode was enabled before and is now disabled (LDMGlobalEnabled is false)"}},
		{"enabled_as_integer", `{"entry": "LDMGlobalEnabled", "value": 1}`,
			[]string{"INFORMATIONAL global_preferences/lockdown-mode Lockdown Mode is enabled (LDMGlobalEnabled is true)"}},
		{"other_number", `{"entry": "LDMGlobalEnabled", "value": 2.5}`, nil},
		{"other_key", `{"entry": "AppleLocale", "value": "fr_CH"}`, nil},
		{"large_number", `{"entry": "Big", "value": 18446744073709551615}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := globalpreferences.New()
			rec, err := m.DecodeRecord([]byte(tt.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(globalpreferences.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(nil))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tt.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			data, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if compact := strings.NewReplacer(" ", "").Replace(tt.record); string(data) != compact {
				t.Errorf("written back as %s, want %s", data, compact)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, format := range []int{plist.BinaryFormat, plist.XMLFormat, plist.OpenStepFormat} {
		data, err := plist.Marshal(map[string]any{"LDMGlobalEnabled": true, "AppleLanguages": []any{"en"}, "n": int64(3)}, format)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := globalpreferences.Parse(data)
		if err != nil {
			return
		}
		for i := 1; i < len(recs); i++ {
			if recs[i-1].Entry > recs[i].Entry {
				t.Fatalf("records not sorted: %q before %q", recs[i-1].Entry, recs[i].Entry)
			}
		}
		if _, err := results.Marshal(recs); err != nil {
			t.Fatalf("records do not encode: %v", err)
		}
	})
}
