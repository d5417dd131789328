package feeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ManifestName is the manifest's file name, in the data folder (beside, not inside,
// the indicators folder).
const ManifestName = "indicators-manifest.json"

const manifestVersion = 1

// maxManifestBytes bounds the manifest read back.
const maxManifestBytes = 16 << 20

// StatusOK is a bundle's manifest status when its last update succeeded.
const StatusOK = "ok"

// Manifest records what `iocs update` installed.
type Manifest struct {
	Version int       `json:"version"`
	Index   string    `json:"index"`   // URL or file of the index last used
	Updated time.Time `json:"updated"` // end of the last update (UTC)
	// Bundles, sorted by file name (entries without a file, whose URL could not be
	// built, last by name).
	Bundles []Bundle `json:"bundles"`
}

// Bundle is the manifest record of one index entry.
type Bundle struct {
	Name       string   `json:"name"`           // the index entry's name
	File       string   `json:"file,omitempty"` // base name in the indicators folder
	URL        string   `json:"url,omitempty"`  // source URL
	Sources    []string `json:"sources,omitempty"`
	References []string `json:"references,omitempty"`
	// Downloaded is when the installed copy was downloaded (UTC); nil if none was.
	Downloaded *time.Time `json:"downloaded,omitempty"`
	// SHA256 and Size describe the installed copy.
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	// Indicators, ByType, Collections and Warnings are what internal/ioc loaded
	// from the installed copy: usable values, per type (MVT's bucket names), per
	// collection, and the number of things it skipped with a warning.
	Indicators  int               `json:"indicators"`
	ByType      map[string]int    `json:"by_type,omitempty"`
	Collections []CollectionCount `json:"collections,omitempty"`
	Warnings    int               `json:"warnings"`
	// Status is "ok" or "failed": the outcome of the last attempt. A failed bundle
	// keeps describing the earlier copy, if any.
	Status      string    `json:"status"`
	LastAttempt time.Time `json:"last_attempt"`
	LastError   string    `json:"last_error,omitempty"`
}

// CollectionCount is one collection of a bundle and its number of indicator values.
type CollectionCount struct {
	Name       string `json:"name"`
	Indicators int    `json:"indicators"`
}

// ReadManifest reads a manifest file. A missing file gives an empty manifest.
func ReadManifest(p string) (*Manifest, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return &Manifest{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("manifest %s is too large", p)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", p, err)
	}
	return &m, nil
}

// Find returns the record of a file, or nil.
func (m *Manifest) Find(file string) *Bundle { return m.find(file) }

func (m *Manifest) find(file string) *Bundle {
	for i := range m.Bundles {
		if m.Bundles[i].File == file {
			return &m.Bundles[i]
		}
	}
	return nil
}

// put adds or replaces a record: by file, or by name for records without a file.
func (m *Manifest) put(b Bundle) {
	i := slices.IndexFunc(m.Bundles, func(o Bundle) bool {
		if b.File != "" {
			return o.File == b.File
		}
		return o.File == "" && o.Name == b.Name
	})
	if i >= 0 {
		m.Bundles[i] = b
	} else {
		m.Bundles = append(m.Bundles, b)
	}
	slices.SortStableFunc(m.Bundles, func(a, b Bundle) int {
		switch {
		case a.File == "" && b.File != "":
			return 1
		case a.File != "" && b.File == "":
			return -1
		case a.File != b.File:
			return strings.Compare(a.File, b.File)
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Write writes the manifest atomically (temporary file, sync, rename).
func (m *Manifest) Write(p string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}
