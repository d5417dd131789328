// Package sysdiagnoseinfo describes the phone a sysdiagnose archive comes from and the
// archive itself: when it was taken (in UTC), the phone's time zone offset at the time,
// the model and the iOS version.
//
// It reads, in the archive (names relative to its sysdiagnose_… top folder; on the
// phone sysdiagnose writes the archive to
// /private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/):
//   - the archive's name, sysdiagnose_YYYY.MM.DD_HH-MM-SS±zzzz_<platform>_<model
//     class>_<build> (platform "iPhone-OS", or "iPhone_OS" before iOS 13; model class
//     "iPhone", "iPad"), whose time is the phone's clock with its offset from UTC. The
//     name is read twice: from sysdiagnose.log, where sysdiagnose writes the folder it
//     fills (IN_PROGRESS_sysdiagnose_<name>.tmp/…; the date through
//     sysdiagnoseps.ParseCollectionTimeLocal, so that both modules agree), and from the
//     acquisition itself (the archive's top folder, else the base name of the opened
//     archive or folder, when the acquisition says them);
//   - logs/SystemVersion/SystemVersion.plist (a copy of the phone's
//     /System/Library/CoreServices/SystemVersion.plist): ProductName, ProductVersion,
//     ProductBuildVersion;
//   - remotectl_dumpstate.txt (the output of `remotectl dumpstate`): the "Local device"
//     block's Product Type, OS Build and Properties (ProductType, HWModel, OSVersion,
//     BuildVersion, ProductName, SerialNumber, UniqueDeviceID). The blocks of paired
//     devices ("Found …") are left out.
//
// The collection time is converted to UTC with the offset the name gives; the phone's
// clock is kept as text beside it. Each field comes from the first source that gives
// it (time and zone: sysdiagnose.log, then the archive name; version and build:
// SystemVersion.plist, then remotectl_dumpstate.txt, then the names), and the record
// says which; sources that disagree are noted as problems and in the record.
//
// MVT has no equivalent (its check-sysdiagnose command has no modules); the keys follow
// the EC-DIGIT-CSIRC sysdiagnose framework's case metadata (serial_number,
// unique_device_id, ios_version, model) and its sys and remotectl_dumpstate parsers.
// The sysdiagnose_info/outdated-ios heuristic compares the iOS version with the newest
// release of the same major version published by the collection date, as
// backup_info/outdated-ios does for backups.
package sysdiagnoseinfo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/iosrelease"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/backupinfo"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseps"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "sysdiagnose_info"

// Names of the artifacts in a sysdiagnose archive, and of the acquisition's name as a
// source.
const (
	LogPath           = sysdiagnoseps.LogPath
	SystemVersionPath = "logs/SystemVersion/SystemVersion.plist"
	DumpstatePath     = "remotectl_dumpstate.txt"
	SourceArchiveName = "archive name"
)

// Module reads the archive's name, sysdiagnose.log, SystemVersion.plist and
// remotectl_dumpstate.txt.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Module = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "SysdiagnoseInfo",
		Version:     1,
		Description: "The phone and the sysdiagnose: collection time, time zone, model, iOS version (archive name, sysdiagnose.log, SystemVersion.plist, remotectl_dumpstate.txt)",
		Kinds:       []acquire.Kind{acquire.IOSSysdiagnose},
		Paths:       []string{LogPath, SystemVersionPath, DumpstatePath},
		Single:      true,
	}
}

// named is implemented by acquisitions that know the top folder they were opened at
// (iosfs.Dump): Prefix is the archive's top folder ("" when there is none), Root the
// opened path.
type named interface {
	Prefix() string
	Root() string
}

// AcquisitionName returns the name the acquisition carries: its top folder, else the
// base name of the path it was opened at; "" when it does not say.
func AcquisitionName(fsys any) string {
	n, ok := fsys.(named)
	if !ok {
		return ""
	}
	if p := n.Prefix(); p != "" {
		return filepath.Base(filepath.FromSlash(p))
	}
	if r := n.Root(); r != "" {
		return filepath.Base(r)
	}
	return ""
}

// sources read by Run.
type sources struct {
	archive, log *ArchiveName
	sysVersion   map[string]any
	dump         *Dumpstate
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var src sources
	if name := AcquisitionName(in.FS); name != "" {
		n, err := ParseArchiveName(name)
		switch {
		case err == nil:
			src.archive = &n
		case strings.HasPrefix(name, namePrefix):
			out.Problem("archive name %q: %v", name, err)
		default:
			in.Log.Info(fmt.Sprintf("the acquisition's name %q is not a sysdiagnose archive's name", name))
		}
	}
	var errs []error
	for _, name := range in.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := in.ReadFile(name)
		if err == nil {
			err = src.read(name, data, out)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("read %q: %w", name, err))
		}
	}
	if src.archive == nil && len(errs) == len(in.Files) {
		if len(errs) == 0 {
			return module.ErrNotFound
		}
		return errors.Join(errs...)
	}
	for _, err := range errs {
		out.Problem("%v", err)
	}
	rec := build(src)
	for _, c := range rec.Conflicts {
		out.Problem("%s", c)
	}
	return out.Record(rec)
}

// read parses one file into src.
func (s *sources) read(name string, data []byte, out *module.Output) error {
	switch name {
	case LogPath:
		n, ok, err := nameFromLog(data)
		if !ok {
			if err != nil {
				return err
			}
			return errors.New("no IN_PROGRESS_sysdiagnose_<date> line")
		}
		if err != nil {
			out.Problem("%s: the archive name it records: %v (only its date is used)", name, err)
		}
		s.log = &n
	case SystemVersionPath:
		v, err := plistx.Decode(data, plistx.Limits{})
		if err != nil {
			return err
		}
		m, ok := plistx.AsMap(v)
		if !ok {
			return fmt.Errorf("top level is %T, want a dictionary", v)
		}
		s.sysVersion = map[string]any{}
		for _, k := range []string{"ProductName", "ProductVersion", "ProductBuildVersion"} {
			s.sysVersion[k] = plistx.JSONValue(m[k])
		}
	case DumpstatePath:
		d, err := parseDumpstate(data, func(line int, err error) { out.Problem("%s line %d: %v", name, line, err) })
		if err != nil {
			return err
		}
		s.dump = d
	}
	return nil
}

// field is one value offered by a source.
type field struct {
	value, source string
}

// resolver picks, per record field, the first source's value and notes disagreements.
type resolver struct {
	rec *Info
}

// pick sets *dst to the first non-empty candidate, records its source, and notes the
// candidates that differ (compared with eq).
func (r resolver) pick(key string, dst **string, eq func(a, b string) bool, cands ...field) {
	var first *field
	for i := range cands {
		c := &cands[i]
		if c.value == "" {
			continue
		}
		if first == nil {
			first = c
			v := c.value
			*dst = &v
			r.rec.Sources[key] = c.source
			continue
		}
		if !eq(first.value, c.value) {
			r.rec.Conflicts = append(r.rec.Conflicts, fmt.Sprintf("%s: %s says %q, %s says %q", key, first.source, first.value, c.source, c.value))
		}
	}
}

func same(a, b string) bool { return a == b }

// build makes the record from the sources read.
func build(s sources) *Info {
	rec := &Info{Sources: map[string]string{}, Conflicts: []string{}, ArchiveName: s.archive, LogName: s.log,
		SystemVersion: s.sysVersion, RemotectlDumpstate: s.dump}
	r := resolver{rec}
	names := []struct {
		n      *ArchiveName
		source string
	}{{s.log, LogPath}, {s.archive, SourceArchiveName}}
	nameField := func(get func(n *ArchiveName) string) []field {
		var out []field
		for _, x := range names {
			if x.n != nil {
				out = append(out, field{get(x.n), x.source})
			}
		}
		return out
	}
	// Time and zone: the first name that has them; the other must agree.
	var when *ArchiveName
	for _, x := range names {
		if x.n == nil {
			continue
		}
		if when == nil {
			when = x.n
			rec.CollectionTime = timefmt.Of(x.n.CollectionTime.Time)
			lt, off, secs := x.n.LocalTime, x.n.TimezoneOffset, x.n.TimezoneOffsetSeconds
			rec.CollectionTimeLocal, rec.TimezoneOffset, rec.TimezoneOffsetSeconds = &lt, &off, &secs
			rec.Sources["collection_time"], rec.Sources["timezone_offset"] = x.source, x.source
			continue
		}
		if !x.n.CollectionTime.Equal(when.CollectionTime.Time) {
			rec.Conflicts = append(rec.Conflicts, fmt.Sprintf("collection_time: %s says %s UTC, %s says %s UTC",
				rec.Sources["collection_time"], when.CollectionTime, x.source, x.n.CollectionTime))
		}
		if x.n.TimezoneOffsetSeconds != when.TimezoneOffsetSeconds {
			rec.Conflicts = append(rec.Conflicts, fmt.Sprintf("timezone_offset: %s says %q, %s says %q",
				rec.Sources["timezone_offset"], when.TimezoneOffset, x.source, x.n.TimezoneOffset))
		}
	}
	r.pick("platform", &rec.Platform, same, nameField(func(n *ArchiveName) string { return n.Platform })...)
	r.pick("model_class", &rec.ModelClass, same, nameField(func(n *ArchiveName) string { return n.ModelClass })...)

	// The OS.
	sv := func(k string) string {
		v, _ := s.sysVersion[k].(string)
		return strings.TrimSpace(v)
	}
	dp := func(k string) string {
		if s.dump == nil {
			return ""
		}
		return s.dump.Properties[k]
	}
	var dumpVersion, dumpBuild string
	if s.dump != nil {
		dumpVersion, dumpBuild = osBuild(s.dump.OSBuild)
	}
	r.pick("product_name", &rec.ProductName, same,
		field{sv("ProductName"), SystemVersionPath}, field{dp("ProductName"), DumpstatePath})
	versions := []field{{sv("ProductVersion"), SystemVersionPath}, {dp("OSVersion"), DumpstatePath}, {dumpVersion, DumpstatePath}}
	builds := []field{{sv("ProductBuildVersion"), SystemVersionPath}, {dp("BuildVersion"), DumpstatePath}, {dumpBuild, DumpstatePath}}
	builds = append(builds, nameField(func(n *ArchiveName) string { return n.Build })...)
	versions = append(versions, nameField(func(n *ArchiveName) string { return n.Version })...)
	r.pick("ios_version", &rec.IOSVersion, sameVersion, dedupe(versions)...)
	r.pick("build", &rec.Build, same, dedupe(builds)...)

	// The hardware.
	var dumpType string
	if s.dump != nil {
		dumpType = s.dump.ProductType
	}
	r.pick("model", &rec.Model, same, dedupe([]field{{dp("ProductType"), DumpstatePath}, {dumpType, DumpstatePath}})...)
	r.pick("hw_model", &rec.HWModel, same, field{dp("HWModel"), DumpstatePath})
	r.pick("serial_number", &rec.SerialNumber, same, field{dp("SerialNumber"), DumpstatePath})
	r.pick("unique_device_id", &rec.UniqueDeviceID, same, field{dp("UniqueDeviceID"), DumpstatePath})
	if rec.Model != nil {
		if name := backupinfo.ModelName(*rec.Model); name != "" {
			rec.ModelName = &name
			rec.Sources["model_name"] = rec.Sources["model"]
		}
		if rec.ModelClass != nil && !strings.HasPrefix(*rec.Model, *rec.ModelClass) {
			rec.Conflicts = append(rec.Conflicts, fmt.Sprintf("model: %s says %q, %s says the model class is %q",
				rec.Sources["model"], *rec.Model, rec.Sources["model_class"], *rec.ModelClass))
		}
	}
	return rec
}

// dedupe drops a candidate that repeats the previous one from the same source (the
// Properties and the header line of remotectl_dumpstate.txt), so that a file is not
// compared with itself unless it contradicts itself.
func dedupe(fs []field) []field {
	out := fs[:0:0]
	for _, f := range fs {
		if f.value == "" {
			continue
		}
		if slices.ContainsFunc(out, func(g field) bool { return g.source == f.source && g.value == f.value }) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// sameVersion compares versions numerically ("17.0" is "17.0.0").
func sameVersion(a, b string) bool {
	return a == b || iosrelease.Valid(a) && iosrelease.Valid(b) && iosrelease.Compare(a, b) == 0
}
