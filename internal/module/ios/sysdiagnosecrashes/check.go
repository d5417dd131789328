package sysdiagnosecrashes

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// ExploitTarget is raised for a crash of a process that zero-click exploits attack.
var ExploitTarget = check.Heuristic{
	ID:    "sysdiagnose_crashes/exploit-target",
	Level: alert.Medium,
	Meaning: "This crash report is for a process that parses content arriving from outside without the user doing anything: " +
		"iMessage's image and attachment transcoder (IMTranscoderAgent), the BlastDoor sandboxes that unpack incoming messages, " +
		"the iMessage daemon, WebKit's web-content process or the media server. Zero-click exploits such as NSO Group's " +
		"FORCEDENTRY attack these processes, and failed or repeated attempts leave crashes like this one.",
	FalsePositive: "These processes also crash innocently: a malformed image or video, a heavy web page, low memory, or a bug in an " +
		"iOS release can crash them, and a single crash is common on ordinary phones. It matters more when there are several " +
		"crashes within minutes, crashes with memory-access exceptions (EXC_BAD_ACCESS, SIGSEGV, SIGBUS) rather than kills " +
		"(SIGKILL), or other traces at the same time.",
	Advice: "Look at the timeline around the crash: messages or attachments received from unknown senders, iMessage lookups of " +
		"unknown accounts, new or unusual processes, and whether the crash folder looks wiped afterwards. Keep the sysdiagnose " +
		"and, if other traces appear, ask an experienced analyst (for example a digital-security helpline) to review it.",
}

// exploitTargets are the processes zero-click exploits are known to attack (Citizen
// Lab's FORCEDENTRY and BLASTPASS reports, Amnesty International's Pegasus
// methodology, Apple's BlastDoor description).
var exploitTargets = map[string]string{
	"IMTranscoderAgent":           "iMessage's attachment transcoder",
	"MessagesBlastDoorService":    "the BlastDoor sandbox that unpacks incoming iMessages",
	"IDSBlastDoorService":         "the BlastDoor sandbox of Apple's identity services",
	"imagent":                     "the iMessage daemon",
	"com.apple.WebKit.WebContent": "WebKit's web-content process",
	"mediaserverd":                "the media server",
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
	t := rec.Timestamp.Time
	where := "a crash report of the sysdiagnose (" + rec.Summary() + ")"
	name := rec.ProcPath
	if name == "" {
		name = rec.Process()
	}
	if name != "" && (rec.isCrash() || rec.ProcPath != "" || rec.ProcName != "") {
		c.env.Process(r, alert.Critical, name, where, t, rec)
	}
	if rec.ProcPath != "" {
		c.env.FilePath(r, alert.High, rec.ProcPath, where, t, rec)
	}
	if !rec.isCrash() {
		return
	}
	proc := rec.Process()
	if what, ok := exploitTargets[proc]; ok {
		exc := ""
		if rec.ExceptionType != "" {
			exc = " with " + rec.ExceptionType
			if rec.ExceptionSignal != "" {
				exc += " (" + rec.ExceptionSignal + ")"
			}
		}
		ExploitTarget.Raise(r, fmt.Sprintf("%s, %s, crashed%s on %s; zero-click exploits attack this process (%s)",
			proc, what, exc, rec.Timestamp, rec.File), t, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
