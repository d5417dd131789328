package tcc

import (
	"strconv"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Layouts of the access table (MVT's names).
const (
	LayoutV3 = "v3" // iOS 14 and later: auth_value, auth_reason
	LayoutV2 = "v2" // iOS 12 and 13: allowed, prompt_count, last_modified
	LayoutV1 = "v1" // older: allowed, prompt_count
)

// Record is one row of the access table: one permission of one client. MVT's keys
// differ by layout (auth_value and auth_reason_desc in v3; allowed_value and
// prompt_count in v1 and v2); spytrace adds auth_value to every layout so that one key
// answers "was it allowed", plus the raw auth_reason, the indirect object and the layout.
type Record struct {
	Service        string       `json:"service"`     // e.g. kTCCServiceMicrophone
	Client         string       `json:"client"`      // bundle id or absolute path
	ClientType     string       `json:"client_type"` // "bundle_id", "absolute_path", or the raw number
	AuthValue      string       `json:"auth_value"`  // "denied", "unknown", "allowed", "limited"
	AuthReasonDesc string       `json:"auth_reason_desc,omitempty"`
	AllowedValue   string       `json:"allowed_value,omitempty"` // v1, v2: "denied" or "allowed"
	PromptCount    *int64       `json:"prompt_count,omitempty"`  // v1, v2
	LastModified   timefmt.Time `json:"last_modified"`           // v2, v3 (Unix seconds)

	AuthReason     *int64 `json:"auth_reason,omitempty"`                // v3, raw
	IndirectObject string `json:"indirect_object_identifier,omitempty"` // v2, v3, when used
	Layout         string `json:"tcc_layout"`
}

// Client types (access.client_type).
const (
	clientBundleID = 0
	clientPath     = 1
)

// clientTypeName is MVT's name of a client type.
func clientTypeName(t int64) string {
	switch t {
	case clientBundleID:
		return "bundle_id"
	case clientPath:
		return "absolute_path"
	}
	return strconv.FormatInt(t, 10)
}

// authValueName names access.auth_value (v3). Unknown values keep their number.
func authValueName(v int64) string {
	switch v {
	case 0:
		return "denied"
	case 1:
		return "unknown"
	case 2:
		return "allowed"
	case 3:
		return "limited"
	}
	return strconv.FormatInt(v, 10)
}

// allowedName names access.allowed (v1, v2), as MVT does.
func allowedName(v int64) string {
	switch v {
	case 0:
		return "denied"
	case 1:
		return "allowed"
	}
	return strconv.FormatInt(v, 10)
}

// authReasons are the names of access.auth_reason values 1 to 12 (MVT's list).
var authReasons = []string{
	"error", "user_consent", "user_set", "system_set", "service_policy", "mdm_policy",
	"override_policy", "missing_usage_string", "prompt_timeout", "preflight_unknown",
	"entitled", "app_type_policy",
}

func authReasonName(v int64) string {
	if v >= 1 && v <= int64(len(authReasons)) {
		return authReasons[v-1]
	}
	return "unknown"
}

// services gives the plain name of the TCC services an analyst meets most.
var services = map[string]string{
	"kTCCServiceMicrophone":           "microphone",
	"kTCCServiceCamera":               "camera",
	"kTCCServiceAddressBook":          "contacts",
	"kTCCServicePhotos":               "photos",
	"kTCCServicePhotosAdd":            "adding photos",
	"kTCCServiceCalendar":             "calendar",
	"kTCCServiceReminders":            "reminders",
	"kTCCServiceMediaLibrary":         "media library",
	"kTCCServiceMotion":               "motion and fitness",
	"kTCCServiceBluetoothAlways":      "Bluetooth",
	"kTCCServiceSpeechRecognition":    "speech recognition",
	"kTCCServiceUserTracking":         "tracking across apps",
	"kTCCServiceFaceID":               "Face ID",
	"kTCCServiceWillow":               "home data",
	"kTCCServiceScreenCapture":        "screen capture",
	"kTCCServiceAccessibility":        "accessibility",
	"kTCCServiceListenEvent":          "input monitoring",
	"kTCCServicePostEvent":            "synthetic input",
	"kTCCServiceSystemPolicyAllFiles": "full disk access",
}

// Allowed reports whether the entry grants access (fully or limited).
func (r *Record) Allowed() bool { return r.AuthValue == "allowed" || r.AuthValue == "limited" }

// Summary says what the entry grants: "<client> allowed access to <service> (<plain name>)".
func (r *Record) Summary() string {
	s := r.Client + " " + r.AuthValue + " access to " + r.Service
	if name, ok := services[r.Service]; ok {
		s += " (" + name + ")"
	}
	return s
}

// Timeline implements module.Timeliner: AccessRequest at last_modified (none in v1).
func (r *Record) Timeline() []module.Event {
	if r.LastModified.IsZero() {
		return nil
	}
	return []module.Event{{Time: r.LastModified.Time, Event: "AccessRequest", Data: r.Summary()}}
}
