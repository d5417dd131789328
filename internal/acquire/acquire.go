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
)

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
