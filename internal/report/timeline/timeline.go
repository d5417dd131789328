// Package timeline writes timeline.csv: every event of every module of a run, sorted by
// time, in MVT's columns ("UTC Timestamp","Plugin","Event","Description").
//
// A backup can yield millions of events, so they are never all held in memory: events are
// added from any goroutine to a [Spool], which sorts them in bounded chunks, spills each
// chunk to a private temporary file and merges the chunks when the CSV is written
// (an external merge sort). Identical events are written once.
package timeline

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/report/csvq"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Header is the first line of timeline.csv for iOS acquisitions.
var Header = []string{"UTC Timestamp", "Plugin", "Event", "Description"}

// Event is one timeline row.
type Event struct {
	Time        time.Time
	Plugin      string // the module's MVT class name
	Event       string
	Description string
}

// Spool collects events and sorts them with bounded memory.
type Spool struct {
	dir       string
	chunkSize int // bytes of encoded rows held before spilling

	mu     sync.Mutex
	buf    [][]byte
	held   int
	chunks []string
	count  int
	err    error
}

// NewSpool returns a spool that spills sorted chunks of about chunkBytes into dir (a
// private temporary folder the caller removes). chunkBytes 0 means 32 MiB.
func NewSpool(dir string, chunkBytes int) *Spool {
	if chunkBytes <= 0 {
		chunkBytes = 32 << 20
	}
	return &Spool{dir: dir, chunkSize: chunkBytes}
}

// Add adds one event. Events without a time are dropped: a timeline row needs one.
func (s *Spool) Add(e Event) {
	if e.Time.IsZero() {
		return
	}
	row := encodeRow(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	s.buf = append(s.buf, row)
	s.held += len(row) + 24
	s.count++
	if s.held >= s.chunkSize {
		s.err = s.spill()
	}
}

// Len returns the number of events added (before de-duplication).
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// encodeRow renders the CSV line of e; rows sort by their bytes, which sorts by time
// first because every row starts with the quoted fixed-width timestamp.
func encodeRow(e Event) []byte {
	return csvq.AppendRow(nil, timefmt.Format(e.Time), e.Plugin, e.Event, e.Description)
}

// spill sorts the buffer and writes it as a chunk file of length-prefixed rows.
func (s *Spool) spill() error {
	if len(s.buf) == 0 {
		return nil
	}
	slices.SortFunc(s.buf, compareRows)
	f, err := os.CreateTemp(s.dir, "timeline-*.chunk")
	if err != nil {
		return fmt.Errorf("spill timeline: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var lenbuf [binary.MaxVarintLen64]byte
	for _, row := range s.buf {
		n := binary.PutUvarint(lenbuf[:], uint64(len(row)))
		w.Write(lenbuf[:n])
		w.Write(row)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spill timeline: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spill timeline: %w", err)
	}
	s.chunks = append(s.chunks, f.Name())
	s.buf = s.buf[:0]
	s.held = 0
	return nil
}

func compareRows(a, b []byte) int { return bytes.Compare(a, b) }

// WriteCSV writes the header and every event, sorted and de-duplicated, to w. It
// returns the number of rows written.
func (s *Spool) WriteCSV(w io.Writer) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(csvq.AppendRow(nil, Header...))
	var readers []*chunkReader
	defer func() {
		for _, r := range readers {
			r.f.Close()
		}
	}()
	if len(s.chunks) > 0 {
		// Spill what is left so that every row comes from a chunk: one merge path.
		if err := s.spill(); err != nil {
			return 0, err
		}
		for _, name := range s.chunks {
			f, err := os.Open(name)
			if err != nil {
				return 0, fmt.Errorf("read timeline chunk: %w", err)
			}
			readers = append(readers, &chunkReader{f: f, r: bufio.NewReaderSize(f, 256<<10)})
		}
	} else {
		slices.SortFunc(s.buf, compareRows)
	}
	n := 0
	var last []byte
	emit := func(row []byte) {
		if last != nil && bytes.Equal(last, row) {
			return
		}
		bw.Write(row)
		last = append(last[:0], row...)
		n++
	}
	if readers == nil {
		for _, row := range s.buf {
			emit(row)
		}
		return n, bw.Flush()
	}
	h := &rowHeap{}
	for _, r := range readers {
		row, err := r.next()
		if err == io.EOF {
			continue
		}
		if err != nil {
			return n, err
		}
		heap.Push(h, heapItem{row: row, r: r})
	}
	for h.Len() > 0 {
		it := (*h)[0]
		emit(it.row)
		row, err := it.r.next()
		if err == io.EOF {
			heap.Pop(h)
			continue
		}
		if err != nil {
			return n, err
		}
		(*h)[0] = heapItem{row: row, r: it.r}
		heap.Fix(h, 0)
	}
	return n, bw.Flush()
}

type chunkReader struct {
	f *os.File
	r *bufio.Reader
}

// maxRow bounds a row read back from a chunk: chunks are our own files, but a bound
// keeps a bug from turning into an allocation of any size.
const maxRow = 64 << 20

func (c *chunkReader) next() ([]byte, error) {
	n, err := binary.ReadUvarint(c.r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("read timeline chunk: %w", err)
	}
	if n > maxRow {
		return nil, fmt.Errorf("read timeline chunk: row of %d bytes", n)
	}
	row := make([]byte, n)
	if _, err := io.ReadFull(c.r, row); err != nil {
		return nil, fmt.Errorf("read timeline chunk: %w", err)
	}
	return row, nil
}

type heapItem struct {
	row []byte
	r   *chunkReader
}

type rowHeap []heapItem

func (h rowHeap) Len() int           { return len(h) }
func (h rowHeap) Less(i, j int) bool { return compareRows(h[i].row, h[j].row) < 0 }
func (h rowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rowHeap) Push(x any)        { *h = append(*h, x.(heapItem)) }
func (h *rowHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
