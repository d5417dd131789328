// Package sysdiagnoseprofiles reads the configuration-profile state that an iOS
// sysdiagnose copies from ManagedConfiguration: the installed configuration profiles
// (certificates, VPN, proxy, DNS, device management, notification settings…), the log
// of recent profile installations and removals, and the log of settings changes with
// the process that made each one.
//
// The artifacts, relative to the archive's sysdiagnose_<date>_iPhone-OS_… folder; on
// the phone they are in
// /private/var/containers/Shared/SystemGroup/systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/
// (the same store an iTunes backup holds in the
// SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles domain):
//   - logs/MCState/Shared/profile-<hash>.stub: one binary (sometimes XML) plist per
//     installed profile, the "profile stub": PayloadIdentifier, PayloadUUID,
//     PayloadDisplayName, PayloadOrganization, PayloadDescription, PayloadType
//     ("Configuration"), InstallDate (a plist date: seconds since 2001-01-01 UTC; a
//     number in its place is read as the same Mac absolute time), IsEncrypted or
//     ProfileWasEncrypted, ProfileWasSigned, SignerCerts (DER certificates) and
//     PayloadContent, the payloads, each with its PayloadType (iOS may strip the
//     payloads' content from a stub; a stub without PayloadContent gives an empty
//     payload list). <hash> is kept as profile_stub_hash.
//   - logs/MCState/User/profile-<hash>.stub: the same for user-scope profiles
//     (scope "user"; the others are "system").
//   - logs/MCState/Shared/MCProfileEvents.plist: {"ProfileEvents": [{<profile id>:
//     {"Process", "Operation", "Timestamp"}}, …]}, newest first, the same file the
//     backup module profile_events reads (iOS keeps about two weeks of events).
//   - logs/MCState/Shared/MCSettingsEvents.plist: nested dictionaries whose leaves are
//     {"event", "process", "timestamp"} dictionaries (timestamp a plist date, UTC);
//     the setting is the path of dictionary keys down to the leaf, joined by dots
//     (e.g. "Restrictions.restrictedBool.allowCamera"), and process is the process or
//     sender that made the change, sometimes the UUID of the profile that did.
//
// Every date is a plist date, an absolute UTC time: no conversion with the phone's zone
// is needed, and sysdiagnose.log is not read.
//
// What is verified and what is reconstructed: the paths of the stubs and of
// MCSettingsEvents.plist, the stub's keys (InstallDate as a date) and the
// timestamp/event/process leaves of MCSettingsEvents.plist follow the EC-DIGIT-CSIRC
// sysdiagnose framework's mcstate_shared_profile and mcsettingsevents parsers; the
// presence of MCProfileEvents.plist under logs/MCState/Shared/ and of user stubs under
// logs/MCState/User/ comes from other public sysdiagnose tools (no real archive was
// examined), and the shape of MCProfileEvents.plist is the one the backup module
// reads. The "Restrictions.restrictedBool" bucket naming and the event value "remove"
// come from a third-party description, not from Apple.
//
// MVT has no equivalent (its check-sysdiagnose command has no modules); the backup
// modules configuration_profiles and profile_events read the same store in backups. The
// record keys are snake_case and follow the framework where it has names (setting,
// event, process, timestamp, profile_stub_hash; its stub records are the plist as is,
// kept here under plist). Differences from the framework: a stub without InstallDate or
// with an unreadable one is kept with a null date instead of stopping the parser;
// settings leaves are found by their keys, not by a substring test; an unreadable
// timestamp keeps the event with a null date instead of dropping it; and the profile
// events log is read. The checks are those of the backup modules, under this module's
// name: profile UUID and identifier indicators (CRITICAL), the notification-settings,
// certificate, traffic-routing and MDM payload heuristics, process indicators on the
// processes of both logs, and a LOW note for each recent profile operation.
package sysdiagnoseprofiles

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// Name is the module's slug.
const Name = "sysdiagnose_profiles"

// Names of the artifacts in a sysdiagnose archive, relative to its top folder.
const (
	SharedDir          = "logs/MCState/Shared"
	UserDir            = "logs/MCState/User"
	SharedStubPattern  = SharedDir + "/profile-*.stub"
	UserStubPattern    = UserDir + "/profile-*.stub"
	SettingsEventsPath = SharedDir + "/MCSettingsEvents.plist"
	ProfileEventsPath  = SharedDir + "/MCProfileEvents.plist"
)

// maxSettingsEvents bounds the events read from MCSettingsEvents.plist.
const maxSettingsEvents = 100_000

// Module reads the MCState folder of a sysdiagnose.
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
		Class:       "SysdiagnoseProfiles",
		Version:     1,
		Description: "Installed configuration profiles, profile installations and removals, and settings changes (logs/MCState)",
		Kinds:       []acquire.Kind{acquire.IOSSysdiagnose},
		Paths:       []string{SharedStubPattern, UserStubPattern, ProfileEventsPath, SettingsEventsPath},
	}
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable: record_type tells a [Profile], a
// [ProfileEvent] and a [SettingsEvent] apart.
func (m *Module) DecodeRecord(data []byte) (any, error) { return decodeRecord(data) }

// Run implements module.Module. Records come file by file in name order: the profile
// events, the settings events (by setting), then the profiles.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	names := slices.Clone(in.Files)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return module.ErrNotFound
	}
	var errs []error
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		recs, err := readFile(in, out, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %q: %w", name, err))
			continue
		}
		for i, rec := range recs {
			if i%1000 == 999 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := out.Record(rec); err != nil {
				return err
			}
		}
	}
	if len(errs) == len(names) {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		out.Problem("%v", err)
	}
	return nil
}

// readFile parses one artifact into records, noting the entries it skipped.
func readFile(in *module.Input, out *module.Output, name string) ([]any, error) {
	data, err := in.ReadFile(name)
	if err != nil {
		return nil, err
	}
	base := path.Base(name)
	switch {
	case name == SettingsEventsPath:
		events, problems, err := parseSettingsEvents(data, name)
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
		return anyList(events), err
	case name == ProfileEventsPath:
		events, problems, err := parseProfileEvents(data, name)
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
		return anyList(events), err
	case strings.HasPrefix(base, "profile-") && strings.HasSuffix(base, ".stub"):
		scope := "system"
		if path.Dir(name) == UserDir {
			scope = "user"
		}
		p, err := parseStub(data, name, scope)
		if err != nil {
			return nil, err
		}
		return []any{p}, nil
	}
	return nil, fmt.Errorf("not an MCState artifact")
}

func anyList[T any](l []T) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}
