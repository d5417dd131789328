package androidbackup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/fixture"
)

var (
	now     = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)
	smsGlob = []string{
		"apps/com.android.providers.telephony/d_f/*_sms_backup",
		"apps/com.android.providers.telephony/d_f/*_mms_backup",
	}
)

// sampleSpec is a backup with the telephony agent's files and a few other entries.
func sampleSpec(version int, compressed bool, password string) fixture.AndroidBackupSpec {
	return fixture.AndroidBackupSpec{
		Version: version, Compressed: compressed, Password: password, Seed: uint64(version),
		Files: []fixture.AndroidBackupFile{
			{Name: "apps/com.android.providers.telephony/_manifest", Data: []byte("1\ncom.android.providers.telephony\n29\n10\n")},
			{Name: "apps/com.example.notes/db/notes.db", Data: bytes.Repeat([]byte("notes"), 300)},
			{Name: "apps/com.example.notes/f/link", Typeflag: tar.TypeSymlink, Linkname: "/data/data/other"},
		},
		SMS: fixture.SampleAndroidSMS(now, 40, 7),
	}
}

func readBytes(t *testing.T, data []byte, opt Options) *Backup {
	t.Helper()
	b, err := Read(context.Background(), bytes.NewReader(data), opt)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	passwords := []string{"", "1234", "pässwörd €"}
	for version := 1; version <= 5; version++ {
		for _, compressed := range []bool{false, true} {
			for _, pw := range passwords {
				t.Run(fmt.Sprintf("v%d/compressed=%v/password=%q", version, compressed, pw), func(t *testing.T) {
					spec := sampleSpec(version, compressed, pw)
					data, err := fixture.AndroidBackupBytes(spec)
					if err != nil {
						t.Fatal(err)
					}
					b := readBytes(t, data, Options{Password: pw, Want: smsGlob})
					h := b.Header()
					if h.Version != version || h.Compressed != compressed || (h.Encryption == EncryptionAES256) != (pw != "") {
						t.Errorf("header = %+v", h)
					}
					if b.Format() != FormatAB || b.Kind() != acquire.AndroidBackup || b.Truncated() || len(b.Problems()) != 0 {
						t.Errorf("format %s kind %s truncated %v problems %v", b.Format(), b.Kind(), b.Truncated(), b.Problems())
					}
					want, err := fixture.AndroidSMSFiles(spec.SMS)
					if err != nil {
						t.Fatal(err)
					}
					if len(want) < 2 {
						t.Fatalf("the sample has %d telephony files, want SMS and MMS files", len(want))
					}
					for _, f := range want {
						got, err := fs.ReadFile(b, f.Name)
						if err != nil || !bytes.Equal(got, f.Data) {
							t.Errorf("%s: %d bytes, err %v; want %d bytes", f.Name, len(got), err, len(f.Data))
						}
					}
					matches, err := fs.Glob(b, smsGlob[0])
					if err != nil || len(matches) == 0 {
						t.Errorf("Glob(%s) = %v, %v", smsGlob[0], matches, err)
					}
					// Listed but not kept.
					fi, err := b.Stat("apps/com.example.notes/db/notes.db")
					if err != nil || fi.Size() != 1500 {
						t.Errorf("Stat notes.db = %v, %v", fi, err)
					}
					if _, err := b.Open("apps/com.example.notes/db/notes.db"); !errors.Is(err, ErrNotRetained) || !strings.Contains(err.Error(), "Options.Want") {
						t.Errorf("open of an entry not wanted: %v", err)
					}
					if _, err := b.Open("apps/com.example.notes/f/link"); !errors.Is(err, ErrSymlink) {
						t.Errorf("open of a link: %v", err)
					}
				})
			}
		}
	}
}

func TestWrongPassword(t *testing.T) {
	for _, version := range []int{1, 2, 5} {
		data, err := fixture.AndroidBackupBytes(sampleSpec(version, true, "correct horse"))
		if err != nil {
			t.Fatal(err)
		}
		for _, pw := range []string{"wrong horse", "Correct horse", "correct horse "} {
			_, err := Read(context.Background(), bytes.NewReader(data), Options{Password: pw})
			if !errors.Is(err, ErrWrongPassword) {
				t.Errorf("v%d password %q: err = %v, want ErrWrongPassword", version, pw, err)
			}
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Errorf("the error quotes the password: %v", err)
			}
		}
		if _, err := Read(context.Background(), bytes.NewReader(data), Options{}); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("v%d no password: err = %v", version, err)
		}
	}
}

// rewriteBlob decrypts an .ab's master key blob with password, lets edit change it,
// and writes it back encrypted.
func rewriteBlob(t *testing.T, data []byte, password string, edit func(blob []byte) []byte) []byte {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(data))
	h, err := ReadHeader(br)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := io.ReadAll(br)
	key, err := pbkdf2.Key(sha1.New, password, h.UserSalt, h.Rounds, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	blob := make([]byte, len(h.MasterKeyBlob))
	cipher.NewCBCDecrypter(block, h.UserIV).CryptBlocks(blob, h.MasterKeyBlob)
	blob, err = unpad(blob)
	if err != nil {
		t.Fatal(err)
	}
	blob = edit(blob)
	pad := aes.BlockSize - len(blob)%aes.BlockSize
	blob = append(blob, bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, h.UserIV).CryptBlocks(blob, blob)
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s%d\n1\nAES-256\n%x\n%x\n%d\n%x\n%x\n", Magic, h.Version, h.UserSalt, h.ChecksumSalt, h.Rounds, h.UserIV, blob)
	out.Write(payload)
	return out.Bytes()
}

func TestBadChecksum(t *testing.T) {
	data, err := fixture.AndroidBackupBytes(sampleSpec(5, true, "1234"))
	if err != nil {
		t.Fatal(err)
	}
	// The untouched blob opens: the rewrite itself is sound.
	same := rewriteBlob(t, data, "1234", func(b []byte) []byte { return b })
	readBytes(t, same, Options{Password: "1234"})
	cases := map[string]func([]byte) []byte{
		"checksum byte flipped": func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"key byte flipped":      func(b []byte) []byte { b[20] ^= 0x80; return b },
		"short key":             func(b []byte) []byte { b[17] = 16; return b },
		"lengths past the end":  func(b []byte) []byte { b[0] = 120; return b },
		"negative length":       func(b []byte) []byte { b[0] = 0xF0; return b },
		"empty":                 func([]byte) []byte { return nil },
	}
	for name, edit := range cases {
		bad := rewriteBlob(t, data, "1234", edit)
		if _, err := Read(context.Background(), bytes.NewReader(bad), Options{Password: "1234"}); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s: err = %v, want ErrWrongPassword", name, err)
		}
	}
}

// TestKeyChecksumInput compares the reader's Java char→UTF-8 quirk with the fixture's
// independent copy through a whole backup of version 2 and by value.
func TestKeyChecksumInput(t *testing.T) {
	key := make([]byte, 256)
	for i := range key {
		key[i] = byte(i)
	}
	got := KeyChecksumInput(key, true)
	var want []byte
	for _, b := range key {
		want = append(want, []byte(string(rune(int8(b))&0xFFFF))...)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("KeyChecksumInput = %x\nwant %x", got, want)
	}
	if hex.EncodeToString(KeyChecksumInput([]byte{0x41, 0x80, 0xff}, true)) != "41efbe80efbfbf" {
		t.Errorf("KeyChecksumInput(41 80 ff) = %x", KeyChecksumInput([]byte{0x41, 0x80, 0xff}, true))
	}
	if !bytes.Equal(KeyChecksumInput(key, false), key) {
		t.Error("version 1 must use the key bytes as they are")
	}
}

func TestNotABackup(t *testing.T) {
	cases := map[string]struct {
		data string
		want error
	}{
		"empty":              {"", ErrNotBackup},
		"text":               {"hello world\n", ErrNotBackup},
		"zip":                {"PK\x03\x04" + strings.Repeat("\x00", 600), ErrNotBackup},
		"magic only":         {"ANDROID BACKUP\n", ErrCorrupt},
		"lower-case magic":   {"android backup\n5\n0\nnone\n", ErrNotBackup},
		"version 6":          {"ANDROID BACKUP\n6\n0\nnone\n", ErrUnsupported},
		"version 0":          {"ANDROID BACKUP\n0\n0\nnone\n", ErrCorrupt},
		"version text":       {"ANDROID BACKUP\nfive\n0\nnone\n", ErrCorrupt},
		"compression 2":      {"ANDROID BACKUP\n5\n2\nnone\n", ErrCorrupt},
		"AES-128":            {"ANDROID BACKUP\n5\n0\nAES-128\n", ErrUnsupported},
		"no payload":         {"ANDROID BACKUP\n5\n0\nnone\n", ErrCorrupt},
		"garbage payload":    {"ANDROID BACKUP\n5\n0\nnone\n" + strings.Repeat("x", 2000), ErrCorrupt},
		"not zlib":           {"ANDROID BACKUP\n5\n1\nnone\n" + strings.Repeat("x", 2000), ErrCorrupt},
		"huge rounds":        {"ANDROID BACKUP\n5\n1\nAES-256\naa\nbb\n999999999\n" + strings.Repeat("00", 16) + "\n" + strings.Repeat("00", 16) + "\n", ErrCorrupt},
		"bad salt":           {"ANDROID BACKUP\n5\n1\nAES-256\nzz\n", ErrCorrupt},
		"short IV":           {"ANDROID BACKUP\n5\n1\nAES-256\naa\nbb\n10\n00\n", ErrCorrupt},
		"blob not in blocks": {"ANDROID BACKUP\n5\n1\nAES-256\naa\nbb\n10\n" + strings.Repeat("00", 16) + "\n0000\n", ErrCorrupt},
		"endless line":       {"ANDROID BACKUP\n" + strings.Repeat("5", 5000), ErrCorrupt},
	}
	for name, c := range cases {
		_, err := Read(context.Background(), strings.NewReader(c.data), Options{Password: "x"})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
	dir := t.TempDir()
	if _, err := Open(context.Background(), dir, Options{}); !errors.Is(err, ErrNotBackup) {
		t.Errorf("folder without apps/: %v", err)
	}
	p := filepath.Join(dir, "x.ab")
	os.WriteFile(p, []byte("not a backup"), 0o644)
	if _, err := Open(context.Background(), p, Options{}); !errors.Is(err, ErrNotBackup) {
		t.Errorf("text file: %v", err)
	}
}

// TestTruncated cuts backups at many places: opening either fails with ErrCorrupt
// or serves what came before the cut, marked truncated.
func TestTruncated(t *testing.T) {
	for _, c := range []struct {
		compressed bool
		pw         string
	}{{false, ""}, {true, ""}, {false, "1234"}, {true, "1234"}} {
		spec := sampleSpec(5, c.compressed, c.pw)
		spec.Files = append(spec.Files, fixture.AndroidBackupFile{Name: "apps/com.example.big/f/blob", Data: bytes.Repeat([]byte("0123456789abcdef"), 8192)})
		data, err := fixture.AndroidBackupBytes(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{len(data) - 1, len(data) - 17, len(data) * 3 / 4, len(data) / 2, 600, 100, 20} {
			b, err := Read(context.Background(), bytes.NewReader(data[:cut]), Options{Password: c.pw, Want: []string{"apps/*/*", "apps/*/*/*"}})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Errorf("compressed=%v pw=%q cut %d/%d: err = %v, want ErrCorrupt", c.compressed, c.pw, cut, len(data), err)
				}
				continue
			}
			if !b.Truncated() && !hasProblem(b, "corrupt_archive") {
				t.Errorf("compressed=%v pw=%q cut %d/%d: neither truncated nor a problem: %v", c.compressed, c.pw, cut, len(data), b.Problems())
			}
			if got, err := fs.ReadFile(b, "apps/com.android.providers.telephony/_manifest"); err != nil || len(got) == 0 {
				t.Errorf("compressed=%v pw=%q cut %d/%d: the first entry is not served: %v", c.compressed, c.pw, cut, len(data), err)
			}
		}
	}
}

func hasProblem(b *Backup, kind string) bool {
	for _, p := range b.Problems() {
		if p.Kind == kind {
			return true
		}
	}
	return false
}

func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte{0}, 8<<20)
	spec := fixture.AndroidBackupSpec{Compressed: true, Files: []fixture.AndroidBackupFile{
		{Name: "apps/a/f/small", Data: []byte("small")},
		{Name: "apps/a/f/zeros", Data: big},
		{Name: "apps/a/f/after", Data: []byte("after")},
	}}
	data, err := fixture.AndroidBackupBytes(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ratio", func(t *testing.T) {
		old := ratioFloor
		ratioFloor = 1 << 20
		defer func() { ratioFloor = old }()
		b := readBytes(t, data, Options{Want: []string{"apps/a/f/*"}, MaxFileBytes: 1 << 10})
		if !b.Truncated() || !hasProblem(b, "limit_reached") {
			t.Errorf("an inflation ratio of %d:1 was not stopped: %v", len(big)/len(data), b.Problems())
		}
		if got, err := fs.ReadFile(b, "apps/a/f/small"); string(got) != "small" {
			t.Errorf("small = %q, %v", got, err)
		}
		if _, err := b.Stat("apps/a/f/after"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("an entry after the limit is served: %v", err)
		}
	})
	t.Run("per file", func(t *testing.T) {
		b := readBytes(t, data, Options{Want: []string{"apps/a/f/*"}, MaxFileBytes: 1 << 20})
		if _, err := b.Open("apps/a/f/zeros"); !errors.Is(err, ErrNotRetained) || !strings.Contains(err.Error(), "MaxFileBytes") {
			t.Errorf("zeros: %v", err)
		}
		if got, _ := fs.ReadFile(b, "apps/a/f/after"); string(got) != "after" {
			t.Errorf("after = %q", got)
		}
	})
	t.Run("total", func(t *testing.T) {
		b := readBytes(t, data, Options{Want: []string{"apps/a/f/*"}, MaxTotalBytes: 8<<20 + 5})
		if _, err := fs.ReadFile(b, "apps/a/f/zeros"); err != nil {
			t.Errorf("zeros: %v", err)
		}
		if _, err := b.Open("apps/a/f/after"); !errors.Is(err, ErrNotRetained) || !hasProblem(b, "limit_reached") {
			t.Errorf("after: %v, problems %v", err, b.Problems())
		}
	})
	t.Run("entries", func(t *testing.T) {
		b := readBytes(t, data, Options{MaxEntries: 2})
		if !b.Truncated() {
			t.Error("not truncated")
		}
		if _, err := b.Stat("apps/a/f/after"); err == nil {
			t.Error("the third entry is served")
		}
	})
}

func TestUnsafeNames(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"../evil", "apps/x/../../evil", "/apps/abs/ok", "./apps/dot/ok", "apps/bad\xff", "apps/a/f/dup", "apps/a/f/dup", "apps/file", "apps/file/under"} {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: 2, Mode: 0o600, Format: tar.FormatPAX})
		tw.Write([]byte("ok"))
	}
	tw.Close()
	data, err := fixture.AndroidBackupWrap(fixture.AndroidBackupSpec{}, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b := readBytes(t, data, Options{Want: []string{"apps/*/*"}})
	kinds := map[string]int{}
	for _, p := range b.Problems() {
		kinds[p.Kind]++
	}
	if kinds["unsafe_path"] != 3 || kinds["duplicate_name"] != 1 || kinds["not_a_directory"] != 1 {
		t.Errorf("problems = %v", b.Problems())
	}
	for _, name := range []string{"apps/abs/ok", "apps/dot/ok"} {
		if got, err := fs.ReadFile(b, name); string(got) != "ok" {
			t.Errorf("%s = %q, %v", name, got, err)
		}
	}
	if _, err := b.Stat("evil"); err == nil {
		t.Error("an escaping name is served")
	}
}

func TestPlainTar(t *testing.T) {
	spec := sampleSpec(5, false, "")
	tarData, err := fixture.AndroidBackupTar(spec)
	if err != nil {
		t.Fatal(err)
	}
	b := readBytes(t, tarData, Options{Want: smsGlob})
	if b.Format() != FormatTar || b.Header() != nil {
		t.Errorf("format %s header %v", b.Format(), b.Header())
	}
	if m, _ := fs.Glob(b, smsGlob[1]); len(m) == 0 {
		t.Error("no MMS file in the tar")
	}
}

func TestFolder(t *testing.T) {
	dir := t.TempDir()
	spec := sampleSpec(5, false, "")
	if err := fixture.WriteAndroidBackupFolder(dir, spec); err != nil {
		t.Fatal(err)
	}
	func() {
		b, err := Open(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		files, _ := fixture.AndroidSMSFiles(spec.SMS)
		if err := fstest.TestFS(b, files[0].Name); err != nil {
			t.Error(err)
		}
	}()
	os.MkdirAll(filepath.Join(dir, "apps", "com.example.notes", "f"), 0o755)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "apps", "com.example.notes", "f", "escape")); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Format() != FormatFolder || b.Root() != dir {
		t.Errorf("format %s root %s", b.Format(), b.Root())
	}
	want, _ := fixture.AndroidSMSFiles(spec.SMS)
	for _, f := range want {
		if got, err := fs.ReadFile(b, f.Name); err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
	if p, err := b.LocalPath(want[0].Name); err != nil || p != filepath.Join(dir, filepath.FromSlash(want[0].Name)) {
		t.Errorf("LocalPath = %q, %v", p, err)
	}
	if _, err := b.Open("apps/com.example.notes/f/escape"); !errors.Is(err, ErrSymlink) {
		t.Errorf("open of a link: %v", err)
	}
	if fi, err := b.Stat("apps/com.example.notes/f/escape"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("stat of a link: %v, %v", fi, err)
	}
}

func TestFS(t *testing.T) {
	spec := sampleSpec(5, true, "")
	spec.Files = spec.Files[:2]
	data, err := fixture.AndroidBackupBytes(spec)
	if err != nil {
		t.Fatal(err)
	}
	b := readBytes(t, data, Options{Want: []string{"apps/*/*", "apps/*/*/*"}})
	if err := fstest.TestFS(b, "apps/com.android.providers.telephony/_manifest", "apps/com.example.notes/db/notes.db"); err != nil {
		t.Error(err)
	}
}

func FuzzReadHeader(f *testing.F) {
	for _, s := range []string{
		"ANDROID BACKUP\n5\n1\nnone\n",
		"ANDROID BACKUP\n1\n0\nAES-256\naa\nbb\n10000\n" + strings.Repeat("00", 16) + "\n" + strings.Repeat("00", 48) + "\n",
		"ANDROID BACKUP\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		if h.Version < 1 || h.Version > MaxVersion {
			t.Fatalf("version %d accepted", h.Version)
		}
		if h.Encryption == EncryptionAES256 && (len(h.UserIV) != 16 || len(h.MasterKeyBlob)%16 != 0 || h.Rounds < 1 || h.Rounds > maxRounds) {
			t.Fatalf("bad AES header accepted: %+v", h)
		}
	})
}

func FuzzRead(f *testing.F) {
	for _, spec := range []fixture.AndroidBackupSpec{
		{Compressed: true, Files: []fixture.AndroidBackupFile{{Name: "apps/a/f/x", Data: []byte("x")}}},
		{Files: []fixture.AndroidBackupFile{{Name: "apps/a/f/x", Data: []byte("x")}}},
		{Compressed: true, Password: "pw", Rounds: 2, Files: []fixture.AndroidBackupFile{{Name: "apps/a/f/x", Data: []byte("x")}}},
		{Version: 1, Password: "pw", Rounds: 2, Files: []fixture.AndroidBackupFile{{Name: "apps/a/f/x", Data: []byte("x")}}},
	} {
		data, err := fixture.AndroidBackupBytes(spec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Keep PBKDF2 cheap: hostile round counts are capped, but not this low.
		if i := bytes.Index(data, []byte("AES-256\n")); i >= 0 {
			if n := bytes.Count(data[i:min(len(data), i+400)], []byte("\n")); n >= 4 {
				parts := bytes.SplitN(data[i:], []byte("\n"), 5)
				if len(parts[3]) > 2 {
					return
				}
			}
		}
		b, err := Read(context.Background(), bytes.NewReader(data), Options{Password: "pw", Want: []string{"apps/*/*/*"}, MaxFileBytes: 1 << 16, MaxTotalBytes: 1 << 20, MaxEntries: 1000})
		if err != nil {
			return
		}
		fs.WalkDir(b, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				fs.ReadFile(b, name)
			}
			return nil
		})
		b.Close()
	})
}
