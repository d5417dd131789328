package dumpsyspackages

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/heuristics"
	"github.com/spytrace/spytrace/internal/check"
)

// RootPackage is raised once per installed app that roots the phone or hides root.
var RootPackage = check.Heuristic{
	ID:    "dumpsys_packages/root-package",
	Level: alert.Medium,
	Meaning: "An app used to root the phone, to hide that it is rooted, or to patch apps and the system is installed. " +
		"A rooted phone has lost the protections that keep apps apart: anyone who controls the root access, or spyware " +
		"installed by them, can read every app's data and hide from inspection. Some stalkerware needs root to read messaging apps.",
	FalsePositive: "Technically minded owners root their own phones, or install these tools to customise them; the app alone " +
		"does not prove the phone is rooted or that anyone else did it.",
	Advice: "Ask the owner whether they rooted the phone or installed this app themselves. If not, treat the phone as " +
		"compromised: look at the other apps installed around the same date, and at apps with accessibility services or " +
		"device-admin rights. Keep the acquisition for an experienced analyst.",
}

// OutsideStore is raised for an app installed from an APK file or without any installer.
var OutsideStore = check.Heuristic{
	ID:    "dumpsys_packages/installed-outside-store",
	Level: alert.Medium,
	Meaning: "This app was not installed from an app store: either an APK file was opened with the system package installer " +
		"(downloaded with a browser, received in a message or copied onto the phone), or no installer is recorded, which is what " +
		"an install over USB with adb, or by another tool, leaves. Stalkerware is not in app stores, so it is installed this way " +
		"by someone who had the unlocked phone in hand for a few minutes.",
	FalsePositive: "Owners install apps from APK files (apps unavailable in their country, beta versions, banking or " +
		"government apps distributed directly); developers install their own apps with adb; carriers and vendors preinstall " +
		"apps without an installer.",
	Advice: "Ask the owner whether they know this app and installed it themselves. Look at its name, its permissions and " +
		"accessibility services in this bug report, and at what else was installed around the same date. An unknown app with " +
		"access to messages, location or the screen should be examined by an experienced analyst before it is removed.",
}

// ThirdPartyStore is raised for an app installed from F-Droid or the Aurora Store.
var ThirdPartyStore = check.Heuristic{
	ID:    "dumpsys_packages/third-party-store",
	Level: alert.Informational,
	Meaning: "This app was installed from an app store other than Google Play (F-Droid or the Aurora Store). These stores " +
		"do not review apps the way Google Play does.",
	FalsePositive: "Both stores are widely used by privacy-minded people; F-Droid distributes open-source apps only.",
	Advice:        "Check that the owner knows the app; no action is needed otherwise.",
}

// DangerousPermissions is raised for an app other than a system app granted many of
// the permissions that give access to private data.
var DangerousPermissions = check.Heuristic{
	ID:    "dumpsys_packages/dangerous-permissions",
	Level: alert.Low,
	Meaning: fmt.Sprintf("This app has been granted at least %d of the permissions that give access to private data or "+
		"to the phone's controls (location, camera, microphone, contacts, SMS, call log, calendar, drawing over other apps…). "+
		"Stalkerware asks for most of them at once.", heuristics.DangerousPermissionThreshold),
	FalsePositive: "Messaging, social-network, phone, contacts-backup and some security or parental-control apps " +
		"legitimately hold many of these permissions. This alone is weak evidence; MVT only notes it in its log.",
	Advice: "Check that the owner knows the app and expects it to have this access. Together with an install outside an " +
		"app store or an enabled accessibility service, it deserves a closer look.",
}

type checker struct {
	env    *check.Env
	rooted map[string]bool
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	t := rec.Timestamp.Time
	c.env.AppID(r, alert.Critical, rec.PackageName, "the list of installed packages", t, rec)
	if heuristics.RootPackages[rec.PackageName] && !c.rooted[rec.PackageName] {
		c.rooted[rec.PackageName] = true
		RootPackage.Raise(r, fmt.Sprintf("Found an installed package related to rooting: %q%s", rec.PackageName, rec.when()), t, rec)
	}
	switch rec.InstallSource {
	case heuristics.SourcePackageFile:
		OutsideStore.Raise(r, fmt.Sprintf("The app %q was installed from an APK file with %s%s", rec.PackageName, rec.installer(), rec.when()), t, rec)
	case heuristics.SourceUnknown:
		OutsideStore.Raise(r, fmt.Sprintf("The app %q has no recorded installer: installed with adb or another method%s", rec.PackageName, rec.when()), t, rec)
	case heuristics.SourceThirdPartyStore:
		ThirdPartyStore.Raise(r, fmt.Sprintf("The app %q was installed from the third-party store %s%s", rec.PackageName, rec.installer(), rec.when()), t, rec)
	}
	if !rec.System && !rec.systemUnknown {
		if granted := GrantedDangerous(rec.Permissions); len(granted) >= heuristics.DangerousPermissionThreshold {
			DangerousPermissions.Raise(r, fmt.Sprintf("The app %q has been granted %d dangerous permissions: %s",
				rec.PackageName, len(granted), shortNames(granted)), t, rec)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// GrantedDangerous returns the distinct dangerous permissions among perms that are
// granted (install or runtime), in the order met.
func GrantedDangerous(perms []Permission) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range perms {
		if p.Type == "declared" || p.Granted == nil || !*p.Granted || seen[p.Name] || !heuristics.DangerousPermissions[p.Name] {
			continue
		}
		seen[p.Name] = true
		out = append(out, p.Name)
	}
	return out
}

func shortNames(perms []string) string {
	short := make([]string, len(perms))
	for i, p := range perms {
		short[i] = p[strings.LastIndexByte(p, '.')+1:]
	}
	return strings.Join(short, ", ")
}
