// Package manifest lists every file, folder and symbolic link that an iOS backup
// records, with its metadata, from the backup's index.
//
// The artifact is Manifest.db, at the root of the backup folder (it is not a file of
// the phone). Its Files table has one row per entry: fileID (hex SHA-1 of
// "<domain>-<relativePath>"), domain (HomeDomain, AppDomain-<bundle id>…),
// relativePath, flags (1 file, 2 folder, 4 symbolic link) and file, an NSKeyedArchiver
// MBFile blob with the entry's size, mode, owner, group, protection class, symbolic
// link target and three times in Unix seconds: Birth, LastModified and
// LastStatusChange (dates stored as NSDate are accepted too). The table has had this
// shape in every backup since iOS 10 (older backups use Manifest.mbdb and are refused
// by the backup opener). Each entry's path on the phone is derived from its domain
// where the domain's folder is fixed (HomeDomain is /private/var/mobile…; see
// iosbackup.DevicePath).
//
// Every row is read, in (domain, relativePath) order, including the rows that the
// backup's file system refuses to serve (absolute paths, "..", invalid names): hostile
// paths are exactly what an analyst must see. Blobs are decoded on every core by a
// small ordered pipeline, so records come out in the query's order.
//
// It corresponds to MVT's Manifest module, with MVT's record keys (file_id, domain,
// relative_path, flags, created, modified, status_changed, mode, owner, size) and
// MACB-style timeline events. Unlike MVT: file-path indicators match on "/"
// boundaries, against the device path as well as "/"+relativePath; host names in path
// components (WebKit folders such as https_evil.example_0) are checked against domain
// indicators on label boundaries instead of being tried as URLs part by part; path
// components are checked against process indicators; an undecodable blob is counted
// and named as a problem instead of only logged; and the CrashReporter heuristic runs
// whether or not indicators are loaded.
package manifest

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safely"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// Name is the module's slug.
const Name = "manifest"

// query reads every row; fileID breaks ties between rows that (in a hostile
// Manifest.db) share a domain and path. NOT INDEXED makes SQLite scan the table once
// and sort it, instead of walking FilesDomainIdx with one table lookup per row, which
// is slower (300,000 rows: 1.8 s instead of 2.2 to 2.5 s here).
const query = "SELECT fileID, domain, relativePath, flags, file FROM Files NOT INDEXED ORDER BY domain, relativePath, fileID"

// Bounds of the decoding pipeline.
const (
	window     = 1024 // rows read but not yet emitted
	namedLimit = 90   // undecodable blobs named one by one
)

// Module lists the backup's files from Manifest.db.
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
		Class:       "Manifest",
		Version:     1,
		Description: "Every file, folder and symbolic link the backup lists, with sizes, modes and times (Manifest.db)",
		Kinds:       []acquire.Kind{acquire.IOSBackup},
		Paths:       []string{iosbackup.ManifestDB},
	}
}

// row is one row of Files as read, numbered in query order.
type row struct {
	seq                    int
	id, domain, rel, flags any
	blob                   []byte
	err                    error // the row could not be read
}

// result is a row turned into a record.
type result struct {
	seq     int
	file    *File
	problem error // the row, or its blob, could not be read
}

// Run implements module.Module. A reader goroutine scans the rows, workers decode the
// blobs, and Run itself puts the records back in query order and hands them to out.
// At most window rows are in flight, so memory does not grow with the table.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	db, err := in.OpenSQLite(ctx, iosbackup.ManifestDB)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("query %q in %q: %w", query, db.Name, err)
	}

	jobs := make(chan row, window)
	results := make(chan result, window)
	tokens := make(chan struct{}, window)
	readErr := make(chan error, 1)
	go func() { readErr <- scan(ctx, rows, jobs, tokens) }()
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				res := result{seq: r.seq}
				if err := safely.Do(func() { res = decode(r) }); err != nil {
					res.problem = fmt.Errorf("row %d of Files: %w", r.seq+1, err)
				}
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	var st stats
	err = reorder(results, func(res result) error {
		<-tokens
		return st.emit(res, out)
	})
	if err != nil {
		cancel()
		for range results {
		}
		<-readErr
		return err
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("read %q: %w", db.Name, err)
	}
	st.finish(in, out)
	return nil
}

// scan sends every row to jobs, taking a token for each, and closes jobs.
func scan(ctx context.Context, rows *sql.Rows, jobs chan<- row, tokens chan<- struct{}) error {
	defer close(jobs)
	defer rows.Close()
	for seq := 0; rows.Next(); seq++ {
		if seq%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r := row{seq: seq}
		var blob any
		r.err = rows.Scan(&r.id, &r.domain, &r.rel, &r.flags, &blob)
		r.blob = sqlitex.Blob(blob)
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case jobs <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return rows.Err()
}

// decode turns a row into a record.
func decode(r row) result {
	res := result{seq: r.seq}
	if r.err != nil {
		res.problem = fmt.Errorf("row %d of Files could not be read: %w", r.seq+1, r.err)
		return res
	}
	f := &File{FileID: sqlitex.Text(r.id), Domain: sqlitex.Text(r.domain), RelativePath: sqlitex.Text(r.rel)}
	f.Flags, _ = sqlitex.Int(r.flags)
	f.DevicePath, _ = iosbackup.DevicePath(f.Domain, f.RelativePath)
	res.file = f
	if len(r.blob) == 0 {
		return res
	}
	md, err := iosbackup.DecodeMBFile(r.blob)
	if err != nil {
		res.problem = fmt.Errorf("metadata of %q (fileID %q) could not be decoded: %w", f.Name(), f.FileID, err)
		return res
	}
	f.Created = timeOf(md.Birth)
	f.Metadata = newMetadata(md)
	return res
}

// reorder calls emit for each result in sequence order. Results arrive in any order,
// but never more than window ahead of the next one expected.
func reorder(results <-chan result, emit func(result) error) error {
	var ring [window]*result
	next := 0
	for res := range results {
		ring[res.seq%window] = &res
		for ring[next%window] != nil {
			r := ring[next%window]
			ring[next%window] = nil
			next++
			if err := emit(*r); err != nil {
				return err
			}
		}
	}
	return nil
}

// stats counts what the rows held, for problems and the log.
type stats struct {
	rows, noBlob, undecodable int
	byFlags                   map[int64]int
}

func (s *stats) emit(res result, out *module.Output) error {
	s.rows++
	if res.problem != nil {
		if res.file != nil {
			s.undecodable++
		}
		if s.undecodable <= namedLimit {
			out.Problem("%v", res.problem)
		}
	}
	if res.file == nil {
		return nil
	}
	if res.file.Metadata == nil && res.problem == nil {
		s.noBlob++
	}
	if s.byFlags == nil {
		s.byFlags = map[int64]int{}
	}
	s.byFlags[res.file.Flags]++
	return out.Record(res.file)
}

func (s *stats) finish(in *module.Input, out *module.Output) {
	if s.undecodable > namedLimit {
		out.Problem("%d rows have metadata that could not be decoded; the first %d are named above", s.undecodable, namedLimit)
	}
	in.Log.Info(fmt.Sprintf("%d rows: %d files, %d folders, %d symbolic links; %d without metadata, %d with undecodable metadata",
		s.rows, s.byFlags[iosbackup.FlagFile], s.byFlags[iosbackup.FlagDir], s.byFlags[iosbackup.FlagSymlink], s.noBlob, s.undecodable))
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return newChecker(env) }

// DecodeRecord implements module.Reloadable. MVT's records (file_id, domain,
// relative_path, flags, created, then modified, status_changed, mode, owner and size
// when the row had metadata) have no device_path: it is derived from the domain, as
// when reading Manifest.db.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	rec, err := module.Decode[File](data)
	if f, ok := rec.(*File); ok && f.DevicePath == "" {
		f.DevicePath, _ = iosbackup.DevicePath(f.Domain, f.RelativePath)
	}
	return rec, err
}

var _ module.Reloadable = (*Module)(nil)
