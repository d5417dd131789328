// Package unshorten finds where a shortened URL (bit.ly, t.co…) leads, by asking the
// shortening service, for spytrace check-iocs --expand-urls.
//
// This is the only place where spytrace contacts a host named by the evidence, and it
// does so only on the analyst's explicit request: the request leaves from the
// analyst's address towards a service the attacker may control or watch. To limit what
// it reveals and what it can trigger:
//   - only hosts on the list of public URL shorteners are contacted; the destination
//     they point to is read from their redirect (Location) and never visited, unless it
//     is itself a shortener (followed up to MaxHops);
//   - each request is a HEAD (a GET, whose body is never read, only when the service
//     refuses HEAD), with a timeout, no cookies, no Referer, and a generic User-Agent;
//   - proxies configured in the environment are honoured (HTTPS_PROXY, NO_PROXY).
package unshorten

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/urlx"
)

// Options configure an Expander. Zero fields take the defaults.
type Options struct {
	// Timeout bounds each request. 0 = 10 s.
	Timeout time.Duration
	// MaxHops bounds the shorteners followed from one URL. 0 = 5.
	MaxHops int
	// Proxy selects the proxy of a request (nil: none).
	Proxy func(*http.Request) (*url.URL, error)
	// IsShortener says which hosts may be contacted (nil: urlx.IsShortener). Tests
	// point it at their own server.
	IsShortener func(link string) bool
}

// UserAgent is sent with every request: a generic browser token, so that the request
// does not announce a forensic tool to a service the attacker may watch.
const UserAgent = "Mozilla/5.0"

// Expander expands shortened URLs.
type Expander struct {
	client      *http.Client
	maxHops     int
	isShortener func(string) bool
}

// New returns an Expander.
func New(opts Options) *Expander {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxHops <= 0 {
		opts.MaxHops = 5
	}
	if opts.IsShortener == nil {
		opts.IsShortener = urlx.IsShortener
	}
	return &Expander{
		client: &http.Client{
			Timeout: opts.Timeout,
			// No cookie jar: nothing a service sets is sent back.
			Jar: nil,
			// Redirects are read, never followed by the client.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{
				Proxy:                 opts.Proxy,
				TLSHandshakeTimeout:   opts.Timeout,
				ResponseHeaderTimeout: opts.Timeout,
				MaxIdleConnsPerHost:   2,
			},
		},
		maxHops:     opts.MaxHops,
		isShortener: opts.IsShortener,
	}
}

// Result is where one URL leads.
type Result struct {
	URL string `json:"url"`
	// Hops are the redirect targets in order; the last one is where the URL leads.
	Hops []string `json:"hops"`
	// Error says why the expansion stopped early, "" when it ended on a URL that is not
	// a shortener's.
	Error string `json:"error,omitempty"`
}

// Final returns where the URL leads ("" when nothing was learnt).
func (r *Result) Final() string {
	if len(r.Hops) == 0 {
		return ""
	}
	return r.Hops[len(r.Hops)-1]
}

// Expand asks the shortener of link where it leads, and the next one while the answer
// is itself a shortened URL. A link that is not on a shortener is not contacted.
func (e *Expander) Expand(ctx context.Context, link string) Result {
	res := Result{URL: link, Hops: []string{}}
	cur := link
	for hop := 0; ; hop++ {
		if !e.isShortener(cur) {
			if hop == 0 {
				res.Error = "not a URL shortener's address: not contacted"
			}
			return res
		}
		if hop == e.maxHops {
			res.Error = fmt.Sprintf("more than %d shorteners in a row: stopped", e.maxHops)
			return res
		}
		next, err := e.ask(ctx, cur)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		res.Hops = append(res.Hops, next)
		cur = next
	}
}

// ask sends one request to a shortener and returns the target of its redirect.
func (e *Expander) ask(ctx context.Context, link string) (string, error) {
	u, err := url.Parse(withScheme(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("not an http(s) URL")
	}
	resp, err := e.do(ctx, http.MethodHead, u)
	if err == nil && (resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented) {
		resp, err = e.do(ctx, http.MethodGet, u)
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return "", fmt.Errorf("%s: no answer in time", u.Host)
		}
		return "", fmt.Errorf("%s: %v", u.Host, errors.Unwrap(err))
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return "", fmt.Errorf("%s answered %s without a redirect", u.Host, resp.Status)
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("%s answered %s without a Location", u.Host, resp.Status)
	}
	target, err := u.Parse(loc)
	if err != nil || len(loc) > urlx.MaxURLBytes {
		return "", fmt.Errorf("%s gave an unreadable Location", u.Host)
	}
	return target.String(), nil
}

func (e *Expander) do(ctx context.Context, method string, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "*/*")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close() // never read: the page could carry anything
	return resp, nil
}

func withScheme(link string) string {
	link = strings.TrimSpace(link)
	if !strings.Contains(link, "://") {
		return "http://" + link
	}
	return link
}

// IsShortener reports whether link is on a service this Expander contacts.
func (e *Expander) IsShortener(link string) bool { return e.isShortener(link) }
