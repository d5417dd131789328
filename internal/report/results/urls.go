package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spytrace/spytrace/internal/timefmt"
)

// URL is one entry of urls.json (MVT's keys).
type URL struct {
	URL string `json:"url"`
	// ExpandedURL is the target of a shortened URL when it was expanded on request;
	// null otherwise (spytrace never contacts a URL unless asked).
	ExpandedURL *string      `json:"expanded_url"`
	Timestamp   timefmt.Time `json:"timestamp"`
	Source      string       `json:"source"`
	// Shortened says the URL is on a public URL-shortening service (bit.ly, t.co…):
	// its destination is hidden until it is followed (spytrace's addition).
	Shortened bool `json:"shortened"`
}

// URLSpool collects the URLs of every module on disk, one temporary file of JSON lines
// per module, and writes urls.json in module order, so memory does not grow with the
// number of messages.
type URLSpool struct {
	dir string
	mu  sync.Mutex
	per map[string]*urlFile
}

type urlFile struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	n   int
	err error
}

// NewURLSpool spools into dir, a private temporary folder the caller removes.
func NewURLSpool(dir string) *URLSpool { return &URLSpool{dir: dir, per: map[string]*urlFile{}} }

// Add records one URL found by module.
func (s *URLSpool) Add(module string, u URL) error {
	s.mu.Lock()
	uf := s.per[module]
	if uf == nil {
		f, err := os.CreateTemp(s.dir, "urls-*.jsonl")
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("spool urls: %w", err)
		}
		uf = &urlFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}
		uf.enc = json.NewEncoder(uf.w)
		uf.enc.SetEscapeHTML(false)
		s.per[module] = uf
	}
	s.mu.Unlock()
	uf.mu.Lock()
	defer uf.mu.Unlock()
	if uf.err == nil {
		uf.err = uf.enc.Encode(u) // one compact JSON value per line
		uf.n++
	}
	return uf.err
}

// Len returns the number of URLs spooled.
func (s *URLSpool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, uf := range s.per {
		n += uf.n
	}
	return n
}

// Close removes the spool files.
func (s *URLSpool) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, uf := range s.per {
		uf.f.Close()
		os.Remove(uf.f.Name())
	}
	s.per = map[string]*urlFile{}
}

// Write writes urls.json into d: the URLs of each module in modules' order, each
// module's in the order it found them.
func (s *URLSpool) Write(d *Dir, modules []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return d.WriteWith("urls.json", func(w io.Writer) error {
		io.WriteString(w, "[")
		sep := "\n    "
		var ind bytes.Buffer
		for _, m := range modules {
			uf := s.per[m]
			if uf == nil {
				continue
			}
			if uf.err != nil {
				return fmt.Errorf("spool urls of %q: %w", m, uf.err)
			}
			if err := uf.w.Flush(); err != nil {
				return err
			}
			if _, err := uf.f.Seek(0, io.SeekStart); err != nil {
				return err
			}
			sc := bufio.NewScanner(uf.f)
			sc.Buffer(make([]byte, 64<<10), 64<<20)
			for sc.Scan() {
				ind.Reset()
				if err := json.Indent(&ind, sc.Bytes(), "    ", "    "); err != nil {
					return fmt.Errorf("read url spool: %w", err)
				}
				io.WriteString(w, sep)
				w.Write(ind.Bytes())
				sep = ",\n    "
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("read url spool: %w", err)
			}
		}
		if sep == "\n    " {
			_, err := io.WriteString(w, "]\n")
			return err
		}
		_, err := io.WriteString(w, "\n]\n")
		return err
	})
}
