// Package taxiitest is a small TAXII 2.1 server for tests, served on 127.0.0.1: a
// discovery endpoint, one API root, collections, and objects with pagination, added_after
// filtering, basic or bearer authentication, and failures on demand.
package taxiitest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MediaType is TAXII 2.1's media type.
const MediaType = "application/taxii+json;version=2.1"

// RootPath is the path of the server's only API root.
const RootPath = "/api1/"

// Object is a STIX object in a collection with the time the server added it.
type Object struct {
	Added time.Time
	JSON  map[string]any
}

// Collection is a collection of the server.
type Collection struct {
	ID, Title string
	Objects   []Object // sorted by Added
}

// Server is the test server. Change its fields under Lock / Unlock (or before the first
// request).
type Server struct {
	*httptest.Server
	mu sync.Mutex

	Collections []*Collection
	// PageSize is the largest page the server gives (default 2).
	PageSize int
	// NoNext makes the server paginate without "next" tokens: clients must continue with
	// added_after = X-TAXII-Date-Added-Last.
	NoNext bool
	// User/Password require basic authentication; Token requires a bearer token.
	User, Password, Token string
	// BadPage, when > 0, makes the objects endpoint answer that page (1-based, counted
	// over the server's life) with a truncated JSON body.
	BadPage int
	// Delay delays every objects answer.
	Delay time.Duration

	pages    int
	Requests []string // path?query of every request, in order
}

// New starts a server on 127.0.0.1 with the given collections.
func New(cols ...*Collection) *Server {
	s := &Server{Collections: cols, PageSize: 2}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Lock locks the server's fields.
func (s *Server) Lock() { s.mu.Lock() }

// Unlock unlocks them.
func (s *Server) Unlock() { s.mu.Unlock() }

// Pages returns how many object pages the server answered.
func (s *Server) Pages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pages
}

// Log returns the requests seen so far.
func (s *Server) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.Requests)
}

// Add appends an object, added at t, to a collection.
func (s *Server) Add(collection string, t time.Time, obj map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.Collections {
		if c.ID == collection {
			c.Objects = append(c.Objects, Object{Added: t, JSON: obj})
			slices.SortStableFunc(c.Objects, func(a, b Object) int { return a.Added.Compare(b.Added) })
		}
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func taxiiError(w http.ResponseWriter, status int, title string) {
	writeJSON(w, status, map[string]any{"title": title, "http_status": strconv.Itoa(status)})
}

func (s *Server) authorized(r *http.Request) bool {
	switch {
	case s.Token != "":
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.Token)) == 1
	case s.User != "":
		u, p, ok := r.BasicAuth()
		return ok && u == s.User && subtle.ConstantTimeCompare([]byte(p), []byte(s.Password)) == 1
	}
	return true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.Requests = append(s.Requests, r.URL.RequestURI())
	s.mu.Unlock()
	if r.Method != http.MethodGet {
		taxiiError(w, http.StatusMethodNotAllowed, "only GET here")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Accept"), "application/taxii+json") {
		taxiiError(w, http.StatusNotAcceptable, "Accept must be "+MediaType)
		return
	}
	s.mu.Lock()
	if !s.authorized(r) {
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="taxii"`)
		taxiiError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	s.mu.Unlock()
	p := r.URL.Path
	switch {
	case p == "/taxii2/":
		writeJSON(w, http.StatusOK, map[string]any{
			"title": "Test TAXII server", "default": s.URL + RootPath,
			"api_roots": []string{s.URL + RootPath},
		})
	case p == RootPath:
		writeJSON(w, http.StatusOK, map[string]any{"title": "Test API root", "versions": []string{MediaType}, "max_content_length": 10485760})
	case p == RootPath+"collections/":
		s.mu.Lock()
		var cols []any
		for _, c := range s.Collections {
			cols = append(cols, s.describe(c))
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"collections": cols})
	case strings.HasPrefix(p, RootPath+"collections/"):
		rest := strings.Split(strings.TrimSuffix(strings.TrimPrefix(p, RootPath+"collections/"), "/"), "/")
		s.mu.Lock()
		var col *Collection
		for _, c := range s.Collections {
			if c.ID == rest[0] {
				col = c
			}
		}
		s.mu.Unlock()
		switch {
		case col == nil:
			taxiiError(w, http.StatusNotFound, "Collection not found")
		case len(rest) == 1:
			s.mu.Lock()
			d := s.describe(col)
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, d)
		case len(rest) == 2 && rest[1] == "objects":
			s.objects(w, r, col)
		default:
			taxiiError(w, http.StatusNotFound, "Not found")
		}
	default:
		taxiiError(w, http.StatusNotFound, "Not found")
	}
}

func (s *Server) describe(c *Collection) map[string]any {
	return map[string]any{"id": c.ID, "title": c.Title, "can_read": true, "can_write": false, "media_types": []string{"application/stix+json;version=2.1"}}
}

func (s *Server) objects(w http.ResponseWriter, r *http.Request, col *Collection) {
	s.mu.Lock()
	s.pages++
	page, bad, delay, size, noNext := s.pages, s.BadPage, s.Delay, s.PageSize, s.NoNext
	objs := slices.Clone(col.Objects)
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	q := r.URL.Query()
	if v := q.Get("added_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			taxiiError(w, http.StatusBadRequest, "bad added_after")
			return
		}
		objs = slices.DeleteFunc(objs, func(o Object) bool { return !o.Added.After(t) })
	}
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 && l < size {
		size = l
	}
	if size <= 0 {
		size = 2
	}
	start := 0
	if v := q.Get("next"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > len(objs) {
			taxiiError(w, http.StatusBadRequest, "bad next")
			return
		}
		start = n
	}
	end := min(start+size, len(objs))
	pageObjs := objs[start:end]
	env := map[string]any{"more": end < len(objs)}
	if end < len(objs) && !noNext {
		env["next"] = strconv.Itoa(end)
	}
	list := make([]any, 0, len(pageObjs))
	for _, o := range pageObjs {
		list = append(list, o.JSON)
	}
	if len(list) > 0 {
		env["objects"] = list
		w.Header().Set("X-TAXII-Date-Added-First", stamp(pageObjs[0].Added))
		w.Header().Set("X-TAXII-Date-Added-Last", stamp(pageObjs[len(pageObjs)-1].Added))
	}
	if page == bad {
		w.Header().Set("Content-Type", MediaType)
		data, _ := json.Marshal(env)
		_, _ = w.Write(data[:len(data)/2])
		return
	}
	writeJSON(w, http.StatusOK, env)
}

// Indicator returns a STIX 2.1 indicator object for a domain.
func Indicator(n int, domain string, modified time.Time) map[string]any {
	ts := modified.UTC().Format("2006-01-02T15:04:05.000Z")
	return map[string]any{
		"type": "indicator", "spec_version": "2.1",
		"id":      fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n),
		"created": "2026-01-01T00:00:00.000Z", "modified": ts,
		"pattern": "[domain-name:value = '" + domain + "']", "pattern_type": "stix",
		"valid_from": "2026-01-01T00:00:00Z", "indicator_types": []string{"malicious-activity"},
	}
}
