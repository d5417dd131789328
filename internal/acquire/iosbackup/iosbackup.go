// Package iosbackup opens an iTunes, Finder or idevicebackup2 backup of an iPhone or
// iPad (iOS 10 and later) as a read-only [fs.FS].
//
// On disk a backup folder holds Manifest.db (SQLite), Info.plist, Manifest.plist,
// Status.plist and one file per backed-up file, stored as <fileID[0:2]>/<fileID>, where
// fileID is the hex SHA-1 of "<domain>-<relativePath>". Manifest.db's Files table
// (fileID, domain, relativePath, flags, file) maps each stored file to its place on the
// device; flags is 1 for a file, 2 for a folder, 4 for a symbolic link, and file is an
// NSKeyedArchiver property list (class MBFile) with the file's size, mode, owner and
// Unix times (Birth, LastModified, LastStatusChange).
//
// The file system this package serves names each file "<domain>/<relativePath>"
// (HomeDomain/Library/SMS/sms.db), the naming scheme every iOS module uses; the four
// files at the backup's root are served under their own names (Manifest.db, Info.plist,
// Manifest.plist, Status.plist). Nothing is ever written into the backup.
//
// Manifest.db is hostile input like everything else: a row whose path is not a clean
// relative path (absolute, ".", "..", empty elements), whose fileID is not 40 hex digits,
// that makes a domain's own folder a file, or that calls a name a file (or link) while
// other rows lie under it, is left out of the file system and reported as a
// [acquire.Problem], so it can never make spytrace read outside the backup or hide a
// domain or folder. Bytes of a domain or path that are not UTF-8 are read as \xNN
// escapes (the column reader's rule), so such names are served, printable, under the
// escaped form; an escaped name that equals another row's literal name is reported as a
// duplicate. Files listed in Manifest.db but absent from the folder (a partial backup)
// and files present but not listed are reported too, never fatal.
//
// Encrypted backups are recognised (Manifest.plist IsEncrypted, or a Manifest.db that is
// not SQLite) and refused with [ErrEncrypted]; backups made before iOS 10 (Manifest.mbdb)
// are refused with [ErrOldFormat].
package iosbackup

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// The files at the root of a backup folder.
const (
	ManifestDB    = "Manifest.db"
	ManifestPlist = "Manifest.plist"
	InfoPlist     = "Info.plist"
	StatusPlist   = "Status.plist"
	manifestMBDB  = "Manifest.mbdb"
)

// rootFiles are served under their own names; Manifest.db's sidecars are served too, so
// that a reader of Manifest.db sees rows that only its write-ahead log holds.
var rootFiles = []string{InfoPlist, ManifestDB, ManifestDB + "-journal", ManifestDB + "-shm", ManifestDB + "-wal", ManifestPlist, StatusPlist}

// Manifest.db flags values.
const (
	FlagFile    = 1
	FlagDir     = 2
	FlagSymlink = 4
)

// Errors returned by Open and Find.
var (
	// ErrNotBackup means the folder is not an iOS backup.
	ErrNotBackup = errors.New("not an iOS backup")
	// ErrEncrypted means the backup is encrypted.
	ErrEncrypted = errors.New("the backup is encrypted")
	// ErrOldFormat means the backup predates iOS 10 (Manifest.mbdb).
	ErrOldFormat = errors.New("backup format of iOS 9 and older (Manifest.mbdb) is not supported")
)

// Options tunes Open.
type Options struct {
	// TempDir is where a private temporary folder is made if Manifest.db has sidecars
	// ("" = the system's).
	TempDir string
	// MaxEntries bounds the Manifest.db rows indexed; 0 means 10,000,000.
	MaxEntries int
	// MaxPlistBytes bounds the root property lists; 0 means 64 MiB.
	MaxPlistBytes int64
	// Password unlocks an encrypted backup; Key, the key derived from it earlier (see
	// DeriveKey), does so without the slow derivation. Neither is kept by the Backup.
	Password []byte
	Key      []byte
}

// Backup is an opened backup.
type Backup struct {
	root    string
	tmp     string
	db      *sqlitex.DB
	entries []entry // sorted by name
	domains []string
	roots   map[string]bool // root files present

	// Info, Manifest and Status are the decoded root property lists (nil if absent or
	// unreadable; see Problems).
	Info, Manifest, Status map[string]any

	mu       sync.Mutex
	problems []acquire.Problem
	missing  map[string]bool
	stats    Stats
	listed   map[[20]byte]bool // every valid fileID of Manifest.db, until checkPresence ran

	enc *encryption // nil for a backup that is not encrypted
}

// Stats counts what the manifest holds.
type Stats struct {
	Rows     int `json:"manifest_rows"`
	Files    int `json:"files"`
	Dirs     int `json:"directories"`
	Symlinks int `json:"symlinks"`
	Missing  int `json:"missing_files"`
	Unlisted int `json:"unlisted_files"`
	Rejected int `json:"rejected_rows"`
}

type entry struct {
	name    string // "<domain>" or "<domain>/<relativePath>"
	id      [20]byte
	flags   uint8
	present bool
}

var _ acquire.Acquisition = (*Backup)(nil)
var _ acquire.LocalPather = (*Backup)(nil)
var _ acquire.Problems = (*Backup)(nil)

// Find returns the backup folder for path: path itself when it holds Manifest.db or
// Manifest.plist, or its only sub-folder that does. Several candidate sub-folders are
// an error that lists them.
func Find(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("open backup %q: %w", p, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("open backup %q: %w: a backup is a folder", p, ErrNotBackup)
	}
	if looksLikeBackup(p) {
		return p, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return "", fmt.Errorf("open backup %q: %w", p, err)
	}
	var found []string
	for _, e := range entries {
		if e.IsDir() && looksLikeBackup(filepath.Join(p, e.Name())) {
			found = append(found, e.Name())
		}
	}
	switch len(found) {
	case 1:
		return filepath.Join(p, found[0]), nil
	case 0:
		return "", fmt.Errorf("open backup %q: %w: no Manifest.db, Manifest.plist or Info.plist in it or in its sub-folders", p, ErrNotBackup)
	}
	return "", fmt.Errorf("open backup %q: it holds %d backups (%s): give the path of one of them", p, len(found), strings.Join(found, ", "))
}

func looksLikeBackup(dir string) bool {
	for _, n := range []string{ManifestDB, ManifestPlist, manifestMBDB} {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// Open opens the backup at path (see Find).
func Open(ctx context.Context, p string, opt Options) (_ *Backup, err error) {
	dir, err := Find(p)
	if err != nil {
		return nil, err
	}
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = 10_000_000
	}
	if opt.MaxPlistBytes <= 0 {
		opt.MaxPlistBytes = 64 << 20
	}
	b := &Backup{root: dir, roots: map[string]bool{}, missing: map[string]bool{}}
	for _, n := range rootFiles {
		// Lstat: a symbolic link in the evidence must not lead spytrace outside it.
		if fi, err := os.Lstat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			b.roots[n] = true
		}
	}
	b.Manifest = b.readPlist(ManifestPlist, opt.MaxPlistBytes)
	b.Info = b.readPlist(InfoPlist, opt.MaxPlistBytes)
	b.Status = b.readPlist(StatusPlist, opt.MaxPlistBytes)
	encrypted, _ := plistx.Bool(b.Manifest, "IsEncrypted")
	if encrypted && len(opt.Password) == 0 && len(opt.Key) == 0 {
		return nil, fmt.Errorf("open backup %q: %w (Manifest.plist says IsEncrypted): %w", dir, ErrEncrypted, ErrNoCredentials)
	}
	if !b.roots[ManifestDB] {
		if _, err := os.Stat(filepath.Join(dir, manifestMBDB)); err == nil {
			return nil, fmt.Errorf("open backup %q: %w", dir, ErrOldFormat)
		}
		return nil, fmt.Errorf("open backup %q: %w: Manifest.db is missing", dir, ErrNotBackup)
	}
	tmp, err := os.MkdirTemp(opt.TempDir, "spytrace-backup-")
	if err != nil {
		return nil, fmt.Errorf("open backup %q: %w", dir, err)
	}
	b.tmp = tmp
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	manifestDir := dir
	if encrypted {
		if err := b.unlock(opt); err != nil {
			return nil, fmt.Errorf("open backup %q: %w", dir, err)
		}
		manifestDir = b.enc.manifestDir
	}
	b.db, err = sqlitex.Open(ctx, rootFS{manifestDir}, ManifestDB, sqlitex.Options{TempDir: tmp})
	if errors.Is(err, sqlitex.ErrNotSQLite) {
		return nil, fmt.Errorf("open backup %q: %w (Manifest.db is not a readable SQLite database)", dir, ErrEncrypted)
	}
	if err != nil {
		return nil, fmt.Errorf("open backup %q: %w", dir, err)
	}
	for _, p := range b.db.Problems {
		// A damaged Manifest.db-wal: the files listed only by its lost frames are
		// missing from the backup as spytrace sees it.
		b.problem("damaged_database", ManifestDB, p)
	}
	if err := b.index(ctx, opt.MaxEntries); err != nil {
		return nil, fmt.Errorf("open backup %q: read Manifest.db: %w", dir, err)
	}
	b.checkPresence()
	return b, nil
}

func (b *Backup) readPlist(name string, limit int64) map[string]any {
	if !b.roots[name] {
		if name != ManifestPlist || b.roots[ManifestDB] {
			b.problem("missing_root_file", name, name+" is missing from the backup folder")
		}
		return nil
	}
	data, err := readLimited(filepath.Join(b.root, name), limit)
	if err != nil {
		b.problem("unreadable_root_file", name, err.Error())
		return nil
	}
	v, err := plistx.Decode(data, plistx.Limits{MaxBytes: limit})
	if err != nil {
		b.problem("unreadable_root_file", name, fmt.Sprintf("%s is not a readable property list: %v", name, err))
		return nil
	}
	m, ok := plistx.AsMap(v)
	if !ok {
		b.problem("unreadable_root_file", name, name+" is not a dictionary")
		return nil
	}
	return m
}

func readLimited(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(p), limit)
	}
	return data, nil
}

// index reads the Files table (without the metadata blobs) into the sorted entry list.
func (b *Backup) index(ctx context.Context, maxEntries int) error {
	rows, err := b.db.QueryContext(ctx, "SELECT fileID, domain, relativePath, flags FROM Files")
	if err != nil {
		return err
	}
	defer rows.Close()
	domains := map[string]bool{}
	seenIDs := map[[20]byte]bool{}
	defer func() { b.listed = seenIDs }()
	for rows.Next() {
		var idv, dv, rv, fv any
		if err := rows.Scan(&idv, &dv, &rv, &fv); err != nil {
			return err
		}
		b.stats.Rows++
		if len(b.entries) >= maxEntries {
			continue
		}
		fileID, domain, rel := sqlitex.Text(idv), sqlitex.Text(dv), sqlitex.Text(rv)
		flags, _ := sqlitex.Int(fv)
		label := domain + "/" + rel
		id, ok := parseFileID(fileID)
		if ok {
			seenIDs[id] = true
		}
		if !ok {
			b.reject(label, fmt.Sprintf("fileID %q is not 40 hexadecimal digits", fileID))
			continue
		}
		if !validDomain(domain) {
			b.reject(label, fmt.Sprintf("domain %q is not a usable name", domain))
			continue
		}
		name := domain
		if rel == "" && flags != FlagDir {
			// The domain's own row names its folder: as a file or a link it would hide
			// everything the domain holds from listings and searches.
			domains[domain] = true
			b.reject(label, fmt.Sprintf("the domain's own row has flags %d, not a folder's (%d)", flags, FlagDir))
			continue
		}
		if rel != "" {
			// fs.ValidPath accepts "." (the root itself): as a child name it would make
			// a folder its own child, and fs.WalkDir recurse until the stack overflows.
			if !fs.ValidPath(rel) || rel == "." {
				b.reject(label, fmt.Sprintf("relativePath %q is not a clean relative path (absolute, \"..\", empty or invalid UTF-8 elements)", rel))
				continue
			}
			name = domain + "/" + rel
		}
		if flags < 0 || flags > 255 {
			flags = 0
		}
		switch flags {
		case FlagFile:
			b.stats.Files++
		case FlagDir:
			b.stats.Dirs++
		case FlagSymlink:
			b.stats.Symlinks++
		}
		domains[domain] = true
		b.entries = append(b.entries, entry{name: name, id: id, flags: uint8(flags)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if b.stats.Rows > maxEntries {
		b.problem("too_many_rows", ManifestDB, fmt.Sprintf("Manifest.db has %d rows; only the first %d were indexed", b.stats.Rows, maxEntries))
	}
	slices.SortStableFunc(b.entries, func(x, y entry) int { return strings.Compare(x.name, y.name) })
	// Duplicate names: keep the first, report the others.
	out := b.entries[:0]
	for i, e := range b.entries {
		if i > 0 && e.name == out[len(out)-1].name {
			b.reject(e.name, "listed more than once in Manifest.db")
			continue
		}
		out = append(out, e)
	}
	b.entries = out
	// A name is a folder or not: a file, link or other row with rows under it would
	// make the listings contradict the lookups. The rows under it are kept (a crafted
	// file row over a folder must not hide what the folder holds) and the name is
	// served as a folder.
	out = b.entries[:0]
	for _, e := range b.entries {
		if e.flags != FlagDir && b.hasChildren(e.name) {
			b.reject(e.name, fmt.Sprintf("listed with flags %d (not a folder) while other rows lie under it", e.flags))
			continue
		}
		out = append(out, e)
	}
	b.entries = out
	for d := range domains {
		b.domains = append(b.domains, d)
	}
	sort.Strings(b.domains)
	return nil
}

func (b *Backup) reject(name, msg string) {
	b.stats.Rejected++
	b.problem("rejected_row", name, msg)
}

func parseFileID(s string) ([20]byte, bool) {
	var id [20]byte
	if len(s) != 40 {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, false
	}
	return id, true
}

func validDomain(d string) bool {
	if d == "" || d == "." || d == ".." || strings.ContainsAny(d, "/\x00") || !utf8.ValidString(d) {
		return false
	}
	return !slices.Contains(rootFiles, d)
}

// checkPresence lists the 256 storage folders once to learn which listed files are
// missing and which stored files are not listed.
func (b *Backup) checkPresence() {
	byID := make(map[[20]byte]int, b.stats.Files)
	for i, e := range b.entries {
		if e.flags == FlagFile {
			byID[e.id] = i
		}
	}
	for hi := 0; hi < 256; hi++ {
		sub := fmt.Sprintf("%02x", hi)
		if fi, err := os.Lstat(filepath.Join(b.root, sub)); err != nil || !fi.IsDir() {
			if err == nil {
				b.problem("not_regular_file", sub, "a storage folder of the backup is not a folder (a symbolic link?): not followed")
			}
			continue
		}
		ents, err := os.ReadDir(filepath.Join(b.root, sub))
		if err != nil {
			continue
		}
		for _, de := range ents {
			id, ok := parseFileID(de.Name())
			if !ok || de.Name()[:2] != sub {
				continue
			}
			if !de.Type().IsRegular() {
				// A symbolic link could lead outside the evidence: never followed.
				b.problem("not_regular_file", sub+"/"+de.Name(), "stored file is not a regular file (a symbolic link?): not read")
				continue
			}
			if i, ok := byID[id]; ok {
				b.entries[i].present = true
			} else if !b.listed[id] {
				b.stats.Unlisted++
				if b.stats.Unlisted <= 100 {
					b.problem("unlisted_file", sub+"/"+de.Name(), "stored in the backup folder but not listed in Manifest.db")
				}
			}
		}
	}
	// Older layouts kept files flat at the root; accept them too.
	for i, e := range b.entries {
		if e.flags == FlagFile && !e.present {
			if fi, err := os.Lstat(filepath.Join(b.root, hex.EncodeToString(e.id[:]))); err == nil && fi.Mode().IsRegular() {
				b.entries[i].present = true
				continue
			}
			b.stats.Missing++
			if b.stats.Missing <= 100 {
				b.problem("missing_file", e.name, "listed in Manifest.db but missing from the backup folder (partial backup)")
			}
		}
	}
	if b.stats.Missing > 100 {
		b.problem("missing_file", "", fmt.Sprintf("%d files listed in Manifest.db are missing from the backup folder; the first 100 are listed", b.stats.Missing))
	}
	b.listed = nil
	if b.stats.Unlisted > 100 {
		b.problem("unlisted_file", "", fmt.Sprintf("%d files in the backup folder are not listed in Manifest.db; the first 100 are listed", b.stats.Unlisted))
	}
}

func (b *Backup) problem(kind, name, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) < 1000 {
		b.problems = append(b.problems, acquire.Problem{Kind: kind, Name: name, Message: msg})
	}
}

// Problems returns the anomalies found in the backup.
func (b *Backup) Problems() []acquire.Problem {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.problems)
}

// Stats returns counts of what Manifest.db lists.
func (b *Backup) Stats() Stats { return b.stats }

// Kind implements acquire.Acquisition.
func (b *Backup) Kind() acquire.Kind { return acquire.IOSBackup }

// Root returns the backup folder.
func (b *Backup) Root() string { return b.root }

// Close releases Manifest.db and removes the private temporary folder.
func (b *Backup) Close() error {
	var err error
	if b.db != nil {
		err = b.db.Close()
		b.db = nil
	}
	if b.tmp != "" {
		if rerr := os.RemoveAll(b.tmp); err == nil {
			err = rerr
		}
		b.tmp = ""
	}
	return err
}

// Domains returns the domains that Manifest.db lists, sorted.
func (b *Backup) Domains() []string { return slices.Clone(b.domains) }

// FileID returns the fileID (hex SHA-1) of a logical name.
func (b *Backup) FileID(name string) (string, bool) {
	e, ok := b.lookup(name)
	if !ok {
		return "", false
	}
	return hex.EncodeToString(e.id[:]), true
}

func (b *Backup) lookup(name string) (entry, bool) {
	i, ok := slices.BinarySearchFunc(b.entries, name, func(e entry, n string) int { return strings.Compare(e.name, n) })
	if !ok {
		return entry{}, false
	}
	return b.entries[i], true
}

// hasChildren reports whether some entry lies under dir.
func (b *Backup) hasChildren(dir string) bool {
	prefix := dir + "/"
	i, _ := slices.BinarySearchFunc(b.entries, prefix, func(e entry, n string) int { return strings.Compare(e.name, n) })
	return i < len(b.entries) && strings.HasPrefix(b.entries[i].name, prefix)
}

func (b *Backup) storedPath(e entry) string {
	id := hex.EncodeToString(e.id[:])
	p := filepath.Join(b.root, id[:2], id)
	if _, err := os.Lstat(p); err != nil {
		if flat := filepath.Join(b.root, id); fileExists(flat) {
			return flat
		}
	}
	return p
}

func fileExists(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().IsRegular()
}

// LocalPath returns where the content of a logical file is stored on disk.
func (b *Backup) LocalPath(name string) (string, error) {
	if b.roots[name] {
		return b.rootPath(name), nil
	}
	e, ok := b.lookup(name)
	if !ok || e.flags != FlagFile {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: fs.ErrNotExist}
	}
	if b.enc != nil {
		// The stored file is ciphertext: readers go through Open, which decrypts.
		return "", &fs.PathError{Op: "localpath", Path: name, Err: errors.ErrUnsupported}
	}
	if !e.present {
		return "", &fs.PathError{Op: "localpath", Path: name, Err: acquire.ErrMissing}
	}
	return b.storedPath(e), nil
}

// Metadata is what the MBFile blob of a Manifest.db row says about a file.
type Metadata struct {
	Size             int64
	Mode             uint32 // Unix st_mode (type and permission bits)
	UserID, GroupID  int64
	InodeNumber      int64
	Birth            time.Time
	LastModified     time.Time
	LastStatusChange time.Time
	ProtectionClass  int64
	Flags            int64
	Target           string // symbolic link target
	EncryptionKey    []byte // wrapped per-file key of encrypted backups
	Raw              map[string]any
}

// DecodeMBFile decodes the file column of a Manifest.db row.
func DecodeMBFile(blob []byte) (*Metadata, error) {
	v, err := plistx.Unarchive(blob, plistx.Limits{MaxBytes: 1 << 20, MaxDepth: 16, MaxObjects: 4096})
	if err != nil {
		return nil, fmt.Errorf("decode MBFile: %w", err)
	}
	m, ok := plistx.AsMap(v)
	if !ok {
		return nil, errors.New("decode MBFile: root is not an object")
	}
	md := &Metadata{Raw: m}
	md.Size, _ = plistx.Int(m, "Size")
	mode, _ := plistx.Int(m, "Mode")
	md.Mode = uint32(mode)
	md.UserID, _ = plistx.Int(m, "UserID")
	md.GroupID, _ = plistx.Int(m, "GroupID")
	md.InodeNumber, _ = plistx.Int(m, "InodeNumber")
	md.ProtectionClass, _ = plistx.Int(m, "ProtectionClass")
	md.Flags, _ = plistx.Int(m, "Flags")
	md.Birth = unixField(m, "Birth")
	md.LastModified = unixField(m, "LastModified")
	md.LastStatusChange = unixField(m, "LastStatusChange")
	md.Target = plistx.String(m, "Target")
	md.EncryptionKey = plistx.Bytes(m, "EncryptionKey")
	return md, nil
}

// unixField reads a time stored as Unix seconds (or, in some backups, as a date).
func unixField(m map[string]any, key string) time.Time {
	if t, ok := plistx.Time(m, key); ok {
		return t.UTC()
	}
	if n, ok := plistx.Int(m, key); ok && n > 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC()
	}
	if f, ok := plistx.Float(m, key); ok && f > 0 && f < 1<<40 {
		return time.Unix(int64(f), 0).UTC()
	}
	return time.Time{}
}

// metadata fetches and decodes the MBFile of an entry (nil when unreadable).
func (b *Backup) metadata(e entry) *Metadata {
	var blob []byte
	id := hex.EncodeToString(e.id[:])
	err := b.db.QueryRowContext(context.Background(), "SELECT file FROM Files WHERE fileID = ?", id).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		// Apple writes lower-case fileIDs; accept a backup tool that did not.
		err = b.db.QueryRowContext(context.Background(), "SELECT file FROM Files WHERE fileID = ?", strings.ToUpper(id)).Scan(&blob)
	}
	if err != nil || len(blob) == 0 {
		return nil
	}
	md, err := DecodeMBFile(blob)
	if err != nil {
		return nil
	}
	return md
}
