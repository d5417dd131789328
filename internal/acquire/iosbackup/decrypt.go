package iosbackup

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup/backupcrypto"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safely"
)

// Names DecryptTo writes besides the backup's own files.
const (
	// HashList lists every file with the SHA-256 of its encrypted and decrypted
	// content.
	HashList = "spytrace-decryption.csv"
	// decryptMarker marks a destination folder as spytrace's, so that an interrupted
	// run can be run again into it.
	decryptMarker = ".spytrace-decrypt"
	// PartSuffix ends the temporary name a file is written under before it is
	// renamed into place.
	PartSuffix = ".spytrace-part"
)

// DecryptStats sums up a DecryptTo run.
type DecryptStats struct {
	Files     int   // files decrypted
	Bytes     int64 // plaintext bytes written
	Failed    int   // files that could not be decrypted (named in the hash list)
	Missing   int   // files listed in Manifest.db but absent from the backup folder
	Encrypted int64 // ciphertext bytes read
	// Problems names the first files that failed or were missing, with the reason.
	Problems []string
}

// maxNamedProblems bounds DecryptStats.Problems.
const maxNamedProblems = 100

// ErrDestination is wrapped by DecryptTo's errors about the destination folder.
var ErrDestination = errors.New("unusable destination folder")

// DecryptTo writes a decrypted copy of an encrypted backup into dest, in the layout of
// an unencrypted backup that other tools read: Info.plist and Status.plist as they are,
// Manifest.plist saying IsEncrypted false (without ManifestKey), the decrypted
// Manifest.db, and every file under <xx>/<fileID>, each exactly its recorded size. It
// also writes HashList, with the SHA-256 of each file before and after decryption and
// what went wrong with the files that could not be decrypted.
//
// Files are decrypted by several goroutines, each streaming one file at a time. Every
// file is written under a temporary name and renamed when complete, and Manifest.db is
// written last: an interrupted run leaves no file that looks complete and is not, and
// can be run again into the same folder. dest must be empty, absent, or the folder of
// an earlier run. progress, when not nil, is called after each file.
func (b *Backup) DecryptTo(ctx context.Context, dest string, workers int, progress func(done, total int)) (*DecryptStats, error) {
	if b.enc == nil {
		return nil, errors.New("the backup is not encrypted")
	}
	if err := prepareDestination(dest); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for hi := 0; hi < 256; hi++ {
		if err := os.MkdirAll(filepath.Join(dest, fmt.Sprintf("%02x", hi)), 0o755); err != nil {
			return nil, err
		}
	}
	var files []entry
	pos := map[[20]byte]int{}
	for _, e := range b.entries {
		if e.flags == FlagFile {
			pos[e.id] = len(files)
			files = append(files, e)
		}
	}
	results := make([]decryptResult, len(files))
	jobs := make(chan decryptJob, 4*workers)
	var done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if err := safely.Do(func() { results[j.i] = b.decryptOne(files[j.i], j.blob, dest) }); err != nil {
					results[j.i] = decryptResult{err: err}
				}
				if progress != nil {
					progress(int(done.Add(1)), len(files))
				}
			}
		}()
	}
	feedErr := b.feedDecryptJobs(ctx, pos, len(files), jobs)
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if feedErr != nil {
		return nil, feedErr
	}
	st := &DecryptStats{}
	for i, r := range results {
		if r.err != nil && len(st.Problems) < maxNamedProblems {
			st.Problems = append(st.Problems, files[i].name+": "+r.err.Error())
		}
		switch {
		case r.missing:
			st.Missing++
		case r.err != nil:
			st.Failed++
		default:
			st.Files++
			st.Bytes += r.plain
		}
		st.Encrypted += r.cipher
	}
	if err := writeHashList(dest, files, results); err != nil {
		return nil, err
	}
	if err := b.writeDecryptedRoot(dest); err != nil {
		return nil, err
	}
	return st, nil
}

// decryptJob is one file to decrypt: its position in the list of files and its
// MBFile blob.
type decryptJob struct {
	i    int
	blob []byte
}

// feedDecryptJobs reads every file's MBFile blob in one scan of Manifest.db (one query
// per file would serialise the workers on the database) and hands the files out; files
// the scan did not reach (a fileID written in upper case) follow without a blob.
func (b *Backup) feedDecryptJobs(ctx context.Context, pos map[[20]byte]int, n int, jobs chan<- decryptJob) error {
	sent := make([]bool, n)
	rows, err := b.db.QueryContext(ctx, "SELECT fileID, file FROM Files WHERE flags = ?", FlagFile)
	if err != nil {
		return fmt.Errorf("read Manifest.db: %w", err)
	}
	for rows.Next() {
		var id string
		var blob []byte
		if err := rows.Scan(&id, &blob); err != nil {
			continue
		}
		key, ok := parseFileID(id)
		if !ok {
			continue
		}
		i, ok := pos[key]
		if !ok || sent[i] {
			continue
		}
		sent[i] = true
		select {
		case jobs <- decryptJob{i: i, blob: blob}:
		case <-ctx.Done():
			rows.Close()
			return ctx.Err()
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("read Manifest.db: %w", err)
	}
	for i := range sent {
		if !sent[i] {
			select {
			case jobs <- decryptJob{i: i}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// prepareDestination creates dest or accepts it when empty or spytrace's, and marks it.
func prepareDestination(dest string) error {
	entries, err := os.ReadDir(dest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("%w: %v", ErrDestination, err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dest, decryptMarker)); err != nil {
			return fmt.Errorf("%w: %s is not empty and not an earlier decryption by spytrace", ErrDestination, dest)
		}
		// An earlier run: drop what it had not finished, and its Manifest.db, which is
		// written again last.
		matches, _ := filepath.Glob(filepath.Join(dest, "*", "*"+PartSuffix))
		rootParts, _ := filepath.Glob(filepath.Join(dest, "*"+PartSuffix))
		for _, m := range append(matches, rootParts...) {
			os.Remove(m)
		}
		os.Remove(filepath.Join(dest, ManifestDB))
	}
	return os.WriteFile(filepath.Join(dest, decryptMarker), []byte("spytrace decrypt-backup output\n"), 0o644)
}

type decryptResult struct {
	missing      bool
	err          error
	plain        int64
	cipher       int64
	sumEncrypted string
	sumDecrypted string
}

// decryptOne decrypts one stored file into dest under its fileID; blob is its MBFile
// (nil to look it up).
func (b *Backup) decryptOne(e entry, blob []byte, dest string) (r decryptResult) {
	if !e.present {
		return decryptResult{missing: true, err: errors.New("missing from the backup folder")}
	}
	var md *Metadata
	if blob != nil {
		md, _ = DecodeMBFile(blob)
	} else {
		md = b.metadata(e)
	}
	if md == nil || len(md.EncryptionKey) == 0 {
		return decryptResult{err: errors.New("no encryption key in its Manifest.db row")}
	}
	key, err := b.enc.keybag.UnwrapFileKey(md.EncryptionKey)
	if err != nil {
		return decryptResult{err: fmt.Errorf("file key: %w", err)}
	}
	in, err := os.Open(b.storedPath(e))
	if err != nil {
		return decryptResult{err: err}
	}
	defer in.Close()
	cipherSum, plainSum := sha256.New(), sha256.New()
	counted := &countingReader{r: io.TeeReader(in, cipherSum)}
	dr, err := backupcrypto.NewDecryptReader(counted, key, md.Size)
	if err != nil {
		return decryptResult{err: err}
	}
	id := hex.EncodeToString(e.id[:])
	final := filepath.Join(dest, id[:2], id)
	part := final + PartSuffix
	out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return decryptResult{err: err}
	}
	n, copyErr := io.Copy(io.MultiWriter(out, plainSum), dr)
	closeErr := out.Close()
	r = decryptResult{plain: n, cipher: counted.n,
		sumEncrypted: hex.EncodeToString(cipherSum.Sum(nil)), sumDecrypted: hex.EncodeToString(plainSum.Sum(nil))}
	if copyErr == nil {
		copyErr = closeErr
	}
	if copyErr != nil {
		os.Remove(part)
		r.err = copyErr
		return r
	}
	if err := os.Rename(part, final); err != nil {
		r.err = err
	}
	return r
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// writeHashList writes HashList: one row per listed file, in Manifest.db order.
func writeHashList(dest string, files []entry, results []decryptResult) error {
	part := filepath.Join(dest, HashList+PartSuffix)
	f, err := os.Create(part)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"file_id", "name", "status", "encrypted_size", "encrypted_sha256", "decrypted_size", "decrypted_sha256", "error"})
	for i, e := range files {
		r := results[i]
		status := "ok"
		switch {
		case r.missing:
			status = "missing"
		case r.err != nil:
			status = "failed"
		}
		msg := ""
		if r.err != nil {
			msg = r.err.Error()
		}
		row := []string{hex.EncodeToString(e.id[:]), e.name, status, "", r.sumEncrypted, "", r.sumDecrypted, msg}
		if !r.missing {
			row[3], row[5] = strconv.FormatInt(r.cipher, 10), strconv.FormatInt(r.plain, 10)
		}
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(part, filepath.Join(dest, HashList))
}

// writeDecryptedRoot writes the root files, Manifest.db last.
func (b *Backup) writeDecryptedRoot(dest string) error {
	for _, name := range []string{InfoPlist, StatusPlist} {
		if !b.roots[name] {
			continue
		}
		if err := copyFileAtomic(filepath.Join(b.root, name), filepath.Join(dest, name)); err != nil {
			return err
		}
	}
	manifest := maps.Clone(b.Manifest)
	manifest["IsEncrypted"] = false
	delete(manifest, "ManifestKey")
	data, err := plist.Marshal(manifest, plist.BinaryFormat)
	if err != nil {
		return fmt.Errorf("encode Manifest.plist: %w", err)
	}
	part := filepath.Join(dest, ManifestPlist+PartSuffix)
	if err := os.WriteFile(part, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(part, filepath.Join(dest, ManifestPlist)); err != nil {
		return err
	}
	return copyFileAtomic(b.rootPath(ManifestDB), filepath.Join(dest, ManifestDB))
}

// copyFileAtomic copies src to dst through a temporary name.
func copyFileAtomic(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	part := dst + PartSuffix
	out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(part, dst)
}

// UnlockKey derives the key of the encrypted backup at path from its password and
// checks that it unlocks the backup's keybag. The key lets later runs skip the slow
// derivation (a key file).
func UnlockKey(path string, password []byte) ([]byte, error) {
	dir, err := Find(path)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(filepath.Join(dir, ManifestPlist), 64<<20)
	if err != nil {
		return nil, fmt.Errorf("read Manifest.plist: %w", err)
	}
	v, err := plistx.Decode(data, plistx.Limits{MaxBytes: 64 << 20})
	if err != nil {
		return nil, fmt.Errorf("read Manifest.plist: %w", err)
	}
	manifest, ok := plistx.AsMap(v)
	if !ok {
		return nil, errors.New("read Manifest.plist: not a dictionary")
	}
	if enc, _ := plistx.Bool(manifest, "IsEncrypted"); !enc {
		return nil, errors.New("the backup is not encrypted")
	}
	kb, err := keybagOf(manifest)
	if err != nil {
		return nil, err
	}
	return kb.UnlockWithPassword(password)
}
