// Package dumpsysgetprop reads the system properties of an Android bug report.
//
// The artifact is the SYSTEM PROPERTIES block of the dumpstate text (the output of
// getprop: "[name]: [value]" lines), served by the bug report acquisition as
// @sections/system_properties; on the device the properties live in /dev/__properties__
// and the build.prop files. The format has not changed across Android versions; values
// holding newlines continue on the following lines (see package props). Properties
// carry no time.
//
// The security patch level (ro.build.version.security_patch, YYYY-MM-DD) is compared
// with the bug report's own date, the "== dumpstate: YYYY-MM-DD HH:MM:SS" line of
// @sections/dumpstate_header (device wall clock; a day's precision is all the check
// needs), never with the analyst's clock: MVT compares with the day it runs, so the
// same report raises or not depending on when it is checked. The date used is written
// into the patch record as bugreport_date, so the check also runs on reloaded records;
// without a dumpstate header the check is not made (a log line says so).
//
// It corresponds to MVT's DumpsysGetProp module ({name, value} records, property-name
// indicators at CRITICAL, the patch level older than six months of 31 days at
// MEDIUM). Unlike MVT, properties with an empty value and multi-line values are kept.
package dumpsysgetprop

import (
	"context"
	"slices"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// Name is the module's slug.
const Name = "dumpsys_get_prop"

// Module reads the system properties of a bug report.
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
		Class:       "DumpsysGetProp",
		Version:     1,
		Description: "System properties of a bug report (SYSTEM PROPERTIES), with the security patch level",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{props.SystemPropertiesSection, props.DumpstateHeaderSection},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, props.SystemPropertiesSection) {
		return module.ErrNotFound
	}
	date := ""
	if slices.Contains(in.Files, props.DumpstateHeaderSection) {
		if h, err := in.ReadFile(props.DumpstateHeaderSection); err == nil {
			_, date, _ = props.DumpstateTime(h)
		}
	}
	if date == "" {
		in.Log.Warn("the bug report's date is unknown (no dumpstate header): the security patch level is not compared")
	}
	data, err := in.ReadFile(props.SystemPropertiesSection)
	if err != nil {
		return err
	}
	recs, problems := Parse(data, date)
	for _, p := range problems {
		out.Problem("%s: %s", props.SystemPropertiesSection, p)
	}
	return module.Emit(ctx, out, recs)
}

// Parse reads the properties; date (the bug report's date as written in the dumpstate
// header, or "") is put into the security patch record.
func Parse(data []byte, date string) ([]*Property, []string) {
	ps, problems := props.Parse(data)
	recs := make([]*Property, 0, len(ps))
	for _, p := range ps {
		rec := &Property{Name: p.Name, Value: p.Value}
		if p.Name == props.SecurityPatchName {
			rec.BugreportDate = date
		}
		recs = append(recs, rec)
	}
	return recs, problems
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Property](data) }
