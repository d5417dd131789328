package aqffiles

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Limits of the reader.
const (
	// MaxEntries bounds the entries read from files.json.
	MaxEntries = 20_000_000
	// MaxEntrySize bounds the bytes of one entry (JSON object or NDJSON line).
	MaxEntrySize = 1 << 20
	maxText      = 1 << 14
	maxProblems  = 100
)

// Entry is one decoded files.json object, before the record is built.
type Entry map[string]any

// errEntryTooLarge is returned by the bounded reader.
var errEntryTooLarge = errors.New("an entry is larger than the limit")

// boundedReader fails a read that would make the decoder hold more than limit bytes
// past the end of the last entry it decoded.
type boundedReader struct {
	r     io.Reader
	read  int64 // bytes handed to the decoder
	mark  func() int64
	limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.mark != nil && b.read-b.mark() > b.limit {
		return 0, errEntryTooLarge
	}
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// Read streams files.json, a JSON array of objects or NDJSON (one object per line),
// calling fn for every object. A malformed NDJSON line or array element of the wrong
// type is a problem; a syntax error inside the array ends the reading (an error when
// no entry was read). fn's error stops the reading and is returned.
func Read(rd io.Reader, fn func(n int, e Entry) error) (entries int, problems []string, err error) {
	br := bufio.NewReaderSize(rd, 64<<10)
	first, err := firstByte(br)
	if err != nil {
		if err == io.EOF {
			return 0, nil, nil // empty file
		}
		return 0, nil, err
	}
	problem := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		} else if len(problems) == maxProblems {
			problems = append(problems, "further problems omitted")
		}
	}
	if first == '[' {
		entries, err = readArray(br, fn, problem)
		return entries, problems, err
	}
	if first == 'n' {
		if rest, _ := io.ReadAll(io.LimitReader(br, 16)); string(bytes.TrimSpace(rest)) == "null" {
			return 0, nil, nil
		}
	}
	entries, err = readLines(br, fn, problem)
	return entries, problems, err
}

func firstByte(br *bufio.Reader) (byte, error) {
	for i := 0; i < 1<<20; i++ {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF: // UTF-8 byte-order mark
			if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0xBB && b[1] == 0xBF {
				br.Discard(2)
				continue
			}
		}
		return c, br.UnreadByte()
	}
	return 0, fmt.Errorf("no JSON value in the first MiB")
}

func readArray(br *bufio.Reader, fn func(int, Entry) error, problem func(string, ...any)) (int, error) {
	bounded := &boundedReader{r: br, limit: MaxEntrySize + 128<<10}
	dec := json.NewDecoder(bounded)
	dec.UseNumber()
	bounded.mark = dec.InputOffset
	if _, err := dec.Token(); err != nil {
		return 0, fmt.Errorf("not JSON: %w", err)
	}
	n := 0
	for i := 0; dec.More(); i++ {
		if n >= MaxEntries {
			problem("more than %d entries: the rest were not read", MaxEntries)
			break
		}
		start := dec.InputOffset()
		var e Entry
		if err := dec.Decode(&e); err != nil {
			if _, ok := err.(*json.UnmarshalTypeError); ok {
				problem("entry %d: not a JSON object", i+1)
				continue
			}
			if n == 0 {
				return 0, fmt.Errorf("entry %d: %w", i+1, err)
			}
			problem("entry %d (byte %d): %v: the rest was not read", i+1, start, err)
			break
		}
		if e == nil {
			problem("entry %d: not a JSON object", i+1)
			continue
		}
		n++
		if err := fn(i+1, e); err != nil {
			return n, err
		}
	}
	return n, nil
}

// decodeEntry decodes one object; anything else is an error.
func decodeEntry(raw []byte) (Entry, error) {
	if len(raw) > MaxEntrySize {
		return nil, fmt.Errorf("larger than %d bytes", MaxEntrySize)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	return e, nil
}

func readLines(br *bufio.Reader, fn func(int, Entry) error, problem func(string, ...any)) (int, error) {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), MaxEntrySize)
	n, bad, line := 0, 0, 0
	var firstErr error
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if n >= MaxEntries {
			problem("more than %d entries: the rest were not read", MaxEntries)
			break
		}
		e, err := decodeEntry(b)
		if err != nil {
			bad++
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %v", line, err)
			}
			problem("line %d: %v", line, err)
			continue
		}
		n++
		if err := fn(line, e); err != nil {
			return n, err
		}
	}
	if err := sc.Err(); err != nil {
		if n == 0 {
			return 0, fmt.Errorf("line %d: %w", line+1, err)
		}
		problem("line %d: %v: the rest was not read", line+1, err)
	}
	if n == 0 && bad > 0 {
		return 0, fmt.Errorf("no entry could be read: %v", firstErr)
	}
	return n, nil
}

// Text returns a string field (numbers as written).
func (e Entry) Text(k string) string {
	switch x := e[k].(type) {
	case string:
		return safetext.EscapeInvalid(safetext.Truncate(x, maxText))
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// Int returns an integer field (a number, or a string of digits).
func (e Entry) Int(k string) (*int64, bool) {
	switch x := e[k].(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return &n, true
		}
		if f, err := x.Float64(); err == nil && !math.IsNaN(f) && f >= -9e18 && f <= 9e18 {
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

// Seconds returns a Unix-seconds field, integer or fractional.
func (e Entry) Seconds(k string) (sec float64, ok bool) {
	switch x := e[k].(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}
