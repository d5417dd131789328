package dumpsyspackages

import (
	"encoding/json"
	"strings"

	"github.com/spytrace/spytrace/internal/android/heuristics"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one installed package of the "Packages:" block. The keys up to
// requested_permissions are MVT's; the others are spytrace's.
type Record struct {
	PackageName string `json:"package_name"`
	UID         string `json:"uid"`
	VersionName string `json:"version_name"`
	// VersionCode is the number alone (MVT keeps the rest of the line, minSdk and
	// targetSdk included; they are min_sdk and target_sdk here).
	VersionCode string `json:"version_code"`
	// Timestamp, FirstInstallTime and LastUpdateTime are in UTC, converted with the
	// device zone; null when the zone is unknown (the wall clock is in the _local keys).
	Timestamp        timefmt.Time `json:"timestamp"`
	FirstInstallTime timefmt.Time `json:"first_install_time"`
	LastUpdateTime   timefmt.Time `json:"last_update_time"`
	// Installer is installerPackageName; null when the dump names none ("null" or no
	// line).
	Installer            *string      `json:"installer"`
	System               bool         `json:"system"`
	Permissions          []Permission `json:"permissions"`
	RequestedPermissions []string     `json:"requested_permissions"`

	// The times as written, in the device's wall clock ("2024-01-02 03:04:05").
	TimestampLocal        string `json:"timestamp_local"`
	FirstInstallTimeLocal string `json:"first_install_time_local"`
	LastUpdateTimeLocal   string `json:"last_update_time_local"`
	// Clock is the zone the UTC times were converted from (an IANA name), or "device
	// local, zone unknown".
	Clock string `json:"clock"`
	// InstallSource classifies the installer (heuristics.InstallSource): system,
	// play-store, third-party-store, package-file, no-installer, other.
	InstallSource string `json:"install_source"`
	// InitiatingPackageName is the app that asked for the install (Android 11 and
	// later), when written.
	InitiatingPackageName string `json:"initiating_package_name,omitempty"`
	CodePath              string `json:"code_path,omitempty"`
	MinSDK                string `json:"min_sdk,omitempty"`
	TargetSDK             string `json:"target_sdk,omitempty"`

	// systemUnknown is set for a record of MVT's without the system key: whether the
	// package is a system app is not known, so the checks that depend on it are not made.
	systemUnknown bool
}

// UnmarshalJSON reads a record as spytrace writes it or as MVT does. A record of
// MVT's has no clock: its timestamp, first_install_time and last_update_time are the
// device's wall clock, kept in the *_local keys, the UTC keys left null; its
// version_code keeps the rest of the dumpsys line (minSdk, targetSdk), split off
// here; and, depending on MVT's version, it may have neither installer nor system:
// the install source is then not judged, nor, without system, the dangerous
// permissions.
func (r *Record) UnmarshalJSON(data []byte) error {
	type plain Record
	aux := struct {
		*plain
		Timestamp        json.RawMessage `json:"timestamp"`
		FirstInstallTime json.RawMessage `json:"first_install_time"`
		LastUpdateTime   json.RawMessage `json:"last_update_time"`
		Installer        json.RawMessage `json:"installer"`
		System           json.RawMessage `json:"system"`
	}{plain: (*plain)(r)}
	err := json.Unmarshal(data, &aux)
	if err != nil && !module.IsFieldTypeError(err) {
		return err
	}
	mvt := r.Clock == ""
	for _, f := range []struct {
		raw   json.RawMessage
		utc   *timefmt.Time
		local *string
	}{
		{aux.Timestamp, &r.Timestamp, &r.TimestampLocal},
		{aux.FirstInstallTime, &r.FirstInstallTime, &r.FirstInstallTimeLocal},
		{aux.LastUpdateTime, &r.LastUpdateTime, &r.LastUpdateTimeLocal},
	} {
		*f.utc = timefmt.Time{}
		var text string
		if json.Unmarshal(f.raw, &text) != nil || text == "" {
			continue
		}
		if mvt {
			if *f.local == "" {
				*f.local = text
			}
		} else if t, perr := timefmt.Parse(text); perr == nil {
			*f.utc = timefmt.Of(t)
		}
	}
	r.Installer = nil
	var installer string
	if json.Unmarshal(aux.Installer, &installer) == nil && installer != "" && installer != "null" {
		r.Installer = &installer
	}
	r.System = false
	if aux.System != nil {
		if serr := json.Unmarshal(aux.System, &r.System); serr != nil && err == nil {
			err = serr
		}
	}
	if !mvt {
		return err
	}
	r.Clock = props.ClockUnknown
	r.systemUnknown = aux.System == nil
	if r.InstallSource == "" && aux.Installer != nil && aux.System != nil {
		r.InstallSource = heuristics.InstallSource(r.installer(), r.System)
	}
	if code, rest, ok := strings.Cut(strings.TrimSpace(r.VersionCode), " "); ok {
		r.VersionCode = code
		for _, f := range strings.Fields(rest) {
			k, v, _ := strings.Cut(f, "=")
			switch {
			case k == "minSdk" && r.MinSDK == "":
				r.MinSDK = v
			case k == "targetSdk" && r.TargetSDK == "":
				r.TargetSDK = v
			}
		}
	}
	return err
}

// Timeline implements module.Timeliner: MVT's three events, for the times whose UTC
// value is known (device wall-clock times without a zone are not placed on the
// timeline, which is in UTC).
func (r *Record) Timeline() []module.Event {
	data := "Install or update of package " + r.PackageName
	var evs []module.Event
	for _, e := range []struct {
		t    timefmt.Time
		name string
	}{{r.Timestamp, "package_install"}, {r.FirstInstallTime, "package_first_install"}, {r.LastUpdateTime, "package_last_update"}} {
		if !e.t.IsZero() {
			evs = append(evs, module.Event{Time: e.t.Time, Event: e.name, Data: data})
		}
	}
	return evs
}

// when says when the package was installed, for alert messages.
func (r *Record) when() string {
	switch {
	case !r.Timestamp.IsZero():
		return " (installed " + r.Timestamp.String() + " UTC, " + r.TimestampLocal + " device time)"
	case r.TimestampLocal != "":
		return " (installed " + r.TimestampLocal + " device time, zone unknown)"
	}
	return ""
}
