// Package profileevents reads the log in which iOS records the installation and removal
// of configuration profiles, and which process did it.
//
// The artifact is MCProfileEvents.plist, written by iOS's ManagedConfiguration framework:
// in a backup
// SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/MCProfileEvents.plist,
// on the phone
// /private/var/containers/Shared/SystemGroup/systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/MCProfileEvents.plist
// (the file is also accepted in any other domain, at Library/ConfigurationProfiles/,
// as MVT looks it up by relative path). It is a binary plist
//
//	{"ProfileEvents": [{<profile id>: {"Process": …, "Operation": …, "Timestamp": <date>}}, …]}
//
// newest first; iOS keeps the last 20 events and drops those older than two weeks, so
// the log is often empty. Timestamp is a plist date (seconds since 2001-01-01 UTC); a
// number in its place is read as the same Mac absolute time. The profile id is the
// profile's logging identifier. Every key of an event is kept, lower-cased; the log has
// had this shape since iOS 11, and events with more keys are read the same way.
//
// It corresponds to MVT's ProfileEvents module, with MVT's record keys (profile_id,
// timestamp, operation, process, and the other keys lower-cased). Unlike MVT: every key
// of an event dictionary is read (MVT reads the first only), an event that is not a
// dictionary is reported as a problem instead of stopping the module, the keys of an
// event are read in sorted order so that records do not depend on the plist's order,
// and indicator alerts carry the event's time. It also runs on file-system dumps (MVT's
// runs on backups only), which serve the same domain name through the container's
// metadata plist.
package profileevents

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "profile_events"

// Paths of the artifact in an iOS backup: its usual place, and any domain.
const (
	Path          = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/MCProfileEvents.plist"
	AnyDomainPath = "*/Library/ConfigurationProfiles/MCProfileEvents.plist"
)

// Module reads MCProfileEvents.plist.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module     = (*Module)(nil)
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "ProfileEvents",
		Version:     1,
		Description: "Recent installations and removals of configuration profiles, and the process that made them (MCProfileEvents.plist)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Path, AnyDomainPath},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error {
		events, problems, err := read(in, name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
		for i, ev := range events {
			if i%1000 == 999 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := out.Record(ev); err != nil {
				return err
			}
		}
		return nil
	})
}

func read(in *module.Input, name string) ([]*Event, []string, error) {
	data, err := in.ReadFile(name)
	if err != nil {
		return nil, nil, err
	}
	return Parse(data)
}

// Parse decodes MCProfileEvents.plist into events, in the file's order, and names the
// entries it had to skip. The sysdiagnose_profiles module reads the file's copy in a
// sysdiagnose with it.
func Parse(data []byte) (events []*Event, problems []string, err error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, nil, err
	}
	top, ok := plistx.AsMap(v)
	if !ok {
		return nil, nil, fmt.Errorf("top level is %T, want a dictionary", v)
	}
	raw, ok := top["ProfileEvents"]
	if !ok {
		return nil, nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("ProfileEvents is %T, want an array", raw)
	}
	for i, item := range list {
		entry, ok := plistx.AsMap(item)
		if !ok || len(entry) == 0 {
			problems = append(problems, fmt.Sprintf("event %d is %T, want a dictionary of one profile id", i, item))
			continue
		}
		for _, id := range sortedKeys(entry) {
			fields, ok := plistx.AsMap(entry[id])
			if !ok {
				problems = append(problems, fmt.Sprintf("event %d of profile %q is %T, want a dictionary", i, safetext.EscapeInvalid(id), entry[id]))
				continue
			}
			events = append(events, newEvent(id, fields))
		}
	}
	return events, problems, nil
}

func newEvent(id string, fields map[string]any) *Event {
	ev := &Event{ProfileID: safetext.EscapeInvalid(id)}
	for _, k := range sortedKeys(fields) {
		v := fields[k]
		switch key := strings.ToLower(safetext.EscapeInvalid(k)); key {
		case "timestamp":
			ev.Timestamp = timeOf(v)
		case "operation":
			ev.Operation = text(v)
		case "process":
			ev.Process = text(v)
		default:
			if ev.Extra == nil {
				ev.Extra = map[string]any{}
			}
			ev.Extra[key] = plistx.JSONValue(v)
		}
	}
	return ev
}

// timeOf reads a plist date, or a number of seconds since 2001-01-01 UTC.
func timeOf(v any) timefmt.Time {
	switch x := v.(type) {
	case time.Time:
		if timefmt.Valid(x) {
			return timefmt.Of(x.UTC())
		}
	case float64:
		return timefmt.Of(timefmt.FromMacAbsolute(x))
	case int64:
		return timefmt.Of(timefmt.FromMacAbsolute(float64(x)))
	}
	return timefmt.Time{}
}

// text returns a string value, or the text form of another value.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return safetext.EscapeInvalid(x)
	case nil:
		return ""
	}
	return fmt.Sprint(plistx.JSONValue(v))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Event](data) }
