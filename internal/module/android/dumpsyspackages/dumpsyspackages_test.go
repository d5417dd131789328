package dumpsyspackages_test

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
	"github.com/spytrace/spytrace/internal/module/android/dumpsyspackages"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	now    = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)
	berlin = fixture.AndroidSampleLocation()
	t1     = time.Date(2023, 7, 1, 8, 30, 0, 0, time.UTC) // 10:30 in Berlin
	t2     = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)  // 04:04:05 in Berlin
)

func run(t *testing.T, spec fixture.AndroidPackageSpec, zone string, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	files := fstest.MapFS{fixture.AndroidPackageSection: {Data: fixture.PackageSectionText(spec)}}
	if zone != "" {
		files[fixture.AndroidPropsSection] = &fstest.MapFile{Data: fixture.AndroidSystemProperties([]fixture.AndroidProp{
			{Name: "persist.sys.timezone", Value: zone}, {Name: "ro.build.version.sdk", Value: "34"}})}
	}
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), ix, dumpsyspackages.New())
}

func smallSpec() fixture.AndroidPackageSpec {
	return fixture.AndroidPackageSpec{Location: berlin, Packages: []fixture.AndroidPackage{
		{Name: "com.android.phone", UID: 1001, VersionName: "14", VersionCode: 34, System: true,
			Installed: time.Date(2008, 12, 31, 16, 0, 0, 0, time.UTC), Declared: []string{"com.android.phone.permission.X"}},
		{Name: "com.whatsapp", UID: 10123, VersionName: "2.24.5.76", VersionCode: 241576, MinSDK: 21, TargetSDK: 33,
			Installed: t1, Updated: t2, Installer: fixture.AndroidPlayStore, UserFirstInstall: true,
			Requested:        []string{"android.permission.INTERNET", "android.permission.READ_CONTACTS"},
			Install:          []fixture.AndroidPermissionGrant{{Name: "android.permission.INTERNET", Granted: true}},
			Runtime:          []fixture.AndroidPermissionGrant{{Name: "android.permission.READ_CONTACTS", Granted: true}},
			OtherUserRuntime: []fixture.AndroidPermissionGrant{{Name: "android.permission.CAMERA", Granted: true}}},
	}}
}

func TestRecords(t *testing.T) {
	o := run(t, smallSpec(), fixture.AndroidSampleZone, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{
		{
			"package_name": "com.android.phone", "uid": "1001", "version_name": "14", "version_code": "34",
			"timestamp": "2008-12-31 16:00:00.000000", "first_install_time": "2008-12-31 16:00:00.000000", "last_update_time": "2008-12-31 16:00:00.000000",
			"timestamp_local": "2008-12-31 17:00:00", "first_install_time_local": "2008-12-31 17:00:00", "last_update_time_local": "2008-12-31 17:00:00",
			"clock": "Europe/Berlin", "installer": nil, "system": true, "install_source": "system",
			"permissions":           []any{map[string]any{"name": "com.android.phone.permission.X", "type": "declared"}},
			"requested_permissions": []any{},
			"code_path":             "/system/app/phone", "min_sdk": "26", "target_sdk": "34",
		},
		{
			"package_name": "com.whatsapp", "uid": "10123", "version_name": "2.24.5.76", "version_code": "241576",
			"timestamp": "2024-01-02 03:04:05.000000", "first_install_time": "2023-07-01 08:30:00.000000", "last_update_time": "2024-01-02 03:04:05.000000",
			"timestamp_local": "2024-01-02 04:04:05", "first_install_time_local": "2023-07-01 10:30:00", "last_update_time_local": "2024-01-02 04:04:05",
			"clock": "Europe/Berlin", "installer": "com.android.vending", "system": false, "install_source": "play-store",
			"permissions": []any{
				map[string]any{"name": "android.permission.INTERNET", "granted": true, "type": "install"},
				map[string]any{"name": "android.permission.READ_CONTACTS", "granted": true, "type": "runtime"},
			},
			"requested_permissions": []any{"android.permission.INTERNET", "android.permission.READ_CONTACTS"},
			"code_path":             o.List(t)[1]["code_path"], "min_sdk": "21", "target_sdk": "33",
		},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if cp, _ := o.List(t)[1]["code_path"].(string); !strings.HasPrefix(cp, "/data/app/") {
		t.Errorf("code_path = %q", cp)
	}
	wantTL := []string{
		`"2008-12-31 16:00:00.000000","DumpsysPackages","package_first_install","Install or update of package com.android.phone"`,
		`"2008-12-31 16:00:00.000000","DumpsysPackages","package_install","Install or update of package com.android.phone"`,
		`"2008-12-31 16:00:00.000000","DumpsysPackages","package_last_update","Install or update of package com.android.phone"`,
		`"2023-07-01 08:30:00.000000","DumpsysPackages","package_first_install","Install or update of package com.whatsapp"`,
		`"2024-01-02 03:04:05.000000","DumpsysPackages","package_install","Install or update of package com.whatsapp"`,
		`"2024-01-02 03:04:05.000000","DumpsysPackages","package_last_update","Install or update of package com.whatsapp"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

// Without the device zone the times stay in the device's clock and off the timeline.
func TestZoneUnknown(t *testing.T) {
	for _, zone := range []string{"", "Not/AZone"} {
		o := run(t, smallSpec(), zone, nil)
		got := moduletest.Project(o.List(t), "timestamp", "first_install_time", "timestamp_local", "first_install_time_local", "clock")
		want := []map[string]any{
			{"timestamp": nil, "first_install_time": nil, "timestamp_local": "2008-12-31 17:00:00", "first_install_time_local": "2008-12-31 17:00:00", "clock": "device local, zone unknown"},
			{"timestamp": nil, "first_install_time": nil, "timestamp_local": "2024-01-02 04:04:05", "first_install_time_local": "2023-07-01 10:30:00", "clock": "device local, zone unknown"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("zone %q (-want +got):\n%s", zone, diff)
		}
		if len(o.Timeline) != 0 {
			t.Errorf("zone %q: timeline = %v", zone, o.Timeline)
		}
	}
}

func TestAbsent(t *testing.T) {
	props := fixture.AndroidSystemProperties([]fixture.AndroidProp{{Name: "persist.sys.timezone", Value: "UTC"}})
	for name, files := range map[string]fstest.MapFS{
		"nothing":          {"main_entry.txt": {Data: []byte("dumpstate.txt")}},
		"properties alone": {fixture.AndroidPropsSection: {Data: props}},
	} {
		o := moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), nil, dumpsyspackages.New())
		if o.Status.State != module.Skipped {
			t.Errorf("%s: status = %+v, want skipped", name, o.Status)
		}
	}
}

// A section without a package list, or garbage, gives no records and no failure.
func TestGarbage(t *testing.T) {
	for _, data := range []string{"", "Packages:", "\x00\xff\xfe garbage\nPackages:\n  Package [\n  Package []\n    userId=\n", "Activity Resolver Table:\n"} {
		files := fstest.MapFS{fixture.AndroidPackageSection: {Data: []byte(data)}}
		o := moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), nil, dumpsyspackages.New())
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Errorf("%q: status = %+v, records = %v", data, o.Status, o.List(t))
		}
	}
}

func TestIndicator(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 5, 1)
	fixture.PlantAndroidIndicatorPackage(&spec, "com.spy.agent", t1)
	o := run(t, spec, fixture.AndroidSampleZone, moduletest.Index("app_ids", "com.spy.agent"))
	got := o.AlertsOf("ioc/app_id")
	if len(got) != 1 || got[0].Level != alert.Critical || got[0].Indicator.Value != "com.spy.agent" || !got[0].EventTime.Equal(t1) {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	if len(o.Alerts) != 1 {
		t.Errorf("other alerts: %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index("app_ids", "com.spy.agent"), dumpsyspackages.New())
	// False positive: a package whose name only starts like the indicator.
	o = run(t, spec, fixture.AndroidSampleZone, moduletest.Index("app_ids", "com.spy"))
	if len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func TestRootPackage(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 3, 2)
	fixture.PlantAndroidRootPackage(&spec, t1)
	fixture.PlantAndroidRootPackage(&spec, t2) // listed twice: one alert
	o := run(t, spec, fixture.AndroidSampleZone, moduletest.Index("app_ids", fixture.AndroidRootPackage))
	got := o.AlertsOf(dumpsyspackages.RootPackage.ID)
	if len(got) != 1 || got[0].Level != alert.Medium || !strings.Contains(got[0].Message, fixture.AndroidRootPackage) {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	if n := len(o.AlertsOf("ioc/app_id")); n != 2 {
		t.Errorf("indicator alerts = %d, want 2 (the check runs on rooting apps too)", n)
	}
	moduletest.Reload(t, o, moduletest.Index("app_ids", fixture.AndroidRootPackage), dumpsyspackages.New())
	// False positive: a name that only contains a rooting app's name.
	spec = fixture.SampleAndroidPackages(now, 3, 2)
	fixture.PlantAndroidIndicatorPackage(&spec, "com.topjohnwu.magisk.theme", t1)
	if o := run(t, spec, fixture.AndroidSampleZone, nil); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func TestOutsideStore(t *testing.T) {
	for _, installer := range []string{fixture.AndroidPackageInstaller, "com.android.packageinstaller", "null", ""} {
		spec := fixture.SampleAndroidPackages(now, 3, 3)
		fixture.PlantAndroidSideloadedApp(&spec, "com.example.tracker", installer, t1)
		o := run(t, spec, fixture.AndroidSampleZone, nil)
		got := o.AlertsOf(dumpsyspackages.OutsideStore.ID)
		if len(got) != 1 || got[0].Level != alert.Medium || !strings.Contains(got[0].Message, "com.example.tracker") ||
			!strings.Contains(got[0].Message, "2023-07-01 10:30:00 device time") {
			t.Errorf("installer %q: alerts = %+v", installer, o.Alerts)
		}
		if len(o.Alerts) != 1 {
			t.Errorf("installer %q: %d alerts", installer, len(o.Alerts))
		}
		moduletest.Reload(t, o, nil, dumpsyspackages.New())
	}
	// False positives: system apps have no installer; store installs.
	spec := fixture.SampleAndroidPackages(now, 3, 3)
	spec.Packages = append(spec.Packages, fixture.AndroidPackage{Name: "com.vendor.preload", UID: 1000, System: true, Installed: t1})
	fixture.PlantAndroidSideloadedApp(&spec, "com.sec.android.app.sbrowser", "com.sec.android.app.samsungapps", t1)
	if o := run(t, spec, "", nil); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func TestThirdPartyStore(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 2, 4)
	fixture.PlantAndroidSideloadedApp(&spec, "org.fdroid.k9", "org.fdroid.fdroid", t1)
	o := run(t, spec, "", nil)
	got := o.AlertsOf(dumpsyspackages.ThirdPartyStore.ID)
	if len(got) != 1 || got[0].Level != alert.Informational || len(o.Alerts) != 1 ||
		!strings.Contains(got[0].Message, "2023-07-01 10:30:00 device time, zone unknown") {
		t.Errorf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsyspackages.New())
}

func TestDangerousPermissions(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 3, 5)
	fixture.PlantAndroidDangerousPermissions(&spec, "com.example.monitor", t1)
	o := run(t, spec, fixture.AndroidSampleZone, nil)
	got := o.AlertsOf(dumpsyspackages.DangerousPermissions.ID)
	if len(got) != 1 || got[0].Level != alert.Low || len(o.Alerts) != 1 || !strings.Contains(got[0].Message, "12 dangerous permissions") {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsyspackages.New())
	// False positives: requested but refused; granted in another user only; a system app.
	spec = fixture.SampleAndroidPackages(now, 3, 5)
	denied := fixture.AndroidPackage{Name: "com.example.denied", UID: 10900, Installer: fixture.AndroidPlayStore, Installed: t1}
	other := fixture.AndroidPackage{Name: "com.example.work", UID: 10901, Installer: fixture.AndroidPlayStore, Installed: t1}
	system := fixture.AndroidPackage{Name: "com.vendor.assistant", UID: 10902, System: true, Installed: t1}
	for _, p := range fixture.AndroidDangerousPermissions {
		denied.Requested = append(denied.Requested, p)
		denied.Runtime = append(denied.Runtime, fixture.AndroidPermissionGrant{Name: p})
		other.OtherUserRuntime = append(other.OtherUserRuntime, fixture.AndroidPermissionGrant{Name: p, Granted: true})
		system.Runtime = append(system.Runtime, fixture.AndroidPermissionGrant{Name: p, Granted: true})
	}
	spec.Packages = append(spec.Packages, denied, other, system)
	if o := run(t, spec, fixture.AndroidSampleZone, nil); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

// The sample is innocent: no alert at all.
func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 40, 7)
	o := run(t, spec, fixture.AndroidSampleZone, nil)
	if o.Status.State != module.OK || len(o.List(t)) != 50 {
		t.Fatalf("status = %+v, %d records", o.Status, len(o.List(t)))
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

// TestDecodeMVTRecord reads packages the way MVT writes them into
// dumpsys_packages.json (times as the device's wall clock, version_code with the rest
// of its line; installer and system only in some versions) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("app_ids", "com.spy.agent")
	var granted []string
	for _, p := range fixture.AndroidDangerousPermissions {
		granted = append(granted, `{"name": "`+p+`", "granted": true, "type": "runtime"}`)
	}
	perms := strings.Join(granted, ", ")
	pkg := func(name, extra string) string {
		return `{"package_name": "` + name + `", "uid": "10234", "version_name": "1.2", "version_code": "12 minSdk=26 targetSdk=34",
			"timestamp": "2023-07-01 10:30:00", "first_install_time": "2023-07-01 10:30:01", "last_update_time": "2023-07-01 10:30:02",
			"permissions": [` + perms + `], "requested_permissions": []` + extra + `}`
	}
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		// without system, the twelve dangerous permissions are not judged
		{"indicator", pkg("com.spy.agent", ""), []string{`ioc/app_id Found a known suspicious app identifier "com.spy.agent" in the list of installed packages`}},
		{"root package", pkg(fixture.AndroidRootPackage, ""), []string{dumpsyspackages.RootPackage.ID +
			` Found an installed package related to rooting: "` + fixture.AndroidRootPackage + `" (installed 2023-07-01 10:30:00 device time, zone unknown)`}},
		{"installer and system", pkg("com.example.tracker", `, "installer": "com.google.android.packageinstaller", "system": false`), []string{
			dumpsyspackages.OutsideStore.ID + ` The app "com.example.tracker" was installed from an APK file with com.google.android.packageinstaller (installed 2023-07-01 10:30:00 device time, zone unknown)`,
			dumpsyspackages.DangerousPermissions.ID + ` The app "com.example.tracker" has been granted 12 dangerous permissions: ` +
				"ACCESS_FINE_LOCATION, ACCESS_COARSE_LOCATION, CAMERA, RECORD_AUDIO, READ_CONTACTS, READ_SMS, RECEIVE_SMS, SEND_SMS, " +
				"READ_CALL_LOG, READ_PHONE_STATE, READ_CALENDAR, SYSTEM_ALERT_WINDOW",
		}},
		{"system app without installer", pkg("com.vendor.assistant", `, "installer": "null", "system": true`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsyspackages.New()
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
