// Package acquire defines what every opener of evidence returns: a read-only view of the
// acquisition as an [fs.FS] with one naming scheme per platform.
//
// iOS acquisitions name files "<domain>/<relativePath>" as an iOS backup's Manifest.db
// does (HomeDomain/Library/SMS/sms.db); a filesystem dump exposes the same logical names
// so that one module serves both. The openers live in sub-packages (iosbackup, …).
package acquire

import (
	"errors"
	"io/fs"
)

// Kind names an acquisition format.
type Kind string

// Acquisition kinds.
const (
	IOSBackup Kind = "ios-backup"
	// IOSFilesystem is a full file-system dump of an iPhone; names are device paths
	// relative to the root ("private/var/mobile/…").
	IOSFilesystem Kind = "ios-fs"
	// IOSSysdiagnose is a sysdiagnose archive; names are relative to its top folder
	// ("system_logs.logarchive/Extra/shutdown.log", "ps.txt", "crashes_and_spins/…").
	IOSSysdiagnose Kind = "ios-sysdiagnose"
	// AndroidBugreport is an Android bug report (the zip adb bugreport writes, or its
	// folder): its own entries, plus the sections of its dumpstate text under
	// "@sections/" (see package bugreport).
	AndroidBugreport Kind = "android-bugreport"
	// AndroidBackup is an Android backup (.ab, adb backup), or the folder of its
	// extracted tar: names are the tar's ("apps/<package>/…").
	AndroidBackup Kind = "android-backup"
	// AndroidQF is an androidqf collection (folder, zip, or age-encrypted zip): names
	// are relative to the folder that holds its files.
	AndroidQF Kind = "androidqf"
	// AndroidIntrusionLogs is a folder or zip of Android 16 intrusion-logging files.
	AndroidIntrusionLogs Kind = "android-intrusion-logs"
)

// Platform is the phone platform of an acquisition kind.
type Platform string

// Platforms.
const (
	IOS     Platform = "ios"
	Android Platform = "android"
)

// Platform returns the platform the kind's acquisitions come from.
func (k Kind) Platform() Platform {
	switch k {
	case IOSBackup, IOSFilesystem, IOSSysdiagnose:
		return IOS
	}
	return Android
}

// Acquisition is an opened piece of evidence. It never modifies what it reads.
type Acquisition interface {
	fs.FS
	fs.ReadDirFS
	fs.StatFS
	// Kind says what was opened.
	Kind() Kind
	// Root is the path of the evidence on the analyst's machine.
	Root() string
	// Close releases open handles and removes any private temporary files.
	Close() error
}

// LocalPather is implemented by acquisitions whose files exist unmodified as plain files
// on the analyst's machine. It lets readers that need a real path (SQLite) open them in
// place, read-only, instead of copying them.
type LocalPather interface {
	LocalPath(name string) (string, error)
}

// NameFinder is implemented by acquisitions that list their whole tree once (file-system
// dumps) and can say, in one pass over that list, where the files with given base names
// are. The result maps each base name found to its names, in walk order.
type NameFinder interface {
	FilesNamed(names ...string) (map[string][]string, error)
}

// Walker is implemented by acquisitions that walk their whole tree from an index built
// once (file-system dumps), in fs.WalkDir's order, with its SkipDir and SkipAll.
type Walker interface {
	Walk(fn func(name string, fi fs.FileInfo) error) error
}

// WalkFiles calls fn with the name and base name of every regular file of fsys: through
// Walker when fsys implements it (no new walk of a dump), else with fs.WalkDir, which
// skips what it cannot list. fn returning an error stops the walk with that error.
func WalkFiles(fsys fs.FS, fn func(name, base string) error) error {
	if w, ok := fsys.(Walker); ok {
		return w.Walk(func(name string, fi fs.FileInfo) error {
			if fi.Mode().IsRegular() {
				return fn(name, fi.Name())
			}
			return nil
		})
	}
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name == "." {
				return err
			}
			return nil
		}
		if d.Type().IsRegular() {
			return fn(name, d.Name())
		}
		return nil
	})
}

// FindNamed is NameFinder.FilesNamed on acquisitions that implement it and one
// WalkFiles on the others.
func FindNamed(fsys fs.FS, names ...string) (map[string][]string, error) {
	if nf, ok := fsys.(NameFinder); ok {
		return nf.FilesNamed(names...)
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	found := map[string][]string{}
	err := WalkFiles(fsys, func(name, base string) error {
		if want[base] {
			found[base] = append(found[base], name)
		}
		return nil
	})
	return found, err
}

// Problems is implemented by acquisitions that noticed anomalies while opening or
// serving files (a Manifest.db row with an unsafe path, a file listed but missing). The
// engine writes them into info.json and the log.
type Problems interface {
	Problems() []Problem
}

// Problem is an anomaly of the acquisition itself.
type Problem struct {
	Kind    string `json:"kind"`    // e.g. "missing_file", "unsafe_path"
	Name    string `json:"name"`    // the logical name or Manifest.db row concerned
	Message string `json:"message"` // what it means
}

// ErrMissing is wrapped by errors for files that the acquisition's own index lists but
// whose content is absent (a partial backup). It also matches fs.ErrNotExist.
var ErrMissing = missingError{}

type missingError struct{}

func (missingError) Error() string        { return "listed in the acquisition's index but missing from it" }
func (missingError) Is(target error) bool { return target == fs.ErrNotExist }

// IsMissing reports whether err says a listed file is missing from the acquisition.
func IsMissing(err error) bool { return errors.Is(err, ErrMissing) }
