package iosbackup_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/fixture"
)

const password = "correct horse battery staple"

func writeEncrypted(t *testing.T, opts fixture.EncryptOptions) (*fixture.Backup, string) {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	b.AddFile("HomeDomain", "Library/Preferences/a.plist", []byte("seventeen bytes!!"))
	b.AddFile("HomeDomain", "Library/Preferences/empty", nil)
	b.AddFile("MediaDomain", "Media/big.bin", bytes.Repeat([]byte("0123456789abcdef"), 40000))
	b.AddDir("HomeDomain", "Library/Notes")
	dir := filepath.Join(t.TempDir(), "enc")
	if err := b.WriteEncrypted(dir, password, opts); err != nil {
		t.Fatal(err)
	}
	return b, dir
}

func TestEncryptedOpen(t *testing.T) {
	fast := fixture.EncryptOptions{DPIC: 100, ITER: 10}
	b, dir := writeEncrypted(t, fast)
	ctx := context.Background()

	_, err := iosbackup.Open(ctx, dir, iosbackup.Options{TempDir: t.TempDir()})
	if !errors.Is(err, iosbackup.ErrEncrypted) || !errors.Is(err, iosbackup.ErrNoCredentials) {
		t.Fatalf("without a password: %v", err)
	}
	_, err = iosbackup.Open(ctx, dir, iosbackup.Options{TempDir: t.TempDir(), Password: []byte("wrong")})
	if !errors.Is(err, iosbackup.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	key, err := iosbackup.UnlockKey(dir, []byte(password))
	if err != nil || len(key) != 32 {
		t.Fatalf("UnlockKey: %v", err)
	}
	for name, opt := range map[string]iosbackup.Options{"password": {Password: []byte(password)}, "key": {Key: key}} {
		t.Run(name, func(t *testing.T) {
			opt.TempDir = t.TempDir()
			bk, err := iosbackup.Open(ctx, dir, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer bk.Close()
			if !bk.Encrypted() {
				t.Error("Encrypted() is false")
			}
			for _, f := range b.Files {
				if f.Flags != 1 {
					continue
				}
				name := f.Domain + "/" + f.RelativePath
				got, err := fs.ReadFile(bk, name)
				if err != nil || !bytes.Equal(got, f.Content) {
					t.Errorf("%s: %d bytes, %v; want its %d plain bytes", name, len(got), err, len(f.Content))
				}
				fi, err := fs.Stat(bk, name)
				if err != nil || fi.Size() != int64(len(f.Content)) {
					t.Errorf("%s: size %v, %v; want the plain size %d", name, fi, err, len(f.Content))
				}
				if _, err := bk.LocalPath(name); !errors.Is(err, errors.ErrUnsupported) {
					t.Errorf("LocalPath(%s) = %v: ciphertext must not be handed out as the file", name, err)
				}
			}
			// Manifest.db is served decrypted.
			db, err := fs.ReadFile(bk, "Manifest.db")
			if err != nil || !bytes.HasPrefix(db, []byte("SQLite format 3\x00")) {
				t.Errorf("Manifest.db: %v", err)
			}
		})
	}
}

func TestEncryptedDamagedFileIsNamed(t *testing.T) {
	_, dir := writeEncrypted(t, fixture.EncryptOptions{DPIC: 100, ITER: 10})
	id := fixture.FileID("MediaDomain", "Media/big.bin")
	p := filepath.Join(dir, id[:2], id)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, data[:len(data)-16], 0o644) // one block short: the padding is gone
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir(), Password: []byte(password)})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	f, err := bk.Open("MediaDomain/Media/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "MediaDomain/Media/big.bin" {
		t.Errorf("read of a damaged file: %v, want an error naming it", err)
	}
}

func TestDecryptToNeedsAnEncryptedBackup(t *testing.T) {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	dir := filepath.Join(t.TempDir(), "plain")
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	if bk.Encrypted() {
		t.Error("a plain backup says it is encrypted")
	}
	if _, err := bk.DecryptTo(context.Background(), t.TempDir(), 1, nil); err == nil {
		t.Error("DecryptTo of a plain backup succeeded")
	}
	if _, err := iosbackup.UnlockKey(dir, []byte(password)); err == nil {
		t.Error("UnlockKey of a plain backup succeeded")
	}
}
