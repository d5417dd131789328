package configurationprofiles_test

import (
	"fmt"
	"math"
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
	"github.com/spytrace/spytrace/internal/module/ios/configurationprofiles"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var t0 = time.Date(2025, 11, 2, 16, 40, 5, 0, time.UTC)

func run(t *testing.T, ix *ioc.Index, add func(b *fixture.Backup) error) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if add != nil {
		if err := add(b); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, configurationprofiles.New())
}

func withProfiles(ps ...fixture.ConfigurationProfile) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error { return fixture.AddProfiles(b, fixture.ProfilesSpec{Profiles: ps}) }
}

// withStub lists a stub named name holding v encoded in format.
func withStub(name string, v any, format int) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error {
		data, err := plist.Marshal(v, format)
		if err != nil {
			return err
		}
		b.AddFile(fixture.ProfilesDomain, fixture.ProfilesFolder+"/"+name, data)
		return nil
	}
}

func withRaw(name string, data []byte) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error {
		b.AddFile(fixture.ProfilesDomain, fixture.ProfilesFolder+"/"+name, data)
		return nil
	}
}

func both(adds ...func(b *fixture.Backup) error) func(b *fixture.Backup) error {
	return func(b *fixture.Backup) error {
		for _, add := range adds {
			if err := add(b); err != nil {
				return err
			}
		}
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

// profile returns a signed profile installed at t0 with payloads of the given types.
func profile(id, uuid string, types ...string) fixture.ConfigurationProfile {
	p := fixture.ConfigurationProfile{UUID: uuid, Identifier: id, DisplayName: "Test " + id, InstallDate: t0}
	for i, typ := range types {
		p.Payloads = append(p.Payloads, fixture.ProfilePayload{Type: typ, Identifier: fmt.Sprintf("%s.%d", id, i),
			UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), DisplayName: typ})
	}
	return p
}

func TestRecords(t *testing.T) {
	p := fixture.ConfigurationProfile{
		UUID: "11111111-2222-4333-8444-555555555555", Identifier: "com.example.wifi", DisplayName: "Office Wi-Fi",
		Description: "Wi-Fi & VPN <settings>", Organization: "Example SA", InstallDate: t0,
		SignerCerts: [][]byte{[]byte("cert-1")},
		Payloads: []fixture.ProfilePayload{{Type: "com.apple.wifi.managed", Identifier: "com.example.wifi.1", UUID: "A", DisplayName: "Wi-Fi",
			Extra: map[string]any{"SSID_STR": "Office", "PERSISTENT_REF": []byte{1, 2, 3}}}},
		Extra: map[string]any{
			"LastPushTokenHash": []byte("hash"),
			"OTAProfileStub":    map[string]any{"SignerCerts": []any{[]byte("ota")}, "Date": t0.Add(time.Hour)},
			"RemovalScore":      math.Inf(1),
		},
	}
	name := p.StubName()
	want := []map[string]any{{
		"file_id":       fixture.FileID(fixture.ProfilesDomain, fixture.ProfilesFolder+"/"+name),
		"relative_path": fixture.ProfilesFolder + "/" + name,
		"domain":        fixture.ProfilesDomain,
		"plist": map[string]any{
			"PayloadType": "Configuration", "PayloadVersion": 1.0, "PayloadIdentifier": "com.example.wifi",
			"PayloadUUID": "11111111-2222-4333-8444-555555555555", "PayloadDisplayName": "Office Wi-Fi",
			"PayloadDescription": "Wi-Fi & VPN <settings>", "PayloadOrganization": "Example SA",
			"InstallDate": "2025-11-02 16:40:05.000000", "ProfileWasSigned": true, "ProfileWasEncrypted": false,
			"SignerCerts": []any{"Y2VydC0x"},
			"PayloadContent": []any{map[string]any{
				"PayloadType": "com.apple.wifi.managed", "PayloadVersion": 1.0, "PayloadIdentifier": "com.example.wifi.1",
				"PayloadUUID": "A", "PayloadDisplayName": "Wi-Fi", "SSID_STR": "Office", "PERSISTENT_REF": "AQID",
			}},
			"LastPushTokenHash": "aGFzaA==",
			"OTAProfileStub":    map[string]any{"SignerCerts": []any{"b3Rh"}, "Date": "2025-11-02 17:40:05.000000"},
			"RemovalScore":      "+Inf",
		},
		"install_date":  "2025-11-02 16:40:05.000000",
		"file":          fixture.ProfilesDomain + "/" + fixture.ProfilesFolder + "/" + name,
		"payload_types": []any{"com.apple.wifi.managed"},
	}}
	o := run(t, nil, withProfiles(p))
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2025-11-02 16:40:05.000000","ConfigurationProfiles","configuration_profile_install","""Office Wi-Fi"" (com.example.wifi), UUID 11111111-2222-4333-8444-555555555555, installed: com.apple.wifi.managed"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts = %q", summary(o.Alerts))
	}
	if !strings.Contains(string(o.RecordsJSON), `"Wi-Fi & VPN <settings>"`) {
		t.Errorf("text is escaped for HTML:\n%s", o.RecordsJSON)
	}
	moduletest.Reload(t, o, nil, configurationprofiles.New())
}

func TestFileVariants(t *testing.T) {
	stub := func(extra map[string]any) map[string]any {
		m := map[string]any{"PayloadIdentifier": "com.example.p", "PayloadUUID": "U", "PayloadType": "Configuration"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name     string
		add      func(b *fixture.Backup) error
		date     any // install_date
		types    []any
		timeline int
	}{
		{"binary", withStub("profile-a.stub", stub(map[string]any{"InstallDate": t0, "PayloadContent": []any{map[string]any{"PayloadType": "com.apple.mdm"}}}), plist.BinaryFormat),
			"2025-11-02 16:40:05.000000", []any{"com.apple.mdm"}, 1},
		{"xml", withStub("profile-a.stub", stub(map[string]any{"InstallDate": t0, "PayloadContent": []any{map[string]any{"PayloadType": "com.apple.mdm"}}}), plist.XMLFormat),
			"2025-11-02 16:40:05.000000", []any{"com.apple.mdm"}, 1},
		{"install_date_as_number", withStub("profile-a.stub", stub(map[string]any{"InstallDate": timefmt.ToMacAbsolute(t0)}), plist.BinaryFormat),
			"2025-11-02 16:40:05.000000", []any{}, 1},
		{"no_install_date", withStub("profile-a.stub", stub(nil), plist.BinaryFormat), nil, []any{}, 0},
		{"payloads_not_a_list", withStub("profile-a.stub", stub(map[string]any{"PayloadContent": "x"}), plist.BinaryFormat), nil, []any{}, 0},
		{"payload_not_a_dictionary", withStub("profile-a.stub", stub(map[string]any{"PayloadContent": []any{"x", map[string]any{"PayloadType": int64(3)}}}), plist.BinaryFormat),
			nil, []any{"3"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, tt.add)
			if o.Status.State != module.OK || o.Status.Records != 1 {
				t.Fatalf("status = %+v", o.Status)
			}
			rec := o.List(t)[0]
			if diff := cmp.Diff(tt.date, rec["install_date"]); diff != "" {
				t.Errorf("install_date (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.types, rec["payload_types"]); diff != "" {
				t.Errorf("payload_types (-want +got):\n%s", diff)
			}
			if len(o.Timeline) != tt.timeline {
				t.Errorf("timeline = %q, want %d rows", o.Timeline, tt.timeline)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	good, err := plist.Marshal(profile("com.example.p", "U").Plist(), plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	other := withStub("MCProfileEvents.plist", map[string]any{"ProfileEvents": []any{}}, plist.BinaryFormat)
	tests := []struct {
		name    string
		add     func(b *fixture.Backup) error
		state   module.State
		reason  string
		records int
	}{
		{"truncated", withRaw("profile-a.stub", good[:len(good)/2]), module.Failed, "profile-a.stub", 0},
		{"not_a_plist", withRaw("profile-a.stub", []byte("{{{")), module.Failed, "profile-a.stub", 0},
		{"top_level_array", withStub("profile-a.stub", []any{"x"}, plist.BinaryFormat), module.Failed, "want a dictionary", 0},
		{"one_of_two_corrupt", both(withRaw("profile-a.stub", []byte("junk")), withRaw("profile-b.stub", good)), module.Partial, "1 problem(s)", 1},
		{"absent", other, module.Skipped, "not in this acquisition", 0},
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

func TestIndicators(t *testing.T) {
	const evilUUID = "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0"
	ix := moduletest.Index("ios_profile_ids", evilUUID, "ios_profile_ids", "com.evil.profile", "ios_profile_ids", "prefix-AAAA-suffix")
	const hit = "CRITICAL ioc/profile 2025-11-02T16:40:05Z"
	tests := []struct {
		name string
		p    fixture.ConfigurationProfile
		want []string
	}{
		{"uuid", profile("com.example.p", evilUUID), []string{hit}},
		{"uuid_lower_case", profile("com.example.p", strings.ToLower(evilUUID)), []string{hit}},
		{"identifier", profile("com.evil.profile", "11111111-2222-4333-8444-555555555555"), []string{hit}},
		{"uuid_and_identifier_one_alert", profile("com.evil.profile", evilUUID), []string{hit}},
		{"other_uuid", profile("com.example.p", "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F1"), nil},
		// MVT matched when the observed UUID was part of the indicator.
		{"substring_of_indicator", profile("com.example.p", "AAAA"), nil},
		{"identifier_prefix", profile("com.evil", "U"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, ix, withProfiles(tt.p))
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, ix, withProfiles(profile("com.example.p", evilUUID)))
		where := ` in the profile "Test com.example.p" (com.example.p), installed on 2025-11-02 16:40:05.000000, matching indicator "` + strings.ToLower(evilUUID) + `"`
		if len(o.Alerts) != 1 || !strings.HasPrefix(o.Alerts[0].Message, `Found a known suspicious configuration profile "`+evilUUID+`"`) ||
			!strings.Contains(o.Alerts[0].Message, where) {
			t.Errorf("alerts = %+v\nwant a message naming %q and containing %q", o.Alerts, evilUUID, where)
		}
	})
}

func TestHeuristics(t *testing.T) {
	const when = "2025-11-02T16:40:05Z"
	tests := []struct {
		name  string
		types []string
		want  []string
	}{
		{"notification_settings", []string{"com.apple.notificationsettings"}, []string{"MEDIUM configuration_profiles/notification-settings " + when}},
		{"notification_settings_not_first", []string{"com.apple.wifi.managed", "com.apple.notificationsettings"}, []string{"MEDIUM configuration_profiles/notification-settings " + when}},
		{"root_certificate", []string{"com.apple.security.root"}, []string{"MEDIUM configuration_profiles/root-certificate " + when}},
		{"pkcs1_and_pem_one_alert", []string{"com.apple.security.pkcs1", "com.apple.security.pem"}, []string{"MEDIUM configuration_profiles/root-certificate " + when}},
		{"global_proxy", []string{"com.apple.proxy.http.global"}, []string{"LOW configuration_profiles/network-traffic " + when}},
		{"dns_settings", []string{"com.apple.dnsSettings.managed"}, []string{"LOW configuration_profiles/network-traffic " + when}},
		{"vpn", []string{"com.apple.vpn.managed"}, []string{"LOW configuration_profiles/network-traffic " + when}},
		{"content_filter", []string{"com.apple.webcontent-filter"}, []string{"LOW configuration_profiles/network-traffic " + when}},
		{"mdm", []string{"com.apple.mdm"}, []string{"LOW configuration_profiles/mdm-enrollment " + when}},
		{"certificate_and_proxy", []string{"com.apple.security.root", "com.apple.proxy.http.global"}, []string{
			"MEDIUM configuration_profiles/root-certificate " + when, "LOW configuration_profiles/network-traffic " + when}},
		{"wifi_only", []string{"com.apple.wifi.managed"}, nil},
		{"carrier_settings", []string{"com.apple.apn.managed", "com.apple.cellular"}, nil},
		{"similar_name", []string{"com.apple.notificationsettings.extra", "com.apple.mdm.x", "com.apple.security.scep"}, nil},
		{"no_payload", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := run(t, nil, withProfiles(profile("com.example.p", "U", tt.types...)))
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, nil, configurationprofiles.New())
			for _, a := range o.Alerts {
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %q lacks its explanation", a.Message)
				}
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, nil, withProfiles(profile("com.example.p", "U", "com.apple.security.root", "com.apple.security.pem")))
		want := `Configuration profile "Test com.example.p" (com.example.p), installed on 2025-11-02 16:40:05.000000, carries a certificate payload (com.apple.security.root, com.apple.security.pem)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts = %+v\nwant message %q", o.Alerts, want)
		}
	})
}

func TestPlantedAndSample(t *testing.T) {
	at := time.Date(2026, 3, 1, 22, 5, 0, 0, time.UTC)
	ix := moduletest.Index("ios_profile_ids", fixture.PredatorProfileUUID)
	tests := []struct {
		name  string
		plant func(spec *fixture.ProfilesSpec)
		want  []string
	}{
		{"sample", func(*fixture.ProfilesSpec) {}, nil},
		{"predator_style", func(spec *fixture.ProfilesSpec) { fixture.PlantMaliciousProfile(spec, at) }, []string{
			"CRITICAL ioc/profile 2026-03-01T22:05:00Z", "MEDIUM configuration_profiles/notification-settings 2026-03-01T22:05:00Z"}},
		{"interception", func(spec *fixture.ProfilesSpec) { fixture.PlantInterceptionProfile(spec, at) }, []string{
			"MEDIUM configuration_profiles/root-certificate 2026-03-01T22:05:00Z", "LOW configuration_profiles/network-traffic 2026-03-01T22:05:00Z"}},
		{"mdm", func(spec *fixture.ProfilesSpec) { fixture.PlantMDMEnrollment(spec, at) }, []string{
			"LOW configuration_profiles/mdm-enrollment 2026-03-01T22:05:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := fixture.SampleProfiles(fixture.Epoch, 7)
			tt.plant(&spec)
			o := run(t, ix, func(b *fixture.Backup) error { return fixture.AddProfiles(b, spec) })
			if o.Status.State != module.OK || o.Status.Records != len(spec.Profiles) {
				t.Fatalf("status = %+v", o.Status)
			}
			if diff := cmp.Diff(tt.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, ix, configurationprofiles.New())
		})
	}
}

// TestDecodeMVTRecord checks the checks on profiles as MVT writes them: file_id,
// relative_path, domain, the plist (binary values in base64, dates as text) and
// install_date, without payload_types or file.
func TestDecodeMVTRecord(t *testing.T) {
	const record = `{"file_id": "3c9d0c5f", "relative_path": "Library/ConfigurationProfiles/profile-a.stub",
		"domain": "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles",
		"plist": {"PayloadIdentifier": "com.example.p", "PayloadUUID": %q, "PayloadDisplayName": "Update",
			"PayloadType": "Configuration", "PayloadVersion": 1, "InstallDate": "2025-11-02 16:40:05",
			"SignerCerts": ["Y2VydC0x"], "PayloadContent": [%s]},
		"install_date": "2025-11-02 16:40:05.000000"}`
	const when = "2025-11-02T16:40:05Z"
	tests := []struct {
		name, uuid, payloads string
		want                 []string
	}{
		{"indicator_and_notification_settings", "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0",
			`{"PayloadType": "com.apple.notificationsettings", "NotificationSettings": [{"BundleIdentifier": "com.apple.MobileSMS"}]}`,
			[]string{"CRITICAL ioc/profile " + when, "MEDIUM configuration_profiles/notification-settings " + when}},
		{"certificate_and_mdm", "U", `{"PayloadType": "com.apple.security.root", "PayloadContent": "Y2VydA=="}, {"PayloadType": "com.apple.mdm"}`,
			[]string{"MEDIUM configuration_profiles/root-certificate " + when, "LOW configuration_profiles/mdm-enrollment " + when}},
		{"wifi", "U", `{"PayloadType": "com.apple.wifi.managed"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := configurationprofiles.New()
			rec, err := m.DecodeRecord([]byte(fmt.Sprintf(record, tt.uuid, tt.payloads)))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(configurationprofiles.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(moduletest.Index("ios_profile_ids", "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0")))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tt.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			for _, a := range got {
				if !strings.Contains(a.Message, `"Update" (com.example.p), installed on 2025-11-02 16:40:05.000000`) {
					t.Errorf("message %q does not name the profile", a.Message)
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []fixture.ConfigurationProfile{
		profile("com.example.p", "U", "com.apple.mdm", "com.apple.security.root"),
		{Identifier: "x", SignerCerts: [][]byte{{1, 2}}, Extra: map[string]any{"D": t0, "F": 1.5}},
	} {
		for _, format := range []int{plist.BinaryFormat, plist.XMLFormat} {
			data, err := plist.Marshal(p.Plist(), format)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := configurationprofiles.Parse(data)
		if err != nil {
			return
		}
		if _, err := results.Marshal(p); err != nil {
			t.Fatalf("record does not encode: %v", err)
		}
		p.Timeline()
	})
}
