package securityevent_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/securityevent"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2025, 6, 1, 8, 30, 0, 123_456_789, time.UTC)

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidIntrusionLogs, files), ix, securityevent.New())
}

func one(tag string, payload map[string]any) fstest.MapFS {
	s := fixture.IntrusionLogSpec{}
	fixture.PlantIntrusionSecurityEvent(&s, t0, tag, payload)
	return fixture.IntrusionLogFiles(s)
}

func summary(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		s := a.Level.String() + " " + a.Check
		if a.Indicator != nil {
			s += " " + a.Indicator.Value
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestRecords(t *testing.T) {
	files := fstest.MapFS{"a.txt": {Data: []byte(
		`{"security_event":{"event_id":2,"event_time":1748766600123456789,"adb_shell_cmd":{"command":"pm list packages"}}}` + "\n" +
			`{"security_event":{"event_id":3,"event_time":1748766601000000000,"media_mount":{"mount_point":"/mnt/media_rw/1234","volume_label":"USB"}}}` + "\n" +
			`{"security_event":{"event_id":4,"event_time":1748766602000000000,"usb_data_transfer":{"device":"x","bytes":5}}}` + "\n" +
			`{"security_event":{"event_id":5,"event_time":1748766603000000000}}` + "\n" +
			`{"security_event":{"event_id":6,"event_time":1748766604000000000,"file":{"x":1}}}` + "\n" +
			`{"security_event":{"event_id":7,"event_time":1748766605000000000,"crypto_self_test_completed":1}}` + "\n" +
			`{"dns_event":{"event_id":8,"event_time":1748766605000,"hostname":"x.example"}}` + "\n")}}
	o := run(t, nil, files)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	var got []string
	for _, r := range o.ExactList(t) {
		b, _ := json.Marshal(r)
		got = append(got, string(b))
	}
	// Keys sorted by the round trip through a map; the file keeps MVT's order.
	want := []string{
		`{"adb_shell_cmd":{"command":"pm list packages"},"description":"ADB shell command: pm list packages","device_timezone":"unknown","event":"adb_shell_cmd","event_id":2,"event_time":1748766600123456789,"file":"a.txt","line":1,"tag_id":210002,"timestamp":"2025-06-01 08:30:00.123456"}`,
		`{"description":"Removable media mounted at /mnt/media_rw/1234 (label USB)","device_timezone":"unknown","event":"media_mounted","event_id":3,"event_time":1748766601000000000,"file":"a.txt","line":2,"media_mount":{"mount_point":"/mnt/media_rw/1234","volume_label":"USB"},"tag_id":210013,"timestamp":"2025-06-01 08:30:01.000000"}`,
		`{"description":"usb_data_transfer: bytes=5, device=\"x\"","device_timezone":"unknown","event":"usb_data_transfer","event_id":4,"event_time":1748766602000000000,"file":"a.txt","line":3,"timestamp":"2025-06-01 08:30:02.000000","usb_data_transfer":{"bytes":5,"device":"x"}}`,
		`{"description":"Security event without a subevent","device_timezone":"unknown","event":"unknown","event_id":5,"event_time":1748766603000000000,"file":"a.txt","line":4,"timestamp":"2025-06-01 08:30:03.000000"}`,
		`{"description":"file: x=1","device_timezone":"unknown","event":"file","event_id":6,"event_time":1748766604000000000,"file":"a.txt","line":5,"payload":{"x":1},"timestamp":"2025-06-01 08:30:04.000000"}`,
		`{"crypto_self_test_completed":1,"description":"Cryptographic self-test passed","device_timezone":"unknown","event":"crypto_self_test_completed","event_id":7,"event_time":1748766605000000000,"file":"a.txt","line":6,"tag_id":210031,"timestamp":"2025-06-01 08:30:05.000000"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// The file keeps MVT's order: event_id, event_time, the subevent, timestamp.
	first := string(o.RecordsJSON)
	first = first[:strings.Index(first, `"timestamp"`)+len(`"timestamp"`)]
	if i, j, k := strings.Index(first, `"event_id"`), strings.Index(first, `"adb_shell_cmd"`), strings.Index(first, `"timestamp"`); !(0 <= i && i < j && j < k) {
		t.Errorf("MVT key order lost: %s", first)
	}
	wantTL := []string{
		`"2025-06-01 08:30:00.123456","SecurityEvent","adb_shell_cmd","ADB shell command: pm list packages"`,
		`"2025-06-01 08:30:01.000000","SecurityEvent","media_mounted","Removable media mounted at /mnt/media_rw/1234 (label USB)"`,
		`"2025-06-01 08:30:02.000000","SecurityEvent","usb_data_transfer","usb_data_transfer: bytes=5, device=""x"""`,
		`"2025-06-01 08:30:03.000000","SecurityEvent","unknown","Security event without a subevent"`,
		`"2025-06-01 08:30:04.000000","SecurityEvent","file","file: x=1"`,
		`"2025-06-01 08:30:05.000000","SecurityEvent","crypto_self_test_completed","Cryptographic self-test passed"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, securityevent.New())
}

// Every tag of Android 16 gets its own summary, from the exporter's fields.
func TestDescriptions(t *testing.T) {
	payloads := map[string]map[string]any{
		"adb_shell_cmd":                  {"command": "id"},
		"adb_sync_recv_file":             {"path": "/sdcard/DCIM/a.jpg"},
		"adb_sync_send_file":             {"path": "/data/local/tmp/x"},
		"app_process_start":              {"process": "com.app", "start_time": 1, "uid": 10123, "pid": 77, "seinfo": "default", "sha256": "ab"},
		"keyguard_dismiss_auth_attempt":  {"success": false, "method_strength": 1},
		"os_startup":                     {"boot_state": "orange", "verity_mode": "eio"},
		"media_mounted":                  {"path": "/mnt/media_rw/A", "label": "KEY"},
		"media_unmounted":                {"path": "/mnt/media_rw/A", "label": "KEY"},
		"password_expiration_set":        {"package": "com.mdm", "admin_user": 0, "target_user": 0, "timeout": 1000},
		"password_complexity_set":        {"package": "com.mdm", "admin_user": 0, "target_user": 0, "length": 6, "quality": 131072},
		"password_history_length_set":    {"package": "com.mdm", "admin_user": 0, "target_user": 0, "length": 3},
		"max_screen_lock_timeout_set":    {"package": "com.mdm", "admin_user": 0, "target_user": 0, "timeout": 60000},
		"max_password_attempts_set":      {"package": "com.mdm", "admin_user": 0, "target_user": 0, "num_failures": 10},
		"keyguard_disabled_features_set": {"package": "com.mdm", "admin_user": 0, "target_user": 0, "features": 16},
		"remote_lock":                    {"package": "com.mdm", "admin_user": 0, "target_user": 0},
		"key_generated":                  {"success": true, "key_id": "k1", "uid": 10123},
		"key_imported":                   {"success": false, "key_id": "k2", "uid": 10123},
		"key_destruction":                {"success": true, "key_id": "k3", "uid": 10123},
		"user_restriction_added":         {"package": "com.mdm", "admin_user": 0, "restriction": "no_install_apps"},
		"user_restriction_removed":       {"package": "com.mdm", "admin_user": 0, "restriction": "no_install_apps"},
		"cert_authority_installed":       {"success": true, "subject": "CN=Corp CA", "target_user": 0},
		"cert_authority_removed":         {"success": true, "subject": "CN=Corp CA", "target_user": 0},
		"crypto_self_test_completed":     {"success": true},
		"key_integrity_violation":        {"key_id": "k4", "uid": 1000},
		"cert_validation_failure":        {"reason": "Trust anchor for certification path not found."},
		"camera_policy_set":              {"package": "com.mdm", "admin_user": 0, "target_user": 0, "disabled": true},
		"password_complexity_required":   {"package": "com.mdm", "admin_user": 0, "target_user": 0, "complexity": 196608},
		"password_changed":               {"password_complexity": 196608, "target_user": 0},
		"wifi_connection":                {"bssid": "aa:bb", "event_type": "CONNECT", "reason": ""},
		"wifi_disconnection":             {"bssid": "aa:bb", "reason": "LOST"},
		"bluetooth_connection":           {"addr": "00:11:22:33:44:55", "success": true, "reason": ""},
		"bluetooth_disconnection":        {"addr": "00:11:22:33:44:55", "reason": "remote"},
		"package_installed":              {"package_name": "com.app", "version_code": 5, "user_id": 0},
		"package_updated":                {"package_name": "com.app", "version_code": 6, "user_id": 0},
		"package_uninstalled":            {"package_name": "com.app", "version_code": 6, "user_id": 0},
		"backup_service_toggled":         {"package": "com.mdm", "admin_user": 0, "enabled": false},
	}
	s := fixture.IntrusionLogSpec{}
	for i, tag := range intrusionlog.SecurityTags {
		fixture.PlantIntrusionSecurityEvent(&s, t0.Add(time.Duration(i)*time.Second), tag.Name, payloads[tag.Name])
	}
	o := run(t, nil, fixture.IntrusionLogFiles(s))
	recs := o.List(t)
	if len(recs) != 46 {
		t.Fatalf("%d records", len(recs))
	}
	var got []string
	for i, r := range recs {
		tag := intrusionlog.SecurityTags[i]
		if r["event"] != tag.Name || r["tag_id"] != float64(tag.ID) {
			t.Errorf("record %d: event %v tag %v, want %s %d", i, r["event"], r["tag_id"], tag.Name, tag.ID)
		}
		d, _ := r["description"].(string)
		if d == "" || strings.HasPrefix(d, tag.Name+":") || strings.Contains(d, "%!") || strings.Contains(d, "?") {
			t.Errorf("%s: description %q", tag.Name, d)
		}
		got = append(got, d)
	}
	wantSome := []string{
		"Process started: com.app (UID 10123, PID 77, seinfo default, APK SHA-256 ab)",
		"Lock-screen authentication failed (method strength 1)",
		"OS started (verified boot state: orange, dm-verity: eio)",
		"Key import failed: k2 (UID 10123)",
		"CA certificate installed: CN=Corp CA, user 0",
		"Camera disabled by com.mdm, user 0",
		"Backup service disabled by com.mdm",
		"Package installed: com.app (version 5, user 0)",
		"Device or user data wipe failed",
	}
	for _, w := range wantSome {
		if !slices.Contains(got, w) {
			t.Errorf("no description %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func TestHeuristics(t *testing.T) {
	cases := []struct {
		name    string
		tag     string
		payload map[string]any
		want    []string
	}{
		{"cert validation failure", "cert_validation_failure", map[string]any{"reason": "expired"}, []string{"MEDIUM security_event/cert-validation-failure"}},
		{"key integrity violation", "key_integrity_violation", map[string]any{"key_id": "k", "uid": 10001}, []string{"MEDIUM security_event/key-integrity-violation"}},
		{"CA installed", "cert_authority_installed", map[string]any{"success": true, "subject": "CN=x"}, []string{"MEDIUM security_event/cert-authority-installed"}},
		{"CA installed, raw 1", "cert_authority_installed", map[string]any{"success": 1, "subject": "CN=x"}, []string{"MEDIUM security_event/cert-authority-installed"}},
		{"CA install failed (FP)", "cert_authority_installed", map[string]any{"success": false, "subject": "CN=x"}, nil},
		{"CA removed (FP)", "cert_authority_removed", map[string]any{"success": true, "subject": "CN=x"}, nil},
		{"wipe failure", "wipe_failure", map[string]any{}, []string{"MEDIUM security_event/wipe-failure"}},
		{"wipe failure, logtag name", "wipe_failed", map[string]any{"package": "com.mdm"}, []string{"MEDIUM security_event/wipe-failure"}},
		{"self-test failed", "crypto_self_test_completed", map[string]any{"success": false}, []string{"MEDIUM security_event/crypto-self-test-failed"}},
		{"self-test passed (FP)", "crypto_self_test_completed", map[string]any{"success": true}, nil},
		{"self-test unreadable (FP)", "crypto_self_test_completed", map[string]any{}, nil},
		{"key generation failed (FP)", "key_generated", map[string]any{"success": false, "key_id": "PinStorage_crossReboot_key", "uid": 1001}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := run(t, nil, one(c.tag, c.payload))
			if diff := cmp.Diff(c.want, summary(o)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			for _, a := range o.Alerts {
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" || a.EventTime.Time.IsZero() {
					t.Errorf("alert %+v", a)
				}
			}
			moduletest.Reload(t, o, nil, securityevent.New())
		})
	}
	// The planting helpers produce exactly their trace.
	s := fixture.IntrusionLogSpec{}
	fixture.PlantIntrusionCAInstalled(&s, t0, "CN=Totally Legit CA")
	fixture.PlantIntrusionCertValidationFailure(&s, t0.Add(time.Minute), "bad chain")
	fixture.PlantIntrusionKeyIntegrityViolation(&s, t0.Add(2*time.Minute), "USRPKEY_x", 10200)
	fixture.PlantIntrusionWipeFailure(&s, t0.Add(3*time.Minute))
	fixture.PlantIntrusionCryptoSelfTestFailure(&s, t0.Add(4*time.Minute))
	o := run(t, nil, fixture.IntrusionLogFiles(s))
	want := []string{"MEDIUM security_event/cert-authority-installed", "MEDIUM security_event/cert-validation-failure",
		"MEDIUM security_event/crypto-self-test-failed", "MEDIUM security_event/key-integrity-violation", "MEDIUM security_event/wipe-failure"}
	if diff := cmp.Diff(want, summary(o)); diff != "" {
		t.Errorf("planted (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, securityevent.New())
}

func TestIndicators(t *testing.T) {
	ix := moduletest.Index("app_ids", "com.evil.spy", "app_ids", "sandboxed_evil", "file_paths", "/data/local/tmp/implant",
		// Near misses: a shorter prefix of an app id, a sibling path.
		"app_ids", "com.evil", "file_paths", "/data/local/tmp/impl")
	cases := []struct {
		name  string
		plant func(s *fixture.IntrusionLogSpec)
		want  []string
	}{
		{"process", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionProcessStart(s, t0, "com.evil.spy", 10200, 4242)
		},
			[]string{"CRITICAL ioc/app_id com.evil.spy"}},
		{"process part", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionProcessStart(s, t0, "com.evil.spy:remote", 10200, 4242)
		},
			[]string{"CRITICAL ioc/app_id com.evil.spy"}},
		{"process component", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionProcessStart(s, t0, "com.google.android.webview:sandboxed_evil:org.chromium.Svc0:0", 90000, 4242)
		}, []string{"CRITICAL ioc/app_id sandboxed_evil"}},
		{"process FP", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionProcessStart(s, t0, "com.evil.spyware", 10200, 4242)
		}, nil},
		{"install", func(s *fixture.IntrusionLogSpec) { fixture.PlantIntrusionPackageInstalled(s, t0, "com.evil.spy") },
			[]string{"CRITICAL ioc/app_id com.evil.spy"}},
		{"adb command word", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionADBCommand(s, t0, "pm grant com.evil.spy android.permission.READ_SMS")
		}, []string{"CRITICAL ioc/app_id com.evil.spy"}},
		{"adb command component and path", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionADBCommand(s, t0, "am start -n com.evil.spy/.Main; chmod 755 /data/local/tmp/implant/run")
		}, []string{"CRITICAL ioc/app_id com.evil.spy", "CRITICAL ioc/file_path /data/local/tmp/implant"}},
		{"adb command FP", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionADBCommand(s, t0, "ls /data/local/tmp/implants com.evil.spyware")
		}, nil},
		{"adb push", func(s *fixture.IntrusionLogSpec) { fixture.PlantIntrusionADBPush(s, t0, "/data/local/tmp/implant") },
			[]string{"CRITICAL ioc/file_path /data/local/tmp/implant"}},
		{"adb pull FP", func(s *fixture.IntrusionLogSpec) {
			fixture.PlantIntrusionSecurityEvent(s, t0, "adb_sync_recv_file", map[string]any{"path": "/sdcard/implant"})
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := fixture.IntrusionLogSpec{}
			c.plant(&s)
			o := run(t, ix, fixture.IntrusionLogFiles(s))
			if diff := cmp.Diff(c.want, summary(o)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, ix, securityevent.New())
		})
	}
}

func TestSampleIsClean(t *testing.T) {
	s := fixture.SampleIntrusionLog(t0, 300, 11)
	s.Timezone = "Europe/Berlin"
	ix := moduletest.Index("app_ids", "com.evil.spy", "file_paths", "/data/local/tmp/implant")
	o := run(t, ix, fixture.IntrusionLogFiles(s))
	if o.Status.State != module.OK || len(o.List(t)) == 0 {
		t.Fatalf("status %+v, %d records", o.Status, len(o.List(t)))
	}
	moduletest.Reload(t, o, ix, securityevent.New())
	for _, a := range o.Alerts {
		t.Errorf("sample raised %s %s: %s", a.Level, a.Check, a.Message)
	}
	seen := map[any]bool{}
	for _, r := range o.List(t) {
		if r["device_timezone"] != "Europe/Berlin" || r["timestamp_local"] == nil {
			t.Fatalf("record %v", r)
		}
		seen[r["event"]] = true
	}
	for _, tag := range []string{"app_process_start", "keyguard_secured", "os_startup"} {
		if !seen[tag] {
			t.Errorf("sample has no %s", tag)
		}
	}
	// Same seed, same files.
	a, b := fixture.IntrusionLogFiles(fixture.SampleIntrusionLog(t0, 50, 5)), fixture.IntrusionLogFiles(fixture.SampleIntrusionLog(t0, 50, 5))
	for name, f := range a {
		if string(b[name].Data) != string(f.Data) {
			t.Errorf("%s differs between runs", name)
		}
	}
}

// TestDecodeMVTRecord reads events the way MVT writes them into
// security_event.json (the exporter's event as read, event_type, timestamp on the
// device's clock; subevents under the exporter's names or MVT's older spellings) and
// checks them again: indicators and heuristics, at the UTC time of event_time.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("app_ids", "com.evil.spy", "file_paths", "/data/local/tmp/implant")
	ev := func(sub string) string {
		return `{"event_id": 2, "event_time": 1748766600123456789, ` + sub + `, "event_type": "security_event", "timestamp": "2025-06-01 10:30:00.123457"}`
	}
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"process", ev(`"app_process_start": {"process": "com.evil.spy:remote", "uid": 10200, "pid": 4242, "start_time": 1748766600000}`),
			[]string{`ioc/app_id Found a known suspicious app identifier "com.evil.spy" in the start of an app process (UID 10200, intrusion log)`}},
		{"install", ev(`"package_installed": {"package_name": "com.evil.spy", "version_code": 3, "user_id": 0}`),
			[]string{`ioc/app_id Found a known suspicious app identifier "com.evil.spy" in a package event (installed, intrusion log)`}},
		{"adb command", ev(`"adb_shell_cmd": {"command": "pm grant com.evil.spy android.permission.READ_SMS"}`),
			[]string{`ioc/app_id Found a known suspicious app identifier "com.evil.spy" in an ADB shell command (intrusion log)`}},
		{"adb push", ev(`"adb_sync_send_file": {"path": "/data/local/tmp/implant"}`),
			[]string{`ioc/file_path Found a known suspicious file path "/data/local/tmp/implant" in a file pushed to the phone over ADB (intrusion log)`}},
		{"CA installed", ev(`"cert_authority_installed": {"success": true, "subject": "CN=Totally Legit CA", "user_id": 0}`),
			[]string{securityevent.CertAuthorityInstalled.ID + " CA certificate installed on the phone: CN=Totally Legit CA"}},
		{"wipe failure, older spelling", ev(`"wipe_failed": {}`),
			[]string{securityevent.WipeFailure.ID + " A wipe of the phone or of user data failed (intrusion log)"}},
		{"self-test failed, raw value", ev(`"crypto_self_test_completed": 0`),
			[]string{securityevent.CryptoSelfTestFailed.ID + " The cryptographic self-test failed (intrusion log)"}},
		{"key import", ev(`"key_import": {"success": true, "key_id": "k", "uid": 10200}`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := securityevent.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
				if want := time.Date(2025, 6, 1, 8, 30, 0, 123_456_789, time.UTC); !a.Time().Equal(want) {
					t.Errorf("alert at %v, want %v", a.Time(), want)
				}
			})
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
