package aqffiles

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one file listed in files.json. The keys from Path to MD5 are MVT's (the
// collector's fields); the times are UTC here (MVT writes device wall-clock time into
// them without saying so), the wall clock is in the *_local keys.
type Record struct {
	Path         string       `json:"path"`
	Size         *int64       `json:"size"`
	Mode         string       `json:"mode"` // as written: "-rwxr-xr-x" (collector) or "755" (find -printf)
	UserID       *int64       `json:"user_id"`
	UserName     string       `json:"user_name"`
	GroupID      *int64       `json:"group_id"`
	GroupName    string       `json:"group_name"`
	ChangedTime  timefmt.Time `json:"changed_time"` // ctime, UTC; null when absent or 0
	ModifiedTime timefmt.Time `json:"modified_time"`
	AccessTime   timefmt.Time `json:"access_time"`
	Error        string       `json:"error"`
	Context      string       `json:"context"` // SELinux label
	SHA1         string       `json:"sha1"`
	SHA256       string       `json:"sha256"`
	SHA512       string       `json:"sha512"`
	MD5          string       `json:"md5"`

	MimeType string `json:"mime_type,omitempty"`
	// Executable: the mode gives someone execute permission (string or octal mode);
	// null when there is no mode.
	Executable *bool `json:"executable"`
	// The times on the device's wall clock, when DeviceTimezone is known.
	ChangedTimeLocal  string `json:"changed_time_local,omitempty"`
	ModifiedTimeLocal string `json:"modified_time_local,omitempty"`
	AccessTimeLocal   string `json:"access_time_local,omitempty"`
	// DeviceTimezone is persist.sys.timezone of the collection's getprop, or "unknown".
	DeviceTimezone string `json:"device_timezone"`
	// Entry is the entry's number in files.json (array element or NDJSON line), from 1.
	Entry int `json:"entry"`
}

// UnmarshalJSON reads a record as spytrace writes it or as MVT does: user_id and
// group_id may be names (files listed with find -printf; they are read into
// user_name and group_name, as the module reads files.json), size and the ids may be
// strings of digits, and executable, which MVT does not write, is worked out from the
// mode. MVT's times are the device's wall clock; without its zone they are read as
// UTC.
func (r *Record) UnmarshalJSON(data []byte) error {
	type plain Record
	aux := struct {
		*plain
		Size       json.RawMessage `json:"size"`
		UserID     json.RawMessage `json:"user_id"`
		GroupID    json.RawMessage `json:"group_id"`
		Executable json.RawMessage `json:"executable"`
	}{plain: (*plain)(r)}
	err := json.Unmarshal(data, &aux)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	e := Entry{}
	for k, raw := range map[string]json.RawMessage{"size": aux.Size, "user_id": aux.UserID, "group_id": aux.GroupID} {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if raw != nil && dec.Decode(&v) == nil {
			e[k] = v
		}
	}
	r.Size, _ = e.Int("size")
	var ok bool
	if r.UserID, ok = e.Int("user_id"); !ok && r.UserName == "" {
		r.UserName = e.Text("user_id")
	}
	if r.GroupID, ok = e.Int("group_id"); !ok && r.GroupName == "" {
		r.GroupName = e.Text("group_id")
	}
	r.Executable = nil
	if aux.Executable == nil {
		r.Executable = executable(r.Mode)
	} else if xerr := json.Unmarshal(aux.Executable, &r.Executable); xerr != nil && err == nil {
		err = xerr
	}
	return err
}

// IsDir reports whether the mode says the entry is a folder.
func (r *Record) IsDir() bool { return strings.HasPrefix(r.Mode, "d") }

// Timeline implements module.Timeliner: MVT's MACB events, one per distinct time, the
// letters saying which of the times it is ("M---", "-A--", "--C-", "MAC-"…); data is
// the path and the SELinux label.
func (r *Record) Timeline() []module.Event {
	data := r.Path
	if r.Context != "" {
		data += " (" + r.Context + ")"
	}
	var evs []module.Event
	seen := map[time.Time]bool{}
	for _, t := range []timefmt.Time{r.ModifiedTime, r.AccessTime, r.ChangedTime} {
		if t.IsZero() || seen[t.Time] {
			continue
		}
		seen[t.Time] = true
		macb := []byte("----")
		if r.ModifiedTime.Equal(t.Time) {
			macb[0] = 'M'
		}
		if r.AccessTime.Equal(t.Time) {
			macb[1] = 'A'
		}
		if r.ChangedTime.Equal(t.Time) {
			macb[2] = 'C'
		}
		evs = append(evs, module.Event{Time: t.Time, Event: string(macb), Data: data})
	}
	return evs
}
