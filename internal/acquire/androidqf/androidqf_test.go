package androidqf_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/androidqf"
	"github.com/spytrace/spytrace/internal/fixture"
)

var collection = map[string][]byte{
	"acquisition.json": []byte(`{"uuid":"5c2e0a3e-8d1f-4b55-9a7e-0b5f7c1d2e3f","androidqf_version":"v1.8.2","started":"2026-03-14T09:26:53Z","completed":"2026-03-14T09:41:02Z","streaming_mode":true}`),
	"getprop.txt":      []byte("[persist.sys.timezone]: [Europe/Berlin]\n"),
	"packages.json":    []byte(`[]`),
	"logs/data/anr/x":  []byte("anr"),
}

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func encrypt(t *testing.T, plain []byte, r age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func check(t *testing.T, c *androidqf.Collection, format androidqf.Format) {
	t.Helper()
	if c.Kind() != acquire.AndroidQF || c.Format() != format {
		t.Errorf("kind %v format %v", c.Kind(), c.Format())
	}
	got, err := fs.ReadFile(c, "getprop.txt")
	if err != nil || string(got) != string(collection["getprop.txt"]) {
		t.Errorf("getprop.txt = %q, %v", got, err)
	}
	a := c.Acquisition()
	if a == nil || a.UUID != "5c2e0a3e-8d1f-4b55-9a7e-0b5f7c1d2e3f" || a.Started.Format("2006-01-02T15:04:05Z07:00") != "2026-03-14T09:26:53Z" || !a.StreamingMode {
		t.Errorf("acquisition.json = %+v", a)
	}
}

func hash(t *testing.T, p string) [32]byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// TestLayouts opens the same collection as a folder, a zip with a top folder, and
// age-encrypted zips (to a key and to a passphrase), without writing plaintext.
func TestLayouts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, data := range collection {
		p := filepath.Join(dir, "androidqf_5c2e", filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	c, err := androidqf.Open(ctx, dir, androidqf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, androidqf.FormatFolder)
	c.Close()

	zipped := fixture.ZipOf(collection, fixture.ZipOptions{Top: "androidqf_5c2e"})
	c, err = androidqf.Open(ctx, write(t, "c.zip", zipped), androidqf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, androidqf.FormatZip)
	c.Close()

	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	enc := write(t, "c.zip.age", encrypt(t, fixture.ZipOf(collection, fixture.ZipOptions{}), id.Recipient()))
	before := hash(t, enc)
	if typ, err := androidqf.Encryption(enc); err != nil || typ != "X25519" {
		t.Errorf("Encryption = %q, %v", typ, err)
	}
	if _, err := androidqf.Open(ctx, enc, androidqf.Options{}); !errors.Is(err, androidqf.ErrIdentityNeeded) {
		t.Errorf("no identity: %v", err)
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := androidqf.Open(ctx, enc, androidqf.Options{Identities: []age.Identity{other}}); !errors.Is(err, androidqf.ErrWrongKey) {
		t.Errorf("wrong identity: %v", err)
	}
	c, err = androidqf.Open(ctx, enc, androidqf.Options{Identities: []age.Identity{other, id}})
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, androidqf.FormatAgeKey)
	c.Close()
	if hash(t, enc) != before {
		t.Error("the evidence changed")
	}

	rcp, err := age.NewScryptRecipient("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	rcp.SetWorkFactor(10)
	enc = write(t, "bugbane.zip.age", encrypt(t, fixture.ZipOf(collection, fixture.ZipOptions{}), rcp))
	if _, err := androidqf.Open(ctx, enc, androidqf.Options{}); !errors.Is(err, androidqf.ErrPassphraseNeeded) {
		t.Errorf("no passphrase: %v", err)
	}
	if _, err := androidqf.Open(ctx, enc, androidqf.Options{Passphrase: "wrong"}); !errors.Is(err, androidqf.ErrWrongKey) {
		t.Errorf("wrong passphrase: %v", err)
	}
	c, err = androidqf.Open(ctx, enc, androidqf.Options{Passphrase: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, androidqf.FormatAgeScrypt)
	c.Close()
}

// TestDamaged checks a truncated age file, a collection without acquisition.json and
// garbage input.
func TestDamaged(t *testing.T) {
	ctx := context.Background()
	id, _ := age.GenerateX25519Identity()
	enc := encrypt(t, fixture.ZipOf(collection, fixture.ZipOptions{}), id.Recipient())
	if _, err := androidqf.Open(ctx, write(t, "cut.age", enc[:len(enc)-100]), androidqf.Options{Identities: []age.Identity{id}}); err == nil {
		t.Error("a truncated age file opened")
	}
	files := map[string][]byte{"getprop.txt": collection["getprop.txt"]}
	c, err := androidqf.Open(ctx, write(t, "noacq.zip", fixture.ZipOf(files, fixture.ZipOptions{})), androidqf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Acquisition() != nil || len(c.Problems()) == 0 || c.Problems()[len(c.Problems())-1].Kind != "acquisition_json" {
		t.Errorf("acquisition %v problems %v", c.Acquisition(), c.Problems())
	}
	if _, err := androidqf.Open(ctx, write(t, "junk", []byte("age-encryption.org/v1\n--- x\n")), androidqf.Options{}); err == nil {
		t.Error("an age header without recipients opened")
	}
	if _, err := androidqf.Open(ctx, write(t, "junk2", bytes.Repeat([]byte("x"), 100)), androidqf.Options{}); err == nil {
		t.Error("garbage opened")
	}
}
