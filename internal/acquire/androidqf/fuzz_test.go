package androidqf_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/spytrace/spytrace/internal/acquire/androidqf"
	"github.com/spytrace/spytrace/internal/acquire/archive"
	"github.com/spytrace/spytrace/internal/fixture"
)

// FuzzOpen opens arbitrary bytes as an androidqf collection file — a zip, or an age
// file encrypted to a key the test holds — and reads everything in it within small
// limits: nothing may panic, the age header is read within its bound, acquisition.json
// is read or reported, and the walk stays within the archive's limits.
func FuzzOpen(f *testing.F) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	plain := fixture.ZipOf(collection, fixture.ZipOptions{})
	f.Add(plain)
	f.Add(fixture.ZipOf(collection, fixture.ZipOptions{Top: "androidqf_5c2e0a3e", Dirs: true}))
	f.Add(fixture.ZipOf(map[string][]byte{"acquisition.json": []byte(`{"started": "not a time", "uuid": 1}`)}, fixture.ZipOptions{}))
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, id.Recipient())
	if err != nil {
		f.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("age-encryption.org/v1\n-> scrypt c2FsdA 30\nAAAA\n--- x\n"))
	dir := f.TempDir()
	lim := archive.Options{MaxEntries: 200, MaxFileBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxNestedBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "collection.zip")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		androidqf.Encryption(p)
		c, err := androidqf.Open(context.Background(), p, androidqf.Options{Identities: []age.Identity{id}, Archive: lim})
		if err != nil {
			return
		}
		defer c.Close()
		if c.Acquisition() == nil && len(c.Problems()) == 0 {
			t.Fatal("no acquisition.json and no problem said")
		}
		androidqf.Sniff(c)
		walked := 0
		fs.WalkDir(c, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			walked++
			if d.Type().IsRegular() {
				if f, err := c.Open(name); err == nil {
					io.Copy(io.Discard, f)
					f.Close()
				}
			}
			return nil
		})
		if walked > 4*lim.MaxEntries || c.BytesRead() > lim.MaxTotalBytes {
			t.Fatalf("%d entries walked, %d bytes read", walked, c.BytesRead())
		}
	})
}
