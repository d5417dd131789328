package sysdiagnoseps

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/timefmt"
)

// Bounds on spindump-nosymbols.txt.
const (
	maxSpinProcs  = 100_000 // processes read
	maxProcImages = 10_000  // binary images read per process
)

// spindump is what is read from spindump-nosymbols.txt.
type spindump struct {
	// date is the report's Date/Time, in the phone's zone as the header gives it; zero
	// when absent or unreadable.
	date  time.Time
	procs []spinProc
}

// spinProc is one Process: block.
type spinProc struct {
	name      string
	pid       int64
	path      string
	uuid      string
	ppid      *int64
	uid       *int64
	sinceFork *int64    // Time Since Fork, seconds
	start     time.Time // Start time (short-lived processes), zero when absent
	images    []spinImage
}

// spinImage is one line of a process's Binary Images.
type spinImage struct {
	name, uuid, path string
}

var (
	// spinProcRE matches "name [pid]" with an optional "[unique pid n]" and anything
	// after it; the name is the text before the first "[digits]".
	spinProcRE = regexp.MustCompile(`^(.*?)\s*\[(\d{1,10})\](?:\s*\[unique pid \d+\])?`)
	// spinSeconds matches "201s" (Time Since Fork).
	spinSeconds = regexp.MustCompile(`^(\d{1,12})(?:\.\d+)?s$`)
)

// spinTimeLayout is the header's Date/Time ("2023-05-24 13:29:15.759 -0700"); Go
// accepts the fractional seconds without their being in the layout.
const spinTimeLayout = "2006-01-02 15:04:05 -0700"

// parseSpinTime reads a spindump timestamp.
func parseSpinTime(s string) (time.Time, bool) {
	t, err := time.Parse(spinTimeLayout, strings.TrimSpace(s))
	if err != nil || !timefmt.Valid(t) {
		return time.Time{}, false
	}
	return t, true
}

// splitKey cuts an unindented "Key:   value" line.
func splitKey(line string) (key, value string, ok bool) {
	i := strings.IndexByte(line, ':')
	if i <= 0 {
		return "", "", false
	}
	return line[:i], strings.TrimSpace(line[i+1:]), true
}

// parseSpindump reads spindump-nosymbols.txt: header lines ("Date/Time: …", "OS
// Version: …"), then one block per process: unindented "Key: value" lines starting
// with "Process: name [pid]", two-space-indented thread stacks, and an indented
// "Binary Images:" list. An unindented line other than a "Key: value" line of the
// block's head ends the block (the report's closing histograms). A file with neither a
// Date/Time nor any process is an error.
func parseSpindump(data []byte, problem func(line int, err error)) (*spindump, error) {
	const (
		head = iota
		body
		images
		outside
	)
	sd := &spindump{}
	var cur *spinProc
	state := outside
	header, capped := false, false
	eachLine(data, maxBlockFileLines, problem, func(n int, line string) {
		if strings.TrimSpace(line) == "" {
			return
		}
		indented := line[0] == ' ' || line[0] == '\t'
		if !indented && strings.HasPrefix(line, "Process:") {
			cur, state = nil, outside
			if len(sd.procs) == maxSpinProcs {
				if !capped {
					capped = true
					problem(n, fmt.Errorf("more than %d processes; the rest are not read", maxSpinProcs))
				}
				return
			}
			_, v, _ := splitKey(line)
			name, pid, err := nameAndPID(v)
			if err != nil {
				problem(n, fmt.Errorf("process line: %w", err))
				return
			}
			sd.procs = append(sd.procs, spinProc{name: name, pid: pid})
			cur, state = &sd.procs[len(sd.procs)-1], head
			return
		}
		if cur == nil {
			if !indented && len(sd.procs) == 0 {
				if k, v, ok := splitKey(line); ok && k == "Date/Time" {
					header = true
					if t, ok := parseSpinTime(v); ok {
						sd.date = t
					} else {
						problem(n, fmt.Errorf("Date/Time %q is not a date", clip(v)))
					}
				}
			}
			return
		}
		if !indented {
			if state != head {
				cur, state = nil, outside
				return
			}
			k, v, ok := splitKey(line)
			if ok {
				cur.setField(k, v)
			}
			return
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "Binary Images:":
			state = images
		case state == images:
			if len(cur.images) == maxProcImages {
				return
			}
			img, err := parseImageLine(t)
			if err != nil {
				problem(n, fmt.Errorf("binary image of %s [%d]: %w", cur.name, cur.pid, err))
				return
			}
			cur.images = append(cur.images, img)
		default:
			state = body
		}
	})
	if !header && len(sd.procs) == 0 {
		return nil, errors.New("not a spindump report (no Date/Time line and no process)")
	}
	return sd, nil
}

// setField reads one "Key: value" line of a process's head.
func (p *spinProc) setField(k, v string) {
	switch k {
	case "Path":
		if strings.HasPrefix(v, "/") {
			p.path = cleanName(v)
		}
	case "UUID":
		if uuidRE.MatchString(v) {
			p.uuid = strings.ToUpper(v)
		}
	case "Parent":
		if _, ppid, err := nameAndPID(v); err == nil {
			p.ppid = &ppid
		}
	case "UID":
		if u, err := strconv.ParseInt(v, 10, 64); err == nil && u >= 0 && u <= 1<<32-1 {
			p.uid = &u
		}
	case "Time Since Fork":
		if m := spinSeconds.FindStringSubmatch(v); m != nil {
			if s, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				p.sinceFork = &s
			}
		}
	case "Start time":
		if t, ok := parseSpinTime(v); ok {
			p.start = t
		}
	}
}

// nameAndPID reads "name [pid]" (spindump's Process and Parent values).
func nameAndPID(v string) (string, int64, error) {
	m := spinProcRE.FindStringSubmatch(v)
	if m == nil {
		return "", 0, fmt.Errorf("%q is not \"name [pid]\"", clip(v))
	}
	pid, ok := parsePID(m[2])
	if !ok {
		return "", 0, fmt.Errorf("pid %q is out of range", m[2])
	}
	return cleanName(m[1]), pid, nil
}

// parseImageLine reads one Binary Images line (leading blanks removed):
// "0x1027f4000 -        0x102ca3fff  name version  <UUID>[segment]  /path". The end
// address may be "???", a kernel image starts with "*", the name may hold spaces and
// a version, and the path (which may hold spaces) may be missing.
func parseImageLine(t string) (spinImage, error) {
	lt := strings.IndexByte(t, '<')
	gt := strings.IndexByte(t, '>')
	if lt < 0 || gt < lt {
		return spinImage{}, fmt.Errorf("%q has no <UUID>", clip(t))
	}
	f := strings.Fields(t[:lt])
	if len(f) < 3 || f[1] != "-" || !strings.HasPrefix(strings.TrimPrefix(f[0], "*"), "0x") {
		return spinImage{}, fmt.Errorf("%q is not \"start - end name <UUID> path\"", clip(t))
	}
	img := spinImage{name: cleanName(strings.Join(f[3:], " "))}
	if u := t[lt+1 : gt]; uuidRE.MatchString(u) {
		img.uuid = strings.ToUpper(u)
	}
	rest := t[gt+1:]
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		rest = rest[i:] // skip a segment name glued to the UUID ("__TEXT_EXEC")
	} else {
		rest = ""
	}
	if p := strings.TrimSpace(rest); strings.HasPrefix(p, "/") {
		img.path = cleanName(p)
	}
	return img, nil
}
