package cachefiles

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Response is one cached response. The first six keys are MVT's; the others extras.
type Response struct {
	EntryID       int64  `json:"entry_id"`
	Version       *int64 `json:"version"`
	HashValue     *int64 `json:"hash_value"`
	StoragePolicy *int64 `json:"storage_policy"`
	// URL is request_key.
	URL string `json:"url"`
	// ISODate is time_stamp parsed (UTC), null when absent or not a date.
	ISODate timefmt.Time `json:"isodate"`

	// Extras.
	// CacheFile is the database's path in the dump.
	CacheFile string `json:"cache_file"`
	// TimeStamp is time_stamp as stored.
	TimeStamp string `json:"time_stamp"`
	// Partition is the cache partition (newer iOS; "" when none).
	Partition string `json:"partition"`
}

// Timeline puts the response on the timeline with MVT's event name and wording.
func (r *Response) Timeline() []module.Event {
	if r.ISODate.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.ISODate.Time, Event: "cache_response", Data: r.CacheFile + " recorded visit to URL " + r.URL}}
}

// URLs lists the cached URL.
func (r *Response) URLs() []module.URL {
	if r.URL == "" {
		return nil
	}
	return []module.URL{{URL: r.URL, Time: r.ISODate.Time}}
}
