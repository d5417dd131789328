package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/safetext"
)

const demoLong = `Build a synthetic iPhone acquisition with planted spyware traces, and check it.

--kind chooses the acquisition: an iTunes/Finder backup (the default), a full file-system
dump (checked as a .tar.gz, read in place) or a sysdiagnose archive (.tar.gz).

The demo backup holds ordinary, innocent content (messages, browsing, apps' network use,
permissions, files) and, on top of it, the traces of a Pegasus-style attack laid out as
Amnesty International's 2021 forensic methodology describes them, plus a Predator
configuration profile. The demo indicators are a handful of real public indicators. Both
are built by spytrace's own fixture code in a new temporary folder, which is kept so that
you can look at the backup and at the results folder.

Nothing here touches a real phone or the network. The exit status is 0 when the demo ran,
even though it raises alerts: they are the point of the demo.`

func (e *env) demoCommand() *cobra.Command {
	var cfg checkConfig
	var dir, kind string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Check a demo acquisition with planted traces, to see what spytrace reports",
		Long:  demoLong,
		Example: `  # Build the demo backup in a temporary folder and check it
  spytrace demo

  # The same phone as a file-system dump, or as a sysdiagnose archive
  spytrace demo --kind fs
  spytrace demo --kind sysdiagnose

  # Build it in a chosen folder
  spytrace demo --dir /tmp/spytrace-demo`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kind != "backup" && kind != "fs" && kind != "sysdiagnose" {
				return usageError{fmt.Errorf("--kind %q: use backup, fs or sysdiagnose", kind)}
			}
			if dir == "" {
				var err error
				if dir, err = os.MkdirTemp("", "spytrace-demo-"); err != nil {
					return err
				}
			} else if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "spytrace: building the demo backup and indicators in %s\n", dir)
			d, err := fixture.BuildDemo(dir)
			if err != nil {
				return err
			}
			traces, evidence := d.Traces, d.Backup
			switch kind {
			case "fs":
				if traces, err = fixture.WriteScenarioFilesystem(filepath.Join(dir, "dump"), fixture.DemoSize, true); err == nil {
					evidence = filepath.Join(dir, "dump.tar.gz")
					err = tarFolder(filepath.Join(dir, "dump"), evidence)
				}
			case "sysdiagnose":
				if _, traces, err = fixture.WriteScenarioSysdiagnose(filepath.Join(dir, "sysdiagnose"), true); err == nil {
					evidence = filepath.Join(dir, "sysdiagnose.tar.gz")
					err = tarFolder(filepath.Join(dir, "sysdiagnose"), evidence)
				}
			}
			if err != nil {
				return fmt.Errorf("build the demo %s: %w", kind, err)
			}
			fmt.Fprintln(e.stderr, "spytrace: planted traces (what the check should find):")
			for _, t := range traces {
				fmt.Fprintf(e.stderr, "  %s\n", safetext.Terminal(t))
			}
			cfg.IOCs = []string{d.Indicators}
			cfg.NoDefaultIOCs = true
			cfg.FailLevel = "NONE"
			if cfg.Output == "" {
				cfg.Output = filepath.Join(dir, "results")
			}
			command := map[string]string{"backup": "check-backup", "fs": "check-fs", "sysdiagnose": "check-sysdiagnose"}[kind]
			fmt.Fprintf(e.stderr, "spytrace: running: spytrace ios %s --iocs %s --output %s %s\n\n", command, d.Indicators, cfg.Output, evidence)
			switch kind {
			case "fs":
				err = e.checkFS(cmd.Context(), cfg, evidence)
			case "sysdiagnose":
				err = e.checkSysdiagnose(cmd.Context(), cfg, evidence)
			default:
				err = e.checkBackup(cmd.Context(), cfg, evidence, "demo")
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "spytrace: demo evidence kept in %s (remove it when done)\n", dir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "folder to build the demo in (default: a new temporary folder)")
	f.StringVar(&kind, "kind", "backup", "acquisition to build: backup, fs (file-system dump) or sysdiagnose")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions([]string{"backup", "fs", "sysdiagnose"}, cobra.ShellCompDirectiveNoFileComp))
	f.StringVarP(&cfg.Output, "output", "o", "", "results folder (default: <dir>/results)")
	f.BoolVarP(&cfg.Quiet, "quiet", "q", false, "show only warnings, errors and the final summary")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.MarkFlagDirname("output")
	return cmd
}

// tarFolder writes the folder dir as the .tar.gz archive p.
func tarFolder(dir, p string) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := fixture.TarDirectory(dir, f, true); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
