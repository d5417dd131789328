package engine_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/module"
)

// panickyAcquisition serves HomeDomain/notes.txt as a file whose reads panic, as a
// reader of an archive or of an encrypted file with a bug would.
type panickyAcquisition struct{ acquire.Acquisition }

func (p panickyAcquisition) Open(name string) (fs.File, error) {
	f, err := p.Acquisition.Open(name)
	if err != nil || name != "HomeDomain/notes.txt" {
		return f, err
	}
	return panickyFile{f}, nil
}

type panickyFile struct{ fs.File }

func (panickyFile) Read([]byte) (int, error) { panic("reader bug") }

// TestReaderPanicIsContained: a panic while reading an evidence file fails the modules
// that read it and leaves that file unhashed, with the reason; the run still ends with
// its results (a panic in the hashing goroutines would end the process).
func TestReaderPanicIsContained(t *testing.T) {
	res, _, err := runExtra(t, context.Background(), panickyAcquisition{acquisition()}, engine.Limits{}, offsetReader(new([]byte)))
	if err != nil {
		t.Fatal(err)
	}
	if st := statusOf(res)["reader"]; st.State != module.Failed || !strings.Contains(st.Reason, "reader bug") {
		t.Errorf("reader: %+v, want failed by the panic", st)
	}
	hashed := false
	for _, h := range res.Hashes {
		if h.Name == "HomeDomain/notes.txt" {
			hashed = true
			if h.SHA256 != "" || !strings.Contains(h.Error, "panic: reader bug") {
				t.Errorf("hash %+v, want none, with the panic as its reason", h)
			}
		}
	}
	if !hashed {
		t.Error("notes.txt is not in the hashes")
	}
}

// TestModuleTimeLimit: a module that would go on for long (one record after another, as
// a parser of a huge crafted artifact does) is stopped at its time limit, ends "partial"
// with a limit/module-time alert and the records it gave, and the other modules run as
// usual.
func TestModuleTimeLimit(t *testing.T) {
	slow := &fake{
		info: module.Info{Name: "slow"},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			deadline := time.Now().Add(30 * time.Second) // the test's own bound
			for i := 0; time.Now().Before(deadline); i++ {
				if err := out.Record(&note{ID: i, Text: "again"}); err != nil {
					return err
				}
				time.Sleep(time.Millisecond)
			}
			return errors.New("not stopped at the time limit")
		},
	}
	// The other modules need a few milliseconds of their 2 s.
	res, _, err := runExtra(t, context.Background(), acquisition(), engine.Limits{ModuleTime: 2 * time.Second}, slow)
	if err != nil {
		t.Fatal(err)
	}
	status := statusOf(res)
	if st := status["slow"]; st.State != module.Partial || !strings.Contains(st.Reason, "time limit of 2s") || st.Records == 0 {
		t.Errorf("slow: %+v, want partial at its time limit, with its first records", st)
	}
	if st := status["reader"]; st.State != module.OK || st.Records != 5 {
		t.Errorf("reader: %+v, want ok", st)
	}
	found := false
	for _, a := range res.Alerts {
		if a.Check == engine.TimeLimit.ID && a.Module == "slow" {
			found = true
		}
	}
	if !found {
		t.Error("no limit/module-time alert for slow")
	}
}

// TestStuckModuleIsAbandoned: a module that ignores its context (a parser caught in a
// loop by crafted input) is abandoned once its time limit and the grace after it have
// passed; the run ends with its results, the module partial with the reason, and the
// other modules as usual.
func TestStuckModuleIsAbandoned(t *testing.T) {
	defer engine.SetAbandonGrace(100 * time.Millisecond)()
	release := make(chan struct{})
	defer close(release)
	stuck := &fake{
		info: module.Info{Name: "stuck"},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			if err := out.Record(&note{ID: 1, Text: "before the loop"}); err != nil {
				return err
			}
			<-release // never looks at ctx
			out.Problem("still writing after it was abandoned")
			return out.Record(&note{ID: 2, Text: "after"})
		},
	}
	res, _, err := runExtra(t, context.Background(), acquisition(), engine.Limits{ModuleTime: 2 * time.Second}, stuck)
	if err != nil {
		t.Fatal(err)
	}
	status := statusOf(res)
	st := status["stuck"]
	if st.State != module.Partial || !strings.Contains(st.Reason, "time limit of 2s") || st.Records != 1 {
		t.Errorf("stuck: %+v, want partial at its time limit with its one record", st)
	}
	if !strings.Contains(strings.Join(st.Problems, "\n"), "abandoned") {
		t.Errorf("stuck: problems %q, want the abandonment said", st.Problems)
	}
	if st := status["reader"]; st.State != module.OK || st.Records != 5 {
		t.Errorf("reader: %+v, want ok", st)
	}
}

// TestInterruptWithStuckModule: an interrupted run does not wait for a module that
// ignores its context beyond the grace: it ends, interrupted, with its results folder.
func TestInterruptWithStuckModule(t *testing.T) {
	defer engine.SetAbandonGrace(100 * time.Millisecond)()
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	stuck := &fake{
		info: module.Info{Name: "stuck"},
		run: func(ctx context.Context, in *module.Input, out *module.Output) error {
			close(started)
			<-release
			return nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	res, out, err := runExtra(t, ctx, acquisition(), engine.Limits{}, stuck)
	if !errors.Is(err, engine.ErrInterrupted) {
		t.Fatalf("run: %v, want interrupted", err)
	}
	if st := statusOf(res)["stuck"]; st.State != module.Failed || st.Reason != "interrupted" {
		t.Errorf("stuck: %+v, want failed, interrupted", st)
	}
	if _, err := os.Stat(filepath.Join(out, "info.json")); err != nil {
		t.Errorf("no info.json: %v", err)
	}
}
