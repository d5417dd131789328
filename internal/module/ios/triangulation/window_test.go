package triangulation_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/module/ios/triangulation"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var t0 = time.Date(2023, 5, 2, 8, 0, 0, 0, time.UTC)

// ev builds an event "<seconds after t0> <class> <event> <name>".
func ev(s string) *triangulation.Event {
	var sec int
	var class, what, name string
	if _, err := fmt.Sscan(s, &sec, &class, &what, &name); err != nil {
		panic(s)
	}
	return &triangulation.Event{Isodate: timefmt.Of(t0.Add(time.Duration(sec) * time.Second)), Class: class, Event: what, Name: name}
}

func evs(lines ...string) []*triangulation.Event {
	var out []*triangulation.Event
	for _, l := range lines {
		out = append(out, ev(l))
	}
	return out
}

func describe(ws [][]*triangulation.Event) []string {
	var out []string
	for _, w := range ws {
		var parts []string
		for _, e := range w {
			parts = append(parts, fmt.Sprintf("%d", int(e.Isodate.Sub(t0)/time.Second)))
		}
		out = append(out, strings.Join(parts, ","))
	}
	return out
}

func TestSuspiciousWindows(t *testing.T) {
	const dir, sub = "MediaDomain/Library/SMS/Attachments/ab", "MediaDomain/Library/SMS/Attachments/ab/11"
	tests := []struct {
		name   string
		events []*triangulation.Event
		want   []string
	}{
		{"file_and_net", evs("0 file M ImageIO", "100 net NetTimestamp nehelper"), []string{"0,100"}},
		{"one_class_only", evs("0 file M ImageIO", "10 file C ImageIO", "20 file M FaceTime"), nil},
		{"too_far_apart", evs("0 file M ImageIO", "301 net NetFirst nehelper"), nil},
		{"exactly_window", evs("0 file M ImageIO", "300 net NetFirst nehelper"), []string{"0,300"}},
		{"folders_with_m_and_c", evs("0 sms M "+dir, "0 sms C "+dir, "0 sms M "+sub, "0 sms C "+sub, "40 file M ImageIO"), []string{"0,0,0,0,40"}},
		{"folder_without_c", evs("0 sms M "+dir, "40 file M ImageIO"), nil},
		{"real_attachment_discards", evs("0 sms M "+dir, "0 sms C "+dir, "1 sms_attachment M "+sub+"/GUID", "40 file M ImageIO"), nil},
		{"location_and_net", evs("0 location LocationTimeStopped WRM", "5 net NetTimestamp2 BackupAgent"), []string{"0,5"}},
		// Ten events of one class push the other class out of the first windows,
		// but the windows starting later catch the pair; they are merged into one.
		{"ten_events_limit", evs("0 file M a", "1 file M b", "2 file M c", "3 file M d", "4 file M e", "5 file M f",
			"6 file M g", "7 file M h", "8 file M i", "9 file M j", "10 net NetFirst nehelper"), []string{"1,2,3,4,5,6,7,8,9,10"}},
		// The last events start windows too (triangle_check stops ten events early).
		{"at_the_end", evs("0 file M a", "1000 file M b", "1001 net NetFirst nehelper"), []string{"1000,1001"}},
		{"two_separate", evs("0 file M a", "1 net NetFirst nehelper", "5000 file M a", "5001 location LocationTimeStopped x"), []string{"0,1", "5000,5001"}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describe(triangulation.SuspiciousWindows(tt.events))
			if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
				t.Errorf("windows %q, want %q", got, tt.want)
			}
		})
	}
}
