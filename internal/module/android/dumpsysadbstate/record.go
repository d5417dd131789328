package dumpsysadbstate

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// State is the debugging_manager block: MVT's record (connected_to_adb,
// last_key_received, user_keys, keystore, adb_wifi). keystore is the list of keys of
// the keystore with their last connection rather than its raw text, and
// keystore_format (extra) says whether it was "xml" or binary "abx". androidqf (extra)
// is set only when the section was read from an androidqf collection: the collection's
// date and the key of the computer that collected it, with which the checks compare
// every trusted key.
type State struct {
	ConnectedToADB  string            `json:"connected_to_adb,omitempty"`
	LastKeyReceived string            `json:"last_key_received,omitempty"`
	UserKeys        []*Key            `json:"user_keys"`
	Keystore        []*Key            `json:"keystore"`
	KeystoreFormat  string            `json:"keystore_format,omitempty"`
	ADBWifi         map[string]string `json:"adb_wifi,omitempty"`
	AndroidQF       *Acquisition      `json:"androidqf,omitempty"`
}

// Acquisition is what the androidqf collection says about itself (not in MVT's
// record: MVT passes it to the module as options).
type Acquisition struct {
	// Started is acquisition.json's started (RFC 3339, UTC), "" when unknown.
	Started string `json:"started,omitempty"`
	// HostKey is the adb public key of the computer that ran androidqf
	// (acquisition.json's adb_host_public_key, else the adb_host_key.pub file), null
	// when the collection records none or an invalid one.
	HostKey *Key `json:"host_key"`
	// HostKeySource names where HostKey was read: "acquisition.json" or
	// "adb_host_key.pub".
	HostKeySource string `json:"host_key_source,omitempty"`
}

// Key is a computer's adb public key: MVT's {user, fingerprint, key}; last_connected is
// the keystore's lastConnection (Unix milliseconds) and last_connected_time (extra) the
// same in UTC, both null when unknown. acquisition_host (extra, androidqf collections
// only) is true for the key of the computer that collected the androidqf collection.
type Key struct {
	User              string       `json:"user"`
	Fingerprint       string       `json:"fingerprint"`
	Key               string       `json:"key"`
	LastConnected     *int64       `json:"last_connected"`
	LastConnectedTime timefmt.Time `json:"last_connected_time"`
	AcquisitionHost   bool         `json:"acquisition_host,omitempty"`
}

// Timeline implements module.Timeliner: the last connection of each keystore key.
func (s *State) Timeline() []module.Event {
	var evs []module.Event
	for _, k := range s.Keystore {
		if k.LastConnectedTime.IsZero() {
			continue
		}
		evs = append(evs, module.Event{Time: k.LastConnectedTime.Time, Event: "adb_key_last_connection",
			Data: fmt.Sprintf("Computer %q (adb key %s) last connected for debugging", k.User, k.Fingerprint)})
	}
	return evs
}
