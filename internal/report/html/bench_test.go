package html

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/csvq"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// benchFolder writes a results folder with nAlerts alerts and a timeline of nEvents
// events spread over a year (the alerts among them), written straight to timeline.csv.
func benchFolder(b testing.TB, nAlerts, nEvents int) *results.Folder {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "results")
	d, err := results.Create(dir, false)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	year := 365 * 24 * time.Hour
	rng := rand.New(rand.NewPCG(8, 8))
	alerts := make([]alert.Alert, nAlerts)
	for i := range alerts {
		at := start.Add(time.Duration(rng.Int64N(int64(year))))
		alerts[i] = alert.Alert{
			Level: alert.Levels[i%len(alert.Levels)], Module: "safari_history",
			Message:   fmt.Sprintf("Found a known suspicious domain in a Safari visit %d", i),
			EventTime: timefmt.TimeText{Time: at},
			Event: map[string]any{"url": fmt.Sprintf("https://x%d.free247downloads.com/", i), "title": "page", "visit_id": float64(i),
				"isodate": timefmt.Format(at), "redirect_source": nil, "load_successful": true},
			Indicator: pegasus("free247downloads.com", "domains"), Check: "ioc/domain",
			Meaning: "A domain of the indicators.", FalsePositive: "A link received but not opened.", Advice: "Look at the timeline.",
		}
	}
	if err := d.WriteAlerts(alerts); err != nil {
		b.Fatal(err)
	}
	if err := d.WriteJSON("info.json", baseInfo()); err != nil {
		b.Fatal(err)
	}
	err = d.WriteWith("timeline.csv", func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.Write(csvq.AppendRow(nil, timeline.Header...))
		step := year / time.Duration(nEvents)
		var row []byte
		for i := range nEvents {
			at := start.Add(time.Duration(i) * step)
			row = csvq.AppendRow(row[:0], timefmt.Format(at), "SafariHistory", "safari_history",
				fmt.Sprintf("https://www.example.org/articles/%d?ref=home (Example article number %d)", i, i))
			bw.Write(row)
		}
		return bw.Flush()
	})
	if err != nil {
		b.Fatal(err)
	}
	f, err := results.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// peakHeap samples the bytes of live heap objects until stop is closed.
func peakHeap(stop <-chan struct{}, peak *atomic.Uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// BenchmarkWrite renders 1,000 alerts with timelines of 100,000 and 1,000,000 events:
// the timeline is streamed and only the rows shown are kept, so peak-heap-MB stays the
// same while the timeline grows tenfold.
func BenchmarkWrite(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("alerts=1000/events=%d", n), func(b *testing.B) {
			f := benchFolder(b, 1000, n)
			runtime.GC()
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { peakHeap(stop, &peak); close(done) }()
			var out countWriter
			b.ReportAllocs()
			for b.Loop() {
				out = 0
				if err := Write(&out, f, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			close(stop)
			<-done
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(out)/(1<<20), "page-MB")
			if fi, err := os.Stat(filepath.Join(f.Dir, "timeline.csv")); err == nil {
				b.ReportMetric(float64(fi.Size())/(1<<20), "timeline-MB")
			}
		})
	}
}

// countWriter counts the bytes written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// TestLargeTimelineIsBounded renders a folder whose timeline is far larger than the
// page may show, every event near an alert, and checks the page keeps only the cap.
func TestLargeTimelineIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 200,000-event timeline")
	}
	f := benchFolder(t, 20, 200_000)
	doc := parse(t, render(t, f, Options{MaxTimelineRows: 300}))
	rows := 0
	walk(byID(doc, "tl"), func(n *xhtml.Node) {
		if n.Data == "tr" && hasAttr(n, "data-m") {
			rows++
		}
	})
	if rows != 300 {
		t.Errorf("%d rows, want 300", rows)
	}
}
