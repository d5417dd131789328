// Package configurationprofiles reads the configuration profiles installed on the
// phone: the packages of settings (certificates, VPN, proxy, DNS, device management,
// restrictions, notification settings…) that an employer, a school, an app, a carrier
// or an attacker can ask the owner to install.
//
// iOS keeps one property list per installed profile, "profile-<hash>.stub", in the
// configuration profiles store: in a backup
// SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/,
// on the phone
// /private/var/containers/Shared/SystemGroup/systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/.
// A stub is a binary (sometimes XML) plist with the profile's PayloadUUID,
// PayloadIdentifier, PayloadDisplayName, PayloadDescription, PayloadOrganization,
// PayloadType ("Configuration"), InstallDate (a plist date: seconds since 2001-01-01
// UTC), SignerCerts (DER certificates) and PayloadContent, the list of payloads, each
// with its PayloadType (com.apple.security.root, com.apple.vpn.managed, com.apple.mdm…).
// The stub has kept these keys since iOS 7; keys added by later versions are kept as
// they are, whatever their type. The module also runs on file-system dumps (MVT's runs on
// backups only): a dump serves the same domain name, found through the container's
// .com.apple.mobile_container_manager.metadata.plist.
//
// It corresponds to MVT's ConfigurationProfiles module, with MVT's record keys
// (file_id, relative_path, domain, plist, install_date). Unlike MVT: every data value
// in the plist is written as base64 (MVT converts a fixed list of keys and fails on
// others) and every date as an MVT time string; a profile whose stub cannot be decoded
// is reported as a problem instead of being written as an empty plist; a profile
// without payloads no longer stops the checks; profile indicators match the whole UUID
// or identifier instead of MVT's reversed substring test; and the heuristics run
// whether or not indicators are loaded (MVT ran its notification-settings check only
// with indicators, and on the first payload only).
package configurationprofiles

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "configuration_profiles"

// Domain is the backup domain of the configuration profiles store; Pattern matches the
// profile stubs in it.
const (
	Domain  = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
	Pattern = Domain + "/Library/ConfigurationProfiles/profile-*"
)

// Module reads the installed configuration profiles.
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
		Class:       "ConfigurationProfiles",
		Version:     1,
		Description: "Installed configuration profiles (certificates, VPN, proxy, device management…) from the profile-*.stub files",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{Pattern},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error {
		p, err := read(in, name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		return out.Record(p)
	})
}

func read(in *module.Input, name string) (*Profile, error) {
	data, err := in.ReadFile(name)
	if err != nil {
		return nil, err
	}
	stub, err := parse(data)
	if err != nil {
		return nil, err
	}
	domain, rel, _ := strings.Cut(name, "/")
	return newProfile(stub, name, domain, rel, fileID(in.FS, name, domain, rel)), nil
}

// parse decodes a profile stub.
func parse(data []byte) (map[string]any, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, err
	}
	stub, ok := plistx.AsMap(v)
	if !ok {
		return nil, fmt.Errorf("top level is %T, want a dictionary", v)
	}
	return stub, nil
}

func newProfile(stub map[string]any, name, domain, rel, id string) *Profile {
	p := &Profile{
		FileID:       id,
		RelativePath: rel,
		Domain:       domain,
		Plist:        plistx.JSONValue(stub).(map[string]any),
		File:         name,
		PayloadTypes: []string{},
	}
	if t, ok := plistx.Time(stub, "InstallDate"); ok && timefmt.Valid(t) {
		p.InstallDate = timefmt.Of(t.UTC())
	} else if f, ok := plistx.Float(stub, "InstallDate"); ok {
		p.InstallDate = timefmt.Of(timefmt.FromMacAbsolute(f))
	}
	if list, ok := stub["PayloadContent"].([]any); ok {
		for _, item := range list {
			if payload, ok := plistx.AsMap(item); ok {
				p.PayloadTypes = append(p.PayloadTypes, plainText(plistx.JSONValue(payload["PayloadType"])))
			}
		}
	}
	return p
}

// fileID returns the backup file ID of name: the acquisition's own when it knows it,
// else the hex SHA-1 of "<domain>-<relativePath>" that defines it.
func fileID(fsys acquire.Acquisition, name, domain, rel string) string {
	if b, ok := fsys.(interface{ FileID(string) (string, bool) }); ok {
		if id, ok := b.FileID(name); ok {
			return id
		}
	}
	sum := sha1.Sum([]byte(domain + "-" + rel))
	return hex.EncodeToString(sum[:])
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. Numbers in the plist are decoded as
// json.Number, so that they are written back digit for digit. MVT's records (file_id,
// relative_path, domain, plist, install_date) have no payload_types and no file: they
// are rebuilt from the plist's PayloadContent and from domain and relative_path.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	p := new(Profile)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(p)
	if err != nil && !module.IsFieldTypeError(err) {
		return nil, err
	}
	if p.PayloadTypes == nil {
		p.PayloadTypes = []string{}
		if list, ok := p.Plist["PayloadContent"].([]any); ok {
			for _, item := range list {
				if payload, ok := item.(map[string]any); ok {
					p.PayloadTypes = append(p.PayloadTypes, plainText(payload["PayloadType"]))
				}
			}
		}
	}
	if p.File == "" && p.Domain != "" {
		p.File = p.Domain + "/" + p.RelativePath
	}
	return p, err
}

var _ module.Reloadable = (*Module)(nil)

// dateText writes t for messages, or "an unknown date".
func dateText(t time.Time) string {
	if t.IsZero() {
		return "an unknown date"
	}
	return timefmt.Format(t)
}
