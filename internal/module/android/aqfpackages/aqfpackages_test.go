package aqfpackages_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io/fs"
	"strconv"
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
	"github.com/spytrace/spytrace/internal/module/android/aqfpackages"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

func run(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), ix, aqfpackages.New())
}

// streamFS serves files that can only be read from their start (as entries of a
// compressed or decrypted zip are).
type streamFS struct{ *memfs.FS }

type streamFile struct{ f fs.File }

func (s streamFile) Read(p []byte) (int, error) { return s.f.Read(p) }
func (s streamFile) Stat() (fs.FileInfo, error) { return s.f.Stat() }
func (s streamFile) Close() error               { return s.f.Close() }
func (s streamFS) Open(name string) (fs.File, error) {
	f, err := s.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return streamFile{f}, nil
}

func TestRecords(t *testing.T) {
	cert := fixture.AQFCertificate(1, "Example Signer")
	md5hex, sha1hex, sha256hex := fixture.AQFCertHashes(cert)
	spec := fixture.AQFPackagesSpec{Packages: []fixture.AQFPackage{
		{Name: "com.example.app", Installer: "com.android.vending", UID: 10123, ThirdParty: true, Files: []fixture.AQFPackageFile{
			{Path: "/data/app/~~AAA==/com.example.app-BBB==/base.apk", APK: []byte("apk"), NoHashes: true, CertDER: cert, Verified: true},
		}},
		{Name: "com.android.settings", Installer: "null", UID: 1000, System: true, Files: []fixture.AQFPackageFile{
			{Path: "/system/priv-app/Settings/Settings.apk", APK: []byte("x"), Error: "adb: error: permission denied"},
		}},
		{Name: "com.old.phone", UID: 10200},
	}}
	o := run(t, fixture.AQFPackagesFiles(spec), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	empty := map[string]any{"Md5": "", "Sha1": "", "Sha256": "", "ValidFrom": "0001-01-01T00:00:00Z", "ValidTo": "0001-01-01T00:00:00Z",
		"Issuer": "", "Subject": "", "SignatureAlgorithm": "", "SerialNumber": nil}
	want := []map[string]any{
		{"name": "com.example.app", "installer": "com.android.vending", "uid": 10123.0, "disabled": false, "system": false, "third_party": true,
			"install_source": "play-store", "files": []any{map[string]any{
				"path": "/data/app/~~AAA==/com.example.app-BBB==/base.apk", "local_name": "", "md5": "", "sha1": "", "sha256": "", "sha512": "",
				"error": "", "verified_certificate": true, "certificate_error": "", "trusted_certificate": false, "certificate_source": "packages.json",
				"certificate": map[string]any{"Md5": md5hex, "Sha1": sha1hex, "Sha256": sha256hex, "ValidFrom": "2020-01-01T00:00:00Z", "ValidTo": "2050-01-01T00:00:00Z",
					"Issuer": "C=US, O=Example Apps, CN=Example Signer", "Subject": "C=US, O=Example Apps, CN=Example Signer", "SignatureAlgorithm": "Ed25519", "SerialNumber": 1.0},
			}}},
		{"name": "com.android.settings", "installer": "null", "uid": 1000.0, "disabled": false, "system": true, "third_party": false,
			"install_source": "system", "files": []any{map[string]any{
				"path": "/system/priv-app/Settings/Settings.apk", "local_name": "", "md5": hexOf(md5.New(), "x"), "sha1": hexOf(sha1.New(), "x"),
				"sha256": hexOf(sha256.New(), "x"), "sha512": hexOf(sha512.New(), "x"),
				"error": "adb: error: permission denied", "verified_certificate": false, "certificate_error": "", "trusted_certificate": false,
				"certificate": empty,
			}}},
		{"name": "com.old.phone", "installer": "", "uid": 10200.0, "disabled": false, "system": false, "third_party": false,
			"install_source": "not-collected", "files": []any{}},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// the heuristics: none for a Play Store app, a system app, an app whose installer was not collected
	if len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func hexOf(h hash.Hash, s string) string {
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

func TestAbsentAndCorrupt(t *testing.T) {
	if o := run(t, fstest.MapFS{"getprop.txt": {Data: []byte("[a]: [b]\n")}}, nil); o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	// APKs without packages.json: skipped too
	if o := run(t, fstest.MapFS{"apks/com.x.apk": {Data: []byte("PK")}}, nil); o.Status.State != module.Skipped {
		t.Errorf("apks only: %+v", o.Status)
	}
	for _, bad := range []string{"", "not json", `{"name": "x"}`, "[1, 2"} {
		o := run(t, fstest.MapFS{"packages.json": {Data: []byte(bad)}}, nil)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "packages.json") {
			t.Errorf("%q: %+v", bad, o.Status)
		}
	}
	o := run(t, fstest.MapFS{"packages.json": {Data: []byte(`[{"name": "com.a", "files": [1, {"path": "/p", "certificate": {"Md5": 5}}], "uid": {"x": 1}}, "junk"]`)}}, nil)
	if o.Status.State != module.Partial || len(o.Status.Problems) != 2 {
		t.Fatalf("status = %+v", o.Status)
	}
	got := moduletest.Project(o.List(t), "name", "uid", "files")
	want := []map[string]any{{"name": "com.a", "uid": nil, "files": []any{map[string]any{
		"path": "/p", "local_name": "", "md5": "", "sha1": "", "sha256": "", "sha512": "", "error": "", "verified_certificate": false,
		"certificate_error": "", "trusted_certificate": false, "certificate_source": "packages.json",
		"certificate": map[string]any{"Md5": "5", "Sha1": "", "Sha256": "", "ValidFrom": nil, "ValidTo": nil, "Issuer": "", "Subject": "", "SignatureAlgorithm": nil, "SerialNumber": nil},
	}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// certificates of the streaming mode are read from the APKs, v1, v2 and v3, with the
// names of split APKs colliding as androidqf's do.
func TestStreamingCertificates(t *testing.T) {
	spec := fixture.SampleAQFPackages(now, 12, 3)
	full := fixture.SampleAQFPackages(now, 12, 3)
	fixture.AQFStreaming(&spec)
	for name, acq := range map[string]func(fstest.MapFS) acquire.Acquisition{
		"readerat": func(m fstest.MapFS) acquire.Acquisition { return memfs.New(acquire.AndroidQF, m) },
		"stream":   func(m fstest.MapFS) acquire.Acquisition { return streamFS{memfs.New(acquire.AndroidQF, m)} },
	} {
		o := moduletest.Run(t, acq(fixture.AQFPackagesFiles(spec)), nil, aqfpackages.New())
		if o.Status.State != module.OK {
			t.Fatalf("%s: status = %+v", name, o.Status)
		}
		recs := o.List(t)
		names := fixture.AQFAPKNames(full)
		sources := map[string]int{}
		splits := 0
		for i, p := range full.Packages {
			for j, f := range p.Files {
				gf := recs[i]["files"].([]any)[j].(map[string]any)
				if !f.Collected {
					if gf["certificate_source"] != nil || gf["apk"] != nil {
						t.Errorf("%s: %s: %v", name, p.Name, gf)
					}
					continue
				}
				if j > 0 {
					splits++
					if !strings.HasSuffix(names[[2]int{i, j}], "_1.apk") {
						t.Errorf("split name %q", names[[2]int{i, j}])
					}
				}
				_, _, s := fixture.AQFCertHashes(f.CertDER)
				cert := gf["certificate"].(map[string]any)
				if cert["Sha256"] != s || gf["apk"] != "apks/"+names[[2]int{i, j}] || gf["apk_sha256"] != gf["sha256"] {
					t.Errorf("%s: %s file %d: %v", name, p.Name, j, gf)
				}
				sources[gf["certificate_source"].(string)]++
			}
		}
		if sources["apk-signing-block"] == 0 || sources["jar-signature"] == 0 || splits == 0 {
			t.Errorf("%s: sources %v, splits %d", name, sources, splits)
		}
		if hi := highAlerts(o); len(hi) != 0 {
			t.Errorf("%s: alerts %v", name, hi)
		}
	}
}

func highAlerts(o *moduletest.Outcome) []alert.Alert {
	var out []alert.Alert
	for _, a := range o.Alerts {
		if a.Level >= alert.High {
			out = append(out, a)
		}
	}
	return out
}

// An APK whose hash is not the one of packages.json is not attributed to the file.
func TestAPKMismatch(t *testing.T) {
	spec := fixture.AQFPackagesSpec{}
	fixture.PlantAQFStreamedAPK(&spec, "com.spy.app", fixture.AQFSchemeV2, 99)
	files := fixture.AQFPackagesFiles(spec)
	for name := range files {
		if strings.HasPrefix(name, "apks/") {
			files[name] = &fstest.MapFile{Data: fixture.AQFAPK("com.other", fixture.AQFCertificate(5, "Other"), fixture.AQFSchemeV2)}
		}
	}
	o := run(t, files, nil)
	if o.Status.State != module.Partial {
		t.Fatalf("status = %+v", o.Status)
	}
	f := o.List(t)[0]["files"].([]any)[0].(map[string]any)
	if f["certificate_source"] != nil || !strings.Contains(f["apk_error"].(string), "differs") {
		t.Errorf("file = %v", f)
	}
	// an unsigned APK: no certificate, said in apk_error, not a problem
	spec = fixture.AQFPackagesSpec{}
	fixture.PlantAQFStreamedAPK(&spec, "com.unsigned", "", 98)
	o = run(t, fixture.AQFPackagesFiles(spec), nil)
	f = o.List(t)[0]["files"].([]any)[0].(map[string]any)
	if o.Status.State != module.OK || f["apk_error"] == nil || f["apk_sha256"] == nil {
		t.Errorf("status %+v, file = %v", o.Status, f)
	}
}

func TestIndicators(t *testing.T) {
	base := func() fixture.AQFPackagesSpec { return fixture.SampleAQFPackages(now, 6, 1) }

	spec := base()
	fixture.PlantAQFPackage(&spec, "com.spy.tracker")
	o := run(t, fixture.AQFPackagesFiles(spec), moduletest.Index(string(ioc.AppID), "com.spy.tracker"))
	if a := o.AlertsOf("ioc/app_id"); len(a) != 1 || a[0].Level != alert.Critical || a[0].Indicator.Value != "com.spy.tracker" {
		t.Errorf("app id: %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index(string(ioc.AppID), "com.spy.tracker"), aqfpackages.New())
	// false positive: a longer name
	spec = base()
	fixture.PlantAQFPackage(&spec, "com.spy.tracker.helper")
	if o := run(t, fixture.AQFPackagesFiles(spec), moduletest.Index(string(ioc.AppID), "com.spy.tracker")); len(o.Alerts) != 0 {
		t.Errorf("app id FP: %+v", o.Alerts)
	}

	spec = base()
	sum := fixture.PlantAQFFileHash(&spec, "com.spy.hash")
	o = run(t, fixture.AQFPackagesFiles(spec), moduletest.Index(string(ioc.FileSHA256), sum))
	if a := o.AlertsOf("ioc/file_hash"); len(a) != 1 || a[0].Level != alert.Critical || a[0].Indicator.Value != sum {
		t.Errorf("file hash: %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index(string(ioc.FileSHA256), sum), aqfpackages.New())
	// false positive: the hash of another file
	if o := run(t, fixture.AQFPackagesFiles(base()), moduletest.Index(string(ioc.FileSHA256), sum)); len(o.Alerts) != 0 {
		t.Errorf("file hash FP: %+v", o.Alerts)
	}

	spec = base()
	certSum := fixture.PlantAQFCertificate(&spec, "com.spy.cert", 77)
	o = run(t, fixture.AQFPackagesFiles(spec), moduletest.Index(string(ioc.AppCertHash), certSum))
	if a := o.AlertsOf("ioc/app_cert"); len(a) != 1 || a[0].Level != alert.Critical || a[0].Indicator.Value != certSum {
		t.Errorf("cert: %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index(string(ioc.AppCertHash), certSum), aqfpackages.New())
	if o := run(t, fixture.AQFPackagesFiles(base()), moduletest.Index(string(ioc.AppCertHash), certSum)); len(o.Alerts) != 0 {
		t.Errorf("cert FP: %+v", o.Alerts)
	}
}

// The certificate of a streamed collection is found in the APK, for every scheme.
func TestStreamedCertificateIndicator(t *testing.T) {
	for _, scheme := range []string{fixture.AQFSchemeV1, fixture.AQFSchemeV2, fixture.AQFSchemeV3} {
		spec := fixture.SampleAQFPackages(now, 4, 2)
		fixture.AQFStreaming(&spec)
		sum := fixture.PlantAQFStreamedAPK(&spec, "com.spy.streamed", scheme, 81)
		o := run(t, fixture.AQFPackagesFiles(spec), moduletest.Index(string(ioc.AppCertHash), sum))
		a := o.AlertsOf("ioc/app_cert")
		if len(a) != 1 || a[0].Level != alert.Critical || !strings.Contains(a[0].Message, "read from its APK") {
			t.Fatalf("%s: %+v", scheme, o.Alerts)
		}
		rec := a[0].Event.(*aqfpackages.Package)
		source := rec.Files[0].CertificateSource
		if want := map[string]string{"v1": "jar-signature", "v2": "apk-signing-block", "v3": "apk-signing-block"}[scheme]; source != want {
			t.Errorf("%s: certificate_source %v", scheme, source)
		}
		if len(o.AlertsOf(aqfpackages.NoInstaller.ID)) != 1 {
			t.Errorf("%s: no-installer: %+v", scheme, o.Alerts)
		}
		moduletest.Reload(t, o, moduletest.Index(string(ioc.AppCertHash), sum), aqfpackages.New())
		// false positive: the APK not collected, so no certificate to compare
		files := fixture.AQFPackagesFiles(spec)
		for n := range files {
			if strings.Contains(n, "com.spy.streamed") {
				delete(files, n)
			}
		}
		if o := run(t, files, moduletest.Index(string(ioc.AppCertHash), sum)); len(o.AlertsOf("ioc/app_cert")) != 0 {
			t.Errorf("%s FP: %+v", scheme, o.Alerts)
		}
	}
}

func TestHeuristics(t *testing.T) {
	tests := []struct {
		name  string
		plant func(*fixture.AQFPackagesSpec)
		id    string
		level alert.Level
	}{
		{"root", fixture.PlantAQFRootPackage, aqfpackages.RootPackage.ID, alert.Medium},
		{"store", func(s *fixture.AQFPackagesSpec) { fixture.PlantAQFThirdPartyStore(s, "org.example.fdroid") }, aqfpackages.ThirdPartyStore.ID, alert.Informational},
		{"browser", func(s *fixture.AQFPackagesSpec) { fixture.PlantAQFBrowserInstall(s, "com.example.sideloaded") }, aqfpackages.InstalledFromFile.ID, alert.Medium},
		{"null", func(s *fixture.AQFPackagesSpec) { fixture.PlantAQFNoInstaller(s, "com.example.adb") }, aqfpackages.NoInstaller.ID, alert.Medium},
		{"security", fixture.PlantAQFDisabledSecurityPackage, aqfpackages.SecurityPackageDisabled.ID, alert.Medium},
		{"update", fixture.PlantAQFDisabledUpdatePackage, aqfpackages.UpdatePackageDisabled.ID, alert.Medium},
	}
	clean := run(t, fixture.AQFPackagesFiles(fixture.SampleAQFPackages(now, 10, 4)), nil)
	if len(clean.Alerts) != 0 {
		t.Errorf("clean: %+v", clean.Alerts)
	}
	for _, tt := range tests {
		spec := fixture.SampleAQFPackages(now, 10, 4)
		tt.plant(&spec)
		o := run(t, fixture.AQFPackagesFiles(spec), nil)
		if len(o.Alerts) != 1 || o.Alerts[0].Check != tt.id || o.Alerts[0].Level != tt.level {
			t.Errorf("%s: alerts %+v", tt.name, o.Alerts)
		}
		moduletest.Reload(t, o, nil, aqfpackages.New())
	}
}

// False positives of the heuristics: the same packages in innocent states.
func TestHeuristicsFalsePositives(t *testing.T) {
	spec := fixture.AQFPackagesSpec{}
	fixture.PlantAQFNoInstaller(&spec, "com.vendor.preinstalled")
	spec.Packages[0].System = true // a system app has no installer by design
	fixture.PlantAQFDisabledSecurityPackage(&spec)
	spec.Packages[1].Disabled = false
	fixture.PlantAQFDisabledUpdatePackage(&spec)
	spec.Packages[2].Disabled = false
	spec.Packages = append(spec.Packages, fixture.AQFPackage{Name: "com.example.disabled", Installer: "com.android.vending", Disabled: true})
	spec.Packages = append(spec.Packages, fixture.AQFPackage{Name: "com.topjohnwu.magisk.fake", Installer: "com.android.vending"})
	if o := run(t, fixture.AQFPackagesFiles(spec), nil); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

// A rooting app that is also an indicator raises both (MVT stops at the rooting check).
func TestRootAndIndicator(t *testing.T) {
	spec := fixture.AQFPackagesSpec{}
	fixture.PlantAQFRootPackage(&spec)
	o := run(t, fixture.AQFPackagesFiles(spec), moduletest.Index(string(ioc.AppID), "com.topjohnwu.magisk"))
	if len(o.AlertsOf("ioc/app_id")) != 1 || len(o.AlertsOf(aqfpackages.RootPackage.ID)) != 1 || len(o.Alerts) != 2 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index(string(ioc.AppID), "com.topjohnwu.magisk"), aqfpackages.New())
}

func TestAPKBaseName(t *testing.T) {
	for _, tt := range [][3]string{
		{"com.a", "/system/app/A/A.apk", "com.a.apk"},
		{"com.a", "/data/app/com.a-1==/base.apk", "com.a_base.apk"},
		{"com.a", "/data/app/~~x==/com.a-y==/split_config.en.apk", "com.a_com.a-y.apk"},
	} {
		if got := aqfpackages.APKBaseName(tt[0], tt[1]); got != tt[2] || got != fixture.AQFAPKBaseName(tt[0], tt[1]) {
			t.Errorf("APKBaseName(%q) = %q, want %q", tt[1], got, tt[2])
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture.AQFPackagesJSON(fixture.SampleAQFPackages(now, 2, 1)))
	f.Add([]byte(`[{"name": 1, "files": [{"certificate": []}], "uid": "x"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _, err := aqfpackages.Parse(data)
		if err != nil && len(pkgs) != 0 {
			t.Fatal("records with an error")
		}
	})
}

// TestDecodeMVTRecord reads packages the way MVT writes them into aqf_packages.json (the
// packages.json entries as read, without spytrace's install_source and
// certificate_source) and checks them again: the three indicator lookups and the
// installer and disabled-package heuristics.
func TestDecodeMVTRecord(t *testing.T) {
	apkSHA, certSHA := strings.Repeat("a1", 32), strings.Repeat("c3", 32)
	pkg := func(name, installer string, system, disabled bool) string {
		return `{"name": "` + name + `", "files": [{"path": "/data/app/~~Xy==/` + name + `-Ab==/base.apk", "local_name": "",
			"md5": "", "sha1": "", "sha256": "` + apkSHA + `", "sha512": "", "error": "", "verified_certificate": true,
			"certificate": {"Md5": "", "Sha1": "", "Sha256": "` + certSHA + `", "ValidFrom": "2021-01-01T00:00:00Z",
			"ValidTo": "2051-01-01T00:00:00Z", "Issuer": "CN=Dev", "Subject": "CN=Dev", "SignatureAlgorithm": 4,
			"SerialNumber": 261535268386447930143346235620457925937}, "certificate_error": "", "trusted_certificate": false}],
			"installer": "` + installer + `", "uid": 10234, "disabled": ` + strconv.FormatBool(disabled) + `,
			"system": ` + strconv.FormatBool(system) + `, "third_party": ` + strconv.FormatBool(!system) + `}`
	}
	tests := []struct {
		name   string
		ix     *ioc.Index
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"app id", moduletest.Index(string(ioc.AppID), "com.spy.tracker"), pkg("com.spy.tracker", "com.android.vending", false, false),
			[]string{`ioc/app_id Found a known suspicious app identifier "com.spy.tracker" in the installed packages`}},
		{"apk hash", moduletest.Index(string(ioc.FileSHA256), apkSHA), pkg("com.example.app", "com.android.vending", false, false),
			[]string{`ioc/file_hash Found a known suspicious file hash "` + apkSHA + `" in the APK /data/app/~~Xy==/com.example.app-Ab==/base.apk of the package "com.example.app"`}},
		{"certificate", moduletest.Index(string(ioc.AppCertHash), certSHA), pkg("com.example.app", "com.android.vending", false, false),
			[]string{`ioc/app_cert Found a known suspicious app signing certificate "` + certSHA + `" in the signing certificate of the package "com.example.app"`}},
		{"browser install", nil, pkg("com.example.sideloaded", "com.google.android.packageinstaller", false, false),
			[]string{`aqf_packages/installed-from-file The app "com.example.sideloaded" was installed from an APK file with "com.google.android.packageinstaller" (downloaded with a browser or received as a file)`}},
		{"no installer", nil, pkg("com.example.adb", "null", false, false),
			[]string{`aqf_packages/no-installer The non-system app "com.example.adb" has no installer: installed with adb or another method`}},
		{"system app without installer", nil, pkg("com.vendor.app", "null", true, false), nil},
		{"disabled update package", nil, pkg("com.google.android.gms", "null", true, true),
			[]string{`aqf_packages/update-package-disabled The system update package "com.google.android.gms" is disabled on the phone`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := aqfpackages.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
			})
			ck := m.NewChecker(check.NewEnv(tc.ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			// the event keeps every digit of the serial number
			if b, _ := json.Marshal(rec); !strings.Contains(string(b), `"SerialNumber":261535268386447930143346235620457925937`) {
				t.Errorf("record %s", b)
			}
		})
	}
}
