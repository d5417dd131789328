package dumpsysadbstate

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// State is the debugging_manager block: MVT's record (connected_to_adb,
// last_key_received, user_keys, keystore, adb_wifi). keystore is the list of keys of
// the keystore with their last connection rather than its raw text, and
// keystore_format (extra) says whether it was "xml" or binary "abx".
type State struct {
	ConnectedToADB  string            `json:"connected_to_adb,omitempty"`
	LastKeyReceived string            `json:"last_key_received,omitempty"`
	UserKeys        []*Key            `json:"user_keys"`
	Keystore        []*Key            `json:"keystore"`
	KeystoreFormat  string            `json:"keystore_format,omitempty"`
	ADBWifi         map[string]string `json:"adb_wifi,omitempty"`
}

// Key is a computer's adb public key: MVT's {user, fingerprint, key}; last_connected is
// the keystore's lastConnection (Unix milliseconds) and last_connected_time (extra) the
// same in UTC, both null when unknown.
type Key struct {
	User              string       `json:"user"`
	Fingerprint       string       `json:"fingerprint"`
	Key               string       `json:"key"`
	LastConnected     *int64       `json:"last_connected"`
	LastConnectedTime timefmt.Time `json:"last_connected_time"`
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
