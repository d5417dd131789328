package globalpreferences

import (
	"encoding/json"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// LockdownKey is the setting that records Lockdown Mode.
const LockdownKey = "LDMGlobalEnabled"

// lockdownID names the Lockdown Mode check; it reports with LockdownEnabled or
// LockdownDisabled depending on the setting's value.
const lockdownID = "global_preferences/lockdown-mode"

const lockdownProtects = "Lockdown Mode is the optional protection of iOS 16 and later for people who may be personally targeted by " +
	"mercenary spyware. It blocks most message attachment types and link previews, complex web technologies such as just-in-time " +
	"JavaScript compilation, FaceTime calls and invitations from unknown people, wired connections to a computer while the phone " +
	"is locked, and the installation of configuration profiles. Citizen Lab reported in 2023 that it blocked the BLASTPASS exploit " +
	"chain used to install NSO Group's Pegasus, and that it warned targets of blocked attempts of the PWNYOURHOME chain."

// LockdownEnabled is raised when Lockdown Mode is on.
var LockdownEnabled = check.Heuristic{
	ID:    lockdownID,
	Level: alert.Informational,
	Meaning: "Lockdown Mode is turned on. " + lockdownProtects + " This is context about how the phone was protected, " +
		"not a sign of compromise.",
	FalsePositive: "Not a finding of compromise. Lockdown Mode does not remove spyware installed before it was turned on, and " +
		"an attack may have happened while it was off.",
	Advice: "Compare the period when Lockdown Mode was on with the dates of any other finding. Recommend that the owner keep it " +
		"on: people at risk of targeted spyware are advised to use it.",
}

// LockdownDisabled is raised when Lockdown Mode was on and is now off.
var LockdownDisabled = check.Heuristic{
	ID:    lockdownID,
	Level: alert.Low,
	Meaning: "Lockdown Mode is off, but its setting exists: iOS writes it when Lockdown Mode is turned on, and false means it was " +
		"turned off again. " + lockdownProtects + " Someone with the unlocked phone in hand, or software acting on it, could turn " +
		"it off to reopen what it closes.",
	FalsePositive: "Most often the owner turned it off on purpose, because it breaks some websites, attachments or apps, or " +
		"tried it once and went back.",
	Advice: "Ask the owner whether they turned Lockdown Mode off, and when. If they did not, look for other signs that someone " +
		"handled the phone (new configuration profiles, unknown apps, paired computers). If they are at risk of targeted " +
		"spyware, advise them to turn it back on (Settings › Privacy & Security › Lockdown Mode).",
}

type checker struct{}

// Check implements check.Checker.
func (checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Preference)
	if !ok || rec.Entry != LockdownKey {
		return
	}
	on, ok := boolOf(rec.Value)
	switch {
	case !ok:
		return
	case on:
		LockdownEnabled.Raise(r, "Lockdown Mode is enabled ("+LockdownKey+" is true)", time.Time{}, rec)
	default:
		LockdownDisabled.Raise(r, "Lockdown Mode was enabled before and is now disabled ("+LockdownKey+" is false)", time.Time{}, rec)
	}
}

// Finish implements check.Checker.
func (checker) Finish(*check.Reporter) {}

// boolOf reads a plist boolean, also accepted as the integer 0 or 1 (and, from a
// results file, the JSON number).
func boolOf(v any) (bool, bool) {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		if err != nil {
			return false, false
		}
		v = f
	}
	switch x := v.(type) {
	case bool:
		return x, true
	case int64:
		return x != 0, x == 0 || x == 1
	case uint64:
		return x != 0, x <= 1
	case float64:
		return x != 0, x == 0 || x == 1
	}
	return false, false
}
