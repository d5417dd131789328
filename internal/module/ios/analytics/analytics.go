// Package analytics reads the analytics databases of Apple's Security framework
// (SFAnalytics), where securityd, trustd, CloudKit keychain sync and the networking
// stack log their failures and notable events. They exist only in file-system dumps.
//
// The artifacts are /private/var/Keychains/Analytics/*.db on the phone (names in a
// dump: private/var/Keychains/Analytics/*.db), e.g. ckks_analytics.db,
// sos_analytics.db, trust_analytics.db, networking_analytics.db; every one is read.
// Event tables have the columns id, timestamp (REAL, Unix seconds: [NSDate
// timeIntervalSince1970]) and data (a binary property list: the event's attributes,
// with eventType, eventTime in Unix milliseconds, build, product, modelid, error
// domain and code…).
//
// Schema variants: iOS 11 (SFAnalyticsLogger) has hard_failures, soft_failures and
// all_events; iOS 12 and later (SFAnalytics) drop all_events and add notes. Every event
// table present among hard_failures, soft_failures, all_events and notes is read; a
// database without any of them is not an analytics database and fails.
//
// It corresponds to MVT's Analytics module and fixes these MVT bugs: MVT reads the
// timestamp as Mac absolute time, dating every event 31 years late; it looks only at
// the top-level values of an event, not at nested dictionaries and lists; it skips the
// notes table of iOS 12+; a row without timestamp and data repeats the previous
// record; the failure to decode one event aborts the whole module. Records come per
// database (in file-name order), in timestamp order within a database.
package analytics

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "analytics"

// Glob matches the databases in a file-system dump.
const Glob = "private/var/Keychains/Analytics/*.db"

// Tables are the event tables read, in this order when their rows share a timestamp.
var Tables = []string{"all_events", "hard_failures", "notes", "soft_failures"}

// plistLimits bound the decoding of one event (events are a few hundred bytes).
var plistLimits = plistx.Limits{MaxBytes: 4 << 20, MaxDepth: 64, MaxObjects: 100_000}

// Module reads the analytics databases.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module     = (*Module)(nil)
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "Analytics",
		Version:     1,
		Description: "Security framework analytics events (Keychains/Analytics/*.db): failures and notes of securityd, trustd, keychain sync and networking",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
		Paths:       []string{Glob},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return read(ctx, in, out, name) })
}

func read(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	q, err := buildQuery(ctx, db)
	if err != nil {
		return err
	}
	artifact := path.Base(name)
	return db.EachRow(ctx, "event tables", q, func(_ int, vals []any) error {
		rec := &Record{Artifact: artifact, Table: sqlitex.Text(vals[2])}
		if f, ok := sqlitex.Float(vals[0]); ok {
			rec.Isodate = timefmt.Of(timefmt.FromUnix(f))
		}
		if vals[1] != nil {
			d, err := DecodeEvent(sqlitex.Blob(vals[1]))
			if err != nil {
				rowid, _ := sqlitex.Int(vals[3])
				out.Problem("%s: %s row %d: %v", name, rec.Table, rowid, err)
			}
			rec.Data = d
		}
		return out.Record(rec)
	}, func(n int, err error) {
		out.Problem("%s: read row %d: %v", name, n, err)
	})
}

// DecodeEvent decodes the data column of an event: a property list holding a
// dictionary.
func DecodeEvent(data []byte) (map[string]any, error) {
	v, err := plistx.Decode(data, plistLimits)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("event data is a %T, not a dictionary", v)
	}
	return m, nil
}

// buildQuery returns the query over the event tables this database has, with the
// columns timestamp, data, table name, rowid.
func buildQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	var parts []string
	for _, t := range Tables {
		ok, err := db.HasTable(ctx, t)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		cols, err := db.Columns(ctx, t)
		if err != nil {
			return "", err
		}
		ts, data := "NULL", "NULL"
		if cols["timestamp"] {
			ts = "timestamp"
		}
		if cols["data"] {
			data = "data"
		}
		parts = append(parts, fmt.Sprintf("SELECT %s AS ts, %s AS data, '%s' AS tbl, rowid AS rid FROM %s", ts, data, t, t))
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("read %q: no hard_failures, soft_failures, all_events or notes table (not an SFAnalytics database)", db.Name)
	}
	return "SELECT ts, data, tbl, rid FROM (" + strings.Join(parts, " UNION ALL ") +
		") ORDER BY ts IS NULL, ts, tbl, rid", nil
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
