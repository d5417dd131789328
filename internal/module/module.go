// Package module defines what an artifact module is and what it exchanges with the
// engine: the [Module] interface, the [Input] it reads from, the [Output] it writes
// records to, and the [Event] and [URL] a record can yield.
//
// A module parses one artifact into records. It never walks the acquisition (it declares
// the paths it reads in [Info.Paths] and gets the matches in [Input.Files]), never
// writes output files and never judges: checks ([check.Checker]) judge the records it
// emits. Records are plain structs whose JSON keys are MVT's, so results stay readable
// by MVT's consumers and can be reloaded.
package module

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// Info describes a module.
type Info struct {
	// Name is the module's slug, as MVT names it (e.g. "sms", "safari_history"). It names
	// the results files <name>.json and <name>_detected.json.
	Name string
	// Class is MVT's class name (e.g. "SMS"), written in timeline.csv's Plugin column.
	Class string
	// Version changes whenever the module's records or checks change meaning.
	Version int
	// Description says in one line what the module reads.
	Description string
	// Kinds lists the acquisition kinds the module runs on.
	Kinds []acquire.Kind
	// Paths are fs.Glob patterns of the files the module reads. When none matches, the
	// module is skipped with a reason; when the list is empty the module always runs.
	Paths []string
	// Names are base names of files the module reads wherever they are in the
	// acquisition (a Cache.db in any app's folder). The engine finds them with
	// acquire.FindNamed (one pass over a dump's census) and adds them to Input.Files;
	// like Paths, when none is found the module is skipped.
	Names []string
	// Requires names modules whose records this module reads through
	// [Input.Dependency]; the runner runs them first.
	Requires []string
	// Single says the module produces one record written as a JSON object rather than
	// a list (MVT's backup_info).
	Single bool
}

// Module parses one artifact.
type Module interface {
	Info() Info
	// Run parses in.Files and hands every record to out, in a deterministic order. It
	// returns ErrNotFound when the artifact turns out to be absent, any other error
	// when it could not finish (records already emitted are kept).
	Run(ctx context.Context, in *Input, out *Output) error
}

// Checkable is implemented by modules whose records have checks.
type Checkable interface {
	NewChecker(env *check.Env) check.Checker
}

// ErrNotFound is returned by a module whose artifact is absent: it makes the module
// "skipped", not "failed".
var ErrNotFound = errors.New("artifact not found")

// Event is one line of the timeline.
type Event struct {
	Time  time.Time
	Event string // what happened, e.g. "sms_received"
	Data  string // one line describing it
}

// Timeliner is implemented by records that put events on the timeline.
type Timeliner interface {
	Timeline() []Event
}

// URL is a URL found in a record (a message, a shortcut, a browser tab).
type URL struct {
	URL  string
	Time time.Time
}

// URLLister is implemented by records that carry URLs worth listing in urls.json.
type URLLister interface {
	URLs() []URL
}

// Services is what the engine provides to a module's [Input]. Every read goes through
// it, so reads are bounded, shared between modules and hashed for info.json.
type Services interface {
	ReadFile(name string) ([]byte, error)
	Open(name string) (fs.File, error)
	OpenSQLite(ctx context.Context, name string) (*sqlitex.DB, error)
	Dependency(module string) ([]any, error)
}

// Input is what a module reads from.
type Input struct {
	// FS is the acquisition, read-only. Prefer the methods below, which bound, share and
	// hash reads.
	FS acquire.Acquisition
	// Files lists the acquisition files that match Info.Paths or Info.Names, sorted.
	Files []string
	// Log is the module's logger; lines go to command.log.
	Log *slog.Logger
	svc Services
}

// NewInput is called by the engine.
func NewInput(fsys acquire.Acquisition, files []string, log *slog.Logger, svc Services) *Input {
	return &Input{FS: fsys, Files: files, Log: log, svc: svc}
}

// ReadFile reads a whole file, up to the configured size limit.
func (in *Input) ReadFile(name string) ([]byte, error) { return in.svc.ReadFile(name) }

// Open opens a file for streaming reads.
func (in *Input) Open(name string) (fs.File, error) { return in.svc.Open(name) }

// OpenSQLite opens an evidence database read-only, with its WAL applied (see package
// sqlitex). The handle is shared with other modules of the run: do not Close it.
func (in *Input) OpenSQLite(ctx context.Context, name string) (*sqlitex.DB, error) {
	return in.svc.OpenSQLite(ctx, name)
}

// Dependency returns the records of a module named in Info.Requires.
func (in *Input) Dependency(module string) ([]any, error) { return in.svc.Dependency(module) }

// Output receives a module's records.
type Output struct {
	emit     func(rec any) error
	mu       sync.Mutex // a module abandoned at its time limit may still be writing
	problems []string
}

// NewOutput is called by the engine.
func NewOutput(emit func(rec any) error) *Output { return &Output{emit: emit} }

// Record hands one record to the engine, which writes and checks it on another
// goroutine: the record must not be changed after it is handed over. An error means the
// module must stop (cancelled, a limit reached, the results could not be written):
// return it. The error is marked so that [EachFile] stops at once instead of counting
// it against one file; it unwraps to the engine's error, and its message is the
// engine's.
func (o *Output) Record(rec any) error {
	if err := o.emit(rec); err != nil {
		return &stopError{err: err}
	}
	return nil
}

// stopError is an error of [Output.Record]: the module must stop and return it.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// Problem notes something the module could not read while it carried on (one corrupt
// file out of several, a row that could not be decoded). A module with problems ends
// "partial". The message must name what was affected.
func (o *Output) Problem(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.problems) < maxProblems {
		o.problems = append(o.problems, fmt.Sprintf(format, args...))
	} else if len(o.problems) == maxProblems {
		o.problems = append(o.problems, "further problems omitted")
	}
}

const maxProblems = 100

// Problems returns what was noted with Problem.
func (o *Output) Problems() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.problems)
}

// State is the outcome of a module.
type State string

// Module outcomes.
const (
	OK      State = "ok"
	Partial State = "partial"
	Failed  State = "failed"
	Skipped State = "skipped"
)

// Status is the outcome of one module in one run.
type Status struct {
	Module   string        `json:"name"`
	Version  int           `json:"version"`
	State    State         `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Records  int           `json:"records"`
	Alerts   int           `json:"alerts"`
	Problems []string      `json:"problems,omitempty"`
	Files    []string      `json:"files,omitempty"`
	Duration time.Duration `json:"-"`
}
