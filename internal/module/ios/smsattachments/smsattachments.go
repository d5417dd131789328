// Package smsattachments reads the attachments of sms.db: files sent and received
// with SMS, MMS, RCS and iMessage, one record per attachment and message.
//
// # Artifact
//
// The attachment table of sms.db, HomeDomain/Library/SMS/sms.db in a backup
// (/private/var/mobile/Library/SMS/sms.db on the phone), read with its -wal like the sms
// module does. Each attachment row names the file on the phone (filename, normally
// "~/Library/SMS/Attachments/xx/NN/<GUID>/<name>", that is under
// /private/var/mobile/Library/SMS/Attachments/), its original name (transfer_name), type
// (uti, mime_type), size, and whether it was sent (is_outgoing).
// message_attachment_join links it to its message, whose handle is the other party.
//
// Time base: attachment.created_date and start_date are Mac absolute time in seconds
// (since 2001-01-01 UTC) on every iOS version; 0 means unknown.
//
// # Schema variants
//
// The attachment table exists since iOS 6 with twelve columns; iOS 10 added sticker
// columns, iOS 11 the CloudKit ones, later versions communication-safety and emoji
// columns. Every column present is read (SELECT attachment.*). message_attachment_join,
// message and handle are joined only when they have the needed columns, so an
// attachment table alone still gives records (without sender). A database without an
// attachment table (iOS 5 and older) makes the module skipped, with the reason.
//
// # Records
//
// One [Attachment] per attachment and message it is joined to (an attachment joined to
// no message gives one record), ordered by attachment ROWID then message ROWID, with
// MVT's keys: attachment_id, every column (blobs in base64; start_date written as a
// date; filename "NULL" when NULL), service ("Unknown" when no message), phone_number,
// isodate (created_date), direction (from is_outgoing) and has_user_info; plus
// message_id.
//
// # MVT
//
// This is MVT's SMSAttachments module (slug sms_attachments). Differences, all fixes:
// records are ordered; a file path indicator also matches a filename written with "~"
// (the mobile user's home, /private/var/mobile); the temporary-folder heuristic also
// knows /private/var/tmp, the real path of /var/tmp.
package smsattachments

import (
	"context"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sms"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "sms_attachments"

// Module reads the attachments of sms.db.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module     = (*Module)(nil)
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

// Info describes the module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "SMSAttachments",
		Version:     1,
		Description: "attachments sent and received in Messages (sms.db), with their sender",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{sms.Path},
	}
}

// Keys of the columns the query adds to attachment.*.
const (
	extraMessage = "spytrace.message_id"
	extraService = "spytrace.service"
	extraPhone   = "spytrace.phone_number"
)

// Run reads every attachment, in ROWID order.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	db, err := in.OpenSQLite(ctx, sms.Path)
	if err != nil {
		return err
	}
	q, err := attachmentQuery(ctx, db)
	if err != nil {
		return err
	}
	return db.EachNamedRow(ctx, "attachment", q, func(_ int, names []string, vals []any) error {
		return out.Record(newAttachment(names, vals))
	}, func(n int, err error) {
		out.Problem("attachment row %d of %q: %v", n, db.Name, err)
	})
}

// attachmentQuery builds the query for the tables and columns this database has.
func attachmentQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	cols := map[string]map[string]bool{}
	for _, table := range []string{"attachment", "message_attachment_join", "message", "handle"} {
		c, err := db.Columns(ctx, table)
		if err != nil {
			return "", err
		}
		cols[table] = c
	}
	if len(cols["attachment"]) == 0 {
		return "", fmt.Errorf("no attachment table in %q (iOS 5 or older, or not an sms.db): %w", db.Name, module.ErrNotFound)
	}
	sel, from, order := []string{"attachment.*"}, "attachment", "attachment.ROWID"
	if j := cols["message_attachment_join"]; j["attachment_id"] && j["message_id"] {
		sel = append(sel, `maj.message_id AS "`+extraMessage+`"`)
		from += " LEFT JOIN message_attachment_join AS maj ON maj.attachment_id = attachment.ROWID"
		order += ", maj.message_id"
		if msg := cols["message"]; len(msg) > 0 {
			from += " LEFT JOIN message ON message.ROWID = maj.message_id"
			if msg["service"] {
				sel = append(sel, `message.service AS "`+extraService+`"`)
			}
			if msg["handle_id"] && cols["handle"]["id"] {
				sel = append(sel, `handle.id AS "`+extraPhone+`"`)
				from += " LEFT JOIN handle ON handle.ROWID = message.handle_id"
			}
		}
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from + " ORDER BY " + order, nil
}

// newAttachment builds the record of one scanned row.
func newAttachment(names []string, vals []any) *Attachment {
	a := &Attachment{Columns: make(sms.Row, 0, len(names)), Service: "Unknown", Filename: "NULL"}
	for i, name := range names {
		v := vals[i]
		switch name {
		case extraMessage:
			a.MessageID, _ = sqlitex.Int(v)
			continue
		case extraService:
			if s := sqlitex.Text(v); s != "" {
				a.Service = s
			}
			continue
		case extraPhone:
			a.PhoneNumber = sqlitex.Text(v)
			continue
		case "ROWID":
			a.ID, _ = sqlitex.Int(v)
		case "created_date":
			a.Created = macTime(v)
		case "start_date":
			a.Start = macTime(v)
		case "filename":
			if v != nil {
				a.Filename = sqlitex.Text(v)
			}
		case "transfer_name":
			a.TransferName = sqlitex.Text(v)
		case "is_outgoing":
			n, _ := sqlitex.Int(v)
			a.Outgoing = n != 0
		case "user_info":
			a.HasUserInfo = v != nil
		}
		a.Columns = append(a.Columns, sms.Field{Name: name, Value: sms.JSONValue(v)})
	}
	return a
}

// macTime converts an attachment date (Mac absolute seconds).
func macTime(v any) timefmt.Time {
	n, _ := sqlitex.Int(v)
	return timefmt.Of(timefmt.FromMacAbsoluteInt(n))
}
