// Package chromefavicon reads the favicon cache of Chrome for iOS (and of other browsers
// built from Chromium's iOS code that keep the same profile layout): one record per page
// and icon bitmap, which shows that a page was loaded even after its visit was deleted
// from the history.
//
// # Artifact
//
// Chrome keeps its profile in its app container: the Favicons database is at
// Library/Application Support/Google/Chrome/Default/Favicons of the app's domain,
// AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/Favicons
// in a backup and /private/var/mobile/Containers/Data/Application/<UUID>/Library/
// Application Support/Google/Chrome/Default/Favicons on the phone. The module reads every
// Favicons found under Library/Application Support/Google/Chrome/<profile>/ of any app
// domain, each as its own database.
//
// The database is Chromium's favicon database. icon_mapping maps a page (page_url) to an
// icon (icon_id); favicons has one row per icon (id, url, icon_type: 1 favicon, 2 touch
// icon, 4 precomposed touch icon, 8 web manifest icon); favicon_bitmaps has one row per
// size of an icon (icon_id, last_updated, image_data, width, height, last_requested).
//
// Time base: last_updated and last_requested are Chrome time, microseconds since
// 1601-01-01 UTC. last_updated is when the bitmap was downloaded, 0 for a bitmap
// explicitly expired or fetched on demand; last_requested is non-zero only for on-demand
// bitmaps. The record's time is last_updated, or last_requested when last_updated is 0,
// as in MVT.
//
// # Schema variants
//
// Versions 7 (2013), 8 (2015, the one favicon_database.cc documents) and 9 (which adds
// icon_mapping.page_url_type) have the same three tables; version 7 has no
// last_requested. The module needs icon_mapping (page_url, icon_id) and favicons (id,
// url); favicon_bitmaps, icon_type, width, height, last_updated and last_requested are
// read when present (found with PRAGMA table_info).
//
// # Records
//
// One [Favicon] per icon_mapping row and bitmap of its icon, then one per bitmap of each
// icon that no page maps to any more, ordered by time, mapping id and bitmap id, with
// MVT's keys (url, icon_url, timestamp, isodate) plus chrome_favicon_db, icon_type, width
// and height.
//
// # MVT
//
// This is MVT's ChromeFavicon module (slug chrome_favicon). Differences, all fixes:
//   - every Favicons of every Chromium-based app container and profile is read; MVT
//     reads the first match only;
//   - a version 7 database (no last_requested) is read; MVT's query fails on it, and a
//     NULL last_updated makes MVT's module crash;
//   - pages whose icon has no bitmap, and icons no page maps to any more (whose URL
//     still shows a server was contacted), are kept with what is known; MVT's inner
//     joins drop them;
//   - a record with neither time has no date; MVT dates it 1601-01-01.
package chromefavicon

import (
	"context"
	"fmt"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "chrome_favicon"

// Module reads Chrome's Favicons databases.
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
		Class:       "ChromeFavicon",
		Version:     1,
		Description: "Chrome favicon cache (Favicons): pages and the icons downloaded for them",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{"AppDomain-*/Library/Application Support/Google/Chrome/*/Favicons"},
	}
}

// Run reads every Favicons found. A database that cannot be read is a problem when
// others could be read, and the module's error when none could.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return readDB(ctx, in, out, name) })
}

// query returns the SELECT for tables with the given columns (bitmaps nil when there is
// no favicon_bitmaps table). Column names come from this code only, never from the
// database. Its columns: mapping id, page_url, icon url, icon_type, bitmap id,
// last_updated, last_requested, width, height, and the record's time (last_updated, or
// last_requested when last_updated is 0 or NULL).
func query(icons, bitmaps map[string]bool) string {
	col := func(have bool, expr string) string {
		if have {
			return expr
		}
		return "NULL"
	}
	iconType := col(icons["icon_type"], "f.icon_type")
	join := ""
	bid, updated, requested, width, height := "NULL", "NULL", "NULL", "NULL", "NULL"
	if bitmaps != nil && bitmaps["icon_id"] {
		join = " LEFT JOIN favicon_bitmaps AS b ON b.icon_id = f.id"
		bid = col(bitmaps["id"], "b.id")
		updated = col(bitmaps["last_updated"], "b.last_updated")
		requested = col(bitmaps["last_requested"], "b.last_requested")
		width = col(bitmaps["width"], "b.width")
		height = col(bitmaps["height"], "b.height")
	}
	rest := "f.url AS icon_url, " + iconType + " AS icon_type, " + bid + " AS bid, " + updated + " AS updated, " +
		requested + " AS requested, " + width + " AS width, " + height + " AS height, " +
		"COALESCE(NULLIF(" + updated + ", 0), " + requested + ", 0) AS ts"
	// Pages and their icons (the favicons row may be missing), then icons no page maps
	// to.
	return "SELECT * FROM (" +
		"SELECT m.id AS mid, m.page_url AS page_url, " + rest +
		" FROM icon_mapping AS m LEFT JOIN favicons AS f ON f.id = m.icon_id" + join +
		" UNION ALL SELECT NULL, NULL, " + rest + " FROM favicons AS f" + join +
		" WHERE NOT EXISTS (SELECT 1 FROM icon_mapping AS m WHERE m.icon_id = f.id)" +
		") ORDER BY ts, mid IS NULL, mid, icon_url, bid"
}

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	mapping, err := db.Columns(ctx, "icon_mapping")
	if err != nil {
		return err
	}
	icons, err := db.Columns(ctx, "favicons")
	if err != nil {
		return err
	}
	for _, need := range []struct {
		table string
		cols  map[string]bool
		names []string
	}{
		{"icon_mapping", mapping, []string{"id", "page_url", "icon_id"}},
		{"favicons", icons, []string{"id", "url"}},
	} {
		for _, c := range need.names {
			if !need.cols[c] {
				return fmt.Errorf("read %q: table %s has no column %s: not a Chrome favicon database", name, need.table, c)
			}
		}
	}
	var bitmaps map[string]bool
	if ok, err := db.HasTable(ctx, "favicon_bitmaps"); err != nil {
		return err
	} else if ok {
		if bitmaps, err = db.Columns(ctx, "favicon_bitmaps"); err != nil {
			return err
		}
	}
	return db.EachRow(ctx, "icon_mapping", query(icons, bitmaps), func(_ int, vals []any) error {
		return out.Record(favicon(name, vals, out))
	}, func(n int, err error) {
		out.Problem("%s: favicon row %d: %v", name, n, err)
	})
}

// favicon builds the record of one row (see query for the columns).
func favicon(db string, vals []any, out *module.Output) *Favicon {
	f := &Favicon{ChromeFaviconDB: db}
	f.URL = sqlitex.Text(vals[1])
	f.IconURL = sqlitex.Text(vals[2])
	what := fmt.Sprintf("icon mapping %s", sqlitex.Text(vals[0]))
	if vals[0] == nil {
		what = fmt.Sprintf("icon %q", f.IconURL)
	}
	if t, ok := sqlitex.Int(vals[3]); ok {
		f.IconType = iconType(t)
	}
	f.Width = intOrNil(vals[7])
	f.Height = intOrNil(vals[8])
	for _, c := range []struct {
		name string
		v    any
	}{{"last_updated", vals[5]}, {"last_requested", vals[6]}} {
		if c.v == nil {
			continue
		}
		if _, ok := sqlitex.Int(c.v); !ok || isText(c.v) {
			out.Problem("%s: %s: %s %q is not a number", db, what, c.name, sqlitex.Text(c.v))
		}
	}
	if us, ok := sqlitex.Int(vals[9]); ok && !isText(vals[9]) {
		f.Timestamp = us
		f.ISODate = timefmt.Of(timefmt.FromWebKit(us))
	}
	return f
}

// iconType names a favicons.icon_type value.
func iconType(t int64) string {
	switch t {
	case 1:
		return "favicon"
	case 2:
		return "touch_icon"
	case 4:
		return "touch_precomposed_icon"
	case 8:
		return "web_manifest_icon"
	}
	return fmt.Sprintf("type_%d", t)
}

func intOrNil(v any) *int64 {
	if v == nil || isText(v) {
		return nil
	}
	n, ok := sqlitex.Int(v)
	if !ok {
		return nil
	}
	return &n
}

// isText reports whether v is text or a blob: SQLite's numeric affinity stores a
// well-formed number as a number, so text in an INTEGER column is not a number even
// when it parses as one.
func isText(v any) bool {
	switch v.(type) {
	case string, []byte:
		return true
	}
	return false
}
