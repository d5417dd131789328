package iosbackup

// domainRoots maps the backup domains whose folder on the device is fixed to that
// folder. A file's device path is the root, "/", then its relativePath. Sources: the
// domain tables of public backup tools (UFADE, iOS Backup UNFunker, dissect's iTunes
// loader), which agree with each other, and the paths the artifacts have on
// filesystem acquisitions (e.g. HomeDomain/Library/SMS/sms.db is
// /private/var/mobile/Library/SMS/sms.db).
var domainRoots = map[string]string{
	"HomeDomain":               "/private/var/mobile",
	"CameraRollDomain":         "/private/var/mobile", // relativePath starts with Media/DCIM…
	"MediaDomain":              "/private/var/mobile", // relativePath starts with Media/…
	"TonesDomain":              "/private/var/mobile",
	"KeyboardDomain":           "/private/var/mobile",
	"HomeKitDomain":            "/private/var/mobile",
	"BooksDomain":              "/private/var/mobile/Media/Books",
	"HealthDomain":             "/private/var/mobile/Library", // relativePath starts with Health/…
	"RootDomain":               "/private/var/root",
	"WirelessDomain":           "/private/var/wireless",
	"SystemPreferencesDomain":  "/private/var/preferences",
	"KeychainDomain":           "/private/var/Keychains",
	"ManagedPreferencesDomain": "/private/var/Managed Preferences",
	"MobileDeviceDomain":       "/private/var/MobileDevice",
	"DatabaseDomain":           "/private/var/db",
	"InstallDomain":            "/private/var/installd",
	"NetworkDomain":            "/private/var/networkd",
	"ProtectedDomain":          "/private/var/protected",
	// System group containers normally live in a folder named by a random UUID, but
	// the configuration profiles group has a fixed path, hard-coded in iOS's
	// ManagedConfiguration framework.
	"SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles": "/private/var/containers/Shared/SystemGroup/systemgroup.com.apple.configurationprofiles",
}

// DevicePath returns the absolute path on the device of the backup file domain /
// relativePath (HomeDomain, Library/SMS/sms.db → /private/var/mobile/Library/SMS/sms.db),
// for the domains whose folder on the device is fixed. App and group containers
// (AppDomain-…, AppDomainGroup-…, AppDomainPlugin-…, SysContainerDomain-…, and
// SysSharedContainerDomain-… except the configuration profiles group) live in folders
// named by a UUID that the backup does not record: for them, and for unknown domains,
// DevicePath returns false.
//
// relativePath is joined as it is, without cleaning, so that a hostile "../" or a
// leading "/" stays visible in the result.
func DevicePath(domain, relativePath string) (string, bool) {
	root, ok := domainRoots[domain]
	if !ok {
		return "", false
	}
	if relativePath == "" {
		return root, true
	}
	return root + "/" + relativePath, true
}
