// Package bugreporttimestamps lists the modification time of every file an Android bug
// report copied from the phone's file system: the entries under FS/ of the zip that
// `adb bugreport` writes (FS/data/tombstones/…, FS/data/anr/…, FS/data/misc/…), or of the
// folder it was extracted to. It matches MVT's BugReportTimestamps module
// (`bugreport_timestamps`).
//
// Clocks. A zip entry's time is an MS-DOS date and time: the device's local wall clock,
// without a zone, to two seconds. dumpstate's zip writer writes nothing else, but when
// an entry also carries an extended-timestamp extra field (0x5455, or the older Info-ZIP
// and PKWARE Unix fields) its time is a UTC instant. Each record says which clock its time
// is in (`clock`):
//   - "UTC": the entry has an extended timestamp; modified_time is that instant.
//   - an IANA zone name ("Europe/Paris"): the wall clock was converted to UTC with the
//     device's zone, persist.sys.timezone of the dumpstate's SYSTEM PROPERTIES
//     (@sections/system_properties). The zone's rules of the binary's tzdata are used;
//     an ambiguous wall clock (the hour repeated when clocks go back) takes the first.
//   - "device local, zone unknown": no zone is known; modified_time is null and the
//     wall clock is only in modified_time_local.
//   - "file system": the acquisition is a folder; the time is the file's mtime on the
//     analyst's disk, as the tool that extracted the zip restored it (unzip interprets
//     the MS-DOS time in the analyst's zone, so this can be off by the zone difference).
//
// modified_time_local is the wall clock as the zip stores it ("2024-03-14 10:00:00"),
// empty for a folder. MVT writes that wall clock into modified_time and on the timeline
// as if it were a plain time; here modified_time is a UTC instant or null, never a wall
// clock.
//
// Only regular files are listed (dumpstate writes no directory entries); the walk of
// FS/ is bounded to MaxEntries entries. The timeline has one "M---" event per file, as
// MVT's (data = path); a file whose UTC time is unknown is not on the timeline (a row
// needs a time).
package bugreporttimestamps

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"
	_ "time/tzdata" // device zones are loaded by name

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "bugreport_timestamps"

// Root is the folder of a bug report that holds files copied from the phone.
const Root = "FS"

// PropsSection is the bug report's SYSTEM PROPERTIES block (lines "[name]: [value]").
const PropsSection = "@sections/system_properties"

// MaxEntries bounds the number of FS/ files listed.
const MaxEntries = 1 << 20

// Clocks a time can be in, besides an IANA zone name.
const (
	ClockUTC        = "UTC"
	ClockUnknown    = "device local, zone unknown"
	ClockFileSystem = "file system"
)

// Module lists FS/** modification times.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Module = (*Module)(nil)

// Info implements module.Module. It declares no Paths: FS/ is listed whole, at any
// depth, which fs.Glob patterns cannot express; Run reports ErrNotFound when it is
// absent.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "BugReportTimestamps",
		Version:     1,
		Description: "Modification times of the files a bug report copied from the phone (FS/**)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	fi, err := fs.Stat(in.FS, Root)
	if err != nil || !fi.IsDir() {
		return module.ErrNotFound
	}
	zone := DeviceZone(in)
	var recs []*Record
	n := 0
	err = fs.WalkDir(in.FS, Root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name != Root {
				out.Problem("%s: cannot be listed: %v", name, err)
				return nil
			}
			return err
		}
		if n%1000 == 999 {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
		}
		if !d.Type().IsRegular() {
			return nil
		}
		n++
		if n > MaxEntries {
			out.Problem("more than %d files under %s/: the rest are not listed", MaxEntries, Root)
			return fs.SkipAll
		}
		info, err := d.Info()
		if err != nil {
			out.Problem("%s: %v", name, err)
			return nil
		}
		ft := FileTime(info, zone)
		recs = append(recs, &Record{
			Path:              safetext.EscapeInvalid(name),
			ModifiedTime:      timefmt.Of(ft.UTC),
			ModifiedTimeLocal: ft.Local,
			Clock:             ft.Clock,
		})
		return nil
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("list %s/: %w", Root, err)
	}
	return module.Emit(ctx, out, recs)
}

// Zone is the device's time zone as a bug report tells it.
type Zone struct {
	Name string         // IANA name, "" when unknown
	Loc  *time.Location // nil when unknown
}

// DeviceZone reads persist.sys.timezone from the bug report's SYSTEM PROPERTIES; the
// zero Zone when the section is absent, unreadable, or names no zone this binary
// knows.
func DeviceZone(in *module.Input) Zone {
	if _, err := fs.Stat(in.FS, PropsSection); err != nil {
		return Zone{}
	}
	data, err := in.ReadFile(PropsSection)
	if err != nil {
		in.Log.Warn("system properties unreadable, device time zone unknown", "err", err)
		return Zone{}
	}
	z, ok := ParseZone(data)
	if !ok && z.Name != "" {
		in.Log.Warn("device time zone not known to this binary", "zone", z.Name)
	}
	return z
}

// ParseZone finds "[persist.sys.timezone]: [<zone>]" in system-property lines and loads
// the zone. It returns the name it found even when the zone cannot be loaded (ok false).
func ParseZone(props []byte) (Zone, bool) {
	sc := bufio.NewScanner(bytes.NewReader(props))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	const key = "[persist.sys.timezone]:"
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		rest, found := strings.CutPrefix(line, key)
		if !found {
			continue
		}
		rest = strings.TrimSpace(rest)
		if len(rest) < 2 || rest[0] != '[' || rest[len(rest)-1] != ']' {
			continue
		}
		name := strings.TrimSpace(rest[1 : len(rest)-1])
		if name == "" || len(name) > 64 || strings.ContainsAny(name, " \\") || strings.HasPrefix(name, "/") {
			return Zone{Name: safetext.EscapeInvalid(name)}, false
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			return Zone{Name: safetext.EscapeInvalid(name)}, false
		}
		return Zone{Name: name, Loc: loc}, true
	}
	return Zone{}, false
}

// Time is a file's modification time and the clock it is in.
type Time struct {
	UTC   time.Time // zero when the zone is unknown
	Local string    // wall clock as stored ("2006-01-02 15:04:05"), "" for a file system time
	Clock string    // ClockUTC, a zone name, ClockUnknown or ClockFileSystem
}

// LocalLayout is how wall-clock times are written in *_local fields.
const LocalLayout = "2006-01-02 15:04:05"

// FileTime returns the modification time of a bug-report entry. fi.Sys() is a
// *zip.FileHeader for an entry read with archive/zip; anything else is a file system's
// time.
func FileTime(fi fs.FileInfo, zone Zone) Time {
	h, ok := fi.Sys().(*zip.FileHeader)
	if !ok || h == nil {
		t := fi.ModTime()
		if t.IsZero() {
			return Time{Clock: ClockFileSystem}
		}
		return Time{UTC: t.UTC(), Clock: ClockFileSystem}
	}
	wall, wallOK := msDOSTime(h.ModifiedDate, h.ModifiedTime)
	local := ""
	if wallOK {
		local = wall.Format(LocalLayout)
	}
	// Modified may come from an extra field archive/zip reads but hasExtendedTime does
	// not (NTFS times reach year 30,000 either way): a time out of timefmt's range is
	// no time.
	if hasExtendedTime(h.Extra) && timefmt.Valid(h.Modified) {
		return Time{UTC: h.Modified.UTC(), Local: local, Clock: ClockUTC}
	}
	if !wallOK {
		// A header built without MS-DOS fields (not read from a zip): its Modified is
		// the wall clock.
		if !timefmt.Valid(h.Modified) {
			return Time{Clock: ClockUnknown}
		}
		wall = h.Modified
		local = wall.Format(LocalLayout)
	}
	if zone.Loc == nil {
		return Time{Local: local, Clock: ClockUnknown}
	}
	t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, zone.Loc)
	return Time{UTC: t.UTC(), Local: local, Clock: zone.Name}
}

// msDOSTime decodes an MS-DOS date and time (2-second resolution); ok is false when
// both are zero or the date is impossible.
func msDOSTime(d, t uint16) (time.Time, bool) {
	if d == 0 && t == 0 {
		return time.Time{}, false
	}
	year, month, day := int(d>>9)+1980, int(d>>5&0xf), int(d&0x1f)
	hour, minute, sec := int(t>>11), int(t>>5&0x3f), int(t&0x1f)*2
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	w := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if w.Day() != day {
		return time.Time{}, false
	}
	return w, true
}

// hasExtendedTime reports whether a zip extra field holds a UTC modification time: the
// extended timestamp (0x5455) with its modification-time flag, or the Info-ZIP (0x5855)
// or PKWARE (0x000d) Unix fields, the ones archive/zip reads.
func hasExtendedTime(extra []byte) bool {
	for i := 0; len(extra) >= 4 && i < 1024; i++ {
		tag := uint16(extra[0]) | uint16(extra[1])<<8
		size := int(uint16(extra[2]) | uint16(extra[3])<<8)
		extra = extra[4:]
		if size > len(extra) {
			return false
		}
		field := extra[:size]
		extra = extra[size:]
		switch tag {
		case 0x5455:
			if len(field) >= 5 && field[0]&1 != 0 {
				return true
			}
		case 0x5855, 0x000d:
			if len(field) >= 8 {
				return true
			}
		}
	}
	return false
}
