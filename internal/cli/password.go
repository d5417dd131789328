package cli

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup/backupcrypto"
)

// PasswordEnv is the environment variable that can hold the password of encrypted
// backups.
const PasswordEnv = "SPYTRACE_BACKUP_PASSWORD"

// secretConfig holds the flags that give the password of an encrypted backup.
type secretConfig struct {
	PasswordFile string
	KeyFile      string
	Password     string
}

func (c *secretConfig) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.PasswordFile, "password-file", "", "read the password of an encrypted backup from this file (its first line)")
	f.StringVar(&c.KeyFile, "key-file", "", "unlock an encrypted backup with a key file written by \"spytrace ios extract-key\" (no password needed)")
	f.StringVar(&c.Password, "password", "", "the password of an encrypted backup (discouraged: other users can see it in the process list; prefer the prompt, "+PasswordEnv+" or --password-file)")
}

// registerPassword registers the password flags without --key-file (Android backups
// have no key file).
func (c *secretConfig) registerPassword(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.PasswordFile, "password-file", "", "read the password of an encrypted backup from this file (its first line)")
	f.StringVar(&c.Password, "password", "", "the password of an encrypted backup (discouraged: other users can see it in the process list; prefer the prompt, "+PasswordEnv+" or --password-file)")
}

// credentials unlock an encrypted backup. Exactly one of password and key is set.
type credentials struct {
	password []byte
	key      []byte
	source   string // where they came from, for messages (never the secret itself)
}

// wipe overwrites the secret in memory.
func (c *credentials) wipe() {
	clear(c.password)
	clear(c.key)
}

// backupCredentials finds the password or key of an encrypted backup, in this order:
// --key-file, --password-file, --password (with a warning), SPYTRACE_BACKUP_PASSWORD,
// then a prompt without echo when standard input is a terminal.
func (e *env) backupCredentials(c secretConfig) (*credentials, error) {
	switch {
	case c.KeyFile != "":
		key, err := readKeyFile(c.KeyFile)
		if err != nil {
			return nil, usageError{err}
		}
		return &credentials{key: key, source: "key file"}, nil
	case c.PasswordFile != "":
		pw, err := readPasswordFile(c.PasswordFile)
		if err != nil {
			return nil, usageError{err}
		}
		return &credentials{password: pw, source: "password file"}, nil
	case c.Password != "":
		fmt.Fprintln(e.stderr, "spytrace: warning: a password given with --password can be seen by other users of this computer in the process list and stays in the shell history; prefer the prompt, "+PasswordEnv+" or --password-file")
		return &credentials{password: []byte(c.Password), source: "--password"}, nil
	}
	if pw := e.getenv(PasswordEnv); pw != "" {
		return &credentials{password: []byte(pw), source: PasswordEnv}, nil
	}
	if e.askPassword != nil {
		pw, err := e.askPassword("Password of the encrypted backup: ")
		if err != nil {
			return nil, fmt.Errorf("read the password: %w", err)
		}
		if len(pw) == 0 {
			return nil, usagef("no password given")
		}
		return &credentials{password: pw, source: "prompt"}, nil
	}
	return nil, usagef("the backup is encrypted: give its password with --password-file FILE or %s, unlock it with --key-file FILE, or run spytrace in a terminal to be asked", PasswordEnv)
}

// terminalPrompt asks for a password on the terminal without echo, or returns nil when
// standard input is not a terminal.
func terminalPrompt(stderr *os.File) func(prompt string) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil
	}
	return func(prompt string) ([]byte, error) {
		fmt.Fprint(stderr, prompt)
		pw, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		return pw, err
	}
}

// maxSecretFile bounds password and key files.
const maxSecretFile = 64 << 10

// readPasswordFile returns the first line of a file, without its line ending.
func readPasswordFile(p string) ([]byte, error) {
	data, err := readSmall(p)
	if err != nil {
		return nil, fmt.Errorf("read the password file: %w", err)
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	data = bytes.TrimSuffix(data, []byte("\r"))
	if len(data) == 0 {
		return nil, errors.New("the password file is empty")
	}
	return data, nil
}

// keyFileHeader starts every key file.
const keyFileHeader = "# spytrace backup key"

// readKeyFile reads a key file: comment lines starting with '#', and one line with the
// key in hexadecimal.
func readKeyFile(p string) ([]byte, error) {
	data, err := readSmall(p)
	if err != nil {
		return nil, fmt.Errorf("read the key file: %w", err)
	}
	defer clear(data)
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, err := hex.DecodeString(line)
		if err != nil || len(key) != backupcrypto.KeySize {
			return nil, fmt.Errorf("the key file %s does not hold a %d-byte key in hexadecimal", p, backupcrypto.KeySize)
		}
		return key, nil
	}
	return nil, fmt.Errorf("the key file %s holds no key", p)
}

func readSmall(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, maxSecretFile+1)
	n, err := f.Read(buf)
	for err == nil && n < len(buf) {
		var m int
		m, err = f.Read(buf[n:])
		n += m
	}
	if n > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, maxSecretFile)
	}
	return buf[:n], nil
}

// redactArgs hides the value of --password in a command line that is logged.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		switch {
		case a == "--password" && i+1 < len(out):
			out[i+1] = "[redacted]"
		case strings.HasPrefix(a, "--password="):
			out[i] = "--password=[redacted]"
		}
	}
	return out
}
