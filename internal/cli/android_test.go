package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/list"
)

// androidIndicators writes the Android scenario's indicators (fixture.
// AndroidDemoIndicators) with the STIX writer of the demo and returns the file.
func androidIndicators(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "android-demo.stix2")
	if err := fixture.WriteAndroidDemoIndicators(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// multiset counts "module check LEVEL" words.
func multiset(ws ...string) map[string]int {
	out := map[string]int{}
	for _, w := range ws {
		out[w]++
	}
	return out
}

// foundAlerts counts the alerts of a results folder by module, check and level.
func foundAlerts(t *testing.T, out string) map[string]int {
	t.Helper()
	found := map[string]int{}
	for _, a := range readAlerts(t, out) {
		found[a["module"].(string)+" "+a["check"].(string)+" "+a["level"].(string)]++
	}
	return found
}

// assertModulesRan checks that every module of kind ran and read records (each
// scenario holds every artifact of its kind's modules).
func assertModulesRan(t *testing.T, out string, kind acquire.Kind) {
	t.Helper()
	info, err := os.ReadFile(filepath.Join(out, "info.json"))
	if err != nil {
		t.Fatal(err)
	}
	mods := list.ForKind(kind)
	if len(mods) == 0 {
		t.Fatalf("no module for %s", kind)
	}
	for _, m := range mods {
		name := m.Info().Name
		st := moduleStatus(t, info, name)
		if st["status"] != "ok" || st["records"].(float64) == 0 {
			t.Errorf("module %s: %v", name, st)
		}
	}
}

// assertCleanTwin checks that a clean twin raised nothing at HIGH or above and exited
// clean.
func assertCleanTwin(t *testing.T, code int, stderr, out string) {
	t.Helper()
	if code != ExitClean {
		t.Errorf("clean twin: exit %d\n%s", code, stderr)
	}
	for _, a := range readAlerts(t, out) {
		if lv := a["level"]; lv == "HIGH" || lv == "CRITICAL" {
			t.Errorf("severe alert on the clean twin: %v %v %v", a["module"], a["check"], a["message"])
		}
	}
}

// bugreportPlanted are the alerts of the scenario's bug report (fixture.
// ScenarioBugreport): one per module and heuristic, and nothing else.
var bugreportPlanted = multiset(
	"dumpsys_get_prop dumpsys_get_prop/old-security-patch MEDIUM",
	"dumpsys_packages ioc/app_id CRITICAL",
	"dumpsys_packages dumpsys_packages/root-package MEDIUM",
	"dumpsys_packages dumpsys_packages/installed-outside-store MEDIUM",
	"dumpsys_packages dumpsys_packages/third-party-store INFORMATIONAL",
	"dumpsys_packages dumpsys_packages/dangerous-permissions LOW",
	"dumpsys_activities ioc/app_id CRITICAL",
	"dumpsys_receivers ioc/app_id CRITICAL",
	"dumpsys_receivers dumpsys_receivers/sms-call-interception MEDIUM",
	"dumpsys_accessibility ioc/app_id CRITICAL",
	"dumpsys_accessibility dumpsys_accessibility/enabled-service MEDIUM",
	"dumpsys_accessibility dumpsys_accessibility/offered-service LOW",
	"dumpsys_appops ioc/app_id CRITICAL",
	"dumpsys_appops dumpsys_appops/request-install-packages MEDIUM",
	"dumpsys_appops dumpsys_appops/shell MEDIUM",
	"dumpsys_battery_daily ioc/app_id CRITICAL",
	"dumpsys_battery_daily dumpsys_battery_daily/uninstall MEDIUM",
	"dumpsys_battery_daily dumpsys_battery_daily/downgrade MEDIUM",
	"dumpsys_battery_history ioc/app_id CRITICAL", "dumpsys_battery_history ioc/app_id CRITICAL", // the job's start and end
	"dbinfo ioc/app_id CRITICAL",
	"dumpsys_platform_compat ioc/app_id CRITICAL",
	// The computer that took the bug report (in the sample) and the unknown one.
	"dumpsys_adb_state dumpsys_adb_state/trusted-key INFORMATIONAL", "dumpsys_adb_state dumpsys_adb_state/trusted-key INFORMATIONAL",
	"tombstones ioc/process CRITICAL", "tombstones ioc/process CRITICAL", // the text tombstone and its protobuf twin
	"tombstones tombstones/privileged-crash MEDIUM",
)

// TestAndroidCheckBugreport checks the scenario's bug report as its zip and as the folder it
// extracts to: every planted trace found, nothing else, every module ran on records,
// the evidence unchanged; then the clean twin.
func TestAndroidCheckBugreport(t *testing.T) {
	iocs := androidIndicators(t)
	dir := t.TempDir()
	zipPath, _, err := fixture.WriteScenarioBugreport(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(t.TempDir(), "bugreport")
	if _, err := fixture.WriteScenarioBugreportFolder(folder, true); err != nil {
		t.Fatal(err)
	}
	before := map[string]map[string]string{"zip": hashTree(t, dir), "folder": hashTree(t, folder)}
	for name, input := range map[string]string{"zip": zipPath, "folder": folder} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, stdout, stderr := run(t, "android", "check-bugreport", "-q", "-i", iocs, "-o", out, input)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout must stay empty for a check, got %q", stdout)
			}
			if diff := cmp.Diff(bugreportPlanted, foundAlerts(t, out)); diff != "" {
				t.Errorf("alerts of the %s by module, check and level (-planted +found):\n%s", name, diff)
			}
			if name == "zip" {
				assertRecheckReproduces(t, out, iocs)
			}
			assertModulesRan(t, out, acquire.AndroidBugreport)
			// The phone's zone, from the system properties, converts the wall clocks
			// of dumpsys and, in the zip, of the entries (a folder has only its files'
			// times).
			data, err := os.ReadFile(filepath.Join(out, "dumpsys_packages.json"))
			if err != nil || !strings.Contains(string(data), `"`+fixture.AndroidSampleZone+`"`) {
				t.Errorf("dumpsys_packages.json does not name the phone's zone %s: %v", fixture.AndroidSampleZone, err)
			}
			clock := map[string]string{"zip": fixture.AndroidSampleZone, "folder": "file system"}[name]
			data, err = os.ReadFile(filepath.Join(out, "bugreport_timestamps.json"))
			if err != nil || !strings.Contains(string(data), `"clock":"`+clock+`"`) || strings.Contains(string(data), `"clock":"UTC"`) {
				t.Errorf("bugreport_timestamps.json: want every entry's clock %q: %v\n%.300s", clock, err, data)
			}
		})
	}
	if diff := cmp.Diff(before, map[string]map[string]string{"zip": hashTree(t, dir), "folder": hashTree(t, folder)}); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}

	cleanZip, _, err := fixture.WriteScenarioBugreport(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "clean")
	code, _, stderr := run(t, "android", "check-bugreport", "-q", "-i", iocs, "-o", out, cleanZip)
	assertCleanTwin(t, code, stderr, out)
	assertModulesRan(t, out, acquire.AndroidBugreport)
}

// backupPlanted are the alerts of the scenario's Android backup.
var backupPlanted = multiset(
	"sms ioc/domain CRITICAL", // the SMS's link
	"sms ioc/domain CRITICAL", // the MMS's link
)

// TestAndroidCheckBackup checks the scenario's backup plain, encrypted (password from
// the environment) and as its extracted folder; a wrong password is one clear error;
// the password appears nowhere; then the clean twin.
func TestAndroidCheckBackup(t *testing.T) {
	iocs := androidIndicators(t)
	const password = fixture.ScenarioAndroidBackupPassword
	dir := t.TempDir()
	write := func(name string, attack bool, pw string) string {
		ab, _, err := fixture.ScenarioAndroidBackup(attack, pw)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, ab, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("backup.ab", true, "")
	enc := write("encrypted.ab", true, password)
	folder := filepath.Join(t.TempDir(), "extracted")
	if _, err := fixture.WriteScenarioAndroidBackupFolder(folder, true); err != nil {
		t.Fatal(err)
	}
	before := map[string]map[string]string{"files": hashTree(t, dir), "folder": hashTree(t, folder)}
	withPassword := func(k string) string {
		if k == PasswordEnv {
			return password
		}
		return ""
	}
	for _, c := range []struct {
		name, input string
		getenv      func(string) string
	}{
		{"plain", plain, nil},
		{"encrypted", enc, withPassword},
		{"folder", folder, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, stdout, stderr := runWith(t, c.getenv, nil, "android", "check-backup", "-q", "-i", iocs, "-o", out, c.input)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if diff := cmp.Diff(backupPlanted, foundAlerts(t, out)); diff != "" {
				t.Errorf("alerts by module, check and level (-planted +found):\n%s", diff)
			}
			if c.name == "plain" {
				assertRecheckReproduces(t, out, iocs)
			}
			assertModulesRan(t, out, acquire.AndroidBackup)
			assertNoSecret(t, password, stdout+stderr, out)
		})
	}

	// A wrong password: one line saying so, a non-zero exit, the password nowhere.
	const wrong = "not the password 0815"
	out := filepath.Join(t.TempDir(), "wrong")
	code, stdout, stderr := runWith(t, func(k string) string {
		if k == PasswordEnv {
			return wrong
		}
		return ""
	}, nil, "android", "check-backup", "-q", "-i", iocs, "-o", out, enc)
	if code != ExitError || !strings.Contains(stderr, "wrong backup password") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("wrong password: exit %d\n%s", code, stderr)
	}
	assertNoSecret(t, wrong, stdout+stderr, out)
	assertNoSecret(t, password, stdout+stderr, out)
	// No password and no terminal to ask for one: a usage error saying how to give it.
	code, _, stderr = runWith(t, nil, nil, "android", "check-backup", "-q", "-i", iocs, "-o", filepath.Join(t.TempDir(), "none"), enc)
	if code != ExitUsage || !strings.Contains(stderr, "encrypted") || !strings.Contains(stderr, "--password-file") {
		t.Errorf("no password: exit %d\n%s", code, stderr)
	}

	if diff := cmp.Diff(before, map[string]map[string]string{"files": hashTree(t, dir), "folder": hashTree(t, folder)}); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}

	clean := write("clean.ab", false, password)
	out = filepath.Join(t.TempDir(), "clean")
	code, stdout, stderr = runWith(t, withPassword, nil, "android", "check-backup", "-q", "-i", iocs, "-o", out, clean)
	assertCleanTwin(t, code, stderr, out)
	assertModulesRan(t, out, acquire.AndroidBackup)
	assertNoSecret(t, password, stdout+stderr, out)
}

// intrusionPlanted are the alerts of the scenario's intrusion logs.
var intrusionPlanted = multiset(
	// The stalkerware's lookup of its server: the name, the answer, the app.
	"dns_event ioc/domain CRITICAL", "dns_event ioc/ip CRITICAL", "dns_event ioc/app_id CRITICAL",
	// Its connection: the address, the app.
	"connect_event ioc/ip CRITICAL", "connect_event ioc/app_id CRITICAL",
	// Its install, its process start, the adb command granting it SMS access.
	"security_event ioc/app_id CRITICAL", "security_event ioc/app_id CRITICAL", "security_event ioc/app_id CRITICAL",
	"security_event security_event/cert-authority-installed MEDIUM",
	"security_event security_event/cert-validation-failure MEDIUM",
	"security_event security_event/key-integrity-violation MEDIUM",
	"security_event security_event/wipe-failure MEDIUM",
	"security_event security_event/crypto-self-test-failed MEDIUM",
)

// TestAndroidCheckIntrusionLogs checks the scenario's intrusion logs as a folder and as a zip
// of the androidqf folder; then the clean twin.
func TestAndroidCheckIntrusionLogs(t *testing.T) {
	iocs := androidIndicators(t)
	folder := filepath.Join(t.TempDir(), "intrusion_logs")
	if _, err := fixture.WriteScenarioIntrusionLogs(folder, true); err != nil {
		t.Fatal(err)
	}
	zipBytes, _, err := fixture.ScenarioIntrusionLogsZip(true)
	if err != nil {
		t.Fatal(err)
	}
	zdir := t.TempDir()
	zipPath := filepath.Join(zdir, "intrusion_logs.zip")
	if err := os.WriteFile(zipPath, zipBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	before := map[string]map[string]string{"folder": hashTree(t, folder), "zip": hashTree(t, zdir)}
	for name, input := range map[string]string{"folder": folder, "zip": zipPath} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, _, stderr := run(t, "android", "check-intrusion-logs", "-q", "-i", iocs, "-o", out, input)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if diff := cmp.Diff(intrusionPlanted, foundAlerts(t, out)); diff != "" {
				t.Errorf("alerts of the %s by module, check and level (-planted +found):\n%s", name, diff)
			}
			if name == "folder" {
				assertRecheckReproduces(t, out, iocs)
			}
			assertModulesRan(t, out, acquire.AndroidIntrusionLogs)
			// getprop.txt gives the phone's zone: local times stand beside UTC.
			data, err := os.ReadFile(filepath.Join(out, "dns_event.json"))
			if err != nil || !strings.Contains(string(data), fixture.AndroidSampleZone) {
				t.Errorf("dns_event.json does not name the phone's zone %s: %v", fixture.AndroidSampleZone, err)
			}
		})
	}
	if diff := cmp.Diff(before, map[string]map[string]string{"folder": hashTree(t, folder), "zip": hashTree(t, zdir)}); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}

	clean := filepath.Join(t.TempDir(), "clean_logs")
	if _, err := fixture.WriteScenarioIntrusionLogs(clean, false); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "clean")
	code, _, stderr := run(t, "android", "check-intrusion-logs", "-q", "-i", iocs, "-o", out, clean)
	assertCleanTwin(t, code, stderr, out)
	assertModulesRan(t, out, acquire.AndroidIntrusionLogs)
	// The clean twin raises nothing at all (fixture.SampleIntrusionLog).
	if n := len(readAlerts(t, out)); n != 0 {
		t.Errorf("%d alerts on the clean intrusion logs", n)
	}
}
