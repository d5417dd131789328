// Package interactionc reads CoreDuet's interactionC.db, where iOS records the user's
// interactions with other people (messages, calls, mails, shares, WhatsApp chats) for
// Siri suggestions: who, through which app, in which direction, when, and sometimes the
// attachment (a photo, a link, a text).
//
// The artifact is HomeDomain/Library/CoreDuet/People/interactionC.db in a backup,
// /private/var/mobile/Library/CoreDuet/People/interactionC.db on the phone (only in
// encrypted backups). ZINTERACTIONS holds the interactions; ZCONTACTS the people, joined
// as sender through ZINTERACTIONS.ZSENDER and as recipients through the join table
// Z_2INTERACTIONRECIPIENT; ZATTACHMENT the attachments, joined through Z_1INTERACTIONS.
// Every date (ZSTARTDATE, ZENDDATE, ZCREATIONDATE, the ZCONTACTS first/last dates) is
// Mac absolute time in seconds. ZDIRECTION is 0 for incoming and 1 for outgoing, as
// MVT (after APOLLO) reads it.
//
// Schema variants: MVT runs one query and, when it fails, three fallbacks for older
// layouts (without ZGROUPNAME, ZDERIVEDINTENTIDENTIFIER and ZPHOTOLOCALIDENTIFIER;
// without the attachment and recipient tables). Here one query is built from the
// columns and tables present, so any mix is read; a missing column gives null. The
// join tables are found by their columns (Z_<n>ATTACHMENTS and Z_<n>INTERACTIONS;
// Z_<n>RECIPIENTS and Z_<n>INTERACTIONRECIPIENT) when Core Data numbered the entities
// differently. As in MVT, an interaction yields one record per attachment and recipient
// (LEFT JOINs); records are ordered by interaction, attachment and recipient.
//
// It corresponds to MVT's InteractionC module, including its WhatsApp resolution: the
// module requires whatsapp_contacts, and for WhatsApp interactions adds the phone
// number and name of the sender, the recipient and the chat (domain identifier)
// resolved from the contacts' LIDs, JIDs and phone numbers. It fixes these MVT bugs: a
// database none of the four queries can read gives zero records after a log line, as
// if it were empty (here the module fails and says why), and a layout between two of
// MVT's queries loses every column the older query lacks; fallback records lack the
// keys their query does not select (here every record has every key); records are in
// no defined order; the per-contact timeline events are repeated for every interaction
// of the contact until the timeline de-duplicates them (here each is emitted once).
// MVT has no checks on this artifact; here e-mail identifiers and content URLs are
// looked up in the indicators.
package interactionc

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/whatsappcontacts"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// Name is the module's slug.
const Name = "interaction_c"

// Path is the artifact in an iOS backup.
const Path = "HomeDomain/Library/CoreDuet/People/interactionC.db"

// Module reads interactionC.db.
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
		Class:       "InteractionC",
		Version:     1,
		Description: "Interactions with other people recorded by CoreDuet (interactionC.db)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
		Requires:    []string{whatsappcontacts.Name},
	}
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env, seen: map[string]bool{}}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	recs, err := in.Dependency(whatsappcontacts.Name)
	if err != nil {
		in.Log.Warn("WhatsApp contacts unavailable: WhatsApp identifiers are not resolved", "error", err)
	}
	res := whatsappcontacts.Resolver(recs)
	return module.EachFile(ctx, in, out, func(name string) error { return m.read(ctx, in, out, name, res) })
}

// source is where one output value comes from: a column of one of the query's tables.
type source struct {
	table  byte // 'I' interaction, 'S' sender contact, 'R' recipient contact, 'A' attachment
	column string
}

// sources are the query's columns, in this order (see recordOf).
var sources = []source{
	{'I', "ZSTARTDATE"}, {'I', "ZENDDATE"}, {'I', "ZBUNDLEID"}, {'I', "ZACCOUNT"}, {'I', "ZTARGETBUNDLEID"},
	{'I', "ZDIRECTION"},
	{'S', "ZDISPLAYNAME"}, {'S', "ZIDENTIFIER"}, {'S', "ZPERSONID"},
	{'R', "ZDISPLAYNAME"}, {'R', "ZIDENTIFIER"}, {'R', "ZPERSONID"},
	{'I', "ZRECIPIENTCOUNT"}, {'I', "ZDOMAINIDENTIFIER"}, {'I', "ZISRESPONSE"},
	{'A', "ZCONTENTTEXT"}, {'A', "ZUTI"}, {'A', "ZCONTENTURL"}, {'A', "ZSIZEINBYTES"}, {'A', "ZPHOTOLOCALIDENTIFIER"},
	{'A', "ZIDENTIFIER"}, {'A', "ZCLOUDIDENTIFIER"},
	{'S', "ZINCOMINGRECIPIENTCOUNT"}, {'S', "ZINCOMINGSENDERCOUNT"}, {'S', "ZOUTGOINGRECIPIENTCOUNT"},
	{'I', "ZCREATIONDATE"}, {'S', "ZCREATIONDATE"},
	{'S', "ZFIRSTINCOMINGRECIPIENTDATE"}, {'S', "ZFIRSTINCOMINGSENDERDATE"}, {'S', "ZFIRSTOUTGOINGRECIPIENTDATE"},
	{'S', "ZLASTINCOMINGSENDERDATE"}, {'S', "ZLASTINCOMINGRECIPIENTDATE"}, {'S', "ZLASTOUTGOINGRECIPIENTDATE"},
	{'S', "ZCUSTOMIDENTIFIER"}, {'I', "ZCONTENTURL"}, {'I', "ZLOCATIONUUID"}, {'I', "ZGROUPNAME"},
	{'I', "ZDERIVEDINTENTIDENTIFIER"}, {'I', "Z_PK"}, {'I', "ZMECHANISM"},
}

// join is a Core Data many-to-many table: its name and its two columns.
type join struct{ table, left, right string }

var (
	attachmentJoinName  = regexp.MustCompile(`^Z_[0-9]+INTERACTIONS$`)
	attachmentJoinLeft  = regexp.MustCompile(`^Z_[0-9]+ATTACHMENTS$`)
	attachmentJoinRight = regexp.MustCompile(`^Z_[0-9]+INTERACTIONS$`)
	recipientJoinName   = regexp.MustCompile(`^Z_[0-9]+INTERACTIONRECIPIENT$`)
	recipientJoinLeft   = regexp.MustCompile(`^Z_[0-9]+RECIPIENTS$`)
	recipientJoinRight  = regexp.MustCompile(`^Z_[0-9]+INTERACTIONRECIPIENT$`)
)

// findJoin returns the join table named like name whose columns match left and right,
// preferring preferred (MVT's names).
func findJoin(ctx context.Context, db *sqlitex.DB, tables []string, preferred join, name, left, right *regexp.Regexp) (join, bool, error) {
	candidates := []string{preferred.table}
	for _, t := range tables {
		if t != preferred.table && name.MatchString(t) {
			candidates = append(candidates, t)
		}
	}
	for _, t := range candidates {
		cols, err := db.Columns(ctx, t)
		if err != nil {
			return join{}, false, err
		}
		if t == preferred.table && cols[preferred.left] && cols[preferred.right] {
			return preferred, true, nil
		}
		j := join{table: t}
		for c := range cols {
			switch {
			case left.MatchString(c) && (j.left == "" || c < j.left):
				j.left = c
			case right.MatchString(c) && (j.right == "" || c < j.right):
				j.right = c
			}
		}
		if j.left != "" && j.right != "" {
			return j, true, nil
		}
	}
	return join{}, false, nil
}

// maxTables bounds the tables listed from sqlite_master.
const maxTables = 10000

func tableNames(ctx context.Context, db *sqlitex.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'Z%' ORDER BY name LIMIT ?", maxTables)
	if err != nil {
		return nil, fmt.Errorf("list tables of %q: %w", db.Name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// quote quotes an SQL identifier.
func quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// plan is the query of one database and what it could read.
type plan struct {
	sql                    string
	contacts, attachments  bool
	recipients             bool
	attachJoin, recipJoin  join
	interactionCols, found int
}

func buildQuery(ctx context.Context, db *sqlitex.DB) (plan, error) {
	var p plan
	icols, err := db.Columns(ctx, "ZINTERACTIONS")
	if err != nil {
		return p, err
	}
	if len(icols) == 0 {
		return p, fmt.Errorf("read %q: no ZINTERACTIONS table (not an interactionC database)", db.Name)
	}
	if !icols["ZSTARTDATE"] && !icols["ZBUNDLEID"] {
		return p, fmt.Errorf("read %q: unknown layout of ZINTERACTIONS (neither ZSTARTDATE nor ZBUNDLEID)", db.Name)
	}
	ccols, err := db.Columns(ctx, "ZCONTACTS")
	if err != nil {
		return p, err
	}
	acols, err := db.Columns(ctx, "ZATTACHMENT")
	if err != nil {
		return p, err
	}
	tables, err := tableNames(ctx, db)
	if err != nil {
		return p, err
	}
	p.contacts = ccols["Z_PK"]
	from := "FROM ZINTERACTIONS I"
	if p.contacts && icols["ZSENDER"] {
		from += " LEFT JOIN ZCONTACTS S ON I.ZSENDER = S.Z_PK"
	}
	pk := "I.rowid"
	if icols["Z_PK"] {
		pk = "I.Z_PK"
	}
	order := []string{pk}
	if acols["Z_PK"] {
		j, ok, err := findJoin(ctx, db, tables, join{"Z_1INTERACTIONS", "Z_1ATTACHMENTS", "Z_3INTERACTIONS"}, attachmentJoinName, attachmentJoinLeft, attachmentJoinRight)
		if err != nil {
			return p, err
		}
		if ok {
			p.attachments, p.attachJoin = true, j
			from += fmt.Sprintf(" LEFT JOIN %s J1 ON %s = J1.%s LEFT JOIN ZATTACHMENT A ON J1.%s = A.Z_PK",
				quote(j.table), pk, quote(j.right), quote(j.left))
			order = append(order, "A.Z_PK")
		}
	}
	if p.contacts {
		j, ok, err := findJoin(ctx, db, tables, join{"Z_2INTERACTIONRECIPIENT", "Z_2RECIPIENTS", "Z_3INTERACTIONRECIPIENT"}, recipientJoinName, recipientJoinLeft, recipientJoinRight)
		if err != nil {
			return p, err
		}
		if ok {
			p.recipients, p.recipJoin = true, j
			from += fmt.Sprintf(" LEFT JOIN %s J2 ON %s = J2.%s LEFT JOIN ZCONTACTS R ON J2.%s = R.Z_PK",
				quote(j.table), pk, quote(j.right), quote(j.left))
			order = append(order, "R.Z_PK")
		}
	}
	exprs := make([]string, len(sources))
	for i, s := range sources {
		var ok bool
		switch s.table {
		case 'I':
			ok = icols[s.column]
			if ok {
				p.interactionCols++
			}
		case 'S':
			ok = p.contacts && icols["ZSENDER"] && ccols[s.column]
		case 'R':
			ok = p.recipients && ccols[s.column]
		case 'A':
			ok = p.attachments && acols[s.column]
		}
		exprs[i] = "NULL"
		if ok {
			exprs[i] = string(s.table) + "." + s.column
			p.found++
		}
	}
	p.sql = "SELECT " + strings.Join(exprs, ", ") + " " + from + " ORDER BY " + strings.Join(order, ", ")
	return p, nil
}

func (m *Module) read(ctx context.Context, in *module.Input, out *module.Output, name string, res *whatsappcontacts.Resolve) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	p, err := buildQuery(ctx, db)
	if err != nil {
		return err
	}
	in.Log.Debug("interactionC layout", "contacts", p.contacts, "attachments", p.attachments, "attachment_join", p.attachJoin.table,
		"recipients", p.recipients, "recipient_join", p.recipJoin.table, "columns", p.found)
	seen := map[string]bool{} // per-contact timeline events already emitted
	return db.EachRow(ctx, "ZINTERACTIONS", p.sql, func(_ int, vals []any) error {
		rec := recordOf(vals)
		rec.resolve(res)
		rec.contactEvents = rec.newContactEvents(seen)
		return out.Record(rec)
	}, func(n int, err error) {
		out.Problem("%s: read interaction row %d: %v", name, n, err)
	})
}
