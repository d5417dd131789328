package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/list"
)

// testPassword is the password of the encrypted fixtures: distinctive, so that a test
// can look for it in every output.
const testPassword = "Tr0ub4dor&3-spytrace-secret"

// encryptedDemo writes the demo scenario as an encrypted backup (fast key derivation)
// and returns its folder and the demo's indicator file.
func encryptedDemo(t *testing.T) (string, string) {
	return encryptedDemoWith(t, fixture.EncryptOptions{DPIC: 1000, ITER: 10})
}

func encryptedDemoWith(t *testing.T, opts fixture.EncryptOptions) (string, string) {
	enc, iocs, _ := encryptedAndPlain(t, opts)
	return enc, iocs
}

// encryptedAndPlain writes the demo backup twice from the same fixture, encrypted and
// plain (the plain one with byte-identical file contents), and returns both folders
// and the demo's indicator file.
func encryptedAndPlain(t *testing.T, opts fixture.EncryptOptions) (enc, iocs, plain string) {
	t.Helper()
	d := demoCopy(t)
	b, _, err := fixture.DemoBackup()
	if err != nil {
		t.Fatal(err)
	}
	enc = filepath.Join(t.TempDir(), "encrypted")
	if err := b.WriteEncrypted(enc, testPassword, opts); err != nil {
		t.Fatal(err)
	}
	plain = filepath.Join(t.TempDir(), "plain")
	if err := b.Write(plain); err != nil {
		t.Fatal(err)
	}
	return enc, d.Indicators, plain
}

// runWith runs spytrace in-process with a given environment and password prompt.
func runWith(t *testing.T, getenv func(string) string, ask func(string) ([]byte, error), args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	e := &env{stdout: &out, stderr: &errb, getenv: getenv, now: time.Now, home: t.TempDir(), askPassword: ask}
	code := e.run(context.Background(), args)
	return code, out.String(), errb.String()
}

// TestEncryptedBackupMatchesPlain checks an encrypted backup directly and finds what
// the same backup unencrypted gives, without changing the evidence and without the
// password appearing anywhere.
func TestEncryptedBackupMatchesPlain(t *testing.T) {
	enc, iocs, plainDir := encryptedAndPlain(t, fixture.EncryptOptions{DPIC: 1000, ITER: 10})
	before := hashTree(t, enc)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plainOut := filepath.Join(t.TempDir(), "plain")
	if code, _, stderr := run(t, "ios", "check-backup", "-q", "-i", iocs, "-o", plainOut, plainDir); code != ExitAlerts {
		t.Fatalf("plain: exit %d\n%s", code, stderr)
	}
	ways := []struct {
		name   string
		getenv func(string) string
		ask    func(string) ([]byte, error)
		args   []string
	}{
		{"password_file", nil, nil, []string{"--password-file", pwFile}},
		{"environment", func(k string) string {
			if k == PasswordEnv {
				return testPassword
			}
			return ""
		}, nil, nil},
		{"prompt", nil, func(string) ([]byte, error) { return []byte(testPassword), nil }, nil},
		{"flag", nil, nil, []string{"--password", testPassword}},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r")
			args := append([]string{"ios", "check-backup", "-i", iocs, "-o", out}, w.args...)
			args = append(args, enc)
			code, stdout, stderr := runWith(t, w.getenv, w.ask, args...)
			if code != ExitAlerts {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if w.name == "flag" && !strings.Contains(stderr, "process list") {
				t.Errorf("no warning about --password:\n%s", stderr)
			}
			if diff := cmp.Diff(alertSummary(t, plainOut), alertSummary(t, out)); diff != "" {
				t.Errorf("alerts differ from the unencrypted backup's (-plain +encrypted):\n%s", diff)
			}
			// Every module's records, the timeline and the URLs are the same.
			files := []string{"timeline.csv", "urls.json", "alerts.json"}
			for _, m := range list.ForKind(acquire.IOSBackup) {
				files = append(files, m.Info().Name+".json")
			}
			for _, m := range files {
				a, errA := os.ReadFile(filepath.Join(plainOut, m))
				b, errB := os.ReadFile(filepath.Join(out, m))
				if m == "manifest.json" || m == "backup_info.json" || m == "alerts.json" {
					// Encrypted rows carry a protection class, and Manifest.plist says
					// IsEncrypted: compare without them.
					a, b = withoutEncryptionFacts(a), withoutEncryptionFacts(b)
				}
				if errA != nil || errB != nil || !bytes.Equal(a, b) {
					t.Errorf("%s differs from the unencrypted backup's (%v, %v)", m, errA, errB)
				}
			}
			assertNoSecret(t, testPassword, stdout+stderr, out)
		})
	}
	if diff := cmp.Diff(before, hashTree(t, enc)); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
}

func TestEncryptedBackupErrors(t *testing.T) {
	enc, iocs := encryptedDemo(t)
	out := filepath.Join(t.TempDir(), "r")
	// No password and no terminal: a clear usage error.
	code, _, stderr := runWith(t, nil, nil, "ios", "check-backup", "-q", "-i", iocs, "-o", out, enc)
	if code != ExitUsage || !strings.Contains(stderr, "the backup is encrypted") || !strings.Contains(stderr, "--password-file") {
		t.Errorf("no password: exit %d\n%s", code, stderr)
	}
	// A wrong password: one line saying so, exit status 1.
	code, _, stderr = runWith(t, nil, func(string) ([]byte, error) { return []byte("not-the-password"), nil }, "ios", "check-backup", "-q", "-i", iocs, "-o", out, enc)
	if code != ExitError || !strings.Contains(stderr, "wrong backup password") || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "not-the-password") {
		t.Errorf("wrong password: exit %d\n%s", code, stderr)
	}
	// An empty or unreadable password file and a malformed key file are usage errors.
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	badKey := filepath.Join(t.TempDir(), "key")
	os.WriteFile(badKey, []byte("# spytrace backup key\nnot hex\n"), 0o600)
	for _, args := range [][]string{{"--password-file", empty}, {"--password-file", filepath.Join(t.TempDir(), "absent")}, {"--key-file", badKey}} {
		a := append([]string{"ios", "check-backup", "-q", "-i", iocs, "-o", out}, args...)
		if code, _, stderr := runWith(t, nil, nil, append(a, enc)...); code != ExitUsage {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}

// alertSummary lists the alerts of a results folder as "level module check time".
func alertSummary(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, a := range readAlerts(t, dir) {
		out = append(out, strings.Join([]string{a["level"].(string), a["module"].(string), a["check"].(string), a["event_time"].(string)}, " "))
	}
	return out
}

// assertNoSecret fails when secret appears in the console output or in any file of the
// results folder.
func assertNoSecret(t *testing.T, secret, console, dir string) {
	t.Helper()
	if strings.Contains(console, secret) {
		t.Errorf("the password appears on the console")
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the password appears in %s", p)
		}
		return nil
	})
}

// TestEncryptedLegacyKeybag reads a backup from before iOS 10.2, whose keybag has a
// single PBKDF2 stage.
func TestEncryptedLegacyKeybag(t *testing.T) {
	enc, iocs := encryptedDemoWith(t, fixture.EncryptOptions{ITER: 10, Legacy: true})
	out := filepath.Join(t.TempDir(), "r")
	code, _, stderr := runWith(t, func(k string) string {
		if k == PasswordEnv {
			return testPassword
		}
		return ""
	}, nil, "ios", "check-backup", "-q", "-i", iocs, "-o", out, enc)
	if code != ExitAlerts || len(readAlerts(t, out)) < 40 {
		t.Fatalf("exit %d, %d alerts\n%s", code, len(readAlerts(t, out)), stderr)
	}
}

// TestEncryptedDamage: a damaged file is reported by name in its module's status, the
// other modules are unaffected; a damaged keybag is one clear error.
func TestEncryptedDamage(t *testing.T) {
	enc, iocs := encryptedDemo(t)
	smsFile := filepath.Join(enc, fixture.FileID("HomeDomain", "Library/SMS/sms.db")[:2], fixture.FileID("HomeDomain", "Library/SMS/sms.db"))
	data, err := os.ReadFile(smsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(smsFile, data[:len(data)-7], 0o644); err != nil { // no longer whole AES blocks
		t.Fatal(err)
	}
	pw := func(string) ([]byte, error) { return []byte(testPassword), nil }
	out := filepath.Join(t.TempDir(), "r")
	code, _, stderr := runWith(t, nil, pw, "ios", "check-backup", "-q", "-i", iocs, "-o", out, enc)
	if code != ExitAlerts {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "info.json"))
	for _, name := range []string{"sms", "sms_attachments"} {
		st := moduleStatus(t, raw, name)
		if st["status"] != "failed" || !strings.Contains(st["reason"].(string), "HomeDomain/Library/SMS/sms.db") || !strings.Contains(st["reason"].(string), "16-byte AES block") {
			t.Errorf("%s: %v", name, st)
		}
	}
	if st := moduleStatus(t, raw, "whatsapp"); st["status"] != "ok" {
		t.Errorf("whatsapp: %v", st)
	}

	// A damaged keybag.
	enc2, _ := encryptedDemo(t)
	mp := filepath.Join(enc2, "Manifest.plist")
	manifest, err := os.ReadFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(manifest, []byte("WPKY"))
	if i < 0 {
		t.Fatal("no WPKY record in Manifest.plist")
	}
	copy(manifest[i+4:], []byte{0xff, 0xff, 0xff, 0xff}) // an impossible record length
	if err := os.WriteFile(mp, manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runWith(t, nil, pw, "ios", "check-backup", "-q", "-i", iocs, "-o", filepath.Join(t.TempDir(), "r"), enc2)
	if code != ExitError || !strings.Contains(stderr, "BackupKeyBag") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("damaged keybag: exit %d\n%s", code, stderr)
	}
}

// moduleStatus returns a module's entry of info.json.
func moduleStatus(t *testing.T, infoJSON []byte, name string) map[string]any {
	t.Helper()
	var info struct {
		Modules []map[string]any `json:"modules"`
	}
	if err := json.Unmarshal(infoJSON, &info); err != nil {
		t.Fatal(err)
	}
	for _, m := range info.Modules {
		if m["name"] == name {
			return m
		}
	}
	t.Fatalf("no module %s in info.json", name)
	return nil
}

// TestExtractKeyAndDecryptBackup derives a key file, checks with it, decrypts the
// backup into a folder that reads as a plain backup, and runs again after a simulated
// interruption; the password never appears in any output.
func TestExtractKeyAndDecryptBackup(t *testing.T) {
	enc, iocs, plainDir := encryptedAndPlain(t, fixture.EncryptOptions{DPIC: 1000, ITER: 10})
	before := hashTree(t, enc)
	env := func(k string) string {
		if k == PasswordEnv {
			return testPassword
		}
		return ""
	}
	work := t.TempDir()
	var console strings.Builder

	// extract-key, then check-backup with the key.
	keyFile := filepath.Join(work, "backup.key")
	code, stdout, stderr := runWith(t, env, nil, "ios", "extract-key", "-o", keyFile, enc)
	console.WriteString(stdout + stderr)
	if code != ExitClean {
		t.Fatalf("extract-key: exit %d\n%s", code, stderr)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v, want mode 0600", fi, err)
	}
	if code, _, stderr := runWith(t, env, nil, "ios", "extract-key", "-o", keyFile, enc); code != ExitUsage {
		t.Errorf("extract-key over an existing file: exit %d\n%s", code, stderr)
	}
	withKey := filepath.Join(work, "with-key")
	code, stdout, stderr = runWith(t, nil, nil, "ios", "check-backup", "-q", "--key-file", keyFile, "-i", iocs, "-o", withKey, enc)
	console.WriteString(stdout + stderr)
	if code != ExitAlerts || len(readAlerts(t, withKey)) < 40 {
		t.Fatalf("check-backup --key-file: exit %d\n%s", code, stderr)
	}

	// decrypt-backup, interrupted: a stale temporary file and no Manifest.db yet.
	dest := filepath.Join(work, "decrypted")
	if code, _, stderr := runWith(t, env, nil, "ios", "decrypt-backup", "-d", filepath.Join(enc, "inside"), enc); code != ExitUsage {
		t.Errorf("destination inside the evidence: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = runWith(t, nil, nil, "ios", "decrypt-backup", "--key-file", keyFile, "-d", dest, enc)
	console.WriteString(stdout + stderr)
	if code != ExitClean || !strings.Contains(stderr, "decrypted ") {
		t.Fatalf("decrypt-backup: exit %d\n%s", code, stderr)
	}
	stale := filepath.Join(dest, "ab", "abcdef.spytrace-part")
	os.WriteFile(stale, []byte("half"), 0o644)
	os.Remove(filepath.Join(dest, "Manifest.db"))
	code, stdout, stderr = runWith(t, env, nil, "ios", "decrypt-backup", "-d", dest, enc)
	console.WriteString(stdout + stderr)
	if code != ExitClean {
		t.Fatalf("decrypt-backup again: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the interrupted run's temporary file is still there")
	}
	// The copy reads as an unencrypted backup with the same findings.
	plainOut := filepath.Join(work, "plain")
	run(t, "ios", "check-backup", "-q", "-i", iocs, "-o", plainOut, plainDir)
	decOut := filepath.Join(work, "dec")
	code, _, stderr = run(t, "ios", "check-backup", "-q", "-i", iocs, "-o", decOut, dest)
	if code != ExitAlerts {
		t.Fatalf("check of the decrypted copy: exit %d\n%s", code, stderr)
	}
	if diff := cmp.Diff(alertSummary(t, plainOut), alertSummary(t, decOut)); diff != "" {
		t.Errorf("alerts of the decrypted copy (-plain +decrypted):\n%s", diff)
	}
	// Every file has exactly its plain size and content, and the hash list says so.
	list, err := os.ReadFile(filepath.Join(dest, "spytrace-decryption.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(list)), "\n")
	plainFiles := 0
	filepath.WalkDir(plainDir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() && len(de.Name()) == 40 {
			plainFiles++
			want, _ := os.ReadFile(p)
			got, err := os.ReadFile(filepath.Join(dest, de.Name()[:2], de.Name()))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("decrypted %s differs from the plain file (%v)", de.Name(), err)
			}
		}
		return nil
	})
	if len(rows)-1 != plainFiles || strings.Contains(string(list), ",failed,") {
		t.Errorf("hash list has %d rows for %d files:\n%s", len(rows)-1, plainFiles, rows[0])
	}
	if diff := cmp.Diff(before, hashTree(t, enc)); diff != "" {
		t.Fatalf("the evidence changed (-before +after):\n%s", diff)
	}
	for _, dir := range []string{withKey, decOut} {
		assertNoSecret(t, testPassword, console.String(), dir)
	}
	assertNoSecret(t, testPassword, "", dest)
}

// TestDecryptBackupDamagedFile names a file that does not decrypt and exits 1; the
// other files are written.
func TestDecryptBackupDamagedFile(t *testing.T) {
	enc, _ := encryptedDemo(t)
	id := fixture.FileID("HomeDomain", "Library/SMS/sms.db")
	p := filepath.Join(enc, id[:2], id)
	data, _ := os.ReadFile(p)
	data[len(data)-1] ^= 0xff // the padding no longer checks out
	os.WriteFile(p, data, 0o644)
	dest := filepath.Join(t.TempDir(), "d")
	code, _, stderr := runWith(t, nil, func(string) ([]byte, error) { return []byte(testPassword), nil }, "ios", "decrypt-backup", "-d", dest, enc)
	if code != ExitError || !strings.Contains(stderr, "HomeDomain/Library/SMS/sms.db") || !strings.Contains(stderr, "padding") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dest, id[:2], id)); err == nil {
		t.Error("the damaged file was written as if complete")
	}
	if _, err := os.Stat(filepath.Join(dest, "Manifest.db")); err != nil {
		t.Error("Manifest.db was not written")
	}
	// A destination that holds something else is refused.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644)
	if code, _, stderr := runWith(t, nil, func(string) ([]byte, error) { return []byte(testPassword), nil }, "ios", "decrypt-backup", "-d", other, enc); code != ExitUsage {
		t.Errorf("non-empty destination: exit %d\n%s", code, stderr)
	}
}

// withoutEncryptionFacts drops from a results file the values that differ between an
// encrypted backup and the same backup unencrypted: protection classes and the
// IsEncrypted flag.
func withoutEncryptionFacts(data []byte) []byte {
	for _, re := range encryptionFacts {
		data = re.ReplaceAll(data, nil)
	}
	return data
}

var encryptionFacts = []*regexp.Regexp{
	regexp.MustCompile(`,?"protection_class":\s*[0-9]+`),
	regexp.MustCompile(`"IsEncrypted":\s*(true|false)`),
}
