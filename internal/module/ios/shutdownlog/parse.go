package shutdownlog

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Parser bounds.
const (
	// maxLine bounds a line; logd's lines are a path (at most 1024 bytes) plus a few
	// words. Longer lines are skipped and counted.
	maxLine = 8 << 10
	// maxClientsPerBlock bounds the client lines kept for one shutdown.
	maxClientsPerBlock = 4096
	// maxRecords bounds the records kept for all files together.
	maxRecords = 1 << 20
	// maxDelay bounds an "After <s>s" value (seconds).
	maxDelay = 1e6
	// maxBadExamples is the number of unreadable lines quoted in a problem.
	maxBadExamples = 3
)

// Line prefixes, after leading and trailing white space is removed (MVT strips lines).
const (
	headerPrefix  = "After "
	clientPrefix  = "remaining client pid:"
	sigtermPrefix = "SIGTERM:"
)

// fileResult is what one log holds.
type fileResult struct {
	records []*Record
	// reboots counts SIGTERM lines (closed blocks).
	reboots int
	// truncated says the last block has lines but no SIGTERM line.
	truncated bool
	// content says the file has a non-blank line.
	content bool
	// problems describe lines that could not be read.
	problems []string
	// full says maxRecords was reached.
	full bool
}

// parser is the state of one file's parse.
type parser struct {
	file  string
	res   *fileResult
	limit int // records still allowed

	block        []*Record
	blockLines   bool // the current block has a header or client line
	dropped      int  // client lines over maxClientsPerBlock in the current block
	delay        float64
	timesDelayed int
	reboot       int // index of the current block, from 1

	bad      int
	examples []string
	long     int
}

// parse reads one shutdown.log line by line. limit bounds the records it returns. It
// fails only when r fails; unreadable lines are described in the result's problems.
func parse(ctx context.Context, r io.Reader, file string, limit int) (*fileResult, error) {
	p := &parser{file: file, res: &fileResult{}, limit: limit, reboot: 1}
	sc := bufio.NewScanner(r)
	sp := &splitter{}
	sc.Buffer(make([]byte, 0, 4096), 2*maxLine)
	sc.Split(sp.split)
	n := 0
	for sc.Scan() {
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if sp.cut {
			sp.cut = false
			p.res.content = true
			p.long++
			continue
		}
		p.line(n, sc.Bytes())
		if p.res.full {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	p.finish()
	return p.res, nil
}

func (p *parser) line(n int, raw []byte) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	p.res.content = true
	s := string(raw)
	switch {
	case strings.HasPrefix(s, clientPrefix):
		p.client(n, s[len(clientPrefix):])
	case strings.HasPrefix(s, headerPrefix):
		p.header(n, s)
	case strings.HasPrefix(s, sigtermPrefix):
		p.sigterm(n, s[len(sigtermPrefix):])
	default:
		p.badLine(n, s)
	}
}

// header reads "After <s>s, these clients are still here:". MVT adds the value to the
// block's delay and counts the header. A header carrying a client on the same line
// ("After 0.10s, remaining client pid: …", reported for older logs) yields that client
// too.
func (p *parser) header(n int, s string) {
	rest := s[len(headerPrefix):]
	tok, after, _ := strings.Cut(rest, " ")
	tok = strings.TrimSuffix(strings.TrimSuffix(tok, ","), "s")
	v, err := strconv.ParseFloat(tok, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > maxDelay {
		p.badLine(n, s)
		return
	}
	p.delay += v
	p.timesDelayed++
	p.blockLines = true
	if i := strings.Index(after, clientPrefix); i >= 0 {
		p.client(n, after[i+len(clientPrefix):])
	}
}

// client reads "<pid> (<path>)" after "remaining client pid:". The path runs to the
// last ")" of the line, so a path holding parentheses is kept whole (MVT cuts it at
// the first ")").
func (p *parser) client(n int, s string) {
	s = strings.TrimLeft(s, " \t")
	pidEnd := 0
	if pidEnd < len(s) && s[pidEnd] == '-' {
		pidEnd++
	}
	for pidEnd < len(s) && pidEnd < 21 && '0' <= s[pidEnd] && s[pidEnd] <= '9' {
		pidEnd++
	}
	pid := s[:pidEnd]
	rest := strings.TrimLeft(s[pidEnd:], " \t")
	closing := strings.LastIndexByte(rest, ')')
	if pid == "" || pid == "-" || !strings.HasPrefix(rest, "(") || closing < 2 {
		p.badLine(n, clientPrefix+" "+s)
		return
	}
	p.blockLines = true
	if len(p.block) >= maxClientsPerBlock {
		p.dropped++
		return
	}
	if len(p.res.records)+len(p.block) >= p.limit {
		p.res.full = true
		return
	}
	client := safetext.EscapeInvalid(rest[1:closing])
	command, uuid := splitUUID(client)
	p.block = append(p.block, &Record{
		PID:          pid,
		Client:       client,
		Delay:        p.delay,
		TimesDelayed: p.timesDelayed,
		File:         p.file,
		Command:      command,
		UUID:         uuid,
		RebootIndex:  p.reboot,
	})
}

// sigterm closes a block: "SIGTERM: [<unix seconds>] …" or, in another form MVT
// accepts, "… @<unix seconds>…".
func (p *parser) sigterm(n int, s string) {
	secs, ok := sigtermTime(s)
	t := timefmt.Time{}
	if ok {
		t = timefmt.Of(timefmt.FromUnix(secs))
	}
	if t.IsZero() {
		p.res.problems = append(p.res.problems, fmt.Sprintf("%s: line %d: no readable time in SIGTERM line %q; shutdown %d is kept without a date",
			p.file, n, safetext.Truncate(safetext.EscapeInvalid(sigtermPrefix+s), 120), p.reboot))
	}
	for _, r := range p.block {
		r.Isodate = t
		r.Complete = true
	}
	p.res.reboots++
	p.close()
}

// sigtermTime returns the Unix seconds of a SIGTERM line (after "SIGTERM:"): the
// number between the first "[" and the next "]", else the digits after " @".
func sigtermTime(s string) (float64, bool) {
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i+1:], ']'); j >= 0 {
			v, err := strconv.ParseFloat(strings.TrimSpace(s[i+1:i+1+j]), 64)
			if err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
				return v, true
			}
		}
	}
	if i := strings.Index(" "+s, " @"); i >= 0 {
		d := s[i+1:]
		end := 0
		for end < len(d) && end < 19 && '0' <= d[end] && d[end] <= '9' {
			end++
		}
		if end > 0 {
			v, err := strconv.ParseInt(d[:end], 10, 64)
			if err == nil {
				return float64(v), true
			}
		}
	}
	return 0, false
}

// close ends the current block, keeping its records.
func (p *parser) close() {
	if p.dropped > 0 {
		p.res.problems = append(p.res.problems, fmt.Sprintf("%s: shutdown %d lists more than %d clients; %d client lines were not read",
			p.file, p.reboot, maxClientsPerBlock, p.dropped))
	}
	p.res.records = append(p.res.records, p.block...)
	p.block = nil
	p.blockLines = false
	p.dropped = 0
	p.delay = 0
	p.timesDelayed = 0
	p.reboot++
}

// finish keeps a last block without SIGTERM (Complete false, no date) and sums up the
// unreadable lines.
func (p *parser) finish() {
	if p.blockLines {
		p.res.truncated = true
		p.close()
	}
	if p.bad > 0 {
		p.res.problems = append(p.res.problems, fmt.Sprintf("%s: %d lines not understood, e.g. %s", p.file, p.bad, strings.Join(p.examples, ", ")))
	}
	if p.long > 0 {
		p.res.problems = append(p.res.problems, fmt.Sprintf("%s: %d lines longer than %d bytes were skipped", p.file, p.long, maxLine))
	}
	if p.res.full {
		p.res.problems = append(p.res.problems, fmt.Sprintf("%s: stopped after %d records", p.file, maxRecords))
	}
}

func (p *parser) badLine(n int, s string) {
	p.bad++
	if len(p.examples) < maxBadExamples {
		p.examples = append(p.examples, fmt.Sprintf("line %d %q", n, safetext.Truncate(safetext.EscapeInvalid(s), 80)))
	}
}

// splitUUID splits a trailing "/<UUID>" component off a client path.
func splitUUID(client string) (command, uuid string) {
	i := strings.LastIndexByte(client, '/')
	if i < 0 || !isUUID(client[i+1:]) {
		return client, ""
	}
	return client[:i], client[i+1:]
}

// isUUID reports whether s is 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// splitter splits lines like bufio.ScanLines but never fails on a long line: the
// first maxLine bytes are returned with cut set, and the rest of the line is dropped.
type splitter struct {
	cut      bool // the last token was a cut line
	skipping bool // dropping the rest of a cut line
}

func (s *splitter) split(data []byte, atEOF bool) (int, []byte, error) {
	if s.skipping {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			s.skipping = false
			return i + 1, nil, nil
		}
		if len(data) == 0 && atEOF {
			return 0, nil, nil
		}
		return len(data), nil, nil
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 && i <= maxLine {
		return i + 1, bytes.TrimSuffix(data[:i], []byte("\r")), nil
	}
	if len(data) > maxLine {
		s.cut, s.skipping = true, true
		return maxLine, data[:maxLine], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
