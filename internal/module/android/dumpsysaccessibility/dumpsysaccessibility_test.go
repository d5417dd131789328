package dumpsysaccessibility_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysaccessibility"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

const malware = "com.malware.accessibility/com.malware.service.MalwareService"

// run runs the module over an accessibility section and, unless pkgs is nil, a
// package section.
func run(t *testing.T, spec fixture.AndroidAccessibilitySpec, pkgs *fixture.AndroidPackageSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	files := fstest.MapFS{fixture.AndroidAccessibilitySection: {Data: fixture.AccessibilitySectionText(spec)}}
	if pkgs != nil {
		files[fixture.AndroidPackageSection] = &fstest.MapFile{Data: fixture.PackageSectionText(*pkgs)}
	}
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), ix, dumpsysaccessibility.New())
}

func TestRecordsOldFormat(t *testing.T) {
	spec := fixture.SampleAndroidAccessibility()
	spec.Installed = append(spec.Installed, "com.agilebits.onepassword/.filling.FillingService")
	spec.Enabled = []string{fixture.AndroidTalkBack}
	pkgs := fixture.SampleAndroidPackages(now, 2, 1)
	pkgs.Packages = append(pkgs.Packages, fixture.AndroidPackage{Name: "com.agilebits.onepassword", UID: 10400, Installer: fixture.AndroidPlayStore})
	o := run(t, spec, &pkgs, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{
		{"package_name": "com.google.android.marvin.talkback", "service": fixture.AndroidTalkBack, "enabled": true, "system": true},
		{"package_name": "com.google.android.marvin.talkback", "service": "com.google.android.marvin.talkback/com.android.switchaccess.SwitchAccessService", "enabled": false, "system": true},
		{"package_name": "com.agilebits.onepassword", "service": "com.agilebits.onepassword/.filling.FillingService", "enabled": false, "system": false},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// The password manager offers a service but has not enabled it: LOW only.
	got := o.AlertsOf(dumpsysaccessibility.OfferedService.ID)
	if len(got) != 1 || got[0].Level != alert.Low || len(o.Alerts) != 1 || !strings.Contains(got[0].Message, "not a system app") {
		t.Errorf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsysaccessibility.New())
}

func TestRecordsModernFormat(t *testing.T) {
	spec := fixture.AndroidAccessibilitySpec{Modern: true, Enabled: []string{malware, "com.azure.authenticator/com.microsoft.brooklyn.module.accessibility.BrooklynAccessibilityService"}}
	o := run(t, spec, nil, nil)
	want := []map[string]any{
		{"package_name": "com.malware.accessibility", "service": malware, "enabled": true, "system": nil},
		{"package_name": "com.azure.authenticator", "service": "com.azure.authenticator/com.microsoft.brooklyn.module.accessibility.BrooklynAccessibilityService", "enabled": true, "system": nil},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	got := o.AlertsOf(dumpsysaccessibility.EnabledService.ID)
	if len(got) != 2 || got[0].Level != alert.Medium || !strings.Contains(got[0].Message, "missing from the package list") {
		t.Errorf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsysaccessibility.New())
}

func TestEnabledService(t *testing.T) {
	spec := fixture.SampleAndroidAccessibility()
	fixture.PlantAndroidAccessibilityService(&spec, malware)
	pkgs := fixture.SampleAndroidPackages(now, 3, 2)
	o := run(t, spec, &pkgs, nil)
	got := o.AlertsOf(dumpsysaccessibility.EnabledService.ID)
	if len(got) != 1 || got[0].Level != alert.Medium || len(o.Alerts) != 1 || !strings.Contains(got[0].Message, malware) {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	// False positive: an enabled service of a system app, even in the modern format.
	spec = fixture.AndroidAccessibilitySpec{Modern: true, Enabled: []string{fixture.AndroidTalkBack}}
	if o := run(t, spec, &pkgs, nil); len(o.Alerts) != 0 || len(o.List(t)) != 1 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func TestIndicator(t *testing.T) {
	spec := fixture.AndroidAccessibilitySpec{Modern: true}
	fixture.PlantAndroidAccessibilityService(&spec, malware)
	o := run(t, spec, nil, moduletest.Index("app_ids", "com.malware.accessibility"))
	got := o.AlertsOf("ioc/app_id")
	if len(got) != 1 || got[0].Level != alert.Critical {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index("app_ids", "com.malware.accessibility"), dumpsysaccessibility.New())
	o = run(t, fixture.SampleAndroidAccessibility(), nil, moduletest.Index("app_ids", "com.malware.accessibility"))
	if len(o.AlertsOf("ioc/app_id")) != 0 {
		t.Errorf("false positive: %+v", o.Alerts)
	}
}

func TestSampleIsClean(t *testing.T) {
	pkgs := fixture.SampleAndroidPackages(now, 10, 3)
	o := run(t, fixture.SampleAndroidAccessibility(), &pkgs, nil)
	if len(o.List(t)) != 2 || len(o.Alerts) != 0 {
		t.Errorf("records = %v, alerts = %+v", o.List(t), o.Alerts)
	}
}

func TestAbsentAndGarbage(t *testing.T) {
	pkgs := fstest.MapFS{fixture.AndroidPackageSection: {Data: fixture.PackageSectionText(fixture.SampleAndroidPackages(now, 1, 1))}}
	o := moduletest.Run(t, memfs.New(acquire.AndroidBugreport, pkgs), nil, dumpsysaccessibility.New())
	if o.Status.State != module.Skipped {
		t.Errorf("absent: status = %+v", o.Status)
	}
	files := fstest.MapFS{fixture.AndroidAccessibilitySection: {Data: []byte("\x00\xff\ninstalled services: {\n  garbage\n")}}
	o = moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), nil, dumpsysaccessibility.New())
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("garbage: status = %+v, records = %v", o.Status, o.List(t))
	}
}

// Both formats and their variants: labels in any case, one-line lists, a service
// listed as installed and enabled once, several users.
func TestParse(t *testing.T) {
	text := strings.Join([]string{
		"User state[attributes:{id=0",
		"  installed services: {",
		"    0 : a.b/.One",
		"    1 : c.d/.Two",
		"  }",
		"  Enabled Services: {",
		"    0 : c.d/.Two",
		"  }",
		"User state[attributes:{id=10",
		"  installed services: {{e.f/.Three}}",
		"     Enabled services:{{g.h/.Four}, {i.j/.Five}, {}, {broken",
		"     Bound services:{Service[label=x, feedbackType[FEEDBACK_SPOKEN]]}",
	}, "\n")
	want := []dumpsysaccessibility.Service{
		{Component: "a.b/.One"}, {Component: "c.d/.Two", Enabled: true}, {Component: "e.f/.Three"},
		{Component: "g.h/.Four", Enabled: true}, {Component: "i.j/.Five", Enabled: true},
	}
	if diff := cmp.Diff(want, dumpsysaccessibility.Parse([]byte(text))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseAccessibility(f *testing.F) {
	f.Add(fixture.AccessibilitySectionText(fixture.AndroidAccessibilitySpec{Installed: []string{"a/.b"}, Enabled: []string{"a/.b"}}))
	f.Add(fixture.AccessibilitySectionText(fixture.AndroidAccessibilitySpec{Modern: true, Enabled: []string{"a/.b", "c/.d"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[string]bool{}
		for _, s := range dumpsysaccessibility.Parse(data) {
			if s.Component == "" || seen[s.Component] {
				t.Fatalf("service %+v", s)
			}
			seen[s.Component] = true
		}
	})
}

// TestDecodeMVTRecord reads services the way MVT writes them into
// dumpsys_accessibility.json ({package_name, service}: the whole component from the old
// "installed services" list, the class alone from Android 14's "Enabled services") and
// checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("app_ids", "com.malware.accessibility")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"installed list", `{"package_name": "com.agilebits.onepassword", "service": "com.agilebits.onepassword/.filling.FillingService"}`,
			[]string{`dumpsys_accessibility/enabled-service Found an accessibility service "com.agilebits.onepassword/.filling.FillingService" of a package missing from the package list (whether it is enabled is not recorded)`}},
		{"enabled line", `{"package_name": "com.malware.accessibility", "service": "com.malware.service.MalwareService"}`, []string{
			`ioc/app_id Found a known suspicious app identifier "com.malware.accessibility" in an enabled accessibility service (` + malware + `)`,
			`dumpsys_accessibility/enabled-service Found an enabled accessibility service "` + malware + `" of a package missing from the package list`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysaccessibility.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
			})
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
