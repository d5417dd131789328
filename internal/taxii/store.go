package taxii

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/ioc"
)

// StateFile is the name, in the indicators folder, of the file that remembers each
// pulled collection. Its extension keeps it out of the indicator files that checks
// load (.stix2, .stix, .json).
const StateFile = "taxii.state"

// maxStateBytes bounds the state file.
const maxStateBytes = 16 << 20

// Source is what the state file remembers about one pulled collection.
type Source struct {
	Server     string `json:"server"`   // the URL the user gave, without credentials
	APIRoot    string `json:"api_root"` // the API root holding the collection
	Collection string `json:"collection"`
	Title      string `json:"title,omitempty"`
	File       string `json:"file"` // bundle file name in the indicators folder
	// DateAddedLast is the last X-TAXII-Date-Added-Last seen: the next pull asks for
	// objects added after it.
	DateAddedLast string    `json:"date_added_last,omitempty"`
	LastPull      time.Time `json:"last_pull"`
	Objects       int       `json:"objects"`    // objects in the file
	Indicators    int       `json:"indicators"` // usable indicator values in the file
}

// State is the content of the state file.
type State struct {
	Version int      `json:"version"`
	Sources []Source `json:"sources"`
}

// ReadState reads the state file of the indicators folder dir; a missing file is an
// empty state.
func ReadState(dir string) (*State, error) {
	data, err := readBounded(filepath.Join(dir, StateFile), maxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the TAXII state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read the TAXII state %s: %w (remove it to start afresh)", filepath.Join(dir, StateFile), err)
	}
	st.Version = 1
	return &st, nil
}

// Find returns the source of a collection of an API root, or nil.
func (s *State) Find(apiRoot, collection string) *Source {
	for i := range s.Sources {
		if s.Sources[i].APIRoot == apiRoot && s.Sources[i].Collection == collection {
			return &s.Sources[i]
		}
	}
	return nil
}

// ByFile returns the source whose bundle is the file name (in the indicators folder),
// or nil.
func (s *State) ByFile(name string) *Source {
	for i := range s.Sources {
		if s.Sources[i].File == name {
			return &s.Sources[i]
		}
	}
	return nil
}

// Put adds or replaces the source of src's API root and collection.
func (s *State) Put(src Source) {
	if old := s.Find(src.APIRoot, src.Collection); old != nil {
		*old = src
		return
	}
	s.Sources = append(s.Sources, src)
	slices.SortFunc(s.Sources, func(a, b Source) int {
		return strings.Compare(a.APIRoot+"\x00"+a.Collection, b.APIRoot+"\x00"+b.Collection)
	})
}

// Write replaces the state file of dir atomically.
func (s *State) Write(dir string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, StateFile), append(data, '\n'), nil)
}

// BundleName is the file name, in the indicators folder, of the bundle of a collection:
// readable (host and collection id) and unique (a hash of the API root and the id).
func BundleName(apiRoot *url.URL, collection string) string {
	h := sha256.Sum256([]byte(apiRoot.String() + "\x00" + collection))
	return "taxii-" + safeName(apiRoot.Hostname(), 64) + "-" + safeName(collection, 64) + "-" + hex.EncodeToString(h[:4]) + ".stix2"
}

func safeName(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return strings.Trim(b.String(), ".")
}

// Merged says what writing a bundle did.
type Merged struct {
	Path     string
	Objects  int // objects in the file now
	Added    int // new object ids
	Updated  int // objects replaced by a newer (or same) version
	Older    int // pulled objects ignored because the file holds a newer version
	Invalid  int // pulled objects without type or id, dropped
	Kept     int // objects of the earlier file left as they were
	Report   ioc.FileReport
	Warnings []ioc.Warning // what the indicator loader skipped in the new file
}

// MaxBundleBytes bounds the earlier bundle file read for a merge.
const MaxBundleBytes = 1 << 30

// objectHead is what the merge reads of each object.
type objectHead struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Modified string `json:"modified"`
}

type fileBundle struct {
	Type    string            `json:"type"`
	ID      string            `json:"id"`
	Objects []json.RawMessage `json:"objects"`
}

// WriteBundle merges objects into the STIX 2.1 bundle at path (created if missing):
// objects are keyed by id, and of two versions of one object the one with the latest
// "modified" is kept (the pulled one on a tie or when either has no "modified"). The new
// file is written beside the old one, loaded with the indicator loader, and renamed over
// it only when the loader accepts it as a bundle; otherwise the earlier file is left as
// it was and an error returned. An earlier file that cannot be read is an error too.
func WriteBundle(path string, objects []json.RawMessage) (*Merged, error) {
	m := &Merged{Path: path}
	var old fileBundle
	data, err := readBounded(path, MaxBundleBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read the earlier pull %s: %w", path, err)
	default:
		if err := json.Unmarshal(data, &old); err != nil || old.Type != "bundle" {
			if err == nil {
				err = errors.New("not a STIX bundle")
			}
			return nil, fmt.Errorf("the earlier pull %s cannot be read (%v): remove it and pull again", path, err)
		}
	}
	data = nil

	type slot struct {
		raw      json.RawMessage
		modified string
		fromOld  bool
	}
	var slots []slot
	byID := map[string]int{}
	put := func(raw json.RawMessage, fromOld bool) {
		var h objectHead
		if err := json.Unmarshal(raw, &h); err != nil || h.Type == "" || h.ID == "" {
			if !fromOld {
				m.Invalid++
			}
			return
		}
		var buf bytes.Buffer
		if json.Compact(&buf, raw) != nil {
			if !fromOld {
				m.Invalid++
			}
			return
		}
		s := slot{raw: buf.Bytes(), modified: h.Modified, fromOld: fromOld}
		i, ok := byID[h.ID]
		if !ok {
			byID[h.ID] = len(slots)
			slots = append(slots, s)
			if !fromOld {
				m.Added++
			}
			return
		}
		if fromOld { // a duplicate inside the earlier file: keep the newer
			if newer(slots[i].modified, h.Modified) {
				return
			}
			slots[i] = s
			return
		}
		if newer(slots[i].modified, h.Modified) {
			m.Older++
			return
		}
		if slots[i].fromOld {
			m.Updated++
		}
		slots[i] = s
	}
	for _, raw := range old.Objects {
		put(raw, true)
	}
	for _, raw := range objects {
		put(raw, false)
	}
	for _, s := range slots {
		if s.fromOld {
			m.Kept++
		}
	}
	m.Objects = len(slots)

	id := old.ID
	if !strings.HasPrefix(id, "bundle--") {
		id = "bundle--" + uuid4()
	}
	var out bytes.Buffer
	idJSON, _ := json.Marshal(id)
	out.WriteString(`{"type":"bundle","id":`)
	out.Write(idJSON)
	out.WriteString(`,"objects":[`)
	for i, s := range slots {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString("\n")
		out.Write(s.raw)
	}
	out.WriteString("\n]}\n")

	err = writeAtomic(path, out.Bytes(), func(tmp string) error {
		_, rep, err := ioc.Load([]string{tmp}, ioc.LoadOptions{Warn: func(w ioc.Warning) {
			w.File = path
			m.Warnings = append(m.Warnings, w)
		}})
		if err != nil {
			return err
		}
		if len(rep.Files) != 1 {
			return errors.New("the indicator loader did not read the new bundle")
		}
		fr := rep.Files[0]
		for _, reason := range []string{"not JSON", "not a STIX bundle", "too large"} {
			if fr.Skipped[reason] > 0 {
				return fmt.Errorf("the indicator loader rejects the new bundle (%s)", reason)
			}
		}
		fr.File.Path, fr.File.Name = path, filepath.Base(path)
		m.Report = fr
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("write %s: %w (the earlier file, if any, is unchanged)", path, err)
	}
	return m, nil
}

// newer reports whether the "modified" a is strictly later than b. Missing or
// unparsable times are never newer.
func newer(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ta, err1 := ParseTime(a)
	tb, err2 := ParseTime(b)
	return err1 == nil && err2 == nil && ta.After(tb)
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}

// writeAtomic writes data to a temporary file beside path, calls check on it (when not
// nil), then renames it over path. On any failure the temporary file is removed and
// path is untouched. The temporary name ends in .tmp, which no check loads.
func writeAtomic(path string, data []byte, check func(tmp string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if check != nil {
		if err = check(tmp); err != nil {
			return err
		}
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
