package sysdiagnosemobileinstallation

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one app install, update or uninstall event of mobile_installation.log.
// MVT has no such module. The keys loglevel, event_type and message are those of the
// EC-DIGIT-CSIRC sysdiagnose framework's mobileinstallation parser (its hexID is
// hex_id here); the event fields are spytrace's own.
type Record struct {
	// Timestamp is the line's time converted to UTC with the phone's offset at
	// collection time (UTCOffset); null when the offset is unknown.
	Timestamp timefmt.Time `json:"timestamp"`
	// TimestampLocal is the time as written, in the phone's local clock, without a zone
	// ("Mon Apr  7 07:40:47 2025").
	TimestampLocal string `json:"timestamp_local"`
	// UTCOffset is the offset used for Timestamp ("-0700"), "" when unknown.
	UTCOffset string `json:"utc_offset"`
	// Action is what happened: install_requested, installing, installed, updated,
	// patch_update, uninstall_requested, uninstalled, container_destroyed,
	// reboot_detected.
	Action   string `json:"action"`
	BundleID string `json:"bundle_id"`
	// Version and ShortVersion are CFBundleVersion and CFBundleShortVersionString of the
	// installable (the target of a patch update); FromVersion the source of a patch.
	Version      string `json:"version"`
	ShortVersion string `json:"short_version"`
	FromVersion  string `json:"from_version,omitempty"`
	// InstallType is installd's install type: Customer (App Store and most installs),
	// Placeholder (the download stub), Developer, System.
	InstallType string `json:"install_type"`
	// RequestedBy is the process that asked installd to install or uninstall
	// (installcoordinationd, lsd, appstored, mobile_installation_proxy…), with its pid.
	RequestedBy    string `json:"requested_by"`
	RequestedByPID *int64 `json:"requested_by_pid"`
	// SourcePath is the package or bundle the install was asked for (often a staging
	// folder).
	SourcePath string `json:"source_path"`
	// Path is the app's bundle container (installed) or the destroyed container.
	Path    string `json:"path"`
	Persona string `json:"persona,omitempty"`
	// PID is installd's pid; Loglevel, HexID (thread), EventType (the method that wrote
	// the line) and Message are the line's own fields.
	PID       int64  `json:"pid"`
	Loglevel  string `json:"loglevel"`
	HexID     string `json:"hex_id"`
	EventType string `json:"event_type"`
	Message   string `json:"message"`
	File      string `json:"file"`
	Line      int    `json:"line"`
}

// events names the timeline event of each action.
var events = map[string]string{
	ActionInstallRequested:   "app_install_requested",
	ActionInstalling:         "app_installing",
	ActionInstalled:          "app_installed",
	ActionUpdated:            "app_updated",
	ActionPatchUpdate:        "app_update_started",
	ActionUninstallRequested: "app_uninstall_requested",
	ActionUninstalled:        "app_uninstalled",
	ActionContainerDestroyed: "app_container_destroyed",
	ActionRebootDetected:     "installd_reboot_detected",
}

// Timeline implements module.Timeliner: one event at the record's UTC time, none when
// the phone's zone is unknown.
func (r *Record) Timeline() []module.Event {
	if r.Timestamp.IsZero() {
		return nil
	}
	ev := events[r.Action]
	if ev == "" {
		ev = "mobile_installation_event"
	}
	return []module.Event{{Time: r.Timestamp.Time, Event: ev, Data: r.Summary()}}
}

// app names the app with its version.
func (r *Record) app() string {
	s := r.BundleID
	if s == "" {
		s = "an app"
	}
	switch {
	case r.ShortVersion != "" && r.Version != "" && r.ShortVersion != r.Version:
		s += fmt.Sprintf(" %s (%s)", r.ShortVersion, r.Version)
	case r.ShortVersion != "":
		s += " " + r.ShortVersion
	case r.Version != "":
		s += " " + r.Version
	}
	return s
}

// by says who asked, " requested by x" or "".
func (r *Record) by() string {
	if r.RequestedBy == "" {
		return ""
	}
	return " requested by " + r.RequestedBy
}

// Summary describes the event in one line.
func (r *Record) Summary() string {
	var s string
	typ := ""
	if r.InstallType != "" {
		typ = " (" + r.InstallType + ")"
	}
	switch r.Action {
	case ActionInstallRequested:
		s = fmt.Sprintf("Install%s of %s%s", typ, orUnknown(r.SourcePath), r.by())
		if r.BundleID != "" {
			s += " for " + r.BundleID
		}
	case ActionInstalling:
		s = "Installing " + r.app() + typ + r.by()
	case ActionInstalled:
		s = "Installed " + r.app() + typ + r.by()
	case ActionUpdated:
		s = "Updated " + r.app() + typ + r.by()
	case ActionPatchUpdate:
		s = fmt.Sprintf("Patch update of %s from %s", r.app(), orUnknown(r.FromVersion))
	case ActionUninstallRequested:
		s = "Uninstall of " + orUnknown(r.BundleID) + r.by()
	case ActionUninstalled:
		s = "Uninstalled " + orUnknown(r.BundleID) + r.by()
	case ActionContainerDestroyed:
		s = "Destroyed container of " + orUnknown(r.BundleID)
	case ActionRebootDetected:
		s = "installd started after a reboot"
	default:
		s = r.Action
	}
	if r.Path != "" && r.Action != ActionRebootDetected {
		s += " at " + r.Path
	}
	return strings.TrimSpace(s)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
