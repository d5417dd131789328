// Package whatsappcontacts reads WhatsApp's address book, ContactsV2.sqlite: one row per
// contact WhatsApp knows, with the contact's WhatsApp id (JID), LID, phone number, names,
// "about" text and the disappearing-messages timer of the one-to-one chat.
//
// The artifact is ContactsV2.sqlite in WhatsApp's shared app group:
// AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ContactsV2.sqlite in a backup (and
// AppDomainGroup-group.net.whatsapp.WhatsAppSMB.shared/ContactsV2.sqlite for WhatsApp
// Business), /private/var/mobile/Containers/Shared/AppGroup/<UUID>/ContactsV2.sqlite on
// the phone. Every file found is read, WhatsApp's first. The table is
// ZWAADDRESSBOOKCONTACT. Its dates (ZDISAPPEARINGMODETIMESTAMP, ZABOUTTIMESTAMP,
// ZABOUTEXPIRATIONTIMESTAMP, ZLASTUPDATED) are Mac absolute time in seconds;
// ZDISAPPEARINGMODEDURATION is a number of seconds (0 or NULL when the timer is off).
//
// WhatsApp adds and renames columns between versions, so the query is built from the
// columns present: a missing column gives null (ZPHONENUMBERSTATUS stands in for
// ZPHONESTATUS in older versions). Without ZDISAPPEARINGMODEDURATION the timer's state is
// unknown (null), not "off". Text columns are declared BLOB and hold text or UTF-8 blobs;
// both are read as text.
//
// It corresponds to MVT's WhatsappContacts module. Differences: a file that is not a
// WhatsApp contacts database (no ZWAADDRESSBOOKCONTACT table) or cannot be read makes the
// module fail with the reason, where MVT logs a line and returns no record; the WhatsApp
// Business database is read too; rows are ordered by Z_PK; each record says which app it
// comes from ("app").
//
// The package also exports [Resolver], which the interaction_c module uses to turn the
// WhatsApp identifiers CoreDuet records (LIDs, JIDs, phone numbers) into a phone number
// and a name.
package whatsappcontacts

import (
	"context"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// Name is the module's slug.
const Name = "whatsapp_contacts"

// Backup domains of WhatsApp's and WhatsApp Business's shared app groups.
const (
	Domain         = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
	BusinessDomain = "AppDomainGroup-group.net.whatsapp.WhatsAppSMB.shared"
	// File is the database's path in the app group.
	File = "ContactsV2.sqlite"
)

// Bundle ids of the two apps, as written in Record.App.
const (
	WhatsApp         = "net.whatsapp.WhatsApp"
	WhatsAppBusiness = "net.whatsapp.WhatsAppSMB"
)

// Module reads ContactsV2.sqlite.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Module = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "WhatsappContacts",
		Version:     1,
		Description: "WhatsApp contacts and their disappearing-messages timers (ContactsV2.sqlite)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Domain + "/" + File, BusinessDomain + "/" + File},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return m.read(ctx, in, out, name) })
}

// field is one output key and the columns that can hold it, in order of preference.
type field struct {
	key  string
	cols []string
}

// fields are read in this order; the query's columns follow it.
var fields = []field{
	{"whatsapp_id", []string{"ZWHATSAPPID"}},
	{"lid", []string{"ZLID"}},
	{"phone_number", []string{"ZPHONENUMBER"}},
	{"localized_phone_number", []string{"ZLOCALIZEDPHONENUMBER"}},
	{"full_name", []string{"ZFULLNAME"}},
	{"given_name", []string{"ZGIVENNAME"}},
	{"last_name", []string{"ZLASTNAME"}},
	{"user_name", []string{"ZUSERNAME"}},
	{"business_name", []string{"ZBUSINESSNAME"}},
	{"about_text", []string{"ZABOUTTEXT"}},
	{"about_emoji", []string{"ZABOUTEMOJI"}},
	{"notes", []string{"ZNOTES"}},
	{"disappearing_mode_duration", []string{"ZDISAPPEARINGMODEDURATION"}},
	{"disappearing_mode_timestamp", []string{"ZDISAPPEARINGMODETIMESTAMP"}},
	{"about_timestamp", []string{"ZABOUTTIMESTAMP"}},
	{"about_expiration_timestamp", []string{"ZABOUTEXPIRATIONTIMESTAMP"}},
	{"last_updated", []string{"ZLASTUPDATED"}},
	{"phone_status", []string{"ZPHONESTATUS", "ZPHONENUMBERSTATUS"}},
	{"sync_policy", []string{"ZSYNCPOLICY"}},
}

// Indexes of fields, for recordOf (column i+1 of the query holds fields[i]).
const (
	fWhatsAppID = iota
	fLID
	fPhone
	fLocalizedPhone
	fFullName
	fGivenName
	fLastName
	fUserName
	fBusinessName
	fAboutText
	fAboutEmoji
	fNotes
	fDuration
	fDisappearingTimestamp
	fAboutTimestamp
	fAboutExpiration
	fLastUpdated
	fPhoneStatus
	fSyncPolicy
)

// query is the SELECT of one database: Z_PK then one column (or NULL) per field.
type query struct {
	sql         string
	hasDuration bool
}

func buildQuery(ctx context.Context, db *sqlitex.DB) (query, error) {
	cols, err := db.Columns(ctx, "ZWAADDRESSBOOKCONTACT")
	if err != nil {
		return query{}, err
	}
	if len(cols) == 0 {
		return query{}, fmt.Errorf("read %q: no ZWAADDRESSBOOKCONTACT table (not a WhatsApp contacts database)", db.Name)
	}
	exprs := make([]string, 0, len(fields)+1)
	pk, order := "NULL", "rowid"
	if cols["Z_PK"] {
		pk, order = "Z_PK", "Z_PK"
	}
	exprs = append(exprs, pk)
	found := 0
	for _, f := range fields {
		expr := "NULL"
		for _, c := range f.cols {
			if cols[c] {
				expr = c
				found++
				break
			}
		}
		exprs = append(exprs, expr)
	}
	if found == 0 {
		return query{}, fmt.Errorf("read %q: unknown layout of ZWAADDRESSBOOKCONTACT (none of the known columns)", db.Name)
	}
	return query{
		sql:         "SELECT " + strings.Join(exprs, ", ") + " FROM ZWAADDRESSBOOKCONTACT ORDER BY " + order,
		hasDuration: cols["ZDISAPPEARINGMODEDURATION"],
	}, nil
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
	if !q.hasDuration {
		in.Log.Info("no ZDISAPPEARINGMODEDURATION column: the disappearing-messages state of the contacts is unknown", "file", name)
	}
	app := WhatsApp
	if strings.HasPrefix(name, BusinessDomain+"/") {
		app = WhatsAppBusiness
	}
	on := 0
	err = db.EachRow(ctx, "ZWAADDRESSBOOKCONTACT", q.sql, func(_ int, vals []any) error {
		rec := recordOf(vals, q.hasDuration)
		rec.App = app
		if rec.DisappearingModeIsOn != nil && *rec.DisappearingModeIsOn {
			on++
		}
		return out.Record(rec)
	}, func(n int, err error) {
		out.Problem("%s: read ZWAADDRESSBOOKCONTACT row %d: %v", name, n, err)
	})
	in.Log.Debug("contacts with disappearing messages on", "file", name, "count", on)
	return err
}
