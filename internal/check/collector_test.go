package check

import (
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/alert"
)

func TestCollector(t *testing.T) {
	c := NewCollector(2)
	r := NewReporter("sms", c.Add)
	for i, l := range []alert.Level{alert.High, alert.Low, alert.Critical, alert.High, alert.Critical} {
		r.Raise(alert.Alert{Level: l, Message: string(rune('a' + i))})
	}
	got := c.Alerts("sms")
	if len(got) != 3 || got[0].Message != "a" || got[1].Message != "b" {
		t.Fatalf("%d alerts %+v, want the first 2 and the limit's", len(got), got)
	}
	lim := got[2]
	if lim.Check != AlertLimit.ID || lim.Module != "sms" || lim.Level != alert.Medium || !strings.Contains(lim.Message, "3 alerts more than the 2 kept") {
		t.Errorf("limit alert %+v", lim)
	}
	rec := lim.Event.(map[string]any)
	if by := rec["not_kept_by_level"].(map[string]int); by["CRITICAL"] != 2 || by["HIGH"] != 1 || rec["not_kept"] != 3 {
		t.Errorf("counts %v", rec)
	}

	under := NewCollector(5)
	under.Add(alert.Alert{Message: "only"})
	if got := under.Alerts("sms"); len(got) != 1 {
		t.Errorf("%d alerts under the limit, want 1 and no limit alert", len(got))
	}
}
