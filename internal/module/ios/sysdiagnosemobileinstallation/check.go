package sysdiagnosemobileinstallation

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// DeveloperInstall is raised for an app installed with installd's Developer install
// type.
var DeveloperInstall = check.Heuristic{
	ID:    Name + "/developer-install",
	Level: alert.Medium,
	Meaning: "installd logged this app as a developer install: it was put on the phone from a computer with Xcode or another " +
		"developer or sideloading tool (for example AltStore, Sideloadly, ideviceinstaller), signed with a developer certificate " +
		"rather than coming from the App Store. This needs the unlocked phone connected to, or paired with, that computer. " +
		"Stalkerware and spyware that Apple would not accept in the App Store can be installed this way by someone who had the " +
		"phone in hand.",
	FalsePositive: "App developers and testers install their own builds this way every day, and some people sideload apps " +
		"(emulators, tweaked apps) on purpose. It is innocent when the owner, or someone they trust, develops apps or knowingly " +
		"sideloaded this one.",
	Advice: "Ask the owner whether they know the app and installed it from a computer. Look the bundle identifier up, check " +
		"whether the app is still installed (Settings > General > VPN & Device Management lists developer certificates that " +
		"must be trusted for such apps), and look at the timeline around the install for configuration profiles and new " +
		"processes. If nobody knows the app, keep the sysdiagnose and have it reviewed by an experienced analyst.",
}

// ComputerInstall is raised for an app pushed from a computer through the
// installation proxy (ideviceinstaller, Apple Configurator, iTunes, older Xcode).
var ComputerInstall = check.Heuristic{
	ID:    Name + "/computer-install",
	Level: alert.Low,
	Meaning: "The app was installed from a computer connected to the phone: the install was asked for by the installation proxy " +
		"that computers talk to over USB or Wi-Fi (mobile_installation_proxy, streaming_zip_conduit) or came from the folder " +
		"computers copy packages into (/var/mobile/Media/PublicStaging). Tools such as ideviceinstaller, Apple Configurator, " +
		"iTunes, older Xcode versions and sideloading tools work this way. Installing from a computer needs a phone that is " +
		"unlocked and trusts that computer.",
	FalsePositive: "Syncing apps from iTunes or Finder, Apple Configurator in schools and companies, and app developers all " +
		"install this way; apps bought in the App Store are also synced from computers on older setups.",
	Advice: "Ask the owner whether they synced or installed apps from a computer at that time, and whose computer it was. " +
		"Check the app's other records (installer, signing certificate) in the backup's applications results and look at the " +
		"timeline around the install.",
}

// ShortLivedApp is raised for an app uninstalled soon after it was installed.
var ShortLivedApp = check.Heuristic{
	ID:    Name + "/short-lived-app",
	Level: alert.Low,
	Meaning: "An app was installed and removed again within an hour. Someone with brief access to a phone can install a tool, " +
		"use it (to extract data, to install something else, to change settings) and delete it so that it is not seen later; " +
		"the install log is one of the few places where such an app remains.",
	FalsePositive: "People often try an app and delete it right away, reinstall an app to fix a problem, or cancel a download; " +
		"developers reinstall their own builds many times a day.",
	Advice: "Ask the owner whether they remember installing and removing this app. Look the bundle identifier up, and look at the " +
		"timeline between the install and the uninstall for other traces (new processes, profiles, files, network activity).",
}

// shortLived is the longest install-to-uninstall time ShortLivedApp reports.
const shortLived = time.Hour

// computerClients are the processes computers use to install apps.
var computerClients = map[string]bool{
	"mobile_installation_proxy": true,
	"streaming_zip_conduit":     true,
}

// publicStaging is the folder computers copy packages into over AFC.
var publicStaging = []string{"/var/mobile/Media/PublicStaging/", "/private/var/mobile/Media/PublicStaging/"}

type checker struct {
	env       *check.Env
	seen      map[string]bool      // indicator lookups already reported (kind + value + phase)
	installed map[string]time.Time // bundle id → local time of its last full install
}

func newChecker(env *check.Env) *checker {
	return &checker{env: env, seen: map[string]bool{}, installed: map[string]time.Time{}}
}

// phase groups actions for de-duplicating indicator alerts: an app's install events
// raise one alert, its uninstall events another.
func phase(action string) string {
	switch action {
	case ActionUninstallRequested, ActionUninstalled, ActionContainerDestroyed:
		return "uninstall"
	}
	return "install"
}

// once reports whether key is new.
func (c *checker) once(key string) bool {
	if c.seen[key] || len(c.seen) > 100_000 {
		return false
	}
	c.seen[key] = true
	return true
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	t := rec.Timestamp.Time
	where := fmt.Sprintf("the app install log (%s line %d: %s)", rec.File, rec.Line, rec.Summary())
	ph := phase(rec.Action)
	if id := rec.BundleID; id != "" && c.once("app\x00"+strings.ToLower(id)+"\x00"+ph) {
		if !c.env.Process(r, alert.Critical, id, where, t, rec) {
			c.env.AppID(r, alert.Critical, id, where, t, rec)
		}
	}
	if p := rec.RequestedBy; p != "" && c.once("proc\x00"+p+"\x00"+ph) {
		c.env.Process(r, alert.Critical, p, where, t, rec)
	}
	if p := rec.SourcePath; p != "" && c.once("path\x00"+p) {
		c.env.FilePath(r, alert.High, p, where, t, rec)
	}
	switch rec.Action {
	case ActionInstalled, ActionUpdated:
		c.channel(rec, r)
		if rec.InstallType != "Placeholder" && rec.BundleID != "" {
			if local, ok := parseLocal(rec.TimestampLocal); ok && len(c.installed) < 100_000 {
				c.installed[rec.BundleID] = local
			}
		}
	case ActionUninstalled:
		c.shortLived(rec, r)
	}
}

// channel raises DeveloperInstall or ComputerInstall for an install outside the App
// Store.
func (c *checker) channel(rec *Record, r *check.Reporter) {
	when := whenText(rec)
	via := ""
	if rec.RequestedBy != "" {
		via = ", requested by " + rec.RequestedBy
	}
	if rec.SourcePath != "" {
		via += " from " + rec.SourcePath
	}
	if strings.EqualFold(rec.InstallType, "Developer") {
		DeveloperInstall.Raise(r, fmt.Sprintf("App %s was installed as a developer install (Xcode or a sideloading tool) on %s%s",
			rec.app(), when, via), rec.Timestamp.Time, rec)
		return
	}
	if computerClients[rec.RequestedBy] || fromPublicStaging(rec.SourcePath) {
		ComputerInstall.Raise(r, fmt.Sprintf("App %s was installed from a computer on %s%s", rec.app(), when, via), rec.Timestamp.Time, rec)
	}
}

func fromPublicStaging(p string) bool {
	for _, prefix := range publicStaging {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// shortLived raises ShortLivedApp when the app was installed less than an hour before.
func (c *checker) shortLived(rec *Record, r *check.Reporter) {
	at, ok := c.installed[rec.BundleID]
	if !ok {
		return
	}
	delete(c.installed, rec.BundleID)
	now, ok := parseLocal(rec.TimestampLocal)
	if !ok {
		return
	}
	d := now.Sub(at)
	if d < 0 || d > shortLived {
		return
	}
	ShortLivedApp.Raise(r, fmt.Sprintf("App %s was uninstalled on %s, %s after it was installed",
		rec.BundleID, whenText(rec), d.Round(time.Second)), rec.Timestamp.Time, rec)
}

// whenText says when a record happened: in UTC with the phone's clock beside it, or the
// phone's clock alone when its zone is unknown.
func whenText(rec *Record) string {
	if rec.Timestamp.IsZero() {
		return rec.TimestampLocal + " (phone time, zone unknown)"
	}
	return rec.Timestamp.String() + " UTC (" + rec.TimestampLocal + " phone time)"
}

// parseLocal reads a timestamp_local value.
func parseLocal(s string) (time.Time, bool) {
	e, ok := parseHeader(s + " [0]")
	return e.local, ok
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
