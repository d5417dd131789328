package sysdiagnoseprofiles

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module/ios/configurationprofiles"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// renamed returns h under this module's name: same level and texts, ID
// "sysdiagnose_profiles/<name>".
func renamed(h check.Heuristic, name string) check.Heuristic {
	h.ID = Name + "/" + name
	return h
}

// The payload heuristics of the backup module configuration_profiles, under this
// module's name.
var (
	NotificationSettings = renamed(configurationprofiles.NotificationSettings, "notification-settings")
	RootCertificate      = renamed(configurationprofiles.RootCertificate, "root-certificate")
	NetworkTraffic       = renamed(configurationprofiles.NetworkTraffic, "network-traffic")
	MDMEnrollment        = renamed(configurationprofiles.MDMEnrollment, "mdm-enrollment")
)

// ProfileOperation is raised for every profile installation or removal in
// MCProfileEvents.plist.
var ProfileOperation = check.Heuristic{
	ID:    Name + "/profile-operation",
	Level: alert.Low,
	Meaning: "A configuration profile was installed or removed in the two weeks before the sysdiagnose was taken (iOS keeps no " +
		"older events). A profile can install a certificate that lets someone read the phone's encrypted traffic, send traffic " +
		"through a VPN or proxy, enroll the phone in remote management, or change settings and notifications; spyware operators " +
		"have used profiles (a profile is among the published indicators of Cytrox's Predator).",
	FalsePositive: "Most profile operations are benign: an employer's or school's device management (MDM), carrier settings, VPN " +
		"and content-filter apps, beta software profiles, and iOS itself install and remove profiles routinely.",
	Advice: "Find the profile among this module's profile records (same identifier) to see what it contains and who signed it, " +
		"and ask the owner whether they installed or removed it. Give a closer look to a profile they do not recognise, or to " +
		"one installed shortly before other findings.",
}

// ownHeuristic maps configuration_profiles' payload heuristics to this module's.
var ownHeuristic = map[string]check.Heuristic{
	configurationprofiles.NotificationSettings.ID: NotificationSettings,
	configurationprofiles.RootCertificate.ID:      RootCertificate,
	configurationprofiles.NetworkTraffic.ID:       NetworkTraffic,
	configurationprofiles.MDMEnrollment.ID:        MDMEnrollment,
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	switch rec := v.(type) {
	case *Profile:
		c.profile(rec, r)
	case *ProfileEvent:
		c.profileEvent(rec, r)
	case *SettingsEvent:
		c.settingsEvent(rec, r)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

func (c *checker) profile(p *Profile, r *check.Reporter) {
	t := p.InstallDate.Time
	where := fmt.Sprintf("the profile %s of the sysdiagnose (%s), installed on %s", p.label(), p.File, dateText(t))
	if p.PayloadUUID == "" || !c.env.ProfileID(r, alert.Critical, p.PayloadUUID, where, t, p) {
		if p.PayloadIdentifier != "" {
			c.env.ProfileID(r, alert.Critical, p.PayloadIdentifier, where, t, p)
		}
	}
	for _, m := range configurationprofiles.MatchPayloads(p.PayloadTypes) {
		h, ok := ownHeuristic[m.Rule.Heuristic.ID]
		if !ok {
			h = renamed(m.Rule.Heuristic, strings.TrimPrefix(m.Rule.Heuristic.ID, configurationprofiles.Name+"/"))
		}
		h.Raise(r, fmt.Sprintf("Configuration profile %s, installed on %s, carries %s (%s)",
			p.label(), dateText(t), m.Rule.What, strings.Join(m.Found, ", ")), t, p)
	}
}

func (c *checker) profileEvent(ev *ProfileEvent, r *check.Reporter) {
	t := ev.Timestamp.Time
	ProfileOperation.Raise(r, fmt.Sprintf("Process %q performed operation %q on configuration profile %q on %s",
		ev.Process, ev.Operation, ev.ProfileID, dateText(t)), t, ev)
	if ev.Process != "" {
		c.env.Process(r, alert.Critical, ev.Process,
			fmt.Sprintf("the profile events log (operation %q on profile %q)", ev.Operation, ev.ProfileID), t, ev)
	}
	if ev.ProfileID != "" {
		c.profileID(r, ev.ProfileID, fmt.Sprintf("the profile events log (operation %q by %q)", ev.Operation, ev.Process), t, ev)
	}
}

func (c *checker) settingsEvent(ev *SettingsEvent, r *check.Reporter) {
	if ev.Process == "" {
		return
	}
	t := ev.Timestamp.Time
	where := fmt.Sprintf("the settings events log (setting %s, %q)", ev.Setting, ev.Event)
	// The process is a process or sender name, or the UUID of the profile that made the
	// change.
	if !c.env.Process(r, alert.Critical, ev.Process, where, t, ev) {
		c.profileID(r, ev.Process, where, t, ev)
	}
}

// profileID looks up id as a profile identifier, then the UUIDs inside it (the form
// of logging identifiers and senders is not documented).
func (c *checker) profileID(r *check.Reporter, id, where string, t time.Time, rec any) bool {
	if c.env.ProfileID(r, alert.Critical, id, where, t, rec) {
		return true
	}
	for _, u := range uuids(id) {
		if u != id && c.env.ProfileID(r, alert.Critical, u, where, t, rec) {
			return true
		}
	}
	return false
}

// dateText writes t for messages, or "an unknown date".
func dateText(t time.Time) string {
	if t.IsZero() {
		return "an unknown date"
	}
	return timefmt.Format(t)
}

// uuids returns the UUIDs (8-4-4-4-12 hexadecimal digits) found in s.
func uuids(s string) []string {
	var out []string
	for i := 0; i+36 <= len(s); i++ {
		if (i == 0 || !isHex(s[i-1])) && isUUID(s[i:i+36]) && (i+36 == len(s) || !isHex(s[i+36])) {
			out = append(out, s[i:i+36])
			i += 35
		}
	}
	return out
}

func isUUID(s string) bool {
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
