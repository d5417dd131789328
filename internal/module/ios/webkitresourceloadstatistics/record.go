package webkitresourceloadstatistics

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Observation is one ObservedDomains row: a registrable domain the web views of one app
// met. The keys up to path are MVT's (the interaction times only when the database has
// their columns, their dates only when set); the others are extras.
type Observation struct {
	DomainID          int64  `json:"domain_id"`
	RegistrableDomain string `json:"registrable_domain"`
	// LastSeen is lastSeen as stored: Unix seconds.
	LastSeen           float64      `json:"last_seen"`
	HadUserInteraction *bool        `json:"had_user_interaction"` // null when the column is absent
	LastSeenISODate    timefmt.Time `json:"last_seen_isodate"`
	// Domain is the backup domain of the database (AppDomain-com.apple.mobilesafari for
	// Safari), Path its path inside the domain.
	Domain string `json:"domain"`
	Path   string `json:"path"`

	// MostRecentUserInteractionTime and MostRecentWebPushInteractionTime are the raw
	// columns (Unix seconds, -1 for never), present when the database has them; their
	// dates are present when set.
	MostRecentUserInteractionTime       *float64      `json:"most_recent_user_interaction_time,omitempty"`
	MostRecentUserInteractionISODate    *timefmt.Time `json:"most_recent_user_interaction_time_isodate,omitempty"`
	MostRecentWebPushInteractionTime    *float64      `json:"most_recent_web_push_interaction_time,omitempty"`
	MostRecentWebPushInteractionISODate *timefmt.Time `json:"most_recent_web_push_interaction_time_isodate,omitempty"`

	// Extras.
	// IsPrevalent and IsVeryPrevalent are WebKit's classification of the domain as a
	// tracker; null when the database has no such column.
	IsPrevalent     *bool `json:"is_prevalent"`
	IsVeryPrevalent *bool `json:"is_very_prevalent"`
	// TopFrameRedirectsTo lists the registrable domains this domain's pages redirected
	// the browser to, TopFrameRedirectsFrom those whose pages redirected to it;
	// SubresourceRedirectsTo and SubresourceRedirectsFrom the same for resources loaded
	// by a page. Sorted; empty when none or when the database has no such table.
	TopFrameRedirectsTo      []string `json:"top_frame_redirects_to"`
	TopFrameRedirectsFrom    []string `json:"top_frame_redirects_from"`
	SubresourceRedirectsTo   []string `json:"subresource_redirects_to"`
	SubresourceRedirectsFrom []string `json:"subresource_redirects_from"`
}

// UnmarshalJSON reads an observation written by spytrace or by MVT; had_user_interaction
// may also be the column's number (0 or 1), as the database stores it.
func (o *Observation) UnmarshalJSON(data []byte) error {
	type plain Observation
	v := struct {
		*plain
		HadUserInteraction any `json:"had_user_interaction"`
	}{plain: (*plain)(o)}
	err := json.Unmarshal(data, &v)
	switch x := v.HadUserInteraction.(type) {
	case bool:
		o.HadUserInteraction = &x
	case float64:
		b := x != 0
		o.HadUserInteraction = &b
	case nil:
		o.HadUserInteraction = nil
	default:
		o.HadUserInteraction = nil
		if err == nil {
			err = &json.UnmarshalTypeError{Value: module.JSONKind(x), Type: reflect.TypeFor[bool](), Field: "had_user_interaction"}
		}
	}
	return err
}

// Timeline puts the domain on the timeline when it was last seen, with MVT's event name.
func (o *Observation) Timeline() []module.Event {
	if o.LastSeenISODate.IsZero() {
		return nil
	}
	data := "WebKit resource loaded from " + o.RegistrableDomain
	if o.Domain != "" {
		data += " by app in domain " + o.Domain
	}
	if len(o.TopFrameRedirectsFrom) > 0 {
		data += " (redirected from " + names(o.TopFrameRedirectsFrom) + ")"
	}
	if len(o.TopFrameRedirectsTo) > 0 {
		data += " (redirected to " + names(o.TopFrameRedirectsTo) + ")"
	}
	return []module.Event{{Time: o.LastSeenISODate.Time, Event: "visit", Data: data}}
}

// maxNames is the number of domains names writes before "and N more".
const maxNames = 5

// names joins domains for a message, at most maxNames of them.
func names(domains []string) string {
	if len(domains) <= maxNames {
		return strings.Join(domains, ", ")
	}
	return strings.Join(domains[:maxNames], ", ") + " and " + strconv.Itoa(len(domains)-maxNames) + " more"
}
