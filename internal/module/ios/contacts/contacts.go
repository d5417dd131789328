// Package contacts reads the address book: one record per phone number, e-mail address,
// web page or other value of each contact.
//
// # Artifact
//
// AddressBook.sqlitedb: HomeDomain/Library/AddressBook/AddressBook.sqlitedb in a backup,
// /private/var/mobile/Library/AddressBook/AddressBook.sqlitedb on the phone. ABPerson has
// one row per contact (ROWID, First, Middle, Last, Organization, CreationDate,
// ModificationDate…); ABMultiValue one row per value of a contact (record_id =
// ABPerson.ROWID, property, label, value). property says what the value is: 3 phone
// number, 4 e-mail address, 5 postal address, 12 date, 13 instant messaging account,
// 22 URL, 23 related name, 46 social profile; the structured ones (5, 13, 46) have a NULL
// value and keep their parts in ABMultiValueEntry, so, as in MVT, they give no record.
// label is the ROWID of an ABMultiValueLabel row: Apple's labels are stored as
// "_$!<Mobile>!$_" and written here as "Mobile"; custom labels as typed.
//
// Time base: CreationDate and ModificationDate are Mac absolute time, seconds since
// 2001-01-01 UTC (INTEGER columns).
//
// # Schema variants
//
// The tables have existed since the first iPhone; recent iOS adds guid columns and many
// ABPerson columns. Columns are chosen by inspecting the tables: only ABPerson.ROWID,
// ABMultiValue.record_id and ABMultiValue.value are required; names, organization,
// dates, property and label are read when present, and labels only when
// ABMultiValueLabel exists.
//
// # MVT
//
// This is MVT's Contacts module (slug contacts) with its record keys (value, first,
// middle, last, organization). Differences, all fixes: MVT only logs a missing table and
// reports success with no record (here the module fails and says why); its records do
// not say whether a value is a phone number, an e-mail address or a URL, nor which
// contact they belong to or when it was created; its order is undefined within a contact
// (here ROWID then UID); and it has neither checks nor timeline. Here e-mail addresses
// are looked up in the e-mail indicators and URLs in the URL and domain indicators
// (CRITICAL), URLs go to urls.json, and contact_created and contact_modified events go
// to the timeline.
package contacts

import (
	"context"
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
const Name = "contacts"

// Path is the artifact in an iOS backup.
const Path = "HomeDomain/Library/AddressBook/AddressBook.sqlitedb"

// Module reads AddressBook.sqlitedb.
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
		Class:       "Contacts",
		Version:     1,
		Description: "Address book: phone numbers, e-mail addresses and URLs of contacts (AddressBook.sqlitedb)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return m.read(ctx, in, out, name) })
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. MVT's records (value, first, middle, last,
// organization) have no property: e-mail addresses and web pages are then recognised
// by their shape, as for an address book without the property column.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Contact](data) }

// Result columns of the query, in order.
const (
	colValue = iota
	colFirst
	colMiddle
	colLast
	colOrganization
	colPersonID
	colProperty
	colLabel
	colCreated
	colModified
	numCols
)

func buildQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	person, err := db.Columns(ctx, "ABPerson")
	if err != nil {
		return "", err
	}
	multi, err := db.Columns(ctx, "ABMultiValue")
	if err != nil {
		return "", err
	}
	switch {
	case len(person) == 0 && len(multi) == 0:
		return "", fmt.Errorf("read %q: no ABPerson or ABMultiValue table (not an address book)", db.Name)
	case len(person) == 0:
		return "", fmt.Errorf("read %q: no ABPerson table", db.Name)
	case len(multi) == 0:
		return "", fmt.Errorf("read %q: no ABMultiValue table", db.Name)
	}
	for _, c := range []string{"record_id", "value"} {
		if !multi[c] {
			return "", fmt.Errorf("read %q: unknown layout of ABMultiValue (no %s column)", db.Name, c)
		}
	}
	labels, err := db.HasTable(ctx, "ABMultiValueLabel")
	if err != nil {
		return "", err
	}
	opt := func(cols map[string]bool, alias, c string) string {
		if cols[c] {
			return alias + "." + c
		}
		return "NULL"
	}
	sel := make([]string, numCols)
	sel[colValue] = "m.value"
	sel[colFirst] = opt(person, "p", "First")
	sel[colMiddle] = opt(person, "p", "Middle")
	sel[colLast] = opt(person, "p", "Last")
	sel[colOrganization] = opt(person, "p", "Organization")
	sel[colPersonID] = "p.ROWID"
	sel[colProperty] = opt(multi, "m", "property")
	sel[colLabel] = "NULL"
	join := ""
	if multi["label"] {
		sel[colLabel] = "m.label"
		if labels {
			sel[colLabel] = "coalesce(l.value, m.label)"
			join = " LEFT JOIN ABMultiValueLabel l ON l.ROWID = m.label"
		}
	}
	sel[colCreated] = opt(person, "p", "CreationDate")
	sel[colModified] = opt(person, "p", "ModificationDate")
	order := "p.ROWID, m.rowid"
	if multi["UID"] {
		order = "p.ROWID, m.UID"
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM ABPerson p JOIN ABMultiValue m ON m.record_id = p.ROWID" + join +
		" WHERE m.value IS NOT NULL ORDER BY " + order, nil
}

func (m *Module) read(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	q, err := buildQuery(ctx, db)
	if err != nil {
		return err
	}
	return db.EachRow(ctx, "ABMultiValue", q, func(_ int, vals []any) error {
		return out.Record(recordOf(vals))
	}, func(n int, err error) {
		out.Problem("%s: read contact value %d: %v", path.Base(name), n, err)
	})
}

// recordOf converts one row.
func recordOf(v []any) *Contact {
	c := &Contact{
		Value:        sqlitex.Text(v[colValue]),
		First:        sqlitex.Text(v[colFirst]),
		Middle:       sqlitex.Text(v[colMiddle]),
		Last:         sqlitex.Text(v[colLast]),
		Organization: sqlitex.Text(v[colOrganization]),
		Label:        cleanLabel(sqlitex.Text(v[colLabel])),
	}
	if id, ok := sqlitex.Int(v[colPersonID]); ok {
		c.PersonID = id
	}
	if p, ok := sqlitex.Int(v[colProperty]); ok {
		c.Property = &p
		c.Kind = kindName(p)
	}
	if f, ok := sqlitex.Float(v[colCreated]); ok {
		c.CreationDate = timefmt.Of(timefmt.FromMacAbsolute(f))
	}
	if f, ok := sqlitex.Float(v[colModified]); ok {
		c.ModificationDate = timefmt.Of(timefmt.FromMacAbsolute(f))
	}
	return c
}

// cleanLabel writes Apple's "_$!<Mobile>!$_" as "Mobile"; other labels are kept.
func cleanLabel(s string) string {
	if strings.HasPrefix(s, "_$!<") && strings.HasSuffix(s, ">!$_") && len(s) >= 8 {
		return s[4 : len(s)-4]
	}
	return s
}
