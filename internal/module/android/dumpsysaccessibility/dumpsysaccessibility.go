// Package dumpsysaccessibility reads the accessibility services of an Android bug
// report: the `dumpsys accessibility` section (@sections/dumpsys/accessibility; on the
// device, `dumpsys accessibility`). Accessibility services see and act on everything
// on the screen, which is why stalkerware asks to be one. The section has no dates.
//
// Two formats are read, in every "User state" the section holds:
//   - up to Android 13, blocks "installed services: {" and "enabled services: {" with one
//     "N : package/service" line per service, closed by "}";
//   - from Android 14, one line "Enabled services:{{package/service}, {…}}" (installed
//     services are no longer listed, only a count).
//
// Labels are matched without regard to case or indentation, and a list written on one
// line is read in either format.
//
// It corresponds to MVT's DumpsysAccessibility module (keys package_name, service).
// Differences: service is always the whole component "package/service" as written (MVT
// keeps it whole in the old format and drops the package in the new one); each service
// is one record, with enabled saying whether it is switched on (extra key), so the
// installed and enabled lists of the old format are no longer confused; and the
// section's packages are looked up in the "Packages:" block of @sections/dumpsys/package
// (extra key system: true, false, or null when unknown).
//
// Checks: app-id indicators → CRITICAL, as MVT. MVT also raises MEDIUM for every
// service listed, enabled or not, which on a stock Samsung phone means four alerts for
// the vendor's own services. Here: an enabled service of an app that is not a system app
// (or whose status is unknown) → MEDIUM; a service offered but not enabled by such an app
// (old format only) → LOW; services of system apps → no alert (they are in the records).
// Names in the com.android. or com.google.android. name spaces are not trusted: any app
// can choose one, and stalkerware often does.
package dumpsysaccessibility

import (
	"context"
	"fmt"
	"slices"
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
const Name = "dumpsys_accessibility"

// Section is the bug report's virtual file of the `dumpsys accessibility` section.
const Section = "@sections/dumpsys/accessibility"

// Bounds on hostile input.
const (
	maxLine     = 4 << 20
	maxServices = 10_000
)

// Record is one accessibility service.
type Record struct {
	PackageName string `json:"package_name"`
	// Service is the component, "package/class" as written.
	Service string `json:"service"`
	// Enabled says whether the service is switched on; null when unknown (a record of
	// MVT's from an "installed services" list).
	Enabled *bool `json:"enabled"`
	// System says whether the package has the SYSTEM flag in the package list; null when
	// the package list is absent or does not list it.
	System *bool `json:"system"`
}

// Service is one service of the section, before the package list is consulted.
type Service struct {
	Component string
	Enabled   bool
}

// Module reads the accessibility services.
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
		Class:       "DumpsysAccessibility",
		Version:     1,
		Description: "Accessibility services installed and enabled (dumpsys accessibility)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section, dumpsyspackages.Section},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, Section) {
		return module.ErrNotFound
	}
	data, err := in.ReadFile(Section)
	if err != nil {
		return fmt.Errorf("read %q: %w", Section, err)
	}
	var system, listed map[string]bool
	if slices.Contains(in.Files, dumpsyspackages.Section) {
		pkgs, err := in.ReadFile(dumpsyspackages.Section)
		if err != nil {
			out.Problem("%s: %v (system apps cannot be told apart)", dumpsyspackages.Section, err)
		} else {
			system, listed = dumpsyspackages.SystemPackages(pkgs)
		}
	}
	var recs []*Record
	for _, s := range Parse(data) {
		pkg, _, _ := strings.Cut(s.Component, "/")
		enabled := s.Enabled
		r := &Record{PackageName: pkg, Service: s.Component, Enabled: &enabled}
		if listed[pkg] {
			v := system[pkg]
			r.System = &v
		}
		recs = append(recs, r)
	}
	return module.Emit(ctx, out, recs)
}

// Parse reads the services of an accessibility section: each component once, in the
// order first met, enabled when any enabled list names it.
func Parse(section []byte) []Service {
	var out []Service
	index := map[string]int{}
	add := func(comp string, enabled bool) {
		comp = safetext.EscapeInvalid(strings.TrimSpace(comp))
		if comp == "" {
			return
		}
		if i, ok := index[comp]; ok {
			out[i].Enabled = out[i].Enabled || enabled
			return
		}
		if len(out) >= maxServices {
			return
		}
		index[comp] = len(out)
		out = append(out, Service{Component: comp, Enabled: enabled})
	}
	inBlock := false // inside a multi-line "{ … }" list
	enabled := false
	dumpsyspackages.Lines(section, maxLine, func(line string) bool {
		trimmed := strings.TrimSpace(line)
		if inBlock {
			if strings.HasPrefix(trimmed, "}") {
				inBlock = false
				return true
			}
			// "0 : package/service"
			if _, comp, ok := strings.Cut(trimmed, ":"); ok {
				add(comp, enabled)
			}
			return true
		}
		lower := strings.ToLower(trimmed)
		var rest string
		switch {
		case strings.HasPrefix(lower, "installed services:"):
			enabled, rest = false, trimmed[len("installed services:"):]
		case strings.HasPrefix(lower, "enabled services:"):
			enabled, rest = true, trimmed[len("enabled services:"):]
		default:
			return true
		}
		rest = strings.TrimSpace(rest)
		if rest == "{" {
			inBlock = true
			return true
		}
		for _, comp := range inline(rest) {
			add(comp, enabled)
		}
		return true
	})
	return out
}

// inline returns the innermost "{…}" groups of a one-line list: "{{a/b}, {c/d}}" gives
// a/b and c/d.
func inline(s string) []string {
	var out []string
	for len(s) > 0 && len(out) < maxServices {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			break
		}
		s = s[open+1:]
		end := strings.IndexAny(s, "{}")
		if end < 0 {
			break
		}
		if s[end] == '}' {
			if v := strings.TrimSpace(s[:end]); v != "" {
				out = append(out, v)
			}
			s = s[end+1:]
		}
	}
	return out
}

// EnabledService is raised for an enabled accessibility service of an app that is not
// a system app.
var EnabledService = check.Heuristic{
	ID:    "dumpsys_accessibility/enabled-service",
	Level: alert.Medium,
	Meaning: "This app's accessibility service is switched on. An accessibility service reads everything shown on the " +
		"screen, including messages in end-to-end encrypted apps, and can press buttons and type on the owner's behalf. " +
		"Stalkerware asks to be turned on as one right after it is installed, often under a name that imitates a system " +
		"component.",
	FalsePositive: "Password managers (1Password, Bitwarden…), authenticators, automation apps (Tasker, MacroDroid), " +
		"launchers, screen readers and other assistive apps, some antivirus and parental-control apps use accessibility " +
		"services for their own features; vendor services are reported when the package list cannot confirm they are " +
		"system apps.",
	Advice: "Ask the owner whether they know the app and turned the service on themselves (Settings → Accessibility). If " +
		"not, keep the acquisition, note the app's installer and install date in dumpsys_packages, and have an experienced " +
		"analyst examine it before it is removed.",
}

// OfferedService is raised for an accessibility service installed but not enabled, of
// an app that is not a system app.
var OfferedService = check.Heuristic{
	ID:    "dumpsys_accessibility/offered-service",
	Level: alert.Low,
	Meaning: "This app offers an accessibility service, which would let it read the screen and act for the owner, but the " +
		"service is not switched on.",
	FalsePositive: "Many ordinary apps offer such a service (password managers, automation, launchers); while it is off it " +
		"can read nothing.",
	Advice: "Check that the owner knows the app. It matters more if it was installed outside an app store or asks for many " +
		"permissions (see dumpsys_packages).",
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. A record of MVT's has no enabled key:
// MVT writes the services of Android 14's "Enabled services:" line without their
// package (service "class", rebuilt here as "package/class" and enabled), and those of
// the older "installed services:" list whole ("package/class", enabled unknown).
func (m *Module) DecodeRecord(data []byte) (any, error) {
	v, err := module.Decode[Record](data)
	if rec, ok := v.(*Record); ok && rec.Enabled == nil && rec.Service != "" && !strings.Contains(rec.Service, "/") {
		enabled := true
		rec.Enabled = &enabled
		if rec.PackageName != "" {
			rec.Service = rec.PackageName + "/" + rec.Service
		}
	}
	return v, err
}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	state := "installed"
	if rec.Enabled != nil && *rec.Enabled {
		state = "enabled"
	}
	c.env.AppID(r, alert.Critical, rec.PackageName, fmt.Sprintf("an %s accessibility service (%s)", state, rec.Service), time.Time{}, rec)
	if rec.System != nil && *rec.System {
		return
	}
	whose := "of a package missing from the package list"
	if rec.System != nil {
		whose = "of an app that is not a system app"
	}
	switch {
	case rec.Enabled == nil:
		// MVT's record of an installed service: reported as MVT does, at MEDIUM.
		EnabledService.Raise(r, fmt.Sprintf("Found an accessibility service %q %s (whether it is enabled is not recorded)",
			rec.Service, whose), time.Time{}, rec)
	case *rec.Enabled:
		EnabledService.Raise(r, fmt.Sprintf("Found an enabled accessibility service %q %s", rec.Service, whose), time.Time{}, rec)
	default:
		OfferedService.Raise(r, fmt.Sprintf("Found an accessibility service %q, not enabled, %s", rec.Service, whose), time.Time{}, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
