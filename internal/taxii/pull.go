package taxii

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Request is one incremental pull of a collection into an indicators folder.
type Request struct {
	Server     *url.URL // the URL the user gave (recorded in the state)
	Root       *url.URL // the API root holding the collection
	Collection Collection
	Dir        string // the indicators folder
	// AddedAfter, when not empty, overrides the remembered date; Full ignores it and
	// pulls everything (the result is still merged with the earlier pull).
	AddedAfter string
	Full       bool
	Now        time.Time
	Page       PullOptions // bounds; its AddedAfter is set by Pull
}

// Result says what a pull did.
type Result struct {
	AddedAfter string // the added_after sent, "" for a full pull
	Pulled     *Pulled
	Merged     *Merged // nil when nothing was pulled and there is no earlier file
	Source     Source
}

// Pull fetches the collection's objects added since the last pull (or since
// req.AddedAfter), merges them into the collection's bundle file in req.Dir and
// records the pull in the state file. A failed pull changes nothing on disk.
func (c *Client) Pull(ctx context.Context, req Request) (*Result, error) {
	if err := os.MkdirAll(req.Dir, 0o755); err != nil {
		return nil, err
	}
	st, err := ReadState(req.Dir)
	if err != nil {
		return nil, err
	}
	name := BundleName(req.Root, req.Collection.ID)
	path := filepath.Join(req.Dir, name)
	_, statErr := os.Stat(path)
	fileExists := statErr == nil

	res := &Result{}
	prev := st.Find(req.Root.String(), req.Collection.ID)
	switch {
	case req.Full:
	case req.AddedAfter != "":
		res.AddedAfter = req.AddedAfter
	case prev != nil && fileExists && prev.DateAddedLast != "":
		res.AddedAfter = prev.DateAddedLast
	}
	if res.AddedAfter != "" {
		if _, err := ParseTime(res.AddedAfter); err != nil {
			return nil, fmt.Errorf("bad added_after %q: want an RFC 3339 time such as 2026-01-31T00:00:00Z", res.AddedAfter)
		}
	}
	opts := req.Page
	opts.AddedAfter = res.AddedAfter
	pulled, err := c.Objects(ctx, req.Root, req.Collection.ID, opts)
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("collection %s not found at %s: %w", req.Collection.ID, redact(req.Root), err)
		}
		return nil, err
	}
	res.Pulled = pulled

	src := Source{
		Server: redact(req.Server), APIRoot: req.Root.String(), Collection: req.Collection.ID,
		Title: req.Collection.Title, File: name, LastPull: req.Now.UTC(),
		DateAddedLast: pulled.DateAddedLast,
	}
	if src.DateAddedLast == "" || len(pulled.Objects) == 0 {
		// Nothing new: the next pull starts from the same point.
		src.DateAddedLast = res.AddedAfter
	}
	if prev != nil && src.Title == "" {
		src.Title = prev.Title
	}
	if len(pulled.Objects) > 0 || !fileExists {
		m, err := WriteBundle(path, pulled.Objects)
		if err != nil {
			return nil, err
		}
		res.Merged = m
		src.Objects, src.Indicators = m.Objects, m.Report.Indicators
	} else if prev != nil {
		src.Objects, src.Indicators = prev.Objects, prev.Indicators
	}
	st.Put(src)
	if err := st.Write(req.Dir); err != nil {
		return nil, fmt.Errorf("the bundle is written but the TAXII state is not (the next pull will fetch everything again): %w", err)
	}
	res.Source = src
	return res, nil
}

// FindCollection looks for a collection id in each API root in turn. It returns the API
// root holding it and its description, or an error naming the collections that exist.
func (c *Client) FindCollection(ctx context.Context, roots []*APIRoot, id string) (*APIRoot, *Collection, error) {
	var firstErr error
	var known []string
	for _, r := range roots {
		col, err := c.Collection(ctx, r.URL, id)
		if err == nil {
			return r, col, nil
		}
		if !IsNotFound(err) {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if cols, err := c.Collections(ctx, r.URL); err == nil {
			for _, col := range cols {
				if col.ID == id || col.Alias != "" && col.Alias == id {
					col := col
					return r, &col, nil
				}
				known = append(known, col.ID)
			}
		}
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	msg := fmt.Sprintf("collection %q not found on the server", id)
	if len(known) > 0 {
		if len(known) > 10 {
			known = append(known[:10], "…")
		}
		msg += " (it has: " + strings.Join(known, ", ") + ")"
	} else {
		msg += " (run without --collection to list the collections)"
	}
	return nil, nil, errors.New(msg)
}
