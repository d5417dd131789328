package apkcert

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
)

// window is a range of the file held in memory.
type window struct {
	off  int64
	data []byte
}

// sparse is an io.ReaderAt over the windows of a file read from its start; a read
// outside them fails with a *MissingError naming the range wanted.
type sparse struct {
	size    int64
	windows []window
}

func (s *sparse) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), s.size-off)
	for _, w := range s.windows {
		if off >= w.off && off+want <= w.off+int64(len(w.data)) {
			n := copy(p[:want], w.data[off-w.off:])
			if int64(n) < int64(len(p)) {
				return n, io.EOF
			}
			return n, nil
		}
	}
	return 0, &MissingError{Off: off, Len: want}
}

// Stream is what FromStream learnt of a file besides its certificate.
type Stream struct {
	// Size is the file's size and SHA256 its hex digest.
	Size   int64
	SHA256 string
}

// FromStream reads the signer certificate of an APK that can only be read from its
// start: open returns a new reader of the whole file each time it is called. The first
// pass hashes the file and keeps its last TailWindow bytes, where the central directory
// and the signing block are; when the JAR signature file lies further back, the file is
// read again up to it (at most a few passes, each keeping at most MaxSignatureFile plus
// a header). The Stream is filled even when no certificate is found.
func FromStream(open func() (io.ReadCloser, error)) (*Cert, Stream, error) {
	var st Stream
	rc, err := open()
	if err != nil {
		return nil, st, err
	}
	h := sha256.New()
	tail, size, err := readTail(rc, h, tailWindow)
	rc.Close()
	if err != nil {
		return nil, st, err
	}
	st.Size, st.SHA256 = size, hex.EncodeToString(h.Sum(nil))
	sp := &sparse{size: size, windows: []window{{off: size - int64(len(tail)), data: tail}}}
	for pass := 0; ; pass++ {
		c, err := FromReaderAt(sp, size)
		me, missing := errors.AsType[*MissingError](err)
		if !missing {
			return c, st, err
		}
		if pass >= maxPasses || me.Len > MaxSignatureFile {
			return nil, st, fmt.Errorf("needs a range of the file too far from its end (%v)", me)
		}
		// Read a generous range: a local header, its name and extra field, and the entry.
		n := min(int64(MaxSignatureFile+1<<16), size-me.Off)
		n = max(n, me.Len)
		w, err := readRange(open, me.Off, n)
		if err != nil {
			return nil, st, err
		}
		sp.windows = append(sp.windows, window{off: me.Off, data: w})
	}
}

// readTail reads r to its end through h and returns its last max bytes and its size;
// it holds at most max bytes (a ring buffer, rotated in place at the end).
func readTail(r io.Reader, h hash.Hash, max int) ([]byte, int64, error) {
	buf := make([]byte, 0, min(max, 64<<10))
	pos, wrapped := 0, false
	chunk := make([]byte, 64<<10)
	var size int64
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			h.Write(chunk[:n])
			size += int64(n)
			p := chunk[:n]
			if len(buf) < max {
				take := min(len(p), max-len(buf))
				buf = append(buf, p[:take]...)
				p = p[take:]
			}
			for len(p) > 0 {
				c := copy(buf[pos:], p)
				p = p[c:]
				pos = (pos + c) % max
				wrapped = true
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
	}
	if wrapped && pos > 0 {
		slices.Reverse(buf[:pos])
		slices.Reverse(buf[pos:])
		slices.Reverse(buf)
	}
	return buf, size, nil
}

// readRange reads n bytes at off of a file read from its start.
func readRange(open func() (io.ReadCloser, error), off, n int64) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if _, err := io.CopyN(io.Discard, rc, off); err != nil {
		return nil, fmt.Errorf("skip to %d: %w", off, err)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
	}
	return buf, nil
}

// tailWindow is TailWindow, lowered by tests.
var tailWindow = TailWindow
