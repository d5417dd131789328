// Package sysdiagnosecrashes reads the crash, hang, panic and jetsam reports of an iOS
// sysdiagnose archive. Zero-click exploits often crash the service they attack before
// one attempt succeeds, and a missing or wiped crash folder can itself be a trace.
//
// The artifacts are the .ips files under crashes_and_spins/ in the archive (at depth 1
// to 3, e.g. crashes_and_spins/Retired/…; names are relative to the archive's
// sysdiagnose_<date>_iPhone-OS_… folder); on the phone they are under
// /private/var/mobile/Library/Logs/CrashReporter/. Files whose name starts with "." are
// skipped. Each report is a one-line JSON header (app_name, name, bug_type, timestamp,
// os_version, incident_id, bundleID) followed by a body: JSON for bug type 309 (iOS 15
// and later crashes: procName, procPath, parentProc, pid, exception.type and .signal,
// captureTime) and the other JSON reports, "Key: value" text for bug type 109 and
// older reports (Process, Path, Parent Process, Exception Type, Date/Time). Only the
// header is required; a body that cannot be read is a problem, the record is kept.
//
// Times: the header's timestamp ("2021-12-08 14:17:36.00 -0500") is local time with
// its zone; it is converted to UTC (timestamp) and kept as written (timestamp_local).
// When it is missing the body's captureTime or Date/Time is used.
//
// MVT has no equivalent (its check-sysdiagnose command has no modules). This follows the
// EC-DIGIT-CSIRC sysdiagnose framework's crashlogs parser, with these differences: its
// summary crashes_and_spins.log (local times without a zone) is not read; reports are
// not de-duplicated by time and app name (two reports are two files); a report whose
// text body has an unexpected line is kept rather than dropped; and sizes are bounded.
package sysdiagnosecrashes

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "sysdiagnose_crashes"

// Dir is the folder of the reports in a sysdiagnose archive.
const Dir = "crashes_and_spins"

// maxReport bounds the bytes read of one report (stackshots can be several MB; the
// keys read are at the start of crash reports).
const maxReport = 32 << 20

// Module reads crashes_and_spins/**/*.ips.
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
		Class:       "SysdiagnoseCrashes",
		Version:     1,
		Description: "Crash, hang, panic and jetsam reports of a sysdiagnose (crashes_and_spins/*.ips)",
		Kinds:       []acquire.Kind{acquire.IOSSysdiagnose},
		Paths:       []string{Dir + "/*.ips", Dir + "/*/*.ips", Dir + "/*/*/*.ips"},
	}
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	visible := make([]string, 0, len(in.Files))
	for _, name := range in.Files {
		if !strings.HasPrefix(path.Base(name), ".") {
			visible = append(visible, name)
		}
	}
	if len(visible) == 0 {
		return module.ErrNotFound
	}
	sub := *in
	sub.Files = visible
	return module.EachFile(ctx, &sub, out, func(name string) error {
		data, truncated, err := read(in, name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		r, err := parseIPS(data)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		if truncated {
			out.Problem("%s: larger than %d MiB, only its start was read", name, maxReport>>20)
		} else if r.bodyErr != nil {
			out.Problem("%s: %v (header kept)", name, r.bodyErr)
		}
		return out.Record(recordOf(name, r))
	})
}

// read reads up to maxReport bytes of name.
func read(in *module.Input, name string) ([]byte, bool, error) {
	f, err := in.Open(name)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxReport+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > maxReport {
		return data[:maxReport], true, nil
	}
	return data, false, nil
}

func recordOf(name string, r *report) *Record {
	return &Record{
		File:            name,
		BugType:         r.bugType,
		BugTypeName:     bugTypes[r.bugType],
		AppName:         r.appName,
		Name:            r.name,
		BundleID:        r.bundleID,
		ProcPath:        r.procPath,
		ProcName:        r.procName,
		ParentProc:      r.parentProc,
		PID:             r.pid,
		Timestamp:       timefmt.Of(r.timestamp),
		TimestampLocal:  r.timestampRaw,
		OSVersion:       r.osVersion,
		IncidentID:      r.incidentID,
		ExceptionType:   r.exceptionType,
		ExceptionSignal: r.exceptionSignal,
	}
}
