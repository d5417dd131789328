// Package calls reads the call history: phone calls, FaceTime calls and the calls of
// apps that use CallKit (WhatsApp, Signal, Telegram…), incoming, outgoing and missed.
//
// # Artifact
//
// Since iOS 8 the call history is CallHistory.storedata, a Core Data SQLite store:
// HomeDomain/Library/CallHistoryDB/CallHistory.storedata in a backup,
// /private/var/mobile/Library/CallHistoryDB/CallHistory.storedata on the phone. Table
// ZCALLRECORD has one row per call: ZDATE (Mac absolute time, seconds since 2001-01-01
// UTC, a REAL), ZDURATION (seconds), ZADDRESS (the number or the Apple ID e-mail address
// of the other party), ZNAME, ZLOCATION, ZSERVICE_PROVIDER (com.apple.Telephony,
// com.apple.FaceTime or the bundle id of a CallKit app), ZORIGINATED (1 outgoing),
// ZANSWERED, ZCALLTYPE (1 phone, 8 FaceTime video, 16 FaceTime audio, 0 a third-party
// app), ZDISCONNECTED_CAUSE, ZUNIQUE_ID, ZISO_COUNTRY_CODE.
//
// Up to iOS 7 it was call_history.db: WirelessDomain/Library/CallHistory/call_history.db
// in a backup, /private/var/wireless/Library/CallHistory/call_history.db on the phone;
// table call has address, date (Unix time in seconds), duration, flags (bit 0 set for an
// outgoing call), name, country_code (a mobile country code) and, from iOS 8, answered.
// iOS 8 and 9 may keep the old file beside the new store; both are read, each record
// naming its database, and the same call may then appear twice.
//
// # Schema variants
//
// Columns are chosen by inspecting the table, so every layout is read: iOS 8 and 9 have
// no ZSERVICE_PROVIDER (the kind of call then comes from ZCALLTYPE); ZADDRESS is a BLOB
// of UTF-8 bytes up to iOS 11 at least and text in the current model; the current model
// keeps the participants of group calls in ZHANDLE, linked through a
// Z_<n>REMOTEPARTICIPANTHANDLES join table, and those are read into participants when
// the tables exist. Only ZDATE is required (and date in call_history.db).
//
// # MVT
//
// This is MVT's Calls module (slug calls) with its record keys (isodate, duration,
// location, number, provider). Differences, all fixes: MVT's query names all five
// columns, so it fails on iOS 8 and 9 (no ZSERVICE_PROVIDER) and reads nothing before
// iOS 8 (call_history.db); it drops direction, answered, call type and name, so an
// analyst cannot tell a missed FaceTime call from an outgoing phone call; it ignores
// the participants of group calls; its timeline says "From <number>" for every call; and
// it has no check at all. Here an e-mail address among the number and the participants
// (an Apple ID that placed or received a FaceTime call) is looked up in the e-mail
// indicators (CRITICAL).
package calls

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "calls"

// Paths of the artifact in an iOS backup.
const (
	Path       = "HomeDomain/Library/CallHistoryDB/CallHistory.storedata"
	LegacyPath = "WirelessDomain/Library/CallHistory/call_history.db"
)

// maxParticipants bounds the participants kept for one call (group FaceTime allows 32).
const maxParticipants = 64

// Module reads the call history.
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
		Class:       "Calls",
		Version:     1,
		Description: "Call history: phone, FaceTime and app calls (CallHistory.storedata, call_history.db)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path, LegacyPath},
	}
}

// Run implements module.Module: it reads every call history database found.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return m.read(ctx, in, out, name) })
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. MVT's records (isodate, duration,
// location, number, provider) decode as calls with only those keys.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Call](data) }

// Result columns of both queries, in order.
const (
	colID = iota
	colDate
	colDuration
	colLocation
	colAddress
	colProvider
	colOriginated // ZORIGINATED, or flags in call_history.db
	colAnswered
	colCallType
	colName
	colDisconnected
	colUniqueID
	colCountry
	colParticipants
	numCols
)

// query is the SELECT for one database and what it reads.
type query struct {
	sql    string
	legacy bool
	table  string
}

func (m *Module) read(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	var q query
	if path.Base(name) == path.Base(LegacyPath) {
		q, err = legacyQuery(ctx, db)
	} else {
		q, err = storeQuery(ctx, db)
	}
	if err != nil {
		return err
	}
	base := path.Base(name)
	return db.EachRow(ctx, q.table, q.sql, func(_ int, vals []any) error {
		return out.Record(recordOf(vals, q.legacy, base))
	}, func(n int, err error) {
		out.Problem("%s: read %s row %d: %v", name, q.table, n, err)
	})
}

// quote quotes an SQL identifier.
func quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// storeQuery builds the SELECT over ZCALLRECORD from the columns the table has.
func storeQuery(ctx context.Context, db *sqlitex.DB) (query, error) {
	cols, err := db.Columns(ctx, "ZCALLRECORD")
	if err != nil {
		return query{}, err
	}
	if len(cols) == 0 {
		return query{}, fmt.Errorf("read %q: no ZCALLRECORD table (not a call history store)", db.Name)
	}
	if !cols["ZDATE"] {
		return query{}, fmt.Errorf("read %q: unknown layout of ZCALLRECORD (no ZDATE column)", db.Name)
	}
	opt := func(c string) string {
		if cols[c] {
			return "c." + c
		}
		return "NULL"
	}
	id := "c.rowid"
	if cols["Z_PK"] {
		id = "c.Z_PK"
	}
	participants, err := participantsExpr(ctx, db, id)
	if err != nil {
		return query{}, err
	}
	sel := make([]string, numCols)
	sel[colID] = id
	sel[colDate] = "c.ZDATE"
	sel[colDuration] = opt("ZDURATION")
	sel[colLocation] = opt("ZLOCATION")
	sel[colAddress] = opt("ZADDRESS")
	sel[colProvider] = opt("ZSERVICE_PROVIDER")
	sel[colOriginated] = opt("ZORIGINATED")
	sel[colAnswered] = opt("ZANSWERED")
	sel[colCallType] = opt("ZCALLTYPE")
	sel[colName] = opt("ZNAME")
	sel[colDisconnected] = opt("ZDISCONNECTED_CAUSE")
	sel[colUniqueID] = opt("ZUNIQUE_ID")
	sel[colCountry] = opt("ZISO_COUNTRY_CODE")
	sel[colParticipants] = participants
	return query{
		table: "ZCALLRECORD",
		sql:   "SELECT " + strings.Join(sel, ", ") + " FROM ZCALLRECORD c ORDER BY c.ZDATE, " + id,
	}, nil
}

// participantsExpr returns a subquery listing the participant handles of call id,
// one per line, or "NULL" when the store has no participant tables. The join table's
// name and columns carry Core Data entity numbers (Z_2REMOTEPARTICIPANTHANDLES with
// Z_2REMOTEPARTICIPANTCALLS and Z_4REMOTEPARTICIPANTHANDLES), so they are looked up.
func participantsExpr(ctx context.Context, db *sqlitex.DB, id string) (string, error) {
	handle, err := db.Columns(ctx, "ZHANDLE")
	if err != nil {
		return "", err
	}
	if !handle["Z_PK"] || !handle["ZVALUE"] {
		return "NULL", nil
	}
	var join string
	err = db.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'Z\_%REMOTEPARTICIPANTHANDLES' ESCAPE '\' ORDER BY name LIMIT 1`).Scan(&join)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "NULL", nil // no join table: no participants to read
	case err != nil:
		return "", fmt.Errorf("look for the participants table in %q: %w", db.Name, err)
	}
	jcols, err := db.Columns(ctx, join)
	if err != nil {
		return "", err
	}
	var callCol, handleCol string
	for c := range jcols {
		switch {
		case strings.HasSuffix(c, "REMOTEPARTICIPANTCALLS") && (callCol == "" || c < callCol):
			callCol = c
		case strings.HasSuffix(c, "REMOTEPARTICIPANTHANDLES") && (handleCol == "" || c < handleCol):
			handleCol = c
		}
	}
	if callCol == "" || handleCol == "" {
		return "NULL", nil
	}
	return fmt.Sprintf("(SELECT group_concat(h.ZVALUE, char(10) ORDER BY h.Z_PK) FROM %s j JOIN ZHANDLE h ON h.Z_PK = j.%s WHERE j.%s = %s)",
		quote(join), quote(handleCol), quote(callCol), id), nil
}

// legacyQuery builds the SELECT over call_history.db's call table.
func legacyQuery(ctx context.Context, db *sqlitex.DB) (query, error) {
	cols, err := db.Columns(ctx, "call")
	if err != nil {
		return query{}, err
	}
	if len(cols) == 0 {
		return query{}, fmt.Errorf("read %q: no call table (not a call_history.db)", db.Name)
	}
	if !cols["date"] {
		return query{}, fmt.Errorf("read %q: unknown layout of the call table (no date column)", db.Name)
	}
	opt := func(c string) string {
		if cols[c] {
			return "c." + c
		}
		return "NULL"
	}
	sel := make([]string, numCols)
	for i := range sel {
		sel[i] = "NULL"
	}
	sel[colID] = "c.rowid"
	sel[colDate] = "c.date"
	sel[colDuration] = opt("duration")
	sel[colAddress] = opt("address")
	sel[colOriginated] = opt("flags")
	sel[colAnswered] = opt("answered")
	sel[colName] = opt("name")
	return query{
		table:  "call",
		legacy: true,
		sql:    "SELECT " + strings.Join(sel, ", ") + " FROM call c ORDER BY c.date, c.rowid",
	}, nil
}

// recordOf converts one row.
func recordOf(v []any, legacy bool, db string) *Call {
	c := &Call{
		Location:    sqlitex.Text(v[colLocation]),
		Number:      strings.TrimSpace(sqlitex.Text(v[colAddress])),
		Provider:    sqlitex.Text(v[colProvider]),
		Name:        sqlitex.Text(v[colName]),
		UniqueID:    sqlitex.Text(v[colUniqueID]),
		CountryCode: sqlitex.Text(v[colCountry]),
		Database:    db,
	}
	if id, ok := sqlitex.Int(v[colID]); ok {
		c.ID = id
	}
	if d, ok := sqlitex.Float(v[colDuration]); ok {
		c.Duration = &d
	}
	if f, ok := sqlitex.Float(v[colDate]); ok {
		if legacy {
			c.IsoDate = timefmt.Of(timefmt.FromUnix(f))
		} else {
			c.IsoDate = timefmt.Of(timefmt.FromMacAbsolute(f))
		}
	}
	if o, ok := sqlitex.Int(v[colOriginated]); ok {
		if legacy {
			flags := o
			c.Flags = &flags
			o &= 1
		}
		switch o {
		case 1:
			c.Direction = Outgoing
		case 0:
			c.Direction = Incoming
		}
	}
	if a, ok := sqlitex.Int(v[colAnswered]); ok {
		b := a != 0
		c.Answered = &b
	}
	if t, ok := sqlitex.Int(v[colCallType]); ok {
		c.CallType = callTypeName(t)
	}
	if d, ok := sqlitex.Int(v[colDisconnected]); ok {
		c.DisconnectedCause = &d
	}
	if s := sqlitex.Text(v[colParticipants]); s != "" {
		for p := range strings.SplitSeq(s, "\n") {
			if len(c.Participants) == maxParticipants {
				break
			}
			if p = strings.TrimSpace(p); p != "" {
				c.Participants = append(c.Participants, p)
			}
		}
	}
	return c
}
