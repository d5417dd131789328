// Package dumpsysactivities reads the activities of an Android bug report: the
// "Activity Resolver Table:" → "Non-Data Actions:" part of the `dumpsys package`
// section (@sections/dumpsys/package; on the device, `dumpsys package`), which lists,
// under each intent action, the "<hash> <package>/<class>" activities that handle it.
// It has no dates.
//
// Action headers are recognised by their shape (one word ending in ":"), not by their
// exact indentation, which varies by Android version; the part ends at the table's next
// part or the next table. The parser is dumpsyspackages.ParseResolverTable, shared with
// dumpsys_receivers and reusable on androidqf's dumpsys.txt.
//
// It corresponds to MVT's DumpsysActivities module (same keys: intent, package_name,
// activity) and checks each package against app-id indicators (CRITICAL).
package dumpsysactivities

import (
	"context"
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsyspackages"
)

// Name is the module's slug.
const Name = "dumpsys_activities"

// Record is one activity registered for one intent action (MVT's keys).
type Record struct {
	Intent      string `json:"intent"`
	PackageName string `json:"package_name"`
	Activity    string `json:"activity"`
}

// Module reads the activity table.
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
		Class:       "DumpsysActivities",
		Version:     1,
		Description: "Activities apps register for intent actions (dumpsys package)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{dumpsyspackages.Section},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*Record, []string, error) {
		return Parse(data), nil, nil
	})
}

// Parse reads the activities of a `dumpsys package` section.
func Parse(section []byte) []*Record {
	entries := dumpsyspackages.ParseResolverTable(section, dumpsyspackages.ActivityTable)
	recs := make([]*Record, len(entries))
	for i, e := range entries {
		recs[i] = &Record{Intent: e.Intent, PackageName: e.PackageName, Activity: e.Component}
	}
	return recs
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	c.env.AppID(r, alert.Critical, rec.PackageName, fmt.Sprintf("an activity for %s (%s)", rec.Intent, rec.Activity), time.Time{}, rec)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
