package sqlitex

import (
	"database/sql"
	"slices"
	"testing"
)

// FailRows makes the scan of the rows numbered bad (from 1) fail with err until the
// test ends.
func FailRows(t testing.TB, err error, bad ...int) {
	old := scan
	scan = func(rows *sql.Rows, n int, dest []any) error {
		if slices.Contains(bad, n) {
			return err
		}
		return old(rows, n, dest)
	}
	t.Cleanup(func() { scan = old })
}
