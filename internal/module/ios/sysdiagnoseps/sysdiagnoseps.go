// Package sysdiagnoseps reads the process census of an iOS sysdiagnose archive: the
// processes that were running when the sysdiagnose was taken, with the path of their
// program, and the binary images spindump saw loaded in them. An implant that does not
// persist across reboots still shows here.
//
// The artifacts are four listings at the top of the archive (names are relative to its
// sysdiagnose_<date>_iPhone-OS_… folder), written on the phone by the tools sysdiagnose
// runs:
//
//   - ps.txt: `ps axwww -o user,uid,prsna,pid,ppid,flags,%cpu,%mem,pri,ni,vsz,rss,
//     wchan,tt,stat,started,time,command`; before iOS 16 the PRSNA and F columns are
//     missing.
//   - ps_thread.txt: a thread listing (ps -M) whose header has a 7-character COMMAND
//     column in the middle and the full COMMAND at the end; a process line starts with
//     the user name and each further thread is an indented line. In both ps files the
//     columns are found by name in the header, so any column set ending with COMMAND is
//     read; the last column is the rest of the line and may hold spaces.
//   - spindump-nosymbols.txt: spindump's report. A header of "Key: value" lines
//     (Date/Time, End time, OS Version…), then one block per process: unindented "Key:
//     value" lines (Process: name [pid], UUID, Path, Parent: name [ppid], UID,
//     Footprint, Time Since Fork: Ns or, for a process that started while spindump
//     sampled, Start time), thread stacks indented by two spaces, and an indented
//     "Binary Images:" list of "start - end name [version] <UUID> path" lines (the end
//     may be "???", a kernel image starts with "*" and has a segment name glued to its
//     UUID, names and paths may hold spaces). A report of an idle phone may say "No
//     samples" and list no process.
//   - taskinfo.txt: "num tasks: N", then one block per process: `process: "name"
//     [pid]` (iOS 15: followed by ` [unique ID: n]`), unindented "key: value" lines
//     (iOS 16 and later: "unique ID/version", `audit: { auid … uid N … }` and
//     "executable uuid"; all versions: architecture, memory, "run time: N s"…), then
//     "threads:" and tab-indented thread blocks. taskinfo prints the base name of the
//     executable's path (from KERN_PROCARGS2), never the path.
//
// Verified against public samples and parsers: the ps layouts, spindump's Date/Time
// (`2023-05-24 13:29:15.759 -0700`, the archive's own time and zone), its process head
// and Binary Images lines, and taskinfo's iOS 15 process block, all as the EC-DIGIT-
// CSIRC sysdiagnose framework's tests quote them from real archives; taskinfo's iOS 16
// and later lines from the format strings of the taskinfo binary. Reconstructed: the
// format of spindump's per-process Start time (read like Date/Time), the "[unique pid
// n]" suffix (from a spindump parser for macOS), and the exact spacing of every line
// (the parsers do not depend on it).
//
// Records. One record per process, merged across the listings: an entry joins a
// record of the same pid that shows the same program (the same path when both have
// one, else the same name, or a name the kernel cut to 16 or 32 bytes), so a process
// listed in several files is one record and raises an alert once; "sources" lists the
// files that show it and "source_file" the first of them in the order ps.txt,
// ps_thread.txt, spindump-nosymbols.txt, taskinfo.txt. A pid reused by another program
// between two listings gives two records. Then one record per distinct binary-image
// path of the spindump ("image", "path", "uuid", "loaded_by", "process_count"),
// leaving out images that are a process record's own program.
//
// Times. ps has no date per process (STARTED is kept as written: a time of day, a
// weekday and hour, or a date, in the phone's zone). The collection time is read from
// sysdiagnose.log (its IN_PROGRESS_sysdiagnose_YYYY.MM.DD_HH-MM-SS±zzzz line), else
// from spindump's Date/Time, and converted to UTC; each process is put on the timeline
// then (process_running), or not at all when it is unknown. start_time (UTC) is
// spindump's Start time, else its Date/Time (in the phone's zone, with the offset it
// states) minus Time Since Fork, exact to the second; else the collection time minus
// taskinfo's run time, a few seconds early (taskinfo runs after sysdiagnose starts);
// it goes on the timeline as process_started.
//
// Checks on every record, whichever listing it comes from: process indicators on the
// path (or the name when there is no path), file-path indicators and the
// [SuspiciousPath] heuristic on the path; on every image, file-path indicators and
// SuspiciousPath.
//
// MVT has no equivalent (its check-sysdiagnose command has no modules). This follows the
// EC-DIGIT-CSIRC sysdiagnose framework's ps, psthread, taskinfo and spindumpnosymbols
// parsers (keys user, pid, ppid, started, command, process_name, uuid), with these
// differences: processes listed in several files are one record; thread lines are told
// apart by their indentation, not by the absence of "??"; the program path is
// extracted, including app bundles with spaces in their name; image paths with spaces
// are kept whole; and a bad line or block is a problem rather than the end of the parse.
package sysdiagnoseps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
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
	SpindumpPath = "spindump-nosymbols.txt"
	TaskinfoPath = "taskinfo.txt"
	LogPath      = "sysdiagnose.log"
)

// listings are the process listings in the order they are read (and merged).
var listings = []string{PsPath, PsThreadPath, SpindumpPath, TaskinfoPath}

// Module reads the process listings of a sysdiagnose.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module     = (*Module)(nil)
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "SysdiagnosePs",
		Version:     2,
		Description: "Processes running when the sysdiagnose was taken (ps.txt, ps_thread.txt, spindump-nosymbols.txt, taskinfo.txt) and the binary images spindump saw loaded",
		Kinds:       []acquire.Kind{acquire.IOSSysdiagnose},
		Paths:       []string{PsPath, PsThreadPath, SpindumpPath, TaskinfoPath, LogPath},
	}
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable: a record with an image key is an [Image],
// any other a process [Record].
func (m *Module) DecodeRecord(data []byte) (any, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, errors.New("the record is not a JSON object")
	}
	if _, ok := keys["image"]; ok {
		return module.Decode[Image](data)
	}
	return module.Decode[Record](data)
}

// entry is one process as one listing shows it.
type entry struct {
	pid                          int64
	ppid, uid                    *int64
	user, started, command, path string
	name, uuid                   string
	start                        time.Time
}

// merger gathers the entries of every listing into records: an entry joins a record
// of the same pid showing the same program (same path when both have one, else a
// compatible name).
type merger struct {
	byPID map[int64][]*Record
	recs  []*Record
}

func (m *merger) add(e entry, source string) {
	for _, rec := range m.byPID[e.pid] {
		if !sameProgram(rec, e) {
			continue
		}
		if rec.UID == nil {
			rec.UID = e.uid
		}
		if rec.PPID == nil {
			rec.PPID = e.ppid
		}
		if rec.User == "" {
			rec.User = e.user
		}
		if rec.Started == "" {
			rec.Started = e.started
		}
		if rec.Command == "" {
			rec.Command = e.command
		}
		if rec.Path == "" && e.path != "" {
			rec.Path = e.path
		}
		if rec.UUID == "" {
			rec.UUID = e.uuid
		}
		if rec.StartTime.IsZero() {
			rec.StartTime = timefmt.Of(e.start)
		}
		if !slices.Contains(rec.Sources, source) {
			rec.Sources = append(rec.Sources, source)
		}
		return
	}
	rec := &Record{
		User: e.user, UID: e.uid, PID: e.pid, PPID: e.ppid, Started: e.started, Command: e.command,
		Path: e.path, ProcessName: e.name, UUID: e.uuid, StartTime: timefmt.Of(e.start),
		SourceFile: source, Sources: []string{source},
	}
	m.byPID[e.pid] = append(m.byPID[e.pid], rec)
	m.recs = append(m.recs, rec)
}

// sameProgram tells whether e shows the process of rec: the same path when both have
// one, else compatible names (equal, or one cut to the kernel's 16 or 32 bytes).
func sameProgram(rec *Record, e entry) bool {
	if rec.Path != "" && e.path != "" {
		return rec.Path == e.path
	}
	a, b := rec.ProcessName, e.name
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || (len(a) >= 16 && strings.HasPrefix(b, a))
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var present []string
	collected := time.Time{}
	for _, name := range in.Files {
		switch name {
		case PsPath, PsThreadPath, SpindumpPath, TaskinfoPath:
			present = append(present, name)
		case LogPath:
			collected = collectionTime(in, out)
		}
	}
	if len(present) == 0 {
		return module.ErrNotFound
	}
	// The listings are read in a fixed order, whatever the order of in.Files.
	var files []string
	for _, name := range listings {
		if slices.Contains(present, name) {
			files = append(files, name)
		}
	}
	mg := &merger{byPID: map[int64][]*Record{}}
	var sd *spindump
	var taskinfo []taskRow
	var errs []error
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		problem := func(line int, err error) { out.Problem("%s line %d: %v", name, line, err) }
		data, err := in.ReadFile(name)
		if err == nil {
			switch name {
			case PsPath, PsThreadPath:
				var rows []row
				rows, err = parsePs(data, problem)
				for _, r := range rows {
					mg.add(psEntry(r), name)
				}
			case SpindumpPath:
				sd, err = parseSpindump(data, problem)
				if err == nil && collected.IsZero() && !sd.date.IsZero() {
					collected = sd.date.UTC()
				}
				if err == nil {
					for _, p := range sd.procs {
						mg.add(spinEntry(p, sd.date), name)
					}
				}
			case TaskinfoPath:
				// Start times need the collection time, known once spindump is read.
				taskinfo, err = parseTaskinfo(data, problem)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("read %q: %w", name, err))
		}
	}
	for _, t := range taskinfo {
		mg.add(taskEntry(t, collected), TaskinfoPath)
	}
	if len(errs) == len(files) {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		out.Problem("%v", err)
	}
	recs := mg.recs
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		if a.PID != b.PID {
			return a.PID < b.PID
		}
		if a.Command != b.Command {
			return a.Command < b.Command
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.ProcessName < b.ProcessName
	})
	at := timefmt.Of(collected)
	for i, rec := range recs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec.CollectionTime = at
		if err := out.Record(rec); err != nil {
			return err
		}
	}
	for i, im := range distinctImages(sd, recs) {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		im.CollectionTime = at
		if err := out.Record(im); err != nil {
			return err
		}
	}
	return nil
}

func psEntry(r row) entry {
	e := entry{pid: r.pid, uid: r.uid, user: r.user, started: r.started, command: r.command, path: binaryPath(r.command)}
	if r.hasPPID {
		ppid := r.ppid
		e.ppid = &ppid
	}
	e.name = processName(e.command, e.path)
	return e
}

// spinEntry turns a spindump process into an entry; date is the report's Date/Time,
// from which Time Since Fork counts back.
func spinEntry(p spinProc, date time.Time) entry {
	e := entry{pid: p.pid, ppid: p.ppid, uid: p.uid, path: p.path, name: p.name, uuid: p.uuid}
	if p.path != "" {
		e.name = processName("", p.path)
	}
	switch {
	case !p.start.IsZero():
		e.start = p.start.UTC()
	case p.sinceFork != nil && !date.IsZero():
		if t := date.Add(-time.Duration(*p.sinceFork) * time.Second); timefmt.Valid(t) && *p.sinceFork < 1<<40 {
			e.start = t.UTC()
		}
	}
	return e
}

// taskEntry turns a taskinfo process into an entry; its start time counts run time
// back from the collection time.
func taskEntry(t taskRow, collected time.Time) entry {
	e := entry{pid: t.pid, uid: t.uid, name: t.name, uuid: t.uuid}
	if t.runTime != nil && !collected.IsZero() && *t.runTime < 1<<40 {
		if s := collected.Add(-time.Duration(*t.runTime) * time.Second); timefmt.Valid(s) {
			e.start = s.UTC()
		}
	}
	return e
}

// maxImages bounds the distinct binary images listed.
const maxImages = 100_000

// distinctImages lists the distinct binary images of the spindump, sorted by path, leaving
// out those that are the program of a process record (they are checked there).
func distinctImages(sd *spindump, recs []*Record) []*Image {
	if sd == nil {
		return nil
	}
	programs := map[string]bool{}
	for _, r := range recs {
		if r.Path != "" {
			programs[r.Path] = true
		}
	}
	byPath := map[string]*Image{}
	var out []*Image
	for _, p := range sd.procs {
		seen := map[string]bool{}
		for _, img := range p.images {
			if img.path == "" || programs[img.path] || seen[img.path] {
				continue
			}
			seen[img.path] = true
			im := byPath[img.path]
			if im == nil {
				if len(out) == maxImages {
					continue
				}
				im = &Image{Image: img.name, Path: img.path, UUID: img.uuid, SourceFile: SpindumpPath}
				byPath[img.path] = im
				out = append(out, im)
			}
			im.ProcessCount++
			if len(im.LoadedBy) < maxLoadedBy {
				im.LoadedBy = append(im.LoadedBy, fmt.Sprintf("%s [%d]", p.name, p.pid))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
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
