package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/androidbackup"
	"github.com/spytrace/spytrace/internal/acquire/androidqf"
	"github.com/spytrace/spytrace/internal/acquire/archive"
	"github.com/spytrace/spytrace/internal/acquire/bugreport"
	"github.com/spytrace/spytrace/internal/acquire/union"
	"github.com/spytrace/spytrace/internal/limits"
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
	c.AddCommand(e.checkAndroidBackupCommand(), e.checkAndroidQFCommand())
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
	b, err := androidbackup.Open(ctx, target, e.backupOptions(androidbackup.Options{Want: want}))
	if !errors.Is(err, androidbackup.ErrPasswordNeeded) {
		return b, err
	}
	creds, err := e.backupCredentials(secrets)
	if err != nil {
		return nil, err
	}
	defer creds.wipe()
	b, err = androidbackup.Open(ctx, target, e.backupOptions(androidbackup.Options{Want: want, Password: string(creds.password)}))
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
		use, short, long, example string
		check                     archiveCheck
	}
	specs := []spec{
		{"check-bugreport [flags] BUGREPORT", "Check an Android bug report (zip or folder)", checkBugreportLong,
			`  spytrace android check-bugreport --iocs pegasus.stix2 --output results/ bugreport-2026-03-14.zip
  spytrace android check-bugreport -i indicators/ -o results/ bugreport-folder/`, bugreportCheck},
		{"check-intrusion-logs [flags] LOGS", "Check Android 16 intrusion logs (folder or zip)", checkIntrusionLogsLong,
			`  spytrace android check-intrusion-logs --iocs stalkerware.stix2 --output results/ intrusion_logs.zip`, intrusionLogsCheck},
	}
	var cmds []*cobra.Command
	for _, sp := range specs {
		var cfg checkConfig
		cmd := &cobra.Command{
			Use: sp.use, Short: sp.short, Long: sp.long, Example: sp.example,
			Args: func(cmd *cobra.Command, args []string) error {
				if cfg.ListModules {
					return nil
				}
				return exactArgs(1, "the path of one "+strings.ToLower(sp.check.what))(cmd, args)
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				if cfg.ListModules {
					return e.listModules(sp.check.kind)
				}
				return e.checkArchive(cmd.Context(), cfg, sp.check, args[0])
			},
		}
		cfg.registerCommon(cmd)
		cmds = append(cmds, cmd)
	}
	return cmds
}

// archiveCheck is a check of a folder-or-zip Android input.
type archiveCheck struct {
	kind          acquire.Kind
	command, what string
	open          func(ctx context.Context, target string, lim limits.Limits) (acquire.Acquisition, map[string]any, error)
}

// The folder-or-zip Android checks.
var (
	bugreportCheck     = archiveCheck{acquire.AndroidBugreport, "android check-bugreport", "Android bug report", openBugreport}
	intrusionLogsCheck = archiveCheck{acquire.AndroidIntrusionLogs, "android check-intrusion-logs", "Android intrusion logs", openIntrusionLogs}
)

// checkArchive checks target as a.
func (e *env) checkArchive(ctx context.Context, cfg checkConfig, a archiveCheck, target string) error {
	return e.check(ctx, cfg, a.kind, a.command, func(ctx context.Context) (*opened, error) {
		if _, err := list.Resolve(a.kind, cfg.Modules); err != nil {
			return nil, usageError{err}
		}
		acq, facts, err := a.open(ctx, target, e.lim)
		if err != nil {
			return nil, err
		}
		return &opened{acq: acq, what: a.what, facts: facts, note: noteProblems(acq)}, nil
	})
}

// openBugreport opens a bug report zip or folder and splits its dumpstate.
func openBugreport(ctx context.Context, target string, lim limits.Limits) (acquire.Acquisition, map[string]any, error) {
	base, err := archive.Open(ctx, target, acquire.AndroidBugreport, archiveOptions(lim))
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

// openIntrusionLogs opens a folder or zip of intrusion logs, with the files of the zips
// nested in it (an export is often a zip of zips) served as "<zip>!/<name>".
func openIntrusionLogs(ctx context.Context, target string, lim limits.Limits) (acquire.Acquisition, map[string]any, error) {
	fsys, err := archive.Open(ctx, target, acquire.AndroidIntrusionLogs, archiveOptions(lim))
	if err != nil {
		return nil, nil, err
	}
	x, err := archive.Expand(ctx, fsys, archiveOptions(lim))
	if err != nil {
		fsys.Close()
		return nil, nil, err
	}
	return x, map[string]any{"kind": string(x.Kind()), "format": fmt.Sprint(fsys.Format()), "nested_zips": x.Nested()}, nil
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

// PassphraseEnv is the environment variable that can hold the passphrase of an
// age-encrypted androidqf collection.
const PassphraseEnv = "SPYTRACE_AGE_PASSPHRASE"

const checkAndroidQFLong = `Check an androidqf collection: the folder androidqf writes, its zip, or the
age-encrypted zip it streams to (<uuid>.zip.age) when it finds an age public key. The
collection is read in place; an encrypted one is decrypted on the fly, chunk by chunk,
and its plaintext never touches the disk.

A .zip.age encrypted to a key needs the matching identity file (age-keygen's key.txt):
--age-identity FILE. One encrypted to a passphrase (as bugbane's exports are) needs it
from --age-passphrase-file, the ` + PassphraseEnv + ` environment variable or a
prompt.

The collection's own files are checked (packages, processes, properties, settings,
files, logs, root binaries, mounts, intrusion logs), and in the same run, into the same
results folder, the bug report (bugreport.zip) and the backup (backup.ab) it holds; with
no bug report, androidqf's dumpsys.txt is read as its sections. An encrypted backup.ab
asks for its password as "spytrace android check-backup" does.

Indicators, results folder and exit statuses are those of "spytrace ios check-backup".`

func (e *env) checkAndroidQFCommand() *cobra.Command {
	var cfg checkConfig
	var secrets secretConfig
	var identities []string
	var passphraseFile string
	cmd := &cobra.Command{
		Use:   "check-androidqf [flags] COLLECTION",
		Short: "Check an androidqf collection (folder, zip or .zip.age)",
		Long:  checkAndroidQFLong,
		Example: `  spytrace android check-androidqf --iocs stalkerware.stix2 --output results/ androidqf_5c2e…/
  spytrace android check-androidqf --age-identity key.txt -o results/ 5c2e….zip.age
  SPYTRACE_AGE_PASSPHRASE=… spytrace android check-androidqf -o results/ export.zip.age`,
		Args: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return nil
			}
			return exactArgs(1, "the path of one androidqf collection")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.ListModules {
				return e.listModules(acquire.AndroidQF)
			}
			return e.checkAndroidQF(cmd.Context(), cfg, secrets, identities, passphraseFile, args[0])
		},
	}
	cfg.registerCommon(cmd)
	secrets.registerPassword(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&identities, "age-identity", nil, "age identity file (age-keygen's key.txt) that decrypts a .zip.age; repeatable")
	f.StringVar(&passphraseFile, "age-passphrase-file", "", "read the passphrase of a passphrase-encrypted .zip.age from this file (its first line)")
	return cmd
}

// checkAndroidQF checks the collection at target.
func (e *env) checkAndroidQF(ctx context.Context, cfg checkConfig, secrets secretConfig, identities []string, passphraseFile, target string) error {
	return e.check(ctx, cfg, acquire.AndroidQF, "android check-androidqf", func(ctx context.Context) (*opened, error) {
		if _, err := list.Resolve(acquire.AndroidQF, cfg.Modules); err != nil {
			return nil, usageError{err}
		}
		u, facts, err := e.openAndroidQF(ctx, target, identities, passphraseFile, secrets)
		if err != nil {
			return nil, err
		}
		return &opened{acq: u, what: "androidqf collection", facts: facts, note: noteProblems(u)}, nil
	})
}

// openAndroidQF opens the collection and the bug report and backup it holds, as one
// acquisition.
func (e *env) openAndroidQF(ctx context.Context, target string, identityFiles []string, passphraseFile string, secrets secretConfig) (*union.Union, map[string]any, error) {
	var ids []age.Identity
	for _, p := range identityFiles {
		data, err := readSmall(p)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("age identity %s: %w", p, err)}
		}
		parsed, err := age.ParseIdentities(bytes.NewReader(data))
		clear(data)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("age identity %s: %w", p, err)}
		}
		ids = append(ids, parsed...)
	}
	c, err := androidqf.Open(ctx, target, androidqf.Options{Identities: ids, Archive: archiveOptions(e.lim)})
	if errors.Is(err, androidqf.ErrPassphraseNeeded) {
		var pass []byte
		pass, err = e.agePassphrase(passphraseFile)
		if err != nil {
			return nil, nil, err
		}
		c, err = androidqf.Open(ctx, target, androidqf.Options{Passphrase: string(pass), Archive: archiveOptions(e.lim)})
		clear(pass)
	}
	switch {
	case errors.Is(err, androidqf.ErrIdentityNeeded):
		return nil, nil, usageError{err}
	case err != nil:
		return nil, nil, err
	}
	layers := []union.Layer{{Label: "collection", FS: c}}
	facts := map[string]any{"kind": string(acquire.AndroidQF), "format": string(c.Format())}
	if a := c.Acquisition(); a != nil {
		facts["androidqf"] = a
	}
	closeAll := func() {
		for i := len(layers) - 1; i >= 0; i-- {
			layers[i].FS.Close()
		}
	}
	top, err := fs.ReadDir(c, ".")
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	var bugreportName, backupName string
	hasDumpsys := false
	for _, de := range top {
		switch n := de.Name(); {
		case !de.Type().IsRegular():
		case bugreportName == "" && strings.HasSuffix(strings.ToLower(n), "bugreport.zip"):
			bugreportName = n
		case backupName == "" && strings.HasSuffix(strings.ToLower(n), "backup.ab"):
			backupName = n
		case n == "dumpsys.txt":
			hasDumpsys = true
		}
	}
	switch {
	case bugreportName != "":
		nested, err := archive.OpenNested(ctx, c, bugreportName, acquire.AndroidBugreport, archiveOptions(e.lim))
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("the bug report %s in the collection: %w", bugreportName, err)
		}
		br, err := bugreport.New(nested, target+"!/"+bugreportName, bugreport.Options{})
		if err != nil {
			nested.Close()
			closeAll()
			return nil, nil, fmt.Errorf("the bug report %s in the collection: %w", bugreportName, err)
		}
		layers = append(layers, union.Layer{Label: bugreportName, FS: br})
		facts["bugreport"] = br.Facts()
	case hasDumpsys:
		br, err := bugreport.New(c.Only("dumpsys.txt"), target, bugreport.Options{})
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("dumpsys.txt: %w", err)
		}
		layers = append(layers, union.Layer{Label: "dumpsys.txt", FS: br})
		facts["bugreport"] = br.Facts()
	}
	if backupName != "" {
		var want []string
		for _, m := range list.ForKind(acquire.AndroidBackup) {
			want = append(want, m.Info().Paths...)
		}
		b, err := e.openNestedBackup(ctx, c, backupName, secrets, want)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("the backup %s in the collection: %w", backupName, err)
		}
		layers = append(layers, union.Layer{Label: backupName, FS: b})
		facts["backup"] = map[string]any{"format": fmt.Sprint(b.Format()), "truncated": b.Truncated()}
	}
	u := union.New(acquire.AndroidQF, target, layers...)
	facts["layers"] = u.Layers()
	return u, facts, nil
}

// openNestedBackup reads a backup.ab of the collection in one streamed pass, asking for
// its password only when it is encrypted.
func (e *env) openNestedBackup(ctx context.Context, c *androidqf.Collection, name string, secrets secretConfig, want []string) (*androidbackup.Backup, error) {
	read := func(password string) (*androidbackup.Backup, error) {
		f, err := c.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return androidbackup.Read(ctx, f, e.backupOptions(androidbackup.Options{Want: want, Password: password}))
	}
	b, err := read("")
	if !errors.Is(err, androidbackup.ErrPasswordNeeded) {
		return b, err
	}
	creds, err := e.backupCredentials(secrets)
	if err != nil {
		return nil, err
	}
	defer creds.wipe()
	b, err = read(string(creds.password))
	if errors.Is(err, androidbackup.ErrWrongPassword) {
		return nil, fmt.Errorf("wrong backup password: the password from the %s does not unlock this backup", creds.source)
	}
	return b, err
}

// agePassphrase finds the passphrase of an age-encrypted collection: --age-passphrase-file,
// SPYTRACE_AGE_PASSPHRASE, then a prompt without echo.
func (e *env) agePassphrase(file string) ([]byte, error) {
	switch {
	case file != "":
		pw, err := readPasswordFile(file)
		if err != nil {
			return nil, usageError{err}
		}
		return pw, nil
	case e.getenv(PassphraseEnv) != "":
		return []byte(e.getenv(PassphraseEnv)), nil
	case e.askPassword != nil:
		pw, err := e.askPassword("Passphrase of the encrypted collection: ")
		if err != nil {
			return nil, fmt.Errorf("read the passphrase: %w", err)
		}
		if len(pw) == 0 {
			return nil, usagef("no passphrase given")
		}
		return pw, nil
	}
	return nil, usagef("the collection is encrypted with age to a passphrase: give it with --age-passphrase-file FILE or %s, or run spytrace in a terminal to be asked", PassphraseEnv)
}

// archiveOptions applies the --limit settings to the reading of a zip or folder.
func archiveOptions(lim limits.Limits) archive.Options {
	return archive.Options{MaxEntries: lim.Entries, MaxTotalBytes: lim.ArchiveBytes, MaxRatio: lim.Ratio}
}

// backupOptions applies the --limit settings to the reading of an adb backup.
func (e *env) backupOptions(o androidbackup.Options) androidbackup.Options {
	o.MaxEntries, o.MaxRatio = e.lim.Entries, e.lim.Ratio
	return o
}
