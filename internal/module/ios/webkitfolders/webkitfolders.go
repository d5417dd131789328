// Package webkitfolders holds what the three WebKit folder modules share
// (webkit_indexeddb, webkit_local_storage and webkit_safari_view_service): they list the
// entries of a WebKit website-data folder whose names encode a web origin, turn each
// name into a URL, and look it up in the indicators.
//
// WebKit (before its iOS 16/17 storage rework) names the data of an origin after the
// origin: "<scheme>_<host>_<port>", port 0 for the scheme's default, e.g.
// "https_www.example.com_0" (an IndexedDB folder) or "https_www.example.com_0.localstorage"
// (a LocalStorage database, with its -wal and -shm). MVT's WebkitBase turns such a name
// into a URL by replacing "http_" with "http://" and "https_" with "https://" and
// cutting at the next "_"; [URLOf] does the same.
//
// # Listing folders
//
// The entries are folders (IndexedDB) as well as files (LocalStorage), and the engine's
// Info.Paths only lists files, so these modules declare no Paths and list the folders
// themselves, on the acquisition, with fs.Glob for the app-container wildcard of each
// root pattern and a bounded fs.ReadDirFile read of each root folder (at most
// [MaxEntries] entries per folder, [MaxRoots] folders). They read no file content, so
// info.json lists no file for them. A run with no root folder is skipped.
//
// # Not handled
//
// Since iOS 16/17 WebKit keeps website data under WebsiteData/Default/<salted hash of
// the top origin>/<salted hash of the origin>/, with an "origin" file holding both
// origins in WebKit's binary persistence encoding. Folder names no longer reveal the
// origin there, and the encoding could not be confirmed, so that layout is not read
// (as in MVT); its origins are still visible to webkit_resource_load_statistics.
package webkitfolders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Bounds on what one run lists.
const (
	MaxRoots   = 10000  // root folders (one per app container and pattern)
	MaxEntries = 100000 // entries read from one root folder
)

// Kind describes one of the modules.
type Kind struct {
	// Roots are fs.Glob patterns of the folders whose entries are listed.
	Roots []string
	// Event is the timeline event name ("" for none); Label names the folder in
	// timeline lines and alert messages ("IndexedDB folder").
	Event, Label string
}

// Record is one origin entry. folder, url and isodate are MVT's keys; name is an extra.
type Record struct {
	// Folder is the listed folder (MVT's key: the root folder, not the entry).
	Folder string `json:"folder"`
	// URL is the origin as MVT derives it from the entry name.
	URL string `json:"url"`
	// ISODate is the entry's modification time (MVT gives every entry the root folder's
	// time instead, which says nothing about the origin).
	ISODate timefmt.Time `json:"isodate"`
	// Name is the entry's name, as found.
	Name string `json:"name"`

	kind *Kind
}

// Timeline puts the entry on the timeline at its modification time.
func (r *Record) Timeline() []module.Event {
	if r.kind == nil || r.kind.Event == "" || r.ISODate.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.ISODate.Time, Event: r.kind.Event,
		Data: fmt.Sprintf("%s %s containing data for URL %s (%s)", r.kind.Label, r.Folder, r.URL, r.Name)}}
}

// URLs lists the origin.
func (r *Record) URLs() []module.URL {
	if r.URL == "" {
		return nil
	}
	return []module.URL{{URL: r.URL, Time: r.ISODate.Time}}
}

// URLOf returns the URL MVT derives from an entry name, and false for a name that does
// not start with "http".
func URLOf(name string) (string, bool) {
	if !strings.HasPrefix(name, "http") {
		return "", false
	}
	name = strings.ReplaceAll(name, "http_", "http://")
	name = strings.ReplaceAll(name, "https_", "https://")
	u, _, _ := strings.Cut(name, "_")
	return u, true
}

// Run lists the root folders of k and emits one record per origin entry, ordered by
// folder and entry name.
func Run(ctx context.Context, in *module.Input, out *module.Output, k *Kind) error {
	var roots []string
	seen := map[string]bool{}
	for _, p := range k.Roots {
		matches, err := fs.Glob(in.FS, p)
		if err != nil {
			return fmt.Errorf("look for %q: %w", p, err)
		}
		for _, m := range matches {
			if fi, err := fs.Stat(in.FS, m); err != nil || !fi.IsDir() || seen[m] {
				continue
			}
			seen[m] = true
			roots = append(roots, m)
		}
	}
	if len(roots) == 0 {
		return fmt.Errorf("%w: no folder matches %s", module.ErrNotFound, strings.Join(k.Roots, ", "))
	}
	sort.Strings(roots)
	if len(roots) > MaxRoots {
		out.Problem("%d folders found; only the first %d are listed", len(roots), MaxRoots)
		roots = roots[:MaxRoots]
	}
	var errs []error
	for _, root := range roots {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := readDir(in.FS, root, out)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			u, ok := URLOf(e.Name())
			if !ok {
				continue
			}
			rec := &Record{Folder: root, URL: u, Name: e.Name(), kind: k}
			if fi, err := e.Info(); err != nil {
				out.Problem("%s: %v", path.Join(root, e.Name()), err)
			} else if t := fi.ModTime(); !t.IsZero() && timefmt.Valid(t) {
				rec.ISODate = timefmt.Of(t.UTC())
			}
			if err := out.Record(rec); err != nil {
				return err
			}
		}
	}
	if len(errs) == len(roots) {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		out.Problem("%v", err)
	}
	return nil
}

// readDir reads at most MaxEntries entries of dir, sorted by name.
func readDir(fsys fs.FS, dir string, out *module.Output) ([]fs.DirEntry, error) {
	f, err := fsys.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", dir, err)
	}
	defer f.Close()
	rd, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, fmt.Errorf("list %q: not a folder", dir)
	}
	var all []fs.DirEntry
	for len(all) <= MaxEntries {
		batch, err := rd.ReadDir(1024)
		all = append(all, batch...)
		if errors.Is(err, io.EOF) || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			if len(all) == 0 {
				return nil, fmt.Errorf("list %q: %w", dir, err)
			}
			out.Problem("list %q: %v (%d entries read)", dir, err, len(all))
			break
		}
	}
	if len(all) > MaxEntries {
		all = all[:MaxEntries]
		out.Problem("%s holds more than %d entries; only %d are listed", dir, MaxEntries, MaxEntries)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name() < all[j].Name() })
	return all, nil
}

// Checker looks every origin up in the indicators, CRITICAL as in MVT.
type Checker struct {
	env  *check.Env
	kind *Kind
}

// NewChecker returns the checker of the module described by k.
func NewChecker(env *check.Env, k *Kind) *Checker { return &Checker{env: env, kind: k} }

// Decode reads one record of the module described by k back from JSON (for the
// modules' module.Reloadable). MVT writes folder, url and isodate only: a record
// without name is checked all the same.
func Decode(data []byte, k *Kind) (any, error) {
	rec, err := module.Decode[Record](data)
	if r, ok := rec.(*Record); ok {
		r.kind = k
	}
	return rec, err
}

// Check implements check.Checker.
func (c *Checker) Check(rec any, r *check.Reporter) {
	o, ok := rec.(*Record)
	if !ok || o.URL == "" {
		return
	}
	where := fmt.Sprintf("the %s %s", c.kind.Label, o.Folder)
	if o.Name != "" {
		where += fmt.Sprintf(" (entry %s)", o.Name)
	}
	c.env.URL(r, alert.Critical, o.URL, where, o.ISODate.Time, o)
}

// Finish implements check.Checker.
func (c *Checker) Finish(*check.Reporter) {}
