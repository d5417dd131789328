package sysdiagnoseps

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Bounds on hostile input.
const (
	maxLines    = 200_000  // lines read per file
	maxLineLen  = 64 << 10 // longer lines are skipped with a problem
	maxHeader   = 64       // header columns
	maxCommand  = 16 << 10 // command lines are cut to this many bytes
	truncCmdLen = len("COMMAND")
)

// column is one header column: its name and where it starts in the header line.
type column struct {
	name  string
	start int
	// fixed marks a COMMAND column that is not the last one (ps_thread.txt's truncated
	// command): its content may hold spaces, so it is cut by position.
	fixed bool
}

// header is a parsed ps header.
type header struct {
	cols                          []column
	user, uid, pid, ppid, started int // column indexes, -1 when absent
}

// parseHeader splits a ps header into columns. The last column must be COMMAND (the
// rest of each line); PID must be present.
func parseHeader(line string) (*header, error) {
	h := &header{user: -1, uid: -1, pid: -1, ppid: -1, started: -1}
	for i := 0; i < len(line); {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if len(h.cols) == maxHeader {
			return nil, fmt.Errorf("header has more than %d columns", maxHeader)
		}
		h.cols = append(h.cols, column{name: line[i:j], start: i})
		i = j
	}
	if len(h.cols) < 2 || h.cols[len(h.cols)-1].name != "COMMAND" {
		return nil, errors.New("not a ps listing (the header does not end with COMMAND)")
	}
	for i, c := range h.cols[:len(h.cols)-1] {
		set := func(p *int) {
			if *p < 0 {
				*p = i
			}
		}
		switch c.name {
		case "USER":
			set(&h.user)
		case "UID":
			set(&h.uid)
		case "PID":
			set(&h.pid)
		case "PPID":
			set(&h.ppid)
		case "STARTED":
			set(&h.started)
		case "COMMAND":
			h.cols[i].fixed = true
		}
	}
	if h.pid < 0 {
		return nil, errors.New("not a ps listing (no PID column in the header)")
	}
	return h, nil
}

// row is one process line.
type row struct {
	user, started, command string
	uid                    *int64
	pid, ppid              int64
	hasPPID                bool
}

// splitLine cuts a process line into the header's columns: whitespace-separated
// values, a fixed-width cut for a COMMAND column that is not the last, and the rest
// of the line for the last COMMAND.
func (h *header) splitLine(line string) ([]string, error) {
	vals := make([]string, len(h.cols))
	pos := 0
	for i, c := range h.cols {
		if i == len(h.cols)-1 {
			vals[i] = strings.TrimRight(strings.TrimLeft(line[min(pos, len(line)):], " \t"), " \t\r")
			break
		}
		if c.fixed {
			if pos > c.start || len(line) < c.start {
				return nil, fmt.Errorf("columns do not line up with the header at %s", c.name)
			}
			end := min(c.start+truncCmdLen, len(line))
			vals[i] = strings.TrimSpace(line[c.start:end])
			pos = end
			continue
		}
		for pos < len(line) && (line[pos] == ' ' || line[pos] == '\t') {
			pos++
		}
		j := pos
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if j == pos {
			return nil, fmt.Errorf("%d columns, the header has %d", i, len(h.cols))
		}
		vals[i] = line[pos:j]
		pos = j
	}
	if vals[len(vals)-1] == "" {
		return nil, errors.New("no command")
	}
	return vals, nil
}

// parseRow reads one process line.
func (h *header) parseRow(line string) (row, error) {
	vals, err := h.splitLine(line)
	if err != nil {
		return row{}, err
	}
	var r row
	if r.pid, err = strconv.ParseInt(vals[h.pid], 10, 64); err != nil || r.pid < 0 {
		return row{}, fmt.Errorf("PID %q is not a number", vals[h.pid])
	}
	if h.ppid >= 0 {
		if r.ppid, err = strconv.ParseInt(vals[h.ppid], 10, 64); err != nil || r.ppid < 0 {
			return row{}, fmt.Errorf("PPID %q is not a number", vals[h.ppid])
		}
		r.hasPPID = true
	}
	if h.uid >= 0 {
		if v, err := strconv.ParseInt(vals[h.uid], 10, 64); err == nil {
			r.uid = &v
		}
	}
	if h.user >= 0 {
		r.user = vals[h.user]
	}
	if h.started >= 0 {
		r.started = vals[h.started]
	}
	r.command = vals[len(vals)-1]
	if len(r.command) > maxCommand {
		r.command = strings.ToValidUTF8(r.command[:maxCommand], "")
	}
	return r, nil
}

// parsePs reads a ps.txt or ps_thread.txt listing. Lines that start with a blank are
// the further threads of the process above (ps_thread.txt) and are skipped. A line
// that cannot be read is reported through problem (1-based line numbers) and skipped;
// an unreadable header is an error.
func parsePs(data []byte, problem func(line int, err error)) ([]row, error) {
	var rows []row
	var h *header
	n := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		n++
		if n > maxLines {
			problem(n, fmt.Errorf("more than %d lines; the rest is not read", maxLines))
			break
		}
		if len(line) > maxLineLen {
			problem(n, fmt.Errorf("line longer than %d bytes", maxLineLen))
			continue
		}
		s := strings.TrimRight(string(line), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		if h == nil {
			var err error
			if h, err = parseHeader(s); err != nil {
				return nil, err
			}
			continue
		}
		if s[0] == ' ' || s[0] == '\t' {
			continue // a further thread of the process above
		}
		r, err := h.parseRow(s)
		if err != nil {
			problem(n, err)
			continue
		}
		rows = append(rows, r)
	}
	if h == nil {
		return nil, errors.New("empty file (no ps header)")
	}
	return rows, nil
}

// binaryPath returns the path of the program a ps command line runs: the first word
// when it is absolute, extended over spaces inside an app bundle whose executable
// has the bundle's name ("/…/My App.app/My App -flag" gives "/…/My App.app/My App").
// It returns "" when the command does not start with "/".
func binaryPath(cmd string) string {
	if !strings.HasPrefix(cmd, "/") {
		return ""
	}
	first := cmd
	if i := strings.IndexAny(cmd, " \t"); i >= 0 {
		first = cmd[:i]
	} else {
		return cmd
	}
	if i := strings.Index(cmd, ".app/"); i > len(first) {
		// the bundle name is the last component before ".app/"
		bundle := cmd[strings.LastIndexByte(cmd[:i], '/')+1 : i]
		rest := cmd[i+len(".app/"):]
		if bundle != "" && strings.HasPrefix(rest, bundle) {
			after := rest[len(bundle):]
			if after == "" || after[0] == ' ' || after[0] == '\t' {
				return cmd[:i+len(".app/")+len(bundle)]
			}
		}
	}
	return first
}

// processName is the base name of the program: of its path when it has one, else of
// the command's first word.
func processName(cmd, path string) string {
	p := path
	if p == "" {
		p = cmd
		if i := strings.IndexAny(p, " \t"); i >= 0 {
			p = p[:i]
		}
	}
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	return p
}
