package chromefavicon

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Favicon is one page and one bitmap of its icon. The first four keys are MVT's; the
// others are extras.
type Favicon struct {
	// URL is the page (icon_mapping.page_url); "" for an icon no page maps to.
	URL string `json:"url"`
	// IconURL is the icon's address (favicons.url); "" when the icon row is missing.
	IconURL string `json:"icon_url"`
	// Timestamp is favicon_bitmaps.last_updated, or last_requested when last_updated is
	// 0, as stored: Chrome time, microseconds since 1601-01-01 UTC (0 when neither).
	Timestamp int64        `json:"timestamp"`
	ISODate   timefmt.Time `json:"isodate"`

	// Extras.

	// ChromeFaviconDB is the database's name in the acquisition.
	ChromeFaviconDB string `json:"chrome_favicon_db"`
	// IconType is favicons.icon_type: "favicon", "touch_icon", "touch_precomposed_icon",
	// "web_manifest_icon" ("type_N" for another value, "" when unknown).
	IconType string `json:"icon_type"`
	// Width and Height are the bitmap's size in pixels; null without a bitmap.
	Width  *int64 `json:"width"`
	Height *int64 `json:"height"`
}

// Timeline puts the icon's download on the timeline.
func (f *Favicon) Timeline() []module.Event {
	page := f.URL
	if page == "" {
		page = "no page"
	}
	return []module.Event{{Time: f.ISODate.Time, Event: "new_favicon", Data: f.IconURL + " from " + page}}
}

// URLs lists the page and the icon.
func (f *Favicon) URLs() []module.URL {
	var out []module.URL
	for _, u := range []string{f.URL, f.IconURL} {
		if u != "" {
			out = append(out, module.URL{URL: u, Time: f.ISODate.Time})
		}
	}
	return out
}
