package cli

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/feeds"
	"github.com/spytrace/spytrace/internal/limits"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/recheck"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/unshorten"
	"github.com/spytrace/spytrace/internal/version"
)

// defaultURLTimeout is the time allowed to a URL shortener's answer.
const defaultURLTimeout = 10 * time.Second

// checkIOCsConfig holds the flags of check-iocs.
type checkIOCsConfig struct {
	checkConfig
	ExpandURLs bool
	URLTimeout time.Duration
}

const checkIOCsLong = `Check earlier results folders again, against the indicators loaded now.

Public indicators are often published weeks or months after an attack. check-iocs reads
the records that an earlier check saved (<module>.json), without the evidence, and runs
every module's checks on them again: indicator matches and heuristics. It reads results
folders of spytrace and of MVT (iOS and Android).

Each RESULTS is a results folder, or a folder of them (one per case; searched four
levels deep): every case is re-checked and gets one summary line.

Nothing a results folder holds is changed or removed. Each re-check writes a new folder
rechecks/<UTC time>-<indicator set>/ inside the case, with alerts.json,
<module>_detected.json and alerts_timeline.csv, new_alerts.json (the alerts that no
earlier run of the case raised), and info.json naming the indicator set: every indicator
file with its SHA-256, and one fingerprint of the whole set, also in the folder's name.

Indicators come from --iocs, SPYTRACE_IOCS and spytrace's data folder, as for the check
commands.

--expand-urls asks each URL shortener (bit.ly, t.co…) found in the case's urls.json
where its link leads, and checks the destination. The requests leave from this
computer's address towards services that the attacker may control or watch: they learn
that someone is looking at the link, from where, and when. Use it only when that is
acceptable (or through a proxy: HTTPS_PROXY is honoured). Only shorteners are contacted,
with HEAD requests, no cookies and a timeout; the destination itself is never visited.

Exit status: 0 no new alert at or above --fail-level, 1 a case could not be re-checked,
2 bad usage, 3 new alerts at or above --fail-level (default HIGH) in some case.`

const checkIOCsExample = `  # Re-check one case against the indicators of the data folder (spytrace iocs update)
  spytrace check-iocs cases/2026-03-journalist-a/

  # Re-check every case of a folder against a new indicator file
  spytrace check-iocs --iocs predator-2026.stix2 cases/

  # Re-check an MVT results folder, also expanding its shortened URLs
  spytrace check-iocs --expand-urls mvt-output/

  # Only new HIGH or CRITICAL alerts matter for the exit status (the default)
  spytrace check-iocs --fail-level HIGH cases/ || echo "new severe alerts: read the summary"`

func (e *env) checkIOCsCommand() *cobra.Command {
	var cfg checkIOCsConfig
	cmd := &cobra.Command{
		Use:     "check-iocs [flags] RESULTS...",
		Short:   "Check earlier results folders (spytrace's or MVT's) against the current indicators",
		Long:    checkIOCsLong,
		Example: checkIOCsExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("%q needs at least one results folder", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return e.checkIOCs(cmd.Context(), cfg, args) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&cfg.IOCs, "iocs", "i", nil, "STIX 2.1 indicator file or folder (repeatable); SPYTRACE_IOCS and the data folder's indicators are added")
	f.BoolVar(&cfg.NoDefaultIOCs, "no-default-iocs", false, "load only the --iocs files: ignore SPYTRACE_IOCS and the data folder")
	f.StringVar(&cfg.FailLevel, "fail-level", "HIGH", "exit with status 3 when a new alert is at or above this level (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, or NONE)")
	f.StringArrayVarP(&cfg.Modules, "module", "m", nil, "re-check only this module (repeatable)")
	f.BoolVarP(&cfg.Verbose, "verbose", "v", false, "show debug messages")
	f.BoolVarP(&cfg.Quiet, "quiet", "q", false, "show only warnings, errors and the summary lines")
	f.BoolVar(&cfg.JSONLog, "json-log", false, "write the messages on stderr as JSON lines, for scripts")
	f.IntVar(&cfg.Workers, "workers", 0, "modules re-checked at once (default: number of CPUs)")
	f.StringArrayVar(&cfg.Limits, "limit", nil, "raise or lower the records or alerts of one module, records=N or alerts=N (repeatable; see docs/limits.md)")
	f.BoolVar(&cfg.ExpandURLs, "expand-urls", false, "ask URL shorteners where the case's shortened URLs lead (contacts them from this computer: see above)")
	f.DurationVar(&cfg.URLTimeout, "url-timeout", defaultURLTimeout, "time allowed to each shortener's answer, with --expand-urls")
	f.StringVar(&cfg.CPUProfile, "cpu-profile", "", "write a Go CPU profile of the run to this file (for developers)")
	f.StringVar(&cfg.MemProfile, "mem-profile", "", "write a Go heap profile at the end of the run to this file (for developers)")
	_ = f.MarkHidden("cpu-profile")
	_ = f.MarkHidden("mem-profile")
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	_ = cmd.MarkFlagFilename("iocs", "stix2", "stix", "json")
	_ = cmd.RegisterFlagCompletionFunc("module", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var names []string
		for _, m := range list.All() {
			if _, ok := m.(module.Reloadable); ok {
				names = append(names, m.Info().Name+"\t"+m.Info().Description)
			}
		}
		return slices.Compact(names), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("fail-level", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "NONE"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func (e *env) checkIOCs(ctx context.Context, cfg checkIOCsConfig, args []string) error {
	failLevel, failNone, err := parseFailLevel(cfg.FailLevel)
	if err != nil {
		return usageError{err}
	}
	if cfg.URLTimeout <= 0 {
		return usagef("--url-timeout must be positive")
	}
	lim, err := limits.Parse(cfg.Limits)
	if err != nil {
		return usageError{err}
	}
	rest := lim
	rest.Records, rest.Alerts = 0, 0
	if rest != (limits.Limits{}) {
		return usagef("check-iocs reads no evidence: only the records and alerts limits apply to it")
	}
	mods := list.All()
	if len(cfg.Modules) > 0 {
		known := map[string]bool{}
		for _, m := range mods {
			known[m.Info().Name] = true
		}
		for _, name := range cfg.Modules {
			if !known[name] {
				return usagef("unknown module %q (see spytrace ios check-backup --list-modules and the android commands' lists)", name)
			}
		}
		mods = slices.DeleteFunc(mods, func(m module.Module) bool { return !slices.Contains(cfg.Modules, m.Info().Name) })
	}
	log := slog.New(e.consoleHandler(cfg.checkConfig))

	var cases []string
	for _, a := range args {
		found, err := recheck.Find(a, list.All())
		if err != nil {
			return fmt.Errorf("find results folders: %w", err)
		}
		for _, c := range found {
			if !slices.Contains(cases, c) {
				cases = append(cases, c)
			}
		}
	}
	index, report, iocFiles, err := e.loadIndicators(cfg.checkConfig, log)
	if err != nil {
		return err
	}
	set := recheck.NewIndicatorSet(indicatorFiles(report), index.Len())
	log.Info(fmt.Sprintf("re-checking %d results folders against %d indicators from %d files (set %s)", len(cases), index.Len(), len(iocFiles), set.SHA256[:12]))
	env := check.NewEnv(index)

	var x *unshorten.Expander
	if cfg.ExpandURLs {
		x = unshorten.New(unshorten.Options{Timeout: cfg.URLTimeout, Proxy: feeds.ProxyFunc(e.getenv), IsShortener: e.isShortener})
		fmt.Fprintln(e.stderr, "spytrace: warning: --expand-urls: each URL shortener found in the cases will be asked, from this computer's address, where its link leads. "+
			"The shortener's operator (possibly the attacker) sees the address and the time. Stop now (Ctrl-C) if that is not acceptable.")
	}
	v := version.Get()
	tmpl := recheck.Info{
		Tool: "spytrace", Version: v.Version, Commit: v.Commit, Command: "check-iocs",
		FailLevel: cfg.FailLevel, IndicatorSet: set,
	}
	if failNone {
		tmpl.FailLevel = "NONE"
	}
	stopProfiles, err := startProfiles(cfg.checkConfig)
	if err != nil {
		return err
	}
	defer func() {
		if err := stopProfiles(); err != nil {
			log.Warn("write profiles: " + err.Error())
		}
	}()
	job := recheckJob{mods: mods, env: env, expander: x, info: tmpl, workers: cfg.Workers, now: e.now(),
		limits: recheck.Limits{MaxRecords: lim.Records, MaxAlerts: lim.Alerts}}
	failed, severe := 0, 0
	for _, dir := range cases {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c, o, out, err := job.run(ctx, dir)
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "%s: not re-checked: %s\n", safetext.Terminal(dir), safetext.Terminal(err.Error()))
			continue
		}
		fmt.Fprintln(e.stdout, safetext.Terminal(summaryLine(dir, c, o, out)))
		if !failNone {
			severe += o.NewCounts.AtLeast(failLevel)
		}
	}
	if len(cases) > 1 {
		fmt.Fprintf(e.stderr, "spytrace: %d results folders re-checked, %d could not be\n", len(cases)-failed, failed)
	}
	switch {
	case severe > 0:
		fmt.Fprintf(e.stderr, "spytrace: exit status %d: new alerts at or above %s\n", ExitAlerts, failLevel)
		return exitError{ExitAlerts}
	case failed > 0:
		return fmt.Errorf("%d results folders could not be re-checked", failed)
	}
	return nil
}

// recheckJob is what every case of one check-iocs run is re-checked with.
type recheckJob struct {
	mods     []module.Module
	env      *check.Env
	expander *unshorten.Expander // nil without --expand-urls
	info     recheck.Info        // the template of each re-check's info.json
	workers  int
	limits   recheck.Limits
	now      time.Time
}

// run re-checks one results folder and writes its re-check folder, whose path it
// returns.
func (j *recheckJob) run(ctx context.Context, dir string) (*recheck.Case, *recheck.Outcome, string, error) {
	c, err := recheck.Open(dir, j.mods)
	if err != nil {
		return nil, nil, "", err
	}
	o, err := c.Check(ctx, recheck.Options{Env: j.env, Workers: j.workers, Limits: j.limits})
	if err != nil {
		return nil, nil, "", err
	}
	info := j.info
	if j.expander != nil {
		urls, err := c.Shortened(j.expander)
		if err != nil {
			info.Problems = append(info.Problems, err.Error())
		}
		o.ExpandURLs(ctx, urls, j.expander, j.env, 4)
	}
	out, err := o.Write(info, j.now)
	if err != nil {
		return nil, nil, "", fmt.Errorf("write the re-check: %w", err)
	}
	return c, o, out, nil
}

// summaryLine is the line check-iocs prints for a case it re-checked.
func summaryLine(dir string, c *recheck.Case, o *recheck.Outcome, out string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s, %d records of %d modules: %d alerts, %d new", dir, c.Producer, c.Platform, o.Records(), len(o.Modules), o.Counts.Total(), o.NewCounts.Total())
	if o.NewCounts.Total() > 0 {
		var lv []string
		for i := len(alert.Levels) - 1; i >= 0; i-- {
			if k := o.NewCounts[alert.Levels[i]]; k > 0 {
				lv = append(lv, fmt.Sprintf("%d %s", k, alert.Levels[i]))
			}
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(lv, ", "))
	}
	if o.URLs != nil {
		fmt.Fprintf(&b, ", %d shortened URLs expanded", len(o.URLs))
	}
	for _, m := range o.Modules {
		if m.State == module.Failed || m.State == module.Partial {
			fmt.Fprintf(&b, "; %s %s: %s", m.Module, m.State, m.Reason)
		}
	}
	fmt.Fprintf(&b, " -> %s", out)
	if c.Date != "" {
		fmt.Fprintf(&b, " (first checked %s UTC)", c.Date)
	}
	return b.String()
}
