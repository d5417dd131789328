package sysdiagnoseprofiles_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseprofiles"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var (
	t0 = time.Date(2026, 2, 20, 9, 30, 15, 0, time.UTC)
	t1 = t0.Add(50 * time.Hour)
)

const (
	shared   = fixture.SysdiagnoseMCStateShared
	settings = fixture.SysdiagnoseMCSettingsEvents
	events   = fixture.SysdiagnoseMCProfileEvents
)

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return reloaded(t, moduletest.Run(t, memfs.New(acquire.IOSSysdiagnose, files), ix, sysdiagnoseprofiles.New()), ix)
}

// reloaded checks that the records of o read back, each as the type of its
// record_type, to the same JSON and raise the same alerts with the indicators ix, as
// check-iocs would, and returns o.
func reloaded(t *testing.T, o *moduletest.Outcome, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	if o.RecordsJSON == nil {
		return o
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(o.RecordsJSON, &recs); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{sysdiagnoseprofiles.TypeProfile: "*sysdiagnoseprofiles.Profile",
		sysdiagnoseprofiles.TypeProfileEvent: "*sysdiagnoseprofiles.ProfileEvent", sysdiagnoseprofiles.TypeSettingsEvent: "*sysdiagnoseprofiles.SettingsEvent"}
	decoded := moduletest.DecodeExact(t, sysdiagnoseprofiles.New(), recs)
	for i, raw := range recs {
		rec := decoded[i]
		var head struct {
			RecordType string `json:"record_type"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", rec); got != types[head.RecordType] {
			t.Fatalf("record %d (%s) decoded as %s", i, head.RecordType, got)
		}
	}
	moduletest.Reload(t, o, ix, sysdiagnoseprofiles.New())
	return o
}

func runSpec(t *testing.T, ix *ioc.Index, spec fixture.SysdiagnoseProfilesSpec) *moduletest.Outcome {
	t.Helper()
	return run(t, ix, fixture.SysdiagnoseProfilesFiles(spec))
}

// encode returns v as a plist in format.
func encode(t *testing.T, v any, format int) []byte {
	t.Helper()
	data, err := plist.Marshal(v, format)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	slices.Sort(out)
	return out
}

// profile returns a profile installed at t0 with payloads of the given types.
func profile(id, uuid string, types ...string) fixture.ConfigurationProfile {
	p := fixture.ConfigurationProfile{UUID: uuid, Identifier: id, DisplayName: "Test " + id, InstallDate: t0}
	for i, typ := range types {
		p.Payloads = append(p.Payloads, fixture.ProfilePayload{Type: typ, Identifier: fmt.Sprintf("%s.%d", id, i),
			UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), DisplayName: typ})
	}
	return p
}

func TestRecords(t *testing.T) {
	wifi := fixture.ConfigurationProfile{
		UUID: "11111111-2222-4333-8444-555555555555", Identifier: "org.example-school.wifi", DisplayName: "School Wi-Fi",
		Description: "Wi-Fi <students> & staff", Organization: "Example School", InstallDate: t0,
		SignerCerts: [][]byte{[]byte("cert")},
		Payloads: []fixture.ProfilePayload{{Type: "com.apple.wifi.managed", Identifier: "org.example-school.wifi.1", UUID: "A", DisplayName: "Wi-Fi",
			Extra: map[string]any{"SSID_STR": "School"}}},
		FileName: "profile-abc123.stub",
	}
	user := fixture.ConfigurationProfile{UUID: "U2", Identifier: "com.example.user", InstallDate: t1, FileName: "profile-def.stub",
		Extra: map[string]any{"IsEncrypted": true}}
	spec := fixture.SysdiagnoseProfilesSpec{
		Profiles:      []fixture.ConfigurationProfile{wifi},
		UserProfiles:  []fixture.ConfigurationProfile{user},
		ProfileEvents: []fixture.ProfileEvent{{ProfileID: "org.example-school.wifi", Operation: "install", Process: "Preferences", Time: t0, Extra: map[string]any{"Reason": "user"}}},
		SettingsEvents: []fixture.SysdiagnoseSettingsEvent{
			{Path: []string{"Restrictions", "restrictedBool", "allowCamera"}, Event: "set", Process: "MCMigrator", Time: t1},
			{Path: []string{"Restrictions", "intersection", "allowedExternalIntelligenceWorkspaceIDs"}, Event: "remove", Process: wifi.UUID, Time: t0,
				Extra: map[string]any{"count": int64(2)}},
		},
	}
	want := []map[string]any{
		{"record_type": "profile_event", "file": events, "profile_id": "org.example-school.wifi", "timestamp": "2026-02-20 09:30:15.000000",
			"operation": "install", "process": "Preferences", "reason": "user"},
		{"record_type": "settings_event", "file": settings, "setting": "Restrictions.intersection.allowedExternalIntelligenceWorkspaceIDs",
			"event": "remove", "process": wifi.UUID, "timestamp": "2026-02-20 09:30:15.000000", "extra": map[string]any{"count": 2.0}},
		{"record_type": "settings_event", "file": settings, "setting": "Restrictions.restrictedBool.allowCamera",
			"event": "set", "process": "MCMigrator", "timestamp": "2026-02-22 11:30:15.000000"},
		{"record_type": "profile", "file": shared + "/profile-abc123.stub", "scope": "system", "profile_stub_hash": "abc123",
			"payload_identifier": "org.example-school.wifi", "payload_uuid": wifi.UUID, "payload_display_name": "School Wi-Fi",
			"payload_organization": "Example School", "payload_description": "Wi-Fi <students> & staff", "payload_type": "Configuration",
			"install_date": "2026-02-20 09:30:15.000000", "is_encrypted": false, "is_signed": true, "signer_certs": 1.0,
			"payload_content_present": true, "payload_types": []any{"com.apple.wifi.managed"},
			"plist": map[string]any{
				"PayloadType": "Configuration", "PayloadVersion": 1.0, "PayloadIdentifier": "org.example-school.wifi",
				"PayloadUUID": wifi.UUID, "PayloadDisplayName": "School Wi-Fi", "PayloadDescription": "Wi-Fi <students> & staff",
				"PayloadOrganization": "Example School", "InstallDate": "2026-02-20 09:30:15.000000",
				"ProfileWasSigned": true, "ProfileWasEncrypted": false, "SignerCerts": []any{"Y2VydA=="},
				"PayloadContent": []any{map[string]any{"PayloadType": "com.apple.wifi.managed", "PayloadVersion": 1.0,
					"PayloadIdentifier": "org.example-school.wifi.1", "PayloadUUID": "A", "PayloadDisplayName": "Wi-Fi", "SSID_STR": "School"}},
			}},
		{"record_type": "profile", "file": fixture.SysdiagnoseMCStateUser + "/profile-def.stub", "scope": "user", "profile_stub_hash": "def",
			"payload_identifier": "com.example.user", "payload_uuid": "U2", "payload_display_name": "",
			"payload_organization": "", "payload_description": "", "payload_type": "Configuration",
			"install_date": "2026-02-22 11:30:15.000000", "is_encrypted": true, "is_signed": false, "signer_certs": 0.0,
			"payload_content_present": true, "payload_types": []any{},
			"plist": map[string]any{
				"PayloadType": "Configuration", "PayloadVersion": 1.0, "PayloadIdentifier": "com.example.user",
				"PayloadUUID": "U2", "PayloadDisplayName": "", "InstallDate": "2026-02-22 11:30:15.000000",
				"ProfileWasSigned": false, "ProfileWasEncrypted": false, "IsEncrypted": true, "PayloadContent": []any{},
			}},
	}
	o := runSpec(t, nil, spec)
	if o.Status.State != module.OK || o.Status.Records != len(want) {
		t.Fatalf("status = %+v", o.Status)
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(o.RecordsJSON), `"Wi-Fi <students> & staff"`) {
		t.Errorf("text is escaped for HTML:\n%s", o.RecordsJSON)
	}
	wantTimeline := []string{
		`"2026-02-20 09:30:15.000000","SysdiagnoseProfiles","configuration_profile_install","""School Wi-Fi"" (org.example-school.wifi), UUID 11111111-2222-4333-8444-555555555555, installed (system scope): com.apple.wifi.managed"`,
		`"2026-02-20 09:30:15.000000","SysdiagnoseProfiles","profile_operation","Process Preferences install profile org.example-school.wifi"`,
		`"2026-02-20 09:30:15.000000","SysdiagnoseProfiles","settings_event","Setting Restrictions.intersection.allowedExternalIntelligenceWorkspaceIDs: remove by 11111111-2222-4333-8444-555555555555"`,
		`"2026-02-22 11:30:15.000000","SysdiagnoseProfiles","configuration_profile_install","com.example.user, UUID U2, installed (user scope): no payload listed"`,
		`"2026-02-22 11:30:15.000000","SysdiagnoseProfiles","settings_event","Setting Restrictions.restrictedBool.allowCamera: set by MCMigrator"`,
	}
	got := slices.Clone(o.Timeline)
	slices.Sort(got)
	if diff := cmp.Diff(wantTimeline, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	// The profile event's LOW note is the only alert: no indicators, no alerting payload.
	if diff := cmp.Diff([]string{"LOW sysdiagnose_profiles/profile-operation 2026-02-20T09:30:15Z"}, summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}

func TestStubVariants(t *testing.T) {
	stub := func(extra map[string]any) map[string]any {
		m := map[string]any{"PayloadIdentifier": "com.example.p", "PayloadUUID": "U", "PayloadType": "Configuration"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	const name = shared + "/profile-a.stub"
	tests := []struct {
		name     string
		data     []byte
		keys     map[string]any
		timeline int
	}{
		{"binary", encode(t, stub(map[string]any{"InstallDate": t0, "PayloadContent": []any{map[string]any{"PayloadType": "com.apple.mdm"}}}), plist.BinaryFormat),
			map[string]any{"install_date": "2026-02-20 09:30:15.000000", "payload_types": []any{"com.apple.mdm"}, "payload_content_present": true}, 1},
		{"xml", encode(t, stub(map[string]any{"InstallDate": t0, "PayloadContent": []any{map[string]any{"PayloadType": "com.apple.mdm"}}}), plist.XMLFormat),
			map[string]any{"install_date": "2026-02-20 09:30:15.000000", "payload_types": []any{"com.apple.mdm"}, "payload_content_present": true}, 1},
		{"install_date_as_number", encode(t, stub(map[string]any{"InstallDate": timefmt.ToMacAbsolute(t0)}), plist.BinaryFormat),
			map[string]any{"install_date": "2026-02-20 09:30:15.000000", "payload_types": []any{}, "payload_content_present": false}, 1},
		{"install_date_as_text", encode(t, stub(map[string]any{"InstallDate": "yesterday"}), plist.BinaryFormat),
			map[string]any{"install_date": nil}, 0},
		{"payloads_stripped", encode(t, stub(nil), plist.BinaryFormat),
			map[string]any{"install_date": nil, "payload_types": []any{}, "payload_content_present": false}, 0},
		{"payload_not_a_dictionary", encode(t, stub(map[string]any{"PayloadContent": []any{"x", map[string]any{"PayloadType": int64(3)}}}), plist.BinaryFormat),
			map[string]any{"payload_types": []any{"3"}, "payload_content_present": true}, 0},
		{"encrypted_flags", encode(t, stub(map[string]any{"ProfileWasEncrypted": int64(1), "ProfileWasSigned": true}), plist.BinaryFormat),
			map[string]any{"is_encrypted": true, "is_signed": true, "signer_certs": 0.0}, 0},
		{"identifier_not_text", encode(t, stub(map[string]any{"PayloadIdentifier": []byte{0xff}}), plist.BinaryFormat),
			map[string]any{"payload_identifier": "/w=="}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, fstest.MapFS{name: {Data: tt.data}})
			if o.Status.State != module.OK || o.Status.Records != 1 {
				t.Fatalf("status = %+v", o.Status)
			}
			keys := make([]string, 0, len(tt.keys))
			for k := range tt.keys {
				keys = append(keys, k)
			}
			if diff := cmp.Diff([]map[string]any{tt.keys}, moduletest.Project(o.List(t), keys...)); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
			if len(o.Timeline) != tt.timeline {
				t.Errorf("timeline = %q, want %d rows", o.Timeline, tt.timeline)
			}
		})
	}
}

func TestSettingsEventShapes(t *testing.T) {
	top := map[string]any{
		"Version": int64(3), // not a dictionary: ignored
		"A": map[string]any{
			"deep":    map[string]any{"deeper": map[string]any{"leaf": map[string]any{"event": "set", "process": "p1", "timestamp": t0}}},
			"noTime":  map[string]any{"event": "set", "process": "p2"},
			"numTime": map[string]any{"process": "p3", "timestamp": timefmt.ToMacAbsolute(t1)},
			"badTime": map[string]any{"process": "p4", "timestamp": "now"},
			"empty":   map[string]any{},
			// A dictionary under "event" is a level, not a leaf.
			"level": map[string]any{"event": map[string]any{"event": "remove", "process": "p5", "timestamp": t1}},
		},
	}
	o := run(t, nil, fstest.MapFS{settings: {Data: encode(t, top, plist.BinaryFormat)}})
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{
		{"setting": "A.badTime", "event": "", "process": "p4", "timestamp": nil},
		{"setting": "A.deep.deeper.leaf", "event": "set", "process": "p1", "timestamp": "2026-02-20 09:30:15.000000"},
		{"setting": "A.level.event", "event": "remove", "process": "p5", "timestamp": "2026-02-22 11:30:15.000000"},
		{"setting": "A.noTime", "event": "set", "process": "p2", "timestamp": nil},
		{"setting": "A.numTime", "event": "", "process": "p3", "timestamp": "2026-02-22 11:30:15.000000"},
	}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), "setting", "event", "process", "timestamp")); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 3 {
		t.Errorf("timeline = %q, want 3 rows", o.Timeline)
	}
}

func TestUnreadable(t *testing.T) {
	good := encode(t, profile("com.example.p", "U").Plist(), plist.BinaryFormat)
	tests := []struct {
		name    string
		files   fstest.MapFS
		state   module.State
		reason  string
		records int
	}{
		{"stub_truncated", fstest.MapFS{shared + "/profile-a.stub": {Data: good[:len(good)/2]}}, module.Failed, "profile-a.stub", 0},
		{"stub_not_a_plist", fstest.MapFS{shared + "/profile-a.stub": {Data: []byte("{{{")}}, module.Failed, "profile-a.stub", 0},
		{"stub_top_level_array", fstest.MapFS{shared + "/profile-a.stub": {Data: encode(t, []any{"x"}, plist.BinaryFormat)}}, module.Failed, "want a dictionary", 0},
		{"settings_not_a_plist", fstest.MapFS{settings: {Data: []byte("\x00\x01junk")}}, module.Failed, "MCSettingsEvents.plist", 0},
		{"events_not_an_array", fstest.MapFS{events: {Data: encode(t, map[string]any{"ProfileEvents": "x"}, plist.BinaryFormat)}}, module.Failed, "want an array", 0},
		{"events_bad_entry", fstest.MapFS{events: {Data: encode(t, map[string]any{"ProfileEvents": []any{"x",
			map[string]any{"p": "y"}, map[string]any{"q": map[string]any{"Operation": "remove"}}}}, plist.BinaryFormat)}},
			module.Partial, "2 problem(s)", 1},
		{"events_without_key", fstest.MapFS{events: {Data: encode(t, map[string]any{"Other": int64(1)}, plist.BinaryFormat)}}, module.OK, "", 0},
		{"one_of_two_corrupt", fstest.MapFS{shared + "/profile-a.stub": {Data: []byte("junk")}, shared + "/profile-b.stub": {Data: good}},
			module.Partial, "1 problem(s)", 1},
		{"absent", fstest.MapFS{shared + "/UserSettings.plist": {Data: []byte("<plist/>")}, "ps.txt": {Data: []byte("x")}},
			module.Skipped, "not in this acquisition", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, tt.files)
			if o.Status.State != tt.state || !strings.Contains(o.Status.Reason, tt.reason) || o.Status.Records != tt.records {
				t.Errorf("status = %+v, want %s with %q and %d records", o.Status, tt.state, tt.reason, tt.records)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	const evilUUID = "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0"
	ix := moduletest.Index("ios_profile_ids", evilUUID, "ios_profile_ids", "com.evil.profile", "processes", "evild")
	at := "2026-02-20T09:30:15Z"
	tests := []struct {
		name string
		spec fixture.SysdiagnoseProfilesSpec
		want []string
	}{
		{"profile_uuid", fixture.SysdiagnoseProfilesSpec{Profiles: []fixture.ConfigurationProfile{profile("com.example.p", evilUUID)}},
			[]string{"CRITICAL ioc/profile " + at}},
		{"profile_uuid_lower_case", fixture.SysdiagnoseProfilesSpec{Profiles: []fixture.ConfigurationProfile{profile("com.example.p", strings.ToLower(evilUUID))}},
			[]string{"CRITICAL ioc/profile " + at}},
		{"profile_identifier", fixture.SysdiagnoseProfilesSpec{UserProfiles: []fixture.ConfigurationProfile{profile("com.evil.profile", "U")}},
			[]string{"CRITICAL ioc/profile " + at}},
		{"profile_uuid_and_identifier_one_alert", fixture.SysdiagnoseProfilesSpec{Profiles: []fixture.ConfigurationProfile{profile("com.evil.profile", evilUUID)}},
			[]string{"CRITICAL ioc/profile " + at}},
		{"profile_fp_other_uuid", fixture.SysdiagnoseProfilesSpec{Profiles: []fixture.ConfigurationProfile{profile("com.evil", evilUUID[:35]+"1")}}, nil},
		{"event_profile_id", fixture.SysdiagnoseProfilesSpec{ProfileEvents: []fixture.ProfileEvent{{ProfileID: "com.evil.profile", Operation: "install", Process: "Preferences", Time: t0}}},
			[]string{"CRITICAL ioc/profile " + at, "LOW sysdiagnose_profiles/profile-operation " + at}},
		{"event_uuid_inside_id", fixture.SysdiagnoseProfilesSpec{ProfileEvents: []fixture.ProfileEvent{{ProfileID: "profile-" + evilUUID + ".stub", Operation: "install", Time: t0}}},
			[]string{"CRITICAL ioc/profile " + at, "LOW sysdiagnose_profiles/profile-operation " + at}},
		{"event_process", fixture.SysdiagnoseProfilesSpec{ProfileEvents: []fixture.ProfileEvent{{ProfileID: "com.example.p", Operation: "remove", Process: "evild", Time: t0}}},
			[]string{"CRITICAL ioc/process " + at, "LOW sysdiagnose_profiles/profile-operation " + at}},
		{"event_fp", fixture.SysdiagnoseProfilesSpec{ProfileEvents: []fixture.ProfileEvent{{ProfileID: "com.evil", Operation: "remove", Process: "evild2", Time: t0}}},
			[]string{"LOW sysdiagnose_profiles/profile-operation " + at}},
		{"settings_process", fixture.SysdiagnoseProfilesSpec{SettingsEvents: []fixture.SysdiagnoseSettingsEvent{{Path: []string{"R", "k"}, Event: "set", Process: "evild", Time: t0}}},
			[]string{"CRITICAL ioc/process " + at}},
		{"settings_profile_uuid", fixture.SysdiagnoseProfilesSpec{SettingsEvents: []fixture.SysdiagnoseSettingsEvent{{Path: []string{"R", "k"}, Event: "set", Process: evilUUID, Time: t0}}},
			[]string{"CRITICAL ioc/profile " + at}},
		{"settings_fp", fixture.SysdiagnoseProfilesSpec{SettingsEvents: []fixture.SysdiagnoseSettingsEvent{
			{Path: []string{"R", "evild"}, Event: "set", Process: "MCMigrator", Time: t0},
			{Path: []string{"R", "k"}, Event: "set", Process: "", Time: t0}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runSpec(t, ix, tt.spec)
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := runSpec(t, ix, fixture.SysdiagnoseProfilesSpec{Profiles: []fixture.ConfigurationProfile{profile("com.example.p", evilUUID)}})
		where := ` in the profile "Test com.example.p" (com.example.p) of the sysdiagnose (logs/MCState/Shared/`
		if len(o.Alerts) != 1 || !strings.HasPrefix(o.Alerts[0].Message, `Found a known suspicious configuration profile "`+evilUUID+`"`) ||
			!strings.Contains(o.Alerts[0].Message, where) {
			t.Errorf("alerts = %+v\nwant a message naming %q and containing %q", o.Alerts, evilUUID, where)
		}
	})
}

func TestHeuristics(t *testing.T) {
	const when = "2026-02-20T09:30:15Z"
	tests := []struct {
		name  string
		types []string
		want  []string
	}{
		{"notification_settings", []string{"com.apple.wifi.managed", "com.apple.notificationsettings"}, []string{"MEDIUM sysdiagnose_profiles/notification-settings " + when}},
		{"root_certificate", []string{"com.apple.security.root"}, []string{"MEDIUM sysdiagnose_profiles/root-certificate " + when}},
		{"pkcs1_and_pem_one_alert", []string{"com.apple.security.pkcs1", "com.apple.security.pem"}, []string{"MEDIUM sysdiagnose_profiles/root-certificate " + when}},
		{"global_proxy", []string{"com.apple.proxy.http.global"}, []string{"LOW sysdiagnose_profiles/network-traffic " + when}},
		{"vpn", []string{"com.apple.vpn.managed"}, []string{"LOW sysdiagnose_profiles/network-traffic " + when}},
		{"dns", []string{"com.apple.dnsSettings.managed"}, []string{"LOW sysdiagnose_profiles/network-traffic " + when}},
		{"mdm", []string{"com.apple.mdm"}, []string{"LOW sysdiagnose_profiles/mdm-enrollment " + when}},
		{"fp_wifi_and_carrier", []string{"com.apple.wifi.managed", "com.apple.apn.managed", "com.apple.webClip.managed"}, nil},
		{"fp_similar_names", []string{"com.apple.notificationsettings.extra", "com.apple.mdm.x", "com.apple.security.scep"}, nil},
		{"fp_no_payload", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runSpec(t, nil, fixture.SysdiagnoseProfilesSpec{Profiles: []fixture.ConfigurationProfile{profile("com.example.p", "U", tt.types...)}})
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			for _, a := range o.Alerts {
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %q lacks its explanation", a.Message)
				}
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := runSpec(t, nil, fixture.SysdiagnoseProfilesSpec{Profiles: []fixture.ConfigurationProfile{profile("com.example.p", "U", "com.apple.mdm")}})
		want := `Configuration profile "Test com.example.p" (com.example.p), installed on 2026-02-20 09:30:15.000000, carries a device-management enrollment payload (com.apple.mdm)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts = %+v\nwant message %q", o.Alerts, want)
		}
	})
	t.Run("profile_operation", func(t *testing.T) {
		o := runSpec(t, nil, fixture.SysdiagnoseProfilesSpec{ProfileEvents: []fixture.ProfileEvent{{ProfileID: "com.example.p", Operation: "remove", Process: "profiled", Time: t1}}})
		want := []string{"LOW sysdiagnose_profiles/profile-operation 2026-02-22T11:30:15Z"}
		if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
			t.Errorf("alerts (-want +got):\n%s", diff)
		}
		if len(o.Alerts) == 1 && (o.Alerts[0].Meaning == "" || !strings.Contains(o.Alerts[0].Message, `"remove"`)) {
			t.Errorf("alert = %+v", o.Alerts[0])
		}
	})
	t.Run("profile_operation_fp_empty_log", func(t *testing.T) {
		o := runSpec(t, nil, fixture.SysdiagnoseProfilesSpec{ProfileEvents: []fixture.ProfileEvent{}})
		if o.Status.State != module.OK || len(o.Alerts) != 0 {
			t.Errorf("status = %+v, alerts = %q", o.Status, summary(o.Alerts))
		}
	})
}

func TestPlantedAndSample(t *testing.T) {
	at := time.Date(2026, 3, 1, 22, 5, 0, 0, time.UTC)
	const when = "2026-03-01T22:05:00Z"
	ix := moduletest.Index("ios_profile_ids", fixture.PredatorProfileUUID, "processes", "bh")
	tests := []struct {
		name  string
		plant func(spec *fixture.SysdiagnoseProfilesSpec)
		want  []string
	}{
		{"sample", func(*fixture.SysdiagnoseProfilesSpec) {}, nil},
		{"predator", func(spec *fixture.SysdiagnoseProfilesSpec) { fixture.PlantSysdiagnoseProfilePredator(spec, at) }, []string{
			"CRITICAL ioc/profile " + when, "CRITICAL ioc/profile " + when,
			"LOW sysdiagnose_profiles/profile-operation " + when, "MEDIUM sysdiagnose_profiles/notification-settings " + when}},
		{"interception", func(spec *fixture.SysdiagnoseProfilesSpec) { fixture.PlantSysdiagnoseProfileInterception(spec, at) }, []string{
			"LOW sysdiagnose_profiles/network-traffic " + when, "MEDIUM sysdiagnose_profiles/root-certificate " + when}},
		{"mdm", func(spec *fixture.SysdiagnoseProfilesSpec) { fixture.PlantSysdiagnoseProfileMDM(spec, at) }, []string{
			"LOW sysdiagnose_profiles/mdm-enrollment " + when}},
		{"settings_process", func(spec *fixture.SysdiagnoseProfilesSpec) { fixture.PlantSysdiagnoseSettingsProcess(spec, "bh", at) }, []string{
			"CRITICAL ioc/process " + when}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(4) {
				spec := fixture.SampleSysdiagnoseProfiles(fixture.Epoch, 3, seed)
				tt.plant(&spec)
				o := runSpec(t, ix, spec)
				if o.Status.State != module.OK || o.Status.Records == 0 {
					t.Fatalf("seed %d: status = %+v", seed, o.Status)
				}
				if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
					t.Errorf("seed %d: alerts (-want +got):\n%s", seed, diff)
				}
			}
		})
	}
	t.Run("sample_deterministic", func(t *testing.T) {
		a := fixture.SysdiagnoseProfilesFiles(fixture.SampleSysdiagnoseProfiles(fixture.Epoch, 5, 9))
		b := fixture.SysdiagnoseProfilesFiles(fixture.SampleSysdiagnoseProfiles(fixture.Epoch, 5, 9))
		if len(a) != 7 || !cmp.Equal(a, b) {
			t.Errorf("sample files differ or are not 5 stubs and 2 logs: %d files", len(a))
		}
	})
}

func FuzzParse(f *testing.F) {
	stub := profile("com.example.p", "U", "com.apple.mdm", "com.apple.security.root").Plist()
	settingsTop := map[string]any{"R": map[string]any{"b": map[string]any{"k": map[string]any{"event": "set", "process": "p", "timestamp": t0}}}}
	eventsTop := map[string]any{"ProfileEvents": []any{map[string]any{"id": map[string]any{"Operation": "install", "Timestamp": t0, "X": []byte{1}}}}}
	for _, v := range []any{stub, settingsTop, eventsTop} {
		for _, format := range []int{plist.BinaryFormat, plist.XMLFormat} {
			data, err := plist.Marshal(v, format)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := sysdiagnoseprofiles.ParseStub(data, shared+"/profile-x.stub", "system"); err == nil {
			if _, err := results.Marshal(p); err != nil {
				t.Fatalf("profile does not encode: %v", err)
			}
			p.Timeline()
		}
		if evs, _, err := sysdiagnoseprofiles.ParseSettingsEvents(data, settings); err == nil {
			for _, ev := range evs {
				if _, err := results.Marshal(ev); err != nil {
					t.Fatalf("settings event does not encode: %v", err)
				}
				ev.Timeline()
			}
		}
		if evs, _, err := sysdiagnoseprofiles.ParseProfileEvents(data, events); err == nil {
			for _, ev := range evs {
				if _, err := results.Marshal(ev); err != nil {
					t.Fatalf("profile event does not encode: %v", err)
				}
				ev.Timeline()
			}
		}
	})
}
