package dumpsysappops

import (
	"fmt"
	"slices"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// RiskyPermissions and RiskyPackages are MVT's appops lists.
var (
	RiskyPermissions = []string{"REQUEST_INSTALL_PACKAGES"}
	RiskyPackages    = []string{"com.android.shell"}
)

// InstallPackages is raised for an app allowed to install other apps.
var InstallPackages = check.Heuristic{
	ID:    Name + "/request-install-packages",
	Level: alert.Medium,
	Meaning: "This app holds, or asked for, the right to install other apps (REQUEST_INSTALL_PACKAGES, \"install unknown " +
		"apps\"). Stalkerware and spyware are often installed from outside Google Play by an app granted this right, " +
		"typically a browser, a file manager or a messaging app the attacker used to open the installer.",
	FalsePositive: "Browsers, file managers, alternative app stores (F-Droid, Aurora) and some messaging apps request it " +
		"routinely; an entry only says the right was used or refused, not what was installed.",
	Advice: "Ask the owner whether they installed apps from outside Google Play through this app, and when. Compare the " +
		"times with package installs (dumpsys_packages, dumpsys_battery_daily) and look for unknown apps installed then.",
}

// ShellOp is raised for an app op used by com.android.shell, the identity of adb shell.
var ShellOp = check.Heuristic{
	ID:    Name + "/shell",
	Level: alert.Medium,
	Meaning: "The shell user (com.android.shell, the identity of commands typed through adb from a connected computer) " +
		"used or was refused this operation. Someone with the unlocked phone and a computer can use adb to install apps " +
		"and grant them permissions without the usual prompts.",
	FalsePositive: "Developers and repair shops use adb, and collecting this bug report over adb itself leaves shell " +
		"activity; entries at the time of the acquisition are expected.",
	Advice: "Compare the entry's time with the acquisition's date and with other events. Ask the owner whether USB " +
		"debugging was ever turned on and who had the phone; check dumpsys_adb_state for computers trusted for debugging.",
}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Package)
	if !ok {
		return
	}
	var latest time.Time
	for _, p := range rec.Permissions {
		for _, e := range p.Entries {
			if e.Timestamp.After(latest) {
				latest = e.Timestamp.Time
			}
		}
	}
	if c.env.AppID(r, alert.Critical, rec.PackageName, "the app operations of uid "+rec.UID, latest, rec) {
		return
	}
	for _, p := range rec.Permissions {
		var h check.Heuristic
		switch {
		case slices.Contains(RiskyPermissions, p.Name):
			h = InstallPackages
		case slices.Contains(RiskyPackages, rec.PackageName):
			h = ShellOp
		default:
			continue
		}
		one := *rec
		one.Permissions = []*Permission{p}
		entries := p.Entries
		if len(entries) == 0 {
			entries = []*Entry{{Access: "Unknown"}}
		}
		entries = slices.Clone(entries)
		slices.SortStableFunc(entries, func(a, b *Entry) int { return a.Timestamp.Compare(b.Timestamp.Time) })
		for _, e := range entries {
			at := e.TimestampLocal
			if at == "" {
				at = "an unknown time"
			}
			var msg string
			if h.ID == InstallPackages.ID {
				msg = fmt.Sprintf("Package %q had risky permission %q set to %q at %s (%s)", rec.PackageName, p.Name, e.Access, at, rec.Clock)
			} else {
				msg = fmt.Sprintf("Risky package %q had %q permission set to %q at %s (%s)", rec.PackageName, p.Name, e.Access, at, rec.Clock)
			}
			h.Raise(r, msg, e.Timestamp.Time, &one)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
