package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/report/results"
)

// TestDatabaseProblemsMakeModulesPartial checks that the damage sqlitex finds in a
// database it opens (a write-ahead log whose frames SQLite ignores) becomes a problem
// of every module that opened it, which is then partial, instead of passing for ok.
func TestDatabaseProblemsMakeModulesPartial(t *testing.T) {
	db, wal, err := fixture.BuildSQLite(fixture.SQLite{
		SQL:     "CREATE TABLE t (x); INSERT INTO t VALUES (1);",
		WALOnly: "INSERT INTO t VALUES (2);",
	})
	if err != nil {
		t.Fatal(err)
	}
	reader := func(name string) module.Module {
		return &fake{
			info: module.Info{Name: name, Paths: []string{"HomeDomain/x.db"}},
			run: func(ctx context.Context, in *module.Input, out *module.Output) error {
				d, err := in.OpenSQLite(ctx, in.Files[0])
				if err != nil {
					return err
				}
				var n int
				if err := d.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
					return err
				}
				return out.Record(&note{ID: n})
			},
		}
	}
	for name, w := range map[string][]byte{"sound": wal, "damaged": fixture.CorruptWALChecksum(wal)} {
		t.Run(name, func(t *testing.T) {
			dir, err := results.Create(filepath.Join(t.TempDir(), "results"), false)
			if err != nil {
				t.Fatal(err)
			}
			res, err := engine.Run(context.Background(), engine.Config{
				Acquisition: memfs.New(acquire.IOSBackup, fstest.MapFS{"HomeDomain/x.db": {Data: db}, "HomeDomain/x.db-wal": {Data: w}}),
				Modules:     []module.Module{reader("first"), reader("second")},
				Results:     dir,
				TempDir:     t.TempDir(),
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range res.Statuses {
				switch {
				case name == "sound" && (st.State != module.OK || len(st.Problems) != 0):
					t.Errorf("%s on a sound log: %+v", st.Module, st)
				case name == "damaged" && (st.State != module.Partial || len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "HomeDomain/x.db-wal: frame 1")):
					t.Errorf("%s on a damaged log: %+v", st.Module, st)
				}
			}
		})
	}
}
