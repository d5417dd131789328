package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/safetext"
)

const demoLong = `Build a synthetic iPhone backup with planted spyware traces, and check it.

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
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Check a demo backup with planted traces, to see what spytrace reports",
		Long:  demoLong,
		Example: `  # Build the demo in a temporary folder and check it
  spytrace demo

  # Build it in a chosen folder
  spytrace demo --dir /tmp/spytrace-demo`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			fmt.Fprintln(e.stderr, "spytrace: planted traces (what the check should find):")
			for _, t := range d.Traces {
				fmt.Fprintf(e.stderr, "  %s\n", safetext.Terminal(t))
			}
			cfg.IOCs = []string{d.Indicators}
			cfg.NoDefaultIOCs = true
			cfg.FailLevel = "NONE"
			if cfg.Output == "" {
				cfg.Output = filepath.Join(dir, "results")
			}
			fmt.Fprintf(e.stderr, "spytrace: running: spytrace ios check-backup --iocs %s --output %s %s\n\n", d.Indicators, cfg.Output, d.Backup)
			if err := e.checkBackup(cmd.Context(), cfg, d.Backup, "demo"); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "spytrace: demo evidence kept in %s (remove it when done)\n", dir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "folder to build the demo in (default: a new temporary folder)")
	f.StringVarP(&cfg.Output, "output", "o", "", "results folder (default: <dir>/results)")
	f.BoolVarP(&cfg.Quiet, "quiet", "q", false, "show only warnings, errors and the final summary")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.MarkFlagDirname("output")
	return cmd
}
