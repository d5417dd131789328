package sqlitex_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// FuzzOpen opens arbitrary bytes as an evidence database with an arbitrary write-ahead
// log (or, when journal is set, a rollback journal) beside it, the way a module does,
// and reads every row of every table. Nothing may panic or hang; the evidence must be
// left byte-identical; the files read must be those given, with their sizes; every
// value must convert to valid UTF-8 text; the private copy must be gone once the
// database is closed (or could not be opened).
func FuzzOpen(f *testing.F) {
	specs := []fixture.SQLite{
		{
			SQL:     "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, date INTEGER); INSERT INTO message (text, date) VALUES ('one', 1), ('two', 2);",
			WALOnly: "INSERT INTO message (text, date) VALUES ('three (wal only)', x'ff00'), (NULL, 4.5);",
		},
		{
			SQL:     "CREATE TABLE t (a, b BLOB); CREATE INDEX ta ON t(a); INSERT INTO t VALUES (1, x'00ff'), ('\x1b[31m', 2.5);",
			WALOnly: "DELETE FROM t WHERE a = 1; CREATE TABLE u (x); INSERT INTO u VALUES (zeroblob(600));",
		},
	}
	for _, spec := range specs {
		main, wal, err := fixture.BuildSQLite(spec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(main, wal, false)
		f.Add(main, []byte(nil), false)
		f.Add(main, wal[:len(wal)/2], false) // a WAL cut in the middle of a frame
	}
	f.Add([]byte(sqlitex.Header), []byte("\x37\x7f\x06\x82"), true)
	f.Fuzz(func(t *testing.T, db, side []byte, journal bool) {
		if len(db)+len(side) > 1<<20 {
			return
		}
		suffix := "-wal"
		if journal {
			suffix = "-journal"
		}
		ev := fstest.MapFS{"evidence.db": {Data: bytes.Clone(db), Mode: 0o444}}
		if side != nil {
			ev["evidence.db"+suffix] = &fstest.MapFile{Data: bytes.Clone(side), Mode: 0o444}
		}
		ctx := context.Background()
		tmp := t.TempDir()
		d, err := sqlitex.Open(ctx, ev, "evidence.db", sqlitex.Options{TempDir: tmp, MaxCopyBytes: 4 << 20})
		if err == nil {
			readAll(t, ctx, d)
			for _, file := range d.Files {
				mf := ev[file.Name]
				if mf == nil || int64(len(mf.Data)) != file.Size {
					t.Fatalf("read %s of %d bytes, not given so", file.Name, file.Size)
				}
			}
			if err := d.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
		}
		if !bytes.Equal(ev["evidence.db"].Data, db) || side != nil && !bytes.Equal(ev["evidence.db"+suffix].Data, side) {
			t.Fatal("the evidence changed")
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Fatalf("the private copy was left behind: %v", left)
		}
	})
}

// readAll reads at most 1000 rows of each of the first 20 tables of d through
// EachNamedRow and checks the value helpers on them.
func readAll(t *testing.T, ctx context.Context, d *sqlitex.DB) {
	var tables []string
	err := d.EachRow(ctx, "sqlite_master", "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 20", func(_ int, vals []any) error {
		tables = append(tables, sqlitex.Text(vals[0]))
		return nil
	}, nil)
	if err != nil {
		return
	}
	for _, table := range tables {
		if _, err := d.HasTable(ctx, table); err != nil {
			continue
		}
		d.Columns(ctx, table)
		q := fmt.Sprintf(`SELECT * FROM "%s" LIMIT 1000`, strings.ReplaceAll(table, `"`, `""`))
		d.EachNamedRow(ctx, table, q, func(_ int, names []string, vals []any) error {
			if len(names) != len(vals) {
				t.Fatalf("%d names for %d values", len(names), len(vals))
			}
			for _, v := range vals {
				if s := sqlitex.Text(v); !utf8.ValidString(s) {
					t.Fatalf("Text(%#v) = %q, not UTF-8", v, s)
				}
				sqlitex.Int(v)
				sqlitex.Float(v)
				sqlitex.Blob(v)
				sqlitex.IsText(v)
			}
			return nil
		}, nil)
	}
}
