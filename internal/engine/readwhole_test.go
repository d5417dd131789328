package engine

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"
)

// sizedFile is a file whose Stat announces size and mode and whose reads give content
// (nil: a read fails the test, for files that must not be read).
type sizedFile struct {
	t       *testing.T
	size    int64
	mode    fs.FileMode
	content io.Reader
}

func (f *sizedFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *sizedFile) Close() error               { return nil }
func (f *sizedFile) Read(p []byte) (int, error) {
	if f.content == nil {
		f.t.Fatal("the file was read")
	}
	return f.content.Read(p)
}

// fs.FileInfo of the file itself.
func (f *sizedFile) Name() string       { return "f" }
func (f *sizedFile) Size() int64        { return f.size }
func (f *sizedFile) Mode() fs.FileMode  { return f.mode }
func (f *sizedFile) ModTime() time.Time { return time.Time{} }
func (f *sizedFile) IsDir() bool        { return false }
func (f *sizedFile) Sys() any           { return nil }

// TestReadWhole: a file is read into a buffer of its announced size, not read at all
// when that size is over the limit, and read to its end (up to the limit) when its
// size is unknown or its content longer than announced.
func TestReadWhole(t *testing.T) {
	const limit = 100
	file := func(size int64, mode fs.FileMode, content string) *sizedFile {
		return &sizedFile{t: t, size: size, mode: mode, content: strings.NewReader(content)}
	}
	long := strings.Repeat("x", 3*limit)
	for _, tc := range []struct {
		name     string
		file     *sizedFile
		want     string
		tooLarge bool
		err      error
	}{
		{name: "under the limit", file: file(5, 0, "hello"), want: "hello"},
		{name: "empty", file: file(0, 0, ""), want: ""},
		{name: "over the limit: not read", file: &sizedFile{t: t, size: limit + 1}, tooLarge: true},
		{name: "shorter than announced", file: file(10, 0, "short"), err: io.ErrUnexpectedEOF},
		{name: "longer than announced", file: file(2, 0, "longer"), want: "longer"},
		{name: "longer than announced and the limit", file: file(2, 0, long), tooLarge: true},
		{name: "a pipe, under the limit", file: file(0, fs.ModeNamedPipe, "piped"), want: "piped"},
		{name: "a device, over the limit", file: file(0, fs.ModeDevice, long), tooLarge: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, tooLarge, err := readWhole(tc.file, limit)
			if !errors.Is(err, tc.err) || tooLarge != tc.tooLarge {
				t.Fatalf("tooLarge %v, err %v; want %v, %v", tooLarge, err, tc.tooLarge, tc.err)
			}
			if !tc.tooLarge && tc.err == nil && string(data) != tc.want {
				t.Errorf("read %q, want %q", data, tc.want)
			}
			if !tc.tooLarge && tc.err == nil && cap(data) != len(tc.want) && tc.file.mode.IsRegular() && int(tc.file.size) == len(tc.want) {
				t.Errorf("buffer of %d bytes for %d", cap(data), len(tc.want))
			}
		})
	}
}
