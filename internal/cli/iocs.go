package cli

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/appdirs"
	"github.com/spytrace/spytrace/internal/feeds"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/taxii"
)

// iocsCommand is the "iocs" group: fetching, listing and searching indicator files.
func (e *env) iocsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "iocs",
		Short: "Fetch, list and search indicators of compromise",
		Long: `Indicators of compromise (STIX 2.1 bundles) are loaded by every check from --iocs,
from SPYTRACE_IOCS and from the indicators folder of spytrace's data folder.
"iocs update" fills that folder from the public mvt-indicators index; it is the only
command that downloads indicators: nothing is fetched at start-up or during a check.`,
		Example: `  spytrace iocs update
  spytrace iocs list
  spytrace iocs show evil-domain.example`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.AddCommand(e.iocsUpdateCommand(), e.iocsPullTAXIICommand(), e.iocsListCommand(), e.iocsShowCommand())
	return c
}

// iocsDirs returns the data folder, the indicators folder and the manifest path.
func (e *env) iocsDirs() (data, indicators, manifest string, err error) {
	data, err = appdirs.DataDir(e.getenv, e.home)
	if err != nil {
		return "", "", "", err
	}
	indicators, err = appdirs.IndicatorsDir(e.getenv, e.home)
	if err != nil {
		return "", "", "", err
	}
	return data, indicators, filepath.Join(data, feeds.ManifestName), nil
}

const iocsUpdateLong = `Downloads every indicator bundle listed in the mvt-indicators index (the YAML file
MVT's download-iocs reads) into the indicators folder of spytrace's data folder, where
every check loads it. --index names another index: an http(s) URL or a local file.

Each bundle is checked (it must load as a STIX 2.1 bundle with usable indicators)
before it replaces the previous copy, atomically: a failed, truncated or malformed
download leaves the previous copy as it was. Files of the folder that the index does
not list are left alone. The data folder's indicators-manifest.json records, per
bundle, the source URL, download date, SHA-256, size, indicator counts per type and
collection, and the outcome of the last attempt.

Proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured. TLS certificates are
verified.

Exit status: 0 every bundle is installed (updated or unchanged), 1 the index could not
be read, or at least one entry failed (the others are still installed), 2 bad usage.`

func (e *env) iocsUpdateCommand() *cobra.Command {
	var (
		index   string
		timeout time.Duration
	)
	c := &cobra.Command{
		Use:   "update",
		Short: "Download the public indicator bundles into the data folder",
		Long:  iocsUpdateLong,
		Example: `  spytrace iocs update
  spytrace iocs update --index ./my-index.yaml
  HTTPS_PROXY=http://proxy.example:3128 spytrace iocs update`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if index == "" {
				return usagef("--index must not be empty")
			}
			if timeout <= 0 {
				return usagef("--timeout must be positive")
			}
			_, dir, manifest, err := e.iocsDirs()
			if err != nil {
				return err
			}
			w := e.stdout
			opts := feeds.Options{
				Dir: dir, ManifestPath: manifest, Getenv: e.getenv, Timeout: timeout, Now: e.now,
				Progress: func(r feeds.Result) { printUpdateResult(w, r) },
			}
			fmt.Fprintf(e.stderr, "spytrace: reading the index %s\n", safetext.Terminal(index))
			ix, problems, err := feeds.FetchIndex(cmd.Context(), index, opts)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintf(w, "%-9s  index: %s\n", "FAILED", safetext.Terminal(p))
			}
			results, err := feeds.Update(cmd.Context(), ix, index, opts)
			counts := map[string]int{}
			for _, r := range results {
				counts[r.Status]++
			}
			failed := counts[feeds.StatusFailed] + len(problems)
			fmt.Fprintf(w, "%d index entries: %d updated, %d unchanged, %d failed; indicators folder %s\n",
				len(results)+len(problems), counts[feeds.StatusUpdated], counts[feeds.StatusUnchanged], failed, dir)
			if err != nil {
				return err
			}
			if failed > 0 {
				fmt.Fprintf(e.stderr, "spytrace: error: %d of the index's bundles could not be installed (see above); previous copies were kept\n", failed)
				return exitError{ExitError}
			}
			return nil
		},
	}
	c.Flags().StringVar(&index, "index", feeds.DefaultIndexURL, "index of bundles: an http(s) URL or a local YAML file")
	c.Flags().DurationVar(&timeout, "timeout", feeds.DefaultTimeout, "time allowed for each download (index or bundle), body included")
	return c
}

func printUpdateResult(w io.Writer, r feeds.Result) {
	name := safetext.Terminal(r.Entry.Name)
	switch r.Status {
	case feeds.StatusFailed:
		kept := "no previous copy"
		if r.KeptPrevious {
			kept = "previous copy kept"
		}
		where := ""
		if r.URL != "" {
			where = " (" + safetext.Terminal(r.URL) + ")"
		}
		fmt.Fprintf(w, "%-9s  %s%s: %s; %s\n", "FAILED", name, where, safetext.Terminal(r.Err.Error()), kept)
	default:
		fmt.Fprintf(w, "%-9s  %s: %d indicators, sha256 %s, %s\n", r.Status, name, r.Bundle.Indicators, r.Bundle.SHA256, safetext.Terminal(r.File))
	}
}

// iocsSources are the indicator paths a check would load, with the --iocs extras.
func (e *env) iocsSources(extra []string) []string {
	return e.indicatorPaths(checkConfig{IOCs: extra}, slog.New(slog.DiscardHandler))
}

// loadedSources loads every existing source path; missing ones are returned apart.
func (e *env) loadedSources(paths []string) (*ioc.Index, *ioc.LoadReport, map[string]int, []string, error) {
	var ok, missing []string
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
			continue
		}
		ok = append(ok, p)
	}
	warnings := map[string]int{}
	ix, rep, err := ioc.Load(ok, ioc.LoadOptions{Now: e.now(), Warn: func(w ioc.Warning) { warnings[w.File]++ }})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return ix, rep, warnings, missing, nil
}

const iocsListLong = `Lists every indicator file a check would load (the data folder's indicators folder,
SPYTRACE_IOCS, and any --iocs given here), with where it came from, its date, its
collections, its number of indicators per type and its status. Bundles that
"iocs update" could not install are listed too.`

func (e *env) iocsListCommand() *cobra.Command {
	var extra []string
	c := &cobra.Command{
		Use:     "list",
		Short:   "List the indicator files, their collections and counts",
		Long:    iocsListLong,
		Example: "  spytrace iocs list\n  spytrace iocs list --iocs extra.stix2",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, dir, manifestPath, err := e.iocsDirs()
			if err != nil {
				return err
			}
			m, merr := feeds.ReadManifest(manifestPath)
			if merr != nil {
				fmt.Fprintf(e.stderr, "spytrace: warning: %s\n", safetext.Terminal(merr.Error()))
				m = &feeds.Manifest{}
			}
			st, serr := taxii.ReadState(dir)
			if serr != nil {
				fmt.Fprintf(e.stderr, "spytrace: warning: %s\n", safetext.Terminal(serr.Error()))
				st = &taxii.State{}
			}
			ix, rep, warnings, missing, err := e.loadedSources(e.iocsSources(extra))
			if err != nil {
				return err
			}
			w := e.stdout
			listed := map[string]bool{}
			for _, fr := range rep.Files {
				p := fr.File.Path
				var b *feeds.Bundle
				var tx *taxii.Source
				if sameDir(filepath.Dir(p), dir) {
					b = m.Find(filepath.Base(p))
					tx = st.ByFile(filepath.Base(p))
				}
				if b != nil {
					listed[b.File] = true
				}
				printSource(w, fr, b, tx, warnings[p])
			}
			for _, src := range st.Sources {
				if src.File != "" && fileExists(filepath.Join(dir, src.File)) {
					continue
				}
				fmt.Fprintf(w, "(not installed) TAXII collection %s\n", safetext.Terminal(src.Collection))
				fmt.Fprintf(w, "  from:        %s\n", safetext.Terminal(src.APIRoot))
				fmt.Fprintf(w, "  status:      its file %s is missing: pull it again with --full\n\n", safetext.Terminal(src.File))
			}
			for _, b := range m.Bundles {
				if listed[b.File] || b.File != "" && fileExists(filepath.Join(dir, b.File)) {
					continue
				}
				fmt.Fprintf(w, "(not installed) %s\n", safetext.Terminal(b.Name))
				if b.URL != "" {
					fmt.Fprintf(w, "  from:        %s\n", safetext.Terminal(b.URL))
				}
				fmt.Fprintf(w, "  status:      %s\n\n", bundleStatus(&b))
			}
			for _, p := range missing {
				fmt.Fprintf(w, "%s\n  status:      missing (named by SPYTRACE_IOCS or --iocs)\n\n", safetext.Terminal(p))
			}
			if len(rep.Files) == 0 {
				fmt.Fprintln(w, `no indicator files: run "spytrace iocs update", or give files with --iocs or SPYTRACE_IOCS`)
				return nil
			}
			fmt.Fprintf(w, "%d files, %d distinct indicator values; indicators folder %s\n", len(rep.Files), ix.Len(), dir)
			return nil
		},
	}
	c.Flags().StringArrayVarP(&extra, "iocs", "i", nil, "also list this STIX 2.1 file or folder (repeatable)")
	return c
}

func sameDir(a, b string) bool {
	if a == b {
		return true
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func bundleStatus(b *feeds.Bundle) string {
	if b.Status == feeds.StatusFailed {
		s := "last update failed (" + b.LastAttempt.UTC().Format(time.DateTime) + " UTC): " + safetext.Terminal(b.LastError)
		if b.Downloaded != nil {
			s += "; this is the copy of " + b.Downloaded.UTC().Format(time.DateTime) + " UTC"
		}
		return s
	}
	return "ok (checked " + b.LastAttempt.UTC().Format(time.DateTime) + " UTC)"
}

func printSource(w io.Writer, fr ioc.FileReport, b *feeds.Bundle, tx *taxii.Source, warnings int) {
	fmt.Fprintf(w, "%s\n", safetext.Terminal(fr.File.Path))
	switch {
	case tx != nil:
		title := ""
		if tx.Title != "" {
			title = " (" + safetext.Terminal(tx.Title) + ")"
		}
		fmt.Fprintf(w, "  from:        TAXII 2.1 collection %s%s of %s\n", safetext.Terminal(tx.Collection), title, safetext.Terminal(tx.APIRoot))
		fmt.Fprintf(w, "  pulled:      %s UTC, %d objects", tx.LastPull.UTC().Format(time.DateTime), tx.Objects)
		if tx.DateAddedLast != "" {
			fmt.Fprintf(w, ", added up to %s", safetext.Terminal(tx.DateAddedLast))
		}
		fmt.Fprintln(w)
	case b != nil:
		fmt.Fprintf(w, "  from:        %s (index entry %q)\n", safetext.Terminal(b.URL), safetext.Terminal(b.Name))
		if b.Downloaded != nil {
			fmt.Fprintf(w, "  downloaded:  %s UTC\n", b.Downloaded.UTC().Format(time.DateTime))
		}
	default:
		if fi, err := os.Stat(fr.File.Path); err == nil {
			fmt.Fprintf(w, "  modified:    %s UTC\n", fi.ModTime().UTC().Format(time.DateTime))
		}
	}
	fmt.Fprintf(w, "  sha256:      %s\n", fr.File.SHA256)
	if b != nil && b.SHA256 != "" && b.SHA256 != fr.File.SHA256 {
		fmt.Fprintf(w, "  note:        changed since it was downloaded (manifest sha256 %s)\n", b.SHA256)
	}
	status := "ok"
	for _, reason := range []string{"not JSON", "not a STIX bundle", "too large"} {
		if fr.Skipped[reason] > 0 {
			status = "unusable: " + reason
		}
	}
	if status == "ok" && fr.Indicators == 0 {
		status = "no usable indicator"
	}
	if b != nil && b.Status == feeds.StatusFailed {
		status += "; " + bundleStatus(b)
	}
	fmt.Fprintf(w, "  status:      %s\n", status)
	byType := map[string]int{}
	for k, n := range fr.ByKind {
		byType[string(k)] = n
	}
	var parts []string
	for _, k := range feeds.SortedTypes(byType) {
		parts = append(parts, fmt.Sprintf("%s %d", k, byType[k]))
	}
	fmt.Fprintf(w, "  indicators:  %d", fr.Indicators)
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	for i, col := range fr.Collections {
		label := "  collections: "
		if i > 0 {
			label = "               "
		}
		fmt.Fprintf(w, "%s%s (%d)\n", label, safetext.Terminal(col.Name), col.Count)
	}
	if n := sumCounts(fr.Skipped); n > 0 || warnings > 0 {
		var rs []string
		for _, k := range slices.Sorted(maps.Keys(fr.Skipped)) {
			rs = append(rs, fmt.Sprintf("%s %d", k, fr.Skipped[k]))
		}
		fmt.Fprintf(w, "  skipped:     %d (%s); %d warnings\n", n, strings.Join(rs, ", "), warnings)
	}
	fmt.Fprintln(w)
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

const iocsShowLong = `Says which collections and files hold VALUE: a domain or host, URL, IP address,
e-mail address, process name, file name or path, hash, app identifier, certificate
hash, configuration-profile identifier or Android property. VALUE is looked up the
way checks look up what they find (a subdomain matches its domain indicator, a URL
its URL, domain or IP indicator, a path the path indicators above it…).

Exit status: 0 whether or not VALUE was found, 1 the indicators could not be read,
2 bad usage.`

// showLookup is one way of looking VALUE up.
type showLookup struct {
	as    string
	match func(*ioc.Index, string) *ioc.Match
}

var showLookups = []showLookup{
	{"URL", func(ix *ioc.Index, v string) *ioc.Match {
		if !strings.Contains(v, "://") {
			return nil
		}
		return ix.MatchURL(v)
	}},
	{"host", (*ioc.Index).MatchHost},
	{"e-mail", (*ioc.Index).MatchEmail},
	{"process", (*ioc.Index).MatchProcess},
	{"file path", (*ioc.Index).MatchFilePath},
	{"file name", (*ioc.Index).MatchFileName},
	{"hash", (*ioc.Index).MatchHash},
	{"app id", (*ioc.Index).MatchAppID},
	{"app certificate hash", (*ioc.Index).MatchAppCertHash},
	{"profile id", (*ioc.Index).MatchProfileID},
	{"Android property", (*ioc.Index).MatchAndroidProperty},
}

func (e *env) iocsShowCommand() *cobra.Command {
	var extra []string
	c := &cobra.Command{
		Use:     "show VALUE",
		Short:   "Say which collections hold a value",
		Long:    iocsShowLong,
		Example: "  spytrace iocs show evil-domain.example\n  spytrace iocs show https://evil-domain.example/x\n  spytrace iocs show --iocs pegasus.stix2 BackupAgent",
		Args:    exactArgs(1, "one VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			value := args[0]
			if strings.TrimSpace(value) == "" {
				return usagef("VALUE must not be empty")
			}
			ix, rep, _, _, err := e.loadedSources(e.iocsSources(extra))
			if err != nil {
				return err
			}
			type row struct {
				as  string
				m   *ioc.Match
				ind *ioc.Indicator
			}
			var rows []row
			seen := map[*ioc.Indicator]bool{}
			for _, l := range showLookups {
				m := l.match(ix, value)
				if m == nil {
					continue
				}
				for _, ind := range m.All {
					if !seen[ind] {
						seen[ind] = true
						rows = append(rows, row{l.as, m, ind})
					}
				}
			}
			shown := safetext.Terminal(value)
			if len(rows) == 0 {
				fmt.Fprintf(e.stdout, "%s: not found in %d indicator files (%d distinct values)\n", shown, len(rep.Files), ix.Len())
				return nil
			}
			if len(rows) == 1 {
				fmt.Fprintf(e.stdout, "%s: 1 indicator matches\n", shown)
			} else {
				fmt.Fprintf(e.stdout, "%s: %d indicators match\n", shown, len(rows))
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "LOOKED UP AS\tTYPE\tINDICATOR\tCOLLECTION\tFILE\tSTIX ID")
			for _, r := range rows {
				col, file := "", ""
				if r.ind.Collection != nil {
					col = r.ind.Collection.Name
					if r.ind.Collection.File != nil {
						file = r.ind.Collection.File.Path
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.as, r.ind.Kind, cell(r.ind.Value), cell(col), cell(file), cell(r.ind.ID))
			}
			return tw.Flush()
		},
	}
	c.Flags().StringArrayVarP(&extra, "iocs", "i", nil, "also search this STIX 2.1 file or folder (repeatable)")
	return c
}

// cell makes untrusted text safe for one tabwriter cell.
func cell(s string) string {
	s = safetext.Terminal(s)
	s = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return "-"
	}
	return s
}
