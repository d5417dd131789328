// Package cli is spytrace's command line: commands, flags gathered into one Config per
// command, and exit statuses. cmd/spytrace only calls [Run].
//
// Exit statuses (documented in the README and in --help):
//
//	0  the check ran and raised no alert at or above --fail-level
//	1  error: the evidence or the indicators could not be read, or the run was interrupted
//	2  bad usage: unknown command or flag, wrong arguments
//	3  the check ran and raised alerts at or above --fail-level (default HIGH)
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/spytrace/spytrace/internal/limits"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/version"
)

// Exit statuses.
const (
	ExitClean  = 0
	ExitError  = 1
	ExitUsage  = 2
	ExitAlerts = 3
)

// env is what commands need from the process, so tests can run them in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	home           string
	args           []string // the command line, for command.log
	// askPassword asks for a password without echo; nil when there is no terminal.
	askPassword func(prompt string) ([]byte, error)
	// lim holds the --limit settings of the check being run (zero: the defaults).
	lim limits.Limits
	// stderrTTY says stderr is a terminal: live progress is shown only then.
	stderrTTY bool
	// isShortener, when set, replaces the list of URL shorteners that --expand-urls
	// may contact (tests point it at their own server).
	isShortener func(link string) bool
}

// usageError marks errors caused by how spytrace was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries an exit status chosen by a command (alerts found).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Run runs spytrace with args (without the program name) and returns the exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	home, _ := os.UserHomeDir()
	e := &env{stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now, home: home, askPassword: terminalPrompt(os.Stderr)}
	if f, ok := stderr.(*os.File); ok {
		e.stderrTTY = term.IsTerminal(int(f.Fd()))
	}
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) (code int) {
	defer func() {
		// Modules' panics are recovered by the engine; this is the last resort for a
		// bug anywhere else, so that a hostile input never ends in a bare stack trace.
		if v := recover(); v != nil {
			fmt.Fprintf(e.stderr, "spytrace: error: internal error: %s\n", safetext.Terminal(fmt.Sprint(v)))
			fmt.Fprintf(e.stderr, "spytrace: hint: please report this with %q and the command line (never the evidence)\n", "spytrace version")
			code = ExitError
		}
	}()
	e.args = args
	root := e.rootCommand()
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return ExitClean
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue) || isCobraUsage(err):
		e.printError(err)
		hint := helpHint(args)
		if c, _, ferr := root.Find(args); ferr == nil && c != nil {
			hint = c.CommandPath() + " --help"
		}
		fmt.Fprintf(e.stderr, "spytrace: hint: run %q for help\n", hint)
		return ExitUsage
	default:
		e.printError(err)
		return ExitError
	}
}

// printError writes an error on stderr, each of its lines neutralised for the terminal
// (an error may list several things, one per line).
func (e *env) printError(err error) {
	for i, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		if i == 0 {
			fmt.Fprintf(e.stderr, "spytrace: error: %s\n", safetext.Terminal(line))
		} else {
			fmt.Fprintf(e.stderr, "  %s\n", safetext.Terminal(line))
		}
	}
}

// isCobraUsage recognises cobra's own errors about commands and arguments.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "bad flag syntax"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func helpHint(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
		if len(words) == 2 {
			break
		}
	}
	return strings.TrimSpace("spytrace " + strings.Join(words, " ") + " --help")
}

const rootLong = `spytrace finds the traces that mercenary spyware (NSO Group's Pegasus, Predator,
Triangulation, Graphite, Hermit, stalkerware…) leaves on phones, in acquisitions made with
the owner's consent. It reads the evidence without changing it, works offline, and writes
a results folder that explains every alert.

Public indicators only find spyware that has been publicly documented: a run without
alerts is not proof that a phone is clean.

Exit status: 0 no alert at or above --fail-level, 1 error, 2 bad usage,
3 alerts at or above --fail-level (default HIGH).`

const rootExample = `  # See spytrace work on a demo backup with planted traces
  spytrace demo

  # Check an iPhone backup against indicator files
  spytrace ios check-backup --iocs pegasus.stix2 --output results/ ~/Backups/00008030-001A2B3C4D5E6F70

  # Install shell completion (bash)
  spytrace completion bash > /etc/bash_completion.d/spytrace`

func (e *env) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "spytrace",
		Short:         "Find traces of mercenary spyware in phone acquisitions",
		Long:          rootLong,
		Example:       rootExample,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(e.checkAnyCommand(), e.iosCommand(), e.androidCommand(), e.checkIOCsCommand(), e.reportCommand(), e.exportCommand(), e.iocsCommand(), e.demoCommand(), e.versionCommand())
	root.SetOut(e.stdout) // before the completion commands, which keep the writer they see
	root.SetErr(e.stderr)
	addCompletionExamples(root)
	return root
}

// addCompletionExamples gives cobra's completion commands examples like every other
// command's.
func addCompletionExamples(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	examples := map[string]string{
		"bash":       "  # This shell only\n  source <(spytrace completion bash)\n  # Every new shell (Debian, Ubuntu)\n  spytrace completion bash | sudo tee /etc/bash_completion.d/spytrace",
		"zsh":        "  # Every new shell\n  spytrace completion zsh > \"${fpath[1]}/_spytrace\"",
		"fish":       "  spytrace completion fish > ~/.config/fish/completions/spytrace.fish",
		"powershell": "  spytrace completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = "  spytrace completion bash > /etc/bash_completion.d/spytrace\n  spytrace completion zsh > \"${fpath[1]}/_spytrace\""
		for _, sub := range c.Commands() {
			sub.Example = examples[sub.Name()]
		}
	}
}

func (e *env) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version, commit and platform of this binary",
		Example: "  spytrace version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(e.stdout, version.Get().String())
			return nil
		},
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%q takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%q needs %s (got %d arguments)", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

func (e *env) iosCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "ios",
		Short: "Check iPhone and iPad acquisitions",
		Example: `  spytrace ios check-backup --iocs pegasus.stix2 --output results/ BACKUP
  spytrace ios check-backup --list-modules`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.AddCommand(e.checkBackupCommand(), e.checkFSCommand(), e.checkSysdiagnoseCommand(), e.decryptBackupCommand(), e.extractKeyCommand())
	return c
}
