package cli

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
)

// TestHostileSysdiagnose checks hostile sysdiagnose archives through the whole CLI:
// unsafe names and a link in place of ps.txt, and a tar.gz bomb.
func TestHostileSysdiagnose(t *testing.T) {
	root := filepath.Join(t.TempDir(), "in")
	top, _, err := fixture.WriteScenarioSysdiagnose(root, true)
	if err != nil {
		t.Fatal(err)
	}
	iocs := demoCopy(t).Indicators
	archive := func(t *testing.T, extra ...fixture.TarEntry) string {
		return writeTar(t, root, "sysdiagnose.tar.gz", true, extra...)
	}
	sound := archive(t)
	base := soundTwin(t, filepath.Dir(sound), "ios", "check-sysdiagnose", "-q", "-i", iocs, sound)
	inTop := func(name string) string { return path.Join(filepath.Base(top), name) }
	for _, tc := range []struct {
		name  string
		extra []fixture.TarEntry
		args  []string
		want  *hostileExpect // nil: modules past the cut may lose their files
		check func(t *testing.T, r hostileResult)
	}{
		{
			name: "unsafe names and a link for ps.txt",
			extra: []fixture.TarEntry{
				{Name: "../../../../tmp/evil", Data: []byte("outside")},
				{Name: inTop("../../../evil2"), Data: []byte("outside")},
				{Name: inTop(fixture.SysdiagnosePs), Link: "/etc/passwd"},
				{Name: inTop("logs/\x1b]0;title\x07\xff.log"), Data: []byte("\x1b[2J")},
			},
			args: []string{"-v"},
			want: &hostileExpect{affected: map[string][]string{"sysdiagnose_ps": {"ps.txt", "symbolic link"}}, minOK: 3},
			check: func(t *testing.T, r hostileResult) {
				assertProblem(t, r.info, "unsafe_path", "tmp/evil")
				assertProblem(t, r.info, "unsafe_path", "evil2")
				assertProblem(t, r.info, "duplicate_name", "ps.txt")
				assertNoRawControls(t, r)
			},
		},
		{
			// The ratio is measured over the whole stream: lowered to keep the bomb small.
			name:  "tar.gz bomb",
			extra: []fixture.TarEntry{{Name: inTop("logs/bomb.log"), Zeros: hostileBomb}},
			args:  []string{"--limit", "ratio=10"},
			check: func(t *testing.T, r hostileResult) {
				assertProblem(t, r.info, "limit_reached", "ratio")
				assertAlert(t, r, "limit/acquisition")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := archive(t, tc.extra...)
			args := append([]string{"ios", "check-sysdiagnose", "-i", iocs}, tc.args...)
			if len(tc.args) == 0 {
				args = append(args, "-q")
			}
			r := checkHostile(t, filepath.Dir(input), append(args, input)...)
			if tc.want != nil {
				assertModules(t, r.info, base, *tc.want)
			}
			tc.check(t, r)
		})
	}
}

// TestHostileIntrusionLogs checks hostile intrusion-log exports through the whole CLI:
// an export file of broken lines (nested 100,000 levels, cut, not JSON, control
// characters, invalid UTF-8, one line of 20 MB) among sound ones, and zips nested deeper
// than spytrace opens.
func TestHostileIntrusionLogs(t *testing.T) {
	iocs := androidIndicators(t)
	files, _, err := fixture.ScenarioIntrusionLogs(true)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, extra map[string][]byte) string {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "intrusion_logs")
		for name, f := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range extra {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	sound := write(t, nil)
	base := soundTwin(t, filepath.Dir(sound), "android", "check-intrusion-logs", "-q", "-i", iocs, sound)

	t.Run("broken lines", func(t *testing.T) {
		broken := strings.Join([]string{
			strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000),
			`{"eventType":"DNS_EVENT","timestamp":`,
			"not json at all \x1b[2J\x1b]0;title\x07",
			`{"eventType":"\xff\xfe\u202e","timestamp":1}`,
			`{"payload":"` + strings.Repeat("x", 20<<20) + `"}`,
		}, "\n") + "\n"
		dir := write(t, map[string][]byte{"exported-events-99.txt": []byte(broken)})
		r := checkHostile(t, filepath.Dir(dir), "android", "check-intrusion-logs", "-v", "-i", iocs, dir)
		// Every module reads every export file: each says which lines it skipped, and
		// keeps the records of the sound files.
		lines := []string{"exported-events-99.txt: line 1", "line 2: not a JSON object: JSON cut short", "line 5: longer than"}
		assertModules(t, r.info, base, hostileExpect{affected: map[string][]string{"dns_event": lines, "connect_event": lines, "security_event": lines}})
		for _, name := range []string{"dns_event", "connect_event", "security_event"} {
			if got, _ := r.info.module(name); got.Records == 0 {
				t.Errorf("%s kept no record of the sound files", name)
			} else if want, _ := base.module(name); got.Records != want.Records {
				t.Errorf("%s: %d records, want the sound export's %d", name, got.Records, want.Records)
			}
		}
		assertNoRawControls(t, r)
	})
	t.Run("zips nested deeper than opened", func(t *testing.T) {
		data := []byte("{}\n")
		name := "exported-events-01.txt"
		for i := range 6 {
			z, err := fixture.ZipWith(map[string][]byte{name: data}, fixture.ZipOptions{})
			if err != nil {
				t.Fatal(err)
			}
			data, name = z, strings.Repeat("z", i+1)+".zip"
		}
		dir := filepath.Join(t.TempDir(), "in")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "intrusion_logs.zip")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := checkHostile(t, dir, "android", "check-intrusion-logs", "-q", "-i", iocs, p)
		assertProblem(t, r.info, "limit_reached", "nested more than 3 deep")
		assertAlert(t, r, "limit/acquisition")
	})
}
