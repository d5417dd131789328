package html

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/timefmt"
)

func TestMergeSpans(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for _, tc := range []struct {
		name  string
		times []time.Time
		want  string
	}{
		{"none", nil, ""},
		{"one", []time.Time{at(0)}, "-60..60"},
		{"overlapping", []time.Time{at(0), at(90)}, "-60..150"},
		{"touching", []time.Time{at(0), at(120)}, "-60..180"},
		{"apart", []time.Time{at(0), at(121)}, "-60..60 61..181"},
		{"same time", []time.Time{at(0), at(0), at(30)}, "-60..90"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range mergeSpans(tc.times, time.Hour) {
				got = append(got, fmt.Sprintf("%d..%d", int(s.From.Sub(t0).Minutes()), int(s.To.Sub(t0).Minutes())))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("spans %q, want %q", g, tc.want)
			}
		})
	}
}

func TestSelectorWindow(t *testing.T) {
	other := t0.Add(5 * time.Hour)
	times := []time.Time{t0, other}
	for _, tc := range []struct {
		name string
		at   time.Time
		kept bool
	}{
		{"at the alert", t0, true},
		{"an hour before", t0.Add(-time.Hour), true},
		{"an hour after", t0.Add(time.Hour), true},
		{"just over an hour after", t0.Add(time.Hour + time.Microsecond), false},
		{"just over an hour before", t0.Add(-time.Hour - time.Second), false},
		{"between two alerts", t0.Add(150 * time.Minute), false},
		{"near the second alert", other.Add(-59 * time.Minute), true},
		{"without a time", time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSelector(times, Radius, 10)
			s.add(timeline.Event{Time: tc.at, Plugin: "P", Event: "e", Description: "d"})
			if got := len(s.events()) == 1; got != tc.kept {
				t.Errorf("kept %v, want %v", got, tc.kept)
			}
			if s.read != 1 {
				t.Errorf("read %d", s.read)
			}
		})
	}
}

func TestSelectorCapKeepsNearest(t *testing.T) {
	s := newSelector([]time.Time{t0}, Radius, 4)
	// Minutes from the alert, in file order.
	offsets := []int{-50, -3, -2, 40, 1, 2, 59, -1, 3, 61}
	for i, m := range offsets {
		s.add(timeline.Event{Time: t0.Add(time.Duration(m) * time.Minute), Plugin: "P", Description: fmt.Sprint(i)})
	}
	var got []string
	for _, p := range s.events() {
		got = append(got, fmt.Sprint(int(p.ev.Time.Sub(t0).Minutes())))
	}
	// The four nearest (|d| = 1, 1, 2, 2; -2 and 2 tie, the earlier row wins over 3 and -3), in time order.
	if g := strings.Join(got, ","); g != "-2,-1,1,2" {
		t.Errorf("kept %s, want -2,-1,1,2", g)
	}
	if s.near != 9 || s.read != 10 {
		t.Errorf("near %d, read %d; want 9 and 10", s.near, s.read)
	}
	// A budget of 0 keeps nothing but still counts.
	z := newSelector([]time.Time{t0}, Radius, 0)
	z.add(timeline.Event{Time: t0})
	if len(z.events()) != 0 || z.near != 1 {
		t.Errorf("budget 0: %d kept, %d near", len(z.events()), z.near)
	}
}

func TestSelectorOwnsShortCopies(t *testing.T) {
	s := newSelector([]time.Time{t0}, Radius, 1)
	long := strings.Repeat("x", 1<<20)
	s.add(timeline.Event{Time: t0, Plugin: long, Event: long, Description: long})
	p := s.events()[0]
	if len(p.ev.Description) > maxDescription+redactMargin || len(p.ev.Plugin) > maxName || len(p.ev.Event) > maxName || p.descLen != len(long) {
		t.Errorf("kept %d, %d, %d bytes (desc length %d)", len(p.ev.Description), len(p.ev.Plugin), len(p.ev.Event), p.descLen)
	}
}

func TestTimelineAlerts(t *testing.T) {
	at := func(m int) timefmt.TimeText { return timefmt.TimeText{Time: t0.Add(time.Duration(m) * time.Minute)} }
	alerts := []alert.Alert{
		{Level: alert.Low, EventTime: at(5)},
		{Level: alert.Critical, EventTime: at(10)},
		{Level: alert.Medium},
		{Level: alert.High, EventTime: at(-5)},
		{Level: alert.Critical, EventTime: at(1)},
	}
	idx := func(ts []timedAlert) string {
		var s []string
		for _, t := range ts {
			s = append(s, fmt.Sprint(t.idx))
		}
		return strings.Join(s, ",")
	}
	all, n := timelineAlerts(alerts, 10)
	if idx(all) != "3,4,0,1" || n != 4 {
		t.Errorf("all: %s (%d timed)", idx(all), n)
	}
	two, _ := timelineAlerts(alerts, 2)
	if idx(two) != "4,1" {
		t.Errorf("two most severe: %s", idx(two))
	}
}

func TestFormatOffset(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                 "0s",
		400 * time.Millisecond:            "0s",
		45 * time.Second:                  "+45s",
		-(12*time.Minute + 5*time.Second): "−12m05s",
		time.Hour:                         "+1h00m00s",
	} {
		if got := formatOffset(d); got != want {
			t.Errorf("formatOffset(%v) = %q, want %q", d, got, want)
		}
	}
}
