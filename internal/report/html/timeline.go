package html

import (
	"cmp"
	"container/heap"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/timeline"
)

// Radius is how far before and after an alert's event time the report's timeline
// shows the events of timeline.csv.
const Radius = time.Hour

// span is a stretch of time, both ends included.
type span struct{ From, To time.Time }

// mergeSpans returns the spans t±radius around sorted times, overlapping or touching
// spans merged.
func mergeSpans(times []time.Time, radius time.Duration) []span {
	var out []span
	for _, t := range times {
		s := span{t.Add(-radius), t.Add(radius)}
		if n := len(out); n > 0 && !s.From.After(out[n-1].To) {
			if s.To.After(out[n-1].To) {
				out[n-1].To = s.To
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// picked is an event of timeline.csv kept for the report, its text already cut to
// what the page shows (so that a kept row never holds a long line of the file).
type picked struct {
	ev      timeline.Event
	descLen int           // length of the original description, in bytes
	dist    time.Duration // to the nearest alert
	seq     int           // row number in timeline.csv
}

// selector reads timeline.csv once and keeps, within budget, the events that are
// within Radius of an alert, those nearest to an alert first. Its memory is bounded by
// budget, whatever the size of the timeline.
type selector struct {
	times  []time.Time // sorted event times of the alerts shown
	radius time.Duration
	budget int
	kept   pickHeap
	// read counts the events read; near those within radius of an alert.
	read, near int
}

func newSelector(times []time.Time, radius time.Duration, budget int) *selector {
	return &selector{times: times, radius: radius, budget: max(budget, 0)}
}

// nearest returns the signed distance from the nearest alert time to t (positive when
// t is after it).
func nearest(times []time.Time, t time.Time) (time.Duration, bool) {
	if len(times) == 0 {
		return 0, false
	}
	i := sort.Search(len(times), func(i int) bool { return !times[i].Before(t) })
	best, found := time.Duration(0), false
	for _, j := range []int{i - 1, i} {
		if j < 0 || j >= len(times) {
			continue
		}
		d := t.Sub(times[j])
		if !found || abs(d) < abs(best) {
			best, found = d, true
		}
	}
	return best, found
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// add considers one event of the timeline.
func (s *selector) add(e timeline.Event) {
	s.read++
	if e.Time.IsZero() {
		return
	}
	d, ok := nearest(s.times, e.Time)
	if !ok || abs(d) > s.radius {
		return
	}
	s.near++
	if s.budget == 0 {
		return
	}
	p := picked{dist: abs(d), seq: s.read}
	if len(s.kept) >= s.budget {
		if !better(p, s.kept[0]) {
			return
		}
		s.kept[0] = own(e, p)
		heap.Fix(&s.kept, 0)
		return
	}
	heap.Push(&s.kept, own(e, p))
}

// own copies the parts of e that the report shows, cut to their display limits.
func own(e timeline.Event, p picked) picked {
	p.descLen = len(e.Description)
	p.ev = timeline.Event{
		Time:        e.Time,
		Plugin:      strings.Clone(cutString(e.Plugin, maxName)),
		Event:       strings.Clone(cutString(e.Event, maxName)),
		Description: strings.Clone(cutString(e.Description, maxDescription+redactMargin)),
	}
	return p
}

// better reports whether a is kept rather than b: nearer to an alert, then earlier in
// the file.
func better(a, b picked) bool {
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	return a.seq < b.seq
}

// events returns the kept events in time order (file order for equal times).
func (s *selector) events() []picked {
	out := slices.Clone([]picked(s.kept))
	slices.SortFunc(out, func(a, b picked) int {
		if c := a.ev.Time.Compare(b.ev.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

// pickHeap is a max-heap on "worse": its top is the kept event to give up first.
type pickHeap []picked

func (h pickHeap) Len() int           { return len(h) }
func (h pickHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h pickHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pickHeap) Push(x any)        { *h = append(*h, x.(picked)) }
func (h *pickHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}

// timedAlert is an alert with a time, by its index in the folder's alerts.
type timedAlert struct {
	idx int
	a   *alert.Alert
}

// timelineAlerts returns the alerts with an event time that the timeline shows, in
// time order: all of them, or when they are more than limit, the most severe ones
// (earliest first among equals). It also returns how many alerts have a time.
func timelineAlerts(alerts []alert.Alert, limit int) ([]timedAlert, int) {
	var timed []timedAlert
	for i := range alerts {
		if !alerts[i].EventTime.IsZero() {
			timed = append(timed, timedAlert{i, &alerts[i]})
		}
	}
	n := len(timed)
	byTime := func(a, b timedAlert) int {
		if c := a.a.EventTime.Compare(b.a.EventTime.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	}
	if len(timed) > limit {
		slices.SortStableFunc(timed, func(a, b timedAlert) int {
			if c := cmp.Compare(b.a.Level, a.a.Level); c != 0 {
				return c
			}
			return byTime(a, b)
		})
		timed = timed[:max(limit, 0)]
	}
	slices.SortFunc(timed, byTime)
	return timed, n
}
