// Package filesystem lists every file and folder of an iPhone file-system dump with its
// modification time, and checks every path against file-path and file-name indicators
// and every entry's name against process indicators (a folder or binary named like a
// known implant, e.g. /private/var/root/Library/Caches/appccntd/).
//
// It reads no file: it walks the dump's device namespace through the acquisition's own
// walker when it has one (acquire.Walker: package iosfs walks an archive's index, or
// the census of a folder, the one listing of the folder that cache_files and the search
// for process binaries share), else with fs.WalkDir. Paths are written as on the device
// ("/private/var/…"); modification times are the dump's (Unix time of the files as
// copied, or of the archive's headers).
//
// It corresponds to MVT's Filesystem module (check-fs only) and differs in two ways:
// an entry's name is looked up as a process name once, on the entry itself, rather than
// every component of every path below it (the same coverage without one alert per
// descendant); and the descendants of a folder that matched a file-path indicator are
// not reported again (the alert counts them). A process-name match on the system volume
// (/System, /usr, /bin, /sbin, /Applications: Apple's sealed programs) is MEDIUM, not
// HIGH, since some indicators reuse the names of iOS programs.
package filesystem

import (
	"context"
	"io/fs"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosfs"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "filesystem"

// Module walks the dump.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module. It has no Paths: it always runs.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "Filesystem",
		Version:     1,
		Description: "Every file and folder of the dump with its modification time; paths and names against file and process indicators",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
	}
}

// Entry is one file, folder or link of the dump. MVT's keys are path and modified.
type Entry struct {
	Path     string       `json:"path"`
	Modified timefmt.Time `json:"modified"`
	Type     string       `json:"type"` // "file", "folder", "symlink" or "other"
	Size     int64        `json:"size"`
}

// Timeline implements module.Timeliner: entry_modified.
func (e *Entry) Timeline() []module.Event {
	if e.Modified.IsZero() {
		return nil
	}
	return []module.Event{{Time: e.Modified.Time, Event: "entry_modified", Data: e.Path}}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	n := 0
	visit := func(name string, fi fs.FileInfo) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return out.Record(entryOf(name, fi))
	}
	if w, ok := in.FS.(acquire.Walker); ok {
		if err := w.Walk(visit); err != nil {
			return err
		}
		// A dump whose listing stopped at a limit (entries, bytes, ratio) serves only
		// what was listed before it: say so, or the list would pass for complete.
		if t, ok := in.FS.(interface{ Truncated() bool }); ok && t.Truncated() {
			out.Problem("the listing of the dump stopped at a limit (see the acquisition's problems in info.json): the entries after it are not listed")
		}
		return nil
	}
	return fs.WalkDir(in.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			out.Problem("%s: %v", name, err)
			return nil
		}
		if name == "." {
			return nil
		}
		if !strings.Contains(name, "/") && iosfs.IsBackupName(name) {
			return fs.SkipDir // the backup namespace repeats the device one
		}
		fi, err := d.Info()
		if err != nil {
			out.Problem("%s: %v", name, err)
			return nil
		}
		return visit(name, fi)
	})
}

func entryOf(name string, fi fs.FileInfo) *Entry {
	e := &Entry{Path: "/" + name, Size: fi.Size()}
	if t := fi.ModTime(); timefmt.Valid(t) {
		e.Modified = timefmt.Of(t.UTC())
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		e.Type, e.Size = "folder", 0
	case m.IsRegular():
		e.Type = "file"
	case m&fs.ModeSymlink != 0:
		e.Type = "symlink"
	default:
		e.Type = "other"
	}
	return e
}
