// Package cachefiles reads CFNetwork's URL caches, Cache.db: the HTTP(S) responses apps
// (and system daemons) cached, with the request URL and when it was stored. A URL an app
// loaded in the background shows up there even when no history records it.
//
// # Artifact
//
// Every file named Cache.db anywhere in a file-system dump: usually
// /private/var/mobile/Containers/Data/Application/<UUID>/Library/Caches/<bundle id>/Cache.db
// and /private/var/mobile/Library/Caches/<daemon>/Cache.db. Caches are not in iOS
// backups, so the module runs on file-system dumps only. The file can sit anywhere,
// which fs.Glob patterns cannot express, so the module declares the base name
// (Info.Names) and the engine finds every copy in the dump's census, the one walk of
// the dump that the filesystem module and the search for process binaries share (a
// .tar.gz keeps every Cache.db in memory during its single pass). At most
// [MaxCacheFiles] databases are read, a problem noted past that. Databases are opened
// through the engine (bounded, hashed, WAL replayed on a private copy).
//
// Table cfurl_cache_response: entry_ID, version, hash_value, storage_policy,
// request_key (the URL), time_stamp and, on newer iOS, partition.
//
// Time base: time_stamp is SQLite's CURRENT_TIMESTAMP text, "YYYY-MM-DD HH:MM:SS" in UTC.
//
// # Schema variants
//
// With and without the partition column. entry_ID and request_key are required; the
// other columns are read when present. A Cache.db without cfurl_cache_response (or not
// SQLite) is an error for that file: the module fails when it is the only one and is
// partial otherwise.
//
// # Records
//
// One [Response] per row, ordered by cache file path then entry_ID. MVT's keys entry_id,
// version, hash_value, storage_policy, url and isodate, plus the extras cache_file (the
// database's path: MVT's results are a dict keyed by it, ours a list), time_stamp (the
// raw text) and partition.
//
// # MVT
//
// MVT's CacheFiles (slug cache_files), timeline event cache_response. Differences, all
// fixes: isodate is the parsed time in MVT's format (MVT copies the raw text, so its
// timeline mixes formats; the raw text is kept in time_stamp), null when it does not
// parse; columns are read by name rather than by position; indicator matches are
// alerts (MVT's check of this module was never finished and raises none); the walk is
// bounded and a database that cannot be read is reported, not skipped silently.
package cachefiles

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "cache_files"

// FileName is the name of the databases looked for.
const FileName = "Cache.db"

// MaxCacheFiles bounds the databases read.
const MaxCacheFiles = 20_000

// Module reads every Cache.db.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Checkable = (*Module)(nil)

// Info implements module.Module. Cache.db can be anywhere: Names, not Paths.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "CacheFiles",
		Version:     1,
		Description: "URLs of HTTP responses cached by apps and daemons (every Cache.db)",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
		Names:       []string{FileName},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	sub := *in
	if len(sub.Files) > MaxCacheFiles {
		out.Problem("the dump holds %d files named %s; only the first %d (in path order) are read", len(sub.Files), FileName, MaxCacheFiles)
		sub.Files = sub.Files[:MaxCacheFiles]
	}
	if len(sub.Files) == 0 {
		return fmt.Errorf("%w: no file named %s in the dump", module.ErrNotFound, FileName)
	}
	return module.EachFile(ctx, &sub, out, func(name string) error { return readDB(ctx, in, out, name) })
}

// optional columns, in the order of the query after entry_ID and request_key.
var optional = []string{"version", "hash_value", "storage_policy", "time_stamp", "partition"}

func readDB(ctx context.Context, in *module.Input, out *module.Output, name string) error {
	db, err := in.OpenSQLite(ctx, name)
	if err != nil {
		return err
	}
	cols, err := db.Columns(ctx, "cfurl_cache_response")
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return fmt.Errorf("read %q: no cfurl_cache_response table: not a CFNetwork URL cache", name)
	}
	for _, c := range []string{"entry_ID", "request_key"} {
		if !cols[c] {
			return fmt.Errorf("read %q: table cfurl_cache_response has no column %s: not a CFNetwork URL cache", name, c)
		}
	}
	var q strings.Builder
	q.WriteString("SELECT entry_ID, request_key")
	for _, c := range optional {
		if cols[c] {
			q.WriteString(", " + c)
		} else {
			q.WriteString(", NULL")
		}
	}
	q.WriteString(" FROM cfurl_cache_response ORDER BY entry_ID")
	return db.EachRow(ctx, "cfurl_cache_response", q.String(), func(_ int, vals []any) error {
		r := &Response{URL: sqlitex.Text(vals[1]), CacheFile: name, Partition: sqlitex.Text(vals[6])}
		r.EntryID, _ = sqlitex.Int(vals[0])
		r.Version = intOrNil(vals[2])
		r.HashValue = intOrNil(vals[3])
		r.StoragePolicy = intOrNil(vals[4])
		r.TimeStamp = sqlitex.Text(vals[5])
		if r.TimeStamp != "" {
			if t, ok := parseTimeStamp(r.TimeStamp); ok {
				r.ISODate = timefmt.Of(t)
			} else {
				out.Problem("%s: entry %d: time_stamp %q is not a date", name, r.EntryID, r.TimeStamp)
			}
		}
		return out.Record(r)
	}, func(n int, err error) {
		out.Problem("%s: cfurl_cache_response row %d: %v", name, n, err)
	})
}

func intOrNil(v any) *int64 {
	if v == nil {
		return nil
	}
	n, ok := sqlitex.Int(v)
	if !ok {
		return nil
	}
	return &n
}

// parseTimeStamp parses CURRENT_TIMESTAMP text (UTC), with or without fractional
// seconds or a "T".
func parseTimeStamp(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil && timefmt.Valid(t) {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
