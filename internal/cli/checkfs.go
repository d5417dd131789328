package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosfs"
	"github.com/spytrace/spytrace/internal/module/list"
)

const checkFSLong = `Check a full file-system dump of an iPhone: a folder, a .tar or a .tar.gz, as made from a
jailbroken or checkm8-class device. The dump is read in place: nothing is extracted to
disk, and archive entries with unsafe paths, links and oversized content are reported,
never followed.

Every module that reads a backup artifact also runs on the dump (the dump serves the
backup's domain names, every app container included), plus the modules that only a dump
allows (netusage, analytics, shutdown.log, WebKit folders, cache files, every entry of the
file system…), and the apps are read from their bundle containers. The dump is listed
once, and every module that needs the whole tree shares that listing. A .tar.gz cannot be
read at random: the files the modules name are kept during its one pass, in memory (256
MiB in all, 16 MiB per file) or, when larger, as private copies of those files in the
system's temporary folder (16 GiB at most, removed at the end); other files are listed
but reported as not retained.

Indicators, results folder and exit statuses are those of check-backup.`

const checkFSExample = `  # Check a dump folder, or its archive
  spytrace ios check-fs --iocs pegasus.stix2 --output results/ dump/
  spytrace ios check-fs -i indicators/ -o results/ iphone-fs.tar.gz`

func (e *env) checkFSCommand() *cobra.Command {
	var cfg checkConfig
	cmd := &cobra.Command{
		Use:     "check-fs [flags] DUMP",
		Short:   "Check a full file-system dump of an iPhone (folder, .tar, .tar.gz)",
		Long:    checkFSLong,
		Example: checkFSExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return nil
			}
			return exactArgs(1, "the path of one dump")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return e.listModules(acquire.IOSFilesystem)
			}
			return e.checkFS(cmd.Context(), cfg, args[0])
		},
	}
	cfg.registerCommon(cmd)
	return cmd
}

func (e *env) checkFS(ctx context.Context, cfg checkConfig, target string) error {
	return e.check(ctx, cfg, acquire.IOSFilesystem, "ios check-fs", func(ctx context.Context) (*opened, error) {
		mods, err := list.Resolve(acquire.IOSFilesystem, cfg.Modules)
		if err != nil {
			return nil, usageError{err}
		}
		var want, names []string
		for _, m := range mods {
			want = append(want, m.Info().Paths...)
			names = append(names, m.Info().Names...)
		}
		dump, err := iosfs.Open(ctx, target, e.dumpOptions(iosfs.Options{Want: want, WantNames: names, SpillDir: os.TempDir()}))
		if err != nil {
			return nil, err
		}
		facts := map[string]any{"kind": string(dump.Kind()), "format": fmt.Sprint(dump.Format()), "root_prefix": dump.Prefix(),
			"truncated": dump.Truncated(), "problems": len(dump.Problems())}
		return &opened{acq: dump, what: "iOS file-system dump", facts: facts, note: func(log *slog.Logger) {
			for _, p := range dump.Problems() {
				log.Debug("dump problem", "kind", p.Kind, "name", p.Name, "message", p.Message)
			}
			if n := len(dump.Problems()); n > 0 {
				log.Warn(fmt.Sprintf("the dump has %d anomalies (unsafe paths, links, duplicates or limits): see info.json", n))
			}
			if dump.Truncated() {
				log.Warn("the dump was read only in part (a limit was reached or the archive is damaged): see info.json")
			}
		}}, nil
	})
}

const checkSysdiagnoseLong = `Check a sysdiagnose archive of an iPhone: the .tar.gz the phone writes (Settings ›
Privacy & Security › Analytics & Improvements › Analytics Data, after pressing both volume
buttons and the side button), or the folder it unpacks to. Any owner can make one, without
a computer. The archive is read in place, never extracted.

Modules: the phone and its time zone (from the archive's name), shutdown.log (iShutdown's
heuristics), the process census (ps.txt, ps_thread.txt, taskinfo.txt, spindump), the crash
reports (crashes_and_spins/*.ips), configuration profiles (logs/MCState) and app installs
(logs/MobileInstallation). Unified logs are not read.

Indicators, results folder and exit statuses are those of check-backup.`

const checkSysdiagnoseExample = `  spytrace ios check-sysdiagnose --iocs pegasus.stix2 --output results/ sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone_21D61.tar.gz`

func (e *env) checkSysdiagnoseCommand() *cobra.Command {
	var cfg checkConfig
	cmd := &cobra.Command{
		Use:     "check-sysdiagnose [flags] ARCHIVE",
		Short:   "Check an iPhone sysdiagnose archive (.tar.gz or its folder)",
		Long:    checkSysdiagnoseLong,
		Example: checkSysdiagnoseExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return nil
			}
			return exactArgs(1, "the path of one sysdiagnose archive")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return e.listModules(acquire.IOSSysdiagnose)
			}
			return e.checkSysdiagnose(cmd.Context(), cfg, args[0])
		},
	}
	cfg.registerCommon(cmd)
	return cmd
}

func (e *env) checkSysdiagnose(ctx context.Context, cfg checkConfig, target string) error {
	return e.check(ctx, cfg, acquire.IOSSysdiagnose, "ios check-sysdiagnose", func(ctx context.Context) (*opened, error) {
		mods, err := list.Resolve(acquire.IOSSysdiagnose, cfg.Modules)
		if err != nil {
			return nil, usageError{err}
		}
		var want []string
		for _, m := range mods {
			want = append(want, m.Info().Paths...)
		}
		// A sysdiagnose archive is small: its process lists and reports are kept whole.
		want = append(want, "sysdiagnose.log", "ps.txt", "ps_thread.txt", "taskinfo.txt", "spindump-nosymbols.txt",
			"crashes_and_spins/*", "crashes_and_spins/*/*", "crashes_and_spins/*/*/*")
		arch, err := iosfs.OpenSysdiagnose(ctx, target, e.dumpOptions(iosfs.Options{Want: want, SpillDir: os.TempDir()}))
		if err != nil {
			return nil, err
		}
		facts := map[string]any{"kind": string(arch.Kind()), "format": fmt.Sprint(arch.Format()), "root_prefix": arch.Prefix(),
			"truncated": arch.Truncated(), "problems": len(arch.Problems())}
		return &opened{acq: arch, what: "sysdiagnose archive", facts: facts, note: func(log *slog.Logger) {
			for _, p := range arch.Problems() {
				log.Debug("archive problem", "kind", p.Kind, "name", p.Name, "message", p.Message)
			}
			if arch.Truncated() {
				log.Warn("the archive was read only in part (a limit was reached or it is damaged): see info.json")
			}
		}}, nil
	})
}

// dumpOptions applies the --limit settings to the options of a dump or sysdiagnose.
func (e *env) dumpOptions(o iosfs.Options) iosfs.Options {
	o.MaxEntries, o.MaxBytes, o.MaxRatio = e.lim.Entries, e.lim.ArchiveBytes, e.lim.Ratio
	return o
}
