package webkitsessionresourcelog

import (
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Entry is one browsingStatistics entry: the statistics WebKit kept about one
// registrable domain. The first eight keys are MVT's; the others are extras.
type Entry struct {
	// Origin is the domain (PrevalentResourceDomain, or PrevalentResourceOrigin in
	// older files).
	Origin string `json:"origin"`
	// RedirectSource lists the domains whose pages redirected the browser to this one
	// (topFrameUniqueRedirectsFrom), RedirectDestination those this one's pages
	// redirected to (topFrameUniqueRedirectsTo).
	RedirectSource      []Ref `json:"redirect_source"`
	RedirectDestination []Ref `json:"redirect_destination"`
	// SubframeUnderOrigin and SubresourceUnderOrigin list the top-frame domains under
	// which this domain was loaded as a frame or as a resource.
	SubframeUnderOrigin    []Ref `json:"subframe_under_origin"`
	SubresourceUnderOrigin []Ref `json:"subresource_under_origin"`
	// UserInteraction is hadUserInteraction; null when absent.
	UserInteraction       *bool        `json:"user_interaction"`
	MostRecentInteraction timefmt.Time `json:"most_recent_interaction"`
	LastSeen              timefmt.Time `json:"last_seen"`

	// Extras.
	// File is the plist's path in the backup (MVT keys its results by it).
	File string `json:"file"`
	// SubresourceRedirectsTo and SubresourceRedirectsFrom are
	// subresourceUniqueRedirectsTo and subresourceUniqueRedirectsFrom.
	SubresourceRedirectsTo   []Ref `json:"subresource_redirects_to"`
	SubresourceRedirectsFrom []Ref `json:"subresource_redirects_from"`
	// IsPrevalent and IsVeryPrevalent are WebKit's classification of the domain as a
	// tracker (isPrevalentResource, isVeryPrevalentResource); null when absent.
	IsPrevalent     *bool `json:"is_prevalent"`
	IsVeryPrevalent *bool `json:"is_very_prevalent"`
}

// Ref is one item of a domain list, as the file has it: {origin, count} in files of
// statistics models up to 14, {domain} after.
type Ref struct {
	Origin string `json:"origin,omitempty"`
	Domain string `json:"domain,omitempty"`
	Count  *int64 `json:"count,omitempty"`
}

// Name returns the domain the item names.
func (r Ref) Name() string {
	if r.Domain != "" {
		return r.Domain
	}
	return r.Origin
}

// Timeline puts the entry on the timeline when the domain was last seen.
func (e *Entry) Timeline() []module.Event {
	if e.LastSeen.IsZero() {
		return nil
	}
	data := "WebKit session resource " + e.Origin
	if len(e.RedirectSource) > 0 {
		data += " (redirected from " + names(e.RedirectSource) + ")"
	}
	if len(e.RedirectDestination) > 0 {
		data += " (redirected to " + names(e.RedirectDestination) + ")"
	}
	data += " in " + e.File
	return []module.Event{{Time: e.LastSeen.Time, Event: "webkit_session_resource", Data: data}}
}

// maxNames is the number of domains names writes before "and N more".
const maxNames = 5

// names joins the domains of refs, at most maxNames of them.
func names(refs []Ref) string {
	var b strings.Builder
	for i, r := range refs {
		if i == maxNames {
			b.WriteString(" and " + strconv.Itoa(len(refs)-maxNames) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.Name())
	}
	return b.String()
}
