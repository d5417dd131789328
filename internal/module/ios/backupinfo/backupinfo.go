// Package backupinfo describes the phone a backup comes from and the backup itself.
//
// It reads the property lists at the root of the backup folder (not backed-up files,
// so they have no domain and no device path):
//   - Info.plist, written by iTunes, Finder or idevicebackup2 (XML): device name,
//     model (Product Type, e.g. iPhone14,2), iOS version and build, serial number,
//     IMEI, ICCID, phone number, UDID, installed apps, Last Backup Date;
//   - Manifest.plist (binary): its Lockdown dictionary repeats the model, iOS version
//     and build as the phone reported them, with IsEncrypted, WasPasscodeSet and the
//     backup's Date;
//   - Status.plist (binary): IsFullBackup, Date, BackupState.
//
// Dates are plist dates (seconds since 2001-01-01 UTC), written as MVT time strings.
// The files have had these keys since iOS 10 backups; absent keys are written as null.
//
// It corresponds to MVT's BackupInfo module: one record, a dictionary with MVT's
// eighteen keys from Info.plist, plus the model's marketing name and what
// Manifest.plist and Status.plist say. Unlike MVT, a backup without a readable
// Info.plist still gets a record (built from Manifest.plist's Lockdown dictionary and
// the backup dates) instead of none, and data values are written as base64 instead of
// failing. MVT logs a warning when the version is older than the newest in its bundled
// list, compared as of today; here the backup_info/outdated-ios heuristic compares the
// version with the newest release of the same major version published by the backup's
// own date (package iosrelease), and says so in an alert.
package backupinfo

import (
	"context"
	"fmt"
	"slices"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
)

// Name is the module's slug.
const Name = "backup_info"

// Module reads the backup's root property lists.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Module = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "BackupInfo",
		Version:     1,
		Description: "The phone and the backup: model, iOS version, identifiers, backup dates (Info.plist, Manifest.plist, Status.plist)",
		Kinds:       []acquire.Kind{acquire.IOSBackup},
		Paths:       []string{iosbackup.InfoPlist, iosbackup.ManifestPlist, iosbackup.StatusPlist},
		Single:      true,
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	plists := map[string]map[string]any{}
	err := module.EachFile(ctx, in, out, func(name string) error {
		data, err := in.ReadFile(name)
		var m map[string]any
		if err == nil {
			m, err = parse(data)
		}
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		plists[name] = m
		return nil
	})
	if err != nil || len(plists) == 0 {
		return err
	}
	rec := build(plists[iosbackup.InfoPlist], plists[iosbackup.ManifestPlist], plists[iosbackup.StatusPlist])
	if rec.Model != "" {
		in.Log.Info(fmt.Sprintf("Product Type: %v (%s)", rec.ProductType, rec.Model))
	} else {
		in.Log.Info(fmt.Sprintf("Product Type: %v", rec.ProductType))
	}
	in.Log.Info(fmt.Sprintf("Product Version: %v, Build Version: %v", rec.ProductVersion, rec.BuildVersion))
	return out.Record(rec)
}

// parse decodes one root property list.
func parse(data []byte) (map[string]any, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, err
	}
	m, ok := plistx.AsMap(v)
	if !ok {
		return nil, fmt.Errorf("top level is %T, want a dictionary", v)
	}
	return m, nil
}

// build makes the record from the decoded plists (nil when absent or unreadable).
func build(info, manifest, status map[string]any) *Info {
	rec := &Info{Sources: []string{}}
	for name, m := range map[string]map[string]any{iosbackup.InfoPlist: info, iosbackup.ManifestPlist: manifest, iosbackup.StatusPlist: status} {
		if m != nil {
			rec.Sources = append(rec.Sources, name)
		}
	}
	slices.Sort(rec.Sources)
	lockdown, _ := plistx.AsMap(manifest["Lockdown"])
	if manifest != nil {
		rec.Manifest = &ManifestInfo{
			ProductType:    plistx.JSONValue(lockdown["ProductType"]),
			ProductVersion: plistx.JSONValue(lockdown["ProductVersion"]),
			BuildVersion:   plistx.JSONValue(lockdown["BuildVersion"]),
			IsEncrypted:    plistx.JSONValue(manifest["IsEncrypted"]),
			WasPasscodeSet: plistx.JSONValue(manifest["WasPasscodeSet"]),
			Date:           plistx.JSONValue(manifest["Date"]),
		}
	}
	if status != nil {
		rec.Status = &StatusInfo{
			IsFullBackup: plistx.JSONValue(status["IsFullBackup"]),
			Date:         plistx.JSONValue(status["Date"]),
			BackupState:  plistx.JSONValue(status["BackupState"]),
		}
	}
	if info == nil {
		// Without Info.plist, the Lockdown dictionary and the backup dates say most of
		// the same.
		info = map[string]any{
			"Build Version":     lockdown["BuildVersion"],
			"Device Name":       lockdown["DeviceName"],
			"Product Type":      lockdown["ProductType"],
			"Product Version":   lockdown["ProductVersion"],
			"Serial Number":     lockdown["SerialNumber"],
			"Target Identifier": lockdown["UniqueDeviceID"],
			"Unique Identifier": lockdown["UniqueDeviceID"],
			"Last Backup Date":  firstOf(status["Date"], manifest["Date"]),
		}
	}
	for _, f := range rec.mvtKeys() {
		*f.dst = plistx.JSONValue(info[f.key])
	}
	if pt, ok := info["Product Type"].(string); ok {
		rec.Model = ModelName(pt)
	}
	return rec
}

func firstOf(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}
