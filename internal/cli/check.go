package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/appdirs"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/limits"
	"github.com/spytrace/spytrace/internal/logx"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/report/html"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/safely"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/version"
)

// checkConfig holds the flags shared by the check commands.
type checkConfig struct {
	IOCs          []string
	NoDefaultIOCs bool
	Output        string
	Overwrite     bool
	FailLevel     string
	Modules       []string
	ListModules   bool
	Verbose       bool
	Quiet         bool
	JSONLog       bool
	Limits        []string
	Workers       int
	CPUProfile    string
	MemProfile    string
	Secrets       secretConfig
}

func (c *checkConfig) register(cmd *cobra.Command) {
	c.registerCommon(cmd)
	c.Secrets.register(cmd)
}

// registerCommon registers the flags of every check command.
func (c *checkConfig) registerCommon(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVarP(&c.IOCs, "iocs", "i", nil, "STIX 2.1 indicator file or folder (repeatable); SPYTRACE_IOCS and the data folder's indicators are added")
	f.BoolVar(&c.NoDefaultIOCs, "no-default-iocs", false, "load only the --iocs files: ignore SPYTRACE_IOCS and the data folder")
	f.StringVarP(&c.Output, "output", "o", "", "results folder (created; must be empty unless --overwrite); default spytrace-results-<date> in the current folder")
	f.BoolVar(&c.Overwrite, "overwrite", false, "write into a results folder that already holds files")
	f.StringVar(&c.FailLevel, "fail-level", "HIGH", "exit with status 3 when an alert is at or above this level (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, or NONE)")
	f.StringArrayVarP(&c.Modules, "module", "m", nil, "run only this module or group (repeatable; see --list-modules); modules it requires run too")
	f.BoolVarP(&c.ListModules, "list-modules", "l", false, "list the modules and exit")
	f.BoolVarP(&c.Verbose, "verbose", "v", false, "show debug messages")
	f.BoolVarP(&c.Quiet, "quiet", "q", false, "show only warnings, errors and the final summary")
	f.BoolVar(&c.JSONLog, "json-log", false, "write the messages on stderr as JSON lines, for scripts (no progress line)")
	f.IntVar(&c.Workers, "workers", 0, "modules run at once (default: number of CPUs)")
	f.StringArrayVar(&c.Limits, "limit", nil, "raise or lower a resource limit, NAME=VALUE (repeatable; see docs/limits.md: "+limits.Names()+")")
	f.StringVar(&c.CPUProfile, "cpu-profile", "", "write a Go CPU profile of the run to this file (for developers)")
	f.StringVar(&c.MemProfile, "mem-profile", "", "write a Go heap profile at the end of the run to this file (for developers)")
	_ = f.MarkHidden("cpu-profile")
	_ = f.MarkHidden("mem-profile")
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	_ = cmd.MarkFlagDirname("output")
	_ = cmd.MarkFlagFilename("iocs", "stix2", "stix", "json")
	_ = cmd.RegisterFlagCompletionFunc("module", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names := list.Groups()
		for _, m := range list.All() {
			names = append(names, m.Info().Name+"\t"+m.Info().Description)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("fail-level", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "NONE"}, cobra.ShellCompDirectiveNoFileComp
	})
}

const checkBackupLong = `Check an iTunes, Finder or idevicebackup2 backup of an iPhone or iPad, encrypted or not.

BACKUP is the backup folder (the one holding Manifest.db), or its parent when the parent
holds exactly one backup. The backup is only read: spytrace never writes into it, and
databases with a write-ahead log are read from a private copy.

Indicators come from every --iocs file or folder, from SPYTRACE_IOCS (a list of files and
folders separated by the system's path-list separator), and from the indicators folder of
spytrace's data folder (unless --no-default-iocs). Heuristics run whether or not
indicators are loaded.

The results folder receives one <module>.json per module, <module>_detected.json,
alerts.json, alerts_timeline.csv, timeline.csv, urls.json, info.json (versions, indicator
files and the SHA-256 of every evidence file read) and command.log.

An encrypted backup is read in place, decrypting only what the modules read (into memory,
or a private temporary folder removed at the end). Its password comes from --key-file,
--password-file, --password (discouraged: visible in the process list),
SPYTRACE_BACKUP_PASSWORD, or a prompt without echo; it is never logged or written.`

const checkBackupExample = `  # Check a backup against the Pegasus indicators
  spytrace ios check-backup --iocs pegasus.stix2 --output results/ ~/Backups/00008030-001A2B3C4D5E6F70

  # Use every indicator file of a folder; fail (exit 3) from MEDIUM alerts up
  spytrace ios check-backup -i indicators/ --fail-level MEDIUM -o results/ BACKUP

  # Run only the SMS modules
  spytrace ios check-backup -m sms -m sms_attachments -o results/ BACKUP

  # An encrypted backup, with its password in a file
  spytrace ios check-backup --password-file pw.txt -o results/ BACKUP

  # List the modules
  spytrace ios check-backup --list-modules`

func (e *env) checkBackupCommand() *cobra.Command {
	var cfg checkConfig
	cmd := &cobra.Command{
		Use:     "check-backup [flags] BACKUP",
		Short:   "Check an iOS backup (iTunes, Finder, idevicebackup2)",
		Long:    checkBackupLong,
		Example: checkBackupExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return nil
			}
			return exactArgs(1, "the path of one backup")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return e.listModules(acquire.IOSBackup)
			}
			return e.checkBackup(cmd.Context(), cfg, args[0], "ios check-backup")
		},
	}
	cfg.register(cmd)
	return cmd
}

func (e *env) listModules(kind acquire.Kind) error {
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tVERSION\tREADS")
	for _, m := range list.ForKind(kind) {
		info := m.Info()
		fmt.Fprintf(tw, "%s\t%d\t%s\n", info.Name, info.Version, info.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\ngroups: %s\n", strings.Join(list.Groups(), ", "))
	return nil
}

// opened is evidence opened for a check.
type opened struct {
	acq   acquire.Acquisition
	what  string         // what it is, for the console: "iOS backup"
	facts map[string]any // info.json's acquisition
	// note logs what the opener found worth saying (problems, partial acquisitions).
	note func(log *slog.Logger)
	// decrypting says that every file read is decrypted on the way (an encrypted
	// backup), which the progress line says.
	decrypting bool
}

func (e *env) checkBackup(ctx context.Context, cfg checkConfig, target, command string) error {
	return e.check(ctx, cfg, acquire.IOSBackup, command, func(ctx context.Context) (*opened, error) {
		backup, err := e.openBackup(ctx, target, cfg.Secrets)
		if err != nil {
			return nil, err
		}
		encrypted, _ := plistx.Bool(backup.Manifest, "IsEncrypted")
		return &opened{acq: backup, what: "iOS backup", facts: backupFacts(backup), decrypting: encrypted, note: func(log *slog.Logger) {
			for _, p := range backup.Problems() {
				log.Debug("backup problem", "kind", p.Kind, "name", p.Name, "message", p.Message)
			}
			if st := backup.Stats(); st.Missing > 0 {
				log.Warn(fmt.Sprintf("partial backup: %d files listed in Manifest.db are missing from the folder", st.Missing))
			}
		}}, nil
	})
}

// check runs the modules of kind over the evidence that open opens, while the
// indicators load, and writes the results folder.
func (e *env) check(ctx context.Context, cfg checkConfig, kind acquire.Kind, command string, open func(context.Context) (*opened, error)) error {
	failLevel, failNone, err := parseFailLevel(cfg.FailLevel)
	if err != nil {
		return usageError{err}
	}
	mods, err := list.Resolve(kind, cfg.Modules)
	if err != nil {
		return usageError{err}
	}
	lim, err := limits.Parse(cfg.Limits)
	if err != nil {
		return usageError{err}
	}
	e.lim = lim
	live := &engine.Live{}
	consoleOut, stopProgress := e.startProgress(cfg, live)
	defer stopProgress()
	console := e.consoleHandlerTo(consoleOut, cfg)
	log := slog.New(console)

	// Indicators load while the evidence opens: both take seconds on large inputs.
	type loaded struct {
		index  *ioc.Index
		report *ioc.LoadReport
		files  []string
		err    error
	}
	loading := make(chan loaded, 1)
	go func() {
		var l loaded
		if err := safely.Do(func() { l.index, l.report, l.files, l.err = e.loadIndicators(cfg, log) }); err != nil {
			l = loaded{err: fmt.Errorf("load the indicators: %w", err)}
		}
		loading <- l
	}()
	ev, err := open(ctx)
	l := <-loading
	if l.err != nil {
		if ev != nil {
			ev.acq.Close()
		}
		return l.err
	}
	index, report, iocFiles := l.index, l.report, l.files
	if err != nil {
		return err
	}
	defer ev.acq.Close()

	outDir, err := e.outputDir(cfg.Output, ev.acq.Root())
	if err != nil {
		return err
	}
	dir, err := results.Create(outDir, cfg.Overwrite)
	if err != nil {
		if errors.Is(err, results.ErrNotEmpty) {
			return usagef("%v: choose a new folder with --output, or pass --overwrite", err)
		}
		return err
	}
	logFile, err := os.OpenFile(dir.File("command.log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create command.log: %w", err)
	}
	defer logFile.Close()
	fileLog := slog.New(logx.NewFile(logFile, slog.LevelDebug)).With(logx.LoggerKey, "spytrace")
	runLog := slog.New(slog.NewMultiHandler(logx.NewFile(logFile, slog.LevelDebug), console)).With(logx.LoggerKey, "spytrace")
	v := version.Get()
	fileLog.Info(v.String())
	fileLog.Debug("command: spytrace " + strings.Join(redactArgs(e.args), " "))
	abs, _ := filepath.Abs(ev.acq.Root())
	runLog.Info("checking "+ev.what, "path", abs)
	for _, f := range report.Files {
		runLog.Debug("indicator file", "path", f.File.Path, "sha256", f.File.SHA256, "indicators", f.Indicators)
	}
	runLog.Info(fmt.Sprintf("loaded %d indicators from %d files", index.Len(), len(report.Files)))
	if ev.note != nil {
		ev.note(runLog)
	}
	if ev.decrypting {
		live.Decrypting()
	}

	info := results.Info{
		Tool:           "spytrace",
		Version:        v.Version,
		Commit:         v.Commit,
		Command:        command,
		TargetPath:     abs,
		Acquisition:    ev.facts,
		Date:           timefmt.Format(e.now()),
		FailLevel:      cfg.FailLevel,
		IOCFiles:       iocFiles,
		IndicatorFiles: indicatorFiles(report),
	}
	if failNone {
		info.FailLevel = "NONE"
	}
	var progress func(done, total int, st module.Status)
	if cfg.Verbose && !cfg.JSONLog {
		// One line per module, for those who asked for details.
		progress = func(done, total int, st module.Status) {
			line := fmt.Sprintf("[%*d/%d] %-32s %-8s", len(fmt.Sprint(total)), done, total, st.Module, st.State)
			switch st.State {
			case module.Skipped, module.Failed:
				line += " " + st.Reason
			default:
				line += fmt.Sprintf(" %d records, %d alerts (%s)", st.Records, st.Alerts, st.Duration.Round(msRound))
				if st.State == module.Partial {
					line += ": " + st.Reason
				}
			}
			fmt.Fprintf(consoleOut, "spytrace: %s\n", safetext.Terminal(line))
		}
	}
	stopProfiles, err := startProfiles(cfg)
	if err != nil {
		return err
	}
	res, runErr := engine.Run(ctx, engine.Config{
		Acquisition: ev.acq,
		Modules:     mods,
		Index:       index,
		Results:     dir,
		Info:        info,
		LogFile:     logFile,
		Console:     console,
		Workers:     cfg.Workers,
		Limits:      engine.Limits{MaxFileBytes: lim.FileBytes, MaxRecords: lim.Records, MaxCopyBytes: lim.CopyBytes, MaxAlerts: lim.Alerts, ModuleTime: lim.ModuleTime},
		Progress:    progress,
		Live:        live,
	})
	stopProgress()
	if err := stopProfiles(); err != nil {
		runLog.Warn("write profiles: " + err.Error())
	}
	if res == nil {
		return runErr
	}
	if runErr == nil || errors.Is(runErr, engine.ErrInterrupted) {
		if err := writeReport(dir.Path(), dir.File(ReportFile), html.Options{}); err != nil {
			runLog.Warn("the HTML report could not be written: " + err.Error())
		}
	}
	if cfg.JSONLog {
		e.jsonSummary(log, res, dir.Path(), failLevel, failNone)
	} else {
		e.summary(fileLog, res, dir.Path(), failLevel, failNone)
	}
	if runErr != nil {
		return runErr
	}
	if !failNone && res.Counts.AtLeast(failLevel) > 0 {
		return exitError{ExitAlerts}
	}
	return nil
}

const msRound = 1e6 // one millisecond, in time.Duration units

func parseFailLevel(s string) (alert.Level, bool, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return 0, true, nil
	}
	l, err := alert.ParseLevel(s)
	return l, false, err
}

func (e *env) consoleHandler(cfg checkConfig) slog.Handler { return e.consoleHandlerTo(e.stderr, cfg) }

// consoleHandlerTo is the console log of a check, written to w (stderr, or the progress
// line that wraps it).
func (e *env) consoleHandlerTo(w io.Writer, cfg checkConfig) slog.Handler {
	level := slog.LevelInfo
	switch {
	case cfg.Verbose:
		level = slog.LevelDebug
	case cfg.Quiet:
		level = slog.LevelWarn
	}
	if cfg.JSONLog {
		return logx.NewJSON(w, level)
	}
	return logx.NewConsole(w, level)
}

// indicatorPaths gathers the indicator sources: --iocs, then SPYTRACE_IOCS, then the
// data folder (the last two unless --no-default-iocs).
func (e *env) indicatorPaths(cfg checkConfig, log *slog.Logger) []string {
	paths := slices.Clone(cfg.IOCs)
	if cfg.NoDefaultIOCs {
		return paths
	}
	if v := e.getenv("SPYTRACE_IOCS"); v != "" {
		for _, p := range filepath.SplitList(v) {
			if p = strings.TrimSpace(p); p != "" {
				paths = append(paths, p)
			}
		}
	}
	if dir, err := appdirs.IndicatorsDir(e.getenv, e.home); err == nil {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			log.Debug("loading indicators of the data folder", "path", dir)
			paths = append(paths, dir)
		}
	}
	return paths
}

func (e *env) loadIndicators(cfg checkConfig, log *slog.Logger) (*ioc.Index, *ioc.LoadReport, []string, error) {
	paths := e.indicatorPaths(cfg, log)
	warnings := 0
	index, report, err := ioc.Load(paths, ioc.LoadOptions{
		Now: e.now(),
		Warn: func(w ioc.Warning) {
			warnings++
			if warnings <= 20 {
				log.Warn("indicators: " + w.String())
			}
		},
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load indicators: %w", err)
	}
	if warnings > 20 {
		log.Warn(fmt.Sprintf("indicators: %d more warnings (see command.log)", warnings-20))
	}
	var files []string
	for _, f := range report.Files {
		files = append(files, f.File.Path)
	}
	if index.Empty() {
		log.Warn("no indicators loaded: only heuristics will run (give indicator files with --iocs)")
	}
	return index, report, files, nil
}

func indicatorFiles(r *ioc.LoadReport) []results.IndicatorFile {
	var out []results.IndicatorFile
	for _, f := range r.Files {
		byType := map[string]int{}
		for k, n := range f.ByKind {
			byType[string(k)] = n
		}
		var cols []string
		for _, c := range f.Collections {
			cols = append(cols, c.Name)
		}
		out = append(out, results.IndicatorFile{
			Path: f.File.Path, SHA256: f.File.SHA256, Indicators: f.Indicators,
			ByType: byType, Collections: cols, Skipped: f.Skipped,
		})
	}
	return out
}

func backupFacts(b *iosbackup.Backup) map[string]any {
	facts := map[string]any{"kind": string(b.Kind()), "manifest": b.Stats()}
	lockdown, _ := b.Manifest["Lockdown"].(map[string]any)
	for _, k := range []string{"ProductType", "ProductVersion", "BuildVersion", "DeviceName", "SerialNumber", "UniqueDeviceID"} {
		if v, ok := lockdown[k].(string); ok {
			facts[k] = v
		}
	}
	for _, k := range []string{"Version", "Date", "IsEncrypted", "WasPasscodeSet"} {
		if v, ok := b.Manifest[k]; ok {
			facts["Manifest."+k] = v
		}
	}
	return facts
}

// outputDir returns the results folder to use, refusing one inside the evidence.
func (e *env) outputDir(out, evidence string) (string, error) {
	if out == "" {
		out = "spytrace-results-" + e.now().UTC().Format("20060102T150405Z")
	}
	if err := outsideEvidence(out, evidence); err != nil {
		return "", err
	}
	return out, nil
}

// summary prints the alert counts and the most severe alerts.
func (e *env) summary(log *slog.Logger, res *engine.Result, dir string, failLevel alert.Level, failNone bool) {
	w := e.stderr
	var failed, partial []string
	for _, st := range res.Statuses {
		switch st.State {
		case module.Failed:
			failed = append(failed, st.Module+" ("+st.Reason+")")
		case module.Partial:
			partial = append(partial, st.Module)
		}
	}
	var counts []string
	for i := len(alert.Levels) - 1; i >= 0; i-- {
		l := alert.Levels[i]
		counts = append(counts, fmt.Sprintf("%d %s", res.Counts[l], l))
	}
	log.Info("alerts: " + strings.Join(counts, ", "))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "spytrace: %d alerts: %s\n", res.Counts.Total(), strings.Join(counts, ", "))
	shown := 0
	for i := len(alert.Levels) - 1; i >= 0 && shown < maxShown; i-- {
		l := alert.Levels[i]
		if l < alert.Medium {
			break
		}
		for _, a := range res.Alerts {
			if a.Level != l {
				continue
			}
			if shown == maxShown {
				break
			}
			fmt.Fprintf(w, "  %-8s %s: %s\n", l, a.Module, safetext.Terminal(safetext.Truncate(a.Message, 300)))
			shown++
		}
	}
	if res.Counts.AtLeast(alert.Medium) > shown {
		fmt.Fprintf(w, "  … %d more at MEDIUM or above in alerts.json\n", res.Counts.AtLeast(alert.Medium)-shown)
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "spytrace: warning: %d modules failed: %s\n", len(failed), safetext.Terminal(strings.Join(failed, "; ")))
	}
	if len(partial) > 0 {
		fmt.Fprintf(w, "spytrace: warning: %d modules read only part of their artifact: %s (see info.json)\n", len(partial), strings.Join(partial, ", "))
	}
	fmt.Fprintf(w, "spytrace: results in %s\n", dir)
	if _, err := os.Stat(filepath.Join(dir, ReportFile)); err == nil {
		fmt.Fprintf(w, "spytrace: open %s in a browser to read the report\n", filepath.Join(dir, ReportFile))
	}
	switch {
	case res.Counts.AtLeast(alert.High) > 0:
		fmt.Fprintln(w, "spytrace: HIGH or CRITICAL alerts need an experienced analyst's review before anyone is told the phone is compromised.")
	default:
		fmt.Fprintln(w, "spytrace: no severe alert. Public indicators only find documented spyware: this is not proof that the phone is clean.")
	}
	if !failNone && res.Counts.AtLeast(failLevel) > 0 {
		fmt.Fprintf(w, "spytrace: exit status %d: alerts at or above %s\n", ExitAlerts, failLevel)
	}
}

const maxShown = 20

// jsonSummary is the summary of a check as one JSON log record (--json-log).
func (e *env) jsonSummary(log *slog.Logger, res *engine.Result, dir string, failLevel alert.Level, failNone bool) {
	attrs := []any{"results", dir}
	for _, l := range alert.Levels {
		attrs = append(attrs, "alerts_"+strings.ToLower(l.String()), res.Counts[l])
	}
	var failed, partial []string
	for _, st := range res.Statuses {
		switch st.State {
		case module.Failed:
			failed = append(failed, st.Module)
		case module.Partial:
			partial = append(partial, st.Module)
		}
	}
	attrs = append(attrs, "modules_failed", strings.Join(failed, ","), "modules_partial", strings.Join(partial, ","))
	exit := ExitClean
	if !failNone && res.Counts.AtLeast(failLevel) > 0 {
		exit = ExitAlerts
	}
	attrs = append(attrs, "exit_status", exit)
	log.Info("summary", attrs...)
}

// startProfiles starts the developer profiles asked for; the returned function writes
// them.
func startProfiles(cfg checkConfig) (func() error, error) {
	var cpu *os.File
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		cpu = f
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		if cfg.MemProfile != "" {
			f, err := os.Create(cfg.MemProfile)
			if err != nil {
				return err
			}
			errs = append(errs, pprof.WriteHeapProfile(f), f.Close())
		}
		return errors.Join(errs...)
	}, nil
}

// openBackup opens a backup; an encrypted one is opened again with its password or
// key, which are wiped from memory once it is unlocked.
func (e *env) openBackup(ctx context.Context, target string, secrets secretConfig) (*iosbackup.Backup, error) {
	backup, err := iosbackup.Open(ctx, target, iosbackup.Options{MaxEntries: e.lim.Entries})
	if !errors.Is(err, iosbackup.ErrNoCredentials) {
		return backup, err
	}
	creds, err := e.backupCredentials(secrets)
	if err != nil {
		return nil, err
	}
	defer creds.wipe()
	backup, err = iosbackup.Open(ctx, target, iosbackup.Options{MaxEntries: e.lim.Entries, Password: creds.password, Key: creds.key})
	if errors.Is(err, iosbackup.ErrWrongPassword) {
		what := "password"
		if creds.key != nil {
			what = "key"
		}
		return nil, fmt.Errorf("wrong backup password: the %s from the %s does not unlock this backup", what, creds.source)
	}
	return backup, err
}
