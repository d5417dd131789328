// Package sqlitex opens SQLite databases found in evidence without changing a byte of
// them, while still reading what only their write-ahead log holds.
//
// The rule (measured in reference/go-libraries.md, section 1):
//   - a database with no -wal and no -journal beside it is opened in place with
//     mode=ro&immutable=1, which leaves every file byte-identical;
//   - otherwise the database and every sidecar (-wal, -shm, -journal) are copied into a
//     private temporary folder (0700) and the copy is opened, so SQLite replays the WAL
//     (or rolls back a hot journal) on the copy, never on the evidence.
//
// SQLite silently stops replaying a log at its first damaged frame, and a sidecar the
// acquisition lists but cannot serve would silently be left out: both would hide the
// most recent rows. So the copied log is checked as SQLite replays it ([CheckWAL]),
// and such damage is reported in [DB.Problems] for the modules to pass on.
//
// Sidecars are found through the acquisition's own naming scheme, so on an iOS backup
// "HomeDomain/Library/SMS/sms.db-wal" is looked up in Manifest.db like any other file.
// The driver is modernc.org/sqlite (pure Go, so the binary stays static).
package sqlitex

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Header is the first 16 bytes of every SQLite 3 database file.
const Header = "SQLite format 3\x00"

// ErrNotSQLite is returned for a file that does not start with the SQLite header; in an
// iOS backup this usually means the backup is encrypted.
var ErrNotSQLite = errors.New("not a SQLite database")

// Options tunes [Open].
type Options struct {
	// TempDir is the private folder copies are written to. It must exist; Open creates a
	// sub-folder per database. Required when a database has sidecars.
	TempDir string
	// MaxCopyBytes bounds the total size copied for one database and its sidecars.
	// 0 means 8 GiB.
	MaxCopyBytes int64
}

// File is one evidence file a database was read from.
type File struct {
	Name   string // logical name in the acquisition
	Size   int64
	SHA256 string // hex; empty when the file was opened in place and not hashed here
}

// DB is an open, read-only view of an evidence database.
type DB struct {
	*sql.DB
	// Name is the logical name of the database in the acquisition.
	Name string
	// Copied says whether the database was copied (because it had sidecars).
	Copied bool
	// Files lists the database and the sidecars that were read.
	Files []File
	// Problems describe damage that makes SQLite read less than the files hold (a
	// write-ahead log whose later frames it ignores; see [CheckWAL]). The database is
	// usable, but a module reading it should report them.
	Problems []string
	tmp      string
}

// Close closes the database and removes its private copy, if any.
func (db *DB) Close() error {
	err := db.DB.Close()
	if db.tmp != "" {
		if rerr := os.RemoveAll(db.tmp); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

var sidecars = []string{"-wal", "-shm", "-journal"}

// Open opens the database called name in fsys. See the package comment for the rule.
func Open(ctx context.Context, fsys fs.FS, name string, opt Options) (*DB, error) {
	if err := checkHeader(fsys, name); err != nil {
		return nil, err
	}
	present := map[string]fs.FileInfo{}
	var unreadable []string
	for _, suffix := range sidecars {
		fi, err := fs.Stat(fsys, name+suffix)
		if err != nil || fi.IsDir() {
			continue
		}
		f, err := fsys.Open(name + suffix)
		if err != nil {
			// Listed but not readable (a partial backup, a file a compressed dump did
			// not keep): nothing to replay from it, which the module must say.
			if suffix != "-shm" && fi.Size() > 0 {
				unreadable = append(unreadable, fmt.Sprintf("%s could not be read, so the records only it holds are missing: %v", name+suffix, err))
			}
			continue
		}
		f.Close()
		present[suffix] = fi
	}
	needsCopy := present["-wal"] != nil && present["-wal"].Size() > 0 ||
		present["-journal"] != nil && present["-journal"].Size() > 0
	var db *DB
	var err error
	if lp, ok := fsys.(acquire.LocalPather); ok && !needsCopy {
		if p, perr := lp.LocalPath(name); perr == nil {
			db, err = openInPlace(ctx, name, p)
		}
	}
	if db == nil && err == nil {
		db, err = openCopy(ctx, fsys, name, present, opt)
	}
	if db != nil {
		db.Problems = append(unreadable, db.Problems...)
	}
	return db, err
}

func checkHeader(fsys fs.FS, name string) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("open database %q: %w", name, err)
	}
	defer f.Close()
	head := make([]byte, len(Header))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read database %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("open database %q: empty file: %w", name, ErrNotSQLite)
	}
	if !bytes.Equal(head[:n], []byte(Header)) || n < len(Header) {
		return fmt.Errorf("open database %q: %w (wrong header)", name, ErrNotSQLite)
	}
	return nil
}

// dsn builds the URI of a database file with net/url, so that spaces, '#' and '?' in
// the path survive. A Windows path gets a leading '/' before its drive letter, which
// SQLite drops again ("file:/C:/…").
func dsn(p string, query string) string {
	u := filepath.ToSlash(p)
	if filepath.VolumeName(p) != "" && !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return (&url.URL{Scheme: "file", OmitHost: true, Path: u, RawQuery: query}).String()
}

func openInPlace(ctx context.Context, name, p string) (*DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("immutable", "1")
	q.Add("_pragma", "query_only(1)")
	db, err := connect(ctx, name, dsn(p, q.Encode()))
	if err != nil {
		return nil, err
	}
	fi, _ := os.Stat(p)
	var size int64
	if fi != nil {
		size = fi.Size()
	}
	return &DB{DB: db, Name: name, Files: []File{{Name: name, Size: size}}}, nil
}

func openCopy(ctx context.Context, fsys fs.FS, name string, present map[string]fs.FileInfo, opt Options) (*DB, error) {
	if opt.TempDir == "" {
		return nil, fmt.Errorf("open database %q: a private temporary folder is needed to read its sidecars", name)
	}
	limit := opt.MaxCopyBytes
	if limit <= 0 {
		limit = 8 << 30
	}
	tmp, err := os.MkdirTemp(opt.TempDir, "db-")
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", name, err)
	}
	db := &DB{Name: name, Copied: true, tmp: tmp}
	fail := func(err error) (*DB, error) {
		os.RemoveAll(tmp)
		return nil, err
	}
	// SQLite finds sidecars by name, so the copy keeps the base name (made safe).
	base := safeBase(path.Base(name))
	local := filepath.Join(tmp, base)
	budget := limit
	copied, err := copyFile(fsys, name, local, &budget)
	if err != nil {
		return fail(fmt.Errorf("copy database %q: %w", name, err))
	}
	db.Files = append(db.Files, copied)
	for _, suffix := range sidecars {
		if present[suffix] == nil {
			continue
		}
		f, err := copyFile(fsys, name+suffix, local+suffix, &budget)
		if err != nil {
			return fail(fmt.Errorf("copy database sidecar %q: %w", name+suffix, err))
		}
		db.Files = append(db.Files, f)
		if suffix == "-wal" {
			p, err := checkWALFile(name, local+suffix)
			if err != nil {
				return fail(err)
			}
			if p != "" {
				db.Problems = append(db.Problems, p)
			}
		}
	}
	q := url.Values{}
	q.Set("mode", "rw")
	q.Add("_pragma", "query_only(1)")
	conn, err := connect(ctx, name, dsn(local, q.Encode()))
	if err != nil {
		return fail(err)
	}
	db.DB = conn
	return db, nil
}

func connect(ctx context.Context, name, dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", name, err)
	}
	// Force SQLite to read the header (and replay a WAL or roll back a hot journal on a
	// copy) now, so a corrupt database fails here with a clear error.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %q: %w", name, err)
	}
	return db, nil
}

func safeBase(b string) string {
	b = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < 0x20 {
			return '_'
		}
		return r
	}, b)
	if b == "" || b == "." || b == ".." {
		b = "database"
	}
	return b
}

func copyFile(fsys fs.FS, name, dst string, budget *int64) (File, error) {
	src, err := fsys.Open(name)
	if err != nil {
		return File{}, err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(src, *budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	if n > *budget {
		return File{}, fmt.Errorf("database and sidecars exceed the copy limit (%d bytes left)", *budget)
	}
	*budget -= n
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Columns returns the column names of table (empty when the table does not exist).
func (db *DB) Columns(ctx context.Context, table string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %q in %q: %w", table, db.Name, err)
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols[c] = true
	}
	return cols, rows.Err()
}

// HasTable reports whether table exists.
func (db *DB) HasTable(ctx context.Context, table string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = ?", table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for table %q in %q: %w", table, db.Name, err)
	}
	return n > 0, nil
}
