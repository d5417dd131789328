package sqlitex

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// A write-ahead log (the -wal file) is a 32-byte header followed by frames, each a
// 24-byte header and one database page. When SQLite opens a database whose log has no
// usable index (always the case for a private copy without -shm), it replays the
// frames in order while each one's salts match the log header's and its checksum
// (which chains through every earlier frame) is right, and keeps every transaction up
// to the last commit frame of that run. A damaged frame therefore silently hides it
// and every later transaction: the most recent records of the database, which are
// often what an examination is after. CheckWAL finds that case, so that it can be
// reported instead of passing for an ordinary log.

// WAL layout constants.
const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walMagic           = 0x377f0682 // | 1 when checksums are computed big-endian
	walVersion         = 3007000
)

// WALCheck says how much of a write-ahead log SQLite replays.
type WALCheck struct {
	// Frames is the number of whole frames in the log.
	Frames int64
	// Replayed is the number of frames SQLite replays: those up to the last commit
	// frame of the leading run of valid frames.
	Replayed int64
	// Damage describes why frames that belong to the log are not replayed (a bad
	// header or checksum, a frame cut short); "" when nothing is lost that way.
	// Frames left over from an earlier generation of the log (other salts) and an
	// uncommitted transaction at the end are ordinary and not damage.
	Damage string
}

// CheckWAL reads the write-ahead log r (size bytes) and says which of its frames
// SQLite replays, and whether damage hides some. It reads the log once, in order, and
// keeps one page in memory.
func CheckWAL(r io.Reader, size int64) (WALCheck, error) {
	var c WALCheck
	if size == 0 {
		return c, nil
	}
	br := bufio.NewReaderSize(r, 64<<10)
	hdr := make([]byte, walHeaderSize)
	if size < walHeaderSize {
		c.Damage = fmt.Sprintf("the log is %d bytes long, shorter than its %d-byte header: SQLite ignores it", size, walHeaderSize)
		return c, nil
	}
	if _, err := io.ReadFull(br, hdr); err != nil {
		return c, fmt.Errorf("read log header: %w", err)
	}
	magic := binary.BigEndian.Uint32(hdr[0:4])
	pageSize := int64(binary.BigEndian.Uint32(hdr[8:12]))
	validPage := pageSize >= 512 && pageSize <= 65536 && pageSize&(pageSize-1) == 0
	if validPage {
		c.Frames = (size - walHeaderSize) / (walFrameHeaderSize + pageSize)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if magic&1 == 1 {
		order = binary.BigEndian
	}
	s1, s2 := walChecksum(order, hdr[:24], 0, 0)
	switch {
	case magic&^1 != walMagic:
		c.Damage = fmt.Sprintf("its header does not start with the log's magic number (%#08x)", magic)
	case binary.BigEndian.Uint32(hdr[4:8]) != walVersion:
		c.Damage = fmt.Sprintf("its header names format version %d, not %d", binary.BigEndian.Uint32(hdr[4:8]), walVersion)
	case !validPage:
		c.Damage = fmt.Sprintf("its header gives a page size of %d bytes, which SQLite does not use", pageSize)
	case s1 != binary.BigEndian.Uint32(hdr[24:28]) || s2 != binary.BigEndian.Uint32(hdr[28:32]):
		c.Damage = "its header checksum is wrong"
	}
	if c.Damage != "" {
		c.Damage += ": SQLite ignores the whole log"
		if c.Frames > 0 {
			c.Damage += fmt.Sprintf(" (%d frames)", c.Frames)
		}
		return c, nil
	}
	frame := make([]byte, walFrameHeaderSize+pageSize)
	for i := int64(0); i < c.Frames; i++ {
		if _, err := io.ReadFull(br, frame); err != nil {
			return c, fmt.Errorf("read log frame %d: %w", i+1, err)
		}
		if [8]byte(frame[8:16]) != [8]byte(hdr[16:24]) {
			// Left over from an earlier generation of the log: SQLite stops here, as
			// it should.
			return c, nil
		}
		pgno := binary.BigEndian.Uint32(frame[0:4])
		s1, s2 = walChecksum(order, frame[:8], s1, s2)
		s1, s2 = walChecksum(order, frame[walFrameHeaderSize:], s1, s2)
		if pgno == 0 || s1 != binary.BigEndian.Uint32(frame[16:20]) || s2 != binary.BigEndian.Uint32(frame[20:24]) {
			what := "a wrong checksum"
			if pgno == 0 {
				what = "page number 0"
			}
			c.Damage = fmt.Sprintf("frame %d of %d has %s, and SQLite stops reading the log there", i+1, c.Frames, what)
			return c, nil
		}
		if binary.BigEndian.Uint32(frame[4:8]) != 0 { // a commit frame
			c.Replayed = i + 1
		}
	}
	if rest := (size - walHeaderSize) % (walFrameHeaderSize + pageSize); rest != 0 {
		c.Damage = fmt.Sprintf("the log ends %d bytes into a frame of %d bytes: it was cut short", rest, walFrameHeaderSize+pageSize)
	}
	return c, nil
}

// walChecksum continues SQLite's log checksum (s1, s2) over b, whose length is a
// multiple of 8, reading 32-bit words in the given order.
func walChecksum(order binary.ByteOrder, b []byte, s1, s2 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s1 += order.Uint32(b[i:]) + s2
		s2 += order.Uint32(b[i+4:]) + s1
	}
	return s1, s2
}

// walProblem describes, for a module's problems, what damage in the log of database
// name costs; "" when the log is whole.
func walProblem(name string, c WALCheck) string {
	if c.Damage == "" {
		return ""
	}
	return fmt.Sprintf("%s-wal: %s; %d of its %d frames are read, so the records of later transactions are missing", name, c.Damage, c.Replayed, c.Frames)
}

// checkWALFile checks the log copied to p (of database name) and returns the problem
// it has, if any.
func checkWALFile(name, p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	c, err := CheckWAL(f, fi.Size())
	if err != nil {
		return "", fmt.Errorf("check %q: %w", name+"-wal", err)
	}
	return walProblem(name, c), nil
}
