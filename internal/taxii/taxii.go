// Package taxii is a small TAXII 2.1 client that pulls STIX objects from a collection
// into a STIX 2.1 bundle in spytrace's indicators folder.
//
// The protocol (OASIS TAXII 2.1), as used here:
//
//	GET {server}/taxii2/                            discovery: api_roots (URLs), default
//	GET {api-root}/                                 API root: title, versions
//	GET {api-root}/collections/                     collections: id, title, can_read
//	GET {api-root}/collections/{id}/                one collection
//	GET {api-root}/collections/{id}/objects/        an envelope {more, next, objects}
//	    ?added_after=T&limit=N&next=TOKEN
//
// Every request sends Accept: application/taxii+json;version=2.1. Responses to the
// objects endpoint carry X-TAXII-Date-Added-First and X-TAXII-Date-Added-Last, the
// date_added of the first and last object of the page. Pagination follows "next" while
// "more" is true; when a server says "more" without a "next" token, the following page
// is asked with added_after set to the page's X-TAXII-Date-Added-Last, as the
// specification allows. The last X-TAXII-Date-Added-Last of a pull is remembered (see
// [State]) and used as added_after by the next pull of the same collection, so that
// pulls are incremental.
//
// The client honours the proxy environment variables (HTTPS_PROXY, NO_PROXY…) or an
// explicit proxy, verifies TLS certificates (extra roots may be given, never turned
// off), bounds every response and the whole pull in bytes and pages, times out each
// request, and sends a User-Agent naming spytrace and its version. Credentials are HTTP
// basic or a bearer token; Go's client drops them when a redirect leaves the host.
package taxii

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/version"
)

// MediaType is the TAXII 2.1 media type sent in Accept.
const MediaType = "application/taxii+json;version=2.1"

// Defaults of [Options] and [PullOptions].
const (
	DefaultTimeout          = 60 * time.Second
	DefaultMaxResponseBytes = 64 << 20
	DefaultMaxPullBytes     = 512 << 20
	DefaultMaxPages         = 10000
)

// Options configures a [Client].
type Options struct {
	// Timeout bounds each request, body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// Proxy, if not nil, is used for every request; nil uses the environment
	// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
	Proxy *url.URL
	// RootCAs, if not nil, are trusted besides the system's certificates.
	RootCAs *x509.CertPool
	// User and Password give HTTP basic authentication when User is not empty.
	User, Password string
	// Token gives bearer authentication when not empty.
	Token string
	// MaxResponseBytes bounds one response body; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Transport, if not nil, replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// Client talks to one TAXII 2.1 server.
type Client struct {
	hc   *http.Client
	opts Options
	ua   string
}

// New returns a client.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	rt := opts.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		if opts.Proxy != nil {
			t.Proxy = http.ProxyURL(opts.Proxy)
		}
		if opts.RootCAs != nil {
			t.TLSClientConfig = &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12}
		}
		rt = t
	}
	hc := &http.Client{
		Transport: rt,
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return errors.New("redirected from https to " + req.URL.Scheme)
			}
			return nil
		},
	}
	return &Client{hc: hc, opts: opts, ua: "spytrace/" + version.Get().Version + " (TAXII 2.1 client)"}
}

// StatusError is a response with an unexpected HTTP status. Title and Description come
// from the TAXII error message in the body, when there is one.
type StatusError struct {
	URL                string
	Status             int
	Title, Description string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg += " (the server refused the credentials, or needs some)"
	case http.StatusNotAcceptable, http.StatusUnsupportedMediaType:
		msg += " (the server does not speak TAXII 2.1)"
	}
	if e.Title != "" {
		msg += ": " + e.Title
	}
	if e.Description != "" && e.Description != e.Title {
		msg += ": " + e.Description
	}
	return msg
}

// IsAuth reports whether err is a refusal for lack of (valid) credentials.
func IsAuth(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden)
}

// IsNotFound reports whether err is an HTTP 404.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// errorMessage is TAXII's error body.
type errorMessage struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// redact returns u without user information, for messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// get fetches u and decodes its JSON body into v, reading at most limit bytes. An empty
// body (or HTTP 204) leaves v unchanged. It returns the response headers.
func (c *Client) get(ctx context.Context, u *url.URL, limit int64, v any) (http.Header, error) {
	return c.getCounted(ctx, u, limit, v, nil)
}

// getCounted is get that also stores the body size in sz when not nil.
func (c *Client) getCounted(ctx context.Context, u *url.URL, limit int64, v any, sz *sizeCounter) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaType)
	req.Header.Set("User-Agent", c.ua)
	switch {
	case c.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	case c.opts.User != "":
		req.SetBasicAuth(c.opts.User, c.opts.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redact(u), scrub(err))
	}
	defer resp.Body.Close()
	if limit <= 0 || limit > c.opts.MaxResponseBytes {
		limit = c.opts.MaxResponseBytes
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusPartialContent {
		se := &StatusError{URL: redact(u), Status: resp.StatusCode}
		var em errorMessage
		if json.Unmarshal(body, &em) == nil {
			se.Title, se.Description = strings.TrimSpace(em.Title), strings.TrimSpace(em.Description)
		}
		return resp.Header, se
	}
	if readErr != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", redact(u), scrub(readErr))
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s: the answer is larger than %d bytes", redact(u), limit)
	}
	if sz != nil {
		sz.n = int64(len(body))
	}
	if resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0 {
		return resp.Header, nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
			return nil, fmt.Errorf("%s: the server answered with an HTML page, not TAXII JSON (is this the TAXII discovery or API root URL?)", redact(u))
		}
		return nil, fmt.Errorf("%s: malformed TAXII answer: %w", redact(u), jsonErr(err, body))
	}
	return resp.Header, nil
}

// jsonErr makes a JSON decoding error readable, calling a truncated body truncated.
func jsonErr(err error, body []byte) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset >= int64(len(body)) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated JSON")
	}
	return err
}

// scrub removes a URL's user information from a net/http error.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.User = nil
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// Discovery is the answer of the discovery endpoint.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Contact     string   `json:"contact"`
	Default     string   `json:"default"`
	APIRoots    []string `json:"api_roots"`
}

// APIRoot is the answer of an API root.
type APIRoot struct {
	URL              *url.URL `json:"-"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection describes a collection.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Alias       string   `json:"alias"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

// ParseServerURL checks a URL given by the user: http or https, a host, no fragment.
// An URL without path gets the usual discovery path /taxii2/.
func ParseServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("bad TAXII URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("bad TAXII URL %q: want https://host/taxii2/ or an API root URL", redact(u))
	}
	if u.User != nil {
		return nil, errors.New("bad TAXII URL: do not put credentials in the URL; use --user with --password-file, or --token-file")
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" || u.Path == "/" {
		u.Path = "/taxii2/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	return u, nil
}

// APIRoots asks u, a discovery or an API root URL, for the API roots it offers: the
// default first, then the others in the server's order. An API root URL answers
// itself.
func (c *Client) APIRoots(ctx context.Context, u *url.URL) ([]*APIRoot, error) {
	var ans struct {
		Discovery
		Versions []string `json:"versions"`
	}
	if _, err := c.get(ctx, u, 0, &ans); err != nil {
		return nil, err
	}
	if ans.APIRoots == nil && ans.Default == "" {
		if ans.Versions == nil && ans.Title == "" {
			return nil, fmt.Errorf("%s: not a TAXII 2.1 discovery or API root answer", redact(u))
		}
		return []*APIRoot{{URL: u, Title: ans.Title, Description: ans.Description, Versions: ans.Versions}}, nil
	}
	var roots []*APIRoot
	seen := map[string]bool{}
	for _, s := range append([]string{ans.Default}, ans.APIRoots...) {
		if s == "" {
			continue
		}
		ref, err := url.Parse(s)
		if err != nil {
			continue
		}
		r := u.ResolveReference(ref)
		if r.Scheme != "https" && r.Scheme != "http" || u.Scheme == "https" && r.Scheme != "https" {
			continue
		}
		if !strings.HasSuffix(r.Path, "/") {
			r.Path += "/"
			r.RawPath = ""
		}
		if seen[r.String()] {
			continue
		}
		seen[r.String()] = true
		roots = append(roots, &APIRoot{URL: r})
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("%s: the server lists no API root", redact(u))
	}
	return roots, nil
}

// Info fetches the API root's own description into r.
func (c *Client) Info(ctx context.Context, r *APIRoot) error {
	_, err := c.get(ctx, r.URL, 0, r)
	return err
}

func sub(base *url.URL, parts ...string) *url.URL {
	u := *base
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	for _, s := range parts {
		p += "/" + url.PathEscape(s)
	}
	p += "/"
	np, _ := url.Parse(p)
	u.Path, u.RawPath = np.Path, np.RawPath
	u.RawQuery = ""
	return &u
}

// Collections lists the collections of an API root.
func (c *Client) Collections(ctx context.Context, root *url.URL) ([]Collection, error) {
	var ans struct {
		Collections []Collection `json:"collections"`
	}
	if _, err := c.get(ctx, sub(root, "collections"), 0, &ans); err != nil {
		return nil, err
	}
	return ans.Collections, nil
}

// Collection fetches one collection of an API root; a missing one gives an error
// for which [IsNotFound] is true.
func (c *Client) Collection(ctx context.Context, root *url.URL, id string) (*Collection, error) {
	var col Collection
	if _, err := c.get(ctx, sub(root, "collections", id), 0, &col); err != nil {
		return nil, err
	}
	if col.ID == "" {
		col.ID = id
	}
	return &col, nil
}
