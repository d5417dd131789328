package sqlitex_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/spytrace/spytrace/internal/sqlitex"

	_ "modernc.org/sqlite"
)

// localFS serves a folder and says where its files are, like a plain iOS backup.
type localFS struct{ dir string }

func (l localFS) Open(name string) (fs.File, error) { return os.DirFS(l.dir).Open(name) }
func (l localFS) LocalPath(name string) (string, error) {
	return filepath.Join(l.dir, filepath.FromSlash(name)), nil
}

// walEvidence makes evidence.db with 3 checkpointed rows and evidence.db-wal holding 2
// more committed rows, as copied from a live phone.
func walEvidence(t *testing.T, withSHM bool) string {
	t.Helper()
	work := t.TempDir()
	p := filepath.Join(work, "live.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"PRAGMA journal_mode=WAL",
		"CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT)",
		"INSERT INTO message (text) VALUES ('one'), ('two'), ('three')",
		"PRAGMA wal_checkpoint(TRUNCATE)",
		"PRAGMA wal_autocheckpoint=0",
		"INSERT INTO message (text) VALUES ('four (wal only)')",
		"INSERT INTO message (text) VALUES ('five (wal only)')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ev := t.TempDir()
	copyTo(t, p, filepath.Join(ev, "evidence.db"))
	copyTo(t, p+"-wal", filepath.Join(ev, "evidence.db-wal"))
	if withSHM {
		copyTo(t, p+"-shm", filepath.Join(ev, "evidence.db-shm"))
	}
	return ev
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o444); err != nil {
		t.Fatal(err)
	}
}

// snapshot hashes every file of dir (names, sizes, contents, modification times).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		sum := sha256.Sum256(data)
		out[p] = string(sum[:]) + fi.ModTime().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func texts(t *testing.T, db *sqlitex.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT text FROM message ORDER BY ROWID")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func TestWALRowsAreReadWithoutTouchingEvidence(t *testing.T) {
	for _, tc := range []struct {
		name string
		shm  bool
	}{{"wal_and_shm", true}, {"wal_without_shm_as_in_backups", false}} {
		t.Run(tc.name, func(t *testing.T) {
			ev := walEvidence(t, tc.shm)
			before := snapshot(t, ev)
			db, err := sqlitex.Open(context.Background(), localFS{ev}, "evidence.db", sqlitex.Options{TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			got := texts(t, db)
			if len(got) != 5 || got[4] != "five (wal only)" {
				t.Errorf("rows = %q, want 5 with the WAL's", got)
			}
			if !db.Copied {
				t.Error("a database with a WAL must be read from a copy")
			}
			var names []string
			for _, f := range db.Files {
				names = append(names, f.Name)
				if len(f.SHA256) != 64 {
					t.Errorf("%s copied without a hash", f.Name)
				}
			}
			sort.Strings(names)
			if !slices.Contains(names, "evidence.db-wal") || !slices.Contains(names, "evidence.db") {
				t.Errorf("files read = %v", names)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			after := snapshot(t, ev)
			if len(before) != len(after) {
				t.Fatalf("files before %d, after %d: a sidecar was created", len(before), len(after))
			}
			for p, h := range before {
				if after[p] != h {
					t.Errorf("%s changed", p)
				}
			}
		})
	}
}

func TestNoSidecarOpensInPlaceImmutable(t *testing.T) {
	ev := walEvidence(t, false)
	os.Remove(filepath.Join(ev, "evidence.db-wal"))
	before := snapshot(t, ev)
	db, err := sqlitex.Open(context.Background(), localFS{ev}, "evidence.db", sqlitex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if db.Copied {
		t.Error("a database without sidecars should be opened in place")
	}
	if got := texts(t, db); len(got) != 3 {
		t.Errorf("rows = %q", got)
	}
	db.Close()
	after := snapshot(t, ev)
	if len(after) != len(before) {
		t.Fatalf("a file was created beside the evidence: %v", after)
	}
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed", p)
		}
	}
}

func TestNotSQLite(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.db"), []byte("\x93\x11encrypted-looking bytes that are not sqlite"), 0o444)
	os.WriteFile(filepath.Join(dir, "empty.db"), nil, 0o444)
	os.WriteFile(filepath.Join(dir, "short.db"), []byte("SQLite"), 0o444)
	for _, n := range []string{"x.db", "empty.db", "short.db"} {
		_, err := sqlitex.Open(context.Background(), localFS{dir}, n, sqlitex.Options{})
		if !errors.Is(err, sqlitex.ErrNotSQLite) {
			t.Errorf("%s: err = %v, want ErrNotSQLite", n, err)
		}
	}
}

func TestCorruptDatabaseFailsClearly(t *testing.T) {
	ev := walEvidence(t, false)
	os.Remove(filepath.Join(ev, "evidence.db-wal"))
	data, _ := os.ReadFile(filepath.Join(ev, "evidence.db"))
	// Keep the header, destroy the rest of the first page and the schema.
	for i := 100; i < len(data); i++ {
		data[i] = 0xAA
	}
	os.Chmod(filepath.Join(ev, "evidence.db"), 0o644)
	os.WriteFile(filepath.Join(ev, "evidence.db"), data, 0o444)
	db, err := sqlitex.Open(context.Background(), localFS{ev}, "evidence.db", sqlitex.Options{})
	if err == nil {
		_, err = db.Query("SELECT text FROM message")
		db.Close()
	}
	if err == nil {
		t.Fatal("corrupt database opened and queried without error")
	}
}

func TestValues(t *testing.T) {
	if n, ok := sqlitex.Int("42"); !ok || n != 42 {
		t.Errorf("Int(\"42\") = %d, %v", n, ok)
	}
	if n, ok := sqlitex.Int(3.9); !ok || n != 3 {
		t.Errorf("Int(3.9) = %d, %v", n, ok)
	}
	if _, ok := sqlitex.Int([]byte("x")); ok {
		t.Error("Int of text accepted")
	}
	if s := sqlitex.Text([]byte("ok\xffend")); s != `ok\xffend` {
		t.Errorf("Text = %q", s)
	}
	if f, ok := sqlitex.Float(int64(7)); !ok || f != 7 {
		t.Errorf("Float = %v", f)
	}
}

// TestHotJournalIsRolledBackOnTheCopy copies a database in the middle of a transaction
// (uncommitted pages already in the main file, a hot -journal beside it): the committed
// state must be read, and the evidence left alone.
func TestHotJournalIsRolledBackOnTheCopy(t *testing.T) {
	work := t.TempDir()
	p := filepath.Join(work, "live.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"PRAGMA journal_mode=DELETE",
		"CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT)",
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100) INSERT INTO message (text) SELECT 'committed ' || i FROM n",
		"PRAGMA cache_size=2",
		"BEGIN",
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000) INSERT INTO message (text) SELECT hex(randomblob(200)) FROM n",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := os.Stat(p + "-journal"); err != nil {
		t.Skipf("the driver did not leave a hot journal: %v", err)
	}
	ev := t.TempDir()
	copyTo(t, p, filepath.Join(ev, "evidence.db"))
	copyTo(t, p+"-journal", filepath.Join(ev, "evidence.db-journal"))
	db.Exec("ROLLBACK")
	before := snapshot(t, ev)
	got, err := sqlitex.Open(context.Background(), localFS{ev}, "evidence.db", sqlitex.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := got.QueryRow("SELECT count(*) FROM message").Scan(&n); err != nil {
		t.Fatal(err)
	}
	got.Close()
	if n != 100 {
		t.Errorf("rows = %d, want the 100 committed ones", n)
	}
	after := snapshot(t, ev)
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed", p)
		}
	}
}

// TestPathWithURICharacters opens evidence whose folder name holds characters that
// mean something in a URI.
func TestPathWithURICharacters(t *testing.T) {
	ev := walEvidence(t, false)
	os.Remove(filepath.Join(ev, "evidence.db-wal"))
	odd := filepath.Join(t.TempDir(), "case #12? a&b %20")
	if err := os.Rename(ev, odd); err != nil {
		t.Fatal(err)
	}
	db, err := sqlitex.Open(context.Background(), localFS{odd}, "evidence.db", sqlitex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := texts(t, db); len(got) != 3 {
		t.Errorf("rows = %q", got)
	}
}
