package check_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/ioc"
)

func index() *ioc.Index {
	b := ioc.NewBuilder()
	f := &ioc.File{Path: "feeds/pegasus.stix2", Name: "pegasus.stix2", SHA256: strings.Repeat("a", 64)}
	col := &ioc.Collection{ID: "malware--1", Name: "Pegasus", File: f}
	for _, ind := range []*ioc.Indicator{
		{ID: "indicator--d", Kind: ioc.Domain, Value: "free247downloads.com", Collection: col},
		{ID: "indicator--p", Kind: ioc.Process, Value: "bh", Collection: col},
		{ID: "indicator--e", Kind: ioc.Email, Value: "bogaardlisa803@gmail.com", Collection: col},
		{ID: "indicator--f", Kind: ioc.FilePath, Value: "/private/var/db/com.apple.xpc.roleaccountd.staging/subridged", Collection: col},
		{ID: "indicator--n", Kind: ioc.FileName, Value: "roleaccountd.plist", Collection: col},
		{ID: "indicator--c", Kind: ioc.ProfileID, Value: "76dab334-7e17-475d-a5d6-0794eb5818a5", Collection: col},
		{ID: "indicator--a", Kind: ioc.AppID, Value: "com.evil.app", Collection: col},
	} {
		b.Add(ind)
	}
	return b.Build()
}

func TestEnvHelpers(t *testing.T) {
	env := check.NewEnv(index())
	at := time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		call      func(r *check.Reporter) bool
		wantCheck string
	}{
		{"url_subdomain", func(r *check.Reporter) bool {
			return env.URL(r, alert.Critical, "https://a.b.free247downloads.com:30495/x", "an SMS", at, nil)
		}, "ioc/domain"},
		{"url_lookalike", func(r *check.Reporter) bool {
			return env.URL(r, alert.Critical, "https://notfree247downloads.com/", "an SMS", at, nil)
		}, ""},
		{"process", func(r *check.Reporter) bool { return env.Process(r, alert.Critical, "bh", "DataUsage", at, nil) }, "ioc/process"},
		{"process_other", func(r *check.Reporter) bool { return env.Process(r, alert.Critical, "bhx", "DataUsage", at, nil) }, ""},
		{"email_mailto", func(r *check.Reporter) bool {
			return env.Email(r, alert.Critical, "mailto:BogaardLisa803@gmail.com", "a lookup", at, nil)
		}, "ioc/email"},
		{"file_path_below", func(r *check.Reporter) bool {
			return env.FilePath(r, alert.High, "/private/var/db/com.apple.xpc.roleaccountd.staging/subridged/x", "Manifest.db", at, nil)
		}, "ioc/file_path"},
		{"file_name_only", func(r *check.Reporter) bool {
			return env.FilePath(r, alert.High, "/private/var/mobile/Library/Preferences/roleaccountd.plist", "Manifest.db", at, nil)
		}, "ioc/file_name"},
		{"file_sibling", func(r *check.Reporter) bool {
			return env.FilePath(r, alert.High, "/private/var/db/com.apple.xpc.roleaccountd.staging/subridgedx", "Manifest.db", at, nil)
		}, ""},
		{"profile_uppercase", func(r *check.Reporter) bool {
			return env.ProfileID(r, alert.Critical, "76DAB334-7E17-475D-A5D6-0794EB5818A5", "a profile", at, nil)
		}, "ioc/profile"},
		{"app_id", func(r *check.Reporter) bool { return env.AppID(r, alert.Critical, "com.evil.app", "TCC", at, nil) }, "ioc/app_id"},
		{"domain_host", func(r *check.Reporter) bool {
			return env.Domain(r, alert.High, "x.free247downloads.com", "a path", at, nil)
		}, "ioc/domain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []alert.Alert
			r := check.NewReporter("mod", func(a alert.Alert) { got = append(got, a) })
			hit := tc.call(r)
			if hit != (tc.wantCheck != "") || len(got) != map[bool]int{true: 1, false: 0}[hit] {
				t.Fatalf("hit = %v, alerts = %v; want check %q", hit, got, tc.wantCheck)
			}
			if !hit {
				return
			}
			a := got[0]
			if a.Check != tc.wantCheck || a.Module != "mod" || a.Indicator == nil || a.Indicator.Name != "Pegasus" ||
				a.Indicator.STIX2FileName != "pegasus.stix2" || a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" ||
				!a.EventTime.Equal(at) || !strings.Contains(a.Message, `from "Pegasus" (pegasus.stix2)`) {
				t.Errorf("alert = %+v", a)
			}
		})
	}
}

func TestHeuristicRaise(t *testing.T) {
	h := check.Heuristic{ID: "x/y", Level: alert.Medium, Meaning: "m", FalsePositive: "f", Advice: "a"}
	var got []alert.Alert
	r := check.NewReporter("x", func(a alert.Alert) { got = append(got, a) })
	h.Raise(r, "found", time.Time{}, map[string]int{"k": 1})
	h.RaiseAt(r, alert.High, "worse", time.Time{}, nil)
	if len(got) != 2 || got[0].Level != alert.Medium || got[1].Level != alert.High || got[0].Check != "x/y" || got[0].Indicator != nil || got[0].Module != "x" {
		t.Errorf("alerts = %+v", got)
	}
}

func TestEmptyEnv(t *testing.T) {
	env := check.NewEnv(nil)
	r := check.NewReporter("x", func(alert.Alert) { t.Error("an empty index matched") })
	if env.URL(r, alert.Critical, "https://example.org", "", time.Time{}, nil) {
		t.Error("match with no indicators")
	}
}
