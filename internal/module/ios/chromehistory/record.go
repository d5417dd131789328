package chromehistory

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Visit is one Chrome visit. The first six keys are MVT's; the others are extras.
type Visit struct {
	// ID is the URL row (urls.id) of the visited URL.
	ID  int64  `json:"id"`
	URL string `json:"url"`
	// VisitID is visits.id.
	VisitID int64 `json:"visit_id"`
	// Timestamp is visit_time as stored: Chrome time, microseconds since 1601-01-01 UTC.
	Timestamp int64        `json:"timestamp"`
	ISODate   timefmt.Time `json:"isodate"`
	// RedirectSource is from_visit as stored: the visit this one came from (a referring
	// page or the previous step of a redirect), 0 when none, as in MVT; null when the
	// database has no such column or the value is NULL.
	RedirectSource *int64 `json:"redirect_source"`

	// Extras.

	// ChromeHistoryDB is the database's name in the acquisition.
	ChromeHistoryDB string `json:"chrome_history_db"`
	// Title is the URL's title (urls.title).
	Title string `json:"title"`
	// Transition is the decoded page transition: the core type then the qualifiers,
	// joined by "|" ("typed|from_address_bar|server_redirect|chain_end"); "" when the
	// database has no such column.
	Transition string `json:"transition"`
	// VisitDuration is visit_duration in seconds; null when the database has no such
	// column.
	VisitDuration *float64 `json:"visit_duration"`
	// RedirectSourceURL is the URL of the from_visit visit ("" when none).
	RedirectSourceURL string `json:"redirect_source_url"`
}

// Timeline puts the visit on the timeline.
func (v *Visit) Timeline() []module.Event {
	data := v.URL
	if v.RedirectSourceURL != "" {
		if v.redirect() {
			data += " (redirect from " + v.RedirectSourceURL + ")"
		} else {
			data += " (from " + v.RedirectSourceURL + ")"
		}
	}
	return []module.Event{{Time: v.ISODate.Time, Event: "visit", Data: data}}
}

// URLs lists the visited URL.
func (v *Visit) URLs() []module.URL {
	if v.URL == "" {
		return nil
	}
	return []module.URL{{URL: v.URL, Time: v.ISODate.Time}}
}

// Page transition bits (Chromium's ui/base/page_transition_types.h).
const (
	coreMask        = 0xFF
	chainEnd        = 0x20000000
	clientRedirect  = 0x40000000
	serverRedirect  = 0x80000000
	qualifierMask   = 0xFFFFFF00
	knownQualifiers = 0xFFE00000
)

// The checks read the decoded transition, so that they judge records reloaded from an
// earlier results folder the same way.

// redirect reports whether the visit is a step of a redirect chain after its start.
func (v *Visit) redirect() bool {
	return v.hasQualifier("client_redirect") || v.hasQualifier("server_redirect")
}

// endsChain reports whether the visit is known to end its redirect chain.
func (v *Visit) endsChain() bool { return v.hasQualifier("chain_end") }

func (v *Visit) hasQualifier(name string) bool {
	if v.Transition == "" {
		return false
	}
	for part := range strings.SplitSeq(v.Transition, "|") {
		if part == name {
			return true
		}
	}
	return false
}

var coreNames = []string{"link", "typed", "auto_bookmark", "auto_subframe", "manual_subframe", "generated",
	"auto_toplevel", "form_submit", "reload", "keyword", "keyword_generated"}

// qualifierNames are the qualifier bits in the order they are written.
var qualifierNames = []struct {
	bit  uint32
	name string
}{
	{0x00200000, "from_api_3"}, // experiment, removed in 2021
	{0x00400000, "from_api_2"}, // experiment, removed in 2021
	{0x00800000, "blocked"},
	{0x01000000, "forward_back"},
	{0x02000000, "from_address_bar"},
	{0x04000000, "home_page"},
	{0x08000000, "from_api"},
	{0x10000000, "chain_start"},
	{chainEnd, "chain_end"},
	{clientRedirect, "client_redirect"},
	{serverRedirect, "server_redirect"},
}

// TransitionText decodes a page transition: the core type ("link", "typed"…, or
// "core_N" for an unknown one) then each qualifier set, joined by "|"; bits Chromium
// never defined are appended as one hexadecimal value.
func TransitionText(t uint32) string {
	parts := make([]string, 0, 4)
	if core := t & coreMask; int(core) < len(coreNames) {
		parts = append(parts, coreNames[core])
	} else {
		parts = append(parts, fmt.Sprintf("core_%d", core))
	}
	for _, q := range qualifierNames {
		if t&q.bit != 0 {
			parts = append(parts, q.name)
		}
	}
	if unknown := t & qualifierMask &^ knownQualifiers; unknown != 0 {
		parts = append(parts, fmt.Sprintf("0x%08x", unknown))
	}
	return strings.Join(parts, "|")
}
