package bugreport

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Section kinds.
const (
	KindDumpsys          = "dumpsys"
	KindSystemProperties = "system_properties"
	KindDumpstateHeader  = "dumpstate_header"
)

// Section is one piece of the dumpstate text served under "@sections/".
type Section struct {
	// Name is the file name below "@sections/": "dumpsys/package",
	// "dumpsys-critical/cpuinfo", "system_properties", "dumpstate_header", with "~2",
	// "~3"… appended for later occurrences of the same name.
	Name string `json:"name"`
	// Kind is KindDumpsys, KindSystemProperties or KindDumpstateHeader.
	Kind string `json:"kind"`
	// Service is the service name as printed (dumpsys sections only).
	Service string `json:"service,omitempty"`
	// Priority is "CRITICAL" or "HIGH" for the priority dumps of dumpsys, "" otherwise.
	Priority string `json:"priority,omitempty"`
	// Occurrence is 1 for the first section of its name, 2 for the "~2" one…
	Occurrence int `json:"occurrence"`
	// Line is the 1-based line number of the section's title line (the DUMP OF SERVICE
	// or SYSTEM PROPERTIES line; the "== dumpstate:" line for the header).
	Line int `json:"line"`
	// Start and End delimit the section's text in the dumpstate text.
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// Truncated is set when the section runs into the end of a dumpstate text that was
	// cut at the size limit: its end is missing.
	Truncated bool `json:"truncated,omitempty"`
}

// SplitResult is what Split found in a dumpstate text.
type SplitResult struct {
	Sections []Section
	// Problems are anomalies of the text's structure (headers found inside another
	// section, repeated sections, too many sections), each a kind and a message.
	Problems []SplitProblem
	// Header facts, from the dumpstate header when there is one.
	DumpstateTime    string // "2024-03-14 10:00:00", device wall clock, zone not printed
	Build            string
	BuildFingerprint string
	FormatVersion    string // "Bugreport format version:"
}

// SplitProblem is an anomaly of the dumpstate text's structure.
type SplitProblem struct {
	Kind    string
	Message string
}

// Limits of Split.
const (
	// DefaultMaxSections bounds the sections kept; a real bug report has a few hundred.
	DefaultMaxSections = 100000
	// maxHeaderBytes bounds the dumpstate header section.
	maxHeaderBytes = 1 << 20
	// maxEmbeddedProblems bounds the "embedded_header" and "duplicate_section" problems
	// reported one by one.
	maxEmbeddedProblems = 20
	// minDashes is the shortest line of dashes taken as dumpsys's separator (it prints
	// 79; MVT looks for 78).
	minDashes = 78
)

// Split cuts a dumpstate text into its sections in one pass over its lines. truncated
// says that the text was cut at a size limit, so that a section open at the end is
// marked Truncated. maxSections ≤ 0 means DefaultMaxSections.
//
// Rules (see the package comment for the reasons):
//   - A line "DUMP OF SERVICE <name>:" (also "DUMP OF SERVICE CRITICAL <name>:" and
//     "DUMP OF SERVICE HIGH <name>:") at column 0 starts a dumpsys section; its text is
//     the lines after it. The name is one word (no blank).
//   - A dumpsys section ends before: dumpsys's footer for the same service
//     ("--------- 0.012s was the duration of dumpsys <name>, ending at: …"); a line of
//     78 or more dashes that is followed by a DUMP OF SERVICE line, by a dumpstate
//     line, or by the end of the text (the separator dumpsys prints before each header);
//     a dumpstate line ("------ TITLE (command) ------", "------ 0.1s was the duration
//     of 'X' ------", "------"); the end of the text.
//   - Inside a section opened after a separator, a DUMP OF SERVICE line that does not
//     follow a separator is part of the section's text (a service that prints another
//     dump, or text made to look like one), reported as "embedded_header". In a text
//     without separators (sections cut by hand, as in MVT's test files), every DUMP OF
//     SERVICE line starts a section.
//   - "------ SYSTEM PROPERTIES …" starts the properties block, which ends before the
//     next line of dashes ("------", "------ … ------", a separator) or DUMP OF SERVICE
//     line.
//   - The dumpstate header runs from the "==…" banner line before "== dumpstate: <date>"
//     (when that line comes before any section) up to the first line that starts with
//     "------" or "DUMP OF SERVICE", at most 1 MiB.
//
// Section texts are kept byte for byte: "\r\n" line ends and invalid UTF-8 stay as
// they are. Split never fails and never panics.
func Split(text []byte, truncated bool, maxSections int) SplitResult {
	if maxSections <= 0 {
		maxSections = DefaultMaxSections
	}
	s := splitter{text: text, maxSections: maxSections, seen: map[string]int{}}
	s.run()
	if s.cur != nil {
		s.close(int64(len(text)))
		if truncated && len(s.res.Sections) > 0 {
			last := &s.res.Sections[len(s.res.Sections)-1]
			if last.End == int64(len(text)) {
				last.Truncated = true
			}
		}
	}
	if s.embedded > maxEmbeddedProblems {
		s.problem("embedded_header", fmt.Sprintf("%d more DUMP OF SERVICE lines inside other sections were left in their text", s.embedded-maxEmbeddedProblems))
	}
	if s.duplicates > maxEmbeddedProblems {
		s.problem("duplicate_section", fmt.Sprintf("%d more sections appear again, served with ~N names", s.duplicates-maxEmbeddedProblems))
	}
	return s.res
}

type splitter struct {
	text        []byte
	maxSections int
	res         SplitResult
	seen        map[string]int // section name → occurrences so far
	embedded    int            // DUMP OF SERVICE lines left in a section's text
	duplicates  int            // sections whose name was seen before
	stopped     bool
	headerDone  bool // a header was found, or a section came first

	// The open section, and where it started.
	cur *Section
	// afterDashes says that the open dumpsys section's title followed a separator.
	afterDashes bool
	// dashStart is the offset of a line of dashes met inside the open section whose
	// meaning depends on the next line, or -1.
	dashStart int64
}

func (s *splitter) problem(kind, msg string) {
	s.res.Problems = append(s.res.Problems, SplitProblem{Kind: kind, Message: msg})
}

func (s *splitter) run() {
	text := s.text
	s.dashStart = -1
	prevDashes := false
	lineNo := 0
	for off := 0; off < len(text) && !s.stopped; {
		lineNo++
		end := bytes.IndexByte(text[off:], '\n')
		next := len(text)
		if end < 0 {
			end = len(text)
		} else {
			end += off
			next = end + 1
		}
		line := trimEOL(text[off:end])
		s.line(line, int64(off), int64(next), lineNo, prevDashes)
		prevDashes = isDashes(line)
		off = next
	}
	if s.cur != nil && s.dashStart >= 0 {
		// A separator as the last line closes the section before it.
		s.close(s.dashStart)
	}
}

// line handles one line: start and next are the offsets of the line and of the next.
func (s *splitter) line(line []byte, start, next int64, lineNo int, prevDashes bool) {
	if s.cur != nil && s.cur.Kind == KindDumpstateHeader {
		switch {
		case bytes.HasPrefix(line, []byte("------")), bytes.HasPrefix(line, []byte("DUMP OF SERVICE ")):
			s.close(start)
		case next-s.cur.Start > maxHeaderBytes:
			s.close(start)
			return
		default:
			s.headerFact(line)
			return
		}
	}
	if s.cur != nil && s.cur.Kind == KindSystemProperties {
		if bytes.HasPrefix(line, []byte("------")) || bytes.HasPrefix(line, []byte("DUMP OF SERVICE ")) {
			s.close(start)
		} else {
			return
		}
	}
	if s.cur != nil && s.cur.Kind == KindDumpsys {
		if s.dumpsysLine(line, start, lineNo, prevDashes) {
			return
		}
	}
	// Outside any section.
	if prio, name, ok := parseServiceHeader(line); ok {
		s.headerDone = true
		s.open(Section{Kind: KindDumpsys, Service: name, Priority: prio, Line: lineNo, Start: next}, dumpsysDir(prio)+"/"+EscapeName(name))
		s.afterDashes = prevDashes
		return
	}
	if bytes.HasPrefix(line, []byte("------ SYSTEM PROPERTIES")) {
		s.headerDone = true
		s.open(Section{Kind: KindSystemProperties, Line: lineNo, Start: next}, KindSystemProperties)
		return
	}
	if !s.headerDone && bytes.HasPrefix(line, []byte("== dumpstate: ")) {
		rest := line[len("== dumpstate: "):]
		if len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
			s.headerDone = true
			hstart := start
			if b := s.prevLineStart(start); b >= 0 && isBanner(bytes.TrimRight(s.text[b:start], " \t\r\n")) {
				hstart = b
			}
			s.res.DumpstateTime = safeString(rest)
			s.open(Section{Kind: KindDumpstateHeader, Line: lineNo, Start: hstart}, KindDumpstateHeader)
			return
		}
	}
	if bytes.HasPrefix(line, []byte("------")) {
		s.headerDone = true
	}
}

// dumpsysLine handles a line inside a dumpsys section. It returns false when the line
// closed the section and must be looked at again from outside.
func (s *splitter) dumpsysLine(line []byte, start int64, lineNo int, prevDashes bool) bool {
	if s.dashStart >= 0 {
		// The previous line was a line of dashes: a separator if this line is a header
		// or a dumpstate line.
		ds := s.dashStart
		s.dashStart = -1
		if _, _, ok := parseServiceHeader(line); ok || isDumpstateLine(line) {
			s.close(ds)
			return false
		}
	}
	if _, _, ok := parseServiceHeader(line); ok {
		if !s.afterDashes {
			s.close(start)
			return false
		}
		s.embedded++
		if s.embedded <= maxEmbeddedProblems {
			s.problem("embedded_header", fmt.Sprintf("line %d: a DUMP OF SERVICE line inside section %q, not after dumpsys's separator, was left in its text", lineNo, s.cur.Name))
		}
		return true
	}
	if isFooter(line, s.cur.Service) || isDumpstateLine(line) {
		s.close(start)
		return false
	}
	if isDashes(line) {
		s.dashStart = start
	}
	return true
}

func (s *splitter) open(sec Section, name string) {
	if len(s.res.Sections) >= s.maxSections {
		s.stopped = true
		s.problem("limit_reached", fmt.Sprintf("line %d: more than %d sections; the rest of the dumpstate text is not split", sec.Line, s.maxSections))
		return
	}
	s.seen[name]++
	n := s.seen[name]
	sec.Occurrence = n
	sec.Name = name
	if n > 1 {
		sec.Name = name + "~" + strconv.Itoa(n)
		if s.duplicates++; s.duplicates <= maxEmbeddedProblems {
			s.problem("duplicate_section", fmt.Sprintf("line %d: section %q appears again, served as %q; modules read the first", sec.Line, name, sec.Name))
		}
	}
	s.cur = &sec
	s.dashStart = -1
}

func (s *splitter) close(end int64) {
	if s.cur == nil {
		return
	}
	if end < s.cur.Start {
		end = s.cur.Start
	}
	s.cur.End = end
	s.res.Sections = append(s.res.Sections, *s.cur)
	s.cur = nil
	s.dashStart = -1
	s.afterDashes = false
}

// prevLineStart returns the start of the line before the one starting at off, or -1.
func (s *splitter) prevLineStart(off int64) int64 {
	if off == 0 {
		return -1
	}
	i := bytes.LastIndexByte(s.text[:off-1], '\n')
	return int64(i + 1)
}

func (s *splitter) headerFact(line []byte) {
	switch {
	case bytes.HasPrefix(line, []byte("Build fingerprint: ")):
		v := bytes.TrimSpace(line[len("Build fingerprint: "):])
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		if s.res.BuildFingerprint == "" {
			s.res.BuildFingerprint = safeString(v)
		}
	case bytes.HasPrefix(line, []byte("Build: ")):
		if s.res.Build == "" {
			s.res.Build = safeString(bytes.TrimSpace(line[len("Build: "):]))
		}
	case bytes.HasPrefix(line, []byte("Bugreport format version: ")):
		if s.res.FormatVersion == "" {
			s.res.FormatVersion = safeString(bytes.TrimSpace(line[len("Bugreport format version: "):]))
		}
	}
}

// trimEOL removes a trailing "\r" and trailing blanks.
func trimEOL(b []byte) []byte {
	return bytes.TrimRight(b, " \t\r")
}

// isDashes reports whether line is dumpsys's separator: 78 or more dashes.
func isDashes(line []byte) bool {
	if len(line) < minDashes {
		return false
	}
	for _, c := range line {
		if c != '-' {
			return false
		}
	}
	return true
}

// isBanner reports whether line is a line of '=' (the dumpstate banner).
func isBanner(line []byte) bool {
	if len(line) < 8 {
		return false
	}
	for _, c := range line {
		if c != '=' {
			return false
		}
	}
	return true
}

// isDumpstateLine reports whether line is one of dumpstate's own lines around the
// output of a command: "------ TITLE (command) ------", "------ 0.1s was the duration of
// 'TITLE' ------", or "------" alone.
func isDumpstateLine(line []byte) bool {
	if string(line) == "------" {
		return true
	}
	return bytes.HasPrefix(line, []byte("------ ")) && bytes.HasSuffix(line, []byte(" ------")) && len(line) >= len("------ x ------")
}

// isFooter reports whether line is dumpsys's footer for the service:
// "--------- 0.012s was the duration of dumpsys <service>, ending at: <time>".
func isFooter(line []byte, service string) bool {
	const pre, mid = "--------- ", "s was the duration of dumpsys "
	if !bytes.HasPrefix(line, []byte(pre)) {
		return false
	}
	i := bytes.Index(line, []byte(mid))
	if i < 0 {
		return false
	}
	rest := line[i+len(mid):]
	if !bytes.HasPrefix(rest, []byte(service)) {
		return false
	}
	rest = rest[len(service):]
	return len(rest) == 0 || rest[0] == ','
}

// parseServiceHeader reads "DUMP OF SERVICE [CRITICAL |HIGH |NORMAL ]<name>:".
func parseServiceHeader(line []byte) (priority, name string, ok bool) {
	const pre = "DUMP OF SERVICE "
	if !bytes.HasPrefix(line, []byte(pre)) || !bytes.HasSuffix(line, []byte(":")) {
		return "", "", false
	}
	rest := line[len(pre) : len(line)-1]
	for _, p := range []string{"CRITICAL", "HIGH", "NORMAL"} {
		if len(rest) > len(p)+1 && bytes.HasPrefix(rest, []byte(p+" ")) {
			rest = rest[len(p)+1:]
			if p != "NORMAL" {
				priority = p
			}
			break
		}
	}
	if len(rest) == 0 || bytes.ContainsAny(rest, " \t") {
		return "", "", false
	}
	return priority, string(rest), true
}

// dumpsysDir is the folder below "@sections" of a priority's dumps.
func dumpsysDir(priority string) string {
	if priority == "" {
		return "dumpsys"
	}
	return "dumpsys-" + strings.ToLower(priority)
}

// EscapeName writes a service name as one element of a file name: '%', '/', '~',
// control characters, blanks and bytes that are not UTF-8 become %XX (upper-case
// hex), and "." and ".." become "%2E" and "%2E%2E". Ordinary names are unchanged:
// "android.hardware.power.IPower/default" is "android.hardware.power.IPower%2Fdefault".
func EscapeName(name string) string {
	if name == "." || name == ".." {
		return strings.Repeat("%2E", len(name))
	}
	var b strings.Builder
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		bad := r == utf8.RuneError && size <= 1
		if bad || r < 0x20 || r == 0x7f || r == '%' || r == '/' || r == '~' || r == ' ' || r == '\\' {
			for j := 0; j < size; j++ {
				fmt.Fprintf(&b, "%%%02X", name[i+j])
			}
		} else {
			b.WriteString(name[i : i+size])
		}
		i += size
	}
	return b.String()
}

// DumpsysName is the file name of the (first) dumpsys section of a service, as modules
// declare it in their Paths: DumpsysName("package") is "@sections/dumpsys/package".
func DumpsysName(service string) string {
	return SectionsDir + "/dumpsys/" + EscapeName(service)
}

// safeString returns b as a string with invalid UTF-8 replaced, for facts.
func safeString(b []byte) string {
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
