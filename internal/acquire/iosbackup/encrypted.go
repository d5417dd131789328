package iosbackup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup/backupcrypto"
	"github.com/spytrace/spytrace/internal/plistx"
)

// Encrypted backups (Manifest.plist IsEncrypted) are read in place: Open unlocks the
// keybag of Manifest.plist with the password (or with a key derived from it earlier),
// decrypts Manifest.db into the backup's private temporary folder, and every file is
// then decrypted while it is read, with its own key from its Manifest.db row. No other
// plaintext is written to disk by this package (SQLite databases are copied, decrypted,
// into a private folder by package sqlitex, as for databases with a write-ahead log).

// ErrWrongPassword is returned by Open when the password (or key) does not unlock the
// backup.
var ErrWrongPassword = backupcrypto.ErrWrongPassword

// ErrNoCredentials is wrapped with ErrEncrypted when an encrypted backup is opened
// without a password or key.
var ErrNoCredentials = errors.New("no password given")

// maxManifestDB bounds the decrypted Manifest.db (real ones are a few hundred MB at
// most).
const maxManifestDB = 8 << 30

// encryption is what an unlocked backup needs to read its files.
type encryption struct {
	keybag *backupcrypto.Keybag
	// manifestDir is the private folder holding the decrypted Manifest.db.
	manifestDir string
}

// Encrypted reports whether the backup is encrypted (and was unlocked).
func (b *Backup) Encrypted() bool { return b.enc != nil }

func keybagOf(manifest map[string]any) (*backupcrypto.Keybag, error) {
	raw := plistx.Bytes(manifest, "BackupKeyBag")
	if len(raw) == 0 {
		return nil, errors.New("Manifest.plist has no BackupKeyBag")
	}
	kb, err := backupcrypto.ParseKeybag(raw)
	if err != nil {
		return nil, fmt.Errorf("Manifest.plist BackupKeyBag: %w", err)
	}
	return kb, nil
}

// unlock opens the keybag with opt's key or password and decrypts Manifest.db into
// b.tmp.
func (b *Backup) unlock(opt Options) error {
	kb, err := keybagOf(b.Manifest)
	if err != nil {
		return err
	}
	key := opt.Key
	if len(key) == 0 {
		if key, err = kb.DeriveKey(opt.Password); err != nil {
			return err
		}
	}
	if err := kb.Unlock(key); err != nil {
		return err
	}
	mk := plistx.Bytes(b.Manifest, "ManifestKey")
	if len(mk) == 0 {
		return errors.New("Manifest.plist has no ManifestKey")
	}
	dbKey, err := kb.UnwrapFileKey(mk)
	if err != nil {
		return fmt.Errorf("Manifest.plist ManifestKey: %w", err)
	}
	dir := filepath.Join(b.tmp, "manifest")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	if err := decryptFile(filepath.Join(b.root, ManifestDB), filepath.Join(dir, ManifestDB), dbKey, -1, maxManifestDB); err != nil {
		return fmt.Errorf("decrypt Manifest.db: %w", err)
	}
	b.enc = &encryption{keybag: kb, manifestDir: dir}
	return nil
}

// decryptFile decrypts src into a new file dst, at most limit bytes.
func decryptFile(src, dst string, key []byte, size, limit int64) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	r, err := backupcrypto.NewDecryptReader(in, key, size)
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	n, err := io.Copy(out, io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("larger than %d bytes", limit)
	}
	return nil
}

// rootPath is where a root file is read from: the decrypted copy of Manifest.db in an
// encrypted backup, the backup folder otherwise.
func (b *Backup) rootPath(name string) string {
	if b.enc != nil && name == ManifestDB {
		return filepath.Join(b.enc.manifestDir, ManifestDB)
	}
	return filepath.Join(b.root, name)
}

// openEncrypted opens a stored file of an encrypted backup for reading its plaintext.
func (b *Backup) openEncrypted(name string, e entry, fi *info) (fs.File, error) {
	md := fi.md
	if md == nil || len(md.EncryptionKey) == 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("no encryption key in its Manifest.db row")}
	}
	key, err := b.enc.keybag.UnwrapFileKey(md.EncryptionKey)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("file key: %w", err)}
	}
	f, err := os.Open(b.storedPath(e))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	r, err := backupcrypto.NewDecryptReader(f, key, md.Size)
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &decrypted{f: f, r: r, name: name, info: fi}, nil
}

// decrypted is an open file of an encrypted backup.
type decrypted struct {
	f    *os.File
	r    io.Reader
	name string
	info fs.FileInfo
}

func (d *decrypted) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *decrypted) Close() error               { return d.f.Close() }

// Read returns the plaintext; a file whose padding or size does not check out ends
// with an error that names it.
func (d *decrypted) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = &fs.PathError{Op: "decrypt", Path: d.name, Err: err}
	}
	return n, err
}
