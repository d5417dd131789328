package chromehistory_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module/ios/chromehistory"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// transitionBits reads back what TransitionText writes.
var transitionBits = map[string]uint32{
	"from_api_3": 0x00200000, "from_api_2": 0x00400000, "blocked": 0x00800000, "forward_back": 0x01000000,
	"from_address_bar": 0x02000000, "home_page": 0x04000000, "from_api": 0x08000000, "chain_start": 0x10000000,
	"chain_end": 0x20000000, "client_redirect": 0x40000000, "server_redirect": 0x80000000,
}

var transitionCores = []string{"link", "typed", "auto_bookmark", "auto_subframe", "manual_subframe", "generated",
	"auto_toplevel", "form_submit", "reload", "keyword", "keyword_generated"}

// FuzzTransitionText checks that every stored transition decodes to text that gives the
// value back, so no bit is lost or invented.
func FuzzTransitionText(f *testing.F) {
	for _, v := range []int64{0, 805306368, -1610612736, 1610612737, 0x0b, 0x00100c03, -1} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, stored int64) {
		v := uint32(stored)
		text := chromehistory.TransitionText(v)
		parts := strings.Split(text, "|")
		var got uint32
		if i := indexOf(transitionCores, parts[0]); i >= 0 {
			got = uint32(i)
		} else if n, ok := strings.CutPrefix(parts[0], "core_"); ok {
			c, err := strconv.ParseUint(n, 10, 8)
			if err != nil || c < uint64(len(transitionCores)) {
				t.Fatalf("%#x: core %q", v, parts[0])
			}
			got = uint32(c)
		} else {
			t.Fatalf("%#x: no core type in %q", v, text)
		}
		for _, p := range parts[1:] {
			if bit, ok := transitionBits[p]; ok {
				got |= bit
				continue
			}
			h, ok := strings.CutPrefix(p, "0x")
			n, err := strconv.ParseUint(h, 16, 32)
			if !ok || err != nil || n == 0 || uint32(n)&0xFF != 0 {
				t.Fatalf("%#x: part %q of %q", v, p, text)
			}
			got |= uint32(n)
		}
		if got != v {
			t.Fatalf("%#x decodes to %q, which reads back as %#x", v, text, got)
		}
	})
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// FuzzChecker feeds the checks visits made of arbitrary ids, times, sources and
// transitions (a hostile database) and checks that every alert is a well-formed
// fast-redirect report about a cleartext visit.
func FuzzChecker(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0x10, 2, 1, 80, 1, 0xA0, 3, 2, 5, 0, 0})
	f.Add([]byte{7, 7, 0, 0, 0, 7, 7, 0, 0, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		urls := []string{"http://yahoo.fr/", "https://x.free247downloads.com:30495/a", "http://10.0.0.1/", "https://www.yahoo.fr/", "about:blank", "http://"}
		c := chromehistory.New().NewChecker(check.NewEnv(nil))
		var alerts []alert.Alert
		r := check.NewReporter(chromehistory.Name, func(a alert.Alert) { alerts = append(alerts, a) })
		at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
		for i := 0; i+4 < len(data) && i < 5*512; i += 5 {
			at = at.Add(time.Duration(data[i+2]) * 10 * time.Millisecond)
			from := int64(data[i+1] % 8)
			v := &chromehistory.Visit{
				ID: int64(i), VisitID: int64(data[i] % 8), URL: urls[int(data[i+3])%len(urls)],
				ISODate: timefmt.Of(at), RedirectSource: &from, ChromeHistoryDB: "db",
			}
			if data[i+4]&1 == 0 {
				v.Transition = chromehistory.TransitionText(uint32(data[i+4]) << 24)
			}
			if data[i+4] == 0xFF {
				v.ISODate = timefmt.Time{}
			}
			c.Check(v, r)
		}
		c.Finish(r)
		for _, a := range alerts {
			src, ok := a.Event.(*chromehistory.Visit)
			if a.Check != chromehistory.FastRedirect.ID || !ok || !strings.HasPrefix(src.URL, "http://") {
				t.Fatalf("alert %+v", a)
			}
		}
	})
}
