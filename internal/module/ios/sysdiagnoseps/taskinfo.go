package sysdiagnoseps

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// maxBlockFileLines bounds the lines read from taskinfo.txt and spindump-nosymbols.txt,
// which list every thread (and, for spindump, every stack frame) of every process.
const maxBlockFileLines = 4_000_000

// taskRow is one process of taskinfo.txt.
type taskRow struct {
	name    string // base name of the executable (taskinfo prints basename(exec path))
	pid     int64
	uid     *int64 // from the audit line (iOS 16 and later)
	uuid    string // executable uuid (iOS 16 and later)
	runTime *int64 // seconds between the process's start and taskinfo's run
}

var (
	// taskProcessRE matches `process: "name" [pid]`, with the iOS 15 suffix
	// ` [unique ID: n]`. The name is greedy so that a name holding `" [` still ends at
	// the last one.
	taskProcessRE = regexp.MustCompile(`^process: "(.*)" \[(\d{1,10})\](?: \[unique ID: \d+\])?\s*$`)
	taskAuditUID  = regexp.MustCompile(`[{ ]uid (\d{1,10})[ }]`)
	taskRunTime   = regexp.MustCompile(`^run time: (\d{1,12}) s\s*$`)
	uuidRE        = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
)

// eachLine calls fn with every line of data (1-based numbers, "\r" trimmed), skipping
// lines longer than maxLineLen and stopping after max lines, both with a problem.
func eachLine(data []byte, max int, problem func(line int, err error), fn func(n int, line string)) {
	n := 0
	for len(data) > 0 {
		var line []byte
		if i := indexNL(data); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		n++
		if n > max {
			problem(n, fmt.Errorf("more than %d lines; the rest is not read", max))
			return
		}
		if len(line) > maxLineLen {
			problem(n, fmt.Errorf("line longer than %d bytes", maxLineLen))
			continue
		}
		fn(n, strings.TrimRight(string(line), "\r"))
	}
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// parsePID reads a process id in brackets' digits: 0 to 2^31-1.
func parsePID(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0 && v <= 1<<31-1
}

// parseTaskinfo reads taskinfo.txt: a "num tasks: N" line, then one block per process
// starting with an unindented `process: "name" [pid]` line, followed by unindented
// "key: value" lines about the process and, after "threads:", tab-indented thread
// blocks. Only the process lines and the unindented lines after them are read. A
// process line that cannot be read is a problem; a file with neither the "num tasks"
// line nor any process is an error.
func parseTaskinfo(data []byte, problem func(line int, err error)) ([]taskRow, error) {
	var rows []taskRow
	var cur *taskRow
	header := false
	eachLine(data, maxBlockFileLines, problem, func(n int, line string) {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			return // blank, or part of a thread block
		}
		switch {
		case strings.HasPrefix(line, "num tasks:"):
			header = true
			return
		case strings.HasPrefix(line, "process:"):
			cur = nil
			m := taskProcessRE.FindStringSubmatch(line)
			if m == nil {
				problem(n, fmt.Errorf("process line %q is not `process: \"name\" [pid]`", clip(line)))
				return
			}
			pid, ok := parsePID(m[2])
			if !ok {
				problem(n, fmt.Errorf("pid %q is out of range", m[2]))
				return
			}
			rows = append(rows, taskRow{name: cleanName(m[1]), pid: pid})
			cur = &rows[len(rows)-1]
			return
		}
		if cur == nil {
			return
		}
		switch {
		case strings.HasPrefix(line, "audit:"):
			if m := taskAuditUID.FindStringSubmatch(line); m != nil {
				if v, err := strconv.ParseInt(m[1], 10, 64); err == nil {
					cur.uid = &v
				}
			}
		case strings.HasPrefix(line, "executable uuid:"):
			if u := strings.TrimSpace(strings.TrimPrefix(line, "executable uuid:")); uuidRE.MatchString(u) {
				cur.uuid = strings.ToUpper(u)
			}
		case strings.HasPrefix(line, "run time:"):
			if m := taskRunTime.FindStringSubmatch(line); m != nil {
				if v, err := strconv.ParseInt(m[1], 10, 64); err == nil {
					cur.runTime = &v
				}
			}
		case strings.HasPrefix(line, "threads:"):
			cur = nil // the rest of the block is thread detail
		}
	})
	if !header && len(rows) == 0 {
		return nil, errors.New("not a taskinfo listing (no \"num tasks\" line and no process)")
	}
	return rows, nil
}

// maxName bounds names and paths kept from the block listings.
const maxName = 4 << 10

// cleanName trims a name or path and cuts it to maxName bytes of valid UTF-8.
func cleanName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxName {
		s = s[:maxName]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// clip shortens a line quoted in a problem.
func clip(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
