package safaribrowserstate

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Tab is one open Safari tab. The first six keys are MVT's; the others are extras.
type Tab struct {
	TabTitle      string `json:"tab_title"`
	TabURL        string `json:"tab_url"`
	TabVisibleURL string `json:"tab_visible_url"`
	// LastViewedTimestamp is last_viewed_time (Mac absolute seconds), converted.
	LastViewedTimestamp timefmt.Time `json:"last_viewed_timestamp"`
	// SessionData is the tab's back/forward list, oldest page first (never null).
	SessionData []SessionEntry `json:"session_data"`
	// SafariBrowserStateDB is the database's name in the acquisition
	// ("HomeDomain/Library/Safari/BrowserState.db").
	SafariBrowserStateDB string `json:"safari_browser_state_db"`

	// Extras.
	PrivateBrowsing bool `json:"private_browsing"`
	OpenedFromLink  bool `json:"opened_from_link"`
	// SessionDataError says why session_data could not be read (entirely or in part).
	SessionDataError string `json:"session_data_error,omitempty"`
}

// SessionEntry is one page of a tab's back/forward list. MVT writes the entry's
// original URL under entry_title; here entry_title is the page title and the original
// URL has its own key.
type SessionEntry struct {
	EntryTitle string `json:"entry_title"`
	EntryURL   string `json:"entry_url"`
	// EntryOriginalURL is the address first requested, before any redirect.
	EntryOriginalURL string `json:"entry_original_url"`
	// DataLength is the size of the entry's saved page state (SessionHistoryEntryData).
	DataLength int `json:"data_length"`
}

// Timeline puts the tab on the timeline at the time it was last viewed.
func (t *Tab) Timeline() []module.Event {
	data := t.TabURL
	if t.TabTitle != "" {
		data += " (" + t.TabTitle + ")"
	}
	return []module.Event{{Time: t.LastViewedTimestamp.Time, Event: "tab", Data: data}}
}

// URLs lists the tab's URLs and those of its back/forward list, once each.
func (t *Tab) URLs() []module.URL {
	var out []module.URL
	for _, u := range t.urls() {
		out = append(out, module.URL{URL: u.url, Time: t.LastViewedTimestamp.Time})
	}
	return out
}

// tabURL is a URL of a tab and whether it comes from the back/forward list.
type tabURL struct {
	url     string
	history bool
}

// urls returns the tab URL, the visible URL, then every entry's URL and original URL,
// without repeats or empty strings.
func (t *Tab) urls() []tabURL {
	var out []tabURL
	seen := map[string]bool{}
	add := func(u string, history bool) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, tabURL{u, history})
		}
	}
	add(t.TabURL, false)
	add(t.TabVisibleURL, false)
	for _, e := range t.SessionData {
		add(e.EntryURL, true)
		add(e.EntryOriginalURL, true)
	}
	return out
}
