// Package shutdownlog reads shutdown.log, the text file in which iOS's log daemon
// (logd) notes, while the phone shuts down, which processes are still running. A
// process that keeps running until the very end of a shutdown (a "sticky" process)
// is listed there with the path of its binary, which is how Kaspersky found Pegasus,
// Reign and Predator processes running from unusual folders (iShutdown, January 2024).
//
// The artifact is not in iTunes backups. It is read from:
//   - a file-system dump: private/var/db/diagnostics/shutdown.log (device path
//     /private/var/db/diagnostics/shutdown.log) and its rotated copies
//     shutdown.<n>.log (iOS 26 writes shutdown.0.log);
//   - a sysdiagnose archive: system_logs.logarchive/Extra/shutdown*.log.
//
// Every matching file is read, in name order, and each record names its file.
//
// Format: during a shutdown logd writes, each time it polls its clients and some are
// still there, a header "After <s>s, these clients are still here:" (s = seconds since
// the shutdown began, two decimals) followed by tab-indented lines "remaining client
// pid: <pid> (<path>/<UUID>)" (the binary's path and Mach-O UUID; older logs have no
// UUID). The block of one shutdown ends with "SIGTERM: [<Unix seconds>] …"; MVT also
// accepts the time after " @" ("SIGTERM: @<seconds> …"), and so does this module. The
// time base is Unix seconds, UTC. Lines are read one by one with a bounded length.
// iOS 26 reportedly truncates the file at every shutdown, so it may hold one block.
//
// It corresponds to MVT's ShutdownLog module (fs only; MVT reads only shutdown.log of a
// file-system dump), with MVT's record keys, delay arithmetic (delay is the sum of the
// block's "After" values so far, times_delayed the number of headers so far) and
// "shutdown" timeline events. Differences and fixes:
//   - rotated files and sysdiagnose archives are read;
//   - a path holding ")" is kept whole (MVT cuts it at the first ")");
//   - a SIGTERM line without a readable time gives a null date and a problem, not
//     1970-01-01;
//   - a last block without SIGTERM is kept (complete false, null date) instead of
//     being dropped; an empty file or one without clients gives a placeholder record;
//   - a bad "After" value is a problem, not a crash; unreadable lines are counted;
//   - records are sorted by date (unknown dates last), then file and line order;
//   - heuristics from Kaspersky's iShutdown run with or without indicators (MVT has
//     none): repeated delays, clients running from /private/var/db/ or temporary
//     folders, and empty or cut logs; indicator alerts come once per shutdown and path.
package shutdownlog

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// Name is the module's slug.
const Name = "shutdown_log"

// Glob patterns of the artifact.
const (
	FilesystemPattern  = "private/var/db/diagnostics/shutdown*.log"
	SysdiagnosePattern = "system_logs.logarchive/Extra/shutdown*.log"
)

// Module reads shutdown.log.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "ShutdownLog",
		Version:     1,
		Description: "Processes still running when the phone shut down (shutdown.log)",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem, acquire.IOSSysdiagnose},
		Paths:       []string{FilesystemPattern, SysdiagnosePattern},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var recs []*Record
	err := module.EachFile(ctx, in, out, func(name string) error {
		f, err := in.Open(name)
		if err != nil {
			return fmt.Errorf("open %q: %w", name, err)
		}
		defer f.Close()
		res, err := parse(ctx, f, name, maxRecords-len(recs))
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		for _, p := range res.problems {
			out.Problem("%s", p)
		}
		if len(res.records) == 0 {
			recs = append(recs, placeholder(name, res))
		}
		recs = append(recs, res.records...)
		return nil
	})
	if err != nil {
		return err
	}
	// Dated records by date; undated ones (cut blocks, placeholders) last. The sort is
	// stable, so file and line order decide ties.
	slices.SortStableFunc(recs, func(a, b *Record) int {
		if c := cmp.Compare(boolInt(a.Isodate.IsZero()), boolInt(b.Isodate.IsZero())); c != 0 {
			return c
		}
		return a.Isodate.Compare(b.Isodate.Time)
	})
	for i, r := range recs {
		if i%1000 == 999 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := out.Record(r); err != nil {
			return err
		}
	}
	return nil
}

// placeholder is the record of a file that lists no client.
func placeholder(name string, res *fileResult) *Record {
	r := &Record{File: name, Reboots: res.reboots, Complete: res.reboots > 0 && !res.truncated}
	switch {
	case !res.content:
		r.LogState = StateEmpty
		r.Note = "The file is empty."
	case res.reboots == 0:
		r.LogState = StateNoClients
		r.Note = "The file lists no client and no complete shutdown."
	default:
		r.LogState = StateNoClients
		r.Note = fmt.Sprintf("The file records %d shutdowns but no client still running during any of them.", res.reboots)
	}
	return r
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return newChecker(env) }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
