// Package webkitresourceloadstatistics reads WebKit's resource-load statistics,
// observations.db: the registrable domains that the web views of an app (Safari, an
// in-app browser, any app that shows web content) met, when they were last seen,
// whether the user interacted with them, and which domains redirected to which.
//
// # Artifact
//
// WebKit's Intelligent Tracking Prevention keeps observations.db under
// Library/WebKit/WebsiteData/ResourceLoadStatistics/ of every app that embeds WebKit:
// AppDomain-com.apple.mobilesafari for Safari, AppDomain-<bundle id> for other apps and
// HomeDomain for system web views in a backup;
// /private/var/mobile/Containers/Data/Application/<UUID>/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db
// and /private/var/mobile/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db
// on the phone. Every copy in any domain is read, and SafariViewService copies under
// SystemData/com.apple.SafariViewService/ too (where MVT looks for them in file-system
// dumps).
//
// ObservedDomains has one row per registrable domain (domainID, registrableDomain,
// lastSeen, hadUserInteraction, mostRecentUserInteractionTime, isPrevalent,
// isVeryPrevalent…). Relation tables link domain ids: TopFrameUniqueRedirectsTo
// (sourceDomainID → toDomainID) and its mirror TopFrameUniqueRedirectsFrom
// (targetDomainID ← fromDomainID) for redirects of the page itself,
// SubresourceUniqueRedirectsTo and SubresourceUniqueRedirectsFrom for redirects of
// resources a page loaded.
//
// Time base: lastSeen, mostRecentUserInteractionTime and
// mostRecentWebPushInteractionTime are Unix seconds as REAL (WebKit stores
// WallTime::secondsSinceEpoch); -1 or 0 mean never.
//
// # Schema variants
//
// The current layout (WebKit 2023 and later) ends ObservedDomains with
// mostRecentWebPushInteractionTime; the layout of older backups lacks it. Only domainID
// and registrableDomain are required: every other column is read when PRAGMA table_info
// lists it, and every relation table when it exists with the expected columns, so
// databases with MVT's four columns only are read too.
//
// # Records
//
// One [Observation] per ObservedDomains row, ordered by domainID, with MVT's keys
// (domain_id, registrable_domain, last_seen, had_user_interaction, last_seen_isodate,
// domain, path, and most_recent_user_interaction_time and
// most_recent_web_push_interaction_time with their _isodate when the columns exist)
// plus is_prevalent, is_very_prevalent and the redirect relations as lists of
// registrable domains: top_frame_redirects_to, top_frame_redirects_from,
// subresource_redirects_to and subresource_redirects_from.
//
// # MVT
//
// This is MVT's WebkitResourceLoadStatistics module (slug
// webkit_resource_load_statistics). Differences, all fixes:
//   - a database that is not an observations.db fails the module with a reason (MVT
//     swallows the SQL error and returns nothing, as if the table were empty), and one
//     unreadable copy out of several makes the module partial;
//   - an unknown or zero lastSeen gives a null date rather than 1970-01-01;
//   - the redirect relations are read, so an indicator alert says which domains led to
//     the matched one and where it sent the browser on.
package webkitresourceloadstatistics

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "webkit_resource_load_statistics"

// RelativePath is observations.db's path inside the domain of the app that embeds WebKit.
const RelativePath = "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db"

// Module reads observations.db.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Checkable = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "WebkitResourceLoadStatistics",
		Version:     1,
		Description: "Domains met by WebKit web views of every app, with redirects between them (observations.db)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths: []string{
			"*/" + RelativePath,
			"*/SystemData/com.apple.SafariViewService/" + RelativePath,
			"*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/observations.db",
		},
	}
}

// Run implements module.Module: every observations.db found, each on its own.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return readDB(ctx, in, out, name) })
}

// Optional columns of ObservedDomains, in the order of the query after domainID and
// registrableDomain.
var optionalColumns = []string{
	"lastSeen", "hadUserInteraction", "mostRecentUserInteractionTime", "mostRecentWebPushInteractionTime",
	"isPrevalent", "isVeryPrevalent",
}

// relation is a table linking two domain ids: for the domain in column key, the
// registrable domain of column other is added to one list of its record.
type relation struct {
	table, key, other string
	list              func(*Observation) *[]string
}

var relations = []relation{
	{"TopFrameUniqueRedirectsTo", "sourceDomainID", "toDomainID", func(o *Observation) *[]string { return &o.TopFrameRedirectsTo }},
	{"TopFrameUniqueRedirectsFrom", "targetDomainID", "fromDomainID", func(o *Observation) *[]string { return &o.TopFrameRedirectsFrom }},
	{"SubresourceUniqueRedirectsTo", "subresourceDomainID", "toDomainID", func(o *Observation) *[]string { return &o.SubresourceRedirectsTo }},
	{"SubresourceUniqueRedirectsFrom", "subresourceDomainID", "fromDomainID", func(o *Observation) *[]string { return &o.SubresourceRedirectsFrom }},
}

// Bounds on what the relation tables of one database may make the module hold.
const (
	maxRelationRows = 1 << 20 // rows of all relation tables
	maxPerList      = 1000    // domains in one list of one record
)

// linked holds the relation lists of one database by domain id, one map per relation.
type linked []map[int64][]string

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	cols, err := db.Columns(ctx, "ObservedDomains")
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return fmt.Errorf("read %q: no ObservedDomains table: not a WebKit resource-load statistics database", name)
	}
	for _, c := range []string{"domainID", "registrableDomain"} {
		if !cols[c] {
			return fmt.Errorf("read %q: table ObservedDomains has no column %s: not a WebKit resource-load statistics database", name, c)
		}
	}
	links, err := readRelations(ctx, in, out, db, name)
	if err != nil {
		return err
	}
	domain, rel, _ := strings.Cut(name, "/")
	var q strings.Builder
	q.WriteString("SELECT domainID, registrableDomain")
	for _, c := range optionalColumns {
		if cols[c] {
			q.WriteString(", " + c)
		} else {
			q.WriteString(", NULL")
		}
	}
	q.WriteString(" FROM ObservedDomains ORDER BY domainID")
	return db.EachRow(ctx, "ObservedDomains", q.String(), func(_ int, vals []any) error {
		o := observation(vals, cols, name, out)
		o.Domain, o.Path = domain, rel
		for i, r := range relations {
			list := links[i][o.DomainID]
			if list == nil {
				list = []string{}
			}
			*r.list(o) = list
		}
		return out.Record(o)
	}, func(n int, err error) {
		out.Problem("%s: ObservedDomains row %d: %v", name, n, err)
	})
}

// readRelations reads the relation tables that exist with the expected columns. A
// relation table that cannot be read is a problem, not the database's failure.
func readRelations(ctx context.Context, in *module.Input, out *module.Output, db *sqlitex.DB, name string) (linked, error) {
	links := make(linked, len(relations))
	budget := maxRelationRows
	for i, r := range relations {
		links[i] = map[int64][]string{}
		cols, err := db.Columns(ctx, r.table)
		if err != nil {
			return nil, err
		}
		if !cols[r.key] || !cols[r.other] {
			in.Log.Debug("relation table absent or of another layout", "file", name, "table", r.table)
			continue
		}
		// Names come from the relations list only, never from the database.
		q := fmt.Sprintf("SELECT r.%s, o.registrableDomain FROM %s AS r JOIN ObservedDomains AS o ON o.domainID = r.%s "+
			"ORDER BY r.%s, o.registrableDomain", r.key, r.table, r.other, r.key)
		full := map[int64]bool{}
		err = db.EachRow(ctx, r.table, q, func(_ int, vals []any) error {
			if budget == 0 {
				return errRelationBudget
			}
			budget--
			id, ok := sqlitex.Int(vals[0])
			if !ok {
				return nil
			}
			list := links[i][id]
			if len(list) >= maxPerList {
				full[id] = true
				return nil
			}
			d := sqlitex.Text(vals[1])
			if n := len(list); n > 0 && list[n-1] == d {
				return nil // a duplicate row
			}
			links[i][id] = append(list, d)
			return nil
		}, func(n int, err error) {
			out.Problem("%s: %s row %d: %v", name, r.table, n, err)
		})
		for id := range full {
			out.Problem("%s: domain %d has more than %d entries in %s; the rest are not listed", name, id, maxPerList, r.table)
		}
		switch {
		case err == errRelationBudget:
			out.Problem("%s: the relation tables hold more than %d rows; %s and the tables after it are read in part", name, maxRelationRows, r.table)
			return links, nil
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			out.Problem("%s: %v", name, err)
		}
	}
	return links, nil
}

var errRelationBudget = errors.New("relation rows budget exhausted")

// observation builds the record of one row: domainID, registrableDomain, then
// optionalColumns (NULL for those the table lacks).
func observation(vals []any, cols map[string]bool, name string, out *module.Output) *Observation {
	o := &Observation{RegistrableDomain: sqlitex.Text(vals[1])}
	o.DomainID, _ = sqlitex.Int(vals[0])
	if cols["lastSeen"] {
		if f, ok := sqlitex.Float(vals[2]); ok {
			o.LastSeen = f
			o.LastSeenISODate = timefmt.Of(timefmt.FromUnix(f))
		} else {
			out.Problem("%s: domain %d (%s): lastSeen %q is not a number", name, o.DomainID, o.RegistrableDomain, sqlitex.Text(vals[2]))
		}
	}
	if cols["hadUserInteraction"] {
		if b, ok := sqlitex.Int(vals[3]); ok {
			v := b != 0
			o.HadUserInteraction = &v
		}
	}
	if cols["mostRecentUserInteractionTime"] {
		o.MostRecentUserInteractionTime, o.MostRecentUserInteractionISODate = optionalTime(vals[4])
	}
	if cols["mostRecentWebPushInteractionTime"] {
		o.MostRecentWebPushInteractionTime, o.MostRecentWebPushInteractionISODate = optionalTime(vals[5])
	}
	for i, p := range []**bool{&o.IsPrevalent, &o.IsVeryPrevalent} {
		if b, ok := sqlitex.Int(vals[6+i]); ok {
			v := b != 0
			*p = &v
		}
	}
	return o
}

// optionalTime returns a time column's raw value (nil when not a number) and its date
// (nil when never or implausible), as MVT writes them.
func optionalTime(v any) (*float64, *timefmt.Time) {
	f, ok := sqlitex.Float(v)
	if !ok {
		return nil, nil
	}
	t := timefmt.FromUnix(f)
	if t.IsZero() {
		return &f, nil
	}
	iso := timefmt.Of(t)
	return &f, &iso
}
