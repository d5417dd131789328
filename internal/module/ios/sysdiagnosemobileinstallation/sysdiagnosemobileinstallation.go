// Package sysdiagnosemobileinstallation reads the MobileInstallation logs of an iOS
// sysdiagnose archive: the text log in which installd, the daemon that installs, updates
// and removes apps, notes every install and uninstall, which process asked for it and
// where the app went. It shows apps that came and went, including apps removed before
// the phone was examined, and the channel they were installed through (App Store,
// Xcode and other developer tools, a computer).
//
// The artifacts are logs/MobileInstallation/mobile_installation.log.0, .log.1, … in the
// archive (every name matching mobile_installation.log*; names are relative to the
// archive's sysdiagnose_<date>_iPhone-OS_… folder); on the phone they are
// /private/var/installd/Library/Logs/MobileInstallation/. They are not in iTunes
// backups.
//
// Format: one entry per line, "Mon Apr  7 06:13:34 2025 [234] <notice> (0x16b48f000)
// -[MIInstaller performInstallationWithError:]: <message>" (time, installd's pid, log
// level, thread, the Objective-C method or C function that wrote it, message); a
// message may continue on the following lines (property lists, option dictionaries),
// which are added to it. The messages read are, as written by iOS 12 to 26:
//   - Install of "<path>" type <Customer|Placeholder|Developer|System> (LSInstallType = …)
//     requested by <process> (pid <n>[ (<uid>/<gid>)]) → install_requested;
//   - Installing <MIInstallableBundle|BundlePatch|ParallelPlaceholder ID=<id>;
//     [Persona=<p>,] Version=<v>, ShortVersion=<s>> → installing;
//   - Install Successful for (<id>) (iOS 12) or (<Type>:<id>) (later; iOS 26 writes
//     "successful") → installed, or updated when the app was installed or patched before
//     in the logs;
//   - Attempting <Delta|Parallel…> patch update of <id> from <v> to <v> (<s>) →
//     patch_update;
//   - Uninstall requested by <process> (pid <n> …) for identifier <id> (iOS 12) / for
//     identity [<id>/<persona>] (later) → uninstall_requested;
//   - Uninstalling identifier <id> → uninstalled;
//   - Destroying container with identifier <id> at <path> (to iOS 15) / Destroying
//     container <id> with persona <p> at <path> (iOS 16 on) → container_destroyed;
//   - main: Reboot detected → reboot_detected.
//
// The request is tied to the install that follows on the same thread, so installing,
// installed and updated records carry the requesting process, the install type and the
// source path; installed records carry the bundle container from "Made container live
// for <id> at /private/var/containers/Bundle/…"; uninstalled records carry the process
// that asked for the uninstall. Other lines are not records.
//
// Times: the lines are in the phone's local time, without a zone, with the year. They
// are converted to UTC with the phone's offset when the sysdiagnose was taken (from the
// archive name in sysdiagnose.log, sysdiagnoseps.ParseCollectionTimeLocal); a line
// written under another offset (before a daylight-saving change, in another country)
// is off by the difference. When the offset is unknown timestamp is null and the time
// is kept as written (timestamp_local); such records are not on the timeline. Records
// are in time order (the log files are merged, older rotations first).
//
// MVT has no equivalent (its check-sysdiagnose command has no modules). The EC-DIGIT-
// CSIRC sysdiagnose framework's mobileinstallation parser reads the same files into
// generic entries (loglevel, hexID, event_type, message, whose names are kept here);
// this module also extracts the app events (as iLEAPP's mobileInstall artifact does),
// bounds line length, line count and message length, and checks the events.
package sysdiagnosemobileinstallation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseps"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "sysdiagnose_mobile_installation"

// Pattern matches the logs in a sysdiagnose archive.
const Pattern = "logs/MobileInstallation/mobile_installation.log*"

// Module reads mobile_installation.log*.
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
		Class:       "SysdiagnoseMobileInstallation",
		Version:     1,
		Description: "App installs, updates and uninstalls logged by installd (logs/MobileInstallation/mobile_installation.log*)",
		Kinds:       []acquire.Kind{acquire.IOSSysdiagnose},
		Paths:       []string{Pattern, sysdiagnoseps.LogPath},
	}
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return newChecker(env) }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var logs []string
	var zone *time.Location
	for _, name := range in.Files {
		if name == sysdiagnoseps.LogPath {
			zone = phoneZone(in, out)
			continue
		}
		logs = append(logs, name)
	}
	if len(logs) == 0 {
		return module.ErrNotFound
	}
	slices.SortStableFunc(logs, func(a, b string) int { return cmp.Compare(rotation(b), rotation(a)) })
	var all []entry
	var errs []error
	for _, name := range logs {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := in.ReadFile(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %q: %w", name, err))
			continue
		}
		all = append(all, parseLog(data, name, maxEntries-len(all), func(p string) { out.Problem("%s", p) })...)
	}
	if len(errs) == len(logs) {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		out.Problem("%v", err)
	}
	// Older rotations first, then by the written time; the sort is stable so lines of
	// the same second keep their file order.
	slices.SortStableFunc(all, func(a, b entry) int { return a.local.Compare(b.local) })
	recs := interpret(all, zone)
	for i, r := range recs {
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := out.Record(r); err != nil {
			return err
		}
	}
	return nil
}

// rotation is the number of a rotated log (mobile_installation.log.3 → 3); the live
// log without a number is the newest (-1).
func rotation(name string) int {
	ext := path.Ext(name)
	n, err := strconv.Atoi(strings.TrimPrefix(ext, "."))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// phoneZone returns the phone's zone when the sysdiagnose was taken, nil when unknown.
func phoneZone(in *module.Input, out *module.Output) *time.Location {
	data, err := in.ReadFile(sysdiagnoseps.LogPath)
	if err != nil {
		out.Problem("%s: %v (times are kept in the phone's local time, without UTC)", sysdiagnoseps.LogPath, err)
		return nil
	}
	t, ok := sysdiagnoseps.ParseCollectionTimeLocal(data)
	if !ok {
		in.Log.Info("no collection date in sysdiagnose.log; times are kept in the phone's local time, without UTC")
		return nil
	}
	return t.Location()
}

// toUTC converts a written wall-clock time with zone; zero when zone is nil.
func toUTC(local time.Time, zone *time.Location) (time.Time, string) {
	if zone == nil {
		return time.Time{}, ""
	}
	t := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, zone)
	if !timefmt.Valid(t) {
		return time.Time{}, ""
	}
	return t.UTC(), t.Format("-0700")
}

// interpret turns entries (in time order) into records, tying requests to the
// installs and uninstalls that follow them.
func interpret(entries []entry, zone *time.Location) []*Record {
	var recs []*Record
	pendingReq := map[string]*Record{}   // thread → install request not yet tied to an install
	installing := map[string]*Record{}   // bundle id → current installing record
	bundlePath := map[string]string{}    // bundle id → bundle container made live
	installedOnce := map[string]bool{}   // bundle id → a full (not placeholder) install was seen
	patched := map[string]bool{}         // bundle id → a patch update is in progress
	uninstallReq := map[string]*Record{} // bundle id → uninstall request
	for i := range entries {
		e := &entries[i]
		f, ok := classify(e)
		if !ok {
			if id, p, ok := containerLive(e.message); ok && strings.Contains(p, "/containers/Bundle/") {
				bundlePath[id] = p
			}
			continue
		}
		utc, off := toUTC(e.local, zone)
		r := &Record{
			Timestamp: timefmt.Of(utc), TimestampLocal: e.localText, UTCOffset: off,
			Action: f.action, BundleID: f.bundleID, Version: f.version, ShortVersion: f.short, FromVersion: f.from,
			InstallType: f.installType, RequestedBy: f.requestedBy, RequestedByPID: f.requesterPID,
			SourcePath: f.sourcePath, Path: f.path, Persona: f.persona,
			PID: e.pid, Loglevel: e.level, HexID: e.thread, EventType: e.eventType, Message: e.message,
			File: e.file, Line: e.line,
		}
		switch f.action {
		case ActionInstallRequested:
			pendingReq[e.thread] = r
		case ActionInstalling:
			if req := pendingReq[e.thread]; req != nil {
				delete(pendingReq, e.thread)
				if req.BundleID == "" {
					req.BundleID = r.BundleID
				}
				r.InstallType, r.RequestedBy, r.RequestedByPID, r.SourcePath = req.InstallType, req.RequestedBy, req.RequestedByPID, req.SourcePath
			}
			if r.BundleID != "" {
				installing[r.BundleID] = r
				delete(bundlePath, r.BundleID)
			}
		case ActionPatchUpdate:
			if r.BundleID != "" {
				patched[r.BundleID] = true
			}
		case ActionInstalled:
			id := r.BundleID
			if cur := installing[id]; cur != nil {
				delete(installing, id)
				r.Version, r.ShortVersion = cur.Version, cur.ShortVersion
				r.RequestedBy, r.RequestedByPID, r.SourcePath = cur.RequestedBy, cur.RequestedByPID, cur.SourcePath
				if r.InstallType == "" {
					r.InstallType = cur.InstallType
				}
			}
			if p, ok := bundlePath[id]; ok {
				r.Path = p
				delete(bundlePath, id)
			}
			if r.InstallType != "Placeholder" {
				if installedOnce[id] || patched[id] {
					r.Action = ActionUpdated
				}
				installedOnce[id] = true
			}
			delete(patched, id)
		case ActionUninstallRequested:
			if r.BundleID != "" {
				uninstallReq[r.BundleID] = r
			}
		case ActionUninstalled:
			if req := uninstallReq[r.BundleID]; req != nil {
				delete(uninstallReq, r.BundleID)
				r.RequestedBy, r.RequestedByPID = req.RequestedBy, req.RequestedByPID
			}
			delete(installedOnce, r.BundleID)
		}
		recs = append(recs, r)
	}
	return recs
}
