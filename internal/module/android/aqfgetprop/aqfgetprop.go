// Package aqfgetprop reads the system properties of an androidqf collection.
//
// The artifact is getprop.txt, the output of `adb shell getprop` ("[name]: [value]"
// lines, values with newlines continuing on the next lines), or, from androidqf's 2022
// builds, getprop.json (a list of {"name", "value"} objects, or one object of name →
// value); both are read by package props. When both are present getprop.txt is read.
// On the device the properties live in /dev/__properties__ and the build.prop files.
// Properties carry no time.
//
// The security patch level (ro.build.version.security_patch, YYYY-MM-DD) is compared
// with the acquisition's own date, acquisition.json's started (RFC 3339, UTC), never
// with the analyst's clock (MVT compares with the day it runs, so the same collection
// raises or not depending on when it is checked). The date used is written into the
// patch record as acquisition_started, so the check also runs on reloaded records;
// without acquisition.json the check is not made (a log line says so).
//
// It corresponds to MVT's AQFGetProp (same slug and {name, value} records, property
// indicators at CRITICAL, a patch level older than six months of 31 days at MEDIUM).
// Unlike MVT, properties with an empty value and multi-line values are kept, and
// getprop.json is read.
package aqfgetprop

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// Name is the module's slug.
const Name = "aqf_get_prop"

// File names in an androidqf collection.
const (
	TextFile        = "getprop.txt"
	JSONFile        = "getprop.json"
	AcquisitionFile = "acquisition.json"
)

// Module reads getprop.txt or getprop.json.
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
		Class:       "AQFGetProp",
		Version:     1,
		Description: "System properties of an androidqf collection (getprop.txt or getprop.json), with the security patch level",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
		Paths:       []string{TextFile, JSONFile, AcquisitionFile},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	name := ""
	switch {
	case slices.Contains(in.Files, TextFile):
		name = TextFile
	case slices.Contains(in.Files, JSONFile):
		name = JSONFile
	default:
		return module.ErrNotFound
	}
	started := ""
	if slices.Contains(in.Files, AcquisitionFile) {
		data, err := in.ReadFile(AcquisitionFile)
		if err == nil {
			started, _, err = AcquisitionStarted(data)
		}
		if err != nil {
			out.Problem("%s: %v", AcquisitionFile, err)
		}
	}
	if started == "" {
		in.Log.Warn("the acquisition's date is unknown (no acquisition.json started): the security patch level is not compared")
	}
	data, err := in.ReadFile(name)
	if err != nil {
		return err
	}
	var ps props.Props
	if name == TextFile {
		var problems []string
		ps, problems = props.Parse(data)
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
	} else if ps, err = props.ParseJSON(data); err != nil {
		return fmt.Errorf("read %q: %w", name, err)
	}
	if name == TextFile && len(ps) == 0 && len(strings.TrimSpace(string(data))) > 0 {
		return fmt.Errorf("read %q: no \"[name]: [value]\" line", name)
	}
	return module.Emit(ctx, out, Records(ps, started))
}

// Records turns properties into records; started (acquisition.json's date, or "") is
// put into the security patch record.
func Records(ps props.Props, started string) []*Property {
	recs := make([]*Property, 0, len(ps))
	for _, p := range ps {
		rec := &Property{Name: p.Name, Value: p.Value}
		if p.Name == props.SecurityPatchName {
			rec.AcquisitionStarted = started
		}
		recs = append(recs, rec)
	}
	return recs
}

// AcquisitionStarted reads acquisition.json's started: the text (RFC 3339) and the
// time. An absent or unreadable date is an error.
func AcquisitionStarted(data []byte) (string, time.Time, error) {
	var a struct {
		Started any `json:"started"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return "", time.Time{}, fmt.Errorf("not a JSON object: %w", err)
	}
	s, ok := a.Started.(string)
	if !ok {
		return "", time.Time{}, fmt.Errorf("no started date")
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("started %q is not an RFC 3339 date", s)
	}
	return t.UTC().Format(time.RFC3339), t.UTC(), nil
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Property](data) }
