package archive

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
)

// zipFile is an open compressed entry of a zip, read through archive/zip (which checks
// the CRC-32 and the declared size), within the limits of Options.
type zipFile struct {
	a        *FS
	name     string
	info     *fileInfo
	f        *zip.File
	declared int64 // bytes to serve at most
	rc       io.ReadCloser
	n        int64 // bytes served by Read
	err      error // sticky
	closed   bool

	// stored entries
	crc      hash.Hash32
	seq      bool // Read only, from 0: the CRC-32 can be checked at the end
	mismatch bool // sizes disagree: no CRC-32 check
}

func (f *zipFile) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *zipFile) Close() error {
	if f.closed {
		return fs.ErrClosed
	}
	f.closed = true
	if f.rc != nil {
		return f.rc.Close()
	}
	return nil
}

func (f *zipFile) pathErr(err error) error { return &fs.PathError{Op: "read", Path: f.name, Err: err} }

// limitErr records a limit reached and returns the error of the read.
func (f *zipFile) limitErr(key, msg string) error {
	f.a.mu.Lock()
	f.a.truncated = true
	f.a.mu.Unlock()
	if key != "total" {
		key += ":" + f.name
	}
	f.a.problemOnce(key, "limit_reached", f.name, msg)
	return f.pathErr(fmt.Errorf("%w: %s", ErrLimit, msg))
}

// room returns how many bytes of a read of want bytes at pos may be served.
func (f *zipFile) room(want int, pos int64) (int, error) {
	o := &f.a.opt
	if pos >= o.MaxFileBytes && pos < f.declared {
		return 0, f.limitErr("file", fmt.Sprintf("the file is larger than %d bytes (Options.MaxFileBytes); only its first %d bytes are served", o.MaxFileBytes, o.MaxFileBytes))
	}
	used := f.a.budget.used.Load()
	if used >= f.a.budget.max {
		return 0, f.limitErr("total", fmt.Sprintf("more than %d bytes were read from the evidence (Options.MaxTotalBytes); no more are served", f.a.budget.max))
	}
	return int(min(int64(want), f.declared-pos, o.MaxFileBytes-pos, f.a.budget.max-used)), nil
}

// account counts k bytes served, ending at pos, and checks the ratio of a compressed
// entry.
func (f *zipFile) account(k int, pos int64) error {
	f.a.budget.used.Add(int64(k))
	o := &f.a.opt
	if f.rc != nil && pos > RatioFloor && uint64(pos)/uint64(o.MaxRatio) > max(f.f.CompressedSize64, 1) {
		return f.limitErr("ratio", fmt.Sprintf("the entry decompresses to more than %d times its compressed size (%d bytes; Options.MaxRatio): a zip bomb? Only its first %d bytes are served", o.MaxRatio, f.f.CompressedSize64, pos))
	}
	return nil
}

func (f *zipFile) corrupt(err error) error {
	f.a.problemOnce("corrupt:"+f.name, "corrupt_entry", f.name, fmt.Sprintf("the entry cannot be read to its end: %v", err))
	return f.pathErr(err)
}

// Read implements fs.File for a compressed entry.
func (f *zipFile) Read(p []byte) (int, error) {
	switch {
	case f.closed:
		return 0, f.pathErr(fs.ErrClosed)
	case f.err != nil:
		return 0, f.err
	case len(p) == 0:
		return 0, nil
	}
	if f.n >= f.declared {
		f.err = f.finish()
		return 0, f.err
	}
	want, err := f.room(len(p), f.n)
	if err != nil {
		f.err = err
		return 0, err
	}
	k, err := f.rc.Read(p[:want])
	f.n += int64(k)
	if lerr := f.account(k, f.n); lerr != nil {
		f.err = lerr
		return k, lerr
	}
	switch {
	case err == io.EOF && f.n < f.declared:
		f.err = f.corrupt(io.ErrUnexpectedEOF)
		return k, f.err
	case err == io.EOF:
		f.err = io.EOF
	case err != nil:
		f.err = f.corrupt(err)
	}
	return k, f.err
}

// finish is called once the declared size was served: archive/zip must then say EOF
// (after its CRC-32 check); more data means the header lies about the size.
func (f *zipFile) finish() error {
	var one [1]byte
	for range 100 {
		k, err := f.rc.Read(one[:])
		switch {
		case k > 0 || errors.Is(err, zip.ErrFormat):
			f.a.problemOnce("size:"+f.name, "size_mismatch", f.name, fmt.Sprintf("the entry holds more data than the %d bytes its header declares; the declared bytes are served", f.declared))
			return io.EOF
		case err == io.EOF:
			return io.EOF
		case err != nil:
			return f.corrupt(err)
		}
	}
	return io.EOF
}

// storedFile is an open stored (uncompressed) entry: it is read in place, and also
// offers ReadAt and Seek (so a nested zip stored in a zip is read without a copy).
// Its CRC-32 is checked when it is read with Read alone, from start to end.
type storedFile struct {
	*zipFile
	ra  io.ReaderAt
	off int64 // of the data in the zip
	pos int64
}

func (f *storedFile) Read(p []byte) (int, error) {
	switch {
	case f.closed:
		return 0, f.pathErr(fs.ErrClosed)
	case f.err != nil:
		return 0, f.err
	case len(p) == 0:
		return 0, nil
	}
	if f.pos == 0 && f.n == 0 {
		f.seq = true
	}
	if f.pos >= f.declared {
		if f.seq && !f.mismatch && f.f.CRC32 != 0 && f.crc.Sum32() != f.f.CRC32 {
			f.err = f.corrupt(zip.ErrChecksum)
			return 0, f.err
		}
		return 0, io.EOF
	}
	k, err := f.readAt(p, f.pos)
	if f.seq && k > 0 {
		f.crc.Write(p[:k])
		f.n += int64(k)
	}
	f.pos += int64(k)
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		f.err = err
	}
	return k, err
}

// ReadAt implements io.ReaderAt within the limits.
func (f *storedFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, f.pathErr(fs.ErrClosed)
	}
	if off < 0 {
		return 0, f.pathErr(fs.ErrInvalid)
	}
	n := 0
	for n < len(p) {
		k, err := f.readAt(p[n:], off+int64(n))
		n += k
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, io.EOF
		}
	}
	return n, nil
}

func (f *storedFile) readAt(p []byte, off int64) (int, error) {
	if off >= f.declared {
		return 0, io.EOF
	}
	want, err := f.room(len(p), off)
	if err != nil {
		return 0, err
	}
	k, err := f.ra.ReadAt(p[:want], f.off+off)
	f.account(k, off+int64(k))
	if err == io.EOF && off+int64(k) < f.declared || err != nil && err != io.EOF {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return k, f.corrupt(err)
	}
	if off+int64(k) >= f.declared {
		return k, io.EOF
	}
	return k, nil
}

// Seek implements io.Seeker.
func (f *storedFile) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, f.pathErr(fs.ErrClosed)
	}
	switch whence {
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.declared
	}
	if offset < 0 {
		return 0, &fs.PathError{Op: "seek", Path: f.name, Err: fs.ErrInvalid}
	}
	if offset != f.pos {
		f.seq = false
	}
	f.pos = offset
	return offset, nil
}

// Limiting the central directory. archive/zip reads every header of the central
// directory into memory, however many there are (it reads until a bad one). To bound
// that by Options.MaxEntries, the headers are counted first, cheaply; a zip with more
// is given to archive/zip through a view that ends after the first MaxEntries headers,
// with a new end-of-central-directory record (zip64) that describes them.

const (
	sigDirHeader = 0x02014b50
	sigEnd       = 0x06054b50
	sigEnd64     = 0x06064b50
	sigLoc64     = 0x07064b50
)

// findEnd locates the central directory as archive/zip does; base is the offset of the
// zip in the file (data prepended).
func findEnd(r io.ReaderAt, size int64) (dirStart, base int64, err error) {
	errFormat := errors.New("no zip end-of-central-directory record")
	var buf []byte
	var endOff int64
	found := false
	for i, bLen := range []int64{1024, 65 * 1024} {
		bLen = min(bLen, size)
		buf = make([]byte, bLen)
		if _, err := r.ReadAt(buf, size-bLen); err != nil && err != io.EOF {
			return 0, 0, err
		}
		if p := findSig(buf); p >= 0 {
			buf, endOff, found = buf[p:], size-bLen+int64(p), true
			break
		}
		if i == 1 || bLen == size {
			break
		}
	}
	if !found || len(buf) < 22 {
		return 0, 0, errFormat
	}
	le := binary.LittleEndian
	records := le.Uint16(buf[10:])
	dirSize := uint64(le.Uint32(buf[12:]))
	dirOff := uint64(le.Uint32(buf[16:]))
	if records == 0xffff || dirSize == 0xffff || dirOff == 0xffffffff {
		if loc := endOff - 20; loc >= 0 {
			b := make([]byte, 20)
			if _, err := r.ReadAt(b, loc); err != nil {
				return 0, 0, err
			}
			if le.Uint32(b) == sigLoc64 && le.Uint32(b[4:]) == 0 && le.Uint32(b[16:]) == 1 {
				p := le.Uint64(b[8:])
				if p > uint64(size) {
					return 0, 0, errFormat
				}
				e := make([]byte, 56)
				if _, err := r.ReadAt(e, int64(p)); err != nil {
					return 0, 0, err
				}
				if le.Uint32(e) != sigEnd64 {
					return 0, 0, errFormat
				}
				dirSize, dirOff, endOff = le.Uint64(e[40:]), le.Uint64(e[48:]), int64(p)
			}
		}
	}
	if dirSize > 1<<62 || dirOff > 1<<62 {
		return 0, 0, errFormat
	}
	base = endOff - int64(dirSize) - int64(dirOff)
	if o := base + int64(dirOff); o < 0 || o >= size {
		return 0, 0, errFormat
	}
	if base > 0 {
		b := make([]byte, 4)
		if _, err := r.ReadAt(b, int64(dirOff)); err == nil && le.Uint32(b) == sigDirHeader {
			base = 0
		}
	}
	return base + int64(dirOff), base, nil
}

// findSig is archive/zip's findSignatureInBlock.
func findSig(b []byte) int {
	for i := len(b) - 22; i >= 0; i-- {
		if b[i] == 'P' && b[i+1] == 'K' && b[i+2] == 0x05 && b[i+3] == 0x06 {
			n := int(b[i+20]) | int(b[i+21])<<8
			if n+22+i > len(b) {
				return -1
			}
			return i
		}
	}
	return -1
}

// limitEntries returns nil when the zip's central directory has at most max headers,
// else a view of the zip with its first max headers only.
func limitEntries(ctx context.Context, r io.ReaderAt, size int64, max int) (*tailView, error) {
	dirStart, base, err := findEnd(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotArchive, err)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, dirStart, size-dirStart), 64<<10)
	le := binary.LittleEndian
	var h [46]byte
	consumed := int64(0)
	for count := 0; ; count++ {
		if count%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if _, err := io.ReadFull(br, h[:]); err != nil || le.Uint32(h[:]) != sigDirHeader {
			return nil, nil
		}
		if count == max {
			break
		}
		skip := int64(le.Uint16(h[28:])) + int64(le.Uint16(h[30:])) + int64(le.Uint16(h[32:]))
		if d, err := br.Discard(int(skip)); err != nil || int64(d) != skip {
			return nil, nil
		}
		consumed += 46 + skip
	}
	if base != 0 {
		return nil, fmt.Errorf("%w: the zip lists more than %d entries (Options.MaxEntries) and has data prepended; it is not opened", ErrLimit, max)
	}
	cut := dirStart + consumed
	tail := make([]byte, 0, 98)
	tail = le.AppendUint32(tail, sigEnd64)
	tail = le.AppendUint64(tail, 44)
	tail = le.AppendUint16(tail, 45)
	tail = le.AppendUint16(tail, 45)
	tail = le.AppendUint32(tail, 0)
	tail = le.AppendUint32(tail, 0)
	tail = le.AppendUint64(tail, uint64(max))
	tail = le.AppendUint64(tail, uint64(max))
	tail = le.AppendUint64(tail, uint64(consumed))
	tail = le.AppendUint64(tail, uint64(dirStart))
	tail = le.AppendUint32(tail, sigLoc64)
	tail = le.AppendUint32(tail, 0)
	tail = le.AppendUint64(tail, uint64(cut))
	tail = le.AppendUint32(tail, 1)
	tail = le.AppendUint32(tail, sigEnd)
	tail = le.AppendUint16(tail, 0)
	tail = le.AppendUint16(tail, 0)
	tail = le.AppendUint16(tail, 0xffff)
	tail = le.AppendUint16(tail, 0xffff)
	tail = le.AppendUint32(tail, 0xffffffff)
	tail = le.AppendUint32(tail, 0xffffffff)
	tail = le.AppendUint16(tail, 0)
	return &tailView{r: r, cut: cut, tail: tail}, nil
}

// tailView is a zip cut after some central directory headers, with a new end record.
type tailView struct {
	r    io.ReaderAt
	cut  int64
	tail []byte
}

func (v *tailView) size() int64 { return v.cut + int64(len(v.tail)) }

func (v *tailView) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	if off < v.cut {
		want := min(int64(len(p)), v.cut-off)
		k, err := v.r.ReadAt(p[:want], off)
		n += k
		if err != nil && !(err == io.EOF && int64(k) == want) {
			return n, err
		}
		off += int64(k)
	}
	if n < len(p) {
		t := off - v.cut
		if t >= int64(len(v.tail)) {
			return n, io.EOF
		}
		k := copy(p[n:], v.tail[t:])
		n += k
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
