package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/list"
)

// writeDump writes the scenario as a file-system dump folder (fixture.ScenarioFilesystem:
// one trace per module and heuristic with attack, its clean twin without), and returns
// the folder and the demo's indicators.
func writeDump(t *testing.T, attack bool) (string, string) {
	t.Helper()
	d := demoCopy(t)
	dir := filepath.Join(t.TempDir(), "dump")
	if _, err := fixture.WriteScenarioFilesystem(dir, fixture.DemoSize, attack); err != nil {
		t.Fatal(err)
	}
	return dir, d.Indicators
}

// TestCheckFS checks a dump as a folder, a tar and a tar.gz: the backup modules find
// their planted traces through the domain names, the dump-only modules theirs, and the
// evidence is unchanged.
func TestCheckFS(t *testing.T) {
	dir, iocs := writeDump(t, true)
	archives := t.TempDir()
	inputs := map[string]string{"folder": dir}
	for name, gz := range map[string]bool{"dump.tar": false, "dump.tar.gz": true} {
		p := filepath.Join(archives, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := fixture.TarDirectory(dir, f, gz); err != nil {
			t.Fatal(err)
		}
		f.Close()
		inputs[name] = p
	}
	before := hashTree(t, dir)
	// Every planted trace, by the check that must find it: one per module and per
	// heuristic (fixture.ScenarioFilesystem), the same in every form of the dump, and
	// nothing else.
	want := map[string]int{}
	for _, w := range []string{
		// Backup modules, through the backup namespace of the dump.
		"sms ioc/domain CRITICAL", "sms ioc/email CRITICAL", "sms sms/threat-notification HIGH",
		"sms_attachments sms_attachments/suspicious-attachment MEDIUM",
		"calls ioc/email CRITICAL", "contacts ioc/domain CRITICAL", "calendar ioc/email CRITICAL", "calendar calendar/exploit-invite HIGH",
		"whatsapp ioc/domain CRITICAL", "interaction_c ioc/email CRITICAL", "shortcuts ioc/domain CRITICAL",
		"safari_history ioc/domain CRITICAL", "safari_history safari_history/fast-redirect MEDIUM", "safari_browser_state ioc/domain CRITICAL",
		"chrome_history ioc/domain CRITICAL", "chrome_history chrome_history/fast-redirect MEDIUM", "chrome_favicon ioc/domain CRITICAL",
		"firefox_history ioc/domain CRITICAL", "firefox_favicon ioc/domain CRITICAL",
		"webkit_resource_load_statistics ioc/domain CRITICAL", "webkit_session_resource_log ioc/domain CRITICAL",
		"webkit_session_resource_log webkit_session_resource_log/suspicious-redirect HIGH",
		"datausage ioc/process CRITICAL", "datausage ioc/process CRITICAL", // bh, BackupAgent
		"datausage datausage/deleted-process HIGH", "datausage datausage/missing-process LOW",
		"datausage datausage/binary-not-found MEDIUM", // bh has no program in the dump
		"os_analytics_ad_daily ioc/process CRITICAL", "os_analytics_ad_daily ioc/process CRITICAL",
		"locationd_clients ioc/process HIGH", "id_status_cache ioc/email CRITICAL", "id_status_cache ioc/email CRITICAL",
		"id_status_cache id_status_cache/nul-bytes HIGH", "tcc ioc/process CRITICAL", "tcc tcc/path-client-sensitive MEDIUM",
		"global_preferences global_preferences/lockdown-mode LOW",
		"configuration_profiles ioc/profile CRITICAL", "configuration_profiles configuration_profiles/notification-settings MEDIUM",
		"configuration_profiles configuration_profiles/root-certificate MEDIUM", "configuration_profiles configuration_profiles/network-traffic LOW",
		"configuration_profiles configuration_profiles/mdm-enrollment LOW", "profile_events profile_events/operation LOW",
		// applications, from the bundle containers.
		"applications ioc/process CRITICAL", "applications applications/not-from-app-store MEDIUM",
		"applications applications/alternative-marketplace LOW", "applications applications/testflight LOW",
		"applications applications/computer-sync LOW", "applications applications/no-store-metadata LOW",
		// Dump-only modules.
		"shutdown_log ioc/process CRITICAL", "shutdown_log shutdown_log/suspicious-path HIGH",
		"shutdown_log shutdown_log/repeated-delays MEDIUM", "shutdown_log shutdown_log/staged-update-component INFORMATIONAL",
		"netusage ioc/process CRITICAL", "netusage netusage/binary-not-found MEDIUM",
		"netusage netusage/deleted-process HIGH", "netusage netusage/missing-process LOW",
		"filesystem ioc/file_name HIGH", // roleaccountd.plist, staged in DatabaseDomain
		"filesystem ioc/process HIGH",   // the roleaccountd program in roleaccountd.staging
		"filesystem ioc/process MEDIUM", // Apple's BackupAgent on the system volume
		"analytics ioc/process CRITICAL", "analytics ioc/domain CRITICAL", "cache_files ioc/domain CRITICAL",
		"safari_favicon ioc/domain CRITICAL", "webkit_indexeddb ioc/domain CRITICAL",
		"webkit_local_storage ioc/domain CRITICAL", "webkit_safari_view_service ioc/domain CRITICAL",
	} {
		want[w]++
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, _, stderr := run(t, "ios", "check-fs", "-q", "-i", iocs, "-o", out, input)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			found := map[string]int{}
			for _, a := range readAlerts(t, out) {
				found[a["module"].(string)+" "+a["check"].(string)+" "+a["level"].(string)]++
			}
			if diff := cmp.Diff(want, found); diff != "" {
				t.Errorf("alerts of the %s dump by module, check and level (-planted +found):\n%s", name, diff)
			}
			if name == "folder" {
				assertRecheckReproduces(t, out, iocs)
			}
			// Every dump module ran and read its artifact; those without checks
			// (ios_version_history, analytics_ios_versions…) show it by their records.
			info, err := os.ReadFile(filepath.Join(out, "info.json"))
			if err != nil {
				t.Fatal(err)
			}
			var facts struct {
				Problems []any `json:"problems"`
			}
			if err := json.Unmarshal(info, &facts); err != nil || len(facts.Problems) != 0 {
				t.Errorf("acquisition problems in a sound dump: %v %v", facts.Problems, err)
			}
			for _, m := range list.ForKind(acquire.IOSFilesystem) {
				st := moduleStatus(t, info, m.Info().Name)
				if st["status"] != "ok" || st["records"].(float64) == 0 {
					t.Errorf("module %s: %v", m.Info().Name, st)
				}
			}
		})
	}
	if diff := cmp.Diff(before, hashTree(t, dir)); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
}

// TestCleanTwinDumpRaisesNoSevereAlert checks the clean twin of the scenario dump (the
// same innocent content, no planted trace) with the demo indicators.
func TestCleanTwinDumpRaisesNoSevereAlert(t *testing.T) {
	dir, iocs := writeDump(t, false)
	out := filepath.Join(t.TempDir(), "r")
	code, _, stderr := run(t, "ios", "check-fs", "-q", "-i", iocs, "-o", out, dir)
	if code != ExitClean {
		t.Errorf("exit %d on the clean twin:\n%s", code, stderr)
	}
	for _, a := range readAlerts(t, out) {
		if lv := a["level"]; lv == "HIGH" || lv == "CRITICAL" {
			t.Errorf("severe alert on the clean twin: %v %v", a["check"], a["message"])
		}
	}
}

// TestCheckSysdiagnose checks the scenario's sysdiagnose archive (its folder and its
// .tar.gz, with the phone's top folder), which holds one trace per module and heuristic
// (fixture.ScenarioSysdiagnose), and its clean twin.
func TestCheckSysdiagnose(t *testing.T) {
	d := demoCopy(t)
	build := func(attack bool) (string, string) {
		root := filepath.Join(t.TempDir(), "in")
		top, _, err := fixture.WriteScenarioSysdiagnose(root, attack)
		if err != nil {
			t.Fatal(err)
		}
		archive := filepath.Join(t.TempDir(), "sysdiagnose.tar.gz")
		f, err := os.Create(archive)
		if err != nil {
			t.Fatal(err)
		}
		if err := fixture.TarDirectory(root, f, true); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return top, archive
	}
	folder, archive := build(true)
	before := hashTree(t, folder)
	want := map[string]int{}
	for _, w := range []string{
		"sysdiagnose_info sysdiagnose_info/outdated-ios LOW",
		"sysdiagnose_ps sysdiagnose_ps/suspicious-path HIGH", // roleaccountd in roleaccountd.staging
		"sysdiagnose_ps ioc/process CRITICAL",                // roleaccountd
		"sysdiagnose_ps ioc/process CRITICAL",                // bh, in taskinfo.txt only
		"sysdiagnose_ps sysdiagnose_ps/suspicious-path HIGH", // a library loaded from the staging folder
		"sysdiagnose_crashes sysdiagnose_crashes/exploit-target MEDIUM", "sysdiagnose_crashes ioc/process CRITICAL",
		"shutdown_log shutdown_log/suspicious-path HIGH", "shutdown_log ioc/process CRITICAL",
		"shutdown_log shutdown_log/repeated-delays MEDIUM",
		"sysdiagnose_profiles ioc/profile CRITICAL", "sysdiagnose_profiles ioc/profile CRITICAL", // stub and settings event
		"sysdiagnose_profiles sysdiagnose_profiles/notification-settings MEDIUM",
		"sysdiagnose_profiles sysdiagnose_profiles/profile-operation LOW",
		"sysdiagnose_profiles sysdiagnose_profiles/root-certificate MEDIUM",
		"sysdiagnose_profiles sysdiagnose_profiles/network-traffic LOW",
		"sysdiagnose_profiles sysdiagnose_profiles/mdm-enrollment LOW",
		"sysdiagnose_profiles ioc/process CRITICAL",
		"sysdiagnose_mobile_installation ioc/process CRITICAL",
		"sysdiagnose_mobile_installation sysdiagnose_mobile_installation/developer-install MEDIUM",
		"sysdiagnose_mobile_installation sysdiagnose_mobile_installation/computer-install LOW",
		"sysdiagnose_mobile_installation sysdiagnose_mobile_installation/short-lived-app LOW",
	} {
		want[w]++
	}
	for name, input := range map[string]string{"folder": filepath.Dir(folder), "tar.gz": archive} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, _, stderr := run(t, "ios", "check-sysdiagnose", "-q", "-i", d.Indicators, "-o", out, input)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			found := map[string]int{}
			for _, a := range readAlerts(t, out) {
				found[a["module"].(string)+" "+a["check"].(string)+" "+a["level"].(string)]++
			}
			if diff := cmp.Diff(want, found); diff != "" {
				t.Errorf("alerts by module, check and level (-planted +found):\n%s", diff)
			}
			if name == "folder" {
				assertRecheckReproduces(t, out, d.Indicators)
			}
			info, err := os.ReadFile(filepath.Join(out, "info.json"))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range list.ForKind(acquire.IOSSysdiagnose) {
				st := moduleStatus(t, info, m.Info().Name)
				if st["status"] != "ok" || st["records"].(float64) == 0 {
					t.Errorf("module %s: %v", m.Info().Name, st)
				}
			}
			// The phone's zone, from the archive's name, is in the results.
			data, err := os.ReadFile(filepath.Join(out, "sysdiagnose_info.json"))
			if err != nil || !strings.Contains(string(data), `"timezone_offset": "+02:00"`) {
				t.Errorf("sysdiagnose_info.json lacks the phone's zone: %s %v", data, err)
			}
		})
	}
	if diff := cmp.Diff(before, hashTree(t, folder)); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
	// The clean twin raises nothing severe.
	_, clean := build(false)
	out := filepath.Join(t.TempDir(), "clean")
	code, _, stderr := run(t, "ios", "check-sysdiagnose", "-q", "-i", d.Indicators, "-o", out, clean)
	if code != ExitClean {
		t.Errorf("clean twin: exit %d\n%s", code, stderr)
	}
	for _, a := range readAlerts(t, out) {
		if lv := a["level"]; lv == "HIGH" || lv == "CRITICAL" {
			t.Errorf("severe alert on the clean twin: %v", a["message"])
		}
	}
}
