// Package recheck runs the checks of spytrace's modules again over the records saved in
// earlier results folders — spytrace's own or MVT's — so that a case analysed months ago
// is judged against today's indicators and heuristics without the evidence at hand
// (spytrace check-iocs).
//
// A results folder is recognised by its info.json (spytrace writes "tool": "spytrace",
// MVT writes "mvt_version") or by the <slug>.json files of known modules. Its platform
// comes from spytrace's info.json; for MVT's folders, from which modules wrote files
// (only "sms" exists on both platforms: its records' keys decide). Each module's
// <slug>.json is streamed record by record through the module's DecodeRecord into a
// fresh checker, on as many workers as asked.
//
// Results never replace the earlier ones: each re-check writes a new folder
// rechecks/<UTC time>-<indicator set>/ inside the case, with the alerts in the results
// folder's layout (alerts.json, <slug>_detected.json, alerts_timeline.csv), the alerts
// that no earlier run of the case raised (new_alerts.json), and an info.json naming the
// indicator set (every file with its SHA-256, and one fingerprint of the set).
//
// The folders read are untrusted: they are opened through os.Root (no symbolic link
// leads out of the case), every record is bounded in size and count, and a folder of
// folders is searched to a fixed depth.
package recheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/report/results"
)

// Producers of results folders.
const (
	Spytrace = "spytrace"
	MVT      = "mvt"
)

// RechecksDir is the folder, inside a case, that holds its re-checks.
const RechecksDir = "rechecks"

// ErrNotResults is returned for a folder that holds no results.
var ErrNotResults = errors.New("not a results folder of spytrace or MVT")

// Case is one earlier results folder.
type Case struct {
	// Dir is the folder, as found.
	Dir string
	// Producer is Spytrace or MVT; Version the producer's version when info.json says.
	Producer, Version string
	Platform          acquire.Platform
	// Command and Date are those of the run that wrote the folder, when known.
	Command, Date string
	// IOCFiles lists the indicator files of that run (info.json's ioc_files).
	IOCFiles []string
	// Modules are the modules with a <slug>.json file in the folder, in the order given
	// to Open; Skipped names the <slug>.json files of modules with nothing to re-check.
	Modules []module.Module
	Skipped []string
}

// originalInfo holds the keys of info.json that spytrace and MVT share or that say
// which tool wrote it.
type originalInfo struct {
	Tool        string         `json:"tool"`
	Version     string         `json:"spytrace_version"`
	MVTVersion  string         `json:"mvt_version"`
	Command     string         `json:"command"`
	Date        string         `json:"date"`
	IOCFiles    []string       `json:"ioc_files"`
	Acquisition map[string]any `json:"acquisition"`
}

// maxInfoBytes bounds info.json, which lists one hash per evidence file read.
const maxInfoBytes = 256 << 20

// Open reads the results folder dir. mods are the modules that may have written files
// in it (every registered module); the case keeps those of its platform whose
// <slug>.json exists, in that order.
func Open(dir string, mods []module.Module) (*Case, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open results folder %q: %w", dir, err)
	}
	defer root.Close()
	c := &Case{Dir: dir}
	var info originalInfo
	hasInfo := false
	if data, err := results.ReadFile(root, "info.json", maxInfoBytes); err == nil {
		if err := json.Unmarshal(data, &info); err != nil {
			return nil, fmt.Errorf("read %q: %w", filepath.Join(dir, "info.json"), err)
		}
		hasInfo = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %q: %w", filepath.Join(dir, "info.json"), err)
	}
	switch {
	case info.Tool == Spytrace:
		c.Producer, c.Version = Spytrace, info.Version
	case info.MVTVersion != "":
		c.Producer, c.Version = MVT, info.MVTVersion
	default:
		c.Producer = MVT // an MVT folder of a version without info.json, or a copy without it
	}
	c.Command, c.Date, c.IOCFiles = info.Command, info.Date, info.IOCFiles

	present := map[acquire.Platform][]module.Module{}
	names := map[acquire.Platform]map[string]bool{}
	for _, m := range mods {
		p := platformOf(m)
		if names[p] == nil {
			names[p] = map[string]bool{}
		}
		name := m.Info().Name
		if names[p][name] {
			continue
		}
		names[p][name] = true
		if fi, err := root.Stat(name + ".json"); err == nil && fi.Mode().IsRegular() {
			present[p] = append(present[p], m)
		}
	}
	if !hasInfo && len(present[acquire.IOS])+len(present[acquire.Android]) == 0 {
		return nil, fmt.Errorf("%q: %w", dir, ErrNotResults)
	}
	c.Platform = platformOfRun(info, present, root)
	for _, m := range present[c.Platform] {
		_, ok1 := m.(module.Checkable)
		_, ok2 := m.(module.Reloadable)
		if ok1 && ok2 {
			c.Modules = append(c.Modules, m)
		} else {
			c.Skipped = append(c.Skipped, m.Info().Name)
		}
	}
	return c, nil
}

// platformOf returns the platform of the acquisitions a module reads.
func platformOf(m module.Module) acquire.Platform {
	if k := m.Info().Kinds; len(k) > 0 {
		return k[0].Platform()
	}
	return acquire.IOS
}

// platformOfRun decides the platform of a case: spytrace's info.json names it; otherwise
// the modules that wrote files, and when only names both platforms share were found
// (sms), the keys of the first SMS record.
func platformOfRun(info originalInfo, present map[acquire.Platform][]module.Module, root *os.Root) acquire.Platform {
	if k, ok := info.Acquisition["kind"].(string); ok && k != "" {
		return acquire.Kind(k).Platform()
	}
	if cmd := strings.ToLower(info.Command); strings.HasPrefix(cmd, "android") {
		return acquire.Android
	} else if strings.HasPrefix(cmd, "ios") {
		return acquire.IOS
	}
	only := func(p, other acquire.Platform) int {
		n := 0
		for _, m := range present[p] {
			if !slices.ContainsFunc(present[other], func(o module.Module) bool { return o.Info().Name == m.Info().Name }) {
				n++
			}
		}
		return n
	}
	ios, android := only(acquire.IOS, acquire.Android), only(acquire.Android, acquire.IOS)
	switch {
	case android > ios:
		return acquire.Android
	case ios > android:
		return acquire.IOS
	}
	if f, err := root.Open("sms.json"); err == nil {
		defer f.Close()
		platform := acquire.IOS
		eachRecord(io.LimitReader(f, 64<<20), 16<<20, func(raw json.RawMessage) error {
			var keys map[string]json.RawMessage
			if json.Unmarshal(raw, &keys) == nil {
				// Android's SMS records carry the sender as "address" and the content
				// provider's "body"; iOS's sms.db rows have "guid" and "handle_id".
				if _, ok := keys["guid"]; !ok {
					if _, ok := keys["body"]; ok {
						platform = acquire.Android
					}
				}
			}
			return io.EOF
		})
		return platform
	}
	return acquire.IOS
}

// maxFindDepth bounds how deep Find looks for results folders under a folder of cases.
const maxFindDepth = 4

// maxFindEntries bounds the folder entries Find reads in all.
const maxFindEntries = 1_000_000

// Find returns the results folders at or under path: path itself when it is one,
// otherwise every results folder found under it (not inside another results folder,
// and never in a rechecks folder), sorted, to a depth of four folders. Symbolic links
// are not followed.
func Find(path string, mods []module.Module) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%q is not a folder", path)
	}
	var found []string
	entries := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if IsResults(dir, mods) {
			found = append(found, dir)
			return nil
		}
		if depth == maxFindDepth {
			return nil
		}
		list, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if entries += len(list); entries > maxFindEntries {
			return fmt.Errorf("more than %d entries under %q: give the case folders themselves", maxFindEntries, path)
		}
		for _, e := range list {
			if !e.IsDir() || e.Name() == RechecksDir || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if err := walk(filepath.Join(dir, e.Name()), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(path, 0); err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%q: %w, and no folder under it is one", path, ErrNotResults)
	}
	sort.Strings(found)
	return found, nil
}

// IsResults reports whether dir looks like a results folder: an info.json of spytrace
// or MVT, or the <slug>.json of a known module.
func IsResults(dir string, mods []module.Module) bool {
	if data, err := readHead(filepath.Join(dir, "info.json"), 1<<20); err == nil {
		if bytes.Contains(data, []byte(`"mvt_version"`)) || bytes.Contains(data, []byte(`"tool": "spytrace"`)) || bytes.Contains(data, []byte(`"tool":"spytrace"`)) {
			return true
		}
	}
	for _, m := range mods {
		if fi, err := os.Lstat(filepath.Join(dir, m.Info().Name+".json")); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// readHead reads at most n bytes of a regular file (not through a link).
func readHead(path string, n int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}
