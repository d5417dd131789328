// Package chromehistory reads the browsing history of Chrome for iOS (and of other
// browsers built from Chromium's iOS code that keep the same profile layout): one record
// per visit, with the page it came from.
//
// # Artifact
//
// Chrome keeps its profile in its app container: the History database is at
// Library/Application Support/Google/Chrome/Default/History of the app's domain,
// AppDomain-com.google.chrome.ios/Library/Application Support/Google/Chrome/Default/History
// in a backup and /private/var/mobile/Containers/Data/Application/<UUID>/Library/
// Application Support/Google/Chrome/Default/History on the phone. The module reads every
// History found under Library/Application Support/Google/Chrome/<profile>/ of any app
// domain (Chrome, its beta and other channels, other profiles than Default), each as its
// own database.
//
// The database is Chromium's history database. Two tables matter: urls has one row per
// URL (id, url, title, visit_count, typed_count, last_visit_time, hidden); visits has one
// row per visit (id, url = urls.id, visit_time, from_visit, transition, segment_id,
// visit_duration and, in recent versions, incremented_omnibox_typed_score, opener_visit,
// originator_* for synced visits, is_known_to_sync, consider_for_ntp_most_visited,
// visited_link_id, app_id). from_visit is the visit this one came from: the referring
// page of a link or the previous step of a redirect chain, 0 when none. transition is
// Chromium's page transition, stored as a signed 32-bit integer: a core type in the low
// byte (link, typed, generated, reload…) and qualifier bits (chain start and end, client
// and server redirect, forward/back, from the address bar, from another app…).
//
// Time base: visit_time is Chrome time, microseconds since 1601-01-01 UTC, an integer;
// visit_duration is in microseconds.
//
// # Schema variants
//
// The module needs urls.id and url and visits.id, url and visit_time, which every
// version has. title, from_visit, transition and visit_duration are read only when the
// table has them (found with PRAGMA table_info), so the oldest layouts (version 22 with
// is_indexed, before visit_duration), the current one (version 70) and partial copies
// are all read.
//
// # Records
//
// One [Visit] per visits row, ordered by visit_time then visit id, with MVT's keys (id,
// url, visit_id, timestamp, isodate, redirect_source) plus chrome_history_db, title,
// transition (decoded, e.g. "link|server_redirect|chain_end"), visit_duration (seconds)
// and redirect_source_url.
//
// # MVT
//
// This is MVT's ChromeHistory module (slug chrome_history). Differences, all fixes:
//   - every History of every Chromium-based app container and profile is read; MVT reads
//     the first match only;
//   - visits whose URL row is gone are kept (MVT's inner join drops them silently) and
//     reported as a problem;
//   - indicator alerts carry the visit's time (MVT's have none);
//   - the chrome_history/fast-redirect heuristic, which MVT has for Safari only, finds
//     cleartext visits redirected in under a second to another site;
//   - a database that cannot be read makes the module partial or failed with a reason.
package chromehistory

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
const Name = "chrome_history"

// Module reads Chrome's History databases.
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
		Class:       "ChromeHistory",
		Version:     1,
		Description: "Chrome browsing history (History): visits, with the page each came from",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{"AppDomain-*/Library/Application Support/Google/Chrome/*/History"},
	}
}

// Run reads every History found. A database that cannot be read is a problem when
// others could be read, and the module's error when none could.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return readDB(ctx, in, out, name) })
}

// query returns the SELECT for tables with the given columns. Column names come from
// this code only, never from the database.
func query(urls, visits map[string]bool) string {
	var b strings.Builder
	b.WriteString("SELECT v.id, v.url, u.url, v.visit_time")
	opt := func(have bool, expr string) {
		if have {
			b.WriteString(", " + expr)
		} else {
			b.WriteString(", NULL")
		}
	}
	opt(urls["title"], "u.title")
	opt(visits["from_visit"], "v.from_visit")
	opt(visits["transition"], "v.transition")
	opt(visits["visit_duration"], "v.visit_duration")
	opt(visits["from_visit"], "su.url")
	b.WriteString(" FROM visits AS v LEFT JOIN urls AS u ON u.id = v.url")
	if visits["from_visit"] {
		b.WriteString(" LEFT JOIN visits AS sv ON sv.id = v.from_visit AND v.from_visit != 0" +
			" LEFT JOIN urls AS su ON su.id = sv.url")
	}
	b.WriteString(" ORDER BY v.visit_time, v.id")
	return b.String()
}

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	urls, err := db.Columns(ctx, "urls")
	if err != nil {
		return err
	}
	visits, err := db.Columns(ctx, "visits")
	if err != nil {
		return err
	}
	for _, need := range []struct {
		table string
		cols  map[string]bool
		names []string
	}{
		{"urls", urls, []string{"id", "url"}},
		{"visits", visits, []string{"id", "url", "visit_time"}},
	} {
		for _, c := range need.names {
			if !need.cols[c] {
				return fmt.Errorf("read %q: table %s has no column %s: not a Chrome history database", name, need.table, c)
			}
		}
	}
	return db.EachRow(ctx, "visits", query(urls, visits), func(_ int, vals []any) error {
		return out.Record(visit(name, vals, out))
	}, func(n int, err error) {
		out.Problem("%s: visit row %d: %v", name, n, err)
	})
}

// visit builds the record of one row: v.id, v.url, u.url, v.visit_time, u.title,
// v.from_visit, v.transition, v.visit_duration, then the URL of the from_visit.
func visit(db string, vals []any, out *module.Output) *Visit {
	v := &Visit{ChromeHistoryDB: db}
	v.VisitID, _ = sqlitex.Int(vals[0])
	v.ID, _ = sqlitex.Int(vals[1])
	v.URL = sqlitex.Text(vals[2])
	if vals[2] == nil {
		out.Problem("%s: visit %d refers to URL %d, which does not exist", db, v.VisitID, v.ID)
	}
	if us, ok := sqlitex.Int(vals[3]); ok && !isText(vals[3]) {
		v.Timestamp = us
		v.ISODate = timefmt.Of(timefmt.FromWebKit(us))
	} else {
		out.Problem("%s: visit %d: visit_time %q is not a number", db, v.VisitID, sqlitex.Text(vals[3]))
	}
	v.Title = sqlitex.Text(vals[4])
	if vals[5] != nil {
		if id, ok := sqlitex.Int(vals[5]); ok {
			v.RedirectSource = &id
		} else {
			out.Problem("%s: visit %d: from_visit %q is not a number", db, v.VisitID, sqlitex.Text(vals[5]))
		}
	}
	if vals[6] != nil {
		if t, ok := sqlitex.Int(vals[6]); ok && t >= -1<<31 && t < 1<<32 {
			v.Transition = TransitionText(uint32(t))
		} else {
			out.Problem("%s: visit %d: transition %q is not a page transition", db, v.VisitID, sqlitex.Text(vals[6]))
		}
	}
	if vals[7] != nil {
		if us, ok := sqlitex.Int(vals[7]); ok {
			d := float64(us) / 1e6
			v.VisitDuration = &d
		} else {
			out.Problem("%s: visit %d: visit_duration %q is not a number", db, v.VisitID, sqlitex.Text(vals[7]))
		}
	}
	v.RedirectSourceURL = sqlitex.Text(vals[8])
	return v
}

// isText reports whether v is text or a blob: SQLite's numeric affinity stores a
// well-formed number as a number, so text in an INTEGER column is not a time even when
// it parses as one.
func isText(v any) bool {
	switch v.(type) {
	case string, []byte:
		return true
	}
	return false
}
