// Package triangulation brings together the traces that Kaspersky's triangle_check looks
// for in an iOS backup to find Operation Triangulation (the iMessage zero-click implant
// disclosed in June 2023), and judges them with its two checks.
//
// Events come from five sources, each read once by the module that owns it:
//   - Manifest.db metadata (the MBFile blob's LastModified "M", LastStatusChange "C" and
//     Birth "B", Unix seconds) of MediaDomain/Library/SMS/Attachments/ and what is below
//     it (device /private/var/mobile/Library/SMS/Attachments/),
//     RootDomain/Library/Preferences/com.apple.ImageIO.plist
//     (/private/var/root/Library/Preferences/),
//     HomeDomain/Library/Preferences/com.apple.locationd.StatusBarIconManager.plist and
//     HomeDomain/Library/Preferences/com.apple.imservice.ids.FaceTime.plist
//     (/private/var/mobile/Library/Preferences/): this module reads them with Stat, without
//     opening the files;
//   - DataUsage.sqlite (records of the datausage module): first use "NetFirst"
//     (ZFIRSTTIMESTAMP), last use "NetTimestamp" (ZPROCESS.ZTIMESTAMP) and usage row
//     "NetTimestamp2" (ZLIVEUSAGE.ZTIMESTAMP), Mac absolute time;
//   - com.apple.osanalytics.addaily.plist netUsageBaseline (records of
//     os_analytics_ad_daily): "NetUsage", a plist date;
//   - locationd's clients.plist (records of locationd_clients): LocationTimeStopped of the
//     IonosphereHarvest and WRMLinkSelection location bundles, Mac absolute time.
//
// Network events are kept for BackupAgent and for the processes triangle_check calls
// "implicit" (nehelper, com.apple.WebKit.WebContent, powerd with bundle
// com.apple.datausage.diagnostics, lockdownd with com.apple.datausage.security); every
// other process is left out, as triangle_check does.
//
// The checks (check.go) are triangle_check's: BackupAgent using the network, and
// events of two or more classes (file, network, location, SMS attachment folder) within
// one short window. Unlike triangle_check, a missing source is not a crash (the check
// runs on what exists and the record list says which sources were seen), the last ten
// events also start windows, and overlapping suspicious windows are reported once.
package triangulation

import (
	"context"
	"errors"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/datausage"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "triangulation"

// Paths of the artifacts whose file metadata are events.
const (
	AttachmentsFolder = "MediaDomain/Library/SMS/Attachments"
	ImageIOPlist      = "RootDomain/Library/Preferences/com.apple.ImageIO.plist"
	StatusBarPlist    = "HomeDomain/Library/Preferences/com.apple.locationd.StatusBarIconManager.plist"
	FaceTimePlist     = "HomeDomain/Library/Preferences/com.apple.imservice.ids.FaceTime.plist"
)

// Paths of the artifacts read by the modules this one depends on: listed so that the
// module runs when only they exist.
const (
	dataUsagePath  = "WirelessDomain/Library/Databases/DataUsage.sqlite"
	osAnalyticPath = "HomeDomain/Library/Preferences/com.apple.osanalytics.addaily.plist"
	clientsPath    = "RootDomain/Library/Caches/locationd/clients.plist"
)

// Module gathers the events.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Modules whose records this one reads.
const (
	depDataUsage   = "datausage"
	depOSAnalytics = "os_analytics_ad_daily"
	depLocationd   = "locationd_clients"
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:    Name,
		Class:   "Triangulation",
		Version: 1,
		Description: "Kaspersky's triangle_check for Operation Triangulation: BackupAgent network use and short windows " +
			"mixing file, network, location and SMS-attachment-folder events",
		Kinds: []acquire.Kind{acquire.IOSBackup},
		Paths: []string{
			attachmentPatterns[0], attachmentPatterns[1], attachmentPatterns[2], attachmentPatterns[3],
			ImageIOPlist, StatusBarPlist, FaceTimePlist,
			dataUsagePath, osAnalyticPath, clientsPath,
		},
		Requires: []string{depDataUsage, depOSAnalytics, depLocationd},
	}
}

// Event classes.
const (
	ClassFile     = "file"     // a watched file changed
	ClassNet      = "net"      // a watched process used the network
	ClassLocation = "location" // a watched location bundle stopped
	ClassSMS      = "sms"      // an SMS attachments folder (Attachments/xx or xx/yy) changed
	// ClassSMSFile is an entry deeper in the attachments folder: a real attachment,
	// which makes triangle_check discard the window it falls into.
	ClassSMSFile = "sms_attachment"
)

// Event is one record: one dated event of one source.
type Event struct {
	Isodate timefmt.Time `json:"isodate"`
	Class   string       `json:"class"`
	// Event is what happened: M, C or B (modified, status changed, born) for files;
	// NetFirst, NetTimestamp, NetTimestamp2 or NetUsage for processes;
	// LocationTimeStopped for location bundles.
	Event string `json:"event"`
	// Name is the backup path of a file (domain/relativePath), the process name, or the
	// locationd client.
	Name   string `json:"name"`
	Source string `json:"source"` // the module the event comes from ("manifest" for file metadata)
}

// Run implements module.Module: it emits the events in time order.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var events []*Event
	names, err := withFolders(in)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		class := fileClass(name)
		if class == "" {
			continue
		}
		fi, err := in.FS.Stat(name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				out.Problem("%s: %v", name, err)
			}
			continue
		}
		events = append(events, fileEvents(name, class, fi)...)
	}
	for _, dep := range []string{depDataUsage, depOSAnalytics, depLocationd} {
		recs, err := in.Dependency(dep)
		if err != nil {
			in.Log.Debug("no records", "module", dep, "error", err)
			continue
		}
		for _, rec := range recs {
			events = append(events, recordEvents(rec)...)
		}
	}
	sortEvents(events)
	for _, ev := range events {
		if err := out.Record(ev); err != nil {
			return err
		}
	}
	return nil
}

// attachmentPatterns match the entries of the SMS attachments folder down to the
// attachment files (Attachments/xx/yy/<id>/<file name>).
var attachmentPatterns = []string{AttachmentsFolder + "/*", AttachmentsFolder + "/*/*", AttachmentsFolder + "/*/*/*", AttachmentsFolder + "/*/*/*/*"}

// withFolders adds to in.Files the folders under the SMS attachments folder: the engine
// lists files only, and the folders' metadata are what triangle_check reads. Only
// directory listings are read, never a file.
func withFolders(in *module.Input) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, n := range in.Files {
		seen[n] = true
		out = append(out, n)
	}
	for _, p := range attachmentPatterns {
		matches, err := fs.Glob(in.FS, p)
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// fileClass returns the class of the events of a listed file, or "" for the artifacts
// of the dependencies.
func fileClass(name string) string {
	switch name {
	case ImageIOPlist, StatusBarPlist, FaceTimePlist:
		return ClassFile
	}
	if rest, ok := strings.CutPrefix(name, AttachmentsFolder+"/"); ok {
		if strings.Count(rest, "/") <= 1 {
			return ClassSMS
		}
		return ClassSMSFile
	}
	return ""
}

// fileEvents returns the M, C and B events of a file, from the Manifest.db metadata
// when the acquisition has them, else from the modification time.
func fileEvents(name, class string, fi fs.FileInfo) []*Event {
	ev := func(t time.Time, what string) *Event {
		return &Event{Isodate: timefmt.Of(t), Class: class, Event: what, Name: name, Source: "manifest"}
	}
	var out []*Event
	if md, ok := fi.Sys().(*iosbackup.Metadata); ok && md != nil {
		for _, e := range []struct {
			t    time.Time
			what string
		}{{md.LastModified, "M"}, {md.LastStatusChange, "C"}, {md.Birth, "B"}} {
			if timefmt.Valid(e.t) {
				out = append(out, ev(e.t, e.what))
			}
		}
		return out
	}
	if t := fi.ModTime(); timefmt.Valid(t) {
		out = append(out, ev(t, "M"))
	}
	return out
}

// BackupAgent is the process whose network use triangle_check takes as proof: the
// backup daemon of iOS 9 and earlier, replaced by BackupAgent2.
const BackupAgent = "BackupAgent"

// implicit are the processes triangle_check puts on its timeline: name, and bundle id
// when it matters.
var implicit = map[string]string{
	"nehelper":                    "",
	"com.apple.WebKit.WebContent": "",
	"powerd":                      "com.apple.datausage.diagnostics",
	"lockdownd":                   "com.apple.datausage.security",
}

// watchedProcess reports whether a process's network use is an event.
func watchedProcess(name, bundle string) bool {
	if name == BackupAgent {
		return true
	}
	want, ok := implicit[name]
	return ok && (want == "" || want == bundle)
}

// watchedClients are the locationd clients whose LocationTimeStopped is an event.
var watchedClients = []string{
	"com.apple.locationd.bundle-/System/Library/LocationBundles/IonosphereHarvest.bundle",
	"com.apple.locationd.bundle-/System/Library/LocationBundles/WRMLinkSelection.bundle",
}

// recordEvents turns a record of a dependency into events.
func recordEvents(rec any) []*Event {
	switch r := rec.(type) {
	case *datausage.Record:
		name, bundle := splitProcess(r.ProcName, r.BundleID)
		if !watchedProcess(name, bundle) {
			return nil
		}
		var out []*Event
		for _, e := range []struct {
			t    timefmt.Time
			what string
		}{{r.FirstIsodate, "NetFirst"}, {r.Isodate, "NetTimestamp"}, {r.LiveIsodate, "NetTimestamp2"}} {
			if timefmt.Valid(e.t.Time) {
				out = append(out, &Event{Isodate: e.t, Class: ClassNet, Event: e.what, Name: r.ProcName, Source: depDataUsage})
			}
		}
		return out
	}
	return dependencyEvents(rec)
}

// splitProcess reads DataUsage's "name/bundle" process names.
func splitProcess(procName, bundle string) (string, string) {
	if name, b, ok := strings.Cut(procName, "/"); ok {
		return name, b
	}
	return procName, bundle
}

// sortEvents orders events by time, then class, name and event, so that records and
// windows are deterministic.
func sortEvents(evs []*Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if !a.Isodate.Equal(b.Isodate.Time) {
			return a.Isodate.Before(b.Isodate.Time)
		}
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Event < b.Event
	})
}
