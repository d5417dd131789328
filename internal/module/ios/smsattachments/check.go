package smsattachments

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sms"
)

// SuspiciousAttachment reports a received attachment stored in the temporary folder
// under a name ending in "-1".
var SuspiciousAttachment = check.Heuristic{
	ID:    "sms_attachments/suspicious-attachment",
	Level: alert.Medium,
	Meaning: "An attachment received through Messages is stored in the system's temporary folder (/var/tmp) " +
		"under a name ending in \"-1\", instead of under ~/Library/SMS/Attachments/ where Messages keeps the " +
		"attachments people send and receive. MVT, Amnesty International's tool, flags this pattern as a possible " +
		"trace of a zero-click iMessage exploit, which delivers a crafted file to the phone without the owner " +
		"opening or even seeing anything.",
	FalsePositive: "The pattern is rare but is not proof on its own: the check reads only the file's path, not " +
		"the file, and any attachment that iOS or an app staged in the temporary folder with such a name matches " +
		"it. An attachment from a known contact, or with a normal text message around it, weighs less than one " +
		"from an unknown Apple ID with no text.",
	Advice: "Look at the sender: check the Apple ID or number against current indicators, and look for other " +
		"messages or attachments from it. Read the timeline in the minutes after the attachment's date for crashes " +
		"of Messages or image-processing services and for new or unusual processes (DataUsage, crash logs). Keep " +
		"the acquisition unchanged and ask an experienced analyst for a second opinion.",
}

// tempFolders are where iOS keeps temporary files; /var is a link to /private/var.
var tempFolders = []string{"/var/tmp/", "/private/var/tmp/"}

// mobileHome is what "~" stands for in attachment paths.
const mobileHome = "/private/var/mobile/"

// NewChecker returns the checks of one run.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Attachment](data) }

// checker judges each attachment on its own.
type checker struct {
	env *check.Env
}

// Check looks the attachment's path up in the file indicators and applies MVT's
// temporary-folder rule.
func (c *checker) Check(rec any, r *check.Reporter) {
	a, ok := rec.(*Attachment)
	if !ok {
		return
	}
	t := a.Created.Time
	if a.Filename != "NULL" && a.Filename != "" {
		if !c.env.FilePath(r, alert.High, a.Filename, a.where(), t, a) && strings.HasPrefix(a.Filename, "~/") {
			c.env.FilePath(r, alert.High, mobileHome+a.Filename[2:], a.where(), t, a)
		}
	}
	if !a.Outgoing && inTempFolder(a.Filename) && strings.HasSuffix(a.Filename, "-1") {
		SuspiciousAttachment.Raise(r, fmt.Sprintf("Suspicious iMessage attachment %s %s%s", a.Filename, a.party(), sms.OnDate(t)), t, a)
	}
}

// Finish has nothing to do: every check is per attachment.
func (c *checker) Finish(*check.Reporter) {}

func inTempFolder(p string) bool {
	for _, dir := range tempFolders {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	return false
}
