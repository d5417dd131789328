package dumpsysbatterydaily

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// Uninstall is raised for a package removal.
var Uninstall = check.Heuristic{
	ID:    Name + "/uninstall",
	Level: alert.Medium,
	Meaning: "Android recorded that this app was removed on this day. Spyware and stalkerware are sometimes removed by their " +
		"operators once they are no longer needed or after a scare, which leaves few other traces.",
	FalsePositive: "People remove apps all the time; most removals are innocent.",
	Advice: "Ask the owner whether they recognise the app and removed it. An unknown package name, or a removal close to " +
		"other findings, deserves a closer look at the timeline of that day.",
}

// Downgrade is raised when an app's version went down.
var Downgrade = check.Heuristic{
	ID:    Name + "/downgrade",
	Level: alert.Medium,
	Meaning: "This app was replaced by an older version than the one recorded earlier. Installing an older, vulnerable " +
		"version of an app is a way to exploit a bug fixed since, and replacing an app requires installing it from outside " +
		"the store or over adb.",
	FalsePositive: "Reinstalling an app from a backup or an APK site, leaving a beta programme, or an app store rolling back " +
		"a faulty release also lowers the version.",
	Advice: "Ask the owner whether they reinstalled this app or left a beta. Check who installed the current version " +
		"(dumpsys_packages installer) and whether other findings fall on the same day.",
}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Change)
	if !ok {
		return
	}
	if c.env.AppID(r, alert.Critical, rec.PackageName, "the daily package changes of "+rec.From, rec.Timestamp.Time, rec) {
		return
	}
	switch rec.Action {
	case ActionUninstall:
		Uninstall.Raise(r, fmt.Sprintf("Detected uninstall of package %s (vers 0) on %s", rec.PackageName, rec.From), rec.Timestamp.Time, rec)
	case ActionDowngrade:
		Downgrade.Raise(r, fmt.Sprintf("Detected downgrade of package %s from vers %s to vers %s on %s", rec.PackageName, rec.PreviousVers, rec.Vers, rec.From), rec.Timestamp.Time, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
