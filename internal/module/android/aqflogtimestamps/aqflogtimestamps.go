// Package aqflogtimestamps lists the modification time of every file androidqf pulled
// into the logs/ folder of a collection: /data/system/uiderrors.txt, /proc/kmsg,
// /proc/last_kmsg, /sys/fs/pstore/console-ramoops and every file under /data/anr/,
// /data/log/ and /sdcard/log/, each at logs/<device path>. It matches MVT's
// AQFLogTimestamps module (`aqf_log_timestamps`).
//
// Clocks. The time is the one the collection stores for the pulled file, read with
// bugreporttimestamps.FileTime:
//   - a zip entry with an extended timestamp (what Go's archive/zip, and so androidqf,
//     writes): a UTC instant, clock "UTC";
//   - a zip entry with only an MS-DOS time: the wall clock of the machine that wrote
//     the zip (androidqf's computer, or whoever re-zipped the folder), not the phone's;
//     its zone is unknown, so modified_time is null and the wall clock is kept in
//     modified_time_local, clock ClockZipLocal (MVT writes that wall clock as if it
//     were UTC);
//   - a folder: the file's mtime on the analyst's disk, clock "file system".
//
// Caution for the analyst: whether this is the time the file changed on the phone
// depends on the puller keeping it (`adb pull` keeps a file's time only with -a); when
// it did not, the time is that of the collection. The records say what is stored.
//
// The walk of logs/ is bounded to MaxEntries files; only regular files are listed. One
// "M---" timeline event per file whose UTC time is known (data = path), as MVT.
package aqflogtimestamps

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/bugreporttimestamps"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "aqf_log_timestamps"

// Root is the folder of a collection that holds the pulled logs.
const Root = "logs"

// MaxEntries bounds the number of files listed.
const MaxEntries = 1 << 20

// ClockZipLocal is the clock of a zip entry that stores only an MS-DOS wall clock.
const ClockZipLocal = "wall clock of the machine that wrote the zip, zone unknown"

// Module lists logs/** modification times.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Module = (*Module)(nil)

// Info implements module.Module. It declares no Paths: logs/ is listed whole, at any
// depth, which fs.Glob patterns cannot express; Run reports ErrNotFound when it is
// absent.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "AQFLogTimestamps",
		Version:     1,
		Description: "Modification times of the log files androidqf pulled from the phone (logs/**)",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	fi, err := fs.Stat(in.FS, Root)
	if err != nil || !fi.IsDir() {
		return module.ErrNotFound
	}
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
		// The zone of an MS-DOS time is the zip writer's, not the phone's: unknown.
		ft := bugreporttimestamps.FileTime(info, bugreporttimestamps.Zone{})
		clock := ft.Clock
		if clock == bugreporttimestamps.ClockUnknown {
			clock = ClockZipLocal
		}
		p := safetext.EscapeInvalid(name)
		recs = append(recs, &Record{
			Path:              p,
			ModifiedTime:      timefmt.Of(ft.UTC),
			ModifiedTimeLocal: ft.Local,
			Clock:             clock,
			DevicePath:        strings.TrimPrefix(p, Root),
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
