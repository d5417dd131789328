// Package shortcuts reads the shortcuts of the Shortcuts app: automations that can open
// and fetch URLs, send messages and read data, and so a way for someone with access to
// the phone to make it send data away.
//
// # Artifact
//
// Shortcuts.sqlite is HomeDomain/Library/Shortcuts/Shortcuts.sqlite in a backup,
// /private/var/mobile/Library/Shortcuts/Shortcuts.sqlite on the phone (with its -wal,
// which is read too): the Core Data store of the app. Tables read: ZSHORTCUT (one row per
// shortcut: ZNAME, ZACTIONSDESCRIPTION, ZCREATIONDATE, ZMODIFICATIONDATE) left-joined
// with ZSHORTCUTACTIONS on ZSHORTCUTACTIONS.ZSHORTCUT = ZSHORTCUT.Z_PK, whose ZDATA is a
// property list (binary) holding the array of the shortcut's actions, each a dictionary
// with WFWorkflowActionIdentifier and WFWorkflowActionParameters. A dictionary with a
// WFWorkflowActions array (the layout of an exported .shortcut file) is read too.
//
// Time base: ZCREATIONDATE and ZMODIFICATIONDATE are Mac absolute time (seconds since
// 2001-01-01 UTC).
//
// # Schema variants
//
// Columns are chosen by inspecting ZSHORTCUT: every column but Z_PK is optional and
// gives null when absent. A store without ZSHORTCUTACTIONS gives shortcuts without
// actions; one without ZSHORTCUT fails with a clear reason (MVT logs a line and returns
// nothing, as if there were no shortcut).
//
// # Records
//
// One [Shortcut] per joined row, ordered by Z_PK (then by the action row), with MVT's
// keys: shortcut_id, shortcut_name, modified_date, description, parsed_actions (the
// number of actions, as MVT counts them), action_urls, isodate. Added here: actions, the
// decoded actions ({identifier, parameters, urls}), and actions_error, why ZDATA could
// not be decoded.
//
// The property list is decoded by package plistx within its limits. URLs are found by
// walking every string of the parameters (values, not keys) and extracting links with
// package urlx, at most [MaxURLs] per shortcut, de-duplicated.
//
// # MVT
//
// This is MVT's Shortcuts module (slug shortcuts). Differences, all fixes:
//   - a ZDATA that is not a property list, or whose actions are malformed, gives a
//     record with actions_error and a problem instead of crashing the module (MVT
//     crashes on an action without an identifier, and sets action_urls to null on a
//     blob it cannot read);
//   - URLs are taken from each string of the parameters, not with a regular expression
//     over Python's rendering of them, so quotes and brackets do not end up in URLs;
//   - action_urls is de-duplicated and checked against URL and domain indicators (MVT
//     checks domains only), and the URLs go to urls.json;
//   - the name and description are text (MVT writes Python bytes).
package shortcuts

import (
	"context"
	"fmt"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// Name is the module's slug, MVT's.
const Name = "shortcuts"

// Path is Shortcuts.sqlite in an iOS backup.
const Path = "HomeDomain/Library/Shortcuts/Shortcuts.sqlite"

// Module reads Shortcuts.sqlite.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "Shortcuts",
		Version:     1,
		Description: "Shortcuts of the Shortcuts app, their actions and the URLs they use (Shortcuts.sqlite)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return read(ctx, in, out, name) })
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Shortcut](data) }

// buildQuery selects, in order: Z_PK, ZNAME, ZCREATIONDATE, ZMODIFICATIONDATE,
// ZACTIONSDESCRIPTION, ZDATA (NULL for columns or tables this store lacks).
func buildQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	cols, err := db.Columns(ctx, "ZSHORTCUT")
	if err != nil {
		return "", err
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("read %q: no ZSHORTCUT table (not a Shortcuts database)", db.Name)
	}
	if !cols["Z_PK"] {
		return "", fmt.Errorf("read %q: unknown layout of the ZSHORTCUT table (no Z_PK column)", db.Name)
	}
	opt := func(c string) string {
		if cols[c] {
			return "s." + c
		}
		return "NULL"
	}
	actions, err := db.Columns(ctx, "ZSHORTCUTACTIONS")
	if err != nil {
		return "", err
	}
	data, join, order := "NULL", "", "s.Z_PK"
	if actions["ZSHORTCUT"] && actions["ZDATA"] {
		data, join = "a.ZDATA", " LEFT JOIN ZSHORTCUTACTIONS AS a ON a.ZSHORTCUT = s.Z_PK"
		if actions["Z_PK"] {
			order += ", a.Z_PK"
		}
	}
	return fmt.Sprintf("SELECT s.Z_PK, %s, %s, %s, %s, %s FROM ZSHORTCUT AS s%s ORDER BY %s",
		opt("ZNAME"), opt("ZCREATIONDATE"), opt("ZMODIFICATIONDATE"), opt("ZACTIONSDESCRIPTION"), data, join, order), nil
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
	return db.EachRow(ctx, "ZSHORTCUT", q, func(_ int, vals []any) error {
		rec := newShortcut(vals)
		if rec.ActionsError != "" {
			out.Problem("%s: shortcut %v (%s): actions not readable: %s", name, rec.ShortcutID, rec.name, rec.ActionsError)
		}
		return out.Record(rec)
	}, func(n int, err error) {
		out.Problem("%s: read ZSHORTCUT row %d: %v", name, n, err)
	})
}
