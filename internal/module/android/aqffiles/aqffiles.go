// Package aqffiles reads files.json of an androidqf collection: the list of files
// androidqf found on the phone (in /sdcard, /system, /vendor, /product, /apex,
// /data/local/tmp, /data/media/0, /data/log, /data/data… and, with the collector, the
// whole reachable file system), with their sizes, modes, owners, times, SELinux
// labels and, when the collector hashed them, MD5/SHA-1/SHA-256/SHA-512. It matches
// MVT's AQFFiles module (`aqf_files`).
//
// Format variants, by how androidqf listed the files:
//   - the collector (`collector find -H`): mode is a Go FileMode string
//     ("-rwxr-xr-x"), user_id and group_id numbers, changed/modified/access times,
//     context, hashes and mime_type;
//   - `find -printf` (no collector): mode is octal digits ("755"), user and group are
//     names (user_name/group_name; a name found in user_id or group_id is moved
//     there), only modified_time; the other times are written as 0, which is read as
//     absent (MVT turns them into 1970 events);
//   - plain `find`: path only.
//
// The file is a JSON array (current androidqf) or NDJSON (one object per line, older
// builds; MVT reads both). It can list millions of files: it is streamed, one entry
// at a time (MaxEntrySize bytes at most each, MaxEntries in all), never loaded whole.
// An NDJSON line or array element that is not an object is a problem; a syntax error
// in the array stops the reading there.
//
// Times are Unix seconds (UTC). The record keeps them in UTC (modified_time…); when
// the device's zone is known (persist.sys.timezone of getprop.txt or the 2022
// getprop.json) the wall clock is in *_local and device_timezone names the zone. MVT
// writes the device wall clock into modified_time… and the timeline as if it were UTC.
//
// Checks: path → file path / file name indicators, CRITICAL; sha256, then sha1, then
// md5 → hash indicators, CRITICAL (MVT checks sha256 only). Heuristic
// aqf_files/tmp-file (HIGH, MVT's "Found [executable ]file at suspicious path"): a
// file under /data/local/tmp/ other than androidqf's collector; MVT runs it only when
// indicators are loaded, it always runs here; folders (mode "d…") are left out, and
// an octal mode is read correctly when saying whether the file is executable (MVT
// looks for an "x" in the mode).
package aqffiles

import (
	"context"
	"fmt"
	"io/fs"
	"time"
	_ "time/tzdata" // device zones are loaded by name

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "aqf_files"

// Files of a collection this module reads.
const (
	FilesJSON   = "files.json"
	GetpropTxt  = "getprop.txt"
	GetpropJSON = "getprop.json"
)

// ZoneUnknown is device_timezone when the zone is not known.
const ZoneUnknown = "unknown"

// LocalLayout is how *_local times are written.
const LocalLayout = "2006-01-02 15:04:05"

// Module reads files.json.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module. getprop is read for the device's zone only.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "AQFFiles",
		Version:     1,
		Description: "Files listed by androidqf on the phone (files.json): owners, modes, times, hashes",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
		Paths:       []string{FilesJSON, GetpropTxt, GetpropJSON},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if _, err := fs.Stat(in.FS, FilesJSON); err != nil {
		return module.ErrNotFound
	}
	loc, zone := DeviceZone(in)
	f, err := in.Open(FilesJSON)
	if err != nil {
		return fmt.Errorf("read %q: %w", FilesJSON, err)
	}
	defer f.Close()
	n, problems, err := Read(f, func(i int, e Entry) error {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return out.Record(NewRecord(i, e, loc, zone))
	})
	for _, p := range problems {
		out.Problem("%s: %s", FilesJSON, p)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("read %q: %w", FilesJSON, err)
	}
	in.Log.Info("read files.json", "entries", n, "device_timezone", zone)
	return nil
}

// DeviceZone reads the device's zone from getprop.txt, else getprop.json: the
// location (nil when unknown) and its name (ZoneUnknown when unknown).
func DeviceZone(in *module.Input) (*time.Location, string) {
	if data, err := readIfExists(in, GetpropTxt); err == nil && data != nil {
		p, _ := props.Parse(data)
		if loc, name, ok := p.Zone(); ok {
			return loc, name
		}
	}
	if data, err := readIfExists(in, GetpropJSON); err == nil && data != nil {
		if p, err := props.ParseJSON(data); err == nil {
			if loc, name, ok := p.Zone(); ok {
				return loc, name
			}
		}
	}
	return nil, ZoneUnknown
}

func readIfExists(in *module.Input, name string) ([]byte, error) {
	if _, err := fs.Stat(in.FS, name); err != nil {
		return nil, nil
	}
	data, err := in.ReadFile(name)
	if err != nil {
		in.Log.Warn("unreadable, device time zone not taken from it", "file", name, "err", err)
	}
	return data, err
}

// NewRecord builds the record of entry number n.
func NewRecord(n int, e Entry, loc *time.Location, zone string) *Record {
	r := &Record{
		Path:           e.Text("path"),
		Mode:           e.Text("mode"),
		UserName:       e.Text("user_name"),
		GroupName:      e.Text("group_name"),
		Error:          e.Text("error"),
		Context:        e.Text("context"),
		SHA1:           e.Text("sha1"),
		SHA256:         e.Text("sha256"),
		SHA512:         e.Text("sha512"),
		MD5:            e.Text("md5"),
		MimeType:       e.Text("mime_type"),
		DeviceTimezone: zone,
		Entry:          n,
	}
	r.Size, _ = e.Int("size")
	var ok bool
	if r.UserID, ok = e.Int("user_id"); !ok && r.UserName == "" {
		r.UserName = e.Text("user_id")
	}
	if r.GroupID, ok = e.Int("group_id"); !ok && r.GroupName == "" {
		r.GroupName = e.Text("group_id")
	}
	r.Executable = executable(r.Mode)
	for _, t := range []struct {
		key   string
		utc   *timefmt.Time
		local *string
	}{
		{"changed_time", &r.ChangedTime, &r.ChangedTimeLocal},
		{"modified_time", &r.ModifiedTime, &r.ModifiedTimeLocal},
		{"access_time", &r.AccessTime, &r.AccessTimeLocal},
	} {
		sec, ok := e.Seconds(t.key)
		if !ok || sec == 0 {
			continue
		}
		u := timefmt.FromUnix(sec)
		if u.IsZero() {
			continue
		}
		*t.utc = timefmt.Of(u)
		if loc != nil {
			*t.local = u.In(loc).Format(LocalLayout)
		}
	}
	return r
}

// executable reads a Go FileMode string ("-rwxr-xr-x", type letters first) or octal
// digits ("755", "0755", "100755").
func executable(mode string) *bool {
	if mode == "" {
		return nil
	}
	yes, no := true, false
	octal := true
	for _, c := range mode {
		if c < '0' || c > '7' {
			octal = false
			break
		}
	}
	if octal {
		var v uint64
		for _, c := range mode {
			v = v<<3 | uint64(c-'0')
			if v > 1<<32 {
				return nil
			}
		}
		if v&0o111 != 0 {
			return &yes
		}
		return &no
	}
	if len(mode) < 9 {
		return nil
	}
	perm := mode[len(mode)-9:]
	for _, i := range []int{2, 5, 8} {
		if perm[i] == 'x' || perm[i] == 's' || perm[i] == 't' {
			return &yes
		}
	}
	return &no
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
