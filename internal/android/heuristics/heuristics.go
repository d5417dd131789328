// Package heuristics holds the constant lists Android checks share (MVT's
// src/mvt/android/utils.py and the constants of its artifacts), and the few decisions
// built on them that more than one module makes: how an app was installed, whether a
// package is a rooting tool, which broadcast intents let an app read SMS or watch calls,
// and which packages are the phone's own SMS and dialer apps.
//
// Lists are MVT's unless a comment says otherwise. Lookups are exact and case-sensitive,
// as Android package names are.
package heuristics

import "strings"

// RootPackages are apps that root a phone, hide root, or patch apps and the system
// (MVT's ROOT_PACKAGES, 25 names).
var RootPackages = set(
	"com.noshufou.android.su",
	"com.noshufou.android.su.elite",
	"eu.chainfire.supersu",
	"eu.chainfire.supersu.pro",
	"com.koushikdutta.superuser",
	"com.thirdparty.superuser",
	"com.yellowes.su",
	"com.koushikdutta.rommanager",
	"com.koushikdutta.rommanager.license",
	"com.dimonvideo.luckypatcher",
	"com.chelpus.lackypatch",
	"com.ramdroid.appquarantine",
	"com.ramdroid.appquarantinepro",
	"com.devadvance.rootcloak",
	"com.devadvance.rootcloakplus",
	"de.robv.android.xposed.installer",
	"com.saurik.substrate",
	"com.zachspong.temprootremovejb",
	"com.amphoras.hidemyroot",
	"com.amphoras.hidemyrootadfree",
	"com.formyhm.hideroot",
	"com.formyhm.hideroot.Premium",
	"me.phh.superuser",
	"com.kingouser.com",
	"com.topjohnwu.magisk",
)

// SecurityPackages are vendor security agents whose being disabled MVT reports.
var SecurityPackages = set(
	"com.policydm",
	"com.samsung.android.app.omcagent",
	"com.samsung.android.securitylogagent",
	"com.sec.android.soagent",
)

// SystemUpdatePackages are system-update agents whose being disabled MVT reports.
var SystemUpdatePackages = set(
	"com.android.updater",
	"com.google.android.gms",
	"com.huawei.android.hwouc",
	"com.lge.lgdmsclient",
	"com.motorola.ccc.ota",
	"com.oneplus.opbackup",
	"com.oppo.ota",
	"com.transsion.systemupdate",
	"com.wssyncmldm",
)

// PlayStoreInstaller is the Google Play Store's package name.
const PlayStoreInstaller = "com.android.vending"

// ThirdPartyStoreInstallers are app stores other than Google Play that MVT names.
var ThirdPartyStoreInstallers = set("com.aurora.store", "org.fdroid.fdroid")

// BrowserInstallers are the system package installers: an app they installed was
// installed from an APK file the user opened, usually downloaded with a browser or
// received in a message (MVT's BROWSER_INSTALLERS).
var BrowserInstallers = set("com.google.android.packageinstaller", "com.android.packageinstaller")

// DangerousPermissions are MVT's 20 permissions that give an app access to private
// data or to the phone's controls; DangerousPermissionThreshold is the count from which
// MVT notes an app.
var DangerousPermissions = set(
	"android.permission.ACCESS_COARSE_LOCATION",
	"android.permission.ACCESS_FINE_LOCATION",
	"android.permission.AUTHENTICATE_ACCOUNTS",
	"android.permission.CAMERA",
	"android.permission.DISABLE_KEYGUARD",
	"android.permission.PROCESS_OUTGOING_CALLS",
	"android.permission.READ_CALENDAR",
	"android.permission.READ_CALL_LOG",
	"android.permission.READ_CONTACTS",
	"android.permission.READ_PHONE_STATE",
	"android.permission.READ_SMS",
	"android.permission.RECEIVE_MMS",
	"android.permission.RECEIVE_SMS",
	"android.permission.RECEIVE_WAP_PUSH",
	"android.permission.RECORD_AUDIO",
	"android.permission.SEND_SMS",
	"android.permission.SYSTEM_ALERT_WINDOW",
	"android.permission.USE_CREDENTIALS",
	"android.permission.USE_SIP",
	"com.android.browser.permission.READ_HISTORY_BOOKMARKS",
)

// DangerousPermissionThreshold is MVT's threshold of dangerous permissions.
const DangerousPermissionThreshold = 10

// RiskyAppopsPermissions and RiskyAppopsPackages are MVT's appops lists.
var (
	RiskyAppopsPermissions = set("REQUEST_INSTALL_PACKAGES")
	RiskyAppopsPackages    = set("com.android.shell")
)

// Install sources, as told by an app's installer.
const (
	SourceSystem          = "system"            // a system app (installer irrelevant)
	SourcePlayStore       = "play-store"        // com.android.vending
	SourceThirdPartyStore = "third-party-store" // F-Droid, Aurora Store
	SourcePackageFile     = "package-file"      // the system package installer: an APK opened by the user
	SourceUnknown         = "no-installer"      // no installer recorded: adb, a management tool, or an app with install rights bypassing the installer
	SourceOther           = "other"             // another installer (a vendor store, an app allowed to install apps)
)

// InstallSource classifies how a package was installed from its installer package name
// ("" or "null" when none is recorded) and whether it is a system app.
func InstallSource(installer string, system bool) string {
	switch {
	case system:
		return SourceSystem
	case installer == PlayStoreInstaller:
		return SourcePlayStore
	case ThirdPartyStoreInstallers[installer]:
		return SourceThirdPartyStore
	case BrowserInstallers[installer]:
		return SourcePackageFile
	case installer == "" || installer == "null":
		return SourceUnknown
	}
	return SourceOther
}

// Broadcast intents that let an app read SMS or watch calls (MVT's dumpsys_receivers
// constants).
const (
	IntentNewOutgoingSMS  = "android.provider.Telephony.NEW_OUTGOING_SMS"
	IntentSMSReceived     = "android.provider.Telephony.SMS_RECEIVED"
	IntentDataSMSReceived = "android.intent.action.DATA_SMS_RECEIVED"
	IntentPhoneState      = "android.intent.action.PHONE_STATE"
	IntentNewOutgoingCall = "android.intent.action.NEW_OUTGOING_CALL"
)

// InterceptionIntents says, for each intent above, what a receiver of it can do, in
// MVT's words.
var InterceptionIntents = map[string]string{
	IntentNewOutgoingSMS:  "intercept outgoing SMS messages",
	IntentSMSReceived:     "intercept incoming SMS messages",
	IntentDataSMSReceived: "intercept incoming data SMS messages",
	IntentPhoneState:      "monitor the telephony state and incoming calls",
	IntentNewOutgoingCall: "monitor outgoing calls",
}

// DefaultCommunicationApps are the SMS, dialer and telephony apps phones ship with
// (AOSP, Google, Samsung, Xiaomi, OnePlus/Oppo, Huawei, Motorola). They receive SMS and
// call broadcasts by design. spytrace's list, not MVT's.
var DefaultCommunicationApps = set(
	"android",
	"com.android.phone",
	"com.android.server.telecom",
	"com.android.providers.telephony",
	"com.android.mms",
	"com.android.mms.service",
	"com.android.messaging",
	"com.android.dialer",
	"com.android.incallui",
	"com.android.contacts",
	"com.android.cellbroadcastreceiver",
	"com.android.cellbroadcastreceiver.module",
	"com.android.stk",
	"com.google.android.apps.messaging",
	"com.google.android.dialer",
	"com.google.android.contacts",
	"com.google.android.gms",
	"com.google.android.cellbroadcastreceiver",
	"com.samsung.android.messaging",
	"com.samsung.android.dialer",
	"com.samsung.android.incallui",
	"com.samsung.android.app.telephonyui",
	"com.samsung.android.contacts",
	"com.sec.android.app.telephonyui",
	"com.miui.securitycenter",
	"com.android.mms.miui",
	"com.oneplus.mms",
	"com.oneplus.dialer",
	"com.coloros.mms",
	"com.huawei.message",
	"com.huawei.contacts",
	"com.motorola.messaging",
)

// platformPrefixes are the name spaces of the Android platform and Google's system apps.
var platformPrefixes = []string{"com.android.", "com.google.android."}

// IsPlatformName says whether a package name is in the Android or Google system name
// spaces (or is "android"). Any app can choose such a name, so it is evidence only when
// nothing better (the SYSTEM flag of the package list) is known.
func IsPlatformName(pkg string) bool {
	if pkg == "android" {
		return true
	}
	for _, p := range platformPrefixes {
		if strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
