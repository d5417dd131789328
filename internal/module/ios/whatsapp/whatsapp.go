// Package whatsapp reads WhatsApp's chat database, ChatStorage.sqlite, and its map of
// LIDs to phone numbers, LID.sqlite: one record per message with the links it carries,
// one per LID/phone-number pair and one per chat session.
//
// # Artifact
//
// WhatsApp keeps both databases in its shared app group:
// AppDomainGroup-group.net.whatsapp.WhatsApp.shared/ChatStorage.sqlite and …/LID.sqlite
// in a backup, /private/var/mobile/Containers/Shared/AppGroup/<UUID>/ChatStorage.sqlite
// and LID.sqlite on the phone, usually with a -wal file beside each: recent messages
// often exist only in the write-ahead log, which is read too (see package sqlitex; the
// evidence is never written). WhatsApp Business keeps the same files in
// AppDomainGroup-group.net.whatsapp.WhatsAppSMB.shared; both apps are read when present,
// and every record names its database in whatsapp_db.
//
// ChatStorage.sqlite is a Core Data store. Tables read:
//   - ZWAMESSAGE: one row per message (ZTEXT, ZFROMJID, ZTOJID, ZISFROMME, ZMESSAGEDATE,
//     ZMESSAGETYPE, ZCHATSESSION…);
//   - ZWAMEDIAITEM: the attachment of a message (ZMEDIAURL, where WhatsApp fetched it;
//     ZAUTHORNAME);
//   - ZWAMESSAGEDATAITEM: the preview of a link in a message (ZMATCHEDTEXT, ZCONTENT1,
//     ZCONTENT2, ZTITLE, ZSUMMARY);
//   - ZWACHATSESSION: one row per chat (ZCONTACTJID, ZPARTNERNAME, ZSESSIONTYPE,
//     ZARCHIVED, ZREMOVED, ZMESSAGECOUNTER, ZLASTMESSAGEDATE, ZGROUPINFO) and ZWAGROUPINFO
//     (ZCREATIONDATE of a group);
//   - ZWAPHONENUMBERLIDPAIR (ZLID, ZPHONENUMBER, ZTIMESTAMP): in LID.sqlite in current
//     versions, in ChatStorage.sqlite in some older ones; both are read when present.
//
// A LID is the hidden identifier WhatsApp shows instead of a phone number
// ("123456789012345@lid"); the pairs resolve a chat's LID to the number.
//
// Time base: ZMESSAGEDATE, ZLASTMESSAGEDATE, ZCREATIONDATE and ZTIMESTAMP are Mac
// absolute time (seconds since 2001-01-01 UTC), stored as REAL or integers; 0 or NULL
// means unknown.
//
// # Schema variants
//
// Columns are chosen after inspecting each table, so every layout is read: the current
// one (every column of the Core Data model), the minimal one of MVT's test data, and
// older stores without ZWAMESSAGEDATAITEM, without ZWAMEDIAITEM.ZAUTHORNAME, without
// ZWACHATSESSION.ZGROUPINFO (a group is then found through ZWAGROUPINFO.ZCHATSESSION)
// or without any LID table. Only ZWAMESSAGE.Z_PK is required; a store without
// ZWAMESSAGE is reported as not found.
//
// # Records
//
// One list, in this order for WhatsApp then WhatsApp Business: messages by Z_PK ([Message]:
// every ZWAMESSAGE column with MVT's keys, the joined ZAUTHORNAME, ZMEDIAURL, ZCONTENT1,
// ZCONTENT2, ZMATCHEDTEXT, ZSUMMARY, ZTITLE, then isodate, links, record_type "message"
// and whatsapp_db), then LID pairs ([LIDPair], record_type "lid_phone_number_pair"),
// then chat sessions by Z_PK ([ChatSession], record_type "chat_session").
//
// # MVT
//
// This is MVT's Whatsapp module (slug whatsapp). Differences, all fixes:
//   - one record per message: MVT's joins repeat a message once per media or data item
//     it has. The first item of each is joined; the links of every data item are kept;
//   - links are extracted from every message and the key is always there (MVT leaves it
//     out of a message that has text but no link) and in order of appearance (MVT's
//     order is random);
//   - links to WhatsApp's media servers are dropped by host name (mmg.whatsapp.net,
//     mmg-fna.whatsapp.net and media*.whatsapp.net, in any case, with or without
//     scheme or port): MVT drops only links starting with "https://mmg.whatsapp.net/"
//     or "https://mmg-fna.whatsapp.net/", so CDN hosts such as
//     media-zrh1-1.cdn.whatsapp.net fill urls.json with every photo's address;
//   - each link with an indicator is an alert at the message's time (MVT raises one
//     alert per message, without a time);
//   - WhatsApp Business is read too, and LID pairs from both databases when both hold
//     them (MVT reads ChatStorage.sqlite's only when LID.sqlite is absent);
//   - a zero ZMESSAGEDATE does not hide a chat's first stored message;
//   - links are never fetched: shortened URLs are not expanded.
package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "whatsapp"

// App groups read, in this order.
var groups = []struct{ domain, app string }{
	{"AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "WhatsApp"},
	{"AppDomainGroup-group.net.whatsapp.WhatsAppSMB.shared", "WhatsApp Business"},
}

// Database names inside an app group.
const (
	chatStorage = "ChatStorage.sqlite"
	lidDatabase = "LID.sqlite"
)

// Module reads WhatsApp's databases.
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
	var paths []string
	for _, g := range groups {
		paths = append(paths, g.domain+"/"+chatStorage, g.domain+"/"+lidDatabase)
	}
	return module.Info{
		Name:        Name,
		Class:       "Whatsapp",
		Version:     1,
		Description: "WhatsApp and WhatsApp Business messages (ChatStorage.sqlite) with their links, chats and LID/phone-number pairs",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       paths,
	}
}

// run is the state of one Run.
type run struct {
	ctx  context.Context
	in   *module.Input
	out  *module.Output
	stop error // an error of out.Record: the module must return it at once
	read int   // files read
	errs []error
}

// emit hands a record over, remembering an error of out.Record.
func (r *run) emit(rec any) error {
	if err := r.out.Record(rec); err != nil {
		r.stop = err
		return err
	}
	return nil
}

// halt returns the error that must end the run now, if any: an error of out.Record or
// a cancelled context.
func (r *run) halt() error {
	if r.stop != nil {
		return r.stop
	}
	return r.ctx.Err()
}

// Run reads the databases of each app group. A database that cannot be read is a
// problem when another could be read, and the module's error when none could.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	present := map[string]bool{}
	for _, f := range in.Files {
		present[f] = true
	}
	r := &run{ctx: ctx, in: in, out: out}
	for _, g := range groups {
		chat, lid := g.domain+"/"+chatStorage, g.domain+"/"+lidDatabase
		if !present[chat] && !present[lid] {
			continue
		}
		if err := r.group(g.app, chat, present[chat], lid, present[lid]); err != nil {
			return err
		}
	}
	return r.finish()
}

// group reads one app group: the messages of ChatStorage.sqlite, the LID pairs of
// LID.sqlite and of ChatStorage.sqlite, then the chat sessions. It returns only errors
// that end the run; a database that cannot be read is noted in r.errs.
func (r *run) group(app, chat string, hasChat bool, lid string, hasLID bool) error {
	var db *sqlitex.DB
	if hasChat {
		var err error
		db, err = r.messages(app, chat)
		if h := r.halt(); h != nil {
			return h
		}
		if err != nil {
			r.errs = append(r.errs, err)
			db = nil
		} else {
			r.read++
		}
	}
	pairs := newLIDMap()
	if hasLID {
		err := r.lidFile(app, lid, pairs)
		if h := r.halt(); h != nil {
			return h
		}
		if err != nil {
			r.errs = append(r.errs, err)
		} else {
			r.read++
		}
	}
	if db == nil {
		return nil
	}
	// The chat store's own pair table, kept by older versions; the database was read,
	// so what fails here is a problem.
	if ok, err := db.HasTable(r.ctx, "ZWAPHONENUMBERLIDPAIR"); err != nil {
		r.out.Problem("%v", err)
	} else if ok {
		err := r.lidPairs(app, db, pairs)
		if h := r.halt(); h != nil {
			return h
		}
		if err != nil {
			r.out.Problem("%v", err)
		}
	}
	if pairs.dropped > 0 {
		r.out.Problem("%s: %d LID pairs beyond the first %d were listed but not used to resolve chats", chat, pairs.dropped, maxLIDPairs)
	}
	err := r.sessions(app, db, pairs)
	if h := r.halt(); h != nil {
		return h
	}
	if err != nil {
		r.out.Problem("%v", err)
	}
	return nil
}

// finish applies the policy on unreadable databases.
func (r *run) finish() error {
	switch {
	case len(r.errs) == 0:
		return nil
	case r.read == 0:
		if len(r.errs) == 1 {
			return r.errs[0]
		}
		// "Not found" only when no database was found at all.
		var errs []error
		for _, err := range r.errs {
			if !errors.Is(err, module.ErrNotFound) {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			errs = r.errs
		} else if len(errs) < len(r.errs) {
			for _, err := range r.errs {
				if errors.Is(err, module.ErrNotFound) {
					errs = append(errs, errors.New(err.Error()))
				}
			}
		}
		return errors.Join(errs...)
	}
	for _, err := range r.errs {
		r.out.Problem("%v", err)
	}
	return nil
}

// Columns the message query adds to ZWAMESSAGE.*, in MVT's order, with the table they
// come from. Their aliases carry extraPrefix, which keeps them apart from any column of
// ZWAMESSAGE.
var (
	mediaColumns = []string{"ZAUTHORNAME", "ZMEDIAURL"}
	dataColumns  = []string{"ZCONTENT1", "ZCONTENT2", "ZMATCHEDTEXT", "ZSUMMARY", "ZTITLE"}
	extraColumns = append(append([]string(nil), mediaColumns...), dataColumns...)
)

const (
	extraPrefix = "spytrace."
	// extraItemText holds the link columns of every data item of a message, for
	// messages with more than one.
	extraItemText = extraPrefix + "items"
)

// messageQuery builds the message query for the tables and columns db has. Column
// names come from the lists above only, never from the database.
func messageQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	msg, err := db.Columns(ctx, "ZWAMESSAGE")
	if err != nil {
		return "", err
	}
	if len(msg) == 0 {
		return "", fmt.Errorf("no ZWAMESSAGE table in %q: %w", db.Name, module.ErrNotFound)
	}
	if !msg["Z_PK"] {
		return "", fmt.Errorf("read %q: table ZWAMESSAGE has no Z_PK column: not a WhatsApp chat database", db.Name)
	}
	media, err := db.Columns(ctx, "ZWAMEDIAITEM")
	if err != nil {
		return "", err
	}
	data, err := db.Columns(ctx, "ZWAMESSAGEDATAITEM")
	if err != nil {
		return "", err
	}
	sel := []string{"m.*"}
	from := "ZWAMESSAGE AS m"
	mediaJoined := media["Z_PK"] && (media["ZMESSAGE"] || msg["ZMEDIAITEM"])
	switch {
	case media["Z_PK"] && media["ZMESSAGE"]:
		from += " LEFT JOIN (SELECT ZMESSAGE AS message, MIN(Z_PK) AS pk FROM ZWAMEDIAITEM WHERE ZMESSAGE IS NOT NULL GROUP BY ZMESSAGE) AS mi" +
			" ON mi.message = m.Z_PK LEFT JOIN ZWAMEDIAITEM AS media ON media.Z_PK = mi.pk"
	case mediaJoined:
		from += " LEFT JOIN ZWAMEDIAITEM AS media ON media.Z_PK = m.ZMEDIAITEM"
	}
	for _, c := range mediaColumns {
		if mediaJoined && media[c] {
			sel = append(sel, `media.`+c+` AS "`+extraPrefix+c+`"`)
		} else {
			sel = append(sel, `NULL AS "`+extraPrefix+c+`"`)
		}
	}
	dataJoined := data["Z_PK"] && data["ZMESSAGE"]
	if dataJoined {
		var text []string
		for _, c := range []string{"ZMATCHEDTEXT", "ZCONTENT1", "ZCONTENT2"} {
			if data[c] {
				text = append(text, "COALESCE(CAST("+c+" AS TEXT), '')")
			}
		}
		items := "NULL"
		if len(text) > 0 {
			items = "CASE WHEN COUNT(*) > 1 THEN group_concat(" + strings.Join(text, " || ' ' || ") + ", ' ') END"
		}
		from += " LEFT JOIN (SELECT ZMESSAGE AS message, MIN(Z_PK) AS pk, " + items + " AS items FROM ZWAMESSAGEDATAITEM" +
			" WHERE ZMESSAGE IS NOT NULL GROUP BY ZMESSAGE) AS di ON di.message = m.Z_PK LEFT JOIN ZWAMESSAGEDATAITEM AS data ON data.Z_PK = di.pk"
	}
	for _, c := range dataColumns {
		if dataJoined && data[c] {
			sel = append(sel, `data.`+c+` AS "`+extraPrefix+c+`"`)
		} else {
			sel = append(sel, `NULL AS "`+extraPrefix+c+`"`)
		}
	}
	if dataJoined {
		sel = append(sel, `di.items AS "`+extraItemText+`"`)
	} else {
		sel = append(sel, `NULL AS "`+extraItemText+`"`)
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from + " ORDER BY m.Z_PK", nil
}

// messages opens ChatStorage.sqlite and emits its messages. It returns the database
// for the pairs and sessions when every message could be read.
func (r *run) messages(app, name string) (*sqlitex.DB, error) {
	db, err := r.in.OpenSQLite(r.ctx, name)
	if err != nil {
		return nil, err
	}
	q, err := messageQuery(r.ctx, db)
	if err != nil {
		return nil, err
	}
	err = db.EachNamedRow(r.ctx, "ZWAMESSAGE", q, func(_ int, names []string, vals []any) error {
		return r.emit(newMessage(app, name, names, vals))
	}, func(n int, err error) {
		r.out.Problem("%s: message row %d: %v", name, n, err)
	})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// newMessage builds the record of one scanned row.
func newMessage(app, db string, names []string, vals []any) *Message {
	msg := &Message{App: app, DB: db}
	extras := make([]any, len(extraColumns))
	var items string
	for i, name := range names {
		v := vals[i]
		if rest, ok := strings.CutPrefix(name, extraPrefix); ok {
			if name == extraItemText {
				items = sqlitex.Text(v)
				continue
			}
			for j, c := range extraColumns {
				if c == rest {
					extras[j] = v
				}
			}
			continue
		}
		switch name {
		case "Z_PK":
			msg.PK, _ = sqlitex.Int(v)
		case "ZTEXT":
			msg.Text = sqlitex.Text(v)
			v = msg.Text // MVT writes "" for NULL
		case "ZFROMJID":
			msg.FromJID = sqlitex.Text(v)
		case "ZTOJID":
			msg.ToJID = sqlitex.Text(v)
		case "ZPUSHNAME":
			msg.PushName = sqlitex.Text(v)
		case "ZISFROMME":
			n, _ := sqlitex.Int(v)
			msg.FromMe = n != 0
		case "ZMESSAGEDATE":
			msg.Date = macTime(v)
		}
		msg.Columns = append(msg.Columns, fieldOf(name, v))
	}
	for j, c := range extraColumns {
		msg.Extras = append(msg.Extras, fieldOf(c, extras[j]))
	}
	// MVT's fields, in MVT's order, then the other data items; blobs are read as text.
	text := func(c string) string {
		for j, e := range extraColumns {
			if e == c {
				return sqlitex.Text(extras[j])
			}
		}
		return ""
	}
	msg.Links = messageLinks(msg.Text, text("ZMATCHEDTEXT"), text("ZMEDIAURL"), text("ZCONTENT1"), text("ZCONTENT2"), items)
	return msg
}

// macTime converts a Core Data date: Mac absolute seconds as a number, or a time the
// driver parsed from text.
func macTime(v any) timefmt.Time {
	if t, ok := v.(time.Time); ok {
		if !timefmt.Valid(t) {
			return timefmt.Time{}
		}
		return timefmt.Of(t.UTC())
	}
	f, ok := sqlitex.Float(v)
	if !ok {
		return timefmt.Time{}
	}
	return timefmt.Of(timefmt.FromMacAbsolute(f))
}

// lidFile reads the pairs of LID.sqlite.
func (r *run) lidFile(app, name string, pairs *lidMap) error {
	db, err := r.in.OpenSQLite(r.ctx, name)
	if err != nil {
		return err
	}
	ok, err := db.HasTable(r.ctx, "ZWAPHONENUMBERLIDPAIR")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no ZWAPHONENUMBERLIDPAIR table in %q: %w", name, module.ErrNotFound)
	}
	return r.lidPairs(app, db, pairs)
}

// lidPairs emits the rows of db's ZWAPHONENUMBERLIDPAIR and adds them to pairs.
func (r *run) lidPairs(app string, db *sqlitex.DB, pairs *lidMap) error {
	cols, err := db.Columns(r.ctx, "ZWAPHONENUMBERLIDPAIR")
	if err != nil {
		return err
	}
	sel := make([]string, 0, 3)
	for _, c := range []string{"ZLID", "ZPHONENUMBER", "ZTIMESTAMP"} {
		if cols[c] {
			sel = append(sel, c)
		} else {
			sel = append(sel, "NULL")
		}
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM ZWAPHONENUMBERLIDPAIR"
	if cols["Z_PK"] {
		q += " ORDER BY Z_PK"
	}
	return db.EachRow(r.ctx, "ZWAPHONENUMBERLIDPAIR", q, func(_ int, vals []any) error {
		p := &LIDPair{App: app, DB: db.Name, LID: fieldOf("", vals[0]).Value, PhoneNumber: fieldOf("", vals[1]).Value,
			PairTimestamp: macTime(vals[2])}
		pairs.add(sqlitex.Text(vals[0]), sqlitex.Text(vals[1]))
		return r.emit(p)
	}, func(n int, err error) {
		r.out.Problem("%s: LID pair row %d: %v", db.Name, n, err)
	})
}

// maxLIDPairs bounds the pairs held to resolve chats (a hostile database could hold
// millions).
const maxLIDPairs = 1 << 20

// lidMap maps a LID's digits to a phone number's digits, as MVT does.
type lidMap struct {
	phones  map[string]string
	dropped int
}

func newLIDMap() *lidMap { return &lidMap{phones: map[string]string{}} }

// add records one pair; the first pair of a LID wins.
func (m *lidMap) add(lid, phone string) {
	lid, phone = jidUser(lid), strings.TrimPrefix(jidUser(phone), "+")
	if lid == "" || phone == "" {
		return
	}
	if _, ok := m.phones[lid]; ok {
		return
	}
	if len(m.phones) >= maxLIDPairs {
		m.dropped++
		return
	}
	m.phones[lid] = phone
}

// resolve returns "+<phone>" for a "<lid>@lid" JID with a known pair, else "".
func (m *lidMap) resolve(jid string) string {
	lid, ok := strings.CutSuffix(jid, "@lid")
	if !ok {
		return ""
	}
	if phone := m.phones[jidUser(lid)]; phone != "" {
		return "+" + phone
	}
	return ""
}

// jidUser returns the part of a JID before "@", trimmed.
func jidUser(s string) string {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// Optional columns of ZWACHATSESSION, in the order of the session query.
var sessionColumns = []string{"ZCONTACTJID", "ZPARTNERNAME", "ZSESSIONTYPE", "ZARCHIVED", "ZREMOVED", "ZMESSAGECOUNTER", "ZLASTMESSAGEDATE"}

// sessionQuery builds the chat session query, or "" when db has no ZWACHATSESSION.
func sessionQuery(ctx context.Context, db *sqlitex.DB) (string, error) {
	sess, err := db.Columns(ctx, "ZWACHATSESSION")
	if err != nil || !sess["Z_PK"] {
		return "", err
	}
	group, err := db.Columns(ctx, "ZWAGROUPINFO")
	if err != nil {
		return "", err
	}
	msg, err := db.Columns(ctx, "ZWAMESSAGE")
	if err != nil {
		return "", err
	}
	sel := []string{"s.Z_PK"}
	for _, c := range sessionColumns {
		if sess[c] {
			sel = append(sel, "s."+c)
		} else {
			sel = append(sel, "NULL")
		}
	}
	from := "ZWACHATSESSION AS s"
	switch {
	case !group["ZCREATIONDATE"]:
		sel = append(sel, "NULL")
	case sess["ZGROUPINFO"] && group["Z_PK"]:
		sel = append(sel, "g.ZCREATIONDATE")
		from += " LEFT JOIN ZWAGROUPINFO AS g ON g.Z_PK = s.ZGROUPINFO"
	case group["ZCHATSESSION"]:
		sel = append(sel, "g.created")
		from += " LEFT JOIN (SELECT ZCHATSESSION AS session, MIN(ZCREATIONDATE) AS created FROM ZWAGROUPINFO GROUP BY ZCHATSESSION) AS g" +
			" ON g.session = s.Z_PK"
	default:
		sel = append(sel, "NULL")
	}
	if msg["ZCHATSESSION"] {
		date := "NULL"
		if msg["ZMESSAGEDATE"] {
			date = "NULLIF(ZMESSAGEDATE, 0)"
		}
		sel = append(sel, "agg.first", "agg.last", "COALESCE(agg.n, 0)")
		from += " LEFT JOIN (SELECT ZCHATSESSION AS session, MIN(" + date + ") AS first, MAX(" + date + ") AS last, COUNT(*) AS n" +
			" FROM ZWAMESSAGE GROUP BY ZCHATSESSION) AS agg ON agg.session = s.Z_PK"
	} else {
		sel = append(sel, "NULL", "NULL", "0")
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from + " ORDER BY s.Z_PK", nil
}

// sessions emits one record per chat session.
func (r *run) sessions(app string, db *sqlitex.DB, pairs *lidMap) error {
	q, err := sessionQuery(r.ctx, db)
	if err != nil || q == "" {
		if q == "" && err == nil {
			r.in.Log.Info("no chat session table", "db", db.Name)
		}
		return err
	}
	return db.EachRow(r.ctx, "ZWACHATSESSION", q, func(_ int, vals []any) error {
		s := &ChatSession{App: app, DB: db.Name}
		s.SessionPK, _ = sqlitex.Int(vals[0])
		s.ContactJID = fieldOf("", vals[1]).Value
		s.PartnerName = fieldOf("", vals[2]).Value
		s.SessionType = fieldOf("", vals[3]).Value
		s.Archived = fieldOf("", vals[4]).Value
		s.Removed = fieldOf("", vals[5]).Value
		s.MessageCounter = fieldOf("", vals[6]).Value
		s.LastMessageDate = macTime(vals[7])
		s.GroupCreationDate = macTime(vals[8])
		s.FirstStoredMessageDate = macTime(vals[9])
		s.LastStoredMessageDate = macTime(vals[10])
		s.StoredMessageCount, _ = sqlitex.Int(vals[11])
		if p := pairs.resolve(strings.TrimSpace(sqlitex.Text(vals[1]))); p != "" {
			s.PartnerResolvedPhoneNumber = &p
		}
		return r.emit(s)
	}, func(n int, err error) {
		r.out.Problem("%s: chat session row %d: %v", db.Name, n, err)
	})
}
