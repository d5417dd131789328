package aqffiles

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// TmpDir is the adb shell's scratch folder.
const TmpDir = "/data/local/tmp/"

// Collector is where androidqf copies its collector binary.
const Collector = "/data/local/tmp/collector"

// TmpFile is raised for a file in /data/local/tmp/.
var TmpFile = check.Heuristic{
	ID:    "aqf_files/tmp-file",
	Level: alert.High,
	Meaning: "A file was found in /data/local/tmp, the scratch folder of the adb shell. Only programs and files copied " +
		"over a USB (adb) connection, or by an exploit or implant running with shell rights, end up there; spyware and " +
		"exploit tools have been staged in this folder. An executable file is more worrying than a data file.",
	FalsePositive: "Developers, testers and power users copy tools and files there on purpose (debugging or " +
		"instrumentation servers such as frida-server, scrcpy-server, test APKs, benchmark data), and other forensic or " +
		"management tools leave their agents there. androidqf's own collector is left out.",
	Advice: "Ask the owner whether anyone connected the phone to a computer and copied tools to it. Note the file's " +
		"name, size, dates and hashes (files.json) and look them up; the temp/ folder of the collection may hold a copy. " +
		"If nobody can explain the file, treat the phone as compromised and ask a digital-security helpline for help.",
}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	t := rec.ModifiedTime.Time
	where := "the files listed on the phone (files.json)"
	if rec.Path != "" {
		c.env.FilePath(r, alert.Critical, rec.Path, where, t, rec)
	}
	for _, h := range []string{rec.SHA256, rec.SHA1, rec.MD5} {
		if h == "" {
			continue
		}
		if m := c.env.Index.MatchHash(h); m != nil {
			r.Indicator(alert.Critical, m, h, fmt.Sprintf("the hash of %s (files.json)", rec.Path), t, rec)
			break
		}
	}
	if strings.HasPrefix(rec.Path, TmpDir) && rec.Path != Collector && !rec.IsDir() {
		kind := "file"
		if rec.Executable != nil && *rec.Executable {
			kind = "executable file"
		}
		TmpFile.Raise(r, fmt.Sprintf("Found %s at suspicious path %q (mode %s, owner %s)", kind, rec.Path, orUnknown(rec.Mode), owner(rec)), t, rec)
	}
}

func owner(rec *Record) string {
	switch {
	case rec.UserName != "":
		return rec.UserName
	case rec.UserID != nil:
		return fmt.Sprintf("uid %d", *rec.UserID)
	}
	return "unknown"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
