package firefoxfavicon

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Favicon is one Firefox favicon and the page it was fetched for. The first eight keys
// are MVT's; the others are extras.
type Favicon struct {
	// ID is favicons.id.
	ID int64 `json:"id"`
	// URL is the icon's address (favicons.url).
	URL    string `json:"url"`
	Width  *int64 `json:"width"`
	Height *int64 `json:"height"`
	// Type is Firefox's IconType: 0 icon, 1 apple-touch-icon, 2 precomposed, 3 guessed,
	// 4 local, 5 none found.
	Type *int64 `json:"type"`
	// ISODate is when the icon was fetched (favicons.date).
	ISODate timefmt.Time `json:"isodate"`
	// HistoryID is the history row of the page (favicon_sites.siteID); null for icons
	// linked by URL or to no page.
	HistoryID *int64 `json:"history_id"`
	// HistoryURL is the page's address: history.url, or favicon_site_urls.site_url; ""
	// for an icon linked to no page.
	HistoryURL string `json:"history_url"`

	// Extras.
	// LinkedBy is the table linking the icon to its page: "favicon_sites",
	// "favicon_site_urls", or "" for an icon linked to no page.
	LinkedBy string `json:"linked_by"`
	// FirefoxDB is the database's name in the acquisition
	// ("AppDomainGroup-group.org.mozilla.ios.Firefox/profile.profile/browser.db").
	FirefoxDB string `json:"firefox_db"`
}

// Timeline puts the favicon on the timeline, in MVT's words, under the event name
// firefox_favicon (MVT writes firefox_history).
func (f *Favicon) Timeline() []module.Event {
	data := "Firefox favicon " + f.URL
	if f.HistoryURL != "" {
		data += " when visiting " + f.HistoryURL
	}
	return []module.Event{{Time: f.ISODate.Time, Event: "firefox_favicon", Data: data}}
}

// URLs lists the icon's address and the page's.
func (f *Favicon) URLs() []module.URL {
	var out []module.URL
	for _, u := range []string{f.URL, f.HistoryURL} {
		if u != "" {
			out = append(out, module.URL{URL: u, Time: f.ISODate.Time})
		}
	}
	return out
}
