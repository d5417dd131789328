package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/androidbackup"
	"github.com/spytrace/spytrace/internal/acquire/archive"
	"github.com/spytrace/spytrace/internal/acquire/bugreport"
	"github.com/spytrace/spytrace/internal/module/list"
)

func (e *env) androidCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "android",
		Short: "Check Android acquisitions",
		Example: `  spytrace android check-backup --iocs stalkerware.stix2 --output results/ backup.ab
  spytrace android check-bugreport --iocs pegasus.stix2 -o results/ bugreport-2026-03-14.zip
  spytrace android check-intrusion-logs -o results/ intrusion_logs.zip`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.AddCommand(e.checkAndroidBackupCommand())
	c.AddCommand(e.androidArchiveCommands()...)
	return c
}

const checkAndroidBackupLong = `Check an Android backup: the .ab file "adb backup" writes (versions 1 to 5, compressed
or not, encrypted or not), a plain tar of it, or the folder of its extracted tar.

The backup is read in one streamed pass that keeps in memory only the files the modules
read (the SMS and MMS backups of com.android.providers.telephony); nothing is written to
disk. An encrypted backup needs its password: from --password-file, from the
` + PasswordEnv + ` environment variable, or typed at a prompt (never shown, never
logged). A wrong password is one clear error.

To make a backup of the messages with the owner's consent:
  adb backup -nocompress com.android.providers.telephony

Indicators, results folder and exit statuses are those of "spytrace ios check-backup".`

func (e *env) checkAndroidBackupCommand() *cobra.Command {
	var cfg checkConfig
	var secrets secretConfig
	cmd := &cobra.Command{
		Use:   "check-backup [flags] BACKUP",
		Short: "Check an Android backup (.ab, its tar, or its extracted folder)",
		Long:  checkAndroidBackupLong,
		Example: `  spytrace android check-backup --iocs stalkerware.stix2 --output results/ backup.ab
  SPYTRACE_BACKUP_PASSWORD=… spytrace android check-backup -o results/ backup.ab
  spytrace android check-backup --password-file pw.txt -o results/ backup.ab`,
		Args: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return nil
			}
			return exactArgs(1, "the path of one backup")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return e.listModules(acquire.AndroidBackup)
			}
			return e.checkAndroidBackup(cmd.Context(), cfg, secrets, args[0])
		},
	}
	cfg.registerCommon(cmd)
	secrets.registerPassword(cmd)
	return cmd
}

func (e *env) checkAndroidBackup(ctx context.Context, cfg checkConfig, secrets secretConfig, target string) error {
	return e.check(ctx, cfg, acquire.AndroidBackup, "android check-backup", func(ctx context.Context) (*opened, error) {
		mods, err := list.Resolve(acquire.AndroidBackup, cfg.Modules)
		if err != nil {
			return nil, usageError{err}
		}
		var want []string
		for _, m := range mods {
			want = append(want, m.Info().Paths...)
		}
		b, err := e.openAndroidBackup(ctx, target, secrets, want)
		if err != nil {
			return nil, err
		}
		facts := map[string]any{"kind": string(b.Kind()), "format": fmt.Sprint(b.Format()), "truncated": b.Truncated(),
			"problems": len(b.Problems())}
		if h := b.Header(); h != nil {
			facts["header"] = h
		}
		return &opened{acq: b, what: "Android backup", facts: facts, note: func(log *slog.Logger) {
			for _, p := range b.Problems() {
				log.Debug("backup problem", "kind", p.Kind, "name", p.Name, "message", p.Message)
			}
			if b.Truncated() {
				log.Warn("the backup was read only in part (a limit was reached or it is damaged): see info.json")
			}
		}}, nil
	})
}

// openAndroidBackup opens target, asking for the password only when the backup is
// encrypted.
func (e *env) openAndroidBackup(ctx context.Context, target string, secrets secretConfig, want []string) (*androidbackup.Backup, error) {
	b, err := androidbackup.Open(ctx, target, androidbackup.Options{Want: want})
	if !errors.Is(err, androidbackup.ErrPasswordNeeded) {
		return b, err
	}
	creds, err := e.backupCredentials(secrets)
	if err != nil {
		return nil, err
	}
	defer creds.wipe()
	b, err = androidbackup.Open(ctx, target, androidbackup.Options{Want: want, Password: string(creds.password)})
	if errors.Is(err, androidbackup.ErrWrongPassword) {
		return nil, fmt.Errorf("wrong backup password: the password from the %s does not unlock this backup", creds.source)
	}
	return b, err
}

const checkBugreportLong = `Check an Android bug report: the zip "adb bugreport" writes, or its folder. The zip
is read in place (never extracted; unsafe names, links and oversized entries are reported
in info.json, never followed).

The dumpstate text is found as Android writes it and split once into its sections, which
every module reads: installed packages and their installers, receivers that intercept SMS
and calls, accessibility services, app operations, battery statistics (installs,
uninstalls, downgrades), databases in use, trusted ADB keys, system properties (security
patch level, time zone), and the crash reports (tombstones) under FS/.

To make one with the owner's consent: enable Developer options and USB debugging, then
  adb bugreport bugreport.zip

Indicators, results folder and exit statuses are those of "spytrace ios check-backup".`

const checkIntrusionLogsLong = `Check the intrusion logs of an Android 16 phone with Advanced Protection: a folder or a
zip of the exported NDJSON files (zips inside it are read too, in place).

DNS lookups, network connections and security events (ADB commands, app starts, package
installs, certificate and key events…) are checked against domain, IP, app and path
indicators; events repeated across files are counted once. Times are UTC, with the phone's
local time beside them when a getprop.txt beside the logs gives its time zone.

Indicators, results folder and exit statuses are those of "spytrace ios check-backup".`

// androidArchiveCommands are the commands on folder-or-zip Android inputs.
func (e *env) androidArchiveCommands() []*cobra.Command {
	type spec struct {
		use, short, long, example, what string
		kind                            acquire.Kind
		open                            func(ctx context.Context, target string) (acquire.Acquisition, map[string]any, error)
	}
	specs := []spec{
		{"check-bugreport [flags] BUGREPORT", "Check an Android bug report (zip or folder)", checkBugreportLong,
			`  spytrace android check-bugreport --iocs pegasus.stix2 --output results/ bugreport-2026-03-14.zip
  spytrace android check-bugreport -i indicators/ -o results/ bugreport-folder/`,
			"Android bug report", acquire.AndroidBugreport, openBugreport},
		{"check-intrusion-logs [flags] LOGS", "Check Android 16 intrusion logs (folder or zip)", checkIntrusionLogsLong,
			`  spytrace android check-intrusion-logs --iocs stalkerware.stix2 --output results/ intrusion_logs.zip`,
			"Android intrusion logs", acquire.AndroidIntrusionLogs, openIntrusionLogs},
	}
	var cmds []*cobra.Command
	for _, sp := range specs {
		var cfg checkConfig
		command := "android " + strings.Fields(sp.use)[0]
		cmd := &cobra.Command{
			Use: sp.use, Short: sp.short, Long: sp.long, Example: sp.example,
			Args: func(cmd *cobra.Command, args []string) error {
				if cfg.ListModules {
					return nil
				}
				return exactArgs(1, "the path of one "+strings.ToLower(sp.what))(cmd, args)
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				if cfg.ListModules {
					return e.listModules(sp.kind)
				}
				return e.check(cmd.Context(), cfg, sp.kind, command, func(ctx context.Context) (*opened, error) {
					if _, err := list.Resolve(sp.kind, cfg.Modules); err != nil {
						return nil, usageError{err}
					}
					acq, facts, err := sp.open(ctx, args[0])
					if err != nil {
						return nil, err
					}
					return &opened{acq: acq, what: sp.what, facts: facts, note: noteProblems(acq)}, nil
				})
			},
		}
		cfg.registerCommon(cmd)
		cmds = append(cmds, cmd)
	}
	return cmds
}

// openBugreport opens a bug report zip or folder and splits its dumpstate.
func openBugreport(ctx context.Context, target string) (acquire.Acquisition, map[string]any, error) {
	base, err := archive.Open(ctx, target, acquire.AndroidBugreport, archive.Options{})
	if err != nil {
		return nil, nil, err
	}
	br, err := bugreport.New(base, target, bugreport.Options{})
	if err != nil {
		base.Close()
		return nil, nil, err
	}
	return br, map[string]any{"kind": string(br.Kind()), "format": fmt.Sprint(base.Format()), "bugreport": br.Facts()}, nil
}

// openIntrusionLogs opens a folder or zip of intrusion logs.
func openIntrusionLogs(ctx context.Context, target string) (acquire.Acquisition, map[string]any, error) {
	fsys, err := archive.Open(ctx, target, acquire.AndroidIntrusionLogs, archive.Options{})
	if err != nil {
		return nil, nil, err
	}
	return fsys, map[string]any{"kind": string(fsys.Kind()), "format": fmt.Sprint(fsys.Format())}, nil
}

// noteProblems logs an acquisition's anomalies.
func noteProblems(acq acquire.Acquisition) func(*slog.Logger) {
	return func(log *slog.Logger) {
		p, ok := acq.(acquire.Problems)
		if !ok {
			return
		}
		problems := p.Problems()
		for _, pr := range problems {
			log.Debug("acquisition problem", "kind", pr.Kind, "name", pr.Name, "message", pr.Message)
		}
		if len(problems) > 0 {
			log.Warn(fmt.Sprintf("the acquisition has %d anomalies (unsafe names, links, limits, a missing dumpstate…): see info.json", len(problems)))
		}
	}
}
