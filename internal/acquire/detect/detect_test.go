package detect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/report/results"
)

// The phone of fixture.DefaultDevice, as Detect describes it.
const defaultPhone = " of an iPhone 13 Pro (iOS 17.3.1)"

// smallBackup is a backup of fixture.DefaultDevice with two files.
func smallBackup() *fixture.Backup {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile("HomeDomain", "Library/Preferences/com.apple.example.plist", []byte("x"))
	b.AddFile("MediaDomain", "Media/DCIM/100APPLE/IMG_0001.JPG", []byte("\xff\xd8\xff"))
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p string, data []byte) string {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, data, 0o644))
	return p
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) string {
	t.Helper()
	for name, data := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), data)
	}
	must(t, os.MkdirAll(dir, 0o755))
	return dir
}

func tarOf(t *testing.T, dir, p string, gz bool) string {
	t.Helper()
	f, err := os.Create(p)
	must(t, err)
	must(t, fixture.TarDirectory(dir, f, gz))
	must(t, f.Close())
	return p
}

func ageOf(t *testing.T, plain []byte, r age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	must(t, err)
	_, err = w.Write(plain)
	must(t, err)
	must(t, w.Close())
	return buf.Bytes()
}

// hashTree hashes every name, mode, size, time and content under dir.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		h.Write([]byte(p + fi.Mode().String() + fi.ModTime().String()))
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// TestDetect builds every kind of evidence with package fixture, under names that lie
// about it, and checks that Detect tells each by its content, hands the right path to
// the opener, and says what it is.
func TestDetect(t *testing.T) {
	root := t.TempDir()
	in := func(name string) string { return filepath.Join(root, name) }

	// iOS backups.
	must(t, smallBackup().Write(in("bugreport.zip")))
	must(t, smallBackup().Write(in("photos/"+fixture.DefaultDevice.UDID)))
	writeFile(t, in("photos/IMG_0001.JPG"), []byte("\xff\xd8\xff"))
	must(t, smallBackup().WriteEncrypted(in("notes.txt"), "Tr0ub4dor&3", fixture.EncryptOptions{DPIC: 1000, ITER: 10}))
	// A backup whose Manifest.plist does not say it is encrypted, but whose Manifest.db is
	// not SQLite (encrypted by iOS 10.2 and later).
	writeFiles(t, in("unsaid"), map[string][]byte{"Manifest.plist": []byte(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Version</key><string>10.0</string></dict></plist>`),
		"Manifest.db": bytes.Repeat([]byte{0x9c, 0x41}, 64)})
	writeFiles(t, in("old"), map[string][]byte{"Manifest.mbdb": []byte("mbdb\x05\x00")})

	// iOS file-system dumps: a folder, a tar, and a .tar.gz of a folder holding it.
	must(t, smallBackup().WriteFilesystem(in("backup.ab"), nil))
	tarOf(t, in("backup.ab"), in("IMG_0002.jpg"), false)
	must(t, smallBackup().WriteFilesystem(in("case/filesystem"), nil))
	tarOf(t, in("case"), in("report.pdf"), true)

	// A sysdiagnose: its folder, and the .tar.gz holding it under its own name.
	sdFiles, sdName, _, err := fixture.ScenarioSysdiagnose(false)
	must(t, err)
	for name, f := range sdFiles {
		writeFile(t, in("sd/"+sdName+"/"+name), f.Data)
	}
	tarOf(t, in("sd"), in("Manifest.db"), true)

	// Android bug reports.
	br, _, err := fixture.ScenarioBugreport(false)
	must(t, err)
	writeFile(t, in("backup-2026.ab"), br)
	_, err = fixture.WriteScenarioBugreportFolder(in("sysdiagnose_x"), false)
	must(t, err)

	// Android backups: .ab plain and encrypted, a plain tar, a folder.
	ab, _, err := fixture.ScenarioAndroidBackup(false, "")
	must(t, err)
	writeFile(t, in("photo.jpg"), ab)
	abEnc, _, err := fixture.ScenarioAndroidBackup(false, fixture.ScenarioAndroidBackupPassword)
	must(t, err)
	writeFile(t, in("notes.zip"), abEnc)
	abTar, err := fixture.AndroidBackupTar(fixture.AndroidBackupSpec{Version: 5, SMS: fixture.SampleAndroidSMS(fixture.Epoch, 5, 1)})
	must(t, err)
	writeFile(t, in("holiday.tar.gz"), abTar)
	_, err = fixture.WriteScenarioAndroidBackupFolder(in("Manifest"), false)
	must(t, err)

	// androidqf: a folder one folder down (as androidqf writes it), a zip with a top
	// folder, a zip without acquisition.json, and age-encrypted zips.
	aqf, _, err := fixture.ScenarioAndroidQF(false)
	must(t, err)
	writeFiles(t, in("bugreport-x/androidqf_5c2e0a3e"), aqf)
	writeFile(t, in("backup.ab.zip"), fixture.ZipOf(aqf, fixture.ZipOptions{Top: "androidqf_5c2e0a3e"}))
	delete(aqf, "acquisition.json")
	writeFile(t, in("photos.zip"), fixture.ZipOf(aqf, fixture.ZipOptions{}))
	id, err := age.GenerateX25519Identity()
	must(t, err)
	writeFile(t, in("IMG_0003.jpg"), ageOf(t, fixture.ZipOf(aqf, fixture.ZipOptions{}), id.Recipient()))
	sr, err := age.NewScryptRecipient("a passphrase")
	must(t, err)
	sr.SetWorkFactor(10)
	writeFile(t, in("IMG_0004.jpg"), ageOf(t, []byte("PK\x05\x06"), sr))

	// Intrusion logs: a folder, a zip of the folder, a zip of that zip.
	_, err = fixture.WriteScenarioIntrusionLogs(in("androidqf_x"), false)
	must(t, err)
	ilZip, _, err := fixture.ScenarioIntrusionLogsZip(false)
	must(t, err)
	writeFile(t, in("sms.db"), ilZip)
	writeFile(t, in("export.jpg"), fixture.ZipOf(map[string][]byte{"2026-03-14.zip": ilZip}, fixture.ZipOptions{}))

	// Results folders: spytrace's (of an androidqf check, holding mounts.json and
	// root_binaries.json as a collection does), MVT's with and without info.json, and a
	// folder of cases.
	writeResults(t, in("acquisition.json"), results.Info{Tool: "spytrace", Version: "0.9.0", Command: "android check-androidqf",
		Date: "2026-03-14 10:00:00.000000", Acquisition: map[string]any{"kind": "androidqf"}}, "mounts", "root_binaries", "aqf_packages")
	writeFiles(t, in("mvt"), map[string][]byte{"info.json": []byte(`{"mvt_version": "2.5.4", "date": "2024-01-02 03:04:05.000000", "ioc_files": []}`),
		"sms.json": []byte("[]\n"), "safari_history.json": []byte("[]\n")})
	writeFiles(t, in("mvt-old/case1"), map[string][]byte{"safari_history.json": []byte("[]\n")})
	writeResults(t, in("cases/a"), results.Info{Tool: "spytrace", Command: "ios check-backup"}, "sms")
	writeResults(t, in("cases/b"), results.Info{Tool: "spytrace", Command: "ios check-fs"}, "sms")

	before := hashTree(t, root)
	defer func() {
		if hashTree(t, root) != before {
			t.Error("the evidence changed")
		}
	}()
	// The archive's name: sysdiagnose_2026.03.14_11-26-53+0200_iPhone-OS_iPhone_23B85.
	const sdTaken = " taken 2026-03-14 11:26:53 (UTC+02:00, the phone's clock) on an iPhone with iOS 26.1 (23B85)"
	const brPhone = " of a google oriole with Android 14 (build UP1A.231005.007), taken 2026-03-14 10:26:53 (the phone's clock)"
	for _, tc := range []struct {
		name, path string
		want       Result
	}{
		{"iOS backup", in("bugreport.zip"), Result{Kind: IOSBackup, Path: in("bugreport.zip"), What: "an iOS backup" + defaultPhone}},
		{"iOS backup one folder down", in("photos"), Result{Kind: IOSBackup, Path: in("photos/" + fixture.DefaultDevice.UDID), What: "an iOS backup" + defaultPhone}},
		{"encrypted iOS backup", in("notes.txt"), Result{Kind: IOSBackup, Path: in("notes.txt"), Encrypted: true, What: "an encrypted iOS backup" + defaultPhone}},
		{"encrypted Manifest.db", in("unsaid"), Result{Kind: IOSBackup, Path: in("unsaid"), Encrypted: true, What: "an encrypted iOS backup"}},
		{"iOS 9 backup", in("old"), Result{Kind: IOSBackup, Path: in("old"), What: "an iOS backup, made by iOS 9 or older (Manifest.mbdb), a format spytrace does not read"}},
		{"dump folder", in("backup.ab"), Result{Kind: IOSFilesystem, Path: in("backup.ab"), What: "an iOS file-system dump (folder)"}},
		{"dump tar", in("IMG_0002.jpg"), Result{Kind: IOSFilesystem, Path: in("IMG_0002.jpg"), What: "an iOS file-system dump (tar)"}},
		{"dump tar.gz one folder down", in("report.pdf"), Result{Kind: IOSFilesystem, Path: in("report.pdf"), What: `an iOS file-system dump (tar.gz), rooted in its folder "filesystem"`}},
		{"dump folder one folder down", in("case"), Result{Kind: IOSFilesystem, Path: in("case/filesystem"), What: "an iOS file-system dump (folder)"}},
		{"sysdiagnose folder", in("sd/" + sdName), Result{Kind: IOSSysdiagnose, Path: in("sd/" + sdName), What: "an iOS sysdiagnose archive (folder)"}},
		{"sysdiagnose tar.gz", in("Manifest.db"), Result{Kind: IOSSysdiagnose, Path: in("Manifest.db"), What: "an iOS sysdiagnose archive (tar.gz)" + sdTaken}},
		{"bug report zip", in("backup-2026.ab"), Result{Kind: AndroidBugreport, Path: in("backup-2026.ab"), What: "an Android bug report (zip)" + brPhone}},
		{"bug report folder", in("sysdiagnose_x"), Result{Kind: AndroidBugreport, Path: in("sysdiagnose_x"), What: "an Android bug report (folder)" + brPhone}},
		{".ab", in("photo.jpg"), Result{Kind: AndroidBackup, Path: in("photo.jpg"), What: "an Android backup (.ab, format version 5, compressed)"}},
		{"encrypted .ab", in("notes.zip"), Result{Kind: AndroidBackup, Path: in("notes.zip"), Encrypted: true,
			What: "an encrypted Android backup (.ab, format version 5, compressed, AES-256; it needs its password)"}},
		{"Android backup tar", in("holiday.tar.gz"), Result{Kind: AndroidBackup, Path: in("holiday.tar.gz"), What: `an Android backup as a plain tar (apps/ at its top, as "abe unpack" writes it)`}},
		{"Android backup folder", in("Manifest"), Result{Kind: AndroidBackup, Path: in("Manifest"), What: "an extracted Android backup (a folder holding apps/, with the data of 1 app)"}},
		{"androidqf folder", in("bugreport-x"), Result{Kind: AndroidQF, Path: in("bugreport-x/androidqf_5c2e0a3e"), What: "an androidqf collection (folder) made with androidqf v1.8.2 on 2026-03-14 08:56:53 UTC"}},
		{"androidqf zip", in("backup.ab.zip"), Result{Kind: AndroidQF, Path: in("backup.ab.zip"), What: "an androidqf collection (zip) made with androidqf v1.8.2 on 2026-03-14 08:56:53 UTC"}},
		{"androidqf zip without acquisition.json", in("photos.zip"), Result{Kind: AndroidQF, Path: in("photos.zip"), What: "an androidqf collection (zip)"}},
		{"androidqf age to a key", in("IMG_0003.jpg"), Result{Kind: AndroidQF, Path: in("IMG_0003.jpg"), Encrypted: true,
			What: "an androidqf collection encrypted with age to a key (it needs the age identity file)"}},
		{"androidqf age to a passphrase", in("IMG_0004.jpg"), Result{Kind: AndroidQF, Path: in("IMG_0004.jpg"), Encrypted: true,
			What: "an androidqf collection encrypted with age to a passphrase (it needs the passphrase)"}},
		{"intrusion logs folder", in("androidqf_x"), Result{Kind: AndroidIntrusionLogs, Path: in("androidqf_x"), What: "Android intrusion logs (a folder of 3 exported .txt files)"}},
		{"intrusion logs zip", in("sms.db"), Result{Kind: AndroidIntrusionLogs, Path: in("sms.db"), What: "Android intrusion logs (a zip of 3 exported .txt files)"}},
		{"intrusion logs zip of zips", in("export.jpg"), Result{Kind: AndroidIntrusionLogs, Path: in("export.jpg"), What: "Android intrusion logs (a zip of 3 exported .txt files, some in zips inside it)"}},
		{"spytrace results", in("acquisition.json"), Result{Kind: Results, Path: in("acquisition.json"),
			What: "an earlier results folder of spytrace 0.9.0 (android check-androidqf, 2026-03-14 10:00:00.000000), with the records of 3 modules to check again"}},
		{"MVT results", in("mvt"), Result{Kind: Results, Path: in("mvt"), What: "an earlier results folder of MVT 2.5.4 (iOS, 2024-01-02 03:04:05.000000), with the records of 2 modules to check again"}},
		{"MVT results without info.json", in("mvt-old"), Result{Kind: Results, Path: in("mvt-old/case1"), What: "an earlier results folder of MVT (iOS), with the records of 1 module to check again"}},
		{"folder of cases", in("cases"), Result{Kind: Results, Path: in("cases"), What: "a folder of 2 earlier results folders of spytrace or MVT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// writeResults writes a results folder with info and an empty record file per module.
func writeResults(t *testing.T, dir string, info results.Info, modules ...string) {
	t.Helper()
	d, err := results.Create(dir, false)
	must(t, err)
	must(t, d.WriteJSON("info.json", info))
	for _, m := range modules {
		must(t, d.WriteFile(m+".json", []byte("[]\n")))
	}
}

// TestUnknown checks the message for what is not evidence: what spytrace reads, and
// what was seen, with the names and bytes of the input escaped.
func TestUnknown(t *testing.T) {
	root := t.TempDir()
	in := func(name string) string { return filepath.Join(root, name) }
	must(t, os.Mkdir(in("empty"), 0o755))
	writeFiles(t, in("holiday"), map[string][]byte{"IMG_0001.jpg": []byte("\xff\xd8\xff\xe0"), "IMG_0002.jpg": []byte("\xff\xd8\xff\xe0"), "notes/a.txt": []byte("hello\n")})
	writeFile(t, in("backup.ab"), []byte{0x8f, 0x1c, 0x00, 0xfe, 0x41, 0x42, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x07, 0x00, 0x00, 0x00, 0x42, 0x43, 0x44})
	writeFile(t, in("photos.zip"), fixture.ZipOf(map[string][]byte{"IMG_0001.jpg": []byte("\xff\xd8\xff"), "IMG_0002.jpg": []byte("\xff\xd8\xff"), "\x1b[2Jevil.jpg": nil}, fixture.ZipOptions{}))
	writeFile(t, in("bugreport.zip"), []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"))
	writeFile(t, in("androidqf.zip"), nil)
	writeFile(t, in("backup.zip"), fixture.ZipOf(map[string][]byte{"Manifest.plist": []byte("<plist/>"), "Manifest.db": nil}, fixture.ZipOptions{Top: "00008110-001A2B3C4D5E6F70"}))
	writeFiles(t, in("other"), map[string][]byte{"a/b.txt": []byte("plain text, no event\n"), "getprop.txt": []byte("[a]: [b]\n")})
	writeFile(t, in("truncated.zip"), []byte("PK\x03\x04 a zip cut short"))
	writeFiles(t, in("tarred"), map[string][]byte{"docs/a.txt": []byte("a"), "b.txt": []byte("b")})
	tarOf(t, in("tarred"), in("sysdiagnose.tar.gz"), true)
	must(t, os.MkdirAll(in("links"), 0o755))
	// Links to evidence are not followed: a Manifest.db that is a link, a sub-folder
	// that is a link to a backup.
	must(t, smallBackup().Write(in("real-backup")))
	links := os.Symlink(in("real-backup/Manifest.db"), in("links/Manifest.db")) == nil &&
		os.Symlink(in("real-backup"), in("links/backup")) == nil

	for _, tc := range []struct {
		name, path string
		seen       string
	}{
		{"empty folder", in("empty"), "it is an empty folder"},
		{"folder of photos", in("holiday"), `it is a folder of 3 entries (IMG_0001.jpg, IMG_0002.jpg, notes/), and none of its folders holds evidence either`},
		{"random bytes", in("backup.ab"), `it is a file of 19 bytes starting with the bytes 8f 1c 00 fe 41 42 0a 1b 5b 33 31 6d 07 00 00 00 ("....AB..[31m....")`},
		{"zip of photos", in("photos.zip"), `it is a zip whose top holds 3 entries (\x1b[2Jevil.jpg, IMG_0001.jpg, IMG_0002.jpg)`},
		{"PDF", in("bugreport.zip"), `it is a file of 23 bytes starting with the bytes 25 50 44 46 2d 31 2e 37 0a 25 e2 e3 cf d3 0a 31 ("%PDF-1.7.%.....1"): a PDF document`},
		{"empty file", in("androidqf.zip"), "it is an empty file"},
		{"zipped iOS backup", in("backup.zip"), `it is a zip whose one folder "00008110-001A2B3C4D5E6F70" holds 2 entries (Manifest.db, Manifest.plist); it holds an iOS backup, which spytrace reads as a folder: unzip it and give the backup's folder`},
		{"text files", in("other"), "it is a folder of 2 entries (a/, getprop.txt), and none of its folders holds evidence either"},
		{"damaged zip", in("truncated.zip"), "it starts as a zip does, but cannot be read as one (no zip end-of-central-directory record)"},
		{"tar.gz of documents", in("sysdiagnose.tar.gz"), "it is a tar.gz whose top holds b.txt, docs/"},
		{"links", in("links"), "it is a folder of 2 entries (Manifest.db, backup)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == in("links") && !links {
				t.Skip("symbolic links cannot be made here")
			}
			before := hashTree(t, root)
			_, err := Detect(tc.path)
			var ue *UnknownError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v (%T), want an *UnknownError", err, err)
			}
			if ue.Seen != tc.seen {
				t.Errorf("seen:\n%s\nwant:\n%s", ue.Seen, tc.seen)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.seen) || !strings.Contains(msg, "spytrace reads:") {
				t.Errorf("message without what was seen or what is read:\n%s", msg)
			}
			for _, a := range Accepted {
				if !strings.Contains(msg, "\n  - "+a) {
					t.Errorf("message does not list %q", a)
				}
			}
			if strings.ContainsAny(msg, "\x00\x07\x1b") {
				t.Errorf("control characters from the evidence in the message: %q", msg)
			}
			if hashTree(t, root) != before {
				t.Error("the evidence changed")
			}
		})
	}
}

// TestAmbiguous checks that a folder holding several acquisitions names them all
// instead of picking one.
func TestAmbiguous(t *testing.T) {
	root := t.TempDir()
	must(t, smallBackup().Write(filepath.Join(root, "a")))
	must(t, smallBackup().Write(filepath.Join(root, "b")))
	_, err := fixture.WriteScenarioBugreportFolder(filepath.Join(root, "c"), false)
	must(t, err)
	_, err = Detect(root)
	var ae *AmbiguousError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want an *AmbiguousError", err)
	}
	var got []string
	for _, r := range ae.Found {
		got = append(got, filepath.Base(r.Path)+" "+string(r.Kind))
	}
	if diff := cmp.Diff([]string{"a ios-backup", "b ios-backup", "c android-bugreport"}, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if msg := err.Error(); !strings.Contains(msg, "holds 3 acquisitions") || !strings.Contains(msg, filepath.Join(root, "c")+`": an Android bug report (folder)`) {
		t.Errorf("message:\n%s", msg)
	}
}

// TestLinkedPath checks that the path given may itself be a link (the analyst chose
// it), and that a missing path is an error of its own.
func TestLinkedPath(t *testing.T) {
	root := t.TempDir()
	must(t, smallBackup().Write(filepath.Join(root, "backup")))
	if err := os.Symlink(filepath.Join(root, "backup"), filepath.Join(root, "latest")); err != nil {
		t.Skip(err)
	}
	r, err := Detect(filepath.Join(root, "latest"))
	if err != nil || r.Kind != IOSBackup || r.Path != filepath.Join(root, "latest") {
		t.Errorf("got %+v, %v", r, err)
	}
	_, err = Detect(filepath.Join(root, "missing"))
	var ue *UnknownError
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &ue) {
		t.Errorf("missing path: %v", err)
	}
}

// TestDeterministic checks that the same input gives the same result.
func TestDeterministic(t *testing.T) {
	root := t.TempDir()
	must(t, smallBackup().Write(filepath.Join(root, "a")))
	first, err := Detect(root)
	must(t, err)
	for range 3 {
		again, err := Detect(root)
		must(t, err)
		if again != first {
			t.Fatalf("%+v then %+v", first, again)
		}
	}
}
