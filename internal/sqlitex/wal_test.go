package sqlitex_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// walSpec is a database with rows committed only to its write-ahead log, over several
// transactions.
var walSpec = fixture.SQLite{
	SQL: "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT); INSERT INTO message (text) VALUES ('in the main file');",
	WALOnly: "INSERT INTO message (text) VALUES ('first in the log');" +
		"INSERT INTO message (text) VALUES (zeroblob(5000));" +
		"INSERT INTO message (text) VALUES ('last in the log');",
}

// countRows opens db with wal beside it in a scratch folder, as SQLite would on a
// private copy, and counts the messages.
func countRows(t *testing.T, db, wal []byte) int {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "x.db")
	if err := os.WriteFile(p, db, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+"-wal", wal, 0o644); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow("SELECT count(*) FROM message").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// staleFrame returns wal with a copy of its last frame appended under other salts, as
// a log reset by a checkpoint leaves frames of its earlier generation behind.
func staleFrame(wal []byte) []byte {
	ps := int(binary.BigEndian.Uint32(wal[8:12]))
	last := bytes.Clone(wal[len(wal)-24-ps:])
	last[8] ^= 0xff
	return append(bytes.Clone(wal), last...)
}

// TestCheckWAL checks what CheckWAL says of sound and damaged logs against what SQLite
// itself reads from them.
func TestCheckWAL(t *testing.T) {
	db, wal, err := fixture.BuildSQLite(walSpec)
	if err != nil {
		t.Fatal(err)
	}
	all := countRows(t, db, wal)
	if all != 4 {
		t.Fatalf("the sound database has %d rows, want 4", all)
	}
	badHeader := bytes.Clone(wal)
	badHeader[25] ^= 1
	for _, tc := range []struct {
		name   string
		wal    []byte
		damage string // "" for none
		lost   bool   // SQLite reads fewer rows than from the sound log
	}{
		{"sound", wal, "", false},
		{"stale frames of an earlier generation", staleFrame(wal), "", false},
		{"bad frame checksum", fixture.CorruptWALChecksum(wal), "frame 1 of", true},
		{"cut in the last frame", fixture.CutWALFrame(wal), "cut short", true},
		{"bad header checksum", badHeader, "header checksum", true},
		{"shorter than its header", wal[:20], "shorter than", true},
		{"not a log", bytes.Repeat([]byte("x"), 4200), "magic number", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := sqlitex.CheckWAL(bytes.NewReader(tc.wal), int64(len(tc.wal)))
			if err != nil {
				t.Fatal(err)
			}
			if tc.damage == "" && c.Damage != "" || !strings.Contains(c.Damage, tc.damage) {
				t.Errorf("Damage = %q, want %q", c.Damage, tc.damage)
			}
			if c.Replayed > c.Frames || c.Replayed < 0 {
				t.Errorf("Replayed %d of %d frames", c.Replayed, c.Frames)
			}
			if got := countRows(t, db, tc.wal); (got < all) != tc.lost {
				t.Errorf("SQLite reads %d rows of %d; the case says lost=%v", got, all, tc.lost)
			}
		})
	}
}

// TestOpenReportsWALDamage checks that a database opened with a damaged log is usable
// and names the damage in Problems, and that a sound one has none.
func TestOpenReportsWALDamage(t *testing.T) {
	db, wal, err := fixture.BuildSQLite(walSpec)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string][]byte{"sound": wal, "damaged": fixture.CorruptWALChecksum(wal)} {
		t.Run(name, func(t *testing.T) {
			ev := fstest.MapFS{"Library/x.db": {Data: db}, "Library/x.db-wal": {Data: w}}
			d, err := sqlitex.Open(context.Background(), ev, "Library/x.db", sqlitex.Options{TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var n int
			if err := d.QueryRow("SELECT count(*) FROM message").Scan(&n); err != nil {
				t.Fatal(err)
			}
			switch {
			case name == "sound" && len(d.Problems) != 0:
				t.Errorf("problems of a sound log: %q", d.Problems)
			case name == "damaged" && (len(d.Problems) != 1 || !strings.Contains(d.Problems[0], "Library/x.db-wal: frame 1 of") || !strings.Contains(d.Problems[0], "missing")):
				t.Errorf("problems of a damaged log: %q", d.Problems)
			}
		})
	}
}

// FuzzCheckWAL checks CheckWAL on arbitrary logs: no panic, and counts that fit the
// input (whole frames only, replayed ones among them).
func FuzzCheckWAL(f *testing.F) {
	_, wal, err := fixture.BuildSQLite(walSpec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wal)
	f.Add(fixture.CorruptWALChecksum(wal))
	f.Add(fixture.CutWALFrame(wal))
	f.Add(staleFrame(wal))
	f.Add(wal[:32])
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := sqlitex.CheckWAL(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err) // the reader holds exactly size bytes
		}
		if c.Replayed < 0 || c.Replayed > c.Frames || c.Frames*(24+512) > int64(len(data)) {
			t.Fatalf("Frames %d, Replayed %d for %d bytes", c.Frames, c.Replayed, len(data))
		}
	})
}

// unreadableFS lists every file of MapFS but cannot open those named in fail, as a
// partial backup or a compressed dump that did not keep a file.
type unreadableFS struct {
	fstest.MapFS
	fail map[string]bool
}

func (u unreadableFS) Open(name string) (fs.File, error) {
	if u.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("content not retained")}
	}
	return u.MapFS.Open(name)
}

// TestOpenReportsUnreadableSidecar checks that a write-ahead log that is listed but
// cannot be read is a problem of the database, not silently skipped.
func TestOpenReportsUnreadableSidecar(t *testing.T) {
	db, wal, err := fixture.BuildSQLite(walSpec)
	if err != nil {
		t.Fatal(err)
	}
	ev := unreadableFS{fstest.MapFS{"x.db": {Data: db}, "x.db-wal": {Data: wal}, "x.db-shm": {Data: make([]byte, 32768)}},
		map[string]bool{"x.db-wal": true, "x.db-shm": true}}
	d, err := sqlitex.Open(context.Background(), ev, "x.db", sqlitex.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if len(d.Problems) != 1 || !strings.Contains(d.Problems[0], "x.db-wal could not be read") || !strings.Contains(d.Problems[0], "content not retained") {
		t.Errorf("problems = %q, want one naming the unreadable log (the shared memory does not matter)", d.Problems)
	}
}
