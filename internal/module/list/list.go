// Package list is the registry of modules: plain slices of constructors, grouped by the
// acquisitions they read. Adding a module means one line here and one row in
// docs/modules.md.
package list

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spytrace/spytrace/internal/module/android/aqffiles"
	"github.com/spytrace/spytrace/internal/module/android/aqfgetprop"
	"github.com/spytrace/spytrace/internal/module/android/aqflogtimestamps"
	"github.com/spytrace/spytrace/internal/module/android/aqfpackages"
	"github.com/spytrace/spytrace/internal/module/android/aqfprocesses"
	"github.com/spytrace/spytrace/internal/module/android/aqfsettings"
	"github.com/spytrace/spytrace/internal/module/android/bugreporttimestamps"
	"github.com/spytrace/spytrace/internal/module/android/connectevent"
	"github.com/spytrace/spytrace/internal/module/android/dbinfo"
	"github.com/spytrace/spytrace/internal/module/android/dnsevent"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysaccessibility"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysactivities"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysadbstate"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysappops"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysbatterydaily"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysbatteryhistory"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysgetprop"
	"github.com/spytrace/spytrace/internal/module/android/dumpsyspackages"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysplatformcompat"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysreceivers"
	"github.com/spytrace/spytrace/internal/module/android/mounts"
	"github.com/spytrace/spytrace/internal/module/android/rootbinaries"
	"github.com/spytrace/spytrace/internal/module/android/securityevent"
	androidsms "github.com/spytrace/spytrace/internal/module/android/sms"
	"github.com/spytrace/spytrace/internal/module/android/tombstones"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/analytics"
	"github.com/spytrace/spytrace/internal/module/ios/analyticsiosversions"
	"github.com/spytrace/spytrace/internal/module/ios/applications"
	"github.com/spytrace/spytrace/internal/module/ios/backupinfo"
	"github.com/spytrace/spytrace/internal/module/ios/cachefiles"
	"github.com/spytrace/spytrace/internal/module/ios/calendar"
	"github.com/spytrace/spytrace/internal/module/ios/calls"
	"github.com/spytrace/spytrace/internal/module/ios/chromefavicon"
	"github.com/spytrace/spytrace/internal/module/ios/chromehistory"
	"github.com/spytrace/spytrace/internal/module/ios/configurationprofiles"
	"github.com/spytrace/spytrace/internal/module/ios/contacts"
	"github.com/spytrace/spytrace/internal/module/ios/datausage"
	"github.com/spytrace/spytrace/internal/module/ios/filesystem"
	"github.com/spytrace/spytrace/internal/module/ios/firefoxfavicon"
	"github.com/spytrace/spytrace/internal/module/ios/firefoxhistory"
	"github.com/spytrace/spytrace/internal/module/ios/globalpreferences"
	"github.com/spytrace/spytrace/internal/module/ios/idstatuscache"
	"github.com/spytrace/spytrace/internal/module/ios/interactionc"
	"github.com/spytrace/spytrace/internal/module/ios/iosversionhistory"
	"github.com/spytrace/spytrace/internal/module/ios/locationdclients"
	"github.com/spytrace/spytrace/internal/module/ios/manifest"
	"github.com/spytrace/spytrace/internal/module/ios/netusage"
	"github.com/spytrace/spytrace/internal/module/ios/osanalyticsaddaily"
	"github.com/spytrace/spytrace/internal/module/ios/profileevents"
	"github.com/spytrace/spytrace/internal/module/ios/safaribrowserstate"
	"github.com/spytrace/spytrace/internal/module/ios/safarifavicon"
	"github.com/spytrace/spytrace/internal/module/ios/safarihistory"
	"github.com/spytrace/spytrace/internal/module/ios/shortcuts"
	"github.com/spytrace/spytrace/internal/module/ios/shutdownlog"
	"github.com/spytrace/spytrace/internal/module/ios/sms"
	"github.com/spytrace/spytrace/internal/module/ios/smsattachments"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnosecrashes"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseinfo"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnosemobileinstallation"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseprofiles"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseps"
	"github.com/spytrace/spytrace/internal/module/ios/tcc"
	"github.com/spytrace/spytrace/internal/module/ios/triangulation"
	"github.com/spytrace/spytrace/internal/module/ios/webkitindexeddb"
	"github.com/spytrace/spytrace/internal/module/ios/webkitlocalstorage"
	"github.com/spytrace/spytrace/internal/module/ios/webkitresourceloadstatistics"
	"github.com/spytrace/spytrace/internal/module/ios/webkitsafariviewservice"
	"github.com/spytrace/spytrace/internal/module/ios/webkitsessionresourcelog"
	"github.com/spytrace/spytrace/internal/module/ios/whatsapp"
	"github.com/spytrace/spytrace/internal/module/ios/whatsappcontacts"
)

// Constructor makes a fresh module.
type Constructor func() module.Module

// iosBackup are the modules that read an iOS backup, in report order: the backup's own
// files first, then the artifacts.
var iosBackup = []Constructor{
	func() module.Module { return backupinfo.New() },
	func() module.Module { return manifest.New() },
	func() module.Module { return configurationprofiles.New() },
	func() module.Module { return profileevents.New() },
	func() module.Module { return globalpreferences.New() },
	func() module.Module { return applications.New() },
	func() module.Module { return sms.New() },
	func() module.Module { return smsattachments.New() },
	func() module.Module { return calls.New() },
	func() module.Module { return contacts.New() },
	func() module.Module { return calendar.New() },
	func() module.Module { return whatsappcontacts.New() },
	func() module.Module { return whatsapp.New() },
	func() module.Module { return interactionc.New() },
	func() module.Module { return shortcuts.New() },
	func() module.Module { return safarihistory.New() },
	func() module.Module { return safaribrowserstate.New() },
	func() module.Module { return chromehistory.New() },
	func() module.Module { return chromefavicon.New() },
	func() module.Module { return firefoxhistory.New() },
	func() module.Module { return firefoxfavicon.New() },
	func() module.Module { return webkitresourceloadstatistics.New() },
	func() module.Module { return webkitsessionresourcelog.New() },
	func() module.Module { return datausage.New() },
	func() module.Module { return osanalyticsaddaily.New() },
	func() module.Module { return locationdclients.New() },
	func() module.Module { return idstatuscache.New() },
	func() module.Module { return tcc.New() },
	func() module.Module { return triangulation.New() },
}

// iosFilesystem are the modules that read only file-system dumps (the modules above
// that also run on dumps say so in their Info.Kinds: they read the dump through the
// backup's domain names).
var iosFilesystem = []Constructor{
	func() module.Module { return netusage.New() },
	func() module.Module { return analytics.New() },
	func() module.Module { return analyticsiosversions.New() },
	func() module.Module { return iosversionhistory.New() },
	func() module.Module { return safarifavicon.New() },
	func() module.Module { return webkitindexeddb.New() },
	func() module.Module { return webkitlocalstorage.New() },
	func() module.Module { return webkitsafariviewservice.New() },
	func() module.Module { return cachefiles.New() },
	func() module.Module { return shutdownlog.New() },
	func() module.Module { return filesystem.New() },
}

// iosSysdiagnose are the modules that read only sysdiagnose archives (shutdown_log,
// above, reads them too).
var iosSysdiagnose = []Constructor{
	func() module.Module { return sysdiagnoseinfo.New() },
	func() module.Module { return sysdiagnoseps.New() },
	func() module.Module { return sysdiagnosecrashes.New() },
	func() module.Module { return sysdiagnoseprofiles.New() },
	func() module.Module { return sysdiagnosemobileinstallation.New() },
}

// androidBugreport are the modules that read an Android bug report.
var androidBugreport = []Constructor{
	func() module.Module { return dumpsysgetprop.New() },
	func() module.Module { return dumpsyspackages.New() },
	func() module.Module { return dumpsysreceivers.New() },
	func() module.Module { return dumpsysactivities.New() },
	func() module.Module { return dumpsysaccessibility.New() },
	func() module.Module { return dumpsysappops.New() },
	func() module.Module { return dumpsysbatterydaily.New() },
	func() module.Module { return dumpsysbatteryhistory.New() },
	func() module.Module { return dbinfo.New() },
	func() module.Module { return dumpsysplatformcompat.New() },
	func() module.Module { return dumpsysadbstate.New() },
	func() module.Module { return bugreporttimestamps.New() },
	func() module.Module { return tombstones.New() },
}

// androidBackup are the modules that read an Android backup (.ab).
var androidBackup = []Constructor{
	func() module.Module { return androidsms.New() },
}

// androidQF are the modules that read an androidqf collection's own files (its bug
// report, backup and intrusion logs are read by the modules above, which run on
// androidqf collections too).
var androidQF = []Constructor{
	func() module.Module { return aqfpackages.New() },
	func() module.Module { return aqfprocesses.New() },
	func() module.Module { return aqfgetprop.New() },
	func() module.Module { return aqfsettings.New() },
	func() module.Module { return aqffiles.New() },
	func() module.Module { return aqflogtimestamps.New() },
	func() module.Module { return rootbinaries.New() },
	func() module.Module { return mounts.New() },
}

// androidIntrusion are the modules that read Android intrusion logs (also inside an
// androidqf collection).
var androidIntrusion = []Constructor{
	func() module.Module { return dnsevent.New() },
	func() module.Module { return connectevent.New() },
	func() module.Module { return securityevent.New() },
}

// groups maps a group name to its modules. "all" holds every module.
func groups() map[string][]Constructor {
	all := slices.Concat(iosBackup, iosFilesystem, iosSysdiagnose, androidQF, androidBugreport, androidBackup, androidIntrusion)
	return map[string][]Constructor{
		"ios/backup":             ofKind(all, acquire.IOSBackup),
		"ios/fs":                 ofKind(all, acquire.IOSFilesystem),
		"ios/sysdiagnose":        ofKind(all, acquire.IOSSysdiagnose),
		"android/bugreport":      ofKind(all, acquire.AndroidBugreport),
		"android/backup":         ofKind(all, acquire.AndroidBackup),
		"android/intrusion-logs": ofKind(all, acquire.AndroidIntrusionLogs),
		"android/androidqf":      ofKind(all, acquire.AndroidQF),
		"all":                    all,
	}
}

// ofKind keeps the constructors of modules that read kind.
func ofKind(cs []Constructor, kind acquire.Kind) []Constructor {
	var out []Constructor
	for _, c := range cs {
		if slices.Contains(c().Info().Kinds, kind) {
			out = append(out, c)
		}
	}
	return out
}

// Groups returns the group names, sorted.
func Groups() []string {
	var out []string
	for g := range groups() {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// All returns a fresh instance of every module, in registry order.
func All() []module.Module {
	return build(groups()["all"])
}

func build(cs []Constructor) []module.Module {
	out := make([]module.Module, 0, len(cs))
	for _, c := range cs {
		out = append(out, c())
	}
	return out
}

// ForKind returns every module that reads the given kind of acquisition.
func ForKind(kind acquire.Kind) []module.Module {
	var out []module.Module
	for _, m := range All() {
		if slices.Contains(m.Info().Kinds, kind) {
			out = append(out, m)
		}
	}
	return out
}

// Resolve returns the modules for kind named by names (module names or group names),
// plus every module they require, in registry order. No names means every module for
// kind. An unknown name is an error that lists the valid ones.
func Resolve(kind acquire.Kind, names []string) ([]module.Module, error) {
	avail := ForKind(kind)
	if len(names) == 0 {
		return avail, nil
	}
	byName := map[string]module.Module{}
	for _, m := range avail {
		byName[m.Info().Name] = m
	}
	want := map[string]bool{}
	var add func(name string) error
	add = func(name string) error {
		if want[name] {
			return nil
		}
		m, ok := byName[name]
		if !ok {
			return fmt.Errorf("module %q does not exist for %s acquisitions", name, kind)
		}
		want[name] = true
		for _, dep := range m.Info().Requires {
			if err := add(dep); err != nil {
				return err
			}
		}
		return nil
	}
	gs := groups()
	for _, n := range names {
		n = strings.TrimSpace(n)
		if g, ok := gs[n]; ok {
			for _, m := range build(g) {
				if _, ok := byName[m.Info().Name]; ok {
					if err := add(m.Info().Name); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		if err := add(n); err != nil {
			var valid []string
			for _, m := range avail {
				valid = append(valid, m.Info().Name)
			}
			return nil, fmt.Errorf("%w (modules: %s; groups: %s)", err, strings.Join(valid, ", "), strings.Join(Groups(), ", "))
		}
	}
	var out []module.Module
	for _, m := range avail {
		if want[m.Info().Name] {
			out = append(out, m)
		}
	}
	return out, nil
}
