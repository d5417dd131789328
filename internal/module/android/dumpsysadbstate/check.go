package dumpsysadbstate

import (
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/safetext"
)

// TrustedKey is raised once per computer trusted for debugging, when the section comes
// from a bug report alone (in an androidqf collection the finer checks below replace it).
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

// OtherComputer is raised, in an androidqf collection, for a trusted key other than the
// key of the computer that collected it.
var OtherComputer = check.Heuristic{
	ID:    Name + "/other-computer",
	Level: alert.Low,
	Meaning: "Another computer than the one that ran androidqf is trusted for USB or wireless debugging (adb): at some " +
		"point someone connected the phone to that computer and approved the \"Allow USB debugging?\" prompt on the " +
		"unlocked phone. While debugging is on, that computer can install apps, grant them permissions, read data and " +
		"run commands without any further prompt, which is one way stalkerware is installed by someone with brief " +
		"physical access.",
	FalsePositive: "Often innocent: the owner's own computer (used to copy files, flash or develop apps), an earlier " +
		"check by another analyst or with another tool, a repair shop or a phone shop that set the phone up, or a " +
		"previous owner's computer on a second-hand phone. The user@host name after the key is chosen by that " +
		"computer and proves nothing.",
	Advice: "Ask the owner whether they recognise the computer (its user@host name and last connection) and who had the " +
		"unlocked phone around that date. If nobody can account for it, look for apps installed, and permissions or " +
		"accessibility services granted, around its last connection; then revoke the authorisations (Developer options " +
		"› Revoke USB debugging authorisations) and turn USB debugging and Developer options off.",
}

// NoHostKey is raised, in an androidqf collection that does not record the key of the
// computer that collected it, for every trusted key.
var NoHostKey = check.Heuristic{
	ID:    Name + "/no-host-key",
	Level: alert.Low,
	Meaning: "A computer is trusted for USB or wireless debugging (adb), and the androidqf collection does not record the " +
		"key of the computer that collected it, so this key cannot be told apart from the analyst's own. A trusted " +
		"computer can install apps, grant permissions and run commands on the phone while debugging is on; someone " +
		"who connected it had the unlocked phone in hand and approved the prompt.",
	FalsePositive: "Most likely the analyst's computer: older androidqf versions do not record their computer's key, " +
		"and collecting always requires trusting it. The owner's own computer, a repair shop or an earlier check are " +
		"other innocent explanations.",
	Advice: "Compare the key with the collecting computer's ~/.android/adbkey.pub (its first field is the same base64 " +
		"text; the alert's record has it in full). Any other key: ask the owner whether they recognise the computer " +
		"and look for apps installed around its last connection; revoke the authorisations (Developer options › Revoke " +
		"USB debugging authorisations) after the check.",
}

// InvalidKey is raised, in an androidqf collection, for a trusted key that is not a
// base64 adb public key.
var InvalidKey = check.Heuristic{
	ID:    Name + "/invalid-key",
	Level: alert.Low,
	Meaning: "A trusted adb key is not a valid base64 key, so it cannot be compared with the collecting computer's. " +
		"Android writes only valid keys into its list of computers trusted for debugging: an invalid entry means the " +
		"list was edited by hand or by a tool with root access, or the dump is damaged.",
	FalsePositive: "A damaged or truncated bug report, or a vendor build that prints the key list differently, can " +
		"produce an invalid entry.",
	Advice: "Look at the raw \"DUMP OF SERVICE adb\" section of the bug report. If the phone shows other signs of root " +
		"access, treat it as compromised; in any case revoke the USB debugging authorisations after the check.",
}

// HostKeyOldConnection is raised, in an androidqf collection, when the collecting
// computer's own key was last connected at least one day before the collection.
var HostKeyOldConnection = check.Heuristic{
	ID:    Name + "/host-key-old-connection",
	Level: alert.Informational,
	Meaning: "The computer that ran androidqf was already trusted before this collection: the phone records its last " +
		"connection at least one day before the collection started. The same computer had connected to the phone " +
		"earlier.",
	FalsePositive: "Usually an earlier check from the same computer, or a key list the phone had not yet rewritten " +
		"when the bug report was taken; a phone clock set wrong shifts the date too.",
	Advice: "Check that the earlier connection matches an earlier check by the analyst; if not, find out who used this " +
		"computer with the phone at that date.",
}

// oldConnection is how long before the collection a last connection of its own
// computer is noted.
const oldConnection = 24 * time.Hour

type checker struct{}

// Check implements check.Checker.
func (checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*State)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, list := range [][]*Key{rec.Keystore, rec.UserKeys} {
		for _, k := range list {
			if k == nil || seen[k.Key] {
				continue
			}
			seen[k.Key] = true
			if rec.AndroidQF == nil {
				TrustedKey.Raise(r, fmt.Sprintf("Computer %q (adb key %s) is trusted for debugging, %s", k.User, k.Fingerprint, lastText(k)),
					k.LastConnectedTime.Time, rec)
				continue
			}
			checkAQF(rec.AndroidQF, k, r)
		}
	}
}

func lastText(k *Key) string {
	if k.LastConnectedTime.IsZero() {
		return "last connection unknown"
	}
	return "last connected " + k.LastConnectedTime.String() + " UTC"
}

// checkAQF judges one trusted key against the androidqf collection's host key.
func checkAQF(a *Acquisition, k *Key, r *check.Reporter) {
	desc := fmt.Sprintf("%s (%q, %s)", k.Fingerprint, k.User, lastText(k))
	at := k.LastConnectedTime.Time
	switch {
	case k.Fingerprint == "":
		InvalidKey.Raise(r, fmt.Sprintf("Found an invalid trusted ADB host key: %q (%q)", safetext.Truncate(k.Key, 100), k.User), at, k)
	case a.HostKey == nil || a.HostKey.Fingerprint == "":
		NoHostKey.Raise(r, "Found a trusted ADB host key, but the AndroidQF acquisition does not include its host key: "+desc, at, k)
	case !SameKey(k, a.HostKey):
		OtherComputer.Raise(r, fmt.Sprintf("Found a trusted ADB host key different from the AndroidQF acquisition host (%s, %q): %s",
			a.HostKey.Fingerprint, a.HostKey.User, desc), at, k)
	default:
		started, err := time.Parse(time.RFC3339Nano, a.Started)
		if err != nil || at.IsZero() || at.After(started.Add(-oldConnection)) {
			return
		}
		HostKeyOldConnection.Raise(r, fmt.Sprintf("Found the AndroidQF acquisition host's ADB key last connected at least one day before "+
			"the acquisition (started %s UTC): %s", started.UTC().Format("2006-01-02 15:04:05"), desc), at, k)
	}
}

// Finish implements check.Checker.
func (checker) Finish(*check.Reporter) {}
