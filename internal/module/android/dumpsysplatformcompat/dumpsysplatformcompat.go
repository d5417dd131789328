// Package dumpsysplatformcompat reads the apps named in the app-compatibility overrides
// of an Android bug report: the `dumpsys platform_compat` section
// (@sections/dumpsys/platform_compat; on the device, `dumpsys platform_compat`). The
// line of change 168419799 (name=DOWNSCALED) carries rawOverrides={pkg=value, …},
// which keeps the overrides of apps that are no longer installed; MVT reads its keys as
// the names of uninstalled apps, which lets an indicator match an app that was removed
// before the bug report was taken. It has no dates.
//
// The line is found by its change id (leading spaces allowed, the name not required);
// the override list is read up to its closing brace, whatever follows (MVT splits on
// "};", and reads nothing when the list is the last field). Names are de-duplicated, in
// the order written.
//
// It corresponds to MVT's DumpsysPlatformCompat module (key package_name); app-id
// indicators → CRITICAL.
package dumpsysplatformcompat

import (
	"context"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsyspackages"
	"github.com/spytrace/spytrace/internal/safetext"
)

// Name is the module's slug.
const Name = "dumpsys_platform_compat"

// Section is the bug report's virtual file of the `dumpsys platform_compat` section.
const Section = "@sections/dumpsys/platform_compat"

// DownscaledChange starts the line MVT reads.
const DownscaledChange = "ChangeId(168419799;"

// Bounds on hostile input.
const (
	maxLine  = 4 << 20
	maxNames = 100_000
)

// Record is one app named in the overrides (MVT's key).
type Record struct {
	PackageName string `json:"package_name"`
}

// Module reads the overrides.
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
		Class:       "DumpsysPlatformCompat",
		Version:     1,
		Description: "Apps uninstalled from the phone, from app-compatibility overrides (dumpsys platform_compat)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*Record, []string, error) {
		return Parse(data), nil, nil
	})
}

// Parse reads the package names of the DOWNSCALED change's rawOverrides.
func Parse(section []byte) []*Record {
	var recs []*Record
	seen := map[string]bool{}
	dumpsyspackages.Lines(section, maxLine, func(line string) bool {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, DownscaledChange) {
			return true
		}
		_, rest, ok := strings.Cut(line, "rawOverrides={")
		if !ok {
			return true
		}
		list, _, _ := strings.Cut(rest, "}")
		for entry := range strings.SplitSeq(list, ",") {
			name, _, _ := strings.Cut(entry, "=")
			name = safetext.EscapeInvalid(strings.TrimSpace(name))
			if name == "" || seen[name] {
				continue
			}
			if len(recs) >= maxNames {
				return false
			}
			seen[name] = true
			recs = append(recs, &Record{PackageName: name})
		}
		return true
	})
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
	c.env.AppID(r, alert.Critical, rec.PackageName, "the compatibility overrides of uninstalled apps", time.Time{}, rec)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
