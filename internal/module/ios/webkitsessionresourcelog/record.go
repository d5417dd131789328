package webkitsessionresourcelog

import (
	"bytes"
	"encoding/json"
	"reflect"
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

// UnmarshalJSON reads an entry written by spytrace or by MVT. MVT writes "" for a
// domain list the file lacks, and a list may hold plain domain names: both are read.
func (e *Entry) UnmarshalJSON(data []byte) error {
	type plain Entry
	v := struct {
		*plain
		RedirectSource           json.RawMessage `json:"redirect_source"`
		RedirectDestination      json.RawMessage `json:"redirect_destination"`
		SubframeUnderOrigin      json.RawMessage `json:"subframe_under_origin"`
		SubresourceUnderOrigin   json.RawMessage `json:"subresource_under_origin"`
		SubresourceRedirectsTo   json.RawMessage `json:"subresource_redirects_to"`
		SubresourceRedirectsFrom json.RawMessage `json:"subresource_redirects_from"`
	}{plain: (*plain)(e)}
	err := json.Unmarshal(data, &v)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	for _, l := range []struct {
		raw  json.RawMessage
		dst  *[]Ref
		name string
	}{
		{v.RedirectSource, &e.RedirectSource, "redirect_source"},
		{v.RedirectDestination, &e.RedirectDestination, "redirect_destination"},
		{v.SubframeUnderOrigin, &e.SubframeUnderOrigin, "subframe_under_origin"},
		{v.SubresourceUnderOrigin, &e.SubresourceUnderOrigin, "subresource_under_origin"},
		{v.SubresourceRedirectsTo, &e.SubresourceRedirectsTo, "subresource_redirects_to"},
		{v.SubresourceRedirectsFrom, &e.SubresourceRedirectsFrom, "subresource_redirects_from"},
	} {
		refs, lerr := decodeRefs(l.raw, l.name)
		*l.dst = refs
		if err == nil {
			err = lerr
		}
	}
	return err
}

// decodeRefs reads a domain list of an entry: a list of {origin, count}, {domain} or
// plain names; null, "" (MVT's absent list) or no key are no list. Anything else is
// no list and a *json.UnmarshalTypeError.
func decodeRefs(raw json.RawMessage, field string) ([]Ref, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0, string(raw) == "null", string(raw) == `""`:
		return nil, nil
	case raw[0] != '[':
		return nil, &json.UnmarshalTypeError{Value: jsonKind(raw), Type: reflect.TypeFor[[]Ref](), Field: field}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	refs := make([]Ref, 0, len(items))
	var err error
	for _, item := range items {
		var r Ref
		var ierr error
		switch item = bytes.TrimSpace(item); {
		case len(item) > 0 && item[0] == '"':
			ierr = json.Unmarshal(item, &r.Domain)
		case len(item) > 0 && item[0] == '{':
			ierr = json.Unmarshal(item, &r)
		default:
			if err == nil {
				err = &json.UnmarshalTypeError{Value: jsonKind(item), Type: reflect.TypeFor[Ref](), Field: field}
			}
			continue
		}
		if ierr != nil && err == nil {
			err = ierr
		}
		refs = append(refs, r)
	}
	return refs, err
}

// jsonKind names the JSON type of a raw value, as json.UnmarshalTypeError does.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
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
