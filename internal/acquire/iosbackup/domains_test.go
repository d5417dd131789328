package iosbackup_test

import (
	"testing"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
)

func TestDevicePath(t *testing.T) {
	tests := []struct {
		name, domain, rel string
		want              string
		ok                bool
	}{
		{"home", "HomeDomain", "Library/SMS/sms.db", "/private/var/mobile/Library/SMS/sms.db", true},
		{"home_root", "HomeDomain", "", "/private/var/mobile", true},
		{"camera_roll", "CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.HEIC", "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.HEIC", true},
		{"media", "MediaDomain", "Media/Recordings/Recordings.db", "/private/var/mobile/Media/Recordings/Recordings.db", true},
		{"tones", "TonesDomain", "Media/iTunes_Control/Ringtones/a.m4r", "/private/var/mobile/Media/iTunes_Control/Ringtones/a.m4r", true},
		{"keyboard", "KeyboardDomain", "Library/Keyboard/dynamic-text.dat", "/private/var/mobile/Library/Keyboard/dynamic-text.dat", true},
		{"homekit", "HomeKitDomain", "Library/homed/datastore.sqlite", "/private/var/mobile/Library/homed/datastore.sqlite", true},
		{"books", "BooksDomain", "Books.plist", "/private/var/mobile/Media/Books/Books.plist", true},
		{"health", "HealthDomain", "Health/healthdb_secure.sqlite", "/private/var/mobile/Library/Health/healthdb_secure.sqlite", true},
		{"root", "RootDomain", "Library/Caches/locationd/clients.plist", "/private/var/root/Library/Caches/locationd/clients.plist", true},
		{"wireless", "WirelessDomain", "Library/Databases/DataUsage.sqlite", "/private/var/wireless/Library/Databases/DataUsage.sqlite", true},
		{"system_preferences", "SystemPreferencesDomain", "SystemConfiguration/preferences.plist", "/private/var/preferences/SystemConfiguration/preferences.plist", true},
		{"keychain", "KeychainDomain", "keychain-backup.plist", "/private/var/Keychains/keychain-backup.plist", true},
		{"managed_preferences", "ManagedPreferencesDomain", "mobile/com.apple.webcontentfilter.plist", "/private/var/Managed Preferences/mobile/com.apple.webcontentfilter.plist", true},
		{"mobile_device", "MobileDeviceDomain", "ProvisioningProfiles/mis.db", "/private/var/MobileDevice/ProvisioningProfiles/mis.db", true},
		{"database", "DatabaseDomain", "com.apple.xpc.roleaccountd.staging/x", "/private/var/db/com.apple.xpc.roleaccountd.staging/x", true},
		{"install", "InstallDomain", "Library/MobileInstallation/x.plist", "/private/var/installd/Library/MobileInstallation/x.plist", true},
		{"network", "NetworkDomain", "netusage.sqlite", "/private/var/networkd/netusage.sqlite", true},
		{"protected", "ProtectedDomain", "trustd/private/TrustStore.sqlite3", "/private/var/protected/trustd/private/TrustStore.sqlite3", true},
		{"configuration_profiles", "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles", "Library/ConfigurationProfiles/MCProfileEvents.plist",
			"/private/var/containers/Shared/SystemGroup/systemgroup.com.apple.configurationprofiles/Library/ConfigurationProfiles/MCProfileEvents.plist", true},
		{"hostile_path_kept", "HomeDomain", "../../etc/passwd", "/private/var/mobile/../../etc/passwd", true},
		{"absolute_path_kept", "HomeDomain", "/etc/passwd", "/private/var/mobile//etc/passwd", true},
		{"app", "AppDomain-net.whatsapp.WhatsApp", "Documents/x", "", false},
		{"app_group", "AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ChatStorage.sqlite", "", false},
		{"app_plugin", "AppDomainPlugin-com.apple.mobilesafari.extension", "Library/x", "", false},
		{"system_container", "SysContainerDomain-com.apple.geod", "Library/x", "", false},
		{"other_system_group", "SysSharedContainerDomain-systemgroup.com.apple.osanalytics", "Library/x", "", false},
		{"unknown", "FutureDomain", "x", "", false},
		{"empty", "", "x", "", false},
		{"case_matters", "homedomain", "x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := iosbackup.DevicePath(tt.domain, tt.rel)
			if got != tt.want || ok != tt.ok {
				t.Errorf("DevicePath(%q, %q) = %q, %v; want %q, %v", tt.domain, tt.rel, got, ok, tt.want, tt.ok)
			}
		})
	}
}
