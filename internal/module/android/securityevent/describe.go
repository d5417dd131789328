package securityevent

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/safetext"
)

// maxDescription bounds a summary: payloads are attacker-controlled.
const maxDescription = 500

// payload gives typed access to a subevent's fields; the exporter's field name comes
// first, then older spellings.
type payload struct {
	m   map[string]any
	raw any
}

func (p payload) get(keys ...string) any {
	for _, k := range keys {
		if v, ok := p.m[k]; ok {
			return v
		}
	}
	return nil
}

func (p payload) str(keys ...string) string {
	v := p.get(keys...)
	if v == nil {
		return ""
	}
	if s := intrusionlog.Str(v); s != "" {
		return s
	}
	if b, ok := v.(bool); ok {
		return fmt.Sprint(b)
	}
	return ""
}

// flag reads a success-like field; ok is false when it is absent or unreadable.
func (p payload) flag(keys ...string) (b, ok bool) { return intrusionlog.Bool(p.get(keys...)) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// admin names the device-admin app of a policy event.
func (p payload) admin() string { return or(p.str("package", "admin_package"), "an unknown admin app") }

func (p payload) user(key string) string {
	if s := p.str(key); s != "" {
		return ", user " + s
	}
	return ""
}

func outcome(p payload, yes, no string) string {
	b, ok := p.flag("success")
	switch {
	case !ok:
		return yes + " (outcome not recorded)"
	case b:
		return yes
	}
	return no
}

// describe returns a readable one-line summary of a subevent (event is its exporter
// name, or the name as written when unknown).
func describe(event string, v any) string {
	m, _ := v.(map[string]any)
	p := payload{m: m, raw: v}
	var s string
	switch event {
	case "adb_shell_interactive":
		s = "ADB interactive shell opened"
	case "adb_shell_cmd":
		s = "ADB shell command: " + or(p.str("command"), "(not recorded)")
	case "adb_sync_recv_file":
		s = "File pulled from the device over ADB: " + or(p.str("path"), "(path not recorded)")
	case "adb_sync_send_file":
		s = "File pushed to the device over ADB: " + or(p.str("path"), "(path not recorded)")
	case "app_process_start":
		s = fmt.Sprintf("Process started: %s (UID %s, PID %s", or(p.str("process"), "(unknown)"), or(p.str("uid"), "?"), or(p.str("pid"), "?"))
		if se := p.str("seinfo"); se != "" {
			s += ", seinfo " + se
		}
		if h := p.str("sha256"); h != "" {
			s += ", APK SHA-256 " + h
		}
		s += ")"
	case "keyguard_dismissed":
		s = "Lock screen dismissed"
	case "keyguard_dismiss_auth_attempt":
		s = "Lock-screen authentication " + outcome(p, "succeeded", "failed")
		if ms := p.str("method_strength"); ms != "" {
			s += " (method strength " + ms + ")"
		}
	case "keyguard_secured":
		s = "Device locked"
	case "os_startup":
		s = fmt.Sprintf("OS started (verified boot state: %s, dm-verity: %s)",
			or(p.str("boot_state", "verified_boot_state"), "?"), or(p.str("verity_mode", "dm_verity_mode"), "?"))
	case "os_shutdown":
		s = "OS shut down"
	case "logging_started":
		s = "Security logging started"
	case "logging_stopped":
		s = "Security logging stopped"
	case "media_mounted", "media_unmounted":
		verb := "mounted"
		if event == "media_unmounted" {
			verb = "unmounted"
		}
		s = fmt.Sprintf("Removable media %s at %s", verb, or(p.str("path", "mount_point"), "(unknown path)"))
		if l := p.str("label", "volume_label"); l != "" {
			s += " (label " + l + ")"
		}
	case "log_buffer_size_critical":
		s = "Security log buffer 90% full"
	case "password_expiration_set":
		s = fmt.Sprintf("Password expiration set to %s ms by %s%s", or(p.str("timeout", "timeout_ms"), "?"), p.admin(), p.user("target_user"))
	case "password_complexity_set":
		s = fmt.Sprintf("Password requirements set by %s%s (length %s, quality %s)", p.admin(), p.user("target_user"),
			or(p.str("length"), "?"), or(p.str("quality"), "?"))
	case "password_history_length_set":
		s = fmt.Sprintf("Password history length set to %s by %s%s", or(p.str("length"), "?"), p.admin(), p.user("target_user"))
	case "max_screen_lock_timeout_set":
		s = fmt.Sprintf("Maximum screen-lock timeout set to %s ms by %s%s", or(p.str("timeout", "timeout_ms"), "?"), p.admin(), p.user("target_user"))
	case "max_password_attempts_set":
		s = fmt.Sprintf("Maximum failed password attempts before wipe set to %s by %s%s", or(p.str("num_failures", "max_attempts"), "?"),
			p.admin(), p.user("target_user"))
	case "keyguard_disabled_features_set":
		s = fmt.Sprintf("Lock-screen features disabled by %s%s: %s", p.admin(), p.user("target_user"), or(p.str("features", "disabled_features"), "?"))
	case "remote_lock":
		s = "Device remotely locked by " + p.admin() + p.user("target_user")
	case "wipe_failure":
		s = "Device or user data wipe failed"
		if a := p.str("package", "admin_package"); a != "" {
			s += " (requested by " + a + ")"
		}
	case "key_generated", "key_imported", "key_destruction":
		verb := map[string][2]string{
			"key_generated":   {"generated", "generation failed"},
			"key_imported":    {"imported", "import failed"},
			"key_destruction": {"destroyed", "destruction failed"},
		}[event]
		s = fmt.Sprintf("Key %s: %s (UID %s)", outcome(p, verb[0], verb[1]), or(p.str("key_id"), "(unknown)"), or(p.str("uid"), "?"))
	case "user_restriction_added", "user_restriction_removed":
		verb := "added"
		if event == "user_restriction_removed" {
			verb = "removed"
		}
		s = fmt.Sprintf("User restriction %s %s by %s", or(p.str("restriction"), "?"), verb, p.admin())
	case "cert_authority_installed":
		s = fmt.Sprintf("CA certificate %s: %s%s", outcome(p, "installed", "installation failed"), or(p.str("subject"), "(unknown subject)"), p.user("target_user"))
	case "cert_authority_removed":
		s = fmt.Sprintf("CA certificate %s: %s%s", outcome(p, "removed", "removal failed"), or(p.str("subject"), "(unknown subject)"), p.user("target_user"))
	case "crypto_self_test_completed":
		if selfTestFailed(v) {
			s = "Cryptographic self-test FAILED"
		} else {
			s = "Cryptographic self-test passed"
		}
	case "key_integrity_violation":
		s = fmt.Sprintf("Key integrity violation: %s (UID %s)", or(p.str("key_id"), "(unknown)"), or(p.str("uid"), "?"))
	case "cert_validation_failure":
		reason := p.str("reason")
		if reason == "" && m == nil {
			reason = intrusionlog.Str(v)
		}
		s = "Certificate validation failure: " + or(reason, "(reason not recorded)")
	case "camera_policy_set":
		state := "enabled"
		if d, ok := p.flag("disabled"); ok && d {
			state = "disabled"
		} else if !ok {
			state = "policy changed"
		}
		s = fmt.Sprintf("Camera %s by %s%s", state, p.admin(), p.user("target_user"))
	case "password_complexity_required":
		s = fmt.Sprintf("Password complexity %s required by %s%s", or(p.str("complexity"), "?"), p.admin(), p.user("target_user"))
	case "password_changed":
		s = fmt.Sprintf("Lock-screen password changed (complexity %s%s)", or(p.str("password_complexity", "complexity"), "?"), p.user("target_user"))
	case "wifi_connection":
		s = fmt.Sprintf("Wi-Fi connection: %s (BSSID %s)", or(p.str("event_type"), "?"), or(p.str("bssid"), "?"))
		if r := p.str("reason"); r != "" {
			s += " - " + r
		}
	case "wifi_disconnection":
		s = fmt.Sprintf("Wi-Fi disconnection (BSSID %s)", or(p.str("bssid"), "?"))
		if r := p.str("reason"); r != "" {
			s += " - " + r
		}
	case "bluetooth_connection":
		s = fmt.Sprintf("Bluetooth %s: %s", outcome(p, "connected", "connection failed"), or(p.str("addr", "mac_address"), "?"))
		if r := p.str("reason"); r != "" {
			s += " - " + r
		}
	case "bluetooth_disconnection":
		s = "Bluetooth disconnected: " + or(p.str("addr", "mac_address"), "?")
		if r := p.str("reason"); r != "" {
			s += " - " + r
		}
	case "package_installed", "package_updated", "package_uninstalled":
		verb := strings.TrimPrefix(event, "package_")
		s = fmt.Sprintf("Package %s: %s (version %s, user %s)", verb, or(p.str("package_name"), "(unknown)"), or(p.str("version_code"), "?"),
			or(p.str("user_id"), "?"))
	case "backup_service_toggled":
		state := "toggled"
		if e, ok := p.flag("enabled"); ok && e {
			state = "enabled"
		} else if ok {
			state = "disabled"
		}
		s = fmt.Sprintf("Backup service %s by %s", state, p.admin())
	case "nfc_enabled":
		s = "NFC enabled"
	case "nfc_disabled":
		s = "NFC disabled"
	case "unknown":
		s = "Security event without a subevent"
	default:
		s = event + ": " + compact(v)
	}
	return safetext.Truncate(s, maxDescription)
}

// compact writes a payload as short JSON for the summary of an unknown subevent.
func compact(v any) string {
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return "{}"
	}
	if m, ok := v.(map[string]any); ok {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			b, _ := json.Marshal(m[k])
			parts = append(parts, k+"="+string(b))
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// selfTestFailed reads crypto_self_test_completed: {"success": bool} (exporter) or
// a bare 0/1 (raw SecurityLog). An unreadable value is not a failure.
func selfTestFailed(v any) bool {
	if m, ok := v.(map[string]any); ok {
		b, ok := intrusionlog.Bool(m["success"])
		return ok && !b
	}
	b, ok := intrusionlog.Bool(v)
	return ok && !b
}
