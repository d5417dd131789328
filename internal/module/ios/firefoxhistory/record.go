package firefoxhistory

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Visit is one Firefox visit. The first six keys are MVT's; the others are extras.
type Visit struct {
	// ID is the visit's id (visits.id or moz_historyvisits.id).
	ID      int64        `json:"id"`
	ISODate timefmt.Time `json:"isodate"`
	URL     string       `json:"url"`
	Title   string       `json:"title"`
	// MVTIsLocal is is_local under MVT's misspelt key, kept for compatibility.
	MVTIsLocal *int64 `json:"i1000000s_local"`
	// Type is the visit type (1 link, 2 typed, 3 bookmark, 5 and 6 redirects…); null when
	// the database has no such column.
	Type *int64 `json:"type"`

	// Extras.
	// IsLocal is 1 for a visit made on this device, 0 for one synced from another device;
	// null when the database has no such column.
	IsLocal *int64 `json:"is_local"`
	// HistoryID is the visited URL's row: visits.siteID (browser.db) or
	// moz_historyvisits.place_id (places.db).
	HistoryID int64 `json:"history_id"`
	// FromVisit is the id of the visit this one came from (a link or redirect source;
	// places.db only), null when none.
	FromVisit *int64 `json:"from_visit"`
	// FirefoxDB is the database's name in the acquisition
	// ("AppDomainGroup-group.org.mozilla.ios.Firefox/profile.profile/browser.db").
	FirefoxDB string `json:"firefox_db"`
}

// Timeline puts the visit on the timeline, in MVT's words.
func (v *Visit) Timeline() []module.Event {
	return []module.Event{{Time: v.ISODate.Time, Event: "firefox_history",
		Data: fmt.Sprintf("Firefox visit with ID %d to URL: %s", v.ID, v.URL)}}
}

// URLs lists the visited URL.
func (v *Visit) URLs() []module.URL {
	if v.URL == "" {
		return nil
	}
	return []module.URL{{URL: v.URL, Time: v.ISODate.Time}}
}
