package sqlitex

import (
	"context"
	"database/sql"
	"fmt"
)

// EachRow runs query and calls fn for every row of its result, in order. table names
// what the query reads, for error messages.
//
//   - n is the row's number in the result, from 1 (rows that could not be read count);
//   - vals holds the row's values, one per column, as the driver gives them (see [Int],
//     [Float], [Text], [Blob]). The slice is reused for the next row: it is valid only
//     during fn, though the values it holds may be kept;
//   - a row that cannot be scanned is handed to onBadRow (which should note it with
//     out.Problem) and skipped; onBadRow may be nil;
//   - an error of fn stops the loop and is returned unchanged;
//   - when ctx is done (checked every 1000 rows and on every error) EachRow returns
//     ctx.Err() unwrapped;
//   - any other error is wrapped with table and db.Name: `query %q in %q: %w` when the
//     query cannot be run, `read %q in %q: %w` when reading its rows fails midway (a
//     corrupt page, say).
func (db *DB) EachRow(ctx context.Context, table, query string, fn func(n int, vals []any) error, onBadRow func(n int, err error)) error {
	return db.EachNamedRow(ctx, table, query, func(n int, _ []string, vals []any) error {
		return fn(n, vals)
	}, onBadRow)
}

// EachNamedRow is [DB.EachRow] for queries whose columns are not known in advance
// (SELECT t.*): fn also gets the column names, in the order of vals. names is the same
// slice for every row and must not be changed.
func (db *DB) EachNamedRow(ctx context.Context, table, query string, fn func(n int, names []string, vals []any) error, onBadRow func(n int, err error)) error {
	fail := func(verb string, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("%s %q in %q: %w", verb, table, db.Name, err)
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return fail("query", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return fail("query", err)
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 1; rows.Next(); n++ {
		if n%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(vals)
		if err := scan(rows, n, ptrs); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if onBadRow != nil {
				onBadRow(n, err)
			}
			continue
		}
		if err := fn(n, names, vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fail("read", err)
	}
	return nil
}

// scan reads row n into dest. A variable so that tests can make a row fail: scanning
// into *any cannot fail with a real driver, short of the rows being closed.
var scan = func(rows *sql.Rows, n int, dest []any) error { return rows.Scan(dest...) }
