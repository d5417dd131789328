package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/version"
)

// Defaults of [Options].
const (
	DefaultTimeout        = 5 * time.Minute
	DefaultMaxIndexBytes  = 4 << 20
	DefaultMaxBundleBytes = 512 << 20
)

// Options configures [FetchIndex] and [Update].
type Options struct {
	// Dir is the indicators folder (created when missing).
	Dir string
	// ManifestPath is the manifest file; "" means no manifest.
	ManifestPath string
	// Getenv reads the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and their
	// lower-case forms); nil means os.Getenv.
	Getenv func(string) string
	// Timeout bounds each request, body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxIndexBytes and MaxBundleBytes bound response sizes; 0 means the defaults.
	MaxIndexBytes, MaxBundleBytes int64
	// RawBase replaces https://raw.githubusercontent.com for github entries (tests).
	RawBase string
	// Now gives the download dates; nil means time.Now.
	Now func() time.Time
	// Transport replaces the HTTP transport (tests); nil builds one honouring the
	// proxy variables read through Getenv.
	Transport http.RoundTripper
	// Progress, when not nil, is called after each bundle.
	Progress func(Result)
}

func (o *Options) defaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxIndexBytes <= 0 {
		o.MaxIndexBytes = DefaultMaxIndexBytes
	}
	if o.MaxBundleBytes <= 0 {
		o.MaxBundleBytes = DefaultMaxBundleBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// UserAgent is sent with every request.
func UserAgent() string {
	return "spytrace/" + version.Get().Version + " (indicator update; +https://github.com/spytrace/spytrace)"
}

// ProxyFunc returns the proxy selection of http.ProxyFromEnvironment, reading the
// variables through getenv: HTTPS_PROXY for https URLs, HTTP_PROXY for http URLs,
// NO_PROXY exceptions (upper case first, then lower case; REQUEST_METHOD set means a
// CGI environment, where HTTP_PROXY is ignored). As with ProxyFromEnvironment,
// requests to localhost and loopback addresses never go through a proxy.
func ProxyFunc(getenv func(string) string) func(*http.Request) (*url.URL, error) {
	get := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	cfg := httpproxy.Config{
		HTTPProxy:  get("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: get("HTTPS_PROXY", "https_proxy"),
		NoProxy:    get("NO_PROXY", "no_proxy"),
		CGI:        getenv("REQUEST_METHOD") != "",
	}
	f := cfg.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}

func (o *Options) client() *http.Client {
	rt := o.Transport
	if rt == nil {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		rt = &http.Transport{
			Proxy:                 ProxyFunc(o.Getenv),
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
		}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
				return fmt.Errorf("redirect to a %s URL refused", req.URL.Scheme)
			}
			return nil
		},
	}
}

// get starts a GET request and checks its status.
func get(ctx context.Context, c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", UserAgent())
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	return resp, nil
}

// FetchIndex reads the index at src: an http(s) URL, or else a local file. It returns
// the index, the problems of entries left out, and the error that made it unusable.
func FetchIndex(ctx context.Context, src string, opts Options) (*Index, []string, error) {
	opts.defaults()
	var data []byte
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		if err := checkURL(src); err != nil {
			return nil, nil, err
		}
		resp, err := get(ctx, opts.client(), src)
		if err != nil {
			return nil, nil, fmt.Errorf("download index %s: %w", src, err)
		}
		defer resp.Body.Close()
		data, err = io.ReadAll(io.LimitReader(resp.Body, opts.MaxIndexBytes+1))
		if err != nil {
			return nil, nil, fmt.Errorf("download index %s: %w", src, err)
		}
	} else {
		if strings.Contains(src, "://") {
			return nil, nil, fmt.Errorf("index %q: only http and https URLs or local files are read", src)
		}
		f, err := os.Open(src)
		if err != nil {
			return nil, nil, fmt.Errorf("read index: %w", err)
		}
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, opts.MaxIndexBytes+1))
		if err != nil {
			return nil, nil, fmt.Errorf("read index %s: %w", src, err)
		}
	}
	if int64(len(data)) > opts.MaxIndexBytes {
		return nil, nil, fmt.Errorf("index %s is larger than %d bytes", src, opts.MaxIndexBytes)
	}
	ix, problems, err := ParseIndex(data)
	if err != nil {
		return nil, nil, fmt.Errorf("index %s: %w", src, err)
	}
	return ix, problems, nil
}

// Result statuses.
const (
	StatusUpdated   = "updated"   // a new or changed bundle was installed
	StatusUnchanged = "unchanged" // the download is identical to the installed copy
	StatusFailed    = "failed"    // nothing installed; a previous copy, if any, is kept
)

// Result says what happened to one index entry.
type Result struct {
	Entry  Entry
	URL    string // "" when none could be built
	File   string // base name in Dir; "" when no URL could be built
	Status string
	Err    error
	// KeptPrevious is true when a failed entry still has an earlier copy installed.
	KeptPrevious bool
	// Bundle is the entry's manifest record after the attempt.
	Bundle Bundle
}

// Update downloads every bundle of ix into opts.Dir and rewrites the manifest.
// indexSource is recorded in the manifest. Entries are fetched one after the other in
// index order; a failing entry is reported in its Result and the others still update.
// The error is for what stops everything: the folder or the manifest cannot be written,
// or ctx is cancelled (the results so far are returned with it).
func Update(ctx context.Context, ix *Index, indexSource string, opts Options) ([]Result, error) {
	opts.defaults()
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create indicators folder: %w", err)
	}
	var m *Manifest
	if opts.ManifestPath != "" {
		var err error
		if m, err = ReadManifest(opts.ManifestPath); err != nil {
			// An unreadable manifest is rebuilt: it only describes the files.
			m = &Manifest{}
		}
	} else {
		m = &Manifest{}
	}
	c := opts.client()
	var results []Result
	seen := map[string]bool{}
	var stopErr error
	for _, e := range ix.Entries {
		if err := ctx.Err(); err != nil {
			stopErr = err
			break
		}
		r := Result{Entry: e}
		now := opts.Now().UTC().Truncate(time.Second)
		u, err := e.URL(opts.RawBase)
		if err != nil {
			r.Status, r.Err = StatusFailed, err
			r.Bundle = Bundle{Name: e.Name, Sources: e.Sources, References: e.References, Status: StatusFailed, LastAttempt: now, LastError: err.Error()}
			m.put(r.Bundle)
		} else if r.URL, r.File = u, FileName(u); seen[r.File] {
			// Not recorded: the manifest entry belongs to the first listing.
			r.Status, r.Err = StatusFailed, fmt.Errorf("listed twice in the index (same file %s)", r.File)
			r.KeptPrevious = true
		} else {
			seen[r.File] = true
			b := Bundle{File: r.File}
			if prev := m.find(r.File); prev != nil {
				b = *prev
			}
			b.Name, b.URL, b.Sources, b.References, b.LastAttempt = e.Name, u, e.Sources, e.References, now
			st, err := fetchBundle(ctx, c, u, filepath.Join(opts.Dir, r.File), opts)
			if err == nil {
				r.Status = StatusUpdated
				if st.sha256 == b.SHA256 {
					r.Status = StatusUnchanged
				}
				b.SHA256, b.Size, b.Indicators, b.ByType, b.Collections, b.Warnings = st.sha256, st.size, st.indicators, st.byType, st.collections, st.warnings
				d := now
				b.Downloaded = &d
				b.Status, b.LastError = StatusOK, ""
			} else {
				r.Status, r.Err = StatusFailed, err
				b.Status, b.LastError = StatusFailed, err.Error()
				if _, statErr := os.Stat(filepath.Join(opts.Dir, r.File)); statErr == nil {
					r.KeptPrevious = true
				}
			}
			r.Bundle = b
			m.put(b)
		}
		results = append(results, r)
		if opts.Progress != nil {
			opts.Progress(r)
		}
	}
	if opts.ManifestPath != "" {
		m.Version = manifestVersion
		m.Index = indexSource
		m.Updated = opts.Now().UTC().Truncate(time.Second)
		if err := m.Write(opts.ManifestPath); err != nil {
			return results, fmt.Errorf("write manifest: %w", err)
		}
	}
	return results, stopErr
}

// installed describes a bundle that was checked and installed.
type installed struct {
	sha256      string
	size        int64
	indicators  int
	byType      map[string]int
	collections []CollectionCount
	warnings    int
}

// fetchBundle downloads u, checks it loads, and installs it at dst atomically.
func fetchBundle(ctx context.Context, c *http.Client, u, dst string, opts Options) (installed, error) {
	var st installed
	resp, err := get(ctx, c, u)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.part")
	if err != nil {
		return st, fmt.Errorf("create temporary file: %w", err)
	}
	tmpPath := tmp.Name()
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmpPath)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, opts.MaxBundleBytes+1))
	if err != nil {
		return st, fmt.Errorf("download interrupted after %d bytes: %w", n, err)
	}
	if n > opts.MaxBundleBytes {
		return st, fmt.Errorf("larger than %d bytes: refused", opts.MaxBundleBytes)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return st, fmt.Errorf("truncated: %d of %d bytes received", n, resp.ContentLength)
	}
	if err := tmp.Sync(); err != nil {
		return st, fmt.Errorf("write temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return st, fmt.Errorf("write temporary file: %w", err)
	}
	st.sha256, st.size = hex.EncodeToString(h.Sum(nil)), n
	if err := validate(tmpPath, &st, opts); err != nil {
		return st, err
	}
	if err := os.Rename(tmpPath, dst); err != nil {
		return st, fmt.Errorf("install: %w", err)
	}
	done = true
	syncDir(dir)
	return st, nil
}

// validate loads a downloaded file with internal/ioc, as a check would, and refuses
// a file that is not a STIX bundle or gives no usable indicator.
func validate(p string, st *installed, opts Options) error {
	warnings := 0
	_, rep, err := ioc.Load([]string{p}, ioc.LoadOptions{
		Now:          opts.Now(),
		MaxFileBytes: opts.MaxBundleBytes,
		Warn:         func(ioc.Warning) { warnings++ },
	})
	if err != nil {
		return fmt.Errorf("check the bundle: %w", err)
	}
	if len(rep.Files) != 1 {
		return errors.New("check the bundle: nothing loaded")
	}
	fr := rep.Files[0]
	for _, reason := range []string{"not JSON", "not a STIX bundle", "too large"} {
		if fr.Skipped[reason] > 0 {
			return fmt.Errorf("malformed bundle (%s): refused", reason)
		}
	}
	if fr.Indicators == 0 {
		return errors.New("the bundle holds no usable indicator: refused")
	}
	st.indicators = fr.Indicators
	st.warnings = warnings
	st.byType = map[string]int{}
	for k, n := range fr.ByKind {
		if n > 0 {
			st.byType[string(k)] = n
		}
	}
	for _, col := range fr.Collections {
		st.collections = append(st.collections, CollectionCount{Name: col.Name, Indicators: col.Count})
	}
	return nil
}

// syncDir makes a rename durable where the system allows syncing a folder.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// SortedTypes returns the keys of a count map in internal/ioc's report order.
func SortedTypes(m map[string]int) []string {
	var out []string
	for _, k := range ioc.Kinds {
		if m[string(k)] > 0 {
			out = append(out, string(k))
		}
	}
	var rest []string
	for k, n := range m {
		if n > 0 && !slices.Contains(out, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
