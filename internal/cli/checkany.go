package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/detect"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/safetext"
)

const checkAnyLong = `Check any evidence: spytrace recognises what PATH is from its content (never from its
name), says what it found, and runs the check made for it:

  an iOS backup, plain or encrypted (the backup folder, or its parent) → ios check-backup
  an iOS file-system dump (folder, .tar, .tar.gz)                    → ios check-fs
  a sysdiagnose archive (.tar.gz or its folder)                       → ios check-sysdiagnose
  an Android bug report (zip or folder)                               → android check-bugreport
  an Android backup (.ab, or its extracted folder)                    → android check-backup
  an androidqf collection (folder, zip, .zip.age)                     → android check-androidqf
  Android 16 intrusion logs (folder or zip)                           → android check-intrusion-logs
  an earlier results folder of spytrace or MVT, or a folder of them   → check-iocs

Anything else is refused with the list of what is accepted. The flags are those of the
check that runs; passwords, keys and age identities are only used by the kinds that need
them. Every check writes the results folder (--output) with report.html in it.`

const checkAnyExample = `  # Whatever it is: a backup, a bug report, an androidqf export…
  spytrace check --output results/ ~/Evidence/case-12/

  # An encrypted iOS backup, its password in a file
  spytrace check --password-file pw.txt -o results/ 00008030-001A2B3C4D5E6F70/

  # An age-encrypted androidqf collection
  spytrace check --age-identity key.txt -o results/ 5c2e….zip.age

  # Earlier results (re-checked against the current indicators)
  spytrace check cases/2026-03-journalist-a/`

func (e *env) checkAnyCommand() *cobra.Command {
	var cfg checkConfig
	var identities []string
	var passphraseFile string
	var expand checkIOCsConfig
	cmd := &cobra.Command{
		Use:     "check [flags] PATH",
		Short:   "Check any evidence: spytrace recognises what it is",
		Long:    checkAnyLong,
		Example: checkAnyExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return nil
			}
			return exactArgs(1, "the path of the evidence")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return e.listAllModules()
			}
			r, err := detect.DetectContext(cmd.Context(), args[0])
			if err != nil {
				var unknown *detect.UnknownError
				if errors.As(err, &unknown) {
					return usageError{err}
				}
				return err
			}
			return e.checkDetected(cmd.Context(), cfg, r, identities, passphraseFile, expand)
		},
	}
	cfg.register(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&identities, "age-identity", nil, "age identity file that decrypts an androidqf .zip.age; repeatable")
	f.StringVar(&passphraseFile, "age-passphrase-file", "", "read the passphrase of an androidqf .zip.age from this file (its first line)")
	f.BoolVar(&expand.ExpandURLs, "expand-urls", false, "for earlier results folders: ask URL shorteners where their links lead (see spytrace check-iocs --help)")
	f.DurationVar(&expand.URLTimeout, "url-timeout", defaultURLTimeout, "with --expand-urls, time allowed to each shortener's answer")
	return cmd
}

// checkDetected runs the check of what Detect found.
func (e *env) checkDetected(ctx context.Context, cfg checkConfig, r detect.Result, identities []string, passphraseFile string, expand checkIOCsConfig) error {
	command := map[detect.Kind]string{
		detect.IOSBackup: "ios check-backup", detect.IOSFilesystem: "ios check-fs", detect.IOSSysdiagnose: "ios check-sysdiagnose",
		detect.AndroidBugreport: "android check-bugreport", detect.AndroidBackup: "android check-backup",
		detect.AndroidQF: "android check-androidqf", detect.AndroidIntrusionLogs: "android check-intrusion-logs",
		detect.Results: "check-iocs",
	}[r.Kind]
	if !cfg.Quiet && !cfg.JSONLog {
		fmt.Fprintf(e.stderr, "spytrace: %s is %s: running spytrace %s\n", safetext.Terminal(r.Path), r.What, command)
	}
	switch r.Kind {
	case detect.IOSBackup:
		return e.checkBackup(ctx, cfg, r.Path, command)
	case detect.IOSFilesystem:
		return e.checkFS(ctx, cfg, r.Path)
	case detect.IOSSysdiagnose:
		return e.checkSysdiagnose(ctx, cfg, r.Path)
	case detect.AndroidBugreport:
		return e.checkArchive(ctx, cfg, bugreportCheck, r.Path)
	case detect.AndroidIntrusionLogs:
		return e.checkArchive(ctx, cfg, intrusionLogsCheck, r.Path)
	case detect.AndroidBackup:
		return e.checkAndroidBackup(ctx, cfg, cfg.Secrets, r.Path)
	case detect.AndroidQF:
		return e.checkAndroidQF(ctx, cfg, cfg.Secrets, identities, passphraseFile, r.Path)
	case detect.Results:
		if cfg.Output != "" {
			return usagef("%s is an earlier results folder: it is re-checked in place (a rechecks/ folder inside it), so --output does not apply", r.Path)
		}
		expand.checkConfig = cfg
		return e.checkIOCs(ctx, expand, []string{r.Path})
	}
	return fmt.Errorf("no check for %s", r.Kind)
}

// listAllModules lists the modules of every acquisition kind.
func (e *env) listAllModules() error {
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tMODULE\tVERSION\tREADS")
	for _, kind := range []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem, acquire.IOSSysdiagnose, acquire.AndroidBugreport,
		acquire.AndroidBackup, acquire.AndroidQF, acquire.AndroidIntrusionLogs} {
		for _, m := range list.ForKind(kind) {
			info := m.Info()
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", kind, info.Name, info.Version, info.Description)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\ngroups: %s\n", strings.Join(list.Groups(), ", "))
	return nil
}
