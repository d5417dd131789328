package profileevents

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// Operation is raised for every profile installation or removal in the log.
var Operation = check.Heuristic{
	ID:    "profile_events/operation",
	Level: alert.Low,
	Meaning: "A configuration profile was installed or removed in the two weeks before the backup (iOS keeps no older events). " +
		"A profile can install a certificate that lets someone read the phone's encrypted traffic, send traffic through a VPN or " +
		"proxy, enroll the phone in remote management, or change settings and notifications; spyware operators have used profiles " +
		"(a profile is among the published indicators of Cytrox's Predator).",
	FalsePositive: "Most profile operations are benign: an employer's or school's device management (MDM), carrier settings, VPN " +
		"and content-filter apps, beta software profiles, and iOS itself install and remove profiles routinely.",
	Advice: "Find the profile in the configuration_profiles results (same identifier) to see what it contains and who signed it, " +
		"and ask the owner whether they installed or removed it. Give a closer look to a profile they do not recognise, or to " +
		"one installed shortly before other findings.",
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	ev, ok := v.(*Event)
	if !ok {
		return
	}
	t := ev.Timestamp.Time
	Operation.Raise(r, fmt.Sprintf("Process %q performed operation %q on configuration profile %q", ev.Process, ev.Operation, ev.ProfileID), t, ev)
	where := fmt.Sprintf("the configuration profile log (operation %q on profile %q)", ev.Operation, ev.ProfileID)
	if ev.Process != "" {
		c.env.Process(r, alert.Critical, ev.Process, where, t, ev)
	}
	if ev.ProfileID == "" {
		return
	}
	where = fmt.Sprintf("the configuration profile log (operation %q by %q)", ev.Operation, ev.Process)
	if c.env.ProfileID(r, alert.Critical, ev.ProfileID, where, t, ev) {
		return
	}
	// The form of the logging identifier is not documented: a UUID inside it is
	// looked up too.
	for _, id := range uuids(ev.ProfileID) {
		if id != ev.ProfileID && c.env.ProfileID(r, alert.Critical, id, where, t, ev) {
			return
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

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
