package timeline

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spytrace/spytrace/internal/report/csvq"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// MaxRowBytes bounds one row read back from timeline.csv.
const MaxRowBytes = 1 << 20

// Read streams the events of a timeline.csv (spytrace's or MVT's) to fn, in file order.
// The apostrophe that csvq puts before a field a spreadsheet would take for a formula
// is removed. A row that cannot be read ends the reading with an error naming it; fn's
// error stops it too.
func Read(r io.Reader, fn func(Event) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	cr := csv.NewReader(&rowLimit{r: br})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the timeline's header: %w", err)
	}
	if len(header) < 4 {
		return fmt.Errorf("the timeline's header has %d columns, want 4", len(header))
	}
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read row %d of the timeline: %w", line, err)
		}
		if len(row) < 4 {
			return fmt.Errorf("row %d of the timeline has %d columns, want 4", line, len(row))
		}
		t, _ := timefmt.Parse(unformula(row[0])) // a row without a time sorts first, as MVT writes it
		if err := fn(Event{Time: t, Plugin: unformula(row[1]), Event: unformula(row[2]), Description: unformula(row[3])}); err != nil {
			return err
		}
	}
}

// unformula removes the apostrophe csvq adds before a formula-like field.
func unformula(f string) string {
	if rest, ok := strings.CutPrefix(f, "'"); ok && csvq.Formula(rest) {
		return rest
	}
	return f
}

// rowLimit fails a read when a row grows past MaxRowBytes, so that a hostile timeline
// cannot make the CSV reader buffer without bound. A row ends at a newline outside
// quotes: the newlines of a quoted field count as part of its row (a doubled quote
// toggles the state twice, so leaves it as it was).
type rowLimit struct {
	r      *bufio.Reader
	row    int
	quoted bool
}

func (l *rowLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		switch {
		case b == '"':
			l.quoted = !l.quoted
		case b == '\n' && !l.quoted:
			l.row = 0
			continue
		}
		if l.row++; l.row > MaxRowBytes {
			return 0, fmt.Errorf("a timeline line longer than %d bytes", MaxRowBytes)
		}
	}
	return n, err
}
