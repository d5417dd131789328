// Package sms reads the messages of sms.db: SMS, MMS, RCS and iMessage conversations,
// one record per message, with the links each message carries.
//
// # Artifact
//
// The Messages app keeps its database at HomeDomain/Library/SMS/sms.db in a backup,
// /private/var/mobile/Library/SMS/sms.db on the phone, usually with sms.db-wal beside it:
// the most recent messages often exist only in the write-ahead log until the next
// checkpoint. Both are read (see package sqlitex; the evidence is never written).
//
// Tables read: message (one row per message), handle (the other party: handle.id is a
// phone number, a short code or an Apple ID e-mail address), and chat with
// chat_message_join (the conversation a message belongs to).
//
// Time base: message.date, date_read and date_delivered are Mac absolute time (since
// 2001-01-01 UTC) in seconds up to iOS 10 and in nanoseconds from iOS 11;
// timefmt.FromMacAbsoluteInt tells the two apart by magnitude, so databases migrated
// from an old phone are read right too. 0 means "not set" (an unread message).
//
// # Schema variants
//
// The message table grew from about 50 columns (iOS 6–10) to more than 90 (iOS 16 and
// later); every column present is read (SELECT message.*), so records follow the
// database. Only message.ROWID and message.handle_id are required: they exist since
// iOS 6, when the handle table was introduced. The layout of iOS 5 and older (address
// and madrid_* columns, no handle table) is not supported and fails with a clear
// reason. handle and chat are joined only when present with the needed columns.
//
// From iOS 16, message.text is usually NULL and the text only sits in attributedBody,
// an NSArchiver typedstream of an NSAttributedString. When text is empty the string is
// decoded from attributedBody (package typedstream) and the record says
// text_source: "attributedBody"; a blob that cannot be decoded is reported as a
// problem and the message is kept with an empty text.
//
// # Records
//
// One [Message] per message row, ordered by ROWID, with MVT's keys: every column
// (blobs in base64), phone_number, isodate, isodate_read, direction, text and links;
// plus chat_identifier and text_source.
//
// # MVT
//
// This is MVT's SMS module (slug sms). Differences, all fixes:
//   - messages without a handle (handle_id 0: messages sent to a group chat, some system
//     messages) are kept; MVT's inner join with handle drops them;
//   - text that only exists in attributedBody (iOS 16 and later) is decoded, so links
//     and Apple's threat notification are found there too; MVT only copies the blob;
//   - the threat-notification check raises a HIGH alert whether or not indicators are
//     loaded (MVT writes a log line);
//   - an Apple ID sender (an e-mail handle) is checked against e-mail indicators, since
//     attackers' iCloud accounts are published as Pegasus indicators;
//   - sent messages are "sms_sent" on the timeline (MVT calls every message
//     sms_received);
//   - links are never fetched: shortened URLs are not expanded (MVT sends a HEAD request
//     to the shortener when network access is allowed).
package sms

import (
	"context"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/typedstream"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Name is the module's slug, MVT's.
const Name = "sms"

// Path is sms.db in an iOS backup.
const Path = "HomeDomain/Library/SMS/sms.db"

// Module reads the messages of sms.db.
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
		Class:       "SMS",
		Version:     1,
		Description: "SMS, MMS, RCS and iMessage messages of sms.db, with the links they carry",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
	}
}

// Keys of the columns the query adds to message.*; the prefix keeps them apart from
// any column of message.
const (
	extraPhone = "spytrace.phone_number"
	extraChat  = "spytrace.chat_identifier"
)

// Run reads every message, in ROWID order.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	db, err := in.OpenSQLite(ctx, Path)
	if err != nil {
		return err
	}
	q, err := messageQuery(ctx, db)
	if err != nil {
		return err
	}
	return db.EachNamedRow(ctx, "message", q, func(_ int, names []string, vals []any) error {
		return out.Record(newMessage(names, vals, out))
	}, func(n int, err error) {
		out.Problem("message row %d of %q: %v", n, db.Name, err)
	})
}

// messageQuery builds the query for the tables and columns this database has.
func messageQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	cols, err := db.Columns(ctx, "message")
	if err != nil {
		return "", err
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("no message table in %q: %w", db.Name, module.ErrNotFound)
	}
	if !cols["handle_id"] {
		return "", fmt.Errorf("read %q: the message table has no handle_id column: this is the layout of iOS 5 or older, which is not supported", db.Name)
	}
	sel, from := []string{"message.*"}, "message"
	if handle, err := db.Columns(ctx, "handle"); err != nil {
		return "", err
	} else if handle["id"] {
		sel = append(sel, `handle.id AS "`+extraPhone+`"`)
		from += " LEFT JOIN handle ON handle.ROWID = message.handle_id"
	}
	join, err := db.Columns(ctx, "chat_message_join")
	if err != nil {
		return "", err
	}
	chat, err := db.Columns(ctx, "chat")
	if err != nil {
		return "", err
	}
	if join["chat_id"] && join["message_id"] && chat["chat_identifier"] {
		// A message belongs to one chat; should a database join it to several, the
		// first is taken so that each message stays one record.
		sel = append(sel, `chat.chat_identifier AS "`+extraChat+`"`)
		from += " LEFT JOIN (SELECT message_id, MIN(chat_id) AS chat_id FROM chat_message_join GROUP BY message_id) AS cmj" +
			" ON cmj.message_id = message.ROWID LEFT JOIN chat ON chat.ROWID = cmj.chat_id"
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from + " ORDER BY message.ROWID", nil
}

// newMessage builds the record of one scanned row.
func newMessage(names []string, vals []any, out *module.Output) *Message {
	msg := &Message{Columns: make(Row, 0, len(names))}
	var body []byte
	for i, name := range names {
		v := vals[i]
		switch name {
		case extraPhone:
			msg.PhoneNumber = sqlitex.Text(v)
			continue
		case extraChat:
			msg.ChatIdentifier = sqlitex.Text(v)
			continue
		case "ROWID":
			msg.ROWID, _ = sqlitex.Int(v)
		case "guid":
			msg.GUID = sqlitex.Text(v)
		case "service":
			msg.Service = sqlitex.Text(v)
		case "text":
			msg.Text = sqlitex.Text(v)
		case "is_from_me":
			n, _ := sqlitex.Int(v)
			msg.FromMe = n != 0
		case "date":
			msg.Date = macTime(v)
		case "date_read":
			msg.DateRead = macTime(v)
		case "attributedBody":
			body = sqlitex.Blob(v)
		}
		msg.Columns = append(msg.Columns, Field{Name: name, Value: JSONValue(v)})
	}
	if msg.Text == "" && len(body) > 0 {
		if s, err := typedstream.Text(body); err != nil {
			out.Problem("message %d (guid %s): text not readable from attributedBody: %v", msg.ROWID, msg.GUID, err)
		} else {
			msg.Text, msg.TextSource = safetext.EscapeInvalid(s), TextFromAttributedBody
		}
	}
	msg.Links = urlx.Extract(msg.Text)
	return msg
}

// macTime converts an sms.db date (Mac absolute seconds or nanoseconds).
func macTime(v any) timefmt.Time {
	n, _ := sqlitex.Int(v)
	return timefmt.Of(timefmt.FromMacAbsoluteInt(n))
}
