package aqfprocesses

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Limits of the parsers.
const (
	MaxProcesses = 200000  // processes read from one file
	maxLine      = 1 << 16 // bytes of one ps line
	maxListItems = 4096    // command_line / env items kept per process
	maxText      = 1 << 14 // bytes kept of one text value
)

// Column names of toybox/toolbox ps headers.
var knownColumns = map[string]string{
	"LABEL": "label", "USER": "user", "PID": "pid", "PPID": "ppid", "VSZ": "vsz", "VSIZE": "vsz",
	"RSS": "rss", "WCHAN": "wchan", "ADDR": "addr", "PC": "addr", "S": "s", "NAME": "name",
	"CMD": "name", "ARGS": "name", "COMMAND": "name",
}

// ParseText reads `ps -A` text (ps.txt, processes.txt). The first non-blank line is
// the header; its column names place the fields. NAME, the last column, keeps its
// spaces. An empty WCHAN (one field fewer) is recognised by where the one-letter
// state falls, and a leading SELinux label (u:r:…) is taken even when the header does
// not announce it, as MVT does. problems names the lines that could not be read.
func ParseText(source string, data []byte) ([]*Record, []string) {
	var recs []*Record
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var cols []string
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if cols == nil {
			cols = headerColumns(line)
			continue
		}
		if len(recs) >= MaxProcesses {
			problems = append(problems, fmt.Sprintf("more than %d processes: the rest were not read", MaxProcesses))
			break
		}
		r, err := parseLine(cols, line)
		if err != nil {
			if len(problems) < 100 {
				problems = append(problems, fmt.Sprintf("line %d: %v", lineNo, err))
			}
			continue
		}
		r.Source = source
		r.Line = lineNo
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("line %d: %v", lineNo+1, err))
	}
	return recs, problems
}

// headerColumns maps a header line to column keys; an unrecognised header gives the
// toybox default layout (MVT's).
func headerColumns(line string) []string {
	f := strings.Fields(line)
	var cols []string
	known := 0
	for _, c := range f {
		k, ok := knownColumns[strings.ToUpper(c)]
		if ok {
			known++
		} else {
			k = "?" + c
		}
		cols = append(cols, k)
	}
	if known < 3 || cols[len(cols)-1] != "name" {
		return []string{"user", "pid", "ppid", "vsz", "rss", "wchan", "addr", "s", "name"}
	}
	return cols
}

func isState(s string) bool {
	return len(s) == 1 && strings.Contains("RSDZTtXxKWPI", s)
}

func parseLine(cols []string, line string) (*Record, error) {
	fields, starts := splitFields(line)
	cols = append([]string(nil), cols...)
	// A label the header does not announce.
	if len(fields) > 0 && cols[0] != "label" && strings.HasPrefix(fields[0], "u:") && strings.Count(fields[0], ":") >= 3 {
		cols = append([]string{"label"}, cols...)
	}
	nameIdx := len(cols) - 1
	// Old toolbox ps prints the state before NAME without a header for it.
	if indexOf(cols, "s") < 0 && len(fields) > nameIdx+1 && isState(fields[nameIdx]) {
		cols = append(cols[:nameIdx:nameIdx], "s", "name")
		nameIdx++
	}
	// An empty WCHAN: the state column sits one field to the left.
	if w := indexOf(cols, "wchan"); w >= 0 {
		s := indexOf(cols, "s")
		if s > w && len(fields) >= nameIdx && s < len(fields) && s-1 >= 0 &&
			(!isState(fields[s]) || len(fields) == nameIdx) && isState(fields[s-1]) {
			cols = append(cols[:w:w], cols[w+1:]...)
			nameIdx--
		}
	}
	if len(fields) <= nameIdx {
		return nil, fmt.Errorf("%d fields, want at least %d", len(fields), nameIdx+1)
	}
	r := &Record{}
	for i, c := range cols[:nameIdx] {
		v := safetext.EscapeInvalid(fields[i])
		switch c {
		case "label":
			r.Label = v
		case "user":
			r.User = v
		case "pid", "ppid", "vsz", "rss":
			n, err := strconv.ParseInt(fields[i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s %q is not a number", strings.ToUpper(c), safetext.Truncate(v, 40))
			}
			switch c {
			case "pid":
				r.PID = n
			case "ppid":
				r.PPID = n
			case "vsz":
				r.VirtualMemorySize = &n
			case "rss":
				r.ResidentSetSize = &n
			}
		case "wchan":
			r.WChan = v
		case "addr":
			r.Aprocress = v
		case "s":
			r.Stat = v
		}
	}
	name := strings.TrimSpace(line[starts[nameIdx]:])
	r.Name = safetext.EscapeInvalid(safetext.Truncate(name, maxText))
	r.ProcName = strings.Trim(r.Name, "[]")
	return r, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// splitFields splits on spaces and tabs, returning each field and where it starts.
func splitFields(line string) ([]string, []int) {
	var f []string
	var st []int
	for i := 0; i < len(line); {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		f = append(f, line[i:j])
		st = append(st, i)
		i = j
	}
	return f, st
}

// ParseJSON reads the collector's processes.json (a JSON array of process objects),
// streaming it element by element; an element of the wrong shape is a problem, a
// syntax error ends the reading (error when nothing could be read).
func ParseJSON(source string, rd io.Reader) ([]*Record, []string, error) {
	dec := json.NewDecoder(rd)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		if tok == nil {
			return nil, nil, nil // "null": the collector found nothing
		}
		return nil, nil, fmt.Errorf("not a JSON array of processes")
	}
	var recs []*Record
	var problems []string
	for i := 0; dec.More(); i++ {
		if len(recs) >= MaxProcesses {
			problems = append(problems, fmt.Sprintf("more than %d processes: the rest were not read", MaxProcesses))
			break
		}
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if _, ok := err.(*json.UnmarshalTypeError); ok {
				problems = append(problems, fmt.Sprintf("element %d: not a process object", i+1))
				continue
			}
			if len(recs) == 0 {
				return nil, nil, fmt.Errorf("element %d: %w", i+1, err)
			}
			problems = append(problems, fmt.Sprintf("element %d: %v: the rest was not read", i+1, err))
			return recs, problems, nil
		}
		r, ok := fromJSON(m)
		if !ok {
			problems = append(problems, fmt.Sprintf("element %d: no pid", i+1))
			continue
		}
		r.Source = source
		r.Line = i + 1
		recs = append(recs, r)
	}
	return recs, problems, nil
}

func fromJSON(m map[string]any) (*Record, bool) {
	pid, ok := jsonInt(m["pid"])
	if !ok {
		return nil, false
	}
	r := &Record{PID: *pid}
	if v, ok := jsonInt(m["ppid"]); ok {
		r.PPID = *v
	}
	r.UID, _ = jsonInt(m["uid"])
	r.PGroup, _ = jsonInt(m["pgroup"])
	r.PSID, _ = jsonInt(m["psid"])
	r.Priority, _ = jsonInt(m["priority"])
	r.UserTime, _ = jsonInt(m["user_time"])
	r.KernelTime, _ = jsonInt(m["kernel_time"])
	r.Filename = jsonStr(m["filename"])
	r.State = jsonStr(m["state"])
	r.Path = jsonStr(m["path"])
	r.Context = jsonStr(m["context"])
	r.PreviousContext = jsonStr(m["previous_context"])
	r.CommandLine = jsonStrs(m["command_line"])
	r.Env = jsonStrs(m["env"])
	r.Cwd = jsonStr(m["cwd"])
	// MVT's keys, filled from the collector's fields.
	r.Stat = r.State
	r.Label = r.Context
	// The kernel's name of the process: /proc/<pid>/stat's "(name)".
	r.Name = strings.TrimSuffix(strings.TrimPrefix(r.Filename, "("), ")")
	r.ProcName = r.Name
	if len(r.CommandLine) > 0 && r.CommandLine[0] != "" {
		// An app's argv[0] is its process name (package[:service]); a native
		// process's is its binary.
		r.ProcName = r.CommandLine[0]
	}
	return r, true
}

func jsonInt(v any) (*int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return &n, true
		}
		if f, err := x.Float64(); err == nil && f >= -9e18 && f <= 9e18 {
			n := int64(f)
			return &n, true
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return &n, true
		}
	}
	return nil, false
}

func jsonStr(v any) string {
	switch x := v.(type) {
	case string:
		return safetext.EscapeInvalid(safetext.Truncate(x, maxText))
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func jsonStrs(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, min(len(l), maxListItems))
	for i, x := range l {
		if i >= maxListItems {
			break
		}
		out = append(out, jsonStr(x))
	}
	return out
}
