package timeline_test

import (
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/report/timeline"
)

// TestReadBoundsQuotedRows: a row whose quoted field holds many short lines is still
// one row, bounded by MaxRowBytes (it used to be read whole, whatever its size), while
// a long timeline of short rows reads fine.
func TestReadBoundsQuotedRows(t *testing.T) {
	const header = "\"UTC Timestamp\",\"Plugin\",\"Event\",\"Description\"\r\n"
	line := strings.Repeat("x", 1000) + "\n"
	huge := header + "\"2021-01-01 00:00:00.000000\",\"p\",\"e\",\"" + strings.Repeat(line, timeline.MaxRowBytes/len(line)+10) + "\"\r\n"
	n := 0
	err := timeline.Read(strings.NewReader(huge), func(timeline.Event) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "longer than") || n != 0 {
		t.Errorf("a quoted field of %d bytes: %d rows, err %v", len(huge), n, err)
	}
	row := "\"2021-01-01 00:00:00.000000\",\"p\",\"e\",\"" + strings.Repeat(line, 3) + "with \"\"quotes\"\"\"\r\n"
	long := header + strings.Repeat(row, 2*timeline.MaxRowBytes/len(row))
	n = 0
	if err := timeline.Read(strings.NewReader(long), func(timeline.Event) error { n++; return nil }); err != nil || n != 2*timeline.MaxRowBytes/len(row) {
		t.Errorf("short rows: %d read, err %v", n, err)
	}
}
