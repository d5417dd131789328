package sysdiagnosemobileinstallation

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds on hostile input.
const (
	maxLines      = 500_000  // physical lines read per file
	maxLineLen    = 64 << 10 // longer lines are skipped with a problem
	maxMessageLen = 16 << 10 // an entry's message (with its continuation lines) is cut here
	maxEntries    = 400_000  // entries kept over all files
)

// entry is one log entry: a header line and its continuation lines.
type entry struct {
	file      string
	line      int       // 1-based line of the header
	local     time.Time // the written wall-clock time, in UTC's location (no zone)
	localText string    // the time as written ("Mon Apr  7 07:40:47 2025")
	pid       int64     // installd's pid
	level     string    // notice, err…
	thread    string    // the hex thread id, "0x16b48f000"
	eventType string    // "MIInstaller performInstallationWithError:", or a C function name
	message   string
	cut       bool // the message was cut at maxMessageLen
}

// stampLayout parses the time of a header once the weekday is dropped and the fields
// are joined by single spaces ("Apr 7 07:40:47 2025").
const stampLayout = "Jan 2 15:04:05 2006"

// parseHeader reads a header line: "<Www Mmm dd HH:MM:SS YYYY> [<pid>] <<level>>
// (<thread>) <function>: <message>". ok is false when the line does not start with a
// time and a pid, i.e. it continues the entry above.
func parseHeader(line string) (e entry, ok bool) {
	i := strings.Index(line, " [")
	if i < 0 || i > 40 {
		return e, false
	}
	f := strings.Fields(line[:i])
	if len(f) != 5 || len(f[0]) != 3 {
		return e, false
	}
	t, err := time.Parse(stampLayout, f[1]+" "+f[2]+" "+f[3]+" "+f[4])
	if err != nil {
		return e, false
	}
	e.local, e.localText = t, line[:i]
	rest := line[i+2:]
	j := strings.IndexByte(rest, ']')
	if j < 1 || j > 10 {
		return e, false
	}
	pid, err := strconv.ParseInt(rest[:j], 10, 64)
	if err != nil || pid < 0 {
		return e, false
	}
	e.pid = pid
	rest = strings.TrimLeft(rest[j+1:], " ")
	if strings.HasPrefix(rest, "<") {
		if k := strings.IndexByte(rest, '>'); k > 0 {
			e.level, rest = rest[1:k], strings.TrimLeft(rest[k+1:], " ")
		}
	}
	if strings.HasPrefix(rest, "(") {
		if k := strings.IndexByte(rest, ')'); k > 0 {
			e.thread, rest = rest[1:k], strings.TrimLeft(rest[k+1:], " ")
		}
	}
	switch {
	case strings.HasPrefix(rest, "-[") || strings.HasPrefix(rest, "+["):
		if k := strings.Index(rest, "]:"); k > 0 {
			e.eventType, rest = rest[2:k], rest[k+2:]
		}
	default:
		if k := strings.Index(rest, ": "); k > 0 && !strings.ContainsAny(rest[:k], " \t") {
			e.eventType, rest = rest[:k], rest[k+2:]
		} else if strings.HasSuffix(rest, ":") && !strings.ContainsAny(rest, " \t") {
			e.eventType, rest = rest[:len(rest)-1], ""
		}
	}
	e.message = strings.TrimSpace(rest)
	return e, true
}

// parseLog cuts one mobile_installation.log into entries. Lines before the first
// header are skipped (counted in one problem); continuation lines are added to the
// message of the entry above. problem is called with a message per problem; limit
// bounds the entries returned.
func parseLog(data []byte, file string, limit int, problem func(string)) []entry {
	var out []entry
	n, orphans := 0, 0
	for len(data) > 0 {
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		n++
		if n > maxLines {
			problem(fmt.Sprintf("%s: more than %d lines; the rest is not read", file, maxLines))
			break
		}
		if len(raw) > maxLineLen {
			problem(fmt.Sprintf("%s line %d: longer than %d bytes, skipped", file, n, maxLineLen))
			continue
		}
		line := strings.ToValidUTF8(strings.TrimRight(string(raw), "\r"), "\uFFFD")
		if e, ok := parseHeader(line); ok {
			if len(out) >= limit {
				problem(fmt.Sprintf("%s: more than %d entries; the rest is not read", file, maxEntries))
				break
			}
			e.file, e.line = file, n
			if len(e.message) > maxMessageLen {
				e.message, e.cut = cutUTF8(e.message, maxMessageLen), true
			}
			out = append(out, e)
			continue
		}
		if len(out) == 0 {
			if strings.TrimSpace(line) != "" {
				orphans++
			}
			continue
		}
		last := &out[len(out)-1]
		if last.cut {
			continue
		}
		if len(last.message)+1+len(line) > maxMessageLen {
			last.message, last.cut = cutUTF8(last.message+"\n"+line, maxMessageLen), true
			continue
		}
		last.message += "\n" + line
	}
	for i := range out {
		out[i].message = strings.TrimRight(out[i].message, " \t\n")
	}
	if orphans > 0 {
		problem(fmt.Sprintf("%s: %d lines before the first dated line were skipped", file, orphans))
	}
	return out
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Actions of the records.
const (
	ActionInstallRequested   = "install_requested"   // Install of "<path>" type <T> … requested by <client>
	ActionInstalling         = "installing"          // Installing <MIInstallableBundle ID=…; Version=…>
	ActionInstalled          = "installed"           // Install Successful for (<Type>:<id>)
	ActionUpdated            = "updated"             // Install Successful of an app installed or patched before
	ActionPatchUpdate        = "patch_update"        // Attempting <Delta> patch update of <id> from <v> to <v> (<s>)
	ActionUninstallRequested = "uninstall_requested" // Uninstall requested by <client> … for identifier/identity <id>
	ActionUninstalled        = "uninstalled"         // Uninstalling identifier <id>
	ActionContainerDestroyed = "container_destroyed" // Destroying container … <id> … at <path>
	ActionRebootDetected     = "reboot_detected"     // main: Reboot detected
)

// fields is what one message says.
type fields struct {
	action                             string
	bundleID, version, short, from     string
	installType, requestedBy, persona  string
	sourcePath, path, installableClass string
	requesterPID                       *int64
}

// nullText turns installd's "(null)" into "".
func nullText(s string) string {
	s = strings.TrimSpace(s)
	if s == "(null)" {
		return ""
	}
	return s
}

// between returns the text of s after prefix and before the first end after it.
func between(s, prefix, end string) (string, bool) {
	i := strings.Index(s, prefix)
	if i < 0 {
		return "", false
	}
	s = s[i+len(prefix):]
	j := strings.Index(s, end)
	if j < 0 {
		return "", false
	}
	return s[:j], true
}

// requester reads "<name> (pid <n>…" after "requested by ".
func requester(s string) (string, *int64) {
	name := s
	var pid *int64
	if i := strings.Index(s, " (pid "); i >= 0 {
		name = s[:i]
		digits := s[i+len(" (pid "):]
		k := 0
		for k < len(digits) && k < 10 && digits[k] >= '0' && digits[k] <= '9' {
			k++
		}
		if v, err := strconv.ParseInt(digits[:k], 10, 64); err == nil {
			pid = &v
		}
	} else if i := strings.IndexAny(s, " \n"); i >= 0 {
		name = s[:i]
	}
	return strings.TrimSpace(name), pid
}

// classify reads the message of an entry; ok is false for messages that are not
// install or uninstall events.
func classify(e *entry) (f fields, ok bool) {
	msg := e.message
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	switch {
	case strings.HasPrefix(msg, `Install of "`):
		f.action = ActionInstallRequested
		rest := msg[len(`Install of "`):]
		k := strings.LastIndex(rest, `" type `)
		if k < 0 {
			return f, true
		}
		f.sourcePath = rest[:k]
		rest = rest[k+len(`" type `):]
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			f.installType = rest[:j]
		} else {
			f.installType = rest
		}
		if j := strings.LastIndex(rest, " requested by "); j >= 0 {
			f.requestedBy, f.requesterPID = requester(rest[j+len(" requested by "):])
		}
		return f, true
	case strings.HasPrefix(msg, "Installing <MIInstallable"):
		f.action = ActionInstalling
		rest := msg[len("Installing <MIInstallable"):]
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			f.installableClass = rest[:j]
		}
		if v, ok := between(rest, " ID=", ";"); ok {
			f.bundleID = nullText(v)
		}
		if v, ok := between(rest, " Persona=", ","); ok {
			f.persona = nullText(v)
		}
		if v, ok := between(rest, " Version=", ","); ok {
			f.version = nullText(v)
		}
		if v, ok := between(rest, " ShortVersion=", ">"); ok {
			f.short = nullText(v)
		}
		return f, true
	case strings.HasPrefix(msg, "Install Successful for (") || strings.HasPrefix(msg, "Install successful for ("):
		f.action = ActionInstalled
		inner, _ := between(msg, "(", ")")
		if j := strings.IndexByte(inner, ':'); j > 0 && isWord(inner[:j]) {
			f.installType, inner = inner[:j], inner[j+1:]
		}
		f.bundleID = strings.TrimSpace(inner)
		return f, true
	case strings.HasPrefix(msg, "Attempting ") && strings.Contains(msg, " patch update of "):
		f.action = ActionPatchUpdate
		rest := msg[strings.Index(msg, " patch update of ")+len(" patch update of "):]
		j := strings.Index(rest, " from ")
		if j < 0 {
			f.bundleID = strings.TrimSpace(rest)
			return f, true
		}
		f.bundleID, rest = rest[:j], rest[j+len(" from "):]
		if k := strings.LastIndex(rest, " to "); k >= 0 {
			f.from, rest = nullText(rest[:k]), rest[k+len(" to "):]
			if p := strings.Index(rest, " ("); p >= 0 {
				f.version = nullText(rest[:p])
				f.short = nullText(strings.TrimSuffix(strings.TrimSpace(rest[p+2:]), ")"))
			} else {
				f.version = nullText(rest)
			}
		}
		return f, true
	case strings.HasPrefix(msg, "Uninstall requested by "):
		f.action = ActionUninstallRequested
		rest := msg[len("Uninstall requested by "):]
		f.requestedBy, f.requesterPID = requester(rest)
		switch {
		case strings.Contains(rest, " for identity ["):
			id, _ := between(rest, " for identity [", "]")
			if j := strings.IndexByte(id, '/'); j >= 0 {
				id = id[:j]
			}
			f.bundleID = strings.TrimSpace(id)
		case strings.Contains(rest, " for identifier "):
			id := rest[strings.Index(rest, " for identifier ")+len(" for identifier "):]
			if j := strings.IndexByte(id, ' '); j >= 0 {
				id = id[:j]
			}
			f.bundleID = strings.TrimSpace(id)
		}
		return f, true
	case strings.HasPrefix(msg, "Uninstalling identifier "):
		f.action = ActionUninstalled
		id := msg[len("Uninstalling identifier "):]
		if j := strings.IndexByte(id, ' '); j >= 0 {
			id = id[:j]
		}
		f.bundleID = id
		return f, true
	case strings.HasPrefix(msg, "Destroying container "):
		f.action = ActionContainerDestroyed
		rest := msg[len("Destroying container "):]
		rest = strings.TrimPrefix(rest, "with identifier ")
		at := strings.Index(rest, " at ")
		if at < 0 {
			f.bundleID = strings.TrimSpace(rest)
			return f, true
		}
		head := rest[:at]
		f.path = strings.TrimSpace(rest[at+len(" at "):])
		if j := strings.Index(head, " with persona "); j >= 0 {
			f.persona = nullText(head[j+len(" with persona "):])
			head = head[:j]
		}
		f.bundleID = strings.TrimSpace(head)
		return f, true
	case strings.HasPrefix(msg, "Reboot detected"):
		f.action = ActionRebootDetected
		return f, true
	}
	return f, false
}

// containerLive reads "Made container live for <id> at <path>".
func containerLive(msg string) (id, path string, ok bool) {
	rest, found := strings.CutPrefix(msg, "Made container live for ")
	if !found {
		return "", "", false
	}
	at := strings.Index(rest, " at ")
	if at < 0 {
		return "", "", false
	}
	path = rest[at+len(" at "):]
	if i := strings.IndexByte(path, '\n'); i >= 0 {
		path = path[:i]
	}
	return rest[:at], strings.TrimSpace(path), true
}

func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}
