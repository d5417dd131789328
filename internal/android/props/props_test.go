package props_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/android/props"
)

func TestParse(t *testing.T) {
	text := "[dalvik.vm.heapsize]: [512m]\r\n\n" +
		"[persist.sys.timezone]: [Europe/Zurich]\n" +
		"[ro.empty]: []\n" +
		"junk line\n" +
		"[ro.multi]: [line one\nline two]\n" +
		"[ro.build.version.security_patch]: [2024-02-05]\n" +
		"[ro.open]: [never closed\n" +
		"[ro.after]: [x]y]\n"
	got, problems := props.Parse([]byte(text))
	want := props.Props{
		{"dalvik.vm.heapsize", "512m"},
		{"persist.sys.timezone", "Europe/Zurich"},
		{"ro.empty", ""},
		{"ro.multi", "line one\nline two"},
		{"ro.build.version.security_patch", "2024-02-05"},
		{"ro.after", "x]y"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("props (-want +got):\n%s", diff)
	}
	if len(problems) != 1 {
		t.Errorf("problems = %q, want one about ro.open", problems)
	}
	loc, name, ok := got.Zone()
	if !ok || name != "Europe/Zurich" || loc.String() != "Europe/Zurich" {
		t.Errorf("zone = %v %q %v", loc, name, ok)
	}
	patch, ok := got.SecurityPatch()
	if !ok || !patch.Equal(time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("patch = %v %v", patch, ok)
	}
}

func TestZoneRefused(t *testing.T) {
	for _, z := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "/etc/localtime"} {
		if _, _, ok := (props.Props{{props.TimezoneName, z}}).Zone(); ok {
			t.Errorf("zone %q accepted", z)
		}
	}
	if _, _, ok := (props.Props{}).Zone(); ok {
		t.Error("zone without the property")
	}
}

func TestParseJSON(t *testing.T) {
	want := props.Props{{"a.b", "1"}, {"c.d", "x"}}
	for _, in := range []string{
		`[{"name":"a.b","value":"1"},{"name":"c.d","value":"x"},{"name":"","value":"dropped"}]`,
		`{"c.d":"x","a.b":1}`,
	} {
		got, err := props.ParseJSON([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", in, diff)
		}
	}
	for _, bad := range []string{"", "3", "[1,2]", "{"} {
		if _, err := props.ParseJSON([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestDumpstateTime(t *testing.T) {
	h := "========================================================\n== dumpstate: 2024-03-14 10:00:00\n========\nBuild: x\n"
	tm, text, ok := props.DumpstateTime([]byte(h))
	if !ok || text != "2024-03-14 10:00:00" || !tm.Equal(time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("got %v %q %v", tm, text, ok)
	}
	if _, _, ok := props.DumpstateTime([]byte("== dumpstate: soon\n")); ok {
		t.Error("bad date accepted")
	}
	zurich, _ := time.LoadLocation("Europe/Zurich")
	if got := props.InZone(tm, zurich); !got.Equal(time.Date(2024, 3, 14, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("InZone = %v", got)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"+1d2h3m4s5ms", 26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond, true},
		{"-4h50m23s772ms", -(4*time.Hour + 50*time.Minute + 23*time.Second + 772*time.Millisecond), true},
		{"+30s0ms", 30 * time.Second, true},
		{"0", 0, true},
		{"11d 12h 30m 0s 400ms", 11*24*time.Hour + 12*time.Hour + 30*time.Minute + 400*time.Millisecond, true},
		{"+47s645ms", 47*time.Second + 645*time.Millisecond, true},
		{"", 0, false},
		{"+", 0, false},
		{"5", 0, false},
		{"1s2h", 0, false},
		{"1x", 0, false},
		{"99999999999d", 0, false},
	}
	for _, tt := range tests {
		got, ok := props.ParseDuration(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[a]: [b]\n[c]: [d\ne]\n\n[f]: []"))
	f.Add([]byte("[x]: [open\n[y]: [z]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _ := props.Parse(data)
		p.Zone()
		p.SecurityPatch()
		props.ParseJSON(data)
		props.DumpstateTime(data)
		props.ParseDuration(string(data))
	})
}
