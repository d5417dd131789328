package tombstones

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// PrivilegedCrash is raised for a crash of a process running as root, system or shell.
var PrivilegedCrash = check.Heuristic{
	ID:    "tombstones/privileged-crash",
	Level: alert.Medium,
	Meaning: "A native process running as root (uid 0), as the system user (uid 1000) or as the adb shell (uid 2000) crashed. " +
		"Exploits that take over an Android phone attack such privileged processes (media and Bluetooth services, system_server, " +
		"vendor daemons), and failed or unstable attempts leave crashes like this one. A crash of a shell-user process also means " +
		"something ran through adb or a shell.",
	FalsePositive: "Privileged services crash on ordinary phones too: a vendor bug, a bad update, low memory or faulty hardware can " +
		"crash them, and some vendor daemons crash repeatedly on every boot. One crash alone is weak evidence; several crashes of the " +
		"same service in a short time, a memory-access signal (SIGSEGV, SIGBUS) in a service that parses outside data, an abort " +
		"message or cause pointing at memory corruption, or other traces at the same time give it more weight.",
	Advice: "Look at the timeline around the crash: messages, calls or files received just before, apps installed, new processes. " +
		"Compare with the other tombstones of the bug report (the same crash on every boot is usually a vendor bug). Keep the bug " +
		"report and ask an experienced analyst, for example a digital-security helpline, to review the tombstone if other traces appear.",
}

// privilegedUIDs are the uids MVT treats as suspicious for a crash.
var privilegedUIDs = map[int64]string{0: "root", 1000: "system", 2000: "shell"}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	t := rec.When().Time
	where := "a crash report (tombstone " + rec.FileName + ")"
	hit := false
	if rec.ProcessName != "" && rec.ProcessName != "Unknown" {
		hit = c.env.Process(r, alert.Critical, rec.ProcessName, where, t, rec)
	}
	if !hit && len(rec.CommandLine) > 0 {
		if p := baseName(rec.CommandLine[0]); p != "" {
			hit = c.env.Process(r, alert.Critical, p, where, t, rec)
		}
	}
	if hit || rec.UID == nil {
		return
	}
	if who, ok := privilegedUIDs[*rec.UID]; ok {
		PrivilegedCrash.Raise(r, fmt.Sprintf("Potentially suspicious crash in process %q running as UID %d (%s) in tombstone %s at %s",
			rec.Process(), *rec.UID, who, rec.FileName, when(rec)), t, rec)
	}
}

func when(rec *Record) string {
	if s := rec.When().String(); s != "" {
		return s + " UTC"
	}
	if rec.TimestampLocal != "" {
		return rec.TimestampLocal
	}
	return "an unknown time"
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
