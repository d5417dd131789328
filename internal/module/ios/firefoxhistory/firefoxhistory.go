// Package firefoxhistory reads the browsing history of Firefox for iOS: one record per
// visit, from browser.db and from places.db.
//
// # Artifact
//
// Firefox for iOS keeps its profile in the app group container it shares with its
// extensions: profile.profile/ of domain AppDomainGroup-group.<bundle id> in a backup,
// /private/var/mobile/Containers/Shared/AppGroup/<UUID>/profile.profile/ on the phone.
// The release (org.mozilla.ios.Firefox), beta (org.mozilla.ios.FirefoxBeta) and
// nightly/developer (org.mozilla.ios.Fennec) channels each have their own group; every
// database found in any of them is read, each as its own database. Firefox Focus, a
// private browser that keeps no history, is not read.
//
// Two databases can hold history:
//   - browser.db, Firefox's own schema (BrowserSchema, versions 6 to 41): history has one
//     row per URL (id, guid, url, title, is_deleted…), visits one row per visit (id,
//     siteID → history.id, date, type, is_local). is_local is 1 for a visit made on this
//     device and 0 for one synced from another device through a Firefox account. Time
//     base: visits.date is MICROSECONDS since 1970-01-01 UTC, a REAL.
//   - places.db, Mozilla's application-services "places" store, which newer versions use
//     instead (importing browser.db's visits once): moz_places has one row per URL (id,
//     url, title…), moz_historyvisits one row per visit (id, place_id → moz_places.id,
//     visit_date, visit_type, is_local, from_visit). Time base: visit_date is
//     MILLISECONDS since 1970-01-01 UTC, an INTEGER (application-services' Timestamp, not
//     desktop Firefox's microseconds).
//
// Visit types are those of Places: 1 link, 2 typed, 3 bookmark, 4 embed, 5 permanent
// redirect, 6 temporary redirect, 7 download, 8 framed link, 9 reload.
//
// # Schema variants
//
// The layout of each database is found from its tables: visits and history (browser.db)
// or moz_historyvisits and moz_places (places.db). Required columns are visits.id,
// siteID and date with history.id and url, or moz_historyvisits.id, place_id and
// visit_date with moz_places.id and url; title, type/visit_type, is_local and from_visit
// are read when the table has them (PRAGMA table_info, names matched case-insensitively:
// early builds spelled siteID "siteId" and had no is_local). The very first layout,
// whose visits referred to history by GUID (siteGuid), is not supported.
//
// # Records
//
// One [Visit] per visit row, ordered by date then visit id, with MVT's keys (id,
// isodate, url, title, i1000000s_local, type) plus is_local, history_id, from_visit and
// firefox_db.
//
// # MVT
//
// This is MVT's FirefoxHistory module (slug firefox_history). Differences, all fixes:
//   - MVT reads only the release channel's browser.db (one fixed backup file id); this
//     module also reads the beta and nightly channels and places.db, where current
//     Firefox for iOS keeps its history, so recent browsing is no longer missed (MVT's
//     file-system path, private/var/mobile/profile.profile/browser.db, is not where the
//     app group container lies);
//   - MVT's key i1000000s_local is a garbled is_local: it is kept for compatibility, and
//     is_local is added;
//   - visits whose history row is gone are kept (MVT's inner join drops them silently)
//     and reported as a problem, and records come in date order (MVT's have no order).
package firefoxhistory

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
const Name = "firefox_history"

// Module reads Firefox for iOS's history.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Groups are the backup domains of the Firefox for iOS channels: release, beta and
// nightly.
var Groups = []string{
	"AppDomainGroup-group.org.mozilla.ios.Firefox",
	"AppDomainGroup-group.org.mozilla.ios.FirefoxBeta",
	"AppDomainGroup-group.org.mozilla.ios.Fennec",
}

// DefaultDB is the release channel's browser.db, the one database MVT reads.
const DefaultDB = "AppDomainGroup-group.org.mozilla.ios.Firefox/profile.profile/browser.db"

// Info describes the module.
func (m *Module) Info() module.Info {
	var paths []string
	for _, g := range Groups {
		paths = append(paths, g+"/profile.profile/browser.db", g+"/profile.profile/places.db")
	}
	return module.Info{
		Name:        Name,
		Class:       "FirefoxHistory",
		Version:     1,
		Description: "Firefox for iOS browsing history (browser.db and places.db): visits",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       paths,
	}
}

// Run reads every database found. A database that cannot be read is a problem when
// others could be read, and the module's error when none could.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return readDB(ctx, in, out, name) })
}

// layout is one of the two ways a database holds visits. Table and column names are
// constants of this package, never taken from the database.
type layout struct {
	visits, sites string // the visit table and the URL table it refers to
	// Columns of the visit table: its id, the reference to the URL table, the date.
	id, site, date string
	// Optional columns: title (URL table), then type, is_local and from_visit (visit
	// table); "" when the layout has none.
	title, typ, local, from string
	// micro says dates are microseconds (browser.db); otherwise milliseconds (places.db).
	micro bool
}

var layouts = []layout{
	{visits: "visits", sites: "history", id: "id", site: "siteID", date: "date",
		title: "title", typ: "type", local: "is_local", micro: true},
	{visits: "moz_historyvisits", sites: "moz_places", id: "id", site: "place_id", date: "visit_date",
		title: "title", typ: "visit_type", local: "is_local", from: "from_visit"},
}

// columns returns the column names of table, lower-cased.
func columns(ctx context.Context, db *sqlitex.DB, table string) (map[string]bool, error) {
	cols, err := db.Columns(ctx, table)
	if err != nil {
		return nil, err
	}
	lower := make(map[string]bool, len(cols))
	for c := range cols {
		lower[strings.ToLower(c)] = true
	}
	return lower, nil
}

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	found := false
	for _, l := range layouts {
		visits, err := columns(ctx, db, l.visits)
		if err != nil {
			return err
		}
		if len(visits) == 0 {
			continue
		}
		sites, err := columns(ctx, db, l.sites)
		if err != nil {
			return err
		}
		for _, need := range []struct {
			table string
			cols  map[string]bool
			names []string
		}{
			{l.visits, visits, []string{l.id, l.site, l.date}},
			{l.sites, sites, []string{"id", "url"}},
		} {
			for _, c := range need.names {
				if !need.cols[strings.ToLower(c)] {
					return fmt.Errorf("read %q: table %s has no column %s: not a Firefox history database", name, need.table, c)
				}
			}
		}
		found = true
		err = db.EachRow(ctx, l.visits, l.query(visits, sites), func(_ int, vals []any) error {
			return out.Record(l.visit(name, vals, out))
		}, func(n int, err error) {
			out.Problem("%s: visit row %d: %v", name, n, err)
		})
		if err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("read %q: no visits or moz_historyvisits table: not a Firefox history database", name)
	}
	return nil
}

// query returns the SELECT of the layout's visits: visit id, URL id, the URL table's id
// (NULL when the URL row is gone), url, date, title, type, is_local, from_visit.
func (l layout) query(visits, sites map[string]bool) string {
	opt := func(alias, col string, cols map[string]bool) string {
		if col == "" || !cols[strings.ToLower(col)] {
			return ", NULL"
		}
		return ", " + alias + "." + col
	}
	var b strings.Builder
	b.WriteString("SELECT v." + l.id + ", v." + l.site + ", s.id, s.url, v." + l.date)
	b.WriteString(opt("s", l.title, sites))
	b.WriteString(opt("v", l.typ, visits))
	b.WriteString(opt("v", l.local, visits))
	b.WriteString(opt("v", l.from, visits))
	b.WriteString(" FROM " + l.visits + " AS v LEFT JOIN " + l.sites + " AS s ON s.id = v." + l.site)
	b.WriteString(" ORDER BY v." + l.date + ", v." + l.id)
	return b.String()
}

// visit builds the record of one row of query.
func (l layout) visit(db string, vals []any, out *module.Output) *Visit {
	v := &Visit{FirefoxDB: db}
	v.ID, _ = sqlitex.Int(vals[0])
	v.HistoryID, _ = sqlitex.Int(vals[1])
	if vals[2] == nil {
		out.Problem("%s: visit %d refers to %s row %d, which does not exist", db, v.ID, l.sites, v.HistoryID)
	}
	v.URL = sqlitex.Text(vals[3])
	if n, ok := sqlitex.Int(vals[4]); ok {
		var t = timefmt.FromUnixMillis(n)
		unit := "milliseconds"
		if l.micro {
			t, unit = timefmt.FromUnixMicros(n), "microseconds"
		}
		v.ISODate = timefmt.Of(t)
		if t.IsZero() && n != 0 {
			out.Problem("%s: visit %d: %s %d is not a plausible time in %s since 1970", db, v.ID, l.date, n, unit)
		}
	} else {
		out.Problem("%s: visit %d: %s %q is not a number", db, v.ID, l.date, sqlitex.Text(vals[4]))
	}
	v.Title = sqlitex.Text(vals[5])
	v.Type = nullInt(vals[6])
	v.IsLocal = nullInt(vals[7])
	v.MVTIsLocal = v.IsLocal
	v.FromVisit = nullInt(vals[8])
	if v.FromVisit != nil && *v.FromVisit == 0 {
		v.FromVisit = nil
	}
	return v
}

// nullInt returns an integer value, or nil for NULL and values that are not numbers.
func nullInt(v any) *int64 {
	n, ok := sqlitex.Int(v)
	if !ok {
		return nil
	}
	return &n
}
