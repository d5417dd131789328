// Package tcc reads TCC.db, where iOS records which apps and programs may use protected
// data and devices (microphone, camera, contacts, photos…): Transparency, Consent and
// Control.
//
// The artifact is HomeDomain/Library/TCC/TCC.db in a backup,
// /private/var/mobile/Library/TCC/TCC.db on the phone; the access table holds one row
// per service, client and indirect object. last_modified is Unix time in seconds.
// Location permissions are not here (locationd keeps them in clients.plist).
//
// The access table had three layouts, recognised by their columns (MVT's names):
// v3 (iOS 14 and later) has auth_value (0 denied, 1 unknown, 2 allowed, 3 limited),
// auth_reason and auth_version; v2 (iOS 12 and 13) has allowed (0 or 1), prompt_count
// and last_modified; v1 (older) has allowed and prompt_count only. Optional columns
// (indirect_object_identifier, last_modified) are read when present.
//
// It corresponds to MVT's TCC module and fixes these MVT bugs: a layout it does not
// know gives zero records after a log line, as if the table were empty (here the module
// fails and says why); v1 and v2 records have no auth_value key, so consumers must read
// two keys; client types other than 0 and 1 are all called absolute_path; clients are
// only looked up as process names, never as app ids or file paths; and the only
// heuristic is an info log line per camera or microphone grant. Here grants to
// sensitive services are logged at debug level, and the path-client-sensitive heuristic
// reports the rare grant that matters.
package tcc

import (
	"context"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "tcc"

// Path is the artifact in an iOS backup.
const Path = "HomeDomain/Library/TCC/TCC.db"

// Module reads TCC.db.
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
		Class:       "TCC",
		Version:     1,
		Description: "Privacy permissions of apps and programs (TCC.db access table)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path},
	}
}

// Run implements module.Module. Info.Paths names one file, so in.Files holds it.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error { return m.read(ctx, in, out, name) })
}

// query is the SELECT for one layout; its columns are, in order: service, client,
// client_type, auth_value or allowed, auth_reason or prompt_count, last_modified,
// indirect_object_identifier.
type query struct {
	layout string
	sql    string
}

func buildQuery(ctx context.Context, db *sqlitex.DB) (query, error) {
	cols, err := db.Columns(ctx, "access")
	if err != nil {
		return query{}, err
	}
	if len(cols) == 0 {
		return query{}, fmt.Errorf("read %q: no access table (not a TCC database)", db.Name)
	}
	for _, c := range []string{"service", "client", "client_type"} {
		if !cols[c] {
			return query{}, fmt.Errorf("read %q: unknown layout of the access table (no %s column)", db.Name, c)
		}
	}
	opt := func(c string) string {
		if cols[c] {
			return c
		}
		return "NULL"
	}
	var q query
	var value, reason string
	switch {
	case cols["auth_value"]:
		q.layout, value, reason = LayoutV3, "auth_value", opt("auth_reason")
	case cols["allowed"] && cols["last_modified"]:
		q.layout, value, reason = LayoutV2, "allowed", opt("prompt_count")
	case cols["allowed"]:
		q.layout, value, reason = LayoutV1, "allowed", opt("prompt_count")
	default:
		return query{}, fmt.Errorf("read %q: unknown layout of the access table (neither auth_value nor allowed)", db.Name)
	}
	order := "service, client, client_type"
	if cols["indirect_object_identifier"] {
		order += ", indirect_object_identifier"
	}
	q.sql = fmt.Sprintf("SELECT service, client, client_type, %s, %s, %s, %s FROM access ORDER BY %s",
		value, reason, opt("last_modified"), opt("indirect_object_identifier"), order)
	return q, nil
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
	in.Log.Debug("access table", "layout", q.layout)
	return db.EachRow(ctx, "access", q.sql, func(_ int, vals []any) error {
		rec := recordOf(q.layout, vals)
		if rec.Allowed() && sensitive[rec.Service] {
			in.Log.Debug("permission granted", "client", rec.Client, "service", rec.Service,
				"auth_value", rec.AuthValue, "last_modified", rec.LastModified.String())
		}
		return out.Record(rec)
	}, func(n int, err error) {
		out.Problem("%s: read access row %d: %v", name, n, err)
	})
}

// recordOf converts one row of a layout's query.
func recordOf(layout string, v []any) *Record {
	r := &Record{
		Service: sqlitex.Text(v[0]),
		Client:  sqlitex.Text(v[1]),
		Layout:  layout,
	}
	if t, ok := sqlitex.Int(v[2]); ok {
		r.ClientType = clientTypeName(t)
	} else {
		r.ClientType = sqlitex.Text(v[2])
	}
	if f, ok := sqlitex.Float(v[5]); ok {
		r.LastModified = timefmt.Of(timefmt.FromUnix(f))
	}
	if s := sqlitex.Text(v[6]); s != "UNUSED" {
		r.IndirectObject = s
	}
	value, valueOK := sqlitex.Int(v[3])
	second, secondOK := sqlitex.Int(v[4])
	switch layout {
	case LayoutV3:
		if valueOK {
			r.AuthValue = authValueName(value)
		}
		if secondOK {
			r.AuthReason = &second
			r.AuthReasonDesc = authReasonName(second)
		}
	default:
		if valueOK {
			r.AllowedValue = allowedName(value)
			r.AuthValue = r.AllowedValue
		}
		if secondOK {
			r.PromptCount = &second
		}
	}
	return r
}

// isPath reports whether a client names a program by path (client_type 1, or a value
// that is plainly a path whatever its type says).
func (r *Record) isPath() bool {
	return r.ClientType == "absolute_path" || strings.HasPrefix(r.Client, "/")
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. MVT writes auth_value for the v3 layout
// only, allowed_value for v1 and v2: a record without auth_value takes its
// allowed_value, as spytrace's own records of those layouts do.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	rec, err := module.Decode[Record](data)
	if r, ok := rec.(*Record); ok && r.AuthValue == "" {
		r.AuthValue = r.AllowedValue
	}
	return rec, err
}
