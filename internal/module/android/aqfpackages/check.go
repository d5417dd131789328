package aqfpackages

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/heuristics"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/safetext"
)

// RootPackage is raised for an installed app that roots the phone or hides root.
var RootPackage = check.Heuristic{
	ID:    Name + "/root-package",
	Level: alert.Medium,
	Meaning: "An app used to root the phone, to hide that it is rooted, or to patch apps and the system is installed. " +
		"A rooted phone has lost the protections that keep apps apart: whoever controls the root access, or spyware " +
		"installed by them, can read every app's data and hide from inspection. Some stalkerware needs root to read messaging apps.",
	FalsePositive: "Technically minded owners root their own phones, or install these tools to customise them; the app alone " +
		"does not prove the phone is rooted or that anyone else did it.",
	Advice: "Ask the owner whether they rooted the phone or installed this app themselves. If not, treat the phone as " +
		"compromised: look at the other apps installed outside an app store, at root_binaries and mounts in this collection, " +
		"and keep the collection for an experienced analyst.",
}

// ThirdPartyStore is raised for an app installed from F-Droid or the Aurora Store.
var ThirdPartyStore = check.Heuristic{
	ID:    Name + "/third-party-store",
	Level: alert.Informational,
	Meaning: "This app was installed from an app store other than Google Play (F-Droid or the Aurora Store). These stores " +
		"do not review apps the way Google Play does.",
	FalsePositive: "Both stores are widely used by privacy-minded people; F-Droid distributes open-source apps only.",
	Advice:        "Check that the owner knows the app; no action is needed otherwise.",
}

// InstalledFromFile is raised for an app installed by the system package installer.
var InstalledFromFile = check.Heuristic{
	ID:    Name + "/installed-from-file",
	Level: alert.Medium,
	Meaning: "This app was installed from an APK file opened with the system package installer: downloaded with a browser, " +
		"received in a message or copied onto the phone, not installed from an app store. Stalkerware is not in app stores, so " +
		"it is installed this way by someone who had the unlocked phone in hand for a few minutes.",
	FalsePositive: "Owners install apps from APK files (apps unavailable in their country, beta versions, banking or " +
		"government apps distributed directly, app updates from a vendor's website).",
	Advice: "Ask the owner whether they know this app and installed it themselves. Look at its name, its signing certificate " +
		"(certificate Subject) and at what else this collection says about it (accessibility, device admin, permissions in " +
		"dumpsys). An unknown app should be examined by an experienced analyst before it is removed; keep its APK from apks/.",
}

// NoInstaller is raised for a non-system app without any recorded installer.
var NoInstaller = check.Heuristic{
	ID:    Name + "/no-installer",
	Level: alert.Medium,
	Meaning: "This app is not a system app and no installer is recorded for it: it was installed over USB with adb, by a " +
		"computer program, or by an app that installs packages without going through the package installer. Stalkerware " +
		"installed by someone with brief access to the phone and a computer looks like this.",
	FalsePositive: "Developers install their own apps with adb; device-management tools, carriers and vendor setup " +
		"wizards install apps without an installer; some apps restored from a backup have none.",
	Advice: "Ask the owner whether they or their employer installed this app from a computer. If nobody knows it, keep the " +
		"collection (and the APK in apks/) and have an experienced analyst examine the app before it is removed.",
}

// SecurityPackageDisabled is raised for a disabled vendor security agent.
var SecurityPackageDisabled = check.Heuristic{
	ID:    Name + "/security-package-disabled",
	Level: alert.Medium,
	Meaning: "A security component of the phone's vendor (Samsung's security log agent, its device-policy or update " +
		"agents) is disabled. These components report tampering and deliver security fixes; spyware installers and people " +
		"preparing a phone for monitoring disable them so the phone stops warning and updating.",
	FalsePositive: "Some owners disable vendor apps they see as bloatware with debloating guides or tools; custom ROMs " +
		"and some carrier builds ship with them off.",
	Advice: "Ask the owner whether they disabled it. If not, re-enable it (Settings › Apps › show system apps), update the " +
		"phone, and look for an app installed outside an app store around the same time.",
}

// UpdatePackageDisabled is raised for a disabled system-update agent.
var UpdatePackageDisabled = check.Heuristic{
	ID:    Name + "/update-package-disabled",
	Level: alert.Medium,
	Meaning: "A package that delivers system updates (the vendor's updater, or Google Play services) is disabled, so " +
		"the phone no longer receives the security fixes that close the holes spyware exploits. Disabling updates keeps a " +
		"phone exploitable and keeps installed spyware from being broken by an update.",
	FalsePositive: "Some owners disable updates to avoid a new version they dislike, or with debloating tools; phones " +
		"without Google services (custom ROMs, some Huawei phones) may list the package as disabled.",
	Advice: "Ask the owner whether they disabled it. Re-enable it, install every pending update, and check the security " +
		"patch level in aqf_get_prop.",
}

type checker struct {
	env  *check.Env
	seen map[string]bool
}

// once says whether a check has not yet been raised for a package.
func (c *checker) once(id, pkg string) bool {
	k := id + "\x00" + pkg
	if c.seen[k] {
		return false
	}
	c.seen[k] = true
	return true
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Package)
	if !ok {
		return
	}
	name := safetext.Truncate(rec.Name, 300)
	var none time.Time
	if rec.Name != "" && c.once("app_id", rec.Name) {
		c.env.AppID(r, alert.Critical, rec.Name, "the installed packages", none, rec)
	}
	for _, f := range rec.Files {
		c.fileHash(r, rec, f)
		c.certHash(r, rec, f)
	}

	if heuristics.RootPackages[rec.Name] {
		if c.once(RootPackage.ID, rec.Name) {
			RootPackage.Raise(r, fmt.Sprintf("Found an installed package related to rooting: %q", name), none, rec)
		}
	} else {
		installer := safetext.Truncate(rec.Installer, 300)
		switch {
		case heuristics.ThirdPartyStoreInstallers[rec.Installer]:
			if c.once(ThirdPartyStore.ID, rec.Name) {
				ThirdPartyStore.Raise(r, fmt.Sprintf("The app %q was installed from the third-party store %q", name, installer), none, rec)
			}
		case heuristics.BrowserInstallers[rec.Installer]:
			if c.once(InstalledFromFile.ID, rec.Name) {
				InstalledFromFile.Raise(r, fmt.Sprintf("The app %q was installed from an APK file with %q (downloaded with a browser or received as a file)", name, installer), none, rec)
			}
		case rec.Installer == "null" && !rec.System:
			if c.once(NoInstaller.ID, rec.Name) {
				NoInstaller.Raise(r, fmt.Sprintf("The non-system app %q has no installer: installed with adb or another method", name), none, rec)
			}
		}
	}
	if rec.Disabled && heuristics.SecurityPackages[rec.Name] && c.once(SecurityPackageDisabled.ID, rec.Name) {
		SecurityPackageDisabled.Raise(r, fmt.Sprintf("The security package %q is disabled on the phone", name), none, rec)
	}
	if rec.Disabled && heuristics.SystemUpdatePackages[rec.Name] && c.once(UpdatePackageDisabled.ID, rec.Name) {
		UpdatePackageDisabled.Raise(r, fmt.Sprintf("The system update package %q is disabled on the phone", name), none, rec)
	}
}

// fileHash looks the file's hashes up: packages.json's SHA-256 (MVT's check), then
// the SHA-256 of the collected APK when it differs, then SHA-1 and MD5; one alert per
// file.
func (c *checker) fileHash(r *check.Reporter, rec *Package, f File) {
	where := fmt.Sprintf("the APK %s of the package %q", safetext.Truncate(f.Path, 300), safetext.Truncate(rec.Name, 300))
	for _, h := range []string{f.SHA256, f.APKSHA256, f.SHA1, f.MD5} {
		if h == "" {
			continue
		}
		if m := c.env.Index.MatchHash(h); m != nil {
			r.Indicator(alert.Critical, m, strings.ToLower(h), where, time.Time{}, rec)
			return
		}
	}
}

// certHash looks the certificate's MD5, SHA-1 and SHA-256 up; one alert per file.
func (c *checker) certHash(r *check.Reporter, rec *Package, f File) {
	if f.Certificate == nil {
		return
	}
	where := fmt.Sprintf("the signing certificate of the package %q", safetext.Truncate(rec.Name, 300))
	if f.CertificateSource != "" && f.CertificateSource != SourcePackagesJSON {
		where += " (read from its APK)"
	}
	for _, h := range []string{f.Certificate.Sha256, f.Certificate.Sha1, f.Certificate.Md5} {
		if h == "" {
			continue
		}
		if m := c.env.Index.MatchAppCertHash(h); m != nil && m.Indicator != nil && m.Indicator.Kind == ioc.AppCertHash {
			r.Indicator(alert.Critical, m, strings.ToLower(h), where, time.Time{}, rec)
			return
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
