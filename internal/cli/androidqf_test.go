package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/fixture"
)

// aqfPlanted are the alerts of the scenario's androidqf collection: its own files', and
// its bug report's, backup's and intrusion logs', found in one run.
func aqfPlanted() map[string]int {
	out := map[string]int{}
	own := multiset(
		"aqf_processes ioc/app_id CRITICAL", "aqf_processes aqf_processes/tmp-executable HIGH",
		"aqf_processes aqf_processes/root-context HIGH", "aqf_files aqf_files/tmp-file HIGH",
		"root_binaries root_binaries/root-binary HIGH",
		"mounts mounts/system-rw HIGH", "mounts mounts/system-partition-rw HIGH", "mounts mounts/suspicious-options MEDIUM",
		"aqf_get_prop aqf_get_prop/old-security-patch MEDIUM", "aqf_settings aqf_settings/dangerous-setting MEDIUM",
		"aqf_packages ioc/app_id CRITICAL", "aqf_packages aqf_packages/root-package MEDIUM",
		"aqf_packages aqf_packages/third-party-store INFORMATIONAL", "aqf_packages aqf_packages/installed-from-file MEDIUM",
		"aqf_packages aqf_packages/no-installer MEDIUM", "aqf_packages aqf_packages/security-package-disabled MEDIUM",
		"aqf_packages aqf_packages/update-package-disabled MEDIUM",
	)
	for _, m := range []map[string]int{own, bugreportPlanted, backupPlanted, intrusionPlanted} {
		for k, v := range m {
			out[k] += v
		}
	}
	// With the collection's host key, the bug report's trusted keys are judged against
	// it: the planted foreign computer, and the collecting computer's own key last used
	// days before the collection.
	delete(out, "dumpsys_adb_state dumpsys_adb_state/trusted-key INFORMATIONAL")
	out["dumpsys_adb_state dumpsys_adb_state/other-computer LOW"]++
	out["dumpsys_adb_state dumpsys_adb_state/host-key-old-connection INFORMATIONAL"]++
	return out
}

// writeCollection writes the scenario collection as a folder (one folder down, under
// "folder"), as a zip with a top folder, and as the same zip encrypted with age to a new
// key, whose identity file it also writes.
func writeCollection(t *testing.T, attack bool) (zipPath, agePath, identity string) {
	t.Helper()
	files, _, err := fixture.ScenarioAndroidQF(attack)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, "folder", "androidqf_"+fixture.AndroidQFUUID[:8], filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipped := fixture.ZipOf(files, fixture.ZipOptions{Top: "androidqf_" + fixture.AndroidQFUUID[:8]})
	zipPath = filepath.Join(dir, "collection.zip")
	if err := os.WriteFile(zipPath, zipped, 0o644); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	w, err := age.Encrypt(&enc, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(fixture.ZipOf(files, fixture.ZipOptions{}))
	w.Close()
	agePath = filepath.Join(dir, fixture.AndroidQFUUID+".zip.age")
	identity = filepath.Join(dir, "key.txt")
	if err := os.WriteFile(agePath, enc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(identity, []byte("# created: test\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return zipPath, agePath, identity
}

// TestAndroidCheckAndroidQF checks the scenario collection as a folder, a zip and a
// .zip.age:
// the collection's intrusion logs, its bug report and its backup are checked in one
// run into one results folder, finding every planted trace, and the clean twin raises
// nothing severe.
func TestAndroidCheckAndroidQF(t *testing.T) {
	iocs := androidIndicators(t)
	zipPath, agePath, identity := writeCollection(t, true)
	before := hashTree(t, filepath.Dir(zipPath))
	for name, args := range map[string][]string{
		"folder": {filepath.Join(filepath.Dir(zipPath), "folder")},
		"zip":    {zipPath},
		"age":    {"--age-identity", identity, agePath},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			code, _, stderr := run(t, append([]string{"android", "check-androidqf", "-q", "-i", iocs, "-o", out}, args...)...)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if diff := cmp.Diff(aqfPlanted(), foundAlerts(t, out)); diff != "" {
				t.Errorf("alerts by module, check and level (-planted +found):\n%s", diff)
			}
			if name == "age" {
				assertRecheckReproduces(t, out, iocs)
			}
			for _, kind := range []acquire.Kind{acquire.AndroidQF, acquire.AndroidBugreport, acquire.AndroidBackup, acquire.AndroidIntrusionLogs} {
				assertModulesRan(t, out, kind)
			}
			info, err := os.ReadFile(filepath.Join(out, "info.json"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`"bugreport.zip"`, `"backup.ab"`, fixture.AndroidQFUUID} {
				if !strings.Contains(string(info), want) {
					t.Errorf("info.json lacks %s", want)
				}
			}
		})
	}
	if diff := cmp.Diff(before, hashTree(t, filepath.Dir(zipPath))); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
	// Without the identity, one clear usage error.
	code, _, stderr := run(t, "android", "check-androidqf", "-q", "-o", filepath.Join(t.TempDir(), "x"), agePath)
	if code != ExitUsage || !strings.Contains(stderr, "--age-identity") {
		t.Errorf("no identity: exit %d\n%s", code, stderr)
	}

	cleanZip, _, _ := writeCollection(t, false)
	out := filepath.Join(t.TempDir(), "clean")
	code, _, stderr = run(t, "android", "check-androidqf", "-q", "-i", iocs, "-o", out, cleanZip)
	assertCleanTwin(t, code, stderr, out)
}

// TestAndroidQFPassphrase checks a collection encrypted with age to a passphrase (as
// bugbane exports are): from SPYTRACE_AGE_PASSPHRASE, never printed; a wrong one is one
// clear error; none, outside a terminal, a usage error naming the ways to give it.
func TestAndroidQFPassphrase(t *testing.T) {
	files, _, err := fixture.ScenarioAndroidQF(false)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "correct horse battery staple"
	rcp, err := age.NewScryptRecipient(secret)
	if err != nil {
		t.Fatal(err)
	}
	rcp.SetWorkFactor(10)
	var enc bytes.Buffer
	w, err := age.Encrypt(&enc, rcp)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(fixture.ZipOf(files, fixture.ZipOptions{}))
	w.Close()
	p := filepath.Join(t.TempDir(), "bugbane.zip.age")
	if err := os.WriteFile(p, enc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == PassphraseEnv {
				return v
			}
			return ""
		}
	}
	out := filepath.Join(t.TempDir(), "r")
	code, stdout, stderr := runWith(t, env(secret), nil, "android", "check-androidqf", "-q", "--no-default-iocs", "-o", out, p)
	if code != ExitClean {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	assertNoSecret(t, secret, stdout+stderr, out)
	code, _, stderr = runWith(t, env("wrong"), nil, "android", "check-androidqf", "-q", "--no-default-iocs", "-o", filepath.Join(t.TempDir(), "w"), p)
	if code != ExitError || !strings.Contains(stderr, "does not decrypt") {
		t.Errorf("wrong passphrase: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runWith(t, env(""), nil, "android", "check-androidqf", "-q", "--no-default-iocs", "-o", filepath.Join(t.TempDir(), "n"), p)
	if code != ExitUsage || !strings.Contains(stderr, PassphraseEnv) {
		t.Errorf("no passphrase: exit %d\n%s", code, stderr)
	}
}
