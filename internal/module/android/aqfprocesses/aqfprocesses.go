// Package aqfprocesses reads the processes that were running on an Android phone when
// androidqf collected it. It matches MVT's AQFProcesses module (`aqf_processes`).
//
// Input: an androidqf collection (acquire.AndroidQF), any of
//   - ps.txt: `ps -A` text written by androidqf's 2022 and v1.6 builds (the only file
//     MVT reads);
//   - processes.txt: the same `ps -A` text, written by v1.7+ when the collector could
//     not run;
//   - processes.json: the collector's `ps` (android-collector, reading /proc): a JSON
//     array of {pid, uid, ppid, pgroup, psid, filename, priority, state, user_time,
//     kernel_time, path, context, previous_context, command_line[], env[], cwd}.
//
// Every file present is read (a collection holds one or two of them), in that order.
//
// Text variants: toybox `ps -A` ("USER PID PPID VSZ RSS WCHAN ADDR S NAME"), with an
// empty WCHAN on some devices (one field fewer: recognised by where the one-letter
// state falls), with a leading LABEL column (`ps -A -Z`, also taken without a header
// when the first field is an SELinux context, as MVT does), and old toolbox `ps`
// ("USER PID PPID VSIZE RSS WCHAN PC NAME" with the state printed before NAME). Column
// positions come from the header. NAME is the rest of the line, spaces included (MVT
// keeps only its first word). A line that cannot be read is a problem.
//
// No dates: ps prints none, and the collector's user_time and kernel_time are CPU
// times (clock ticks, or seconds after a division the collector applies only when
// reading /proc/<pid>/stat failed), kept as written. No timeline.
//
// Checks: proc_name → app-id indicators, then process indicators (the index matches a
// 15/16-character name truncated by the kernel against a longer indicator), CRITICAL
// as MVT; an app process "package:service" is also looked up as "package" (MVT looks
// up the whole name only). gatekeeperd (also as /system/bin/gatekeeperd) is skipped as
// MVT skips it (MVT's reason: false positives; Android's own service's name collides
// with an indicator). Heuristics beyond MVT:
//   - aqf_processes/tmp-executable (HIGH): a process started from a file under
//     /data/local/tmp/, the adb shell's scratch folder, other than androidqf's own
//     collector (/data/local/tmp/collector), which is running while processes.json is
//     written. Exploit chains and implants dropped through adb or a shell run from
//     there; no app or system component does.
//   - aqf_processes/root-context (HIGH): a process running in the SELinux domain "su"
//     (present only in userdebug/eng builds' policy, where `su` and `adb root` use it)
//     or "magisk" (added to the policy by Magisk): the phone is rooted, or is a
//     development build.
package aqfprocesses

import (
	"bytes"
	"context"
	"fmt"
	"path"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// Name is the module's slug.
const Name = "aqf_processes"

// Files of a collection this module reads, in reading order.
const (
	PsTxt         = "ps.txt"
	ProcessesTxt  = "processes.txt"
	ProcessesJSON = "processes.json"
)

// Module reads the process lists.
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
		Class:       "AQFProcesses",
		Version:     1,
		Description: "Processes running during an androidqf collection (ps.txt, processes.txt, processes.json)",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
		Paths:       []string{PsTxt, ProcessesTxt, ProcessesJSON},
	}
}

var order = map[string]int{PsTxt: 0, ProcessesTxt: 1, ProcessesJSON: 2}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	files := append([]string(nil), in.Files...)
	// Read in the documented order whatever the sort of in.Files.
	for i := 1; i < len(files); i++ {
		for j := i; j > 0 && order[path.Base(files[j])] < order[path.Base(files[j-1])]; j-- {
			files[j], files[j-1] = files[j-1], files[j]
		}
	}
	sub := *in
	sub.Files = files
	return module.EachFile(ctx, &sub, out, func(name string) error {
		var recs []*Record
		var problems []string
		if path.Base(name) == ProcessesJSON {
			f, err := in.Open(name)
			if err != nil {
				return fmt.Errorf("read %q: %w", name, err)
			}
			recs, problems, err = ParseJSON(name, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("read %q: %w", name, err)
			}
		} else {
			data, err := in.ReadFile(name)
			if err != nil {
				return fmt.Errorf("read %q: %w", name, err)
			}
			if len(bytes.TrimSpace(data)) == 0 {
				in.Log.Info("empty process list", "file", name)
				return nil
			}
			recs, problems = ParseText(name, data)
			if len(recs) == 0 && len(problems) > 0 {
				return fmt.Errorf("read %q: no process could be read (%s)", name, problems[0])
			}
		}
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
		in.Log.Info("read processes", "file", name, "processes", len(recs))
		return module.Emit(ctx, out, recs)
	})
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. A record of MVT's aqf_processes.json has
// neither source (MVT reads ps.txt only) nor name: source is set to ps.txt and name to
// proc_name, so that a program started from /data/local/tmp is recognised.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	v, err := module.Decode[Record](data)
	if rec, ok := v.(*Record); ok && rec.Source == "" {
		rec.Source = PsTxt
		if rec.Name == "" {
			rec.Name = rec.ProcName
		}
	}
	return v, err
}
