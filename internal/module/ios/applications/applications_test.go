package applications_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/applications"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2021, 7, 4, 3, 12, 9, 0, time.UTC)

func backup(t testing.TB, spec *fixture.ApplicationsSpec) *fixture.Backup {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if spec != nil {
		if err := fixture.AddApplications(b, *spec); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func runBackup(t *testing.T, ix *ioc.Index, b *fixture.Backup) *moduletest.Outcome {
	t.Helper()
	return reloaded(t, moduletest.Run(t, moduletest.OpenBackup(t, b), ix, applications.New()), ix)
}

// reloaded checks that the records of o read back to the same JSON and raise the
// same alerts with the indicators ix, as check-iocs would, and returns o.
func reloaded(t *testing.T, o *moduletest.Outcome, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	moduletest.ReloadExact(t, o, ix, applications.New())
	return o
}

func run(t *testing.T, ix *ioc.Index, spec fixture.ApplicationsSpec) *moduletest.Outcome {
	t.Helper()
	return runBackup(t, ix, backup(t, &spec))
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

func TestRecords(t *testing.T) {
	icon := fixture.AppIcon(color.RGBA{1, 2, 3, 255})
	sum := sha256.Sum256(icon)
	spec := fixture.ApplicationsSpec{Apps: []fixture.AppSpec{
		{BundleID: "org.whispersystems.signal", ItemName: "Signal - Private Messenger", Artist: "Signal Messenger, LLC", Version: "7.1",
			Genre: "Social Networking", ItemID: 874139669, SourceApp: fixture.SourceAppStore, PurchasedAt: t0, Icon: icon},
		{BundleID: "ch.sbb.mobile", ItemName: "SBB Mobile", Artist: "SBB AG", Version: "12.3.0", Genre: "Travel", ItemID: 294855237,
			PurchasedAt: t0.Add(time.Hour), NoDownloadInfo: true, XML: true, Extra: map[string]any{"blob": []byte{0xff}, "name": "shadowed"}},
	}}
	o := run(t, nil, spec)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	recs := o.List(t)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	got := moduletest.Project(recs, "name", "softwareVersionBundleId", "itemName", "artistName", "bundleShortVersionString",
		"sourceApp", "purchaseDate", "isodate", "icon_sha256", "blob", "kind", "itemId")
	want := []map[string]any{
		{"name": "ch.sbb.mobile", "softwareVersionBundleId": "ch.sbb.mobile", "itemName": "SBB Mobile", "artistName": "SBB AG",
			"bundleShortVersionString": "12.3.0", "purchaseDate": "2021-07-04T04:12:09Z", "isodate": "2021-07-04 04:12:09.000000",
			"blob": "/w==", "kind": "software", "itemId": 294855237.0},
		{"name": "org.whispersystems.signal", "softwareVersionBundleId": "org.whispersystems.signal", "itemName": "Signal - Private Messenger",
			"artistName": "Signal Messenger, LLC", "bundleShortVersionString": "7.1", "sourceApp": "com.apple.AppStore",
			"purchaseDate": "2021-07-04T03:12:09Z", "isodate": "2021-07-04 03:12:09.000000", "icon_sha256": hex.EncodeToString(sum[:]),
			"kind": "software", "itemId": 874139669.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	info, ok := recs[1]["com.apple.iTunesStore.downloadInfo"].(map[string]any)
	if !ok || info["purchaseDate"] != "2021-07-04T03:12:09Z" {
		t.Errorf("downloadInfo = %v", recs[1]["com.apple.iTunesStore.downloadInfo"])
	}
	wantTimeline := []string{
		`"2021-07-04 03:12:09.000000","Applications","app_installed","App org.whispersystems.signal version 7.1 from Signal Messenger, LLC installed from com.apple.AppStore"`,
		`"2021-07-04 04:12:09.000000","Applications","app_installed","App ch.sbb.mobile version 12.3.0 from SBB AG installed from an unrecorded source (the App Store)"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}
}

func TestEntryVariants(t *testing.T) {
	notDict, err := plist.Marshal([]any{"x"}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	spec := fixture.ApplicationsSpec{Apps: []fixture.AppSpec{
		{BundleID: "a.no.metadata", NoMetadata: true, Icon: []byte("png")},
		{BundleID: "b.corrupt", Metadata: []byte("bplist00 broken")},
		{BundleID: "c.array", Metadata: notDict},
		{BundleID: "d.bad.date", ItemName: "D", SourceApp: fixture.SourceAppStore, PurchasedAt: t0,
			Extra: map[string]any{"purchaseDate": "not a date", "com.apple.iTunesStore.downloadInfo": map[string]any{"purchaseDate": int64(5)}}},
		{BundleID: "e.plist.date", ItemName: "E", PurchasedAt: t0, NoDownloadInfo: true, Extra: map[string]any{"purchaseDate": t0.Add(time.Minute)}},
	}}
	b := backup(t, &spec)
	apps := b.Info["Applications"].(map[string]any)
	apps["f.not.dict"] = "odd"
	apps["g.metadata.dict"] = map[string]any{"iTunesMetadata": map[string]any{"itemName": "G", "softwareVersionBundleId": "g.metadata.dict"}}
	o := runBackup(t, nil, b)
	if o.Status.State != module.Partial {
		t.Fatalf("status %+v, want partial", o.Status)
	}
	got := moduletest.Project(o.List(t), "name", "itemName", "isodate", "icon_sha256")
	iconSum := sha256.Sum256([]byte("png"))
	want := []map[string]any{
		{"name": "a.no.metadata", "isodate": nil, "icon_sha256": hex.EncodeToString(iconSum[:])},
		{"name": "b.corrupt", "isodate": nil},
		{"name": "c.array", "isodate": nil},
		{"name": "d.bad.date", "itemName": "D", "isodate": nil},
		{"name": "e.plist.date", "itemName": "E", "isodate": "2021-07-04 03:13:09.000000"},
		{"name": "f.not.dict", "isodate": nil},
		{"name": "g.metadata.dict", "itemName": "G", "isodate": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Status.Problems) != 3 || !strings.Contains(o.Status.Problems[0], `Info.plist: app "b.corrupt": iTunesMetadata cannot be decoded`) ||
		o.Status.Problems[1] != `Info.plist: app "c.array": iTunesMetadata holds an array, want a dictionary` ||
		o.Status.Problems[2] != `Info.plist: app "f.not.dict": entry is a string, want a dictionary` {
		t.Errorf("problems %q", o.Status.Problems)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none (no sourceApp means the App Store)", summary(o.Alerts))
	}
}

func TestUnreadable(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(b *fixture.Backup)
		state  module.State
		reason string
	}{
		{"absent", func(b *fixture.Backup) { b.Info = nil }, module.Skipped, "not in this acquisition"},
		{"no_applications_key", func(b *fixture.Backup) {}, module.OK, ""},
		{"applications_not_dict", func(b *fixture.Backup) { b.Info["Applications"] = []any{"x"} }, module.Failed, "Applications is an array, want a dictionary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := backup(t, nil)
			tc.edit(b)
			o := runBackup(t, nil, b)
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) || o.Status.Records != 0 {
				t.Errorf("status %s (%q, %d records), want %s with %q", o.Status.State, o.Status.Reason, o.Status.Records, tc.state, tc.reason)
			}
		})
	}
	t.Run("corrupt_info_plist", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "backup")
		if err := backup(t, nil).Write(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Info.plist"), []byte("bplist00 truncated"), 0o644); err != nil {
			t.Fatal(err)
		}
		bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bk.Close() })
		o := moduletest.Run(t, bk, nil, applications.New())
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, `read "Info.plist"`) {
			t.Errorf("status %+v, want failed reading Info.plist", o.Status)
		}
	})
}

func TestIndicators(t *testing.T) {
	planted := func(bundleID string) fixture.ApplicationsSpec {
		spec := fixture.SampleApplications(fixture.Epoch, 6, 2)
		fixture.PlantSideloadedApp(&spec, bundleID, fixture.SourceAppStore, t0)
		return spec
	}
	tests := []struct {
		name string
		ix   *ioc.Index
		spec fixture.ApplicationsSpec
		want []string
	}{
		{"process", moduletest.Index("processes", "com.example.diag"), planted("com.example.diag"), []string{"CRITICAL ioc/process 2021-07-04T03:12:09Z"}},
		{"app_id", moduletest.Index("app_ids", "com.example.diag"), planted("com.example.diag"), []string{"CRITICAL ioc/app_id 2021-07-04T03:12:09Z"}},
		{"both_kinds_one_alert", moduletest.Index("app_ids", "com.example.diag", "processes", "com.example.diag"), planted("com.example.diag"),
			[]string{"CRITICAL ioc/process 2021-07-04T03:12:09Z"}},
		{"key_when_metadata_lacks_id", moduletest.Index("app_ids", "com.example.diag"), func() fixture.ApplicationsSpec {
			s := planted("com.example.diag")
			s.Apps[len(s.Apps)-1].NoBundleID = true
			return s
		}(), []string{"CRITICAL ioc/app_id 2021-07-04T03:12:09Z"}},
		{"similar_id", moduletest.Index("app_ids", "com.example.diag"), planted("com.example.diagnostics"), nil},
		{"without_indicators", nil, planted("com.example.diag"), nil},
		{"sample", moduletest.Index("app_ids", "com.example.diag", "processes", "WhatsApp"), fixture.SampleApplications(fixture.Epoch, 40, 2), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, tc.spec)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallers(t *testing.T) {
	with := func(source string) fixture.ApplicationsSpec {
		spec := fixture.SampleApplications(fixture.Epoch, 4, 5)
		fixture.PlantSideloadedApp(&spec, "com.example.diag", source, t0)
		return spec
	}
	market := func(source string) fixture.ApplicationsSpec {
		spec := fixture.SampleApplications(fixture.Epoch, 4, 5)
		fixture.PlantMarketplaceApp(&spec, "com.rileytestut.Delta", source, t0)
		return spec
	}
	tests := []struct {
		name string
		spec fixture.ApplicationsSpec
		want []string
		msg  string
	}{
		{"sideloaded", with("com.example.installer"), []string{"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"},
			`Suspicious app not installed from the App Store or MDM: "Phone Diagnostics" (com.example.diag) by Device Services Ltd, installed by com.example.installer on 2021-07-04 03:12:09.000000`},
		{"other_apple_component", with("com.apple.Preferences"), []string{"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"}, ""},
		{"empty_source", with(""), nil, ""},
		{"app_store", with(fixture.SourceAppStore), nil, ""},
		{"product_page", with(fixture.SourceAppProductPage), nil, ""},
		{"mdm", with(fixture.SourceAppMDM), nil, ""},
		{"mdm_short", with("dmd"), nil, ""},
		{"testflight", with(fixture.SourceAppTestFlight), []string{"LOW applications/testflight 2021-07-04T03:12:09Z"},
			`App "Phone Diagnostics" (com.example.diag) by Device Services Ltd was installed through TestFlight (Apple's beta channel) on 2021-07-04 03:12:09.000000`},
		{"computer_sync", with("com.apple.datausage.atc"), []string{"LOW applications/computer-sync 2021-07-04T03:12:09Z"}, ""},
		{"altstore_pal", market(fixture.SourceAppAltStorePAL), []string{"LOW applications/alternative-marketplace 2021-07-04T03:12:09Z"},
			`App "Delta - Game Emulator" (com.rileytestut.Delta) by Riley Testut was installed from AltStore PAL (com.rileytestut.AltStore) on 2021-07-04 03:12:09.000000, ` +
				`an alternative marketplace allowed in the EU: legitimate there, but its apps are less vetted than App Store apps`},
		{"epic", market("com.epicgames.EpicGamesStore"), []string{"LOW applications/alternative-marketplace 2021-07-04T03:12:09Z"}, ""},
		{"lookalike_prefix", market("com.epicgamesx.store"), []string{"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"}, ""},
		{"case_matters", with("com.apple.appstore"), []string{"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, nil, tc.spec)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			if tc.msg != "" && (len(o.Alerts) != 1 || o.Alerts[0].Message != tc.msg) {
				t.Errorf("alerts %+v, want message %q", o.Alerts, tc.msg)
			}
			for _, a := range o.Alerts {
				if a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" {
					t.Errorf("alert %s lacks its texts", a.Check)
				}
			}
		})
	}
	t.Run("non_text_source", func(t *testing.T) {
		spec := with(fixture.SourceAppStore)
		spec.Apps[len(spec.Apps)-1].Extra = map[string]any{"sourceApp": int64(3)}
		o := run(t, nil, spec)
		if diff := cmp.Diff([]string{"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"}, summary(o.Alerts)); diff != "" {
			t.Errorf("alerts (-want +got):\n%s", diff)
		}
	})
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleApplications(fixture.Epoch, 50, 9)
	if diff := cmp.Diff(spec, fixture.SampleApplications(fixture.Epoch, 50, 9)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, nil, spec)
	if o.Status.State != module.OK || o.Status.Records != 50 || len(o.Alerts) != 0 || len(o.Timeline) != 50 {
		t.Errorf("status %+v, alerts %v, %d timeline rows: want ok, 50 records and rows, no alert", o.Status, summary(o.Alerts), len(o.Timeline))
	}
}

func FuzzParse(f *testing.F) {
	spec := fixture.SampleApplications(fixture.Epoch, 3, 1)
	fixture.PlantSideloadedApp(&spec, "x.y", "z", fixture.Epoch)
	for _, format := range []int{plist.XMLFormat, plist.BinaryFormat} {
		b := backup(f, &spec)
		data, err := plist.Marshal(b.Info, format)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<?xml version="1.0"?><plist version="1.0"><dict><key>Applications</key><dict><key>a</key><dict>` +
		`<key>iTunesMetadata</key><data>YnBsaXN0MDA=</data><key>PlaceholderIcon</key><string>x</string></dict></dict></dict></plist>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		apps, _, err := applications.Parse(data)
		if err != nil {
			return
		}
		for _, a := range apps {
			if _, err := a.MarshalJSON(); err != nil {
				t.Fatalf("record does not encode: %v", err)
			}
			_ = a.Timeline()
			if !a.Isodate.IsZero() && a.Isodate.Location() != time.UTC {
				t.Fatalf("time not in UTC: %+v", a)
			}
		}
	})
}

// TestDecodeMVTRecord checks records the way MVT writes them: every iTunesMetadata key
// (the download information as a nested object, the purchase date as ISO text), name,
// icon_sha256 and isodate on a backup, file_path on a dump.
func TestDecodeMVTRecord(t *testing.T) {
	record := func(bundleID, source, extra string) string {
		return `{"artistId": 1469120345, "artistName": "Device Services Ltd", "bundleShortVersionString": "1.0.3", "bundleVersion": "103",
			"com.apple.iTunesStore.downloadInfo": {"accountInfo": {"AppleID": "owner@example.com", "DSPersonID": 17179869184},
			"purchaseDate": "2021-07-04T03:12:09Z"}, "genre": "Utilities", "genreId": 6002, "itemId": 1580000001,
			"itemName": "Phone Diagnostics", "kind": "software", "softwareVersionBundleId": "` + bundleID + `",
			"sourceApp": "` + source + `", "name": "` + bundleID + `", "isodate": "2021-07-04 03:12:09.000000"` + extra + `}`
	}
	const icon = `, "icon_sha256": "1f2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff00"`
	const dump = `, "file_path": "/private/var/containers/Bundle/Application/0A1B2C3D-0000-4000-8000-00000000000A/iTunesMetadata.plist"`
	tests := []struct {
		name   string
		record string
		ix     *ioc.Index
		want   []string
	}{
		{"sideloaded", record("com.example.diag", "com.example.installer", icon), nil,
			[]string{"MEDIUM applications/not-from-app-store 2021-07-04T03:12:09Z"}},
		{"app_store", record("com.example.diag", fixture.SourceAppStore, icon), nil, nil},
		{"testflight_on_dump", record("com.example.diag", fixture.SourceAppTestFlight, dump), nil,
			[]string{"LOW applications/testflight 2021-07-04T03:12:09Z"}},
		{"app_id", record("com.example.diag", fixture.SourceAppStore, dump), moduletest.Index("app_ids", "com.example.diag"),
			[]string{"CRITICAL ioc/app_id 2021-07-04T03:12:09Z"}},
		{"process", record("com.example.diag", fixture.SourceAppMDM, icon), moduletest.Index("processes", "com.example.diag"),
			[]string{"CRITICAL ioc/process 2021-07-04T03:12:09Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := applications.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			var got []alert.Alert
			r := check.NewReporter(applications.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(tc.ix))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
