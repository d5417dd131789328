package manifest

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/ioc"
)

// The file the CrashReporter heuristic looks for:
// /private/var/root/Library/Preferences/com.apple.CrashReporter.plist.
const (
	crashReporterDomain = "RootDomain"
	crashReporterPath   = "Library/Preferences/com.apple.CrashReporter.plist"
)

// CrashReporter is raised when the backup lists the CrashReporter preferences of the
// root user.
var CrashReporter = check.Heuristic{
	ID:    "manifest/crashreporter-plist",
	Level: alert.Low,
	Meaning: "The backup lists /private/var/root/Library/Preferences/com.apple.CrashReporter.plist. Amnesty International's " +
		"Pegasus forensic methodology (July 2021) reported that Pegasus wrote this file to stop the phone from sending crash " +
		"reports to Apple, which could have revealed its exploits.",
	FalsePositive: "Amnesty removed this file from its published indicators in July 2021, after finding that legitimate " +
		"configurations create it too; it is found on phones with no sign of compromise, holding iOS's own diagnostic " +
		"bookkeeping. On its own it is not evidence of Pegasus.",
	Advice: "Look at the file's creation time (created) and at what else happened then: processes first seen in DataUsage, " +
		"Safari redirects, files in /private/var/db/com.apple.xpc.roleaccountd.staging. Treat it as a pointer for the timeline, " +
		"not as a finding.",
}

type checker struct {
	env *check.Env
	// paths, hosts and processes say whether file path or name, domain or IP, and
	// process indicators are loaded: a backup lists hundreds of thousands of files, so
	// lookups that cannot match are skipped.
	paths, hosts, processes bool
}

func newChecker(env *check.Env) *checker {
	ix := env.Index
	return &checker{
		env:       env,
		paths:     ix.Count(ioc.FilePath)+ix.Count(ioc.FileName) > 0,
		hosts:     ix.Count(ioc.Domain)+ix.Count(ioc.IP) > 0,
		processes: ix.Count(ioc.Process) > 0,
	}
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	f, ok := v.(*File)
	if !ok {
		return
	}
	t := f.eventTime()
	if f.Domain == crashReporterDomain && f.RelativePath == crashReporterPath {
		CrashReporter.Raise(r, "Found a potentially suspicious com.apple.CrashReporter.plist file in RootDomain ("+
			crashReporterPath+"), created on "+dateText(f), t, f)
	}
	if f.RelativePath == "" || !c.paths && !c.hosts && !c.processes {
		return
	}
	where := fmt.Sprintf("the path of the backup file %q", f.Name())
	if c.paths && (f.DevicePath == "" || !c.env.FilePath(r, alert.High, f.DevicePath, where, t, f)) {
		c.env.FilePath(r, alert.High, "/"+f.RelativePath, where, t, f)
	}
	if c.hosts {
		for _, host := range hosts(f.RelativePath) {
			if c.env.Domain(r, alert.High, host, "a file path ("+f.Name()+")", t, f) {
				break
			}
		}
	}
	if c.processes {
		if m := c.env.Index.MatchPathProcess(f.RelativePath); m != nil {
			r.Indicator(alert.High, m, m.Observed, where, t, f)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// hosts returns the parts of a relative path that look like host names or IP
// addresses: whole components, and the "_"-separated parts of components, as WebKit
// names its website-data folders (https_evil.example_0, http_x.y_0.localstorage).
func hosts(rel string) []string {
	var out []string
	for comp := range strings.SplitSeq(rel, "/") {
		if hostLike(comp) {
			out = append(out, comp)
		}
		if !strings.Contains(comp, "_") {
			continue
		}
		for part := range strings.SplitSeq(comp, "_") {
			if hostLike(part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// hostLike reports whether s is made of at least two dot-separated labels of letters,
// digits and hyphens ending with a label that has a letter, or is an IP address.
func hostLike(s string) bool {
	if len(s) < 3 || len(s) > 253 {
		return false
	}
	if addr, err := netip.ParseAddr(s); err == nil {
		// A zone ("fe80::1%en0") names an interface of the device that wrote the
		// address, never a server: "::%_" in a file name is not a host.
		return addr.Zone() == ""
	}
	dots, letter := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if i == 0 || i == len(s)-1 || s[i-1] == '.' {
				return false
			}
			dots++
			letter = false
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9' || c == '-':
		default:
			return false
		}
	}
	return dots > 0 && letter
}

// dateText writes the file's creation time for messages.
func dateText(f *File) string {
	if f.Created.IsZero() {
		return "an unknown date"
	}
	return f.Created.String()
}
