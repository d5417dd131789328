package dumpsysadbstate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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

// UnmarshalJSON reads the record as spytrace writes it or as MVT does. MVT's keystore
// is either the section's raw text (XML, or mangled binary XML), read here as the
// section is, or a list of keys; user keys without a last connection get the one
// the keystore gives for the same key, as when the section is read.
func (s *State) UnmarshalJSON(data []byte) error {
	type plain State
	aux := struct {
		*plain
		Keystore json.RawMessage `json:"keystore"`
	}{plain: (*plain)(s)}
	err := json.Unmarshal(data, &aux)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	s.Keystore = nil
	switch raw := bytes.TrimSpace(aux.Keystore); {
	case len(raw) > 0 && raw[0] == '"':
		var text string
		if json.Unmarshal(raw, &text) == nil {
			text = strings.TrimSpace(text)
			s.Keystore = []*Key{}
			switch {
			case strings.HasPrefix(text, "<"):
				s.KeystoreFormat = "xml"
				s.readXML(text)
			case text != "":
				s.KeystoreFormat = "abx"
				s.readABX(text)
			}
		}
	case len(raw) > 0 && raw[0] == '[':
		if kerr := json.Unmarshal(raw, &s.Keystore); kerr != nil && err == nil {
			err = kerr
		}
	}
	for _, u := range s.UserKeys {
		if u == nil || u.LastConnected != nil {
			continue
		}
		for _, k := range s.Keystore {
			if k != nil && k.Key == u.Key && k.User == u.User {
				u.LastConnected, u.LastConnectedTime = k.LastConnected, k.LastConnectedTime
			}
		}
	}
	return err
}

// UnmarshalJSON reads a key as spytrace writes it or as MVT does: MVT's
// last_connected may be text, its keystore entries may lack fingerprint and
// last_connected_time, which are computed from key and last_connected, and their key
// may still be followed by the user@host comment, which is moved to user.
func (k *Key) UnmarshalJSON(data []byte) error {
	type plain Key
	aux := struct {
		*plain
		LastConnected json.RawMessage `json:"last_connected"`
	}{plain: (*plain)(k)}
	err := json.Unmarshal(data, &aux)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	if b64, user, ok := strings.Cut(strings.TrimSpace(k.Key), " "); ok {
		k.Key = b64
		if k.User == "" {
			k.User = strings.TrimSpace(user)
		}
	}
	k.LastConnected = nil
	if raw := bytes.Trim(bytes.TrimSpace(aux.LastConnected), `"`); len(raw) > 0 && string(raw) != "null" {
		if ms, perr := strconv.ParseInt(string(raw), 10, 64); perr == nil {
			k.LastConnected = &ms
		}
	}
	if k.LastConnectedTime.IsZero() && k.LastConnected != nil && *k.LastConnected > 0 {
		k.LastConnectedTime = timefmt.Of(timefmt.FromUnixMillis(*k.LastConnected))
	}
	if k.Fingerprint == "" && k.Key != "" {
		if nk, kerr := newKey(k.Key); kerr == nil {
			k.Fingerprint = nk.Fingerprint
		}
	}
	return err
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
