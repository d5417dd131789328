package applications_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosfs"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/applications"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	uuidA = "0A1B2C3D-0000-4000-8000-00000000000A"
	uuidB = "0A1B2C3D-0000-4000-8000-00000000000B"
	root  = "/" + fixture.AppBundleRoot + "/"
)

func mapFS(files map[string][]byte) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return m
}

func runDump(t *testing.T, ix *ioc.Index, m fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return reloaded(t, moduletest.Run(t, memfs.New(acquire.IOSFilesystem, m), ix, applications.New()), ix)
}

// unreadable is a dump whose files named in bad are listed but cannot be opened.
type unreadable struct {
	*memfs.FS
	bad map[string]bool
}

func (u unreadable) Open(name string) (fs.File, error) {
	if u.bad[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return u.FS.Open(name)
}

func runUnreadable(t *testing.T, m fstest.MapFS, bad ...string) *moduletest.Outcome {
	t.Helper()
	u := unreadable{FS: memfs.New(acquire.IOSFilesystem, m), bad: map[string]bool{}}
	for _, b := range bad {
		u.bad[b] = true
	}
	return reloaded(t, moduletest.Run(t, u, nil, applications.New()), nil)
}

func runBundles(t *testing.T, ix *ioc.Index, apps []fixture.AppBundleSpec) *moduletest.Outcome {
	t.Helper()
	return runDump(t, ix, mapFS(fixture.AppBundleFiles(apps)))
}

func signalBundle(uuid string, at time.Time) fixture.AppBundleSpec {
	return fixture.AppBundleSpec{UUID: uuid, App: fixture.AppSpec{
		BundleID: "org.whispersystems.signal", ItemName: "Signal - Private Messenger", Artist: "Signal Messenger, LLC", Version: "7.1",
		Genre: "Social Networking", ItemID: 874139669, SourceApp: fixture.SourceAppStore, PurchasedAt: at,
	}}
}

func TestDumpRecords(t *testing.T) {
	apps := []fixture.AppBundleSpec{
		signalBundle(uuidB, t0),
		{App: fixture.AppSpec{BundleID: "com.example.devbuild", ItemName: "Dev Build", Version: "0.9", NoMetadata: true},
			UUID: "C0000000-0000-4000-8000-000000000000", Executable: "DevBuild", BuildVersion: "42"},
		{App: fixture.AppSpec{BundleID: "com.apple.Pages", ItemName: "Pages", Version: "13.1", NoMetadata: true},
			UUID: "D0000000-0000-4000-8000-000000000000", Executable: "Pages"},
		signalBundle(uuidA, t0.Add(time.Hour)),
	}
	o := runBundles(t, nil, apps)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	got := moduletest.Project(o.List(t), "name", "softwareVersionBundleId", "itemName", "sourceApp", "isodate", "icon_sha256",
		"bundle_path", "executable", "app_version", "display_name", "has_itunes_metadata", "file_path")
	want := []map[string]any{
		{"name": "com.apple.Pages", "isodate": nil, "bundle_path": root + "D0000000-0000-4000-8000-000000000000",
			"executable": root + "D0000000-0000-4000-8000-000000000000/Pages.app/Pages", "app_version": "13.1", "display_name": "Pages",
			"has_itunes_metadata": false},
		{"name": "com.example.devbuild", "isodate": nil, "bundle_path": root + "C0000000-0000-4000-8000-000000000000",
			"executable": root + "C0000000-0000-4000-8000-000000000000/DevBuild.app/DevBuild", "app_version": "0.9", "display_name": "Dev Build",
			"has_itunes_metadata": false},
		{"name": "org.whispersystems.signal", "softwareVersionBundleId": "org.whispersystems.signal", "itemName": "Signal - Private Messenger",
			"sourceApp": "com.apple.AppStore", "isodate": "2021-07-04 04:12:09.000000", "bundle_path": root + uuidA,
			"executable": root + uuidA + "/Signal.app/Signal", "app_version": "7.1", "display_name": "Signal - Private Messenger",
			"has_itunes_metadata": true, "file_path": root + uuidA + "/iTunesMetadata.plist"},
		{"name": "org.whispersystems.signal", "softwareVersionBundleId": "org.whispersystems.signal", "itemName": "Signal - Private Messenger",
			"sourceApp": "com.apple.AppStore", "isodate": "2021-07-04 03:12:09.000000", "bundle_path": root + uuidB,
			"executable": root + uuidB + "/Signal.app/Signal", "app_version": "7.1", "display_name": "Signal - Private Messenger",
			"has_itunes_metadata": true, "file_path": root + uuidB + "/iTunesMetadata.plist"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2021-07-04 03:12:09.000000","Applications","app_installed","App org.whispersystems.signal version 7.1 from Signal Messenger, LLC installed from com.apple.AppStore"`,
		`"2021-07-04 04:12:09.000000","Applications","app_installed","App org.whispersystems.signal version 7.1 from Signal Messenger, LLC installed from com.apple.AppStore"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	wantAlerts := []string{"LOW applications/no-store-metadata 0001-01-01T00:00:00Z"}
	if diff := cmp.Diff(wantAlerts, summary(o.Alerts)); diff != "" {
		t.Fatalf("alerts (-want +got):\n%s", diff)
	}
	a := o.Alerts[0]
	wantMsg := `App not installed from the App Store: the app "Dev Build" (com.example.devbuild) in ` + root +
		`C0000000-0000-4000-8000-000000000000 has no iTunesMetadata.plist, main binary ` + root + `C0000000-0000-4000-8000-000000000000/DevBuild.app/DevBuild`
	if a.Message != wantMsg || a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
		t.Errorf("alert %+v, want message %q and its texts", a, wantMsg)
	}
}

// The bundle identifier comes from the container metadata, else Info.plist, else the
// App Store metadata; every one of them is checked against indicators.
func TestDumpIdentifiers(t *testing.T) {
	onlyMetadata := signalBundle(uuidA, t0)
	onlyMetadata.NoContainerMetadata, onlyMetadata.NoInfoPlist = true, true
	noMCM := fixture.AppBundleSpec{App: fixture.AppSpec{BundleID: "com.example.viewer", ItemName: "Viewer", Version: "2", NoMetadata: true},
		UUID: uuidB, NoContainerMetadata: true}
	mismatch := signalBundle("E0000000-0000-4000-8000-000000000000", t0)
	mismatch.ContainerMetadata = mustPlist(t, map[string]any{"MCMMetadataIdentifier": "com.example.hidden"})
	nothing := fixture.AppBundleSpec{App: fixture.AppSpec{BundleID: "x", NoMetadata: true}, UUID: "F0000000-0000-4000-8000-000000000000",
		NoContainerMetadata: true, InfoPlist: mustPlist(t, map[string]any{"CFBundleDisplayName": "Ghost"})}
	apps := []fixture.AppBundleSpec{onlyMetadata, noMCM, mismatch, nothing}
	o := runBundles(t, moduletest.Index("app_ids", "org.whispersystems.signal"), apps)
	got := moduletest.Project(o.List(t), "name", "bundle_path", "executable", "display_name")
	want := []map[string]any{
		{"name": "", "bundle_path": root + "F0000000-0000-4000-8000-000000000000", "executable": "", "display_name": "Ghost"},
		{"name": "com.example.hidden", "bundle_path": root + "E0000000-0000-4000-8000-000000000000",
			"executable": root + "E0000000-0000-4000-8000-000000000000/Signal.app/Signal", "display_name": "Signal - Private Messenger"},
		{"name": "com.example.viewer", "bundle_path": root + uuidB, "executable": root + uuidB + "/viewer.app/viewer", "display_name": "Viewer"},
		{"name": "org.whispersystems.signal", "bundle_path": root + uuidA, "executable": "", "display_name": ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantAlerts := []string{
		"LOW applications/no-store-metadata 0001-01-01T00:00:00Z",
		"CRITICAL ioc/app_id 2021-07-04T03:12:09Z",
		"LOW applications/no-store-metadata 0001-01-01T00:00:00Z",
		"CRITICAL ioc/app_id 2021-07-04T03:12:09Z",
	}
	if diff := cmp.Diff(wantAlerts, summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if len(o.Alerts) == 4 && !strings.Contains(o.Alerts[0].Message, `an app named "Ghost" without a bundle identifier`) {
		t.Errorf("message %q", o.Alerts[0].Message)
	}
}

func mustPlist(t testing.TB, v any) []byte {
	t.Helper()
	data, err := plist.Marshal(v, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDumpIndicators(t *testing.T) {
	planted := func(bundleID, exe string) []fixture.AppBundleSpec {
		apps := fixture.SampleAppBundles(fixture.Epoch, 6, 2)
		fixture.PlantAppBundleWithoutMetadata(&apps, bundleID, exe)
		return apps
	}
	apps := planted("com.example.diag", "diagd")
	exe := "/" + fixture.AppBundleExecutable(apps[len(apps)-1])
	noStore := "LOW applications/no-store-metadata 0001-01-01T00:00:00Z"
	tests := []struct {
		name string
		ix   *ioc.Index
		apps []fixture.AppBundleSpec
		want []string
	}{
		{"app_id", moduletest.Index("app_ids", "com.example.diag"), apps, []string{"CRITICAL ioc/app_id 0001-01-01T00:00:00Z", noStore}},
		{"process_bundle_id", moduletest.Index("processes", "com.example.diag"), apps, []string{"CRITICAL ioc/process 0001-01-01T00:00:00Z", noStore}},
		{"file_path", moduletest.Index("file_paths", exe), apps, []string{"HIGH ioc/file_path 0001-01-01T00:00:00Z", noStore}},
		{"file_path_folder", moduletest.Index("file_paths", strings.TrimSuffix(exe, "/diagd")), apps, []string{"HIGH ioc/file_path 0001-01-01T00:00:00Z", noStore}},
		{"file_name", moduletest.Index("file_names", "diagd"), apps, []string{"HIGH ioc/file_name 0001-01-01T00:00:00Z", noStore}},
		{"process_executable", moduletest.Index("processes", "diagd"), apps, []string{"HIGH ioc/process 0001-01-01T00:00:00Z", noStore}},
		{"path_and_process_one_alert", moduletest.Index("file_paths", exe, "processes", "diagd"), apps,
			[]string{"HIGH ioc/file_path 0001-01-01T00:00:00Z", noStore}},
		{"similar_values", moduletest.Index("app_ids", "com.example.dia", "processes", "diag", "file_paths", exe+"x", "file_names", "diagd2"), apps, []string{noStore}},
		{"other_folder", moduletest.Index("file_paths", "/private/var/containers/Bundle/Application/X/diagd.app/diagd"), apps, []string{noStore}},
		{"sample", moduletest.Index("app_ids", "com.example.diag", "processes", "diagd", "file_names", "diagd"), fixture.SampleAppBundles(fixture.Epoch, 40, 2), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := runBundles(t, tc.ix, tc.apps)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDumpInstallers(t *testing.T) {
	with := func(source string) []fixture.AppBundleSpec {
		apps := fixture.SampleAppBundles(fixture.Epoch, 4, 5)
		fixture.PlantAppBundleFromInstaller(&apps, "com.example.diag", source, t0)
		return apps
	}
	tests := []struct {
		name string
		ix   *ioc.Index
		apps []fixture.AppBundleSpec
		want []string
	}{
		{"sideloaded", nil, with("com.example.installer"), []string{"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"}},
		{"testflight", nil, with(fixture.SourceAppTestFlight), []string{"LOW applications/testflight 2021-07-04T03:12:09Z"}},
		{"marketplace", nil, with(fixture.SourceAppAltStorePAL), []string{"LOW applications/alternative-marketplace 2021-07-04T03:12:09Z"}},
		{"app_store", nil, with(fixture.SourceAppStore), nil},
		{"mdm", nil, with(fixture.SourceAppMDM), nil},
		{"indicator_and_installer", moduletest.Index("app_ids", "com.example.diag"), with("com.example.installer"),
			[]string{"CRITICAL ioc/app_id 2021-07-04T03:12:09Z", "MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := runBundles(t, tc.ix, tc.apps)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDumpNoStoreMetadata(t *testing.T) {
	tests := []struct {
		name     string
		bundleID string
		want     []string
	}{
		{"third_party", "com.example.diag", []string{"LOW applications/no-store-metadata 0001-01-01T00:00:00Z"}},
		{"apple_deletable", "com.apple.Keynote", nil},
		{"apple_lookalike_prefix", "com.applet.tool", []string{"LOW applications/no-store-metadata 0001-01-01T00:00:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			apps := fixture.SampleAppBundles(fixture.Epoch, 3, 1)
			fixture.PlantAppBundleWithoutMetadata(&apps, tc.bundleID, "")
			o := runBundles(t, nil, apps)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("corrupt_metadata_is_not_absent", func(t *testing.T) {
		apps := fixture.SampleAppBundles(fixture.Epoch, 2, 1)
		apps[0].App.Metadata = []byte("bplist00 broken")
		o := runBundles(t, nil, apps)
		if o.Status.State != module.Partial || len(o.Alerts) != 0 {
			t.Errorf("status %+v, alerts %v: want partial and no alert", o.Status, summary(o.Alerts))
		}
	})
}

func TestDumpHostile(t *testing.T) {
	apps := []fixture.AppBundleSpec{
		{App: fixture.AppSpec{BundleID: "a.corrupt.metadata", Metadata: []byte("bplist00 broken")}, UUID: "A0000000-0000-4000-8000-000000000000"},
		{App: fixture.AppSpec{BundleID: "b.array.metadata", Metadata: mustPlist(t, []any{"x"})}, UUID: "B0000000-0000-4000-8000-000000000000"},
		{App: fixture.AppSpec{BundleID: "c.bad.info", PurchasedAt: t0, SourceApp: fixture.SourceAppStore}, UUID: "C0000000-0000-4000-8000-000000000000",
			InfoPlist: []byte("<plist><dict><key>x</key>"), ContainerMetadata: []byte("bplist00 broken")},
		{App: fixture.AppSpec{BundleID: "d.escape", PurchasedAt: t0, SourceApp: fixture.SourceAppStore}, UUID: "D0000000-0000-4000-8000-000000000000",
			InfoPlist: mustPlist(t, map[string]any{"CFBundleIdentifier": "d.escape", "CFBundleExecutable": "../../../../usr/bin/x"})},
		{App: fixture.AppSpec{BundleID: "e.info.array", PurchasedAt: t0, SourceApp: fixture.SourceAppStore}, UUID: "E0000000-0000-4000-8000-000000000000",
			InfoPlist: mustPlist(t, []any{int64(1)}), ContainerMetadata: mustPlist(t, "a string")},
	}
	m := mapFS(fixture.AppBundleFiles(apps))
	// A second bundle in one container; a folder where a plist should be.
	m[fixture.AppBundleRoot+"/E0000000-0000-4000-8000-000000000000/Zeta.app/Info.plist"] = &fstest.MapFile{Data: mustPlist(t, map[string]any{"CFBundleExecutable": "Zeta"})}
	unread := fixture.AppBundleRoot + "/F0000000-0000-4000-8000-000000000000/iTunesMetadata.plist"
	m[unread] = &fstest.MapFile{Data: []byte("x")}
	o := runUnreadable(t, m, unread)
	if o.Status.State != module.Partial {
		t.Fatalf("status %+v, want partial", o.Status)
	}
	got := moduletest.Project(o.List(t), "name", "isodate", "executable", "has_itunes_metadata", "bundle_path")
	want := []map[string]any{
		{"name": "", "isodate": nil, "executable": "", "has_itunes_metadata": true, "bundle_path": root + "F0000000-0000-4000-8000-000000000000"},
		{"name": "a.corrupt.metadata", "isodate": nil, "executable": root + "A0000000-0000-4000-8000-000000000000/metadata.app/metadata",
			"has_itunes_metadata": true, "bundle_path": root + "A0000000-0000-4000-8000-000000000000"},
		{"name": "b.array.metadata", "isodate": nil, "executable": root + "B0000000-0000-4000-8000-000000000000/metadata.app/metadata",
			"has_itunes_metadata": true, "bundle_path": root + "B0000000-0000-4000-8000-000000000000"},
		{"name": "c.bad.info", "isodate": "2021-07-04 03:12:09.000000", "executable": "", "has_itunes_metadata": true,
			"bundle_path": root + "C0000000-0000-4000-8000-000000000000"},
		{"name": "d.escape", "isodate": "2021-07-04 03:12:09.000000", "executable": "", "has_itunes_metadata": true,
			"bundle_path": root + "D0000000-0000-4000-8000-000000000000"},
		{"name": "e.info.array", "isodate": "2021-07-04 03:12:09.000000", "executable": root + "E0000000-0000-4000-8000-000000000000/Zeta.app/Zeta", "has_itunes_metadata": true,
			"bundle_path": root + "E0000000-0000-4000-8000-000000000000"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	joined := strings.Join(o.Status.Problems, "\n")
	for _, p := range []string{
		"A0000000-0000-4000-8000-000000000000/iTunesMetadata.plist: iTunesMetadata cannot be decoded",
		"B0000000-0000-4000-8000-000000000000/iTunesMetadata.plist: iTunesMetadata holds an array, want a dictionary",
		"C0000000-0000-4000-8000-000000000000/.com.apple.mobile_container_manager.metadata.plist: cannot be decoded",
		"C0000000-0000-4000-8000-000000000000/info.app/Info.plist: cannot be decoded",
		`D0000000-0000-4000-8000-000000000000/escape.app/Info.plist: CFBundleExecutable "../../../../usr/bin/x" is not a file name`,
		"E0000000-0000-4000-8000-000000000000/.com.apple.mobile_container_manager.metadata.plist: holds a string, want a dictionary",
		"E0000000-0000-4000-8000-000000000000: 2 app bundles (Zeta.app, array.app); only Zeta.app was read",
		`read "` + fixture.AppBundleRoot + `/F0000000-0000-4000-8000-000000000000/iTunesMetadata.plist"`,
	} {
		if !strings.Contains(joined, p) {
			t.Errorf("no problem %q in:\n%s", p, joined)
		}
	}
	if len(o.Status.Problems) != 8 {
		t.Errorf("%d problems, want 8:\n%s", len(o.Status.Problems), joined)
	}
}

func TestDumpUnreadable(t *testing.T) {
	t.Run("absent", func(t *testing.T) {
		o := runDump(t, nil, fstest.MapFS{"private/var/mobile/Library/x": &fstest.MapFile{Data: []byte("x")}})
		if o.Status.State != module.Skipped || o.Status.Records != 0 {
			t.Errorf("status %+v, want skipped", o.Status)
		}
	})
	t.Run("nothing_readable", func(t *testing.T) {
		a, b := fixture.AppBundleRoot+"/A/iTunesMetadata.plist", fixture.AppBundleRoot+"/B/iTunesMetadata.plist"
		o := runUnreadable(t, fstest.MapFS{a: &fstest.MapFile{Data: []byte("x")}, b: &fstest.MapFile{Data: []byte("x")}}, a, b)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "no file of the 2 app bundle containers could be read") {
			t.Errorf("status %+v, want failed", o.Status)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		defer applications.SetMaxContainers(3)()
		o := runBundles(t, nil, fixture.SampleAppBundles(fixture.Epoch, 5, 1))
		if o.Status.State != module.Partial || o.Status.Records != 3 || len(o.Status.Problems) != 1 ||
			!strings.Contains(o.Status.Problems[0], "2 app bundle containers beyond the first 3 were not read") {
			t.Errorf("status %+v, want partial with 3 records and one problem", o.Status)
		}
	})
}

// On a backup the device paths are not read, even when the acquisition holds them.
func TestBackupIgnoresDevicePaths(t *testing.T) {
	b := backup(t, &fixture.ApplicationsSpec{Apps: []fixture.AppSpec{{BundleID: "ch.sbb.mobile", ItemName: "SBB", PurchasedAt: t0}}})
	info, err := plist.Marshal(b.Info, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	m := mapFS(fixture.AppBundleFiles(fixture.SampleAppBundles(fixture.Epoch, 3, 1)))
	m["Info.plist"] = &fstest.MapFile{Data: info}
	o := moduletest.Run(t, memfs.New(acquire.IOSBackup, m), nil, applications.New())
	got := moduletest.Project(o.List(t), "name", "bundle_path")
	if diff := cmp.Diff([]map[string]any{{"name": "ch.sbb.mobile"}}, got); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %+v, records (-want +got):\n%s", o.Status, diff)
	}
	// And a dump's root Info.plist, if any, is not a backup's.
	m2 := mapFS(fixture.AppBundleFiles(fixture.SampleAppBundles(fixture.Epoch, 2, 1)))
	m2["Info.plist"] = &fstest.MapFile{Data: info}
	o2 := runDump(t, nil, m2)
	for _, r := range o2.List(t) {
		if r["name"] == "ch.sbb.mobile" && r["bundle_path"] == nil {
			t.Errorf("dump read the root Info.plist: %v", r)
		}
	}
	if o2.Status.Records != 2 {
		t.Errorf("status %+v, want 2 records", o2.Status)
	}
}

// The lead builds dumps with (*Backup).WriteFilesystem and AppBundleFiles; iosfs opens
// them, as a folder and as a .tar.gz.
func TestWriteFilesystemDump(t *testing.T) {
	apps := fixture.SampleAppBundles(fixture.Epoch, 8, 3)
	fixture.PlantAppBundleWithoutMetadata(&apps, "com.example.diag", "diagd")
	fixture.PlantAppBundleFromInstaller(&apps, "com.example.spy", "com.example.installer", t0)
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	dir := filepath.Join(t.TempDir(), "dump")
	if err := b.WriteFilesystem(dir, fixture.AppBundleFiles(apps)); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, p string) {
		d, err := iosfs.Open(context.Background(), p, iosfs.Options{Want: applications.New().Info().Paths})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		o := moduletest.Run(t, d, moduletest.Index("file_names", "diagd"), applications.New())
		if o.Status.State != module.OK || o.Status.Records != 10 || len(o.Timeline) != 9 {
			t.Errorf("status %+v, %d timeline rows: want ok, 10 records, 9 rows", o.Status, len(o.Timeline))
		}
		want := []string{
			"HIGH ioc/file_name 0001-01-01T00:00:00Z",
			"LOW applications/no-store-metadata 0001-01-01T00:00:00Z",
			"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z",
		}
		if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
			t.Errorf("alerts (-want +got):\n%s", diff)
		}
	}
	t.Run("folder", func(t *testing.T) { check(t, dir) })
	t.Run("tar_gz", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "dump.tar.gz")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := fixture.TarDirectory(dir, f, true); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		check(t, p)
	})
}

func TestSampleAppBundles(t *testing.T) {
	apps := fixture.SampleAppBundles(fixture.Epoch, 40, 9)
	if diff := cmp.Diff(apps, fixture.SampleAppBundles(fixture.Epoch, 40, 9)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := runBundles(t, nil, apps)
	if o.Status.State != module.OK || o.Status.Records != 40 || len(o.Alerts) != 0 || len(o.Timeline) != 40 {
		t.Errorf("status %+v, alerts %v, %d timeline rows: want ok, 40 records and rows, no alert", o.Status, summary(o.Alerts), len(o.Timeline))
	}
	for _, r := range o.List(t) {
		if r["has_itunes_metadata"] != true || r["executable"] == "" || r["name"] != r["softwareVersionBundleId"] {
			t.Errorf("record %v: want metadata, an executable and matching identifiers", r)
		}
	}
}

func FuzzBundle(f *testing.F) {
	apps := fixture.SampleAppBundles(fixture.Epoch, 1, 1)
	files := fixture.AppBundleFiles(apps)
	dir := fixture.AppBundlePath(apps[0])
	f.Add(files[dir+"/"+fixture.ContainerMetadataPlist], files[dir+"/WhatsApp.app/Info.plist"], files[dir+"/iTunesMetadata.plist"])
	f.Add([]byte("bplist00"), []byte(`<plist><dict><key>CFBundleExecutable</key><string>..</string></dict></plist>`), []byte{})
	f.Fuzz(func(t *testing.T, mcm, info, md []byte) {
		app, _ := applications.ParseBundle(mcm, info, md)
		if _, err := app.MarshalJSON(); err != nil {
			t.Fatalf("record does not encode: %v", err)
		}
		_ = app.Timeline()
		if e := app.Bundle.Executable; e != "" && (strings.Contains(e, "/../") || !strings.HasPrefix(e, "/"+applications.BundleRoot+"/UUID/X.app/")) {
			t.Fatalf("executable %q outside the bundle", e)
		}
	})
}

// TestDumpBundleIDs checks an identifier that only the app's Info.plist gives (the
// container names another, the App Store metadata is absent): it is checked against
// indicators, written under bundle_ids, and checked again when the records are
// reloaded.
func TestDumpBundleIDs(t *testing.T) {
	app := fixture.AppBundleSpec{App: fixture.AppSpec{BundleID: "com.example.diag", ItemName: "Diag", NoMetadata: true},
		UUID: uuidA, ContainerMetadata: mustPlist(t, map[string]any{"MCMMetadataIdentifier": "com.example.cover"})}
	ix := moduletest.Index("app_ids", "com.example.diag")
	o := runBundles(t, ix, []fixture.AppBundleSpec{app})
	got := moduletest.Project(o.List(t), "name", "bundle_ids")
	want := []map[string]any{{"name": "com.example.cover", "bundle_ids": []any{"com.example.cover", "com.example.diag"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantAlerts := []string{"CRITICAL ioc/app_id 0001-01-01T00:00:00Z", "LOW applications/no-store-metadata 0001-01-01T00:00:00Z"}
	if diff := cmp.Diff(wantAlerts, summary(o.Alerts)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}
