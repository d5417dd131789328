package detect

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/fixture"
)

// seeds are first bytes of every kind of file Detect meets.
func seeds(f *testing.F) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, name := range []string{"private/var/mobile/x", "apps/com.example/_manifest", "sysdiagnose_x/ps.txt"} {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		tw.Write([]byte("x"))
	}
	tw.Close()
	var gzBuf bytes.Buffer
	zw := gzip.NewWriter(&gzBuf)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	for _, s := range [][]byte{
		nil,
		tarBuf.Bytes(),
		gzBuf.Bytes(),
		fixture.ZipOf(map[string][]byte{"main_entry.txt": []byte("bugreport-x.txt"), "bugreport-x.txt": []byte("== dumpstate: 2026-03-14 10:00:00\n")}, fixture.ZipOptions{}),
		fixture.ZipOf(map[string][]byte{"a/x.txt": []byte(`{"dns_event":{"event_id":0,"event_time":1}}` + "\n")}, fixture.ZipOptions{}),
		[]byte("ANDROID BACKUP\n5\n1\nnone\n\x78\x9c"),
		[]byte("ANDROID BACKUP\n5\n1\nAES-256\nzz\n"),
		[]byte("age-encryption.org/v1\n-> X25519 abc\nxyz\n--- mac\n"),
		[]byte("%PDF-1.7\n"),
		[]byte("\x1b]0;title\x07\xff\xfe"),
	} {
		f.Add(s)
	}
}

// FuzzHead checks the byte sniffing: any first bytes give a description without
// control characters or invalid UTF-8, of bounded length, and never a panic.
func FuzzHead(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, head []byte) {
		head = head[:min(len(head), headBytes)]
		_ = sniffMagic(head)
		_ = fileType(head)
		s := describeFile(head, int64(len(head)))
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("unsafe description %q", s)
		}
		if len(s) > 300 {
			t.Fatalf("description of %d bytes", len(s))
		}
	})
}

// FuzzDetectFile checks Detect on a file of any content: a result or an error, never a
// panic, and a message fit for a terminal.
func FuzzDetectFile(f *testing.F) {
	seeds(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "evidence")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Detect(p)
		var ue *UnknownError
		switch {
		case err == nil:
			if r.Kind == "" || r.Path != p || r.What == "" {
				t.Fatalf("result %+v", r)
			}
			checkText(t, r.What)
		case errors.As(err, &ue):
			checkText(t, ue.Seen)
		}
	})
}

func checkText(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Fatalf("unsafe text %q", s)
	}
}
