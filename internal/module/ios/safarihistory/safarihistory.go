// Package safarihistory reads Safari's browsing history, History.db: one record per
// visit, with the redirect links between visits.
//
// # Artifact
//
// Safari keeps History.db at Library/Safari/History.db of its domain: HomeDomain in a
// backup (HomeDomain/Library/Safari/History.db), /private/var/mobile/Library/Safari/
// History.db on the phone. Safari profiles (iOS 17 and later) each have their own under
// Library/Safari/Profiles/<UUID>/History.db, and apps with an in-app browser may keep one
// in their own domain; every copy found in any domain is read, each as its own database.
//
// Two tables matter. history_items has one row per URL (id, url, domain_expansion,
// visit_count…); history_visits has one row per visit (id, history_item, visit_time,
// title, load_successful, http_non_get, synthesized, redirect_source,
// redirect_destination, origin, generation, attributes, score). redirect_source and
// redirect_destination are the ids of the visits a redirect came from and went to;
// origin is 0 for a visit made on this device and 1 for one synced by iCloud from
// another device.
//
// Time base: visit_time is Mac absolute time, seconds since 2001-01-01 UTC, as a REAL.
//
// # Schema variants
//
// Every History.db since Safari 8 has the two tables. The current layout adds
// history_items.status_code (recent Safari); the layout of Safari 11 to 14 lacks it.
// Neither column set is assumed: the module reads history_items.id and url and
// history_visits.id, history_item and visit_time, and takes title, load_successful,
// redirect_source, redirect_destination and origin only when the table has them (found
// with PRAGMA table_info), so older or third-party databases are read too.
//
// # Records
//
// One [Visit] per history_visits row, ordered by visit_time then visit id, with MVT's
// keys (id, url, visit_id, timestamp, isodate, redirect_source, redirect_destination,
// safari_history_db) plus title, load_successful, origin and redirect_source_url.
//
// # MVT
//
// This is MVT's SafariHistory module (slug safari_history). Differences, all fixes:
//   - visits whose history item is gone are kept (MVT's inner join drops them silently)
//     and reported as a problem, since a history item deleted without its visits is not
//     something Safari does;
//   - the fast-redirect heuristic compares registrable domains: MVT compares host names
//     (after stripping leading "w" and "." characters), so it reports a redirect to
//     another host of the same site (http://lemonde.fr → https://abonnes.lemonde.fr);
//   - a redirect is found from either end (redirect_destination of the source or
//     redirect_source of the destination) and whichever was logged first; MVT follows
//     redirect_destination only and misses a destination timed a moment before its
//     source (a negative delay);
//   - the heuristic runs in one streaming pass that holds one second of visits of one
//     database (profiles and apps are never linked to each other, as in MVT), where
//     MVT scans all its results again for every cleartext redirect;
//   - a database that cannot be read (one profile out of several) makes the module
//     partial with a reason, not a silent gap.
package safarihistory

import (
	"context"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "safari_history"

// Module reads History.db.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info describes the module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "SafariHistory",
		Version:     1,
		Description: "Safari browsing history (History.db): visits, with redirects between them",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths: []string{
			"*/Library/Safari/History.db",
			"*/Library/Safari/Profiles/*/History.db",
		},
	}
}

// Run reads every History.db found. A database that cannot be read is a problem when
// others could be read, and the module's error when none could.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return readDB(ctx, in, out, name) })
}

// Optional columns of history_visits, in the order of the query.
var optionalVisitColumns = []string{"title", "load_successful", "redirect_source", "redirect_destination", "origin"}

// query returns the SELECT for a history_visits table with the given columns. Column
// names come from optionalVisitColumns only, never from the database.
func query(cols map[string]bool) string {
	var b strings.Builder
	b.WriteString("SELECT v.id, v.history_item, i.url, v.visit_time")
	for _, c := range optionalVisitColumns {
		if cols[c] {
			b.WriteString(", v." + c)
		} else {
			b.WriteString(", NULL")
		}
	}
	if cols["redirect_source"] {
		b.WriteString(", si.url")
	} else {
		b.WriteString(", NULL")
	}
	b.WriteString(" FROM history_visits AS v LEFT JOIN history_items AS i ON i.id = v.history_item")
	if cols["redirect_source"] {
		b.WriteString(" LEFT JOIN history_visits AS sv ON sv.id = v.redirect_source" +
			" LEFT JOIN history_items AS si ON si.id = sv.history_item")
	}
	b.WriteString(" ORDER BY v.visit_time, v.id")
	return b.String()
}

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	items, err := db.Columns(ctx, "history_items")
	if err != nil {
		return err
	}
	visits, err := db.Columns(ctx, "history_visits")
	if err != nil {
		return err
	}
	for _, need := range []struct {
		table string
		cols  map[string]bool
		names []string
	}{
		{"history_items", items, []string{"id", "url"}},
		{"history_visits", visits, []string{"id", "history_item", "visit_time"}},
	} {
		for _, c := range need.names {
			if !need.cols[c] {
				return fmt.Errorf("read %q: table %s has no column %s: not a Safari history database", name, need.table, c)
			}
		}
	}
	return db.EachRow(ctx, "history_visits", query(visits), func(_ int, vals []any) error {
		return out.Record(visit(name, vals, out))
	}, func(n int, err error) {
		out.Problem("%s: visit row %d: %v", name, n, err)
	})
}

// visit builds the record of one row: v.id, v.history_item, i.url, v.visit_time, then
// optionalVisitColumns, then the redirect source's URL.
func visit(db string, vals []any, out *module.Output) *Visit {
	v := &Visit{SafariHistoryDB: db}
	v.VisitID, _ = sqlitex.Int(vals[0])
	v.ID, _ = sqlitex.Int(vals[1])
	v.URL = sqlitex.Text(vals[2])
	if vals[2] == nil {
		out.Problem("%s: visit %d refers to history item %d, which does not exist", db, v.VisitID, v.ID)
	}
	if f, ok := sqlitex.Float(vals[3]); ok {
		v.Timestamp = f
		v.ISODate = timefmt.Of(timefmt.FromMacAbsolute(f))
	} else {
		out.Problem("%s: visit %d: visit_time %q is not a number", db, v.VisitID, sqlitex.Text(vals[3]))
	}
	v.Title = sqlitex.Text(vals[4])
	if b, ok := sqlitex.Int(vals[5]); ok {
		ok := b != 0
		v.LoadSuccessful = &ok
	}
	v.RedirectSource = nullID(vals[6])
	v.RedirectDestination = nullID(vals[7])
	if o, ok := sqlitex.Int(vals[8]); ok {
		v.Origin = &o
	}
	v.RedirectSourceURL = sqlitex.Text(vals[9])
	return v
}

// nullID returns a visit id, or nil for NULL (and for the 0 some writers store).
func nullID(v any) *int64 {
	id, ok := sqlitex.Int(v)
	if !ok || id == 0 {
		return nil
	}
	return &id
}
