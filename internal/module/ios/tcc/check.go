package tcc

import (
	"fmt"
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// PathClientSensitive is raised when a program named by a path outside Apple's system
// folders and the app folders is allowed a sensitive service.
var PathClientSensitive = check.Heuristic{
	ID:    "tcc/path-client-sensitive",
	Level: alert.Medium,
	Meaning: "iOS records in TCC.db which apps may use the microphone, the camera, contacts, photos and other protected data. " +
		"App Store apps are recorded by their bundle id, and Apple's own programs live in the system folders. This entry gives " +
		"access to sensitive data to a program named by a file path elsewhere on the phone, which is how an implant that " +
		"grants itself permissions would appear.",
	FalsePositive: "Device-management (MDM) agents, jailbreak tools (installed under /var/jb or elsewhere in /private/var), " +
		"developer and test tools installed from Xcode, and enterprise apps can appear with such paths. Check whether the phone " +
		"is managed by an organisation, jailbroken, or used for app development.",
	Advice: "Look for the same path in the other results (processes in DataUsage, the shutdown log, crash logs, the file list) " +
		"and at the timeline around the date of the entry. An unknown program with microphone or camera access on a phone that " +
		"is neither managed nor jailbroken should be examined by an experienced analyst; keep the acquisition unchanged.",
}

// sensitive lists the services whose grant to an unknown program matters.
var sensitive = map[string]bool{
	"kTCCServiceMicrophone":           true,
	"kTCCServiceCamera":               true,
	"kTCCServiceAddressBook":          true,
	"kTCCServicePhotos":               true,
	"kTCCServiceCalendar":             true,
	"kTCCServiceReminders":            true,
	"kTCCServiceSpeechRecognition":    true,
	"kTCCServiceScreenCapture":        true,
	"kTCCServiceAccessibility":        true,
	"kTCCServiceListenEvent":          true,
	"kTCCServicePostEvent":            true,
	"kTCCServiceSystemPolicyAllFiles": true,
}

// systemPrefixes are the folders of Apple's own programs and of installed apps.
var systemPrefixes = []string{
	"/System/", "/usr/", "/bin/", "/sbin/", "/Applications/", "/Developer/",
	"/private/preboot/Cryptexes/",
	"/private/var/containers/Bundle/Application/",
}

// outsideSystem reports whether p, cleaned and with /var read as /private/var, is
// outside every system and app folder.
func outsideSystem(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return true
	}
	p = path.Clean(p)
	if p == "/var" || strings.HasPrefix(p, "/var/") {
		p = "/private" + p
	}
	for _, prefix := range systemPrefixes {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return true
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	c.checkIndicators(rec, r)
	if rec.isPath() && rec.Allowed() && sensitive[rec.Service] && outsideSystem(rec.Client) {
		grant := "access"
		if rec.AuthValue == "limited" {
			grant = "limited access"
		}
		PathClientSensitive.Raise(r, fmt.Sprintf("A program outside the system and app folders, %q, was given %s to the %s (%s)%s",
			rec.Client, grant, services[rec.Service], rec.Service, on(rec)), rec.LastModified.Time, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// checkIndicators looks the client up as a process, then as an app id (bundle ids) or
// a file path (paths), and reports the first match.
func (c *checker) checkIndicators(rec *Record, r *check.Reporter) {
	if rec.Client == "" {
		return
	}
	where := "the privacy permissions (TCC.db: " + rec.Summary() + ")"
	t := rec.LastModified.Time
	if c.env.Process(r, alert.Critical, rec.Client, where, t, rec) {
		return
	}
	if rec.isPath() {
		c.env.FilePath(r, alert.High, rec.Client, where, t, rec)
		return
	}
	c.env.AppID(r, alert.Critical, rec.Client, where, t, rec)
}

func on(rec *Record) string {
	if rec.LastModified.IsZero() {
		return ""
	}
	return " on " + rec.LastModified.String()
}
