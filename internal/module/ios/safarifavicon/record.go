package safarifavicon

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Favicon is one cached (or rejected) favicon. Every key is MVT's.
type Favicon struct {
	// URL is the page the icon belongs to; IconURL the icon's own URL.
	URL     string `json:"url"`
	IconURL string `json:"icon_url"`
	// Timestamp is the timestamp column as stored (Mac absolute seconds), null when NULL.
	Timestamp *float64     `json:"timestamp"`
	ISODate   timefmt.Time `json:"isodate"`
	// Type is "valid" (icon_info) or "rejected" (rejected_resources).
	Type string `json:"type"`
	// DBPath is the database's path in the acquisition.
	DBPath string `json:"safari_favicon_db_path"`
}

func (f *Favicon) less(g *Favicon) bool {
	a, b := ts(f), ts(g)
	switch {
	case a != b:
		return a < b
	case f.Type != g.Type:
		return f.Type > g.Type // valid before rejected
	case f.URL != g.URL:
		return f.URL < g.URL
	}
	return f.IconURL < g.IconURL
}

func ts(f *Favicon) float64 {
	if f.Timestamp == nil {
		return -1e300
	}
	return *f.Timestamp
}

// Timeline puts the icon on the timeline with MVT's event name.
func (f *Favicon) Timeline() []module.Event {
	if f.ISODate.IsZero() {
		return nil
	}
	return []module.Event{{Time: f.ISODate.Time, Event: "safari_favicon",
		Data: fmt.Sprintf("Safari favicon from %s with icon URL %s (%s)", f.URL, f.IconURL, f.Type)}}
}

// URLs lists the page URL.
func (f *Favicon) URLs() []module.URL {
	if f.URL == "" {
		return nil
	}
	return []module.URL{{URL: f.URL, Time: f.ISODate.Time}}
}
