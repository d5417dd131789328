package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PullOptions bounds and filters one pull of a collection's objects.
type PullOptions struct {
	// AddedAfter, when not empty, asks only for objects added after this time (a
	// timestamp as the server wrote it in X-TAXII-Date-Added-Last).
	AddedAfter string
	// Limit is the page size asked for (the server may give less); 0 asks for none.
	Limit int
	// MaxPages bounds the number of pages; 0 means DefaultMaxPages.
	MaxPages int
	// MaxBytes bounds the bytes of all pages together; 0 means DefaultMaxPullBytes.
	MaxBytes int64
	// Page, if not nil, is called after each page with the running totals.
	Page func(pages, objects int)
}

// Pulled is what a pull fetched.
type Pulled struct {
	Objects []json.RawMessage
	Pages   int
	Bytes   int64
	// DateAddedFirst and DateAddedLast are the X-TAXII-Date-Added-First of the first
	// page and the X-TAXII-Date-Added-Last of the last page that held objects; empty
	// when the server sent none.
	DateAddedFirst, DateAddedLast string
}

// envelope is the answer of the objects endpoint.
type envelope struct {
	More    bool              `json:"more"`
	Next    json.RawMessage   `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// next returns the pagination token, which some servers write as a number.
func (e *envelope) next() (string, error) {
	if len(e.Next) == 0 || string(e.Next) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(e.Next, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(e.Next, &n) == nil {
		return n.String(), nil
	}
	return "", errors.New(`"next" is neither a string nor a number`)
}

// ParseTime parses a TAXII timestamp (RFC 3339, UTC "Z" or an offset).
func ParseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
}

// Objects fetches every object of a collection, page by page, until the server says
// there is no more. The whole pull fails on the first bad page: nothing partial is
// returned.
func (c *Client) Objects(ctx context.Context, root *url.URL, collection string, o PullOptions) (*Pulled, error) {
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxPullBytes
	}
	base := sub(root, "collections", collection, "objects")
	res := &Pulled{}
	addedAfter, next := o.AddedAfter, ""
	seenNext := map[string]bool{}
	for {
		if res.Pages >= o.MaxPages {
			return nil, fmt.Errorf("stopped after %d pages: the collection is larger than this pull allows (raise --max-pages, or pull with --added-after)", o.MaxPages)
		}
		remaining := o.MaxBytes - res.Bytes
		if remaining <= 0 {
			return nil, fmt.Errorf("stopped after %d bytes: the collection is larger than this pull allows (raise --max-bytes)", res.Bytes)
		}
		u := *base
		q := url.Values{}
		if addedAfter != "" {
			q.Set("added_after", addedAfter)
		}
		if o.Limit > 0 {
			q.Set("limit", strconv.Itoa(o.Limit))
		}
		if next != "" {
			q.Set("next", next)
		}
		u.RawQuery = q.Encode()
		var env envelope
		sz := &sizeCounter{}
		hdr, err := c.getCounted(ctx, &u, remaining, &env, sz)
		if err != nil {
			if res.Pages > 0 {
				return nil, fmt.Errorf("page %d: %w", res.Pages+1, err)
			}
			return nil, err
		}
		res.Pages++
		res.Bytes += sz.n
		res.Objects = append(res.Objects, env.Objects...)
		if len(env.Objects) > 0 {
			if f := strings.TrimSpace(hdr.Get("X-TAXII-Date-Added-First")); f != "" && res.DateAddedFirst == "" {
				res.DateAddedFirst = f
			}
			if l := strings.TrimSpace(hdr.Get("X-TAXII-Date-Added-Last")); l != "" {
				res.DateAddedLast = l
			}
		}
		if o.Page != nil {
			o.Page(res.Pages, len(res.Objects))
		}
		if !env.More {
			return res, nil
		}
		tok, err := env.next()
		if err != nil {
			return nil, fmt.Errorf("%s: page %d: %w", redact(&u), res.Pages, err)
		}
		if tok != "" {
			if seenNext[tok] {
				return nil, fmt.Errorf("%s: page %d: the server repeats the pagination token %q (a loop)", redact(&u), res.Pages, tok)
			}
			seenNext[tok] = true
			next = tok
			continue
		}
		// "more" without "next": continue after the last object of this page.
		last := strings.TrimSpace(hdr.Get("X-TAXII-Date-Added-Last"))
		if len(env.Objects) == 0 || last == "" {
			return nil, fmt.Errorf("%s: page %d: the server says there is more but gives neither a \"next\" token nor an X-TAXII-Date-Added-Last header to continue", redact(&u), res.Pages)
		}
		lt, err := ParseTime(last)
		if err != nil {
			return nil, fmt.Errorf("%s: page %d: bad X-TAXII-Date-Added-Last %q", redact(&u), res.Pages, last)
		}
		if addedAfter != "" {
			if at, err := ParseTime(addedAfter); err == nil && !lt.After(at) {
				return nil, fmt.Errorf("%s: page %d: the server says there is more but X-TAXII-Date-Added-Last does not advance (%s)", redact(&u), res.Pages, last)
			}
		}
		addedAfter, next = last, ""
	}
}

// sizeCounter receives the size of a response body.
type sizeCounter struct{ n int64 }
