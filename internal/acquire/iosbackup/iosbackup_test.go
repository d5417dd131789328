package iosbackup_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/fixture"
)

func sampleBackup(t *testing.T) (*fixture.Backup, string) {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddDir("HomeDomain", "")
	b.AddDir("HomeDomain", "Library")
	b.AddDir("HomeDomain", "Library/SMS")
	b.AddFile("HomeDomain", "Library/SMS/sms.db", []byte("not really sms"))
	b.AddFile("HomeDomain", "Library/SMS/sms.db-wal", []byte("wal"))
	// A file whose parent folders have no rows of their own.
	b.AddFile("HomeDomain", "Library/Preferences/com.apple.x.plist", []byte("plist"))
	// Names that sort between a child and its subtree ('-' and '.' come before '/').
	b.AddFile("HomeDomain", "Library/SMS-1", []byte("a"))
	b.AddFile("HomeDomain", "Library/SMS.db", []byte("b"))
	b.AddSymlink("RootDomain", "Library/link", "/private/var/root/x")
	f := b.AddFile("WirelessDomain", "Library/Databases/DataUsage.sqlite", []byte("data usage"))
	f.Modified = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "00008110-001A2B3C4D5E6F70")
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	return b, dir
}

func TestOpenPassesTestFS(t *testing.T) {
	_, dir := sampleBackup(t)
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	want := []string{
		"HomeDomain/Library/SMS/sms.db", "HomeDomain/Library/SMS/sms.db-wal",
		"HomeDomain/Library/Preferences/com.apple.x.plist", "HomeDomain/Library/SMS-1", "HomeDomain/Library/SMS.db",
		"RootDomain/Library/link", "WirelessDomain/Library/Databases/DataUsage.sqlite",
		"Info.plist", "Manifest.db", "Manifest.plist", "Status.plist",
	}
	if err := fstest.TestFS(bk, want...); err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(bk, "HomeDomain/Library/SMS/sms.db")
	if err != nil || string(data) != "not really sms" {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
	fi, err := fs.Stat(bk, "WirelessDomain/Library/Databases/DataUsage.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	md, ok := fi.Sys().(*iosbackup.Metadata)
	if !ok {
		t.Fatalf("Sys() = %T, want *Metadata", fi.Sys())
	}
	if got := md.LastModified; !got.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) || !fi.ModTime().Equal(got) {
		t.Errorf("LastModified = %v, ModTime = %v", got, fi.ModTime())
	}
	if md.Size != int64(len("data usage")) || md.UserID != 501 || md.Mode != 0o100644 {
		t.Errorf("metadata = %+v", md)
	}
	lfi, err := fs.Stat(bk, "RootDomain/Library/link")
	if err != nil || lfi.Mode().Type() != fs.ModeSymlink {
		t.Fatalf("symlink stat = %v, %v", lfi, err)
	}
	if md := lfi.Sys().(*iosbackup.Metadata); md.Target != "/private/var/root/x" {
		t.Errorf("symlink target = %q", md.Target)
	}
	ents, err := fs.ReadDir(bk, "HomeDomain/Library")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"Preferences", "SMS", "SMS-1", "SMS.db"}, names); diff != "" {
		t.Errorf("ReadDir (-want +got):\n%s", diff)
	}
}

func TestFindParentWithOneBackup(t *testing.T) {
	_, dir := sampleBackup(t)
	got, err := iosbackup.Find(filepath.Dir(dir))
	if err != nil || got != dir {
		t.Fatalf("Find(parent) = %q, %v; want %q", got, err, dir)
	}
	// A second backup makes the parent ambiguous.
	if err := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch).Write(filepath.Join(filepath.Dir(dir), "other")); err != nil {
		t.Fatal(err)
	}
	if _, err := iosbackup.Find(filepath.Dir(dir)); err == nil || !strings.Contains(err.Error(), "holds 2 backups") {
		t.Fatalf("Find with two backups: err = %v", err)
	}
	if _, err := iosbackup.Find(t.TempDir()); !errors.Is(err, iosbackup.ErrNotBackup) {
		t.Fatalf("Find(empty) err = %v, want ErrNotBackup", err)
	}
}

func TestEncryptedBackupRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(b *fixture.Backup, dir string)
	}{
		{"manifest_plist_flag", func(b *fixture.Backup, dir string) { b.Manifest["IsEncrypted"] = true }},
		{"manifest_db_not_sqlite", func(b *fixture.Backup, dir string) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			b.AddFile("HomeDomain", "Library/SMS/sms.db", []byte("x"))
			dir := t.TempDir()
			tc.modify(b, dir)
			if err := b.Write(dir); err != nil {
				t.Fatal(err)
			}
			if tc.name == "manifest_db_not_sqlite" {
				// What an encrypted Manifest.db looks like: random bytes.
				if err := os.WriteFile(filepath.Join(dir, "Manifest.db"), []byte(strings.Repeat("\x8f\x11\xa0", 700)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{})
			if !errors.Is(err, iosbackup.ErrEncrypted) {
				t.Fatalf("Open err = %v, want ErrEncrypted", err)
			}
		})
	}
}

func TestOldFormatRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Manifest.mbdb"), []byte("mbdb\x05\x00"), 0o644)
	os.WriteFile(filepath.Join(dir, "Info.plist"), []byte(`<?xml version="1.0"?><plist version="1.0"><dict/></plist>`), 0o644)
	if _, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{}); !errors.Is(err, iosbackup.ErrOldFormat) {
		t.Fatalf("err = %v, want ErrOldFormat", err)
	}
}

func TestPartialBackupAndHostileRows(t *testing.T) {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile("HomeDomain", "Library/SMS/sms.db", []byte("x")).NotStored = true
	b.AddFile("HomeDomain", "Library/ok.txt", []byte("ok"))
	b.AddFile("HomeDomain", "../../../etc/passwd", []byte("escape"))
	b.AddFile("HomeDomain", "/abs/path", []byte("abs"))
	b.AddFile("Evil/Domain", "x", []byte("slash in domain"))
	f := b.AddFile("HomeDomain", "Library/badid", []byte("bad id"))
	f.FileID = "../../../../tmp/owned"
	dir := t.TempDir()
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	// A stored file nobody lists.
	os.MkdirAll(filepath.Join(dir, "ab"), 0o755)
	os.WriteFile(filepath.Join(dir, "ab", "ab"+strings.Repeat("0", 38)), []byte("orphan"), 0o644)

	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	_, err = bk.Open("HomeDomain/Library/SMS/sms.db")
	if !acquire.IsMissing(err) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open missing file: err = %v, want ErrMissing", err)
	}
	if f, err := bk.Open("HomeDomain/Library/ok.txt"); err != nil {
		t.Fatal(err)
	} else {
		data, _ := io.ReadAll(f)
		f.Close()
		if string(data) != "ok" {
			t.Fatalf("ok.txt = %q", data)
		}
	}
	kinds := map[string]int{}
	for _, p := range bk.Problems() {
		kinds[p.Kind]++
	}
	want := map[string]int{"missing_file": 1, "rejected_row": 4, "unlisted_file": 1}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("problem kinds (-want +got):\n%s\n%v", diff, bk.Problems())
	}
	st := bk.Stats()
	if st.Missing != 1 || st.Unlisted != 1 || st.Rejected != 4 {
		t.Errorf("stats = %+v", st)
	}
	if err := fstest.TestFS(bk, "HomeDomain/Library/ok.txt"); err != nil {
		t.Fatal(err)
	}
}

// TestManifestRowsOnlyInWAL: a Manifest.db whose last rows are still in Manifest.db-wal
// (a backup copied while being written) is read with those rows, and the sidecar is
// served so that the manifest module sees them too; the evidence is not changed.
func TestManifestRowsOnlyInWAL(t *testing.T) {
	_, dir := sampleBackup(t)
	db, err := sql.Open("sqlite", filepath.Join(dir, "Manifest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	blob, err := fixture.MBFile(&fixture.BackupFile{Flags: 1, RelativePath: "Library/late.txt", Content: []byte("late")}, fixture.Epoch, 99)
	if err != nil {
		t.Fatal(err)
	}
	id := fixture.FileID("HomeDomain", "Library/late.txt")
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("INSERT INTO Files VALUES (?, 'HomeDomain', 'Library/late.txt', 1, ?)", id, blob); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, id[:2]), 0o755)
	os.WriteFile(filepath.Join(dir, id[:2], id), []byte("late"), 0o644)
	// Copy the backup while the connection is open, as a copy made mid-write would be.
	copied := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(copied, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(copied, "Manifest.db-shm"))
	if _, err := os.Stat(filepath.Join(copied, "Manifest.db-wal")); err != nil {
		t.Fatalf("no WAL in the copy: %v", err)
	}
	before, _ := os.ReadFile(filepath.Join(copied, "Manifest.db"))
	bk, err := iosbackup.Open(context.Background(), copied, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	if data, err := fs.ReadFile(bk, "HomeDomain/Library/late.txt"); err != nil || string(data) != "late" {
		t.Fatalf("row only in the WAL: %q, %v", data, err)
	}
	if _, err := fs.Stat(bk, "Manifest.db-wal"); err != nil {
		t.Errorf("Manifest.db-wal is not served: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(copied, "Manifest.db"))
	if string(before) != string(after) {
		t.Error("Manifest.db changed")
	}
	if _, err := os.Stat(filepath.Join(copied, "Manifest.db-shm")); err == nil {
		t.Error("a -shm file was created beside the evidence")
	}
}

// FuzzDecodeMBFile feeds hostile blobs to the MBFile decoder: it must never panic.
func FuzzDecodeMBFile(f *testing.F) {
	for _, bf := range []*fixture.BackupFile{
		{Flags: 1, RelativePath: "Library/SMS/sms.db", Content: []byte("x")},
		{Flags: 2, RelativePath: "Library"},
		{Flags: 4, RelativePath: "Library/link", Target: "/private/var/x"},
	} {
		blob, err := fixture.MBFile(bf, fixture.Epoch, 7)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		md, err := iosbackup.DecodeMBFile(blob)
		if err == nil && md == nil {
			t.Fatal("no metadata and no error")
		}
	})
}

// TestSymlinksInBackupAreNotFollowed: a stored file or storage folder replaced by a
// symbolic link to a file outside the backup is never read.
func TestSymlinksInBackupAreNotFollowed(t *testing.T) {
	_, dir := sampleBackup(t)
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("outside the evidence"), 0o644)
	id := fixture.FileID("HomeDomain", "Library/SMS/sms.db")
	stored := filepath.Join(dir, id[:2], id)
	os.Remove(stored)
	if err := os.Symlink(secret, stored); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	idw := fixture.FileID("WirelessDomain", "Library/Databases/DataUsage.sqlite")
	os.RemoveAll(filepath.Join(dir, idw[:2]))
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, idw), []byte("outside the evidence"), 0o644)
	os.Symlink(other, filepath.Join(dir, idw[:2]))

	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	for _, name := range []string{"HomeDomain/Library/SMS/sms.db", "WirelessDomain/Library/Databases/DataUsage.sqlite"} {
		if data, err := fs.ReadFile(bk, name); err == nil {
			t.Errorf("%s read through a symbolic link: %q", name, data)
		} else if !acquire.IsMissing(err) {
			t.Errorf("%s: err = %v, want missing", name, err)
		}
	}
	n := 0
	for _, p := range bk.Problems() {
		if p.Kind == "not_regular_file" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("not_regular_file problems = %d, want 2: %v", n, bk.Problems())
	}
}
