package manifest

import (
	"strconv"
	"time"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// File is one row of Manifest.db's Files table: a file, folder or symbolic link of the
// phone that the backup lists. The keys up to size are MVT's.
type File struct {
	FileID       string `json:"file_id"`
	Domain       string `json:"domain"`
	RelativePath string `json:"relative_path"`
	Flags        int64  `json:"flags"` // 1 file, 2 folder, 4 symbolic link
	// Created is the file's birth time (null when unknown).
	Created timefmt.Time `json:"created"`
	// Metadata is what the row's MBFile blob says; nil, and its keys absent as with
	// MVT, when the row has no readable blob.
	*Metadata
	// DevicePath is the file's absolute path on the phone, when its domain's folder is
	// fixed (see iosbackup.DevicePath).
	DevicePath string `json:"device_path,omitempty"`
}

// Metadata is the part of a File read from its MBFile blob. Times are Unix seconds in
// the blob, written as MVT time strings.
type Metadata struct {
	Modified      timefmt.Time `json:"modified"`
	StatusChanged timefmt.Time `json:"status_changed"`
	// Mode is the Unix st_mode as Python's oct() writes it, e.g. "0o100644".
	Mode  string `json:"mode"`
	Owner int64  `json:"owner"` // user ID (501 is "mobile", 0 "root")
	Size  int64  `json:"size"`

	Group           int64  `json:"group"`            // group ID
	ProtectionClass int64  `json:"protection_class"` // data protection class
	Target          string `json:"target,omitempty"` // where a symbolic link points
}

// newMetadata converts a decoded blob.
func newMetadata(md *iosbackup.Metadata) *Metadata {
	return &Metadata{
		Modified:        timeOf(md.LastModified),
		StatusChanged:   timeOf(md.LastStatusChange),
		Mode:            "0o" + strconv.FormatUint(uint64(md.Mode), 8),
		Owner:           md.UserID,
		Size:            md.Size,
		Group:           md.GroupID,
		ProtectionClass: md.ProtectionClass,
		Target:          safetext.EscapeInvalid(md.Target),
	}
}

func timeOf(t time.Time) timefmt.Time {
	if !timefmt.Valid(t) {
		return timefmt.Time{}
	}
	return timefmt.Of(t.UTC())
}

// Name returns the file's name in the acquisition: "<domain>/<relativePath>".
func (f *File) Name() string {
	if f.RelativePath == "" {
		return f.Domain
	}
	return f.Domain + "/" + f.RelativePath
}

// eventTime is the time alerts about the file carry: its birth, else its last
// modification.
func (f *File) eventTime() time.Time {
	if !f.Created.IsZero() || f.Metadata == nil {
		return f.Created.Time
	}
	return f.Modified.Time
}

// Timeline implements module.Timeliner, MACB style: one event per distinct time among
// modified (M), status changed (C) and created (B), named by the letters that share it
// ("M-CB" when all three are equal; the access time, A, is not recorded).
func (f *File) Timeline() []module.Event {
	if f.Metadata == nil {
		return nil
	}
	data := f.RelativePath + " - " + f.Domain
	var out []module.Event
	for _, t := range []time.Time{f.Modified.Time, f.StatusChanged.Time, f.Created.Time} {
		if t.IsZero() || seen(out, t) {
			continue
		}
		macb := []byte("----")
		if t.Equal(f.Modified.Time) {
			macb[0] = 'M'
		}
		if t.Equal(f.StatusChanged.Time) {
			macb[2] = 'C'
		}
		if t.Equal(f.Created.Time) {
			macb[3] = 'B'
		}
		out = append(out, module.Event{Time: t, Event: string(macb), Data: data})
	}
	return out
}

func seen(events []module.Event, t time.Time) bool {
	for _, e := range events {
		if e.Time.Equal(t) {
			return true
		}
	}
	return false
}
