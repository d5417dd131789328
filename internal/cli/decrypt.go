package cli

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/safetext"
)

const decryptBackupExample = `  # Decrypt into a new folder, asked for the password
  spytrace ios decrypt-backup --destination decrypted/ BACKUP

  # With the password in a file, or a key file from extract-key
  spytrace ios decrypt-backup --password-file pw.txt -d decrypted/ BACKUP
  spytrace ios decrypt-backup --key-file backup.key -d decrypted/ BACKUP`

func (e *env) decryptBackupCommand() *cobra.Command {
	var secrets secretConfig
	var dest string
	var workers int
	cmd := &cobra.Command{
		Use:   "decrypt-backup --destination DIR [flags] BACKUP",
		Short: "Write a decrypted copy of an encrypted iOS backup",
		Long: `Write a decrypted copy of an encrypted iOS backup into a new folder, in the layout of an
unencrypted backup that other tools can read: the decrypted Manifest.db, every file under
its hashed name with exactly its recorded size, and the root property lists (Manifest.plist
saying IsEncrypted false). spytrace-decryption.csv lists every file with the SHA-256 of its
encrypted and decrypted content, and names the files that could not be decrypted.

check-backup reads encrypted backups directly: decrypting a copy is only needed for other
tools. The copy holds the owner's private data in clear: keep it as safe as the phone.

Files are written under temporary names and renamed when complete, and Manifest.db last,
so an interrupted run leaves nothing that looks complete and can be run again into the
same folder. The evidence is never changed.`,
		Example: decryptBackupExample,
		Args:    exactArgs(1, "the path of one backup"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dest == "" {
				return usagef("give the folder to write into with --destination")
			}
			return e.decryptBackup(cmd, args[0], dest, workers, secrets)
		},
	}
	cmd.Flags().StringVarP(&dest, "destination", "d", "", "folder to write the decrypted backup into (new, empty, or an earlier interrupted run)")
	cmd.Flags().IntVar(&workers, "workers", 0, "files decrypted at once (default: the number of CPUs)")
	secrets.register(cmd)
	return cmd
}

func (e *env) decryptBackup(cmd *cobra.Command, target, dest string, workers int, secrets secretConfig) error {
	dir, err := iosbackup.Find(target)
	if err != nil {
		return err
	}
	if err := outsideEvidence(dest, dir); err != nil {
		return err
	}
	backup, err := e.openBackup(cmd.Context(), dir, secrets)
	if err != nil {
		return err
	}
	defer backup.Close()
	if !backup.Encrypted() {
		return usagef("%s is not encrypted: there is nothing to decrypt", dir)
	}
	start := time.Now()
	st, err := backup.DecryptTo(cmd.Context(), dest, workers, nil)
	if err != nil {
		if errors.Is(err, iosbackup.ErrDestination) {
			return usageError{err}
		}
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(e.stderr, "spytrace: decrypted %d files (%.1f MB) into %s in %.1f s (%.0f MB/s)\n",
		st.Files, float64(st.Bytes)/1e6, safetext.Terminal(dest), secs, float64(st.Encrypted)/1e6/max(secs, 1e-3))
	if st.Missing > 0 {
		fmt.Fprintf(e.stderr, "spytrace: %d files listed in Manifest.db are missing from the backup folder (a partial backup)\n", st.Missing)
	}
	if st.Failed == 0 {
		return nil
	}
	fmt.Fprintf(e.stderr, "spytrace: %d files could not be decrypted (see %s):\n", st.Failed, iosbackup.HashList)
	shown := 0
	for _, p := range st.Problems {
		if strings.Contains(p, "missing from the backup folder") {
			continue
		}
		if shown == 10 {
			fmt.Fprintln(e.stderr, "  …")
			break
		}
		fmt.Fprintf(e.stderr, "  %s\n", safetext.Terminal(p))
		shown++
	}
	return exitError{ExitError}
}

const extractKeyExample = `  # Derive the key once (asked for the password), then check and decrypt with it
  spytrace ios extract-key --output backup.key BACKUP
  spytrace ios check-backup --key-file backup.key -o results/ BACKUP`

func (e *env) extractKeyCommand() *cobra.Command {
	var secrets secretConfig
	var out string
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "extract-key --output FILE [flags] BACKUP",
		Short: "Derive the key of an encrypted iOS backup into a key file",
		Long: `Derive the key of an encrypted iOS backup from its password, check that it unlocks the
backup, and write it to a key file (readable by its owner only). The derivation (10,000,000
rounds of PBKDF2 since iOS 10.2) takes seconds; with --key-file, check-backup and
decrypt-backup skip it and need no password. The key file opens the backup as the password
does: keep it as secret.`,
		Example: extractKeyExample,
		Args:    exactArgs(1, "the path of one backup"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("give the key file to write with --output")
			}
			if secrets.KeyFile != "" {
				return usagef("--key-file makes no sense here: extract-key derives the key from the password")
			}
			return e.extractKey(args[0], out, overwrite, secrets)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "key file to write")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace an existing key file")
	secrets.register(cmd)
	return cmd
}

func (e *env) extractKey(target, out string, overwrite bool, secrets secretConfig) error {
	dir, err := iosbackup.Find(target)
	if err != nil {
		return err
	}
	if err := outsideEvidence(out, dir); err != nil {
		return err
	}
	if _, err := os.Stat(out); err == nil && !overwrite {
		return usagef("%s exists: choose another name or pass --overwrite", out)
	}
	creds, err := e.backupCredentials(secrets)
	if err != nil {
		return err
	}
	defer creds.wipe()
	key, err := iosbackup.UnlockKey(dir, creds.password)
	if errors.Is(err, iosbackup.ErrWrongPassword) {
		return fmt.Errorf("wrong backup password: the password from the %s does not unlock this backup", creds.source)
	}
	if err != nil {
		return err
	}
	defer clear(key)
	content := fmt.Sprintf("%s (AES-256; it opens the backup as its password does: keep it secret)\n# backup: %s\n%s\n",
		keyFileHeader, filepath.Base(dir), hex.EncodeToString(key))
	part := out + iosbackup.PartSuffix
	if err := os.WriteFile(part, []byte(content), 0o600); err != nil {
		return err
	}
	if err := os.Rename(part, out); err != nil {
		os.Remove(part)
		return err
	}
	fmt.Fprintf(e.stderr, "spytrace: key written to %s; use it with --key-file\n", safetext.Terminal(out))
	return nil
}

// outsideEvidence refuses an output path inside the evidence folder.
func outsideEvidence(out, evidence string) error {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	absEv, err := filepath.Abs(evidence)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(absEv, absOut); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return usagef("%q is inside the evidence folder %q: spytrace never writes into evidence", out, evidence)
	}
	if rel, err := filepath.Rel(absOut, absEv); err == nil && (rel == "." || rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))) {
		return usagef("%q contains the evidence folder %q", out, evidence)
	}
	return nil
}
