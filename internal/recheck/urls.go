package recheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/safely"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/unshorten"
)

// ExpandedURL is one entry of expanded_urls.json: a shortened URL of the case's
// urls.json and where it leads.
type ExpandedURL struct {
	URL string `json:"url"`
	// ExpandedURL is where the URL leads (MVT's key in urls.json), null when the
	// shortener did not say.
	ExpandedURL *string `json:"expanded_url"`
	// Hops are every redirect target, in order.
	Hops      []string     `json:"hops"`
	Timestamp timefmt.Time `json:"timestamp"`
	Source    string       `json:"source"`
	Error     string       `json:"error,omitempty"`
}

// savedURL is an entry of urls.json (spytrace's and MVT's keys).
type savedURL struct {
	URL       string       `json:"url"`
	Timestamp timefmt.Time `json:"timestamp"`
	Source    string       `json:"source"`
}

// maxURLsBytes bounds the urls.json read.
const maxURLsBytes = 1 << 30

// Shortened returns the URLs of the case's urls.json that are on a shortener (as x
// sees it), once each (the first entry of a URL is kept).
func (c *Case) Shortened(x *unshorten.Expander) ([]ExpandedURL, error) {
	root, err := os.OpenRoot(c.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open("urls.json")
	if os.IsNotExist(err) {
		return []ExpandedURL{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	out := []ExpandedURL{}
	err = eachRecord(io.LimitReader(f, maxURLsBytes), 1<<20, func(raw json.RawMessage) error {
		var u savedURL
		if json.Unmarshal(raw, &u) != nil || u.URL == "" || seen[u.URL] || !x.IsShortener(u.URL) {
			return nil
		}
		seen[u.URL] = true
		out = append(out, ExpandedURL{URL: u.URL, Hops: []string{}, Timestamp: u.Timestamp, Source: u.Source})
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("read urls.json: %w", err)
	}
	return out, nil
}

// ExpandURLs expands urls (from Shortened) with x, on up to workers requests at once,
// keeps them for expanded_urls.json, and checks every URL they lead through against the
// indicators of env: a match is raised under the module that found the URL.
func (o *Outcome) ExpandURLs(ctx context.Context, urls []ExpandedURL, x *unshorten.Expander, env *check.Env, workers int) {
	workers = max(1, min(workers, len(urls)))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var r unshorten.Result
				if err := safely.Do(func() { r = x.Expand(ctx, urls[i].URL) }); err != nil {
					urls[i].Error = err.Error()
					continue
				}
				urls[i].Hops, urls[i].Error = r.Hops, r.Error
				if f := r.Final(); f != "" {
					urls[i].ExpandedURL = &f
				}
			}
		}()
	}
	for i := range urls {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for i := range urls {
		u := &urls[i]
		r := check.NewReporter(u.Source, o.add)
		for _, hop := range u.Hops {
			where := fmt.Sprintf("the destination of the shortened URL %q found in %s", u.URL, u.Source)
			if env.URL(r, alert.Critical, hop, where, u.Timestamp.Time, u) {
				break
			}
		}
	}
	o.URLs = urls
}
