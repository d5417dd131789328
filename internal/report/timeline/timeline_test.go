package timeline_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/report/timeline"
)

func events(n int) []timeline.Event {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []timeline.Event
	for i := range n {
		out = append(out, timeline.Event{Time: base.Add(time.Duration(i%250) * time.Second), Plugin: "P", Event: "e", Description: fmt.Sprintf("d%d", i%500)})
	}
	return out
}

func write(t *testing.T, s *timeline.Spool) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := s.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSpillMatchesInMemory checks that the external sort (many spilled chunks) gives the
// same file as sorting in memory, with duplicates removed.
func TestSpillMatchesInMemory(t *testing.T) {
	evs := events(20000)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	small := timeline.NewSpool(t.TempDir(), 4096)
	big := timeline.NewSpool(t.TempDir(), 1<<30)
	for _, e := range evs {
		small.Add(e)
		big.Add(e)
	}
	small.Add(timeline.Event{Plugin: "P", Event: "no time"}) // dropped
	a, b := write(t, small), write(t, big)
	if a != b {
		t.Fatal("spilled and in-memory timelines differ")
	}
	lines := strings.Split(strings.TrimSuffix(a, "\r\n"), "\r\n")
	distinct := map[string]bool{}
	for _, e := range evs {
		distinct[e.Time.String()+e.Description] = true
	}
	if len(lines)-1 != len(distinct) || len(distinct) == len(evs) {
		t.Fatalf("%d rows, want the %d distinct events of %d", len(lines)-1, len(distinct), len(evs))
	}
	if !slices.IsSorted(lines[1:]) {
		t.Fatal("rows not sorted")
	}
	if small.Len() != 20000 {
		t.Errorf("Len = %d", small.Len())
	}
}

func TestReadBack(t *testing.T) {
	evs := []timeline.Event{
		{Time: time.Date(2026, 3, 4, 9, 32, 53, 0, time.UTC), Plugin: "SMS", Event: "sms_received", Description: "=HYPERLINK(\"x\") \"quoted\"\nsecond line"},
		{Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Plugin: "Manifest", Event: "file_created", Description: "'plain apostrophe"},
	}
	s := timeline.NewSpool(t.TempDir(), 0)
	for _, e := range evs {
		s.Add(e)
	}
	csv := write(t, s)
	var got []timeline.Event
	if err := timeline.Read(strings.NewReader(csv), func(e timeline.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	// The spool sorts by time.
	want := []timeline.Event{evs[1], evs[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"\"UTC Timestamp\",\"Plugin\"\r\n", "\"a\",\"b\",\"c\",\"d\"\r\n\"x\"\r\n", "\"a\",\"b\",\"c\",\"d\"\r\n\"" + strings.Repeat("x", timeline.MaxRowBytes+10)} {
		if err := timeline.Read(strings.NewReader(bad), func(timeline.Event) error { return nil }); err == nil {
			t.Errorf("no error for %.60q", bad)
		}
	}
}
