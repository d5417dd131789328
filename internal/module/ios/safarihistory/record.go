package safarihistory

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Visit is one Safari visit. The first eight keys are MVT's; the others are extras.
type Visit struct {
	// ID is the history item (history_items.id) of the visited URL.
	ID  int64  `json:"id"`
	URL string `json:"url"`
	// VisitID is history_visits.id.
	VisitID int64 `json:"visit_id"`
	// Timestamp is visit_time as stored: Mac absolute seconds.
	Timestamp float64      `json:"timestamp"`
	ISODate   timefmt.Time `json:"isodate"`
	// RedirectSource and RedirectDestination are the visit ids this visit was redirected
	// from and to, null when none.
	RedirectSource      *int64 `json:"redirect_source"`
	RedirectDestination *int64 `json:"redirect_destination"`
	// SafariHistoryDB is the database's name in the acquisition
	// ("HomeDomain/Library/Safari/History.db").
	SafariHistoryDB string `json:"safari_history_db"`

	// Extras.
	Title string `json:"title"`
	// LoadSuccessful is false for a page that failed to load; null when the database
	// has no such column.
	LoadSuccessful *bool `json:"load_successful"`
	// Origin is 0 for a visit made on this device, 1 for one synced from another device
	// through iCloud; null when the database has no such column.
	Origin *int64 `json:"origin"`
	// RedirectSourceURL is the URL of the redirect source visit ("" when none).
	RedirectSourceURL string `json:"redirect_source_url"`
}

// Timeline puts the visit on the timeline.
func (v *Visit) Timeline() []module.Event {
	data := v.URL
	if v.RedirectSourceURL != "" {
		data += " (redirect from " + v.RedirectSourceURL + ")"
	}
	return []module.Event{{Time: v.ISODate.Time, Event: "safari_history", Data: data}}
}

// URLs lists the visited URL.
func (v *Visit) URLs() []module.URL {
	if v.URL == "" {
		return nil
	}
	return []module.URL{{URL: v.URL, Time: v.ISODate.Time}}
}
