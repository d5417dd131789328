// Package firefoxfavicon reads the favicons Firefox for iOS keeps in browser.db: one
// record per favicon and page it was fetched for.
//
// # Artifact
//
// browser.db lies in profile.profile/ of the app group container Firefox for iOS shares
// with its extensions: domain AppDomainGroup-group.<bundle id> in a backup,
// /private/var/mobile/Containers/Shared/AppGroup/<UUID>/profile.profile/browser.db on
// the phone. The release (org.mozilla.ios.Firefox), beta (org.mozilla.ios.FirefoxBeta)
// and nightly/developer (org.mozilla.ios.Fennec) channels each have their own group;
// every browser.db found is read, each as its own database. (places.db, where newer
// versions keep history, holds no favicons.)
//
// Tables (BrowserSchema versions 6 to 41): favicons has one row per icon (id, url,
// width, height, type, date); favicon_sites links icons to history rows (siteID →
// history.id, faviconID → favicons.id); since version 40, favicon_site_urls links icons
// to page URLs directly (site_url, faviconID), without a history row. type is Firefox's
// IconType: 0 icon, 1 apple-touch-icon, 2 apple-touch-icon-precomposed, 3 guessed
// (/favicon.ico), 4 local, 5 none found.
//
// Time base: favicons.date is SECONDS since 1970-01-01 UTC, a REAL (an NSDate bound as
// timeIntervalSince1970): when the icon was fetched.
//
// # Schema variants
//
// favicon_site_urls is read when present (version 40 and later). When favicon_sites is
// absent, the link table is read under the names early builds gave it, faviconSites and
// faviconSiteMapping (same siteId and faviconId columns). width, height, type and date
// are read when favicons has them (PRAGMA table_info, names matched case-insensitively).
// A browser.db without a favicons table (a version that keeps its icons elsewhere) is
// passed over; when no database has one the module is skipped.
//
// # Records
//
// One [Favicon] per link of an icon to a page (favicon_sites or favicon_site_urls), and
// one per icon linked to no page, ordered by date, icon id, link table, history id and
// page URL. MVT's keys (id, url, width, height, type, isodate, history_id, history_url)
// plus linked_by and firefox_db.
//
// # MVT
//
// This is MVT's FirefoxFavicon module (slug firefox_favicon). Differences, all fixes:
//   - MVT reads only the release channel's browser.db; this module also reads the beta
//     and nightly channels;
//   - MVT's inner joins drop icons linked through favicon_site_urls, icons linked to no
//     page and icons whose history row is gone, though their URLs were fetched by the
//     phone and can match indicators: they are kept here (a link to a missing history row
//     is reported as a problem);
//   - MVT names its timeline event firefox_history, like the history module's; it is
//     firefox_favicon here, so the two can be told apart;
//   - records come in date order (MVT's have no order).
package firefoxfavicon

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
const Name = "firefox_favicon"

// Module reads Firefox for iOS's favicons.
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
	paths := make([]string, len(Groups))
	for i, g := range Groups {
		paths[i] = g + "/profile.profile/browser.db"
	}
	return module.Info{
		Name:        Name,
		Class:       "FirefoxFavicon",
		Version:     1,
		Description: "Firefox for iOS favicons (browser.db): icons and the pages they were fetched for",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       paths,
	}
}

// Run reads every browser.db that has a favicons table. A database that cannot be read
// is a problem when others could be read, and the module's error when none could; the
// module is skipped when no database has favicons.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var with, without []string
	for _, name := range in.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		has := true // a database that cannot be opened is read below, to report why
		if db, err := in.OpenSQLite(ctx, name); err == nil {
			if ok, err := db.HasTable(ctx, "favicons"); err == nil {
				has = ok
			}
		}
		if has {
			with = append(with, name)
		} else {
			without = append(without, name)
		}
	}
	for _, name := range without {
		in.Log.Info("no favicons table: database passed over", "file", name)
	}
	if len(with) == 0 {
		return fmt.Errorf("no favicons table in %s: %w", strings.Join(quote(without), ", "), module.ErrNotFound)
	}
	sub := *in
	sub.Files = with
	return module.EachFile(ctx, &sub, out, func(name string) error { return readDB(ctx, in, out, name) })
}

func quote(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
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

// Link tables, as recorded in linked_by.
const (
	linkSites    = "favicon_sites"
	linkSiteURLs = "favicon_site_urls"
)

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	icons, err := columns(ctx, db, "favicons")
	if err != nil {
		return err
	}
	for _, c := range []string{"id", "url"} {
		if !icons[c] {
			return fmt.Errorf("read %q: table favicons has no column %s: not a Firefox browser database", name, c)
		}
	}
	// The table linking icons to history rows, under its current or its old name.
	sitesTable := ""
	for _, t := range []string{linkSites, "faviconSites", "faviconSiteMapping"} {
		cols, err := columns(ctx, db, t)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			continue
		}
		if !cols["siteid"] || !cols["faviconid"] {
			return fmt.Errorf("read %q: table %s has no siteID or faviconID column: not a Firefox browser database", name, t)
		}
		sitesTable = t
		break
	}
	if sitesTable != "" {
		hist, err := columns(ctx, db, "history")
		if err != nil {
			return err
		}
		if !hist["id"] || !hist["url"] {
			return fmt.Errorf("read %q: table history is missing or has no id or url column: not a Firefox browser database", name)
		}
	}
	siteURLs, err := columns(ctx, db, linkSiteURLs)
	if err != nil {
		return err
	}
	bySiteURL := siteURLs["site_url"] && siteURLs["faviconid"]
	return db.EachRow(ctx, "favicons", query(icons, sitesTable, bySiteURL), func(_ int, vals []any) error {
		return out.Record(favicon(name, vals, out))
	}, func(n int, err error) {
		out.Problem("%s: favicon row %d: %v", name, n, err)
	})
}

// query returns the SELECT of every favicon and its links: f.id, f.url, width, height,
// type, date, history id, whether the history row exists, page URL, link table. Table
// and column names are constants of this package, never taken from the database.
func query(icons map[string]bool, sitesTable string, bySiteURL bool) string {
	cols := "f.id, f.url"
	for _, c := range []string{"width", "height", "type", "date"} {
		if icons[c] {
			cols += ", f." + c
		} else {
			cols += ", NULL"
		}
	}
	var parts, unlinked []string
	if sitesTable != "" {
		parts = append(parts, "SELECT "+cols+", l.siteID, h.id IS NOT NULL, h.url, '"+linkSites+"' FROM favicons AS f"+
			" JOIN "+sitesTable+" AS l ON l.faviconID = f.id LEFT JOIN history AS h ON h.id = l.siteID")
		unlinked = append(unlinked, "NOT EXISTS (SELECT 1 FROM "+sitesTable+" AS l WHERE l.faviconID = f.id)")
	}
	if bySiteURL {
		parts = append(parts, "SELECT "+cols+", NULL, 0, u.site_url, '"+linkSiteURLs+"' FROM favicons AS f"+
			" JOIN "+linkSiteURLs+" AS u ON u.faviconID = f.id")
		unlinked = append(unlinked, "NOT EXISTS (SELECT 1 FROM "+linkSiteURLs+" AS u WHERE u.faviconID = f.id)")
	}
	last := "SELECT " + cols + ", NULL, 0, NULL, '' FROM favicons AS f"
	if len(unlinked) > 0 {
		last += " WHERE " + strings.Join(unlinked, " AND ")
	}
	parts = append(parts, last)
	return strings.Join(parts, " UNION ALL ") + " ORDER BY 6, 1, 10, 7, 9"
}

// favicon builds the record of one row of query.
func favicon(db string, vals []any, out *module.Output) *Favicon {
	f := &Favicon{FirefoxDB: db}
	f.ID, _ = sqlitex.Int(vals[0])
	f.URL = sqlitex.Text(vals[1])
	f.Width = nullInt(vals[2])
	f.Height = nullInt(vals[3])
	f.Type = nullInt(vals[4])
	switch {
	case vals[5] == nil:
	default:
		if s, ok := sqlitex.Float(vals[5]); ok {
			t := timefmt.FromUnix(s)
			f.ISODate = timefmt.Of(t)
			if t.IsZero() && s != 0 {
				out.Problem("%s: favicon %d: date %v is not a plausible time in seconds since 1970", db, f.ID, s)
			}
		} else {
			out.Problem("%s: favicon %d: date %q is not a number", db, f.ID, sqlitex.Text(vals[5]))
		}
	}
	f.LinkedBy = sqlitex.Text(vals[9])
	f.HistoryURL = sqlitex.Text(vals[8])
	if f.LinkedBy == linkSites {
		f.HistoryID = nullInt(vals[6])
		if exists, _ := sqlitex.Int(vals[7]); exists == 0 {
			id := sqlitex.Text(vals[6])
			out.Problem("%s: favicon %d is linked to history row %s, which does not exist", db, f.ID, id)
		}
	}
	return f
}

// nullInt returns an integer value, or nil for NULL and values that are not numbers.
func nullInt(v any) *int64 {
	n, ok := sqlitex.Int(v)
	if !ok {
		return nil
	}
	return &n
}
