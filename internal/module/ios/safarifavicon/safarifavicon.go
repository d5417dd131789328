// Package safarifavicon reads Safari's favicon cache, Favicons.db: the pages whose icon
// Safari (or an app's web view) fetched, the icon's URL and when, and the icons it
// rejected. A page appears there even after its history entry was deleted.
//
// # Artifact
//
// /private/var/mobile/Library/Image Cache/Favicons/Favicons.db for Safari, and copies in
// app data containers,
// /private/var/mobile/Containers/Data/Application/<UUID>/Library/Image Cache/Favicons/Favicons.db.
// Not in iOS backups (a cache), so the module runs on file-system dumps only. Every copy
// is read, each on its own.
//
// Tables: page_url (url, uuid) joined on uuid to icon_info (uuid, url, timestamp, …)
// gives the "valid" icons; rejected_resources (page_url, icon_url, timestamp) the
// "rejected" ones.
//
// Time base: icon_info.timestamp and rejected_resources.timestamp are Mac absolute
// seconds (since 2001-01-01 UTC), as MVT reads them.
//
// # Schema variants
//
// SafariShared's favicon database went through four versions: version 1 created
// page_url and icon_info, versions 2 and 3 added columns to icon_info that are not read,
// version 4 added rejected_resources. A database without rejected_resources (before
// version 4) gives its valid icons only. page_url and icon_info with their url, uuid and
// timestamp columns are required.
//
// # Records
//
// One [Favicon] per icon, MVT's keys url, icon_url, timestamp, isodate, type ("valid" or
// "rejected") and safari_favicon_db_path; ordered per database by timestamp, type, url
// and icon URL.
//
// # MVT
//
// MVT's SafariFavicon (slug safari_favicon), timeline event safari_favicon. Fixes: a
// database older than version 4 is read (MVT's query of rejected_resources fails and
// loses the whole module); a file that is not a favicon database fails the module with
// a reason, and one bad copy out of several makes it partial; a NULL or zero timestamp
// gives a null date.
package safarifavicon

import (
	"context"
	"fmt"
	"sort"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "safari_favicon"

// Paths of the favicon caches (device paths).
var Paths = []string{
	"private/var/mobile/Library/Image Cache/Favicons/Favicons.db",
	"private/var/mobile/Containers/Data/Application/*/Library/Image Cache/Favicons/Favicons.db",
}

// maxRows bounds the rows kept from one database (they are sorted before being emitted).
const maxRows = 1 << 20

// Module reads Favicons.db.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Checkable = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "SafariFavicon",
		Version:     1,
		Description: "Pages whose favicon Safari and app web views cached or rejected (Favicons.db)",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
		Paths:       Paths,
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return readDB(ctx, in, out, name) })
}

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		table string
		need  []string
	}{{"page_url", []string{"url", "uuid"}}, {"icon_info", []string{"uuid", "url", "timestamp"}}} {
		table, need := t.table, t.need
		cols, err := db.Columns(ctx, table)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			return fmt.Errorf("read %q: no %s table: not a Safari favicon database", name, table)
		}
		for _, c := range need {
			if !cols[c] {
				return fmt.Errorf("read %q: table %s has no column %s: not a Safari favicon database", name, table, c)
			}
		}
	}
	var recs []*Favicon
	add := func(typ string) func(int, []any) error {
		return func(_ int, vals []any) error {
			if len(recs) >= maxRows {
				return errTooMany
			}
			f := &Favicon{URL: sqlitex.Text(vals[0]), IconURL: sqlitex.Text(vals[1]), Type: typ, DBPath: name}
			if vals[2] != nil {
				if v, ok := sqlitex.Float(vals[2]); ok {
					f.Timestamp = &v
					if v != 0 {
						f.ISODate = timefmt.Of(timefmt.FromMacAbsolute(v))
					}
				} else {
					out.Problem("%s: %s icon of %q: timestamp %q is not a number", name, typ, f.URL, sqlitex.Text(vals[2]))
				}
			}
			recs = append(recs, f)
			return nil
		}
	}
	bad := func(table string) func(int, error) {
		return func(n int, err error) { out.Problem("%s: %s row %d: %v", name, table, n, err) }
	}
	err = db.EachRow(ctx, "icon_info",
		"SELECT page_url.url, icon_info.url, icon_info.timestamp FROM page_url JOIN icon_info ON page_url.uuid = icon_info.uuid ORDER BY page_url.rowid",
		add("valid"), bad("page_url ⋈ icon_info"))
	if err == errTooMany {
		out.Problem("%s: more than %d icons; the rest are not read", name, maxRows)
	} else if err != nil {
		return err
	}
	cols, err := db.Columns(ctx, "rejected_resources")
	if err != nil {
		return err
	}
	switch {
	case len(cols) == 0:
		in.Log.Debug("no rejected_resources table (favicon database older than version 4)", "file", name)
	case !cols["page_url"] || !cols["icon_url"] || !cols["timestamp"]:
		out.Problem("%s: table rejected_resources lacks page_url, icon_url or timestamp; rejected icons not read", name)
	case len(recs) < maxRows:
		err = db.EachRow(ctx, "rejected_resources",
			"SELECT page_url, icon_url, timestamp FROM rejected_resources ORDER BY rowid",
			add("rejected"), bad("rejected_resources"))
		if err == errTooMany {
			out.Problem("%s: more than %d icons; the rest are not read", name, maxRows)
		} else if err != nil {
			return err
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].less(recs[j]) })
	for _, r := range recs {
		if err := out.Record(r); err != nil {
			return err
		}
	}
	return nil
}

type tooMany struct{}

func (tooMany) Error() string { return "too many rows" }

var errTooMany error = tooMany{}
