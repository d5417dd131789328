package unshorten

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// shortener is a URL shortener on 127.0.0.1 that remembers the requests it got.
type shortener struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newShortener(t *testing.T) *shortener {
	s := &shortener{}
	mux := http.NewServeMux()
	redirect := func(code int, to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(to, "/") {
				to = s.srv.URL + to
			}
			w.Header().Set("Location", to)
			w.WriteHeader(code)
		}
	}
	mux.HandleFunc("/a", redirect(http.StatusMovedPermanently, "https://evil.example/exploit?id=1"))
	mux.HandleFunc("/chain", redirect(http.StatusFound, "/a"))
	mux.HandleFunc("/loop", redirect(http.StatusFound, "/loop"))
	mux.HandleFunc("/relative", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/a")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "track", Value: "1"})
		redirect(http.StatusFound, "/a")(w, r)
	})
	mux.HandleFunc("/nohead", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		redirect(http.StatusFound, "https://evil.example/b")(w, r)
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/noloc", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Clone(context.Background()))
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *shortener) expander() *Expander {
	return New(Options{
		Timeout: 300 * time.Millisecond,
		MaxHops: 3,
		// Only the test server is a shortener.
		IsShortener: func(link string) bool { return strings.HasPrefix(link, s.srv.URL+"/") },
	})
}

func TestExpand(t *testing.T) {
	s := newShortener(t)
	e := s.expander()
	tests := []struct {
		path  string
		hops  []string
		error string
	}{
		{"/a", []string{"https://evil.example/exploit?id=1"}, ""},
		{"/chain", []string{s.srv.URL + "/a", "https://evil.example/exploit?id=1"}, ""},
		{"/relative", []string{s.srv.URL + "/a", "https://evil.example/exploit?id=1"}, ""},
		{"/cookie", []string{s.srv.URL + "/a", "https://evil.example/exploit?id=1"}, ""},
		{"/nohead", []string{"https://evil.example/b"}, ""},
		{"/loop", []string{s.srv.URL + "/loop", s.srv.URL + "/loop", s.srv.URL + "/loop"}, "more than 3 shorteners in a row"},
		{"/page", []string{}, "answered 200 OK without a redirect"},
		{"/gone", []string{}, "answered 404 Not Found without a redirect"},
		{"/noloc", []string{}, "without a Location"},
		{"/slow", []string{}, "no answer in time"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.Expand(context.Background(), s.srv.URL+tc.path)
			if strings.Join(r.Hops, " ") != strings.Join(tc.hops, " ") || !strings.Contains(r.Error, tc.error) || (tc.error == "") != (r.Error == "") {
				t.Errorf("got hops %q error %q; want %q %q", r.Hops, r.Error, tc.hops, tc.error)
			}
		})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.seen {
		if r.Header.Get("Cookie") != "" || r.Header.Get("Referer") != "" || r.Header.Get("User-Agent") != UserAgent {
			t.Errorf("%s %s sent cookie %q referer %q agent %q", r.Method, r.URL, r.Header.Get("Cookie"), r.Header.Get("Referer"), r.Header.Get("User-Agent"))
		}
		if r.Method != http.MethodHead && r.URL.Path != "/nohead" {
			t.Errorf("%s %s: only HEAD, or GET after a refused HEAD", r.Method, r.URL)
		}
	}
}

func TestNotAShortenerIsNotContacted(t *testing.T) {
	s := newShortener(t)
	e := New(Options{IsShortener: func(string) bool { return false }})
	r := e.Expand(context.Background(), s.srv.URL+"/a")
	if len(r.Hops) != 0 || !strings.Contains(r.Error, "not contacted") {
		t.Errorf("got %+v", r)
	}
	if len(s.seen) != 0 {
		t.Errorf("%d requests reached a host that is not a shortener", len(s.seen))
	}
	// The default list: 127.0.0.1 is no shortener, bit.ly is (not contacted here:
	// the scheme is refused before any request).
	if New(Options{}).isShortener(s.srv.URL+"/a") || !New(Options{}).isShortener("https://bit.ly/x") {
		t.Error("default shortener list")
	}
	if r := New(Options{}).Expand(context.Background(), "ftp://bit.ly/x"); !strings.Contains(r.Error, "not an http(s) URL") {
		t.Errorf("ftp: %+v", r)
	}
}
