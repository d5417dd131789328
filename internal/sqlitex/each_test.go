package sqlitex_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/sqlitex"
)

// rowsDB opens t.db, whose table t has rows rows (id 1…rows, txt "row <id>").
func rowsDB(t *testing.T, rows int) *sqlitex.DB {
	t.Helper()
	dir := t.TempDir()
	w, err := sql.Open("sqlite", filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE t (id INTEGER PRIMARY KEY, txt TEXT)",
		fmt.Sprintf("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < %d) INSERT INTO t SELECT i, 'row ' || i FROM c", rows),
	} {
		if _, err := w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sqlitex.Open(context.Background(), localFS{dir}, "t.db", sqlitex.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEachRow(t *testing.T) {
	const total = 2500
	errBad := errors.New("bad row")
	errStop := errors.New("stop")
	tests := []struct {
		name     string
		query    string
		bad      []int                            // rows whose scan fails
		fail     func(n int, cancel func()) error // called for each row handed to fn
		pre      func(cancel func())              // before EachRow
		noOnBad  bool                             // onBadRow is nil
		wantRows func(got []int) bool             // rows handed to fn
		wantBad  []int                            // rows handed to onBadRow
		wantErr  func(err error, ctx context.Context) bool
	}{
		{
			name:     "every row",
			wantRows: func(got []int) bool { return len(got) == total && got[0] == 1 && got[total-1] == total },
			wantErr:  func(err error, _ context.Context) bool { return err == nil },
		},
		{
			name:     "scan error on one row is reported and skipped",
			bad:      []int{2},
			wantRows: func(got []int) bool { return len(got) == total-1 && got[0] == 1 && got[1] == 3 },
			wantBad:  []int{2},
			wantErr:  func(err error, _ context.Context) bool { return err == nil },
		},
		{
			name:     "scan errors without onBadRow are skipped",
			bad:      []int{1, total},
			noOnBad:  true,
			wantRows: func(got []int) bool { return len(got) == total-2 && got[0] == 2 && got[len(got)-1] == total-1 },
			wantErr:  func(err error, _ context.Context) bool { return err == nil },
		},
		{
			name: "error of fn stops and is returned unchanged",
			fail: func(n int, _ func()) error {
				if n == 3 {
					return errStop
				}
				return nil
			},
			wantRows: func(got []int) bool { return slices.Equal(got, []int{1, 2, 3}) },
			wantErr:  func(err error, _ context.Context) bool { return err == errStop },
		},
		{
			name: "context cancelled during the loop stops",
			fail: func(n int, cancel func()) error {
				if n == 5 {
					cancel()
				}
				return nil
			},
			wantRows: func(got []int) bool { return len(got) >= 5 && len(got) < 1000 },
			wantErr: func(err error, ctx context.Context) bool {
				return err == ctx.Err() && errors.Is(err, context.Canceled)
			},
		},
		{
			name:     "context cancelled before",
			pre:      func(cancel func()) { cancel() },
			wantRows: func(got []int) bool { return len(got) == 0 },
			wantErr: func(err error, ctx context.Context) bool {
				return err == ctx.Err() && errors.Is(err, context.Canceled)
			},
		},
		{
			name:     "query error names table and database",
			query:    "SELECT nope FROM t",
			wantRows: func(got []int) bool { return len(got) == 0 },
			wantErr: func(err error, _ context.Context) bool {
				return err != nil && strings.HasPrefix(err.Error(), `query "t" in "t.db": `)
			},
		},
		{
			name:     "error while reading rows names table and database",
			query:    "SELECT id, CASE WHEN id = 3 THEN json_extract('not json', '$') ELSE txt END FROM t ORDER BY id",
			wantRows: func(got []int) bool { return slices.Equal(got, []int{1, 2}) },
			wantErr: func(err error, _ context.Context) bool {
				return err != nil && strings.HasPrefix(err.Error(), `read "t" in "t.db": `)
			},
		},
	}
	db := rowsDB(t, total)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sqlitex.FailRows(t, errBad, tc.bad...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.pre != nil {
				tc.pre(cancel)
			}
			q := tc.query
			if q == "" {
				q = "SELECT id, txt FROM t ORDER BY id"
			}
			var rows, bad []int
			fn := func(n int, vals []any) error {
				rows = append(rows, n)
				if id, _ := sqlitex.Int(vals[0]); len(vals) != 2 || id != int64(n) || sqlitex.Text(vals[1]) != fmt.Sprintf("row %d", n) {
					t.Errorf("row %d: values %v", n, vals)
				}
				if tc.fail != nil {
					return tc.fail(n, cancel)
				}
				return nil
			}
			onBad := func(n int, err error) {
				if !errors.Is(err, errBad) {
					t.Errorf("row %d: bad-row error %v", n, err)
				}
				bad = append(bad, n)
			}
			if tc.noOnBad {
				onBad = nil
			}
			err := db.EachRow(ctx, "t", q, fn, onBad)
			if !tc.wantErr(err, ctx) {
				t.Errorf("err = %v", err)
			}
			if !tc.wantRows(rows) {
				t.Errorf("fn got %d rows (%v…)", len(rows), rows[:min(len(rows), 5)])
			}
			if !slices.Equal(bad, tc.wantBad) {
				t.Errorf("onBadRow got %v, want %v", bad, tc.wantBad)
			}
		})
	}
}

func TestEachNamedRow(t *testing.T) {
	db := rowsDB(t, 3)
	var got []string
	err := db.EachNamedRow(context.Background(), "t", "SELECT t.* FROM t ORDER BY id", func(n int, names []string, vals []any) error {
		got = append(got, fmt.Sprintf("%d %v=%v", n, names, vals))
		return nil
	}, nil)
	want := []string{"1 [id txt]=[1 row 1]", "2 [id txt]=[2 row 2]", "3 [id txt]=[3 row 3]"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("err = %v, rows %q, want %q", err, got, want)
	}
}
