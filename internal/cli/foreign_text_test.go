package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/taxii/taxiitest"
)

// hostileText holds what a feed, a results folder or a file name may carry to drive
// the analyst's terminal: a clear-screen sequence, a window-title sequence, a C1
// control, a right-to-left override and bytes that are not UTF-8.
const hostileText = "A\x1b[2J\x1b]0;pwned\x07B\u009bC\u202eD\xff\xfe"

// firstRawControl returns the offset of the first byte of text that could drive a
// terminal (a control character other than newline and tab, DEL, a C1 control, a
// bidirectional override, invalid UTF-8), or -1.
func firstRawControl(text string) int {
	for i, r := range text {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return i
		case r == '\u202e' || r == '\u202d' || r == '\u2066' || r == '\u2067':
			return i
		case r == '\ufffd' && !strings.HasPrefix(text[i:], "\ufffd"):
			return i // invalid UTF-8 (ranging gives U+FFFD for it)
		}
	}
	return -1
}

// assertNoRawControl fails the test when text holds a raw control (firstRawControl).
func assertNoRawControl(t *testing.T, what, text string) {
	t.Helper()
	if i := firstRawControl(text); i >= 0 {
		t.Errorf("%s holds a raw control at %d: …%q…", what, i, text[max(0, i-40):min(len(text), i+40)])
	}
}

// TestForeignTextNeutralised: the text spytrace prints that comes from outside (a TAXII
// server's collection titles, the names and contents of results folders re-checked)
// reaches the terminal with its control characters escaped. (Evidence names and
// records are covered by the hostile-evidence suite.)
func TestForeignTextNeutralised(t *testing.T) {
	t.Run("TAXII collection titles", func(t *testing.T) {
		col := &taxiitest.Collection{ID: taxiiTestCol, Title: "Spyware " + hostileText}
		col.Objects = []taxiitest.Object{{Added: taxiiT0, JSON: taxiitest.Indicator(0, "c2-0.example", taxiiT0)}}
		s := taxiitest.New(col)
		t.Cleanup(s.Close)
		data := t.TempDir()
		for _, args := range [][]string{
			{"iocs", "pull-taxii", s.URL},
			{"iocs", "pull-taxii", s.URL, "--collection", taxiiTestCol},
			{"iocs", "list"},
		} {
			code, stdout, stderr := runWithData(t, data, args...)
			if code != ExitClean || !strings.Contains(stdout, "Spyware A") {
				t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
			}
			assertNoRawControl(t, strings.Join(args, " ")+" stdout", stdout)
			assertNoRawControl(t, strings.Join(args, " ")+" stderr", stderr)
		}
	})
	t.Run("results folders re-checked", func(t *testing.T) {
		cases := t.TempDir()
		writeFiles(t, filepath.Join(cases, "mvt "+hostileText), mvtIOSCase)
		writeFiles(t, filepath.Join(cases, "damaged "+hostileText), map[string]string{"info.json": `{"mvt_version": "2.6.1` + hostileText + `", "date": `})
		iocs := writeIndicators(t, "new.stix2", "[domain-name:value = 'parcel-track.example']")
		code, stdout, stderr := runRecheck(t, nil, "check-iocs", "--no-default-iocs", "-i", iocs, cases)
		if code != ExitAlerts || strings.Count(stdout, "\n") != 2 || !strings.Contains(stdout, "mvt A") || !strings.Contains(stdout, "damaged A") {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		assertNoRawControl(t, "check-iocs stdout", stdout)
		assertNoRawControl(t, "check-iocs stderr", stderr)
	})
}
