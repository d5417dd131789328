package module_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/spytrace/spytrace/internal/module"
)

func TestRecordErrorUnwraps(t *testing.T) {
	for _, cause := range []error{errors.New("record limit reached"), context.Canceled} {
		out := module.NewOutput(func(any) error { return cause })
		err := out.Record(1)
		if !errors.Is(err, cause) || err.Error() != cause.Error() {
			t.Errorf("Record error %v (%T), want one that is %v", err, err, cause)
		}
	}
	if err := module.NewOutput(func(any) error { return nil }).Record(1); err != nil {
		t.Errorf("Record error %v, want nil", err)
	}
}

func TestEachFile(t *testing.T) {
	errLimit := errors.New("record limit reached")
	bad := func(name string) error { return fmt.Errorf("read %q: broken", name) }
	tests := []struct {
		name  string
		files []string
		// read is the read func's behaviour for one file; out is the module's output,
		// cancel cancels the run's context.
		read         func(name string, out *module.Output, cancel func()) error
		emit         error // what the engine's emit returns
		cancelBefore bool
		wantRead     []string
		wantProblems []string
		wantErr      func(err error, ctx context.Context) bool
	}{
		{
			name:     "every file read",
			files:    []string{"a", "b"},
			read:     func(name string, out *module.Output, _ func()) error { return out.Record(name) },
			wantRead: []string{"a", "b"},
			wantErr:  func(err error, _ context.Context) bool { return err == nil },
		},
		{
			name:  "one good and one bad file: a problem",
			files: []string{"a", "b", "c"},
			read: func(name string, _ *module.Output, _ func()) error {
				if name != "b" {
					return bad(name)
				}
				return nil
			},
			wantRead:     []string{"a", "b", "c"},
			wantProblems: []string{`read "a": broken`, `read "c": broken`},
			wantErr:      func(err error, _ context.Context) bool { return err == nil },
		},
		{
			name:     "all bad: every error, no problem",
			files:    []string{"a", "b"},
			read:     func(name string, _ *module.Output, _ func()) error { return bad(name) },
			wantRead: []string{"a", "b"},
			wantErr: func(err error, _ context.Context) bool {
				return err != nil && err.Error() == "read \"a\": broken\nread \"b\": broken"
			},
		},
		{
			name:     "the only file bad: its error as is",
			files:    []string{"a"},
			read:     func(name string, _ *module.Output, _ func()) error { return errLimit },
			wantRead: []string{"a"},
			wantErr:  func(err error, _ context.Context) bool { return err == errLimit },
		},
		{
			name:  "stop error returns at once",
			files: []string{"a", "b", "c"},
			read: func(name string, out *module.Output, _ func()) error {
				if name == "a" {
					return bad(name)
				}
				return out.Record(name)
			},
			emit:     errLimit,
			wantRead: []string{"a", "b"},
			wantErr: func(err error, _ context.Context) bool {
				return errors.Is(err, errLimit) && err.Error() == errLimit.Error()
			},
		},
		{
			name:  "stop error wrapped by read returns at once, as Record returned it",
			files: []string{"a", "b"},
			read: func(name string, out *module.Output, _ func()) error {
				if err := out.Record(name); err != nil {
					return fmt.Errorf("read %q: %w", name, err)
				}
				return nil
			},
			emit:     errLimit,
			wantRead: []string{"a"},
			wantErr: func(err error, _ context.Context) bool {
				return errors.Is(err, errLimit) && err.Error() == errLimit.Error()
			},
		},
		{
			name:         "cancelled before: nothing read",
			files:        []string{"a", "b"},
			read:         func(string, *module.Output, func()) error { return nil },
			cancelBefore: true,
			wantErr:      func(err error, ctx context.Context) bool { return err == ctx.Err() && err != nil },
		},
		{
			name:  "cancelled while reading: stops with the context's error",
			files: []string{"a", "b", "c"},
			read: func(name string, _ *module.Output, cancel func()) error {
				if name == "b" {
					cancel()
					return bad(name)
				}
				return nil
			},
			wantRead: []string{"a", "b"},
			wantErr:  func(err error, ctx context.Context) bool { return err == ctx.Err() && err != nil },
		},
		{
			name:  "cancelled after a good file: stops before the next",
			files: []string{"a", "b"},
			read: func(name string, _ *module.Output, cancel func()) error {
				cancel()
				return nil
			},
			wantRead: []string{"a"},
			wantErr:  func(err error, ctx context.Context) bool { return err == ctx.Err() && err != nil },
		},
		{
			name:     "no file",
			read:     func(string, *module.Output, func()) error { return errLimit },
			wantErr:  func(err error, _ context.Context) bool { return err == nil },
			wantRead: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelBefore {
				cancel()
			}
			out := module.NewOutput(func(any) error { return tc.emit })
			in := module.NewInput(nil, tc.files, slog.New(slog.DiscardHandler), nil)
			var read []string
			err := module.EachFile(ctx, in, out, func(name string) error {
				read = append(read, name)
				return tc.read(name, out, cancel)
			})
			if !tc.wantErr(err, ctx) {
				t.Errorf("err = %v", err)
			}
			if !slices.Equal(read, tc.wantRead) {
				t.Errorf("read %q, want %q", read, tc.wantRead)
			}
			if !slices.Equal(out.Problems(), tc.wantProblems) {
				t.Errorf("problems %q, want %q", out.Problems(), tc.wantProblems)
			}
		})
	}
}
