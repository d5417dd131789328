package recheck

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// IndicatorSet names the indicators a re-check used.
type IndicatorSet struct {
	// SHA256 fingerprints the set: the SHA-256 of the sorted SHA-256 of its files, one
	// per line. The same files give the same fingerprint whatever their paths.
	SHA256     string                  `json:"sha256"`
	Indicators int                     `json:"indicators"`
	Files      []results.IndicatorFile `json:"files"`
}

// NewIndicatorSet describes the loaded files, holding n indicators in all.
func NewIndicatorSet(files []results.IndicatorFile, n int) IndicatorSet {
	sums := make([]string, 0, len(files))
	for _, f := range files {
		sums = append(sums, f.SHA256)
	}
	slices.Sort(sums)
	h := sha256.New()
	for _, s := range sums {
		h.Write([]byte(s + "\n"))
	}
	if files == nil {
		files = []results.IndicatorFile{}
	}
	return IndicatorSet{SHA256: hex.EncodeToString(h.Sum(nil)), Indicators: n, Files: files}
}

// Original describes the run that wrote the case.
type Original struct {
	Tool     string   `json:"tool"`
	Version  string   `json:"version,omitempty"`
	Command  string   `json:"command,omitempty"`
	Date     string   `json:"date,omitempty"`
	IOCFiles []string `json:"ioc_files"`
	Platform string   `json:"platform"`
	Alerts   int      `json:"alerts"`
}

// Info is the info.json of a re-check folder.
type Info struct {
	SchemaVersion int    `json:"schema_version"`
	Tool          string `json:"tool"`
	Version       string `json:"spytrace_version"`
	Commit        string `json:"commit,omitempty"`
	Command       string `json:"command"`
	// ResultsFolder is the case's folder.
	ResultsFolder string   `json:"results_folder"`
	Original      Original `json:"original"`
	// Date is when the re-check ran, UTC.
	Date         string       `json:"date"`
	FailLevel    string       `json:"fail_level"`
	IndicatorSet IndicatorSet `json:"indicator_set"`
	// Modules are the modules whose records were checked again; NotRechecked the
	// <slug>.json files of modules that have no checks.
	Modules      []results.ModuleInfo `json:"modules"`
	NotRechecked []string             `json:"not_rechecked,omitempty"`
	Records      int                  `json:"records"`
	// Alerts counts the alerts of the re-check per level, NewAlerts those no earlier
	// run of the case raised.
	Alerts    map[string]int `json:"alerts"`
	NewAlerts map[string]int `json:"new_alerts"`
	Problems  []string       `json:"problems,omitempty"`
	// ExpandedURLs counts the shortened URLs followed on request (--expand-urls).
	ExpandedURLs *int `json:"expanded_urls,omitempty"`
	Interrupted  bool `json:"interrupted,omitempty"`
}

// Write writes the outcome into a new folder rechecks/<UTC time>-<set>/ of the case and
// returns its path. tmpl supplies the tool, command, indicator set and fail level;
// Write fills in the rest. Nothing the case already holds is changed.
func (o *Outcome) Write(tmpl Info, now time.Time) (string, error) {
	base := filepath.Join(o.Case.Dir, RechecksDir)
	if fi, err := os.Lstat(base); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("%q is not a folder: cannot write the re-check beside the results", base)
	}
	name := now.UTC().Format("20060102T150405Z") + "-" + shortSet(tmpl.IndicatorSet.SHA256)
	path := filepath.Join(base, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			break
		}
		path = filepath.Join(base, fmt.Sprintf("%s-%d", name, i))
	}
	dir, err := results.Create(path, false)
	if err != nil {
		return "", err
	}
	info := tmpl
	info.SchemaVersion = results.SchemaVersion
	info.ResultsFolder, _ = filepath.Abs(o.Case.Dir)
	info.Date = timefmt.Format(now)
	info.Original = Original{
		Tool: o.Case.Producer, Version: o.Case.Version, Command: o.Case.Command, Date: o.Case.Date,
		IOCFiles: o.Case.IOCFiles, Platform: string(o.Case.Platform), Alerts: o.Known,
	}
	if info.Original.IOCFiles == nil {
		info.Original.IOCFiles = []string{}
	}
	info.NotRechecked = o.Case.Skipped
	info.Records = o.Records()
	info.Alerts, info.NewAlerts = levelCounts(o.Counts), levelCounts(o.NewCounts)
	info.Problems = append(info.Problems, o.KnownProblems...)
	info.Modules = []results.ModuleInfo{}
	for _, m := range o.Modules {
		info.Modules = append(info.Modules, results.ModuleInfo{
			Name: m.Module, Version: m.Version, Status: string(m.State), Reason: m.Reason,
			Records: m.Records, Alerts: len(m.Alerts), Problems: m.Problems,
		})
	}
	var errs []error
	errs = append(errs, dir.WriteAlerts(o.Alerts))
	newAlerts := o.New
	if newAlerts == nil {
		newAlerts = []alert.Alert{}
	}
	errs = append(errs, dir.WriteJSON("new_alerts.json", newAlerts))
	if o.URLs != nil {
		n := len(o.URLs)
		info.ExpandedURLs = &n
		errs = append(errs, dir.WriteJSON("expanded_urls.json", o.URLs))
	}
	errs = append(errs, dir.WriteJSON("info.json", info))
	return path, errors.Join(errs...)
}

func levelCounts(c alert.Counts) map[string]int {
	out := map[string]int{}
	for _, l := range alert.Levels {
		out[l.String()] = c[l]
	}
	return out
}

// shortSet is the start of a set's fingerprint, for folder names.
func shortSet(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
