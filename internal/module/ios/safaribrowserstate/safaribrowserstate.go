// Package safaribrowserstate reads the tabs Safari had open, BrowserState.db: one
// record per tab, with the tab's back/forward list.
//
// # Artifact
//
// Safari keeps BrowserState.db at Library/Safari/BrowserState.db of its domain:
// HomeDomain in a backup (HomeDomain/Library/Safari/BrowserState.db),
// /private/var/mobile/Library/Safari/BrowserState.db on the phone; Safari profiles and
// apps with an in-app browser may have their own (Library/Safari/Profiles/<UUID>/), and
// every copy found in any domain is read.
//
// The table tabs has one row per tab (title, url, user_visible_url, last_viewed_time,
// private_browsing, opened_from_link…). The tab's back/forward list is the blob
// session_data: WebKit's legacy session state, a 4-byte big-endian version then a binary
// property list, LZ4-compressed in Apple's "bv41" stream when
// uncompressed_session_data_size is set and differs from the blob's length (see
// [ParseSessionData]).
//
// Time base: last_viewed_time is Mac absolute time, seconds since 2001-01-01 UTC (REAL).
//
// # Schema variants
//
// MobileSafari numbers the database's schema. Before version 3 (older releases, up to
// about iOS 12) the session was stored in tabs itself (tabs.session_data, plus
// tabs.uncompressed_session_data_size from version 2); from version 3 it is in the
// table tab_sessions, joined on tab_sessions.tab_uuid = tabs.uuid (the iOS 14 reference
// layout); versions 6 to 8 (iOS 15 to 17) add tab groups and profiles
// (tabs.tab_group_uuid, tabs.profile_uuid, browser_windows.active_profile_identifier),
// which this module does not need. The layout is found with PRAGMA table_info, and
// every column but tabs.id and tabs.url is optional.
//
// # MVT
//
// This is MVT's SafariBrowserState module (slug safari_browser_state), with fixes:
//   - compressed sessions (recent iOS) are decompressed; MVT fails to parse them and
//     silently reports no session entries;
//   - tabs without a tab_sessions row are kept (MVT's inner join drops them);
//   - entry_title holds the page title (MVT puts the original URL there); the original
//     URL is under entry_original_url, and both it and tab_visible_url are checked
//     against indicators;
//   - a session that cannot be decoded is reported as a problem naming the tab, and its
//     reason is kept in the record (session_data_error), where MVT drops it silently.
package safaribrowserstate

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
const Name = "safari_browser_state"

// Module reads BrowserState.db.
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
		Class:       "SafariBrowserState",
		Version:     1,
		Description: "Safari open tabs (BrowserState.db) and their back/forward lists",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths: []string{
			"*/Library/Safari/BrowserState.db",
			"*/Library/Safari/Profiles/*/BrowserState.db",
		},
	}
}

// Run reads every BrowserState.db found. A database that cannot be read is a problem
// when others could be read, and the module's error when none could.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return readDB(ctx, in, out, name) })
}

// Optional columns of tabs, in the order of the query.
var optionalTabColumns = []string{"title", "user_visible_url", "last_viewed_time", "private_browsing", "opened_from_link"}

// query returns the SELECT for the layout found. Column names come from this file only,
// never from the database.
func query(tabs, sessions map[string]bool) string {
	var b strings.Builder
	b.WriteString("SELECT t.id, t.url")
	for _, c := range optionalTabColumns {
		if tabs[c] {
			b.WriteString(", t." + c)
		} else {
			b.WriteString(", NULL")
		}
	}
	from := " FROM tabs AS t"
	switch {
	case tabs["uuid"] && sessions["tab_uuid"] && sessions["session_data"]:
		b.WriteString(", s.session_data")
		from += " LEFT JOIN tab_sessions AS s ON s.tab_uuid = t.uuid"
		if sessions["uncompressed_session_data_size"] {
			b.WriteString(", s.uncompressed_session_data_size")
		} else {
			b.WriteString(", NULL")
		}
	case tabs["session_data"]:
		b.WriteString(", t.session_data")
		if tabs["uncompressed_session_data_size"] {
			b.WriteString(", t.uncompressed_session_data_size")
		} else {
			b.WriteString(", NULL")
		}
	default:
		b.WriteString(", NULL, NULL")
	}
	b.WriteString(from)
	if tabs["last_viewed_time"] {
		b.WriteString(" ORDER BY t.last_viewed_time, t.id")
	} else {
		b.WriteString(" ORDER BY t.id")
	}
	return b.String()
}

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	tabs, err := db.Columns(ctx, "tabs")
	if err != nil {
		return err
	}
	if !tabs["id"] || !tabs["url"] {
		return fmt.Errorf("read %q: no table tabs with id and url columns: not a Safari browser state database", name)
	}
	sessions, err := db.Columns(ctx, "tab_sessions")
	if err != nil {
		return err
	}
	return db.EachRow(ctx, "tabs", query(tabs, sessions), func(_ int, vals []any) error {
		return out.Record(tab(name, vals, out))
	}, func(n int, err error) {
		out.Problem("%s: tab row %d: %v", name, n, err)
	})
}

// tab builds the record of one row: t.id, t.url, optionalTabColumns, session_data and
// its uncompressed size.
func tab(db string, vals []any, out *module.Output) *Tab {
	t := &Tab{
		TabURL:               sqlitex.Text(vals[1]),
		TabTitle:             sqlitex.Text(vals[2]),
		TabVisibleURL:        sqlitex.Text(vals[3]),
		SafariBrowserStateDB: db,
		SessionData:          []SessionEntry{},
	}
	id, _ := sqlitex.Int(vals[0])
	if f, ok := sqlitex.Float(vals[4]); ok {
		t.LastViewedTimestamp = timefmt.Of(timefmt.FromMacAbsolute(f))
	}
	if b, ok := sqlitex.Int(vals[5]); ok {
		t.PrivateBrowsing = b != 0
	}
	if b, ok := sqlitex.Int(vals[6]); ok {
		t.OpenedFromLink = b != 0
	}
	size, _ := sqlitex.Int(vals[8])
	entries, err := ParseSessionData(sqlitex.Blob(vals[7]), size)
	t.SessionData = append(t.SessionData, entries...)
	if err != nil {
		t.SessionDataError = err.Error()
		out.Problem("%s: tab %d (%s): session data: %v", db, id, t.TabURL, err)
	}
	return t
}
