// Package sysdiagnoseps reads the process listings of an iOS sysdiagnose archive: the
// processes that were running when the sysdiagnose was taken, with the full path of
// their program. An implant that does not persist across reboots still shows here.
//
// The artifacts are ps.txt and ps_thread.txt at the top of the archive (names are
// relative to its sysdiagnose_<date>_iPhone-OS_… folder); on the phone sysdiagnose
// writes them by running ps. ps.txt is `ps axwww -o user,uid,prsna,pid,ppid,flags,%cpu,
// %mem,pri,ni,vsz,rss,wchan,tt,stat,started,time,command`; before iOS 16 the PRSNA and
// F columns are missing. ps_thread.txt is a thread listing (ps -M) whose header has a
// 7-character COMMAND column in the middle and the full COMMAND at the end; a process
// line starts with the user name and each further thread is an indented line.
// Columns are found by name in the header, so both layouts and any other column set
// ending with COMMAND are read; the last column is the rest of the line and may hold
// spaces.
//
// ps has no date per process (STARTED is kept as written: a time of day, a weekday and
// hour, or a date, in the phone's zone). The collection time is read from
// sysdiagnose.log (its IN_PROGRESS_sysdiagnose_YYYY.MM.DD_HH-MM-SS±zzzz line, converted
// to UTC); each process is put on the timeline then, or not at all when it is unknown.
//
// MVT has no equivalent (its check-sysdiagnose command has no modules). This follows the
// EC-DIGIT-CSIRC sysdiagnose framework's ps and psthread parsers, with these
// differences: processes listed in both files are one record (same pid and command);
// thread lines are told apart by their indentation, not by the absence of "??"; the
// program path is extracted, including app bundles with spaces in their name; and a
// bad line is a problem rather than the end of the parse.
package sysdiagnoseps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "sysdiagnose_ps"

// Names of the artifacts in a sysdiagnose archive.
const (
	PsPath       = "ps.txt"
	PsThreadPath = "ps_thread.txt"
	LogPath      = "sysdiagnose.log"
)

// Module reads ps.txt and ps_thread.txt.
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
		Class:       "SysdiagnosePs",
		Version:     1,
		Description: "Processes running when the sysdiagnose was taken (ps.txt, ps_thread.txt)",
		Kinds:       []acquire.Kind{acquire.IOSSysdiagnose},
		Paths:       []string{PsPath, PsThreadPath, LogPath},
	}
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var listings []string
	collected := time.Time{}
	for _, name := range in.Files {
		switch name {
		case PsPath, PsThreadPath:
			listings = append(listings, name)
		case LogPath:
			collected = collectionTime(in, out)
		}
	}
	if len(listings) == 0 {
		return module.ErrNotFound
	}
	type key struct {
		pid int64
		cmd string
	}
	seen := map[key]*Record{}
	var recs []*Record
	var errs []error
	for _, name := range listings {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := in.ReadFile(name)
		if err == nil {
			var rows []row
			rows, err = parsePs(data, func(line int, err error) { out.Problem("%s line %d: %v", name, line, err) })
			for _, r := range rows {
				k := key{r.pid, r.command}
				if prev := seen[k]; prev != nil {
					if prev.UID == nil {
						prev.UID = r.uid
					}
					continue
				}
				rec := recordOf(r, name, collected)
				seen[k] = rec
				recs = append(recs, rec)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("read %q: %w", name, err))
		}
	}
	if len(errs) == len(listings) {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		out.Problem("%v", err)
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].PID != recs[j].PID {
			return recs[i].PID < recs[j].PID
		}
		return recs[i].Command < recs[j].Command
	})
	for i, rec := range recs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := out.Record(rec); err != nil {
			return err
		}
	}
	return nil
}

func recordOf(r row, source string, collected time.Time) *Record {
	rec := &Record{
		User:           r.user,
		UID:            r.uid,
		PID:            r.pid,
		Started:        r.started,
		Command:        r.command,
		Path:           binaryPath(r.command),
		SourceFile:     source,
		CollectionTime: timefmt.Of(collected),
	}
	if r.hasPPID {
		ppid := r.ppid
		rec.PPID = &ppid
	}
	rec.ProcessName = processName(rec.Command, rec.Path)
	return rec
}

// collectionRE matches the archive's date in sysdiagnose.log.
var collectionRE = regexp.MustCompile(`(?:IN_PROGRESS_sysdiagnose|spindump_sysdiagnose)_(\d{4}\.\d{2}\.\d{2}_\d{2}-\d{2}-\d{2}[+-]\d{4})`)

// maxLogScan bounds how much of sysdiagnose.log is searched for the date.
const maxLogScan = 4 << 20

// collectionTime reads when the sysdiagnose was taken from sysdiagnose.log; the zero
// time when it cannot.
func collectionTime(in *module.Input, out *module.Output) time.Time {
	data, err := in.ReadFile(LogPath)
	if err != nil {
		out.Problem("%s: %v (processes are not put on the timeline)", LogPath, err)
		return time.Time{}
	}
	t, ok := ParseCollectionTime(data)
	if !ok {
		in.Log.Info("no collection date in sysdiagnose.log; processes are not put on the timeline")
	}
	return t
}

// ParseCollectionTime finds the collection date in the text of sysdiagnose.log
// (searching its first 4 MiB) and returns it in UTC.
func ParseCollectionTime(data []byte) (time.Time, bool) {
	t, ok := ParseCollectionTimeLocal(data)
	return t.UTC(), ok
}

// ParseCollectionTimeLocal is [ParseCollectionTime] in the phone's own time zone at
// the time, a fixed offset as the archive's name gives it (e.g. +0100): the zone of
// the phone's local-time logs.
func ParseCollectionTimeLocal(data []byte) (time.Time, bool) {
	if len(data) > maxLogScan {
		data = data[:maxLogScan]
	}
	m := collectionRE.FindSubmatch(data)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("2006.01.02_15-04-05-0700", string(m[1]))
	if err != nil || !timefmt.Valid(t) {
		return time.Time{}, false
	}
	return t, true
}
