package iosrelease

import (
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTableIsConsistent(t *testing.T) {
	seenBuild := map[string]string{}
	seenVersion := map[string]bool{}
	for _, r := range All() {
		if r.Build == "" || r.Date.IsZero() {
			t.Errorf("%+v: missing build or date", r)
		}
		if v, dup := seenBuild[r.Build]; dup {
			t.Errorf("build %s listed for %s and %s", r.Build, v, r.Version)
		}
		seenBuild[r.Build] = r.Version
		if seenVersion[r.Version] {
			t.Errorf("version %s listed twice", r.Version)
		}
		seenVersion[r.Version] = true
	}
	// Within a line, a higher version is never published before a lower one.
	all := All()
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Line() == b.Line() && b.Date.Before(a.Date) {
			t.Errorf("%s (%s) published before %s (%s)", b.Version, b.Date.Format(time.DateOnly), a.Version, a.Date.Format(time.DateOnly))
		}
	}
	if len(all) < 150 {
		t.Errorf("only %d releases in the table", len(all))
	}
}

func TestParseRejectsBadLines(t *testing.T) {
	for _, s := range []string{"17.0\t21A329", "17.x\t21A329\t2023-09-18", "17.0\t21A329\t18/09/2023"} {
		if _, err := parse(s); err == nil {
			t.Errorf("parse(%q) accepted", s)
		}
	}
}

func TestNewestInLine(t *testing.T) {
	tests := []struct {
		line    int
		at      string
		want    string
		wantAny bool
	}{
		{17, "2024-02-08", "17.3.1", true},  // published that day: counts
		{17, "2024-02-07", "17.3", true},    // the day before
		{17, "2026-03-14", "17.7.2", true},  // the line ended in November 2024
		{16, "2024-08-10", "16.7.10", true}, // 16.7.10 sorts after 16.7.9
		{15, "2025-04-01", "15.8.4", true},
		{17, "2023-09-17", "", false}, // before iOS 17
		{99, "2026-01-01", "", false},
	}
	for _, tt := range tests {
		got, ok := NewestInLine(tt.line, day(tt.at).Add(15*time.Hour))
		if ok != tt.wantAny || got.Version != tt.want {
			t.Errorf("NewestInLine(%d, %s) = %q, %v; want %q, %v", tt.line, tt.at, got.Version, ok, tt.want, tt.wantAny)
		}
	}
}

func TestNewestLine(t *testing.T) {
	for at, want := range map[string]int{"2025-09-14": 18, "2025-09-15": 26, "2021-09-20": 15} {
		if got, _ := NewestLine(day(at)); got != want {
			t.Errorf("NewestLine(%s) = %d, want %d", at, got, want)
		}
	}
}

func TestLookups(t *testing.T) {
	if r, ok := ByBuild("21d61"); !ok || r.Version != "17.3.1" {
		t.Errorf("ByBuild(21d61) = %+v, %v", r, ok)
	}
	if r, ok := ByVersion("18"); !ok || r.Build != "22A3354" {
		t.Errorf("ByVersion(18) = %+v, %v", r, ok)
	}
	if _, ok := ByBuild("99Z999"); ok {
		t.Error("unknown build found")
	}
	if !Coverage().Equal(day("2025-11-03")) {
		t.Errorf("Coverage() = %s", Coverage())
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"17.10", "17.9", 1},
		{"17", "17.0.0", 0},
		{"16.5.1 (c)", "16.5.1", 0},
		{"16.5", "16.5.1", -1},
		{"garbage", "1.0", -1},
		{"1.0", "", 1},
		{"1.2.3.4", "1.2.3", -1}, // four parts: not a version
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if Line("17.3.1") != 17 || Line("x") != 0 || !Valid("26.1") || Valid("-1") {
		t.Error("Line/Valid")
	}
}
