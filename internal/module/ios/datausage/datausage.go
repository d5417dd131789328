// Package datausage reads DataUsage.sqlite, where the iOS cellular stack counts the
// network traffic of every process and app.
//
// The artifact is WirelessDomain/Library/Databases/DataUsage.sqlite in a backup,
// /private/var/wireless/Library/Databases/DataUsage.sqlite on the phone. It is a Core
// Data store: ZPROCESS holds one row per process (ZPROCNAME, ZBUNDLENAME, ZFIRSTTIMESTAMP
// when it first used the network, ZTIMESTAMP when it last did) and ZLIVEUSAGE rows of
// byte counters (ZTIMESTAMP, ZWIFIIN, ZWIFIOUT, ZWWANIN, ZWWANOUT) pointing to their
// process through ZHASPROCESS. Every date column is Mac absolute time (seconds since
// 2001-01-01 UTC), declared TIMESTAMP and read as a number. Z_PRIMARYKEY.Z_MAX of the
// "Process" entity is the highest process id ever handed out.
//
// Schema variants: iOS 14 has the four counters in ZLIVEUSAGE; recent phones dropped
// ZWIFIIN and ZWIFIOUT (MVT issue #531). Each counter column is looked up and read only
// when present, so any subset works; on recent iOS ZPROCNAME reads "<process>/<bundle
// id>", which records also give split.
//
// It corresponds to MVT's Datausage module (NetBase) and fixes these MVT bugs: processes
// without usage rows vanish from MVT's results as soon as one ZHASPROCESS is NULL (its
// NOT IN subquery); a process without usage gets a fake live_usage event at its first
// use; the deleted-process heuristic raises one alert per usage row on top of one per
// process; ids deleted after the last process are never seen; MVT invents dates for the
// records it makes up. Records are emitted in process-id order, so the checks see
// gaps and deleted processes in one pass with constant memory.
package datausage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "datausage"

// Path is the artifact in an iOS backup.
const Path = "WirelessDomain/Library/Databases/DataUsage.sqlite"

// maxSynthetic bounds the synthetic records written for one gap; the gap's Count still
// gives its full size (a hostile Z_MAX could announce billions of missing ids).
const maxSynthetic = 100

// Variant describes a database of the DataUsage model and the module that reads it:
// DataUsage.sqlite in backups (this package's New), netusage.sqlite in file-system
// dumps (package netusage). Its records, checks and heuristics are the same; the
// heuristics' IDs and texts name the module and the database.
type Variant struct {
	Name, Class, Description string
	// Database is the file's name in messages ("DataUsage.sqlite").
	Database string
	Kinds    []acquire.Kind
	Paths    []string

	deleted, missing, binary check.Heuristic
}

// Module reads a database of the DataUsage model.
type Module struct{ v Variant }

// New returns the module that reads DataUsage.sqlite in backups.
func New() *Module {
	return NewVariant(Variant{
		Name:        Name,
		Class:       "Datausage",
		Description: "Network usage per process (DataUsage.sqlite): processes first and last seen, deleted process records",
		Database:    "DataUsage.sqlite",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
	})
}

// NewVariant returns a module reading another database of the DataUsage model.
func NewVariant(v Variant) *Module {
	v.deleted, v.missing = Heuristics(v.Name, v.Database)
	v.binary = BinaryHeuristic(v.Name, v.Database)
	return &Module{v: v}
}

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        m.v.Name,
		Class:       m.v.Class,
		Version:     1,
		Description: m.v.Description,
		Kinds:       m.v.Kinds,
		Paths:       m.v.Paths,
	}
}

// Run implements module.Module: every file of Info.Paths present is read.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return m.read(ctx, in, out, name) })
}

func (m *Module) read(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	q, err := buildQuery(ctx, db)
	if err != nil {
		return err
	}
	zmax, err := maxProcessID(ctx, db)
	if err != nil {
		out.Problem("%v (ids deleted after the last process cannot be seen)", err)
	}
	binaries := searchBinaries(ctx, in, out, db)
	g := gapFinder{out: out}
	err = db.EachRow(ctx, "ZLIVEUSAGE/ZPROCESS", q, func(_ int, vals []any) error {
		rec := recordOf(vals)
		binaries.annotate(rec)
		if err := g.before(rec); err != nil {
			return err
		}
		return out.Record(rec)
	}, func(n int, err error) {
		out.Problem("%s: read row %d: %v", name, n, err)
	})
	if err != nil {
		return err
	}
	return g.finish(zmax)
}

// buildQuery returns the query for the tables and columns this database has: every
// usage row with its process (LEFT JOIN, so rows whose process is gone stay), then every
// process without usage rows, in process-id order.
func buildQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	hasProc, err := db.HasTable(ctx, "ZPROCESS")
	if err != nil {
		return "", err
	}
	if !hasProc {
		return "", fmt.Errorf("read %q: no ZPROCESS table (not a DataUsage database)", db.Name)
	}
	const (
		head = `SELECT * FROM (`
		// The columns are named by the first SELECT of the compound.
		processes = `SELECT p.Z_PK AS pid, p.ZFIRSTTIMESTAMP AS first_ts, p.ZTIMESTAMP AS last_ts,
			p.ZPROCNAME AS proc_name, p.ZBUNDLENAME AS bundle, NULL AS live_id, NULL AS live_proc,
			NULL AS live_ts, NULL AS wifi_in, NULL AS wifi_out, NULL AS wwan_in, NULL AS wwan_out
			FROM ZPROCESS p`
		tail = `) ORDER BY COALESCE(pid, live_proc) IS NULL, COALESCE(pid, live_proc), live_id`
	)
	hasLive, err := db.HasTable(ctx, "ZLIVEUSAGE")
	if err != nil {
		return "", err
	}
	if !hasLive {
		return head + processes + tail, nil
	}
	cols, err := db.Columns(ctx, "ZLIVEUSAGE")
	if err != nil {
		return "", err
	}
	counter := func(c string) string {
		if cols[c] {
			return "l." + c
		}
		return "NULL"
	}
	live := fmt.Sprintf(`SELECT p.Z_PK AS pid, p.ZFIRSTTIMESTAMP AS first_ts, p.ZTIMESTAMP AS last_ts,
			p.ZPROCNAME AS proc_name, p.ZBUNDLENAME AS bundle, l.Z_PK AS live_id, l.ZHASPROCESS AS live_proc,
			l.ZTIMESTAMP AS live_ts, %s AS wifi_in, %s AS wifi_out, %s AS wwan_in, %s AS wwan_out
			FROM ZLIVEUSAGE l LEFT JOIN ZPROCESS p ON l.ZHASPROCESS = p.Z_PK`,
		counter("ZWIFIIN"), counter("ZWIFIOUT"), counter("ZWWANIN"), counter("ZWWANOUT"))
	// NOT IN builds the list of referenced ids once (ZHASPROCESS has no index, so a
	// correlated NOT EXISTS would scan ZLIVEUSAGE for every process); NULLs are left out
	// of the list, or NOT IN would drop every process (MVT's bug).
	idle := processes + ` WHERE p.Z_PK NOT IN (SELECT ZHASPROCESS FROM ZLIVEUSAGE WHERE ZHASPROCESS IS NOT NULL)`
	return head + live + ` UNION ALL ` + idle + tail, nil
}

// maxProcessID returns Z_MAX of the Process entity (0 when unknown).
func maxProcessID(ctx context.Context, db *sqlitex.DB) (int64, error) {
	ok, err := db.HasTable(ctx, "Z_PRIMARYKEY")
	if err != nil || !ok {
		return 0, err
	}
	var v any
	err = db.QueryRowContext(ctx, "SELECT Z_MAX FROM Z_PRIMARYKEY WHERE Z_NAME = 'Process'").Scan(&v)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return 0, fmt.Errorf("query %q in %q: %w", "Z_PRIMARYKEY", db.Name, err)
	}
	n, _ := sqlitex.Int(v)
	return n, nil
}

// recordOf converts one row of the query.
func recordOf(v []any) *Record {
	r := &Record{
		FirstIsodate: macTime(v[1]),
		Isodate:      macTime(v[2]),
		ProcName:     sqlitex.Text(v[3]),
		BundleID:     sqlitex.Text(v[4]),
		ProcID:       intPtr(v[0]),
		LiveID:       intPtr(v[5]),
		LiveProcID:   intPtr(v[6]),
		LiveIsodate:  macTime(v[7]),
		WiFiIn:       floatPtr(v[8]),
		WiFiOut:      floatPtr(v[9]),
		WWANIn:       floatPtr(v[10]),
		WWANOut:      floatPtr(v[11]),
	}
	if r.Manipulated() {
		r.ProcName = ManipulatedName
	} else {
		r.Process, r.ProcessBundleID = splitProcName(r.ProcName)
	}
	return r
}

func macTime(v any) timefmt.Time {
	f, ok := sqlitex.Float(v)
	if !ok {
		return timefmt.Time{}
	}
	return timefmt.Of(timefmt.FromMacAbsolute(f))
}

func intPtr(v any) *int64 {
	if v == nil {
		return nil
	}
	n, ok := sqlitex.Int(v)
	if !ok {
		return nil
	}
	return &n
}

func floatPtr(v any) *float64 {
	if v == nil {
		return nil
	}
	f, ok := sqlitex.Float(v)
	if !ok {
		return nil
	}
	return &f
}

// gapFinder writes a synthetic record for each process id missing between the rows it
// is shown, which come in process-id order. It keeps only the last id and the last
// process seen.
type gapFinder struct {
	out     *module.Output
	last    int64 // highest process id seen, kept or deleted
	seen    bool
	prev    *Record // last row with a process record
	pending bool    // prev is set and gaps after it are reported
}

// before is called with each row before it is emitted.
func (g *gapFinder) before(rec *Record) error {
	id := rec.ProcID
	if id == nil {
		id = rec.LiveProcID
	}
	if id == nil {
		return nil
	}
	k := *id
	if g.pending && g.last < math.MaxInt64 && k > g.last+1 {
		if err := g.emit(g.last+1, k-1, rec, false); err != nil {
			return err
		}
	}
	if !g.seen || k > g.last {
		g.last, g.seen = k, true
	}
	if rec.ProcID != nil {
		g.prev, g.pending = rec, true
	}
	return nil
}

// finish reports the ids handed out after the last one seen (zmax is Z_MAX).
func (g *gapFinder) finish(zmax int64) error {
	if !g.pending || zmax <= g.last {
		return nil
	}
	return g.emit(g.last+1, zmax, nil, true)
}

func (g *gapFinder) emit(first, last int64, next *Record, afterLast bool) error {
	prevID := *g.prev.ProcID
	gap := &Gap{
		FirstID: first, LastID: last, Count: span(first, last), AfterLast: afterLast,
		PrevProcID: &prevID, PrevProcName: g.prev.ProcName, PrevFirstIsodate: g.prev.FirstIsodate,
	}
	if next != nil {
		id := next.ProcID
		if id == nil {
			id = next.LiveProcID
		}
		gap.NextProcID, gap.NextProcName, gap.NextFirstIsodate = id, next.ProcName, timefmt.Of(next.firstSeen())
	}
	for i := range min(gap.Count, maxSynthetic) {
		id := first + i
		if err := g.out.Record(&Record{
			ProcName:   missingPrefix + g.prev.ProcName + "]",
			ProcID:     &id,
			LiveProcID: &id,
			Synthetic:  true,
			Gap:        gap,
		}); err != nil {
			return err
		}
	}
	return nil
}

// span returns last-first+1 without overflowing.
func span(first, last int64) int64 {
	n := uint64(last) - uint64(first) + 1
	if n == 0 || n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return newChecker(env, &m.v) }
