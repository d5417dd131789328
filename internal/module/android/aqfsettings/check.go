package aqfsettings

import (
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/safetext"
)

// DangerousSettingID is the check of every dangerous setting.
const DangerousSettingID = Name + "/dangerous-setting"

// Dangerous is a setting whose value other than Safe weakens the phone's defences.
type Dangerous struct {
	Key  string
	Safe string
	// Description says in a few words what a value other than Safe means (MVT's).
	Description string
	// Heuristic carries the analyst's texts.
	Heuristic check.Heuristic
}

func dangerous(key, safe, description, meaning, fp, advice string) Dangerous {
	return Dangerous{Key: key, Safe: safe, Description: description, Heuristic: check.Heuristic{
		ID: DangerousSettingID, Level: alert.Medium, Meaning: meaning, FalsePositive: fp, Advice: advice,
	}}
}

const playProtectAdvice = "Ask the owner whether they changed it. Turn Google Play Protect back on (Play Store › profile › Play " +
	"Protect › settings), let it scan the phone, and look in aqf_packages for apps installed outside an app store."

// DangerousSettings are the settings checked, by key.
var DangerousSettings = map[string]Dangerous{}

func init() {
	for _, d := range []Dangerous{
		dangerous("verifier_verify_adb_installs", "1", "disabled Google Play Services apps verification",
			"Google Play Protect no longer checks apps installed from a computer over USB (adb). Someone installing stalkerware "+
				"with a cable turns this off so that Play Protect does not block or flag the app.",
			"Developers who install their own test builds over USB sometimes turn this off.",
			playProtectAdvice),
		dangerous("package_verifier_enable", "1", "disabled Google Play Protect",
			"Google Play Protect is turned off: apps are no longer scanned for harmful behaviour, at installation or later. "+
				"Stalkerware installers turn it off first, because Play Protect detects and removes many stalkerware apps.",
			"Some owners turn it off to install apps Play Protect warns about (modified apps, games), and phones without Google "+
				"services do not use it.",
			playProtectAdvice),
		dangerous("package_verifier_state", "1", "disabled APK package verification",
			"The verification of installed packages by Google Play Protect is disabled, so apps installed from files are not "+
				"checked before they run.",
			"Phones without Google services, or with Play Protect deliberately turned off by the owner, show this.",
			playProtectAdvice),
		dangerous("package_verifier_user_consent", "1", "disabled Google Play Protect",
			"The consent to Google Play Protect's app verification was withdrawn, so apps from outside the Play Store are not "+
				"checked. Someone preparing a phone for stalkerware answers the Play Protect prompt this way.",
			"The owner may have declined the prompt when first installing an app from a file.",
			playProtectAdvice),
		dangerous("upload_apk_enable", "1", "disabled Google Play Protect",
			"\"Improve harmful app detection\" is off: unknown apps are no longer sent to Google for analysis, so a new "+
				"stalkerware sample on this phone would not reach Google's detection.",
			"Privacy-minded owners turn this off on purpose; it weakens detection but is common.",
			playProtectAdvice),
		dangerous("adb_install_need_confirm", "1", "disabled confirmation of adb apps installation",
			"Apps can be installed from a computer over USB without a confirmation on the phone's screen (a setting of "+
				"Xiaomi and other vendors), so someone with the phone and a cable can install an app silently.",
			"Developers and people who install many apps from a computer turn the confirmation off.",
			"Ask the owner whether they changed it. Turn the confirmation back on in the developer options, turn USB debugging "+
				"off when not needed, and look in aqf_packages for apps without an installer."),
		dangerous("send_security_reports", "1", "disabled sharing of security reports",
			"The phone no longer sends security reports to its vendor (Samsung), which hides tampering from the vendor's "+
				"detection.",
			"Many owners refuse diagnostic sharing during setup for privacy reasons.",
			"Ask the owner whether they chose this; on its own it is weak evidence. Look at it together with the other "+
				"settings and the disabled packages in aqf_packages."),
		dangerous("samsung_errorlog_agree", "1", "disabled sharing of crash logs with manufacturer",
			"Crash logs are no longer shared with Samsung: crashes caused by exploits or spyware would not be reported to "+
				"the vendor.",
			"Many owners refuse diagnostic sharing during setup for privacy reasons.",
			"Ask the owner whether they chose this; on its own it is weak evidence."),
		dangerous("send_action_app_error", "1", "disabled applications errors reports",
			"Application error reports are disabled, so app crashes (including those of a failing exploit or spyware "+
				"component) are not reported.",
			"Owners and some vendor builds turn error reporting off for privacy.",
			"Ask the owner whether they chose this; on its own it is weak evidence."),
		dangerous("install_non_market_apps", "0", "enabled installation of non Google Play apps",
			"Installation of apps from unknown sources (outside the Play Store) is allowed for the whole phone (Android 7 and "+
				"earlier). Stalkerware is installed from an APK file, which needs this switch.",
			"Owners who install apps from F-Droid, APK sites or their employer turn this on.",
			"Ask the owner whether they turned it on and why. Turn it off unless needed, and look in aqf_packages for apps "+
				"installed from files."),
		dangerous("accessibility_enabled", "0", "enabled accessibility services",
			"At least one accessibility service is on. An accessibility service sees everything on the screen and can act on "+
				"the user's behalf: stalkerware uses one to read messages, log keystrokes and keep itself from being removed.",
			"People who use a screen reader, a password manager, an automation or a launcher app have accessibility services "+
				"on; this alone is common.",
			"Find which services are on (Settings › Accessibility, or dumpsys_accessibility in a bug report) and check that "+
				"the owner knows each app."),
	} {
		DangerousSettings[d.Key] = d
	}
}

type checker struct{}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	switch rec := v.(type) {
	case *Setting:
		c.check(rec, r)
	case Settings:
		for _, s := range rec {
			c.check(s, r)
		}
	}
}

func (c *checker) check(rec *Setting, r *check.Reporter) {
	d, ok := DangerousSettings[rec.Key]
	if !ok || rec.Value == d.Safe {
		return
	}
	d.Heuristic.Raise(r, fmt.Sprintf("Found suspicious %q setting \"%s = %s\" (%s)", safetext.Truncate(rec.Namespace, 50), rec.Key,
		safetext.Truncate(rec.Value, 100), d.Description), time.Time{}, rec)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
