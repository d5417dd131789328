package sysdiagnoseps

import (
	"fmt"
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// SuspiciousPath is raised for a process whose program, or a binary image loaded in a
// process, lives in a system database, staging or temporary folder, where no iOS or
// App Store program is installed.
var SuspiciousPath = check.Heuristic{
	ID:    "sysdiagnose_ps/suspicious-path",
	Level: alert.High,
	Meaning: "When the sysdiagnose was taken, a program was running (or a library was loaded into a process) from a folder where " +
		"iOS keeps data and temporary files (/private/var/db/, /private/var/tmp/, /tmp/), not from the system or app folders. " +
		"iOS and App Store apps do not run from there. Pegasus was found running from /private/var/db/com.apple.xpc.roleaccountd.staging/ under names that imitate " +
		"iOS daemons, and other implants stage their binaries in temporary folders.",
	FalsePositive: "iOS software updates stage their own programs in /private/var/db/com.apple.xpc.roleaccountd.staging/ while an " +
		"update is being applied, so a process there during or just after an update can be innocent. Jailbreak tools and " +
		"developer or test tools can also run from temporary folders. Check whether the phone was updating, is jailbroken, or is " +
		"used for development, and whether the name is one of Apple's.",
	Advice: "Note the process name and path, and look for the same name in the other results (crash reports, the shutdown log, " +
		"DataUsage, the timeline). An unknown program running from such a folder on a phone that is neither updating nor " +
		"jailbroken should be examined by an experienced analyst; keep the sysdiagnose archive unchanged.",
}

// suspiciousPrefixes are the folders no legitimate program runs from (after /var,
// /tmp are read as /private/var, /private/tmp).
var suspiciousPrefixes = []string{"/private/var/db/", "/private/var/tmp/", "/private/tmp/"}

// suspiciousFolder returns the folder of p that makes it suspicious, or "".
func suspiciousFolder(p string) string {
	if !strings.HasPrefix(p, "/") {
		return ""
	}
	p = path.Clean(p)
	for _, alias := range []string{"/var", "/tmp"} {
		if p == alias || strings.HasPrefix(p, alias+"/") {
			p = "/private" + p
		}
	}
	for _, prefix := range suspiciousPrefixes {
		if strings.HasPrefix(p, prefix) {
			return prefix
		}
	}
	return ""
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	switch rec := v.(type) {
	case *Record:
		c.checkProcess(rec, r)
	case *Image:
		c.checkImage(rec, r)
	}
}

func (c *checker) checkProcess(rec *Record, r *check.Reporter) {
	t := rec.CollectionTime.Time
	where := fmt.Sprintf("the processes running when the sysdiagnose was taken (%s: %s)", strings.Join(rec.Sources, ", "), rec.Summary())
	name := rec.Path
	if name == "" {
		name = rec.ProcessName
	}
	if name != "" {
		c.env.Process(r, alert.Critical, name, where, t, rec)
	}
	if rec.Path != "" {
		c.env.FilePath(r, alert.High, rec.Path, where, t, rec)
		if folder := suspiciousFolder(rec.Path); folder != "" {
			SuspiciousPath.Raise(r, fmt.Sprintf("Process %q (pid %d) was running from %s, a folder no iOS or App Store program runs from: %s",
				rec.ProcessName, rec.PID, folder, rec.Path), t, rec)
		}
	}
}

func (c *checker) checkImage(im *Image, r *check.Reporter) {
	if im.Path == "" {
		return
	}
	t := im.CollectionTime.Time
	where := fmt.Sprintf("the binary images loaded when the sysdiagnose was taken (%s: %s)", im.SourceFile, im.Summary())
	c.env.FilePath(r, alert.High, im.Path, where, t, im)
	if folder := suspiciousFolder(im.Path); folder != "" {
		SuspiciousPath.Raise(r, fmt.Sprintf("A binary image loaded by %s was in %s, a folder no iOS or App Store program runs from: %s",
			strings.Join(im.LoadedBy, ", "), folder, im.Path), t, im)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
