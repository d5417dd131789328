package dumpsysadbstate

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// TrustedKey is raised once per computer trusted for debugging.
var TrustedKey = check.Heuristic{
	ID:    Name + "/trusted-key",
	Level: alert.Informational,
	Meaning: "This computer is trusted for USB or wireless debugging (adb): while debugging is on, it can install apps, " +
		"grant them permissions, read data and run commands without further prompts on the phone. Someone with brief " +
		"access to the unlocked phone can install stalkerware this way.",
	FalsePositive: "The computer that took this bug report over adb is always trusted, as are the computers of developers " +
		"and repair shops the owner allowed.",
	Advice: "Identify every trusted computer with the owner (the name after the key is the computer's user@host). If one " +
		"is unknown, revoke the authorisations (Developer options › Revoke USB debugging authorisations), turn USB " +
		"debugging off, and look for apps installed around its last connection.",
}

type checker struct{}

// Check implements check.Checker.
func (checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*State)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, list := range [][]*Key{rec.UserKeys, rec.Keystore} {
		for _, k := range list {
			if seen[k.Key] {
				continue
			}
			seen[k.Key] = true
			last := "last connection unknown"
			if !k.LastConnectedTime.IsZero() {
				last = "last connected " + k.LastConnectedTime.String() + " UTC"
			}
			TrustedKey.Raise(r, fmt.Sprintf("Computer %q (adb key %s) is trusted for debugging, %s", k.User, k.Fingerprint, last),
				k.LastConnectedTime.Time, rec)
		}
	}
}

// Finish implements check.Checker.
func (checker) Finish(*check.Reporter) {}
