package aqfprocesses

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// TmpDir is the adb shell's scratch folder.
const TmpDir = "/data/local/tmp/"

// Collector is where androidqf runs its collector binary.
const Collector = "/data/local/tmp/collector"

// TmpExecutable is raised for a process started from /data/local/tmp/.
var TmpExecutable = check.Heuristic{
	ID:    "aqf_processes/tmp-executable",
	Level: alert.High,
	Meaning: "A process was running from a program stored in /data/local/tmp, the scratch folder of the adb shell. " +
		"Apps and Android's own services never run from there: only programs copied through a USB (adb) connection or " +
		"dropped by an exploit or implant that gained shell rights do. Spyware and exploit tools have been found running " +
		"from this folder.",
	FalsePositive: "Developers and power users run tools from this folder on purpose: debugging or instrumentation servers " +
		"(gdbserver, frida-server), benchmark or test binaries, screen-mirroring helpers (scrcpy-server), or the agent of " +
		"another forensic tool. androidqf's own collector (/data/local/tmp/collector) is left out.",
	Advice: "Ask the phone's owner whether anyone connected it to a computer and ran tools on it. Note the program's name, " +
		"command line and user, look it up, and keep the collection. If nobody knows the program, treat the phone as " +
		"compromised and ask a digital-security helpline for help.",
}

// RootContext is raised for a process running in a root SELinux domain.
var RootContext = check.Heuristic{
	ID:    "aqf_processes/root-context",
	Level: alert.High,
	Meaning: "A process was running in the SELinux domain \"su\" or \"magisk\". These domains exist only on development " +
		"(userdebug/eng) builds of Android or on phones rooted with Magisk: a process in them has full control of the " +
		"phone. Root access switches off much of Android's protection, and spyware installed with physical access often " +
		"relies on it.",
	FalsePositive: "The owner may have rooted the phone on purpose (Magisk is popular with enthusiasts), or the phone may " +
		"be a development device running an engineering build.",
	Advice: "Ask the owner whether the phone was rooted or is a development device. If not, treat it as compromised: keep " +
		"the collection, do not use the phone for sensitive communication, and ask a digital-security helpline for help.",
}

// rootDomains are the SELinux domains of root processes.
var rootDomains = map[string]bool{"su": true, "magisk": true}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	c.indicators(rec, r)
	for _, exe := range rec.Executables() {
		if strings.HasPrefix(exe, TmpDir) && exe != Collector {
			TmpExecutable.Raise(r, fmt.Sprintf("Process %q (pid %d, user %s) was started from %q in the adb scratch folder (%s)",
				rec.ProcName, rec.PID, rec.who(), exe, rec.Source), time.Time{}, rec)
			break
		}
	}
	for _, ctx := range []string{rec.Label, rec.Context} {
		if d := domain(ctx); rootDomains[d] {
			RootContext.Raise(r, fmt.Sprintf("Process %q (pid %d) was running in the root SELinux domain %q (context %q, %s)",
				rec.ProcName, rec.PID, d, ctx, rec.Source), time.Time{}, rec)
			break
		}
	}
}

func (c *checker) indicators(rec *Record, r *check.Reporter) {
	name := rec.ProcName
	if name == "" || name[strings.LastIndexByte(name, '/')+1:] == "gatekeeperd" {
		return
	}
	where := fmt.Sprintf("the processes running during the collection (%s, pid %d)", rec.Source, rec.PID)
	if c.env.AppID(r, alert.Critical, name, where, time.Time{}, rec) {
		return
	}
	if pkg, _, found := strings.Cut(name, ":"); found && pkg != "" {
		if c.env.AppID(r, alert.Critical, pkg, where, time.Time{}, rec) {
			return
		}
	}
	c.env.Process(r, alert.Critical, name, where, time.Time{}, rec)
}

func (rec *Record) who() string {
	switch {
	case rec.User != "":
		return rec.User
	case rec.UID != nil:
		return fmt.Sprintf("uid %d", *rec.UID)
	}
	return "unknown"
}

// domain returns the type of an SELinux context "user:role:type:level".
func domain(ctx string) string {
	parts := strings.SplitN(ctx, ":", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
