package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/safetext"
)

const demoLong = `Build a synthetic iPhone acquisition with planted spyware traces, and check it.

--kind chooses the acquisition: an iTunes/Finder backup (the default), a full file-system
dump (checked as a .tar.gz, read in place), a sysdiagnose archive (.tar.gz), or an Android
phone's androidqf collection encrypted with age, holding its bug report, backup and
intrusion logs, with stalkerware traces and a few public stalkerware indicators.

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
  spytrace demo --kind android

  # Build it in a chosen folder
  spytrace demo --dir /tmp/spytrace-demo`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kind != "backup" && kind != "fs" && kind != "sysdiagnose" && kind != "android" {
				return usageError{fmt.Errorf("--kind %q: use backup, fs, sysdiagnose or android", kind)}
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
			traces, evidence, indicators := d.Traces, d.Backup, d.Indicators
			var identity string
			switch kind {
			case "android":
				indicators = filepath.Join(dir, "android-demo-indicators.stix2")
				if err = fixture.WriteAndroidDemoIndicators(indicators); err == nil {
					evidence, identity = filepath.Join(dir, fixture.AndroidQFUUID+".zip.age"), filepath.Join(dir, "key.txt")
					traces, err = writeDemoCollection(evidence, identity)
				}
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
			cfg.IOCs = []string{indicators}
			cfg.NoDefaultIOCs = true
			cfg.FailLevel = "NONE"
			if cfg.Output == "" {
				cfg.Output = filepath.Join(dir, "results")
			}
			command := map[string]string{"backup": "ios check-backup", "fs": "ios check-fs", "sysdiagnose": "ios check-sysdiagnose",
				"android": "android check-androidqf --age-identity " + identity}[kind]
			fmt.Fprintf(e.stderr, "spytrace: running: spytrace %s --iocs %s --output %s %s\n\n", command, indicators, cfg.Output, evidence)
			switch kind {
			case "android":
				err = e.checkAndroidQF(cmd.Context(), cfg, secretConfig{}, []string{identity}, "", evidence)
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
	f.StringVar(&kind, "kind", "backup", "acquisition to build: backup, fs (file-system dump), sysdiagnose or android (an age-encrypted androidqf collection)")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions([]string{"backup", "fs", "sysdiagnose", "android"}, cobra.ShellCompDirectiveNoFileComp))
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

// writeDemoCollection writes the Android scenario's androidqf collection as a zip
// encrypted with age to a new key, as androidqf streams it, and the key's identity file.
func writeDemoCollection(p, identity string) ([]string, error) {
	files, traces, err := fixture.ScenarioAndroidQF(true)
	if err != nil {
		return nil, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(identity, []byte("# spytrace demo key\n"+id.String()+"\n"), 0o600); err != nil {
		return nil, err
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	w, err := age.Encrypt(f, id.Recipient())
	if err == nil {
		_, err = w.Write(fixture.ZipOf(files, fixture.ZipOptions{}))
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return traces, err
}
