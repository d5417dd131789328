package bugreport

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var dashes = strings.Repeat("-", 79)

// texts returns name → section text.
func texts(text []byte, res SplitResult) map[string]string {
	out := map[string]string{}
	for _, s := range res.Sections {
		out[s.Name] = string(text[s.Start:s.End])
	}
	return out
}

func problemKinds(res SplitResult) []string {
	var out []string
	for _, p := range res.Problems {
		out = append(out, p.Kind)
	}
	return out
}

func TestSplitExact(t *testing.T) {
	text := strings.Join([]string{
		"========================================================",
		"== dumpstate: 2024-03-14 10:00:00",
		"========================================================",
		"",
		"Build: UP1A.231005.007",
		"Build fingerprint: 'google/shiba/shiba:14/UP1A.231005.007/10754064:user/release-keys'",
		"Bugreport format version: 2.0",
		"",
		"------ DUMPSYS CRITICAL (/system/bin/dumpsys) ------",
		dashes,
		"DUMP OF SERVICE CRITICAL cpuinfo:",
		"Load: 7.2 / 6.9 / 6.8",
		"--------- 0.052s was the duration of dumpsys cpuinfo, ending at: 2024-03-14 10:00:01",
		dashes,
		"DUMP OF SERVICE CRITICAL activity:",
		"  mFocusedApp=null",
		"--------- 0.010s was the duration of dumpsys activity, ending at: 2024-03-14 10:00:01",
		"------ 0.2s was the duration of 'DUMPSYS CRITICAL' ------",
		"------ DUMPSYS HIGH (/system/bin/dumpsys) ------",
		dashes,
		"DUMP OF SERVICE HIGH meminfo:",
		"Total RAM: 7,612,228K (status normal)",
		"--------- 0.3s was the duration of dumpsys meminfo, ending at: 2024-03-14 10:00:02",
		"------ 0.3s was the duration of 'DUMPSYS HIGH' ------",
		"------ SYSTEM PROPERTIES (getprop) ------",
		"[persist.sys.timezone]: [Europe/Paris]",
		"[ro.build.version.sdk]: [34]",
		"------ 0.048s was the duration of 'SYSTEM PROPERTIES' ------",
		"------ DUMPSYS (/system/bin/dumpsys) ------",
		dashes,
		"DUMP OF SERVICE activity:",
		"ACTIVITY MANAGER SETTINGS (dumpsys activity settings)",
		dashes, // activity prints dashes between its parts: text
		"ACTIVITY MANAGER PENDING INTENTS (dumpsys activity intents)",
		"DUMP OF SERVICE package:", // not after a separator: text
		"  (nothing)",
		"--------- 0.4s was the duration of dumpsys activity, ending at: 2024-03-14 10:00:03",
		dashes,
		"DUMP OF SERVICE android.hardware.power.IPower/default:",
		"HintSessionPreferredRate: 16666666",
		"--------- 0.001s was the duration of dumpsys android.hardware.power.IPower/default, ending at: 2024-03-14 10:00:03",
		dashes,
		"DUMP OF SERVICE adb:\r",
		"ADB MANAGER STATE (dumpsys adb):\r",
		"{\r",
		"  debugging_manager={\r",
		"    connected_to_adb=true\r",
		"  }\r",
		"}\r",
		"--------- 0.001s was the duration of dumpsys adb, ending at: 2024-03-14 10:00:03\r",
		dashes,
		"DUMP OF SERVICE package:",
		"Verifiers:",
		"  Required: com.android.vending (uid=10019)",
		"--------- 0.9s was the duration of dumpsys package, ending at: 2024-03-14 10:00:04",
		dashes,
		"DUMP OF SERVICE package:",
		"Packages:",
		"  Package [com.example.second] (3b1f2e4):",
		dashes,
		"DUMP OF SERVICE dbinfo:",
		"Applications Database Info:",
		"",
		"** Database info for pid 8817 [com.example] **",
		"",
	}, "\n")
	res := Split([]byte(text), false, 0)
	got := texts([]byte(text), res)
	want := map[string]string{
		"dumpstate_header": "========================================================\n== dumpstate: 2024-03-14 10:00:00\n" +
			"========================================================\n\nBuild: UP1A.231005.007\n" +
			"Build fingerprint: 'google/shiba/shiba:14/UP1A.231005.007/10754064:user/release-keys'\n" +
			"Bugreport format version: 2.0\n\n",
		"dumpsys-critical/cpuinfo":  "Load: 7.2 / 6.9 / 6.8\n",
		"dumpsys-critical/activity": "  mFocusedApp=null\n",
		"dumpsys-high/meminfo":      "Total RAM: 7,612,228K (status normal)\n",
		"system_properties":         "[persist.sys.timezone]: [Europe/Paris]\n[ro.build.version.sdk]: [34]\n",
		"dumpsys/activity": "ACTIVITY MANAGER SETTINGS (dumpsys activity settings)\n" + dashes + "\n" +
			"ACTIVITY MANAGER PENDING INTENTS (dumpsys activity intents)\nDUMP OF SERVICE package:\n  (nothing)\n",
		"dumpsys/android.hardware.power.IPower%2Fdefault": "HintSessionPreferredRate: 16666666\n",
		"dumpsys/adb":       "ADB MANAGER STATE (dumpsys adb):\r\n{\r\n  debugging_manager={\r\n    connected_to_adb=true\r\n  }\r\n}\r\n",
		"dumpsys/package":   "Verifiers:\n  Required: com.android.vending (uid=10019)\n",
		"dumpsys/package~2": "Packages:\n  Package [com.example.second] (3b1f2e4):\n",
		"dumpsys/dbinfo":    "Applications Database Info:\n\n** Database info for pid 8817 [com.example] **\n",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sections (-want +got):\n%s", d)
	}
	var order []string
	for _, s := range res.Sections {
		order = append(order, s.Name)
	}
	wantOrder := []string{"dumpstate_header", "dumpsys-critical/cpuinfo", "dumpsys-critical/activity", "dumpsys-high/meminfo",
		"system_properties", "dumpsys/activity", "dumpsys/android.hardware.power.IPower%2Fdefault", "dumpsys/adb",
		"dumpsys/package", "dumpsys/package~2", "dumpsys/dbinfo"}
	if d := cmp.Diff(wantOrder, order); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"embedded_header", "duplicate_section"}, problemKinds(res)); d != "" {
		t.Errorf("problems (-want +got):\n%s\n%v", d, res.Problems)
	}
	if res.DumpstateTime != "2024-03-14 10:00:00" || res.Build != "UP1A.231005.007" ||
		res.BuildFingerprint != "google/shiba/shiba:14/UP1A.231005.007/10754064:user/release-keys" || res.FormatVersion != "2.0" {
		t.Errorf("header facts: %+v", res)
	}
	pkg2 := res.Sections[9]
	if pkg2.Service != "package" || pkg2.Occurrence != 2 || pkg2.Priority != "" || pkg2.Line != 57 {
		t.Errorf("package~2: %+v", pkg2)
	}
	crit := res.Sections[2]
	if crit.Service != "activity" || crit.Priority != "CRITICAL" || crit.Occurrence != 1 {
		t.Errorf("critical activity: %+v", crit)
	}
}

// Sections cut by hand, as MVT's test files are: no separators, so every header
// starts a section; a section ends at the next header or at the end.
func TestSplitWithoutSeparators(t *testing.T) {
	text := "DUMP OF SERVICE dbinfo:\nApplications Database Info:\nDUMP OF SERVICE platform_compat:\nChangeId(168419799; name=DOWNSCALED; disabled)\n--------- 0.012s was the duration of dumpsys platform_compat, ending at: 2025-02-04 20:25:58"
	res := Split([]byte(text), false, 0)
	want := map[string]string{
		"dumpsys/dbinfo":          "Applications Database Info:\n",
		"dumpsys/platform_compat": "ChangeId(168419799; name=DOWNSCALED; disabled)\n",
	}
	if d := cmp.Diff(want, texts([]byte(text), res)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if len(res.Problems) != 0 {
		t.Errorf("problems: %v", res.Problems)
	}
}

// Before Android 8 dumpsys printed no footer: a section ends at the separator before
// the next header, and the last one at dumpstate's next line; a separator as the last
// line, or the end of the text, ends a section too.
func TestSplitWithoutFooters(t *testing.T) {
	text := strings.Join([]string{
		"------ DUMPSYS (dumpsys) ------",
		dashes,
		"DUMP OF SERVICE accessibility:",
		"ACCESSIBILITY MANAGER (dumpsys accessibility)",
		dashes,
		"DUMP OF SERVICE appops:",
		"Current AppOps Service state:",
		"------ 20.1s was the duration of 'DUMPSYS' ------",
		"------ APP SERVICES (dumpsys activity service all-non-platform) ------",
		dashes,
		"DUMP OF SERVICE batterystats:",
		"Daily stats:",
		dashes,
		"",
	}, "\n")
	res := Split([]byte(text), false, 0)
	want := map[string]string{
		"dumpsys/accessibility": "ACCESSIBILITY MANAGER (dumpsys accessibility)\n",
		"dumpsys/appops":        "Current AppOps Service state:\n",
		"dumpsys/batterystats":  "Daily stats:\n",
	}
	if d := cmp.Diff(want, texts([]byte(text), res)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	// No separator, no footer, no final newline: the section ends with the text.
	text = dashes + "\nDUMP OF SERVICE adb:\nADB MANAGER STATE (dumpsys adb):\n{\n}"
	res = Split([]byte(text), true, 0)
	if d := cmp.Diff(map[string]string{"dumpsys/adb": "ADB MANAGER STATE (dumpsys adb):\n{\n}"}, texts([]byte(text), res)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if !res.Sections[0].Truncated {
		t.Errorf("a section open at the cut of a truncated text must be marked: %+v", res.Sections[0])
	}
}

// A footer of another service, or lines that only look like headers, stay in the text.
func TestSplitLookalikes(t *testing.T) {
	text := strings.Join([]string{
		dashes,
		"DUMP OF SERVICE appops:",
		"--------- 0.1s was the duration of dumpsys package, ending at: 2024-03-14 10:00:00",
		"  DUMP OF SERVICE package:",
		"DUMP OF SERVICE two words:",
		"DUMP OF SERVICE :",
		"DUMP OF SERVICE CRITICAL:",
		"------- seven dashes",
		"--------- 0.1s was the duration of dumpsys appops, ending at: 2024-03-14 10:00:00",
	}, "\n")
	res := Split([]byte(text), false, 0)
	want := map[string]string{"dumpsys/appops": strings.Join([]string{
		"--------- 0.1s was the duration of dumpsys package, ending at: 2024-03-14 10:00:00",
		"  DUMP OF SERVICE package:",
		"DUMP OF SERVICE two words:",
		"DUMP OF SERVICE :",
		"DUMP OF SERVICE CRITICAL:", // a header of a service named CRITICAL, not after a separator
		"------- seven dashes",
	}, "\n") + "\n"}
	if d := cmp.Diff(want, texts([]byte(text), res)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"embedded_header"}, problemKinds(res)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func TestSplitInvalidUTF8AndNames(t *testing.T) {
	text := dashes + "\nDUMP OF SERVICE we\xffird%~name:\nbytes \xfe\xff kept\n" + dashes + "\nDUMP OF SERVICE ..:\nx\n"
	res := Split([]byte(text), false, 0)
	want := map[string]string{
		"dumpsys/we%FFird%25%7Ename": "bytes \xfe\xff kept\n",
		"dumpsys/%2E%2E":             "x\n",
	}
	if d := cmp.Diff(want, texts([]byte(text), res)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if res.Sections[0].Service != "we\xffird%~name" {
		t.Errorf("service kept as printed: %q", res.Sections[0].Service)
	}
}

func TestSplitMaxSections(t *testing.T) {
	var b strings.Builder
	for _, s := range []string{"a", "b", "c", "d"} {
		b.WriteString(dashes + "\nDUMP OF SERVICE " + s + ":\n" + s + "\n")
	}
	text := b.String()
	res := Split([]byte(text), false, 2)
	want := map[string]string{"dumpsys/a": "a\n", "dumpsys/b": "b\n"}
	if d := cmp.Diff(want, texts([]byte(text), res)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"limit_reached"}, problemKinds(res)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

// A line of several megabytes needs no special handling.
func TestSplitHugeLine(t *testing.T) {
	huge := strings.Repeat("x", 8<<20)
	text := dashes + "\nDUMP OF SERVICE package:\nshort\n" + huge + "\n" + dashes + "\nDUMP OF SERVICE adb:\n" + huge
	res := Split([]byte(text), false, 0)
	got := texts([]byte(text), res)
	if got["dumpsys/package"] != "short\n"+huge+"\n" || got["dumpsys/adb"] != huge {
		t.Errorf("sections: %d, package %d bytes, adb %d bytes", len(got), len(got["dumpsys/package"]), len(got["dumpsys/adb"]))
	}
}

func TestEscapeName(t *testing.T) {
	for in, want := range map[string]string{
		"package":                               "package",
		"android.hardware.power.IPower/default": "android.hardware.power.IPower%2Fdefault",
		"a%b~c d":                               "a%25b%7Ec%20d",
		".":                                     "%2E",
		"..":                                    "%2E%2E",
		"...":                                   "...",
		"é\x00\xff":                             "é%00%FF",
		`a\b`:                                   "a%5Cb",
	} {
		got := EscapeName(in)
		if got != want {
			t.Errorf("EscapeName(%q) = %q, want %q", in, got, want)
		}
		if !fs.ValidPath("@sections/dumpsys/" + got) {
			t.Errorf("EscapeName(%q) = %q is not a valid element", in, got)
		}
	}
	if DumpsysName("android.hardware.power.IPower/default") != "@sections/dumpsys/android.hardware.power.IPower%2Fdefault" {
		t.Error(DumpsysName("android.hardware.power.IPower/default"))
	}
}

// Problems about repeated sections are bounded: 20 one by one, then a count.
func TestSplitManyDuplicates(t *testing.T) {
	text := strings.Repeat(dashes+"\nDUMP OF SERVICE package:\nPackages:\n", 26)
	res := Split([]byte(text), false, 0)
	if len(res.Sections) != 26 || res.Sections[25].Name != "dumpsys/package~26" {
		t.Fatalf("%d sections, last %+v", len(res.Sections), res.Sections[len(res.Sections)-1])
	}
	if len(res.Problems) != 21 || res.Problems[20].Message != "5 more sections appear again, served with ~N names" {
		t.Errorf("%d problems: %v", len(res.Problems), res.Problems[len(res.Problems)-1])
	}
}
