package iosbackup_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/fixture"
)

// TestDamagedManifestWAL checks that a Manifest.db-wal whose frames SQLite ignores (a
// wrong checksum) is a problem of the backup: the rows only it held are missing, and
// the backup says so instead of passing for complete.
func TestDamagedManifestWAL(t *testing.T) {
	_, dir := sampleBackup(t)
	db, err := sql.Open("sqlite", filepath.Join(dir, "Manifest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0",
		"INSERT INTO Files VALUES ('" + fixture.FileID("HomeDomain", "Library/late.txt") + "', 'HomeDomain', 'Library/late.txt', 1, NULL)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// Copy the backup while the connection is open, as a copy made mid-write would be,
	// and damage the copy's log.
	copied := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(copied, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(copied, "Manifest.db-shm"))
	wal, err := os.ReadFile(filepath.Join(copied, "Manifest.db-wal"))
	if err != nil {
		t.Fatalf("no WAL in the copy: %v", err)
	}
	if err := os.WriteFile(filepath.Join(copied, "Manifest.db-wal"), fixture.CorruptWALChecksum(wal), 0o644); err != nil {
		t.Fatal(err)
	}
	bk, err := iosbackup.Open(context.Background(), copied, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	if _, err := fs.Stat(bk, "HomeDomain/Library/late.txt"); err == nil {
		t.Fatal("the row of the damaged log is listed: the damage was not reproduced")
	}
	found := false
	for _, p := range bk.Problems() {
		found = found || p.Kind == "damaged_database" && p.Name == "Manifest.db" && strings.Contains(p.Message, "Manifest.db-wal: frame 1")
	}
	if !found {
		t.Errorf("no damaged_database problem for Manifest.db-wal among %+v", bk.Problems())
	}
}
