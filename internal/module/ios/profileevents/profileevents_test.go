package profileevents_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/profileevents"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var (
	t0 = time.Date(2026, 3, 10, 8, 15, 0, 0, time.UTC)
	t1 = t0.Add(26 * time.Hour)
)

const eventsPath = fixture.ProfilesFolder + "/MCProfileEvents.plist"

func run(t *testing.T, ix *ioc.Index, add func(b *fixture.Backup) error) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if add != nil {
		if err := add(b); err != nil {
			t.Fatal(err)
		}
	}
	return reloaded(t, moduletest.Run(t, moduletest.OpenBackup(t, b), ix, profileevents.New()), ix)
}

// reloaded checks that the records of o read back to the same JSON and raise the
// same alerts with the indicators ix, as check-iocs would, and returns o.
func reloaded(t *testing.T, o *moduletest.Outcome, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	moduletest.ReloadExact(t, o, ix, profileevents.New())
	return o
}

func withEvents(events ...fixture.ProfileEvent) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error { return fixture.AddProfileEvents(b, events) }
}

// withPlist lists MCProfileEvents.plist in domain with v encoded in format.
func withPlist(domain string, v any, format int) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error {
		data, err := plist.Marshal(v, format)
		if err != nil {
			return err
		}
		b.AddFile(domain, eventsPath, data)
		return nil
	}
}

func withRaw(data []byte) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error {
		b.AddFile(fixture.ProfilesDomain, eventsPath, data)
		return nil
	}
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

var (
	install = fixture.ProfileEvent{ProfileID: "com.example.vpn.profile", Operation: "install", Process: "Preferences", Time: t1}
	remove  = fixture.ProfileEvent{ProfileID: "com.example.beta", Operation: "remove", Process: "profiled", Time: t0,
		Extra: map[string]any{"Reason": "expired", "Count": int64(2), "Blob": []byte("ab")}}
)

func TestRecords(t *testing.T) {
	o := run(t, nil, withEvents(install, remove))
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{
		{"profile_id": "com.example.vpn.profile", "timestamp": "2026-03-11 10:15:00.000000", "operation": "install", "process": "Preferences"},
		{"profile_id": "com.example.beta", "timestamp": "2026-03-10 08:15:00.000000", "operation": "remove", "process": "profiled",
			"reason": "expired", "count": 2.0, "blob": "YWI="},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2026-03-10 08:15:00.000000","ProfileEvents","profile_operation","Process profiled remove profile com.example.beta"`,
		`"2026-03-11 10:15:00.000000","ProfileEvents","profile_operation","Process Preferences install profile com.example.vpn.profile"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestFileVariants(t *testing.T) {
	event := func(fields map[string]any) map[string]any {
		return map[string]any{"ProfileEvents": []any{map[string]any{"com.example.mdm": fields}}}
	}
	base := map[string]any{"profile_id": "com.example.mdm", "timestamp": "2026-03-10 08:15:00.000000", "operation": "install", "process": "mdmd"}
	tests := []struct {
		name string
		add  func(b *fixture.Backup) error
		want []map[string]any
	}{
		{"binary", withPlist(fixture.ProfilesDomain, event(map[string]any{"Process": "mdmd", "Operation": "install", "Timestamp": t0}), plist.BinaryFormat),
			[]map[string]any{base}},
		{"xml", withPlist(fixture.ProfilesDomain, event(map[string]any{"Process": "mdmd", "Operation": "install", "Timestamp": t0}), plist.XMLFormat),
			[]map[string]any{base}},
		{"other_domain", withPlist("HomeDomain", event(map[string]any{"Process": "mdmd", "Operation": "install", "Timestamp": t0}), plist.BinaryFormat),
			[]map[string]any{base}},
		{"timestamp_as_mac_absolute_seconds", withPlist(fixture.ProfilesDomain, event(map[string]any{"Process": "mdmd", "Operation": "install", "Timestamp": timefmt.ToMacAbsolute(t0)}), plist.BinaryFormat),
			[]map[string]any{base}},
		{"lower_case_keys", withPlist(fixture.ProfilesDomain, event(map[string]any{"process": "mdmd", "operation": "install", "timestamp": t0}), plist.BinaryFormat),
			[]map[string]any{base}},
		{"missing_fields", withPlist(fixture.ProfilesDomain, event(map[string]any{}), plist.BinaryFormat),
			[]map[string]any{{"profile_id": "com.example.mdm", "timestamp": nil, "operation": "", "process": ""}}},
		{"two_profiles_in_one_entry", withPlist(fixture.ProfilesDomain, map[string]any{"ProfileEvents": []any{map[string]any{
			"b.profile": map[string]any{"Process": "mdmd", "Operation": "remove", "Timestamp": t0},
			"a.profile": map[string]any{"Process": "mdmd", "Operation": "install", "Timestamp": t0},
		}}}, plist.BinaryFormat), []map[string]any{
			{"profile_id": "a.profile", "timestamp": "2026-03-10 08:15:00.000000", "operation": "install", "process": "mdmd"},
			{"profile_id": "b.profile", "timestamp": "2026-03-10 08:15:00.000000", "operation": "remove", "process": "mdmd"},
		}},
		{"empty_log", withEvents(), nil},
		{"no_events_key", withPlist(fixture.ProfilesDomain, map[string]any{"Other": int64(1)}, plist.BinaryFormat), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, tt.add)
			if o.Status.State != module.OK {
				t.Fatalf("status = %+v", o.Status)
			}
			if diff := cmp.Diff(tt.want, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	good, err := plist.Marshal(map[string]any{"ProfileEvents": []any{}}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		add     func(b *fixture.Backup) error
		state   module.State
		reason  string
		records int
	}{
		{"truncated", withRaw(good[:len(good)-10]), module.Failed, "MCProfileEvents.plist", 0},
		{"not_a_plist", withRaw([]byte("<html>")), module.Failed, "MCProfileEvents.plist", 0},
		{"top_level_array", withPlist(fixture.ProfilesDomain, []any{"x"}, plist.BinaryFormat), module.Failed, "want a dictionary", 0},
		{"events_not_a_list", withPlist(fixture.ProfilesDomain, map[string]any{"ProfileEvents": "x"}, plist.BinaryFormat), module.Failed, "want an array", 0},
		{"one_bad_entry", withPlist(fixture.ProfilesDomain, map[string]any{"ProfileEvents": []any{
			"junk",
			map[string]any{"a.profile": "junk"},
			map[string]any{"b.profile": map[string]any{"Process": "mdmd", "Operation": "install", "Timestamp": t0}},
		}}, plist.BinaryFormat), module.Partial, "2 problem(s)", 1},
		{"one_of_two_files_corrupt", func(b *fixture.Backup) error {
			b.AddFile("HomeDomain", eventsPath, []byte("junk"))
			return fixture.AddProfileEvents(b, []fixture.ProfileEvent{install})
		}, module.Partial, "1 problem(s)", 1},
		{"absent", nil, module.Skipped, "not in this acquisition", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, tt.add)
			if o.Status.State != tt.state || !strings.Contains(o.Status.Reason, tt.reason) || o.Status.Records != tt.records {
				t.Errorf("status = %+v, want %s with %q and %d records", o.Status, tt.state, tt.reason, tt.records)
			}
		})
	}
}

func TestOperationHeuristic(t *testing.T) {
	tests := []struct {
		name   string
		events []fixture.ProfileEvent
		want   []string
	}{
		{"install_and_remove", []fixture.ProfileEvent{install, remove}, []string{
			"LOW profile_events/operation 2026-03-11T10:15:00Z", "LOW profile_events/operation 2026-03-10T08:15:00Z"}},
		{"empty_log", []fixture.ProfileEvent{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, withEvents(tt.events...))
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, nil, withEvents(install))
		want := `Process "Preferences" performed operation "install" on configuration profile "com.example.vpn.profile"`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want || o.Alerts[0].Advice == "" {
			t.Errorf("alerts = %+v, want one with message %q", o.Alerts, want)
		}
	})
}

func TestIndicators(t *testing.T) {
	ix := moduletest.Index("processes", "stagingd", "ios_profile_ids", fixture.PredatorProfileUUID, "ios_profile_ids", "com.evil.profile")
	ev := func(id, process string) fixture.ProfileEvent {
		return fixture.ProfileEvent{ProfileID: id, Operation: "install", Process: process, Time: t0}
	}
	const heuristic = "LOW profile_events/operation 2026-03-10T08:15:00Z"
	tests := []struct {
		name string
		ev   fixture.ProfileEvent
		want []string
	}{
		{"process", ev("com.example.profile", "stagingd"), []string{heuristic, "CRITICAL ioc/process 2026-03-10T08:15:00Z"}},
		{"process_path", ev("com.example.profile", "/private/var/db/stagingd"), []string{heuristic, "CRITICAL ioc/process 2026-03-10T08:15:00Z"}},
		{"process_other", ev("com.example.profile", "stagingd2"), []string{heuristic}},
		{"profile_identifier", ev("com.evil.profile", "Preferences"), []string{heuristic, "CRITICAL ioc/profile 2026-03-10T08:15:00Z"}},
		{"profile_identifier_case", ev("COM.EVIL.Profile", "Preferences"), []string{heuristic, "CRITICAL ioc/profile 2026-03-10T08:15:00Z"}},
		{"profile_uuid", ev(fixture.PredatorProfileUUID, "Preferences"), []string{heuristic, "CRITICAL ioc/profile 2026-03-10T08:15:00Z"}},
		{"profile_uuid_inside_id", ev("com.apple.settings.update ("+fixture.PredatorProfileUUID+")", "Preferences"), []string{heuristic, "CRITICAL ioc/profile 2026-03-10T08:15:00Z"}},
		{"profile_longer_id", ev("com.evil.profile.extra", "Preferences"), []string{heuristic}},
		{"profile_uuid_prefix_only", ev(fixture.PredatorProfileUUID[:35], "Preferences"), []string{heuristic}},
		{"profile_uuid_longer_hex", ev(fixture.PredatorProfileUUID+"0", "Preferences"), []string{heuristic}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, ix, withEvents(tt.ev))
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, ix, withEvents(ev("com.evil.profile", "Preferences")))
		want := `Found a known suspicious configuration profile "com.evil.profile" in the configuration profile log (operation "install" by "Preferences"), matching indicator "com.evil.profile" from "Test Spyware" (test.stix2)`
		if got := o.AlertsOf("ioc/profile"); len(got) != 1 || got[0].Message != want {
			t.Errorf("alerts = %+v, want one with message %q", got, want)
		}
	})
}

func TestPlantedAndSample(t *testing.T) {
	spec := fixture.SampleProfiles(fixture.Epoch, 1)
	o := run(t, moduletest.Index("ios_profile_ids", fixture.PredatorProfileUUID), func(b *fixture.Backup) error { return fixture.AddProfiles(b, spec) })
	if o.Status.State != module.OK || o.Status.Records != 0 || len(o.Alerts) != 0 {
		t.Errorf("sample: status = %+v, alerts = %q", o.Status, summary(o.Alerts))
	}
	fixture.PlantMaliciousProfile(&spec, t0)
	o = run(t, nil, func(b *fixture.Backup) error { return fixture.AddProfiles(b, spec) })
	if diff := cmp.Diff([]string{"LOW profile_events/operation 2026-03-10T08:15:00Z"}, summary(o.Alerts)); diff != "" {
		t.Errorf("planted: alerts (-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range []any{
		map[string]any{"ProfileEvents": []any{map[string]any{"a": map[string]any{"Process": "p", "Operation": "install", "Timestamp": t0, "X": []byte{1}}}}},
		map[string]any{"ProfileEvents": []any{"x", map[string]any{}}},
		map[string]any{"ProfileEvents": "x"},
	} {
		for _, format := range []int{plist.BinaryFormat, plist.XMLFormat} {
			data, err := plist.Marshal(v, format)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, _, err := profileevents.Parse(data)
		if err != nil {
			return
		}
		if _, err := results.Marshal(events); err != nil {
			t.Fatalf("events do not encode: %v", err)
		}
		for _, ev := range events {
			ev.Timeline()
		}
	})
}

// TestDecodeMVTRecord checks records the way MVT writes them: profile_id, timestamp,
// operation, process and the event's other keys, lower-cased.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("processes", "stagingd", "ios_profile_ids", fixture.PredatorProfileUUID)
	record := func(id, process string) string {
		return `{"profile_id": "` + id + `", "timestamp": "2026-03-10 08:15:00.000000", "operation": "install",
			"process": "` + process + `", "reason": 2}`
	}
	const heuristic = "LOW profile_events/operation 2026-03-10T08:15:00Z"
	tests := []struct {
		name   string
		record string
		want   []string
	}{
		{"operation", record("com.example.vpn.profile", "Preferences"), []string{heuristic}},
		{"process", record("com.example.vpn.profile", "stagingd"), []string{heuristic, "CRITICAL ioc/process 2026-03-10T08:15:00Z"}},
		{"profile_uuid_inside_id", record("com.apple.settings.update ("+fixture.PredatorProfileUUID+")", "Preferences"),
			[]string{heuristic, "CRITICAL ioc/profile 2026-03-10T08:15:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := profileevents.New()
			rec, err := m.DecodeRecord([]byte(tt.record))
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			var got []alert.Alert
			r := check.NewReporter(profileevents.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(ix))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tt.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
