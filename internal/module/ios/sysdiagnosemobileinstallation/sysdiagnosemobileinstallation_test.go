package sysdiagnosemobileinstallation_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnosemobileinstallation"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

// created is 2025-04-07 08:06:18 -07:00.
var created = time.Date(2025, 4, 7, 8, 6, 18, 0, time.FixedZone("", -7*3600))

func run(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.IOSSysdiagnose, files), ix, sysdiagnosemobileinstallation.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s", a.Level, a.Check))
	}
	return out
}

// ios16 is a log written as iOS 16 writes it (lines from a published CTF sysdiagnose,
// shortened), with a multi-line entry and noise lines.
const ios16 = `Mon Apr  7 06:13:34 2025 [234] <notice> (0x16b48f000) -[MIClientConnection _doInstallationForURL:identity:domain:options:completion:]: Install of "/private/var/containers/Shared/SystemGroup/systemgroup.com.apple.installcoordinationd/Library/InstallCoordination/PromiseStaging/B6D2BE18-C74E-4BBE-A15F-C88A708E89A3/Signal.app" type Placeholder (LSInstallType = MIInstallationDomainDefault, Domain: 1) requested by installcoordinationd (pid 960 (501/501))
Mon Apr  7 06:13:34 2025 [234] <notice> (0x16b48f000) -[MIInstaller _installInstallable:containingSymlink:error:]: Installing <MIInstallableBundle ID=org.whispersystems.signal; Version=(null), ShortVersion=(null)>
Mon Apr  7 06:13:34 2025 [234] <notice> (0x16b48f000) -[MIContainer makeContainerLiveReplacingContainer:reason:waitForDeletion:withError:]: Made container live for org.whispersystems.signal at /private/var/containers/Bundle/Application/9FE717E1-1A80-4973-B315-158AF5E4311E
Mon Apr  7 06:13:34 2025 [234] <notice> (0x16b48f000) -[MIInstaller performInstallationWithError:]: Install Successful for (Placeholder:org.whispersystems.signal); Staging: 0.01s; Waiting: 0.00s; Preflight/Patch: 0.00s, Verifying: 0.01s; Overall: 0.14s
Mon Apr  7 06:13:50 2025 [234] <notice> (0x16b48f000) -[MIInstaller _installInstallable:containingSymlink:error:]: Installing <MIInstallableBundle ID=org.whispersystems.signal; Version=703, ShortVersion=7.53>
Mon Apr  7 06:13:52 2025 [234] <notice> (0x16b48f000) -[MIContainer makeContainerLiveReplacingContainer:reason:waitForDeletion:withError:]: Made container live for org.whispersystems.signal at /private/var/containers/Bundle/Application/1EC20F02-263B-4299-AE05-3F5D7A7744E9
Mon Apr  7 06:13:52 2025 [234] <notice> (0x16b48f000) -[MIInstaller performInstallationWithError:]: Install Successful for (Customer:org.whispersystems.signal); Staging: 0.03s; Waiting: 0.00s; Preflight/Patch: 0.06s, Verifying: 1.03s; Overall: 1.27s
Mon Apr  7 07:40:47 2025 [446] <notice> (0x16fd27000) -[MIClientConnection _uninstallIdentities:withOptions:completion:]: Uninstall requested by installcoordinationd (pid 123 (501/501)) for identity [org.whispersystems.signal/PersonalPersonaPlaceholderString] with options: {
    WaitForStorageDeletion = 0;
}
Mon Apr  7 07:40:47 2025 [446] <notice> (0x16fc9b000) -[MIUninstaller _uninstallBundleWithIdentity:linkedToChildren:waitForDeletion:uninstallReason:temporaryReference:wasLastReference:error:]: Uninstalling identifier org.whispersystems.signal
Mon Apr  7 07:40:47 2025 [446] <err> (0x16fc9b000) -[MIUninstaller _uninstallBundleWithIdentity:linkedToChildren:waitForDeletion:uninstallReason:temporaryReference:wasLastReference:error:]: Destroying container org.whispersystems.signal with persona 8A4A857A-0269-4861-BE19-06B76B941887 at /private/var/mobile/Containers/Data/Application/99FCC994-C7C1-4F60-A797-0BFFB204453A
Mon Apr  7 07:40:47 2025 [446] <notice> (0x16fc9b000) MIFetchUIDForRegistration_block_invoke: UID for registration: 501
`

// ios12 is a log written as iOS 12 writes it.
const ios12 = `Sun Dec  2 11:04:17 2018 [47] <notice> (0x16bad3000) -[MIClientConnection uninstallIdentifiers:withOptions:completion:]: Uninstall requested by lsd (pid 87) for identifier com.zhiliaoapp.musically with options: (null)
Sun Dec  2 11:04:22 2018 [47] <notice> (0x16bad3000) -[MIUninstaller _uninstallBundleWithIdentifier:error:]: Uninstalling identifier com.zhiliaoapp.musically
Sun Dec  2 11:04:22 2018 [47] <notice> (0x16bad3000) -[MIKeychainAccessGroupTracker _removeGroupsWithError:error:]: Removing keychain access groups: (
    "group.test.zhiliaoapp.shared"
)
Sun Dec  2 11:04:22 2018 [47] <notice> (0x16bad3000) -[MIUninstallNotifier performRemovalWithCompletionBlock:]: Destroying container with identifier com.zhiliaoapp.musically at /private/var/containers/Bundle/Application/60176EFB-BF30-4B0A-8CF2-970C0D5D0BBE
Sun Dec  2 11:05:36 2018 [47] <notice> (0x16bb5f000) -[MIClientConnection _doInstallationForURL:withOptions:completion:]: Install of "/private/var/containers/Shared/SystemGroup/systemgroup.com.apple.installcoordinationd/Library/InstallCoordination/PromiseStaging/4864DAB9-C22B-4B52-B4D1-89D48C4AE026/extract" type Customer (LSInstallType = 0) requested by lsd (pid 87)
Sun Dec  2 11:05:36 2018 [47] <notice> (0x16bb5f000) -[MIInstaller performInstallationWithError:]: Installing <MIInstallableBundle ID=com.getdropbox.Dropbox; Version=122.2.2, ShortVersion=122.2>
Sun Dec  2 11:05:48 2018 [47] <notice> (0x16bb5f000) -[MIInstaller performInstallationWithError:]: Install Successful for (com.getdropbox.Dropbox); Staging: 0.10s; Waiting: 0.00s; Preflight/Patch: 0.00s, Verifying: 0.01s; Overall: 0.21s
Mon Dec  3 09:00:00 2018 [45] <notice> (0x1f1b2c140) main: Reboot detected
`

const signalData = "/private/var/mobile/Containers/Data/Application/99FCC994-C7C1-4F60-A797-0BFFB204453A"

func TestRecordsIOS16(t *testing.T) {
	files := fstest.MapFS{
		"sysdiagnose.log": {Data: fixture.SysdiagnoseLogText(created)},
		"logs/MobileInstallation/mobile_installation.log.0": {Data: []byte(ios16)},
	}
	o := run(t, files, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v), want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	recs := o.List(t)
	got := moduletest.Project(recs, "timestamp", "action", "bundle_id", "version", "short_version", "install_type", "requested_by", "path")
	const (
		bundle1 = "/private/var/containers/Bundle/Application/9FE717E1-1A80-4973-B315-158AF5E4311E"
		bundle2 = "/private/var/containers/Bundle/Application/1EC20F02-263B-4299-AE05-3F5D7A7744E9"
		sig     = "org.whispersystems.signal"
		icd     = "installcoordinationd"
	)
	want := []map[string]any{
		{"timestamp": "2025-04-07 13:13:34.000000", "action": "install_requested", "bundle_id": sig, "version": "", "short_version": "", "install_type": "Placeholder", "requested_by": icd, "path": ""},
		{"timestamp": "2025-04-07 13:13:34.000000", "action": "installing", "bundle_id": sig, "version": "", "short_version": "", "install_type": "Placeholder", "requested_by": icd, "path": ""},
		{"timestamp": "2025-04-07 13:13:34.000000", "action": "installed", "bundle_id": sig, "version": "", "short_version": "", "install_type": "Placeholder", "requested_by": icd, "path": bundle1},
		{"timestamp": "2025-04-07 13:13:50.000000", "action": "installing", "bundle_id": sig, "version": "703", "short_version": "7.53", "install_type": "", "requested_by": "", "path": ""},
		{"timestamp": "2025-04-07 13:13:52.000000", "action": "installed", "bundle_id": sig, "version": "703", "short_version": "7.53", "install_type": "Customer", "requested_by": "", "path": bundle2},
		{"timestamp": "2025-04-07 14:40:47.000000", "action": "uninstall_requested", "bundle_id": sig, "version": "", "short_version": "", "install_type": "", "requested_by": icd, "path": ""},
		{"timestamp": "2025-04-07 14:40:47.000000", "action": "uninstalled", "bundle_id": sig, "version": "", "short_version": "", "install_type": "", "requested_by": icd, "path": ""},
		{"timestamp": "2025-04-07 14:40:47.000000", "action": "container_destroyed", "bundle_id": sig, "version": "", "short_version": "", "install_type": "", "requested_by": "", "path": signalData},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// One record in full: the multi-line uninstall request.
	wantFull := map[string]any{
		"timestamp": "2025-04-07 14:40:47.000000", "timestamp_local": "Mon Apr  7 07:40:47 2025", "utc_offset": "-0700",
		"action": "uninstall_requested", "bundle_id": sig, "version": "", "short_version": "", "install_type": "",
		"requested_by": icd, "requested_by_pid": 123.0, "source_path": "", "path": "", "pid": 446.0, "loglevel": "notice",
		"hex_id": "0x16fd27000", "event_type": "MIClientConnection _uninstallIdentities:withOptions:completion:",
		"message": "Uninstall requested by installcoordinationd (pid 123 (501/501)) for identity [org.whispersystems.signal/PersonalPersonaPlaceholderString] with options: {\n    WaitForStorageDeletion = 0;\n}",
		"file":    "logs/MobileInstallation/mobile_installation.log.0", "line": 8.0,
	}
	if diff := cmp.Diff(wantFull, recs[5]); diff != "" {
		t.Errorf("uninstall request (-want +got):\n%s", diff)
	}
	if recs[7]["persona"] != "8A4A857A-0269-4861-BE19-06B76B941887" {
		t.Errorf("persona %v", recs[7]["persona"])
	}
	wantTL := `"2025-04-07 14:40:47.000000","SysdiagnoseMobileInstallation","app_uninstalled","Uninstalled org.whispersystems.signal requested by installcoordinationd"`
	found := false
	for _, row := range o.Timeline {
		found = found || row == wantTL
	}
	if len(o.Timeline) != len(want) || !found {
		t.Errorf("timeline %q, want %d rows with %s", o.Timeline, len(want), wantTL)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none (Signal reinstalled after 1.5 h)", summary(o.Alerts))
	}
}

func TestIOS12WithoutZone(t *testing.T) {
	files := fstest.MapFS{"logs/MobileInstallation/mobile_installation.log.0": {Data: []byte(ios12)}}
	o := run(t, files, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v), want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	got := moduletest.Project(o.List(t), "timestamp", "timestamp_local", "utc_offset", "action", "bundle_id", "version", "install_type", "requested_by", "requested_by_pid", "path", "event_type")
	const music, dbx = "com.zhiliaoapp.musically", "com.getdropbox.Dropbox"
	want := []map[string]any{
		{"timestamp": nil, "timestamp_local": "Sun Dec  2 11:04:17 2018", "utc_offset": "", "action": "uninstall_requested", "bundle_id": music, "version": "", "install_type": "",
			"requested_by": "lsd", "requested_by_pid": 87.0, "path": "", "event_type": "MIClientConnection uninstallIdentifiers:withOptions:completion:"},
		{"timestamp": nil, "timestamp_local": "Sun Dec  2 11:04:22 2018", "utc_offset": "", "action": "uninstalled", "bundle_id": music, "version": "", "install_type": "",
			"requested_by": "lsd", "requested_by_pid": 87.0, "path": "", "event_type": "MIUninstaller _uninstallBundleWithIdentifier:error:"},
		{"timestamp": nil, "timestamp_local": "Sun Dec  2 11:04:22 2018", "utc_offset": "", "action": "container_destroyed", "bundle_id": music, "version": "", "install_type": "",
			"requested_by": "", "requested_by_pid": nil, "path": "/private/var/containers/Bundle/Application/60176EFB-BF30-4B0A-8CF2-970C0D5D0BBE",
			"event_type": "MIUninstallNotifier performRemovalWithCompletionBlock:"},
		{"timestamp": nil, "timestamp_local": "Sun Dec  2 11:05:36 2018", "utc_offset": "", "action": "install_requested", "bundle_id": dbx, "version": "", "install_type": "Customer",
			"requested_by": "lsd", "requested_by_pid": 87.0, "path": "", "event_type": "MIClientConnection _doInstallationForURL:withOptions:completion:"},
		{"timestamp": nil, "timestamp_local": "Sun Dec  2 11:05:36 2018", "utc_offset": "", "action": "installing", "bundle_id": dbx, "version": "122.2.2", "install_type": "Customer",
			"requested_by": "lsd", "requested_by_pid": 87.0, "path": "", "event_type": "MIInstaller performInstallationWithError:"},
		{"timestamp": nil, "timestamp_local": "Sun Dec  2 11:05:48 2018", "utc_offset": "", "action": "installed", "bundle_id": dbx, "version": "122.2.2", "install_type": "Customer",
			"requested_by": "lsd", "requested_by_pid": 87.0, "path": "", "event_type": "MIInstaller performInstallationWithError:"},
		{"timestamp": nil, "timestamp_local": "Mon Dec  3 09:00:00 2018", "utc_offset": "", "action": "reboot_detected", "bundle_id": "", "version": "", "install_type": "",
			"requested_by": "", "requested_by_pid": nil, "path": "", "event_type": "main"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 0 {
		t.Errorf("timeline %q, want none without the phone's zone", o.Timeline)
	}
}

func TestRotatedFilesAndUpdate(t *testing.T) {
	// The older rotation (.1) is read first; an install of an app installed before is
	// an update.
	spec := fixture.MobileInstallSpec{Created: created, Files: 2, Events: []fixture.MobileInstallEvent{
		{Kind: fixture.MIAppStoreInstall, Time: created.Add(-72 * time.Hour), BundleID: "com.spotify.client", Name: "Spotify", Version: "8.9.95", ShortVersion: "8.9.95"},
		{Kind: fixture.MIAppStoreUpdate, Time: created.Add(-24 * time.Hour), BundleID: "com.spotify.client", Name: "Spotify", Version: "8.9.96", ShortVersion: "8.9.96", FromVersion: "8.9.95"},
	}}
	files := fixture.MobileInstallationFiles(spec)
	if len(files) != 3 {
		t.Fatalf("files %d, want sysdiagnose.log and two logs", len(files))
	}
	o := run(t, files, nil)
	var got []string
	for _, r := range o.List(t) {
		if r["action"] == "installed" || r["action"] == "updated" || r["action"] == "patch_update" {
			got = append(got, fmt.Sprintf("%v %v %v %v", r["file"], r["action"], r["version"], r["from_version"]))
		}
	}
	want := []string{
		"logs/MobileInstallation/mobile_installation.log.1 installed  <nil>",
		"logs/MobileInstallation/mobile_installation.log.1 installed 8.9.95 <nil>",
		"logs/MobileInstallation/mobile_installation.log.0 patch_update 8.9.96 8.9.95",
		"logs/MobileInstallation/mobile_installation.log.0 updated 8.9.96 <nil>",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestAbsent(t *testing.T) {
	o := run(t, fstest.MapFS{"sysdiagnose.log": {Data: fixture.SysdiagnoseLogText(created)}}, nil)
	if o.Status.State != module.Skipped {
		t.Errorf("status %s, want skipped", o.Status.State)
	}
}

func TestHostileInput(t *testing.T) {
	long := strings.Repeat("x", 70<<10)
	files := fstest.MapFS{
		"logs/MobileInstallation/mobile_installation.log.0": {Data: []byte("\x00\x01garbage\n" + long + "\n" +
			"Mon Apr  7 07:40:47 2025 [446] <notice> (0x1) -[A b]: Uninstalling identifier com.x\n" +
			"Mon Apr 37 07:40:47 2025 [446] not a date\n")},
		"logs/MobileInstallation/mobile_installation.log.1": {Data: []byte("not a log at all\n")},
	}
	o := run(t, files, nil)
	if o.Status.State != module.Partial {
		t.Fatalf("status %s (%s), want partial", o.Status.State, o.Status.Reason)
	}
	got := moduletest.Project(o.List(t), "action", "bundle_id", "message")
	want := []map[string]any{{"action": "uninstalled", "bundle_id": "com.x", "message": "Uninstalling identifier com.x\nMon Apr 37 07:40:47 2025 [446] not a date"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Status.Problems) != 3 {
		t.Errorf("problems %q, want the long line and the two undated starts", o.Status.Problems)
	}
}

func installAt(kind fixture.MobileInstallKind, at time.Time, id, name string) fixture.MobileInstallEvent {
	return fixture.MobileInstallEvent{Kind: kind, Time: at, BundleID: id, Name: name, Version: "1", ShortVersion: "1.0"}
}

func TestAppIDIndicator(t *testing.T) {
	spec := fixture.MobileInstallSpec{Created: created}
	fixture.PlantMobileInstallationApp(&spec, created.Add(-48*time.Hour), "com.evil.tracker", "Tracker")
	spec.Events = append(spec.Events, fixture.MobileInstallEvent{Kind: fixture.MIUninstall, Time: created.Add(-24 * time.Hour), BundleID: "com.evil.tracker", Name: "Tracker"})
	ix := moduletest.Index(string(ioc.AppID), "com.evil.tracker", string(ioc.AppID), "com.other.app")
	o := run(t, fixture.MobileInstallationFiles(spec), ix)
	// One alert for the install events, one for the uninstall events.
	if got, want := summary(o.Alerts), []string{"CRITICAL ioc/app_id", "CRITICAL ioc/app_id"}; !cmp.Equal(got, want) {
		t.Fatalf("alerts %v, want %v", got, want)
	}
	ev, ok := o.Alerts[1].Event.(*sysdiagnosemobileinstallation.Record)
	if !ok || ev.Action != "uninstall_requested" {
		t.Errorf("second alert on %v, want the uninstall request", o.Alerts[1].Event)
	}
	moduletest.Reload(t, o, ix, sysdiagnosemobileinstallation.New())
	// False positive: another app, same indicators.
	clean := fixture.MobileInstallSpec{Created: created}
	fixture.PlantMobileInstallationApp(&clean, created.Add(-48*time.Hour), "com.evil.trackerlite", "Lite")
	if o := run(t, fixture.MobileInstallationFiles(clean), ix); len(o.Alerts) != 0 {
		t.Errorf("alerts %v for an app not in the indicators", summary(o.Alerts))
	}
}

func TestRequesterProcessIndicator(t *testing.T) {
	log := `Mon Apr  7 06:13:34 2025 [234] <notice> (0x1) -[MIClientConnection _doInstallationForURL:identity:domain:options:completion:]: Install of "/private/var/tmp/x.app" type Customer (LSInstallType = 0, Domain: 1) requested by evilhelper (pid 960 (0/0))
Mon Apr  7 06:13:34 2025 [234] <notice> (0x1) -[MIInstaller _installInstallable:containingSymlink:error:]: Installing <MIInstallableBundle ID=com.x.y; Version=1, ShortVersion=1>
Mon Apr  7 06:13:35 2025 [234] <notice> (0x1) -[MIInstaller performInstallationWithError:]: Install Successful for (Customer:com.x.y); Staging: 0.01s
`
	files := fstest.MapFS{"logs/MobileInstallation/mobile_installation.log.0": {Data: []byte(log)}}
	o := run(t, files, moduletest.Index(string(ioc.Process), "evilhelper"))
	if got, want := summary(o.Alerts), []string{"CRITICAL ioc/process"}; !cmp.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	moduletest.Reload(t, o, moduletest.Index(string(ioc.Process), "evilhelper"), sysdiagnosemobileinstallation.New())
	if o := run(t, files, moduletest.Index(string(ioc.Process), "installcoordinationd-helper")); len(o.Alerts) != 0 {
		t.Errorf("alerts %v for another process name", summary(o.Alerts))
	}
}

func TestDeveloperInstall(t *testing.T) {
	spec := fixture.MobileInstallSpec{Created: created}
	fixture.PlantMobileInstallationSideload(&spec, created.Add(-3*time.Hour), "com.example.runner", "Runner")
	o := run(t, fixture.MobileInstallationFiles(spec), nil)
	as := o.AlertsOf(sysdiagnosemobileinstallation.DeveloperInstall.ID)
	if got, want := summary(o.Alerts), []string{"MEDIUM " + sysdiagnosemobileinstallation.DeveloperInstall.ID}; !cmp.Equal(got, want) {
		t.Fatalf("alerts %v, want %v", got, want)
	}
	if !strings.Contains(as[0].Message, "com.example.runner") || as[0].EventTime.IsZero() {
		t.Errorf("alert %q at %v", as[0].Message, as[0].EventTime)
	}
	moduletest.Reload(t, o, nil, sysdiagnosemobileinstallation.New())
	// False positive: the same app from the App Store.
	clean := fixture.MobileInstallSpec{Created: created, Events: []fixture.MobileInstallEvent{installAt(fixture.MIAppStoreInstall, created.Add(-3*time.Hour), "com.example.runner", "Runner")}}
	if o := run(t, fixture.MobileInstallationFiles(clean), nil); len(o.Alerts) != 0 {
		t.Errorf("alerts %v for an App Store install", summary(o.Alerts))
	}
}

func TestComputerInstall(t *testing.T) {
	spec := fixture.MobileInstallSpec{Created: created}
	fixture.PlantMobileInstallationComputerInstall(&spec, created.Add(-3*time.Hour), "com.example.sync", "Sync")
	o := run(t, fixture.MobileInstallationFiles(spec), nil)
	if got, want := summary(o.Alerts), []string{"LOW " + sysdiagnosemobileinstallation.ComputerInstall.ID}; !cmp.Equal(got, want) {
		t.Fatalf("alerts %v, want %v", got, want)
	}
	moduletest.Reload(t, o, nil, sysdiagnosemobileinstallation.New())
	// False positive: the installation proxy path appearing in another app's name does
	// not count; an App Store update does not either.
	clean := fixture.MobileInstallSpec{Created: created, Events: []fixture.MobileInstallEvent{
		{Kind: fixture.MIAppStoreUpdate, Time: created.Add(-3 * time.Hour), BundleID: "com.example.sync", Name: "PublicStaging", Version: "2", ShortVersion: "2", FromVersion: "1"}}}
	if o := run(t, fixture.MobileInstallationFiles(clean), nil); len(o.Alerts) != 0 {
		t.Errorf("alerts %v for an App Store update", summary(o.Alerts))
	}
}

func TestShortLivedApp(t *testing.T) {
	spec := fixture.MobileInstallSpec{Created: created}
	fixture.PlantMobileInstallationQuickUninstall(&spec, created.Add(-5*time.Hour), 20*time.Minute, "com.fiore.trolldecrypt", "TrollDecrypt")
	o := run(t, fixture.MobileInstallationFiles(spec), nil)
	if got, want := summary(o.Alerts), []string{"LOW " + sysdiagnosemobileinstallation.ShortLivedApp.ID}; !cmp.Equal(got, want) {
		t.Fatalf("alerts %v, want %v", got, want)
	}
	if a := o.Alerts[0]; !strings.Contains(a.Message, "19m44s after it was installed") {
		t.Errorf("message %q does not give the delay", a.Message)
	}
	moduletest.Reload(t, o, nil, sysdiagnosemobileinstallation.New())
	// False positives: removed after two hours; a placeholder (cancelled download)
	// removed at once.
	clean := fixture.MobileInstallSpec{Created: created}
	fixture.PlantMobileInstallationQuickUninstall(&clean, created.Add(-5*time.Hour), 2*time.Hour, "com.example.a", "A")
	placeholder := `Mon Apr  7 06:13:34 2025 [234] <notice> (0x1) -[MIClientConnection _doInstallationForURL:identity:domain:options:completion:]: Install of "/private/var/x/A.app" type Placeholder (LSInstallType = 1, Domain: 1) requested by installcoordinationd (pid 960 (501/501))
Mon Apr  7 06:13:34 2025 [234] <notice> (0x1) -[MIInstaller _installInstallable:containingSymlink:error:]: Installing <MIInstallableBundle ID=com.example.b; Version=(null), ShortVersion=(null)>
Mon Apr  7 06:13:34 2025 [234] <notice> (0x1) -[MIInstaller performInstallationWithError:]: Install Successful for (Placeholder:com.example.b); Staging: 0.01s
Mon Apr  7 06:14:00 2025 [234] <notice> (0x1) -[MIUninstaller _uninstallBundleWithIdentity:linkedToChildren:waitForDeletion:uninstallReason:temporaryReference:wasLastReference:error:]: Uninstalling identifier com.example.b
`
	files := fixture.MobileInstallationFiles(clean)
	files["logs/MobileInstallation/mobile_installation.log.5"] = &fstest.MapFile{Data: []byte(placeholder)}
	if o := run(t, files, nil); len(o.Alerts) != 0 {
		t.Errorf("alerts %v for slow or placeholder uninstalls", summary(o.Alerts))
	}
}

func TestSampleIsClean(t *testing.T) {
	now := time.Date(2024, 4, 2, 10, 15, 30, 0, time.UTC)
	spec := fixture.SampleMobileInstallation(now, 60, 7)
	o := run(t, fixture.MobileInstallationFiles(spec), nil)
	if o.Status.State != module.OK || len(o.List(t)) < 60 {
		t.Fatalf("status %s %v, %d records", o.Status.State, o.Status.Problems, len(o.List(t)))
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts on the innocent sample: %v", summary(o.Alerts))
	}
	if len(o.Timeline) != len(o.List(t)) {
		t.Errorf("timeline has %d rows for %d records", len(o.Timeline), len(o.List(t)))
	}
}
