package intrusionlog

// SecurityTag is one SecurityLog event type as the intrusion-logging exporter names it.
type SecurityTag struct {
	// ID is the platform's EventLog tag (android.app.admin.SecurityLog.TAG_*).
	ID int
	// Name is the JSON subevent key the exporter writes.
	Name string
	// Aliases are other spellings accepted for the same event: the platform's logtag
	// names and the names earlier MVT versions used (media_mount, key_import…).
	Aliases []string
	// Title is a short English name.
	Title string
}

// SecurityTags lists the 46 SecurityLog tags of Android 16 (210001–210046), with the
// subevent names of Google Play services' exporter (MVT's inventory of exporter
// 26.32.34) and the fields the platform writes for each (in the comments).
var SecurityTags = []SecurityTag{
	{210001, "adb_shell_interactive", nil, "ADB interactive shell"},                             // —
	{210002, "adb_shell_cmd", []string{"adb_shell_command"}, "ADB shell command"},               // command
	{210003, "adb_sync_recv_file", []string{"adb_sync_recv"}, "File pulled over ADB"},           // path
	{210004, "adb_sync_send_file", []string{"adb_sync_send"}, "File pushed over ADB"},           // path
	{210005, "app_process_start", nil, "App process started"},                                   // process, start_time, uid, pid, seinfo, sha256
	{210006, "keyguard_dismissed", nil, "Keyguard dismissed"},                                   // —
	{210007, "keyguard_dismiss_auth_attempt", nil, "Keyguard authentication attempt"},           // success, method_strength
	{210008, "keyguard_secured", nil, "Device locked"},                                          // —
	{210009, "os_startup", nil, "OS startup"},                                                   // boot_state, verity_mode
	{210010, "os_shutdown", nil, "OS shutdown"},                                                 // —
	{210011, "logging_started", nil, "Security logging started"},                                // —
	{210012, "logging_stopped", nil, "Security logging stopped"},                                // —
	{210013, "media_mounted", []string{"media_mount"}, "Removable media mounted"},               // path, label
	{210014, "media_unmounted", []string{"media_unmount"}, "Removable media unmounted"},         // path, label
	{210015, "log_buffer_size_critical", nil, "Security log buffer 90% full"},                   // —
	{210016, "password_expiration_set", nil, "Password expiration set by an admin"},             // package, admin_user, target_user, timeout
	{210017, "password_complexity_set", nil, "Password complexity set by an admin"},             // package, admin_user, target_user, length, quality, num_*
	{210018, "password_history_length_set", nil, "Password history length set by an admin"},     // package, admin_user, target_user, length
	{210019, "max_screen_lock_timeout_set", nil, "Maximum screen-lock timeout set by an admin"}, // package, admin_user, target_user, timeout
	{210020, "max_password_attempts_set", nil, "Maximum password attempts set by an admin"},     // package, admin_user, target_user, num_failures
	{210021, "keyguard_disabled_features_set", nil, "Keyguard features disabled by an admin"},   // package, admin_user, target_user, features
	{210022, "remote_lock", nil, "Remote lock by an admin"},                                     // package, admin_user, target_user
	{210023, "wipe_failure", []string{"wipe_failed"}, "Wipe failed"},                            // (package, admin_user)
	{210024, "key_generated", nil, "Key generated"},                                             // success, key_id, uid
	{210025, "key_imported", []string{"key_import"}, "Key imported"},                            // success, key_id, uid
	{210026, "key_destruction", []string{"key_destroyed"}, "Key destroyed"},                     // success, key_id, uid
	{210027, "user_restriction_added", nil, "User restriction added by an admin"},               // package, admin_user, restriction
	{210028, "user_restriction_removed", nil, "User restriction removed by an admin"},           // package, admin_user, restriction
	{210029, "cert_authority_installed", nil, "CA certificate installed"},                       // success, subject, target_user
	{210030, "cert_authority_removed", nil, "CA certificate removed"},                           // success, subject, target_user
	{210031, "crypto_self_test_completed", nil, "Cryptographic self-test completed"},            // success
	{210032, "key_integrity_violation", nil, "Key integrity violation"},                         // key_id, uid
	{210033, "cert_validation_failure", nil, "Certificate validation failure"},                  // reason
	{210034, "camera_policy_set", nil, "Camera policy set by an admin"},                         // package, admin_user, target_user, disabled
	{210035, "password_complexity_required", nil, "Password complexity required by an admin"},   // package, admin_user, target_user, complexity
	{210036, "password_changed", nil, "Lock-screen password changed"},                           // password_complexity, target_user
	{210037, "wifi_connection", nil, "Wi-Fi connection"},                                        // bssid, event_type, reason
	{210038, "wifi_disconnection", nil, "Wi-Fi disconnection"},                                  // bssid, reason
	{210039, "bluetooth_connection", nil, "Bluetooth connection"},                               // addr, success, reason
	{210040, "bluetooth_disconnection", nil, "Bluetooth disconnection"},                         // addr, reason
	{210041, "package_installed", nil, "Package installed"},                                     // package_name, version_code, user_id
	{210042, "package_updated", nil, "Package updated"},                                         // package_name, version_code, user_id
	{210043, "package_uninstalled", nil, "Package uninstalled"},                                 // package_name, version_code, user_id
	{210044, "backup_service_toggled", nil, "Backup service toggled by an admin"},               // package, admin_user, enabled
	{210045, "nfc_enabled", nil, "NFC enabled"},                                                 // —
	{210046, "nfc_disabled", nil, "NFC disabled"},                                               // —
}

var tagsByName = func() map[string]*SecurityTag {
	m := map[string]*SecurityTag{}
	for i := range SecurityTags {
		t := &SecurityTags[i]
		m[t.Name] = t
		for _, a := range t.Aliases {
			m[a] = t
		}
	}
	return m
}()

// LookupTag returns the tag of a subevent key (exporter name or alias), or nil.
func LookupTag(name string) *SecurityTag { return tagsByName[name] }
