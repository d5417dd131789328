// Package calendar reads the events of the Calendar app, with the organizer of each: the
// artifact where QuaDream's zero-click exploit left its invitations.
//
// # Artifact
//
// Calendar.sqlitedb is HomeDomain/Library/Calendar/Calendar.sqlitedb in a backup,
// /private/var/mobile/Library/Calendar/Calendar.sqlitedb on the phone (with its -wal,
// which is read too). Tables read: CalendarItem (one row per event; reminders too on
// older iOS) and Participant, joined on CalendarItem.organizer_id = Participant.ROWID:
// the organizer of an invitation. Every column of both tables is read.
//
// Time base: start_date, end_date, last_modified and creation_date of CalendarItem and
// last_modified of Participant are Mac absolute time (seconds since 2001-01-01 UTC, a
// REAL). Floating all-day events hold the date as if it were UTC.
//
// # Schema variants
//
// Columns are taken from the table as it is (PRAGMA table_info), as MVT's current
// module does: older databases lack creation_date, action, created_by_id and other
// columns, which then give null. A database without a CalendarItem table fails with a
// clear reason; one without Participant gives null participant keys.
//
// # Records
//
// One [Item] per CalendarItem row, ordered by ROWID, with MVT's keys (id, summary,
// description, all_day, calendar_id, organizer_id, url, external_id, external_mod_tag,
// unique_identifier, hidden, uuid, action, created_by_id, participant_uuid,
// participant_email, participant_phone, participant_comment, record, start_date,
// end_date, last_modified, creation_date, participant_last_modified) and, added here,
// participant_is_self and links.
//
// # MVT
//
// This is MVT's Calendar module (slug calendar). Differences, all fixes:
//   - the Quadream check ("Meeting" with the notes "Notes") raises an alert with an
//     explanation, whether or not indicators are loaded and also when the organizer
//     matched an e-mail indicator; it is HIGH when the event came as an invitation from
//     someone else, was backdated or hidden, and MEDIUM when everything says the owner
//     made it (MVT: always HIGH, skipped after an e-mail match);
//   - the event's url and the links in its notes are checked against URL and domain
//     indicators and listed in urls.json (MVT checks only the organizer's e-mail);
//   - timeline lines do not print "None" for an absent description or organizer.
package calendar

import (
	"context"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// Name is the module's slug, MVT's.
const Name = "calendar"

// Path is Calendar.sqlitedb in an iOS backup.
const Path = "HomeDomain/Library/Calendar/Calendar.sqlitedb"

// Module reads Calendar.sqlitedb.
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
		Class:       "Calendar",
		Version:     1,
		Description: "Calendar events and the organizers of invitations (Calendar.sqlitedb)",
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
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Item](data) }

// Prefixes of the columns in the query, as MVT names them in its record key.
const (
	itemPrefix        = "calendar_"
	participantPrefix = "participant_"
)

func read(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	q, err := buildQuery(ctx, db)
	if err != nil {
		return err
	}
	return db.EachNamedRow(ctx, "CalendarItem", q, func(_ int, names []string, vals []any) error {
		return out.Record(newItem(names, vals))
	}, func(n int, err error) {
		out.Problem("%s: read CalendarItem row %d: %v", name, n, err)
	})
}

// buildQuery selects every column of CalendarItem (as calendar_<column>) and of the
// organizer's Participant row (as participant_<column>).
func buildQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	items, err := columns(ctx, db, "CalendarItem")
	if err != nil {
		return "", err
	}
	if len(items) == 0 {
		return "", fmt.Errorf("read %q: no CalendarItem table (not a Calendar database)", db.Name)
	}
	has := map[string]bool{}
	for _, c := range items {
		has[c] = true
	}
	if !has["summary"] && !has["start_date"] {
		return "", fmt.Errorf("read %q: unknown layout of the CalendarItem table (neither summary nor start_date)", db.Name)
	}
	sel := make([]string, 0, len(items)+24)
	for _, c := range items {
		sel = append(sel, "c."+quote(c)+" AS "+quote(itemPrefix+c))
	}
	from := "CalendarItem AS c"
	if has["organizer_id"] {
		parts, err := columns(ctx, db, "Participant")
		if err != nil {
			return "", err
		}
		if len(parts) > 0 {
			for _, c := range parts {
				sel = append(sel, "p."+quote(c)+" AS "+quote(participantPrefix+c))
			}
			from += " LEFT JOIN Participant AS p ON p.ROWID = c.organizer_id"
		}
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from + " ORDER BY c.ROWID", nil
}

// columns lists the columns of table in table order (none when it does not exist).
func columns(ctx context.Context, db *sqlitex.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %q in %q: %w", table, db.Name, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read columns of %q in %q: %w", table, db.Name, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %q in %q: %w", table, db.Name, err)
	}
	return cols, nil
}

// quote returns an SQL identifier for a name read from the evidence.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
