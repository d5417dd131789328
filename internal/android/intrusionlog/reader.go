// Package intrusionlog reads the files of Android's Intrusion Logging (Android 16
// Advanced Protection): newline-delimited JSON, one event per line, each wrapped under a
// key naming its type:
//
//	{"dns_event":{"event_id":0,"event_time":1700000000000,"package_name":"com.example.app","hostname":"example.com","ip_addresses":["/192.0.2.1"],"ip_addresses_count":1}}
//	{"connect_event":{"event_id":1,"event_time":1700000000000,"package_name":"com.example.app","port":443,"ip_address":"/192.0.2.1"}}
//	{"security_event":{"event_id":2,"event_time":1700000000000000000,"adb_shell_cmd":{"command":"ls"}}}
//
// The files are exported by Google Play services' intrusion-detection service (the
// device keeps them under /sdcard/Download/Intrusion Logging/; androidqf pulls them
// into intrusion_logs/). event_time is Unix milliseconds for dns_event and
// connect_event and Unix nanoseconds for security_event; event_id is a sequence number,
// not a SecurityLog tag. Security subevents are named as the exporter writes them
// (adb_shell_cmd, key_imported, media_mounted, wipe_failure…), which are not always the
// platform's SecurityLogTags names; [SecurityTags] lists all 46 (tags 210001–210046).
//
// [Reader] reads one file with bounds: a line longer than MaxLineBytes is skipped (and
// reported), reading stops after MaxLines lines, a UTF-8 byte-order mark is dropped,
// invalid UTF-8 is replaced by U+FFFD (and counted), CR LF endings are accepted. Values
// are decoded with json.Number so that nanosecond times keep every digit. [Seen]
// de-duplicates events across files (overlapping exports repeat events) on a hash of
// the event type and its canonical JSON, with a bounded number of remembered events.
//
// [Scan] is what the dns_event, connect_event and security_event modules share: it
// picks the intrusion-log files of an acquisition ([EventFiles]), reads them in name
// order, drops duplicates and hands the events of one type to the module.
package intrusionlog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// Event types of the top-level wrapper.
const (
	TypeDNS      = "dns_event"
	TypeConnect  = "connect_event"
	TypeSecurity = "security_event"
)

// KnownTypes lists the event types the modules read; other types are counted and
// reported, never dropped silently.
var KnownTypes = []string{TypeDNS, TypeConnect, TypeSecurity}

// Default bounds of a Reader.
const (
	// DefaultMaxLineBytes is the longest line read; real events are a few hundred bytes.
	DefaultMaxLineBytes = 1 << 20
	// DefaultMaxLines is the number of lines read from one file before giving up
	// (a year of DNS lookups of a busy phone is a few million lines).
	DefaultMaxLines = 20_000_000
	// maxEventsPerLine bounds the wrapped events of one line (normally one).
	maxEventsPerLine = 16
)

// Options bounds a Reader. Zero values mean the defaults.
type Options struct {
	MaxLineBytes int
	MaxLines     int
	// Want says which event types are decoded; events of other types are returned with
	// Fields nil (counted, not decoded). Nil decodes every type.
	Want func(typ string) bool
}

// Event is one wrapped event of a line.
type Event struct {
	// Type is the wrapper key ("dns_event", …), as written.
	Type string
	// Fields is the wrapped object decoded with json.Number for numbers; nil when the
	// type was not wanted.
	Fields map[string]any
	// Key identifies the event for de-duplication: a hash of Type and the canonical
	// JSON of the object (keys sorted, numbers as written). Zero when not decoded.
	Key [16]byte
	// Line is the 1-based line number in the file.
	Line int
	// InvalidUTF8 says invalid bytes of the line were replaced by U+FFFD.
	InvalidUTF8 bool
}

// LineError reports a line that could not be read; reading can go on after it.
type LineError struct {
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ErrTooManyLines is returned by Next once MaxLines lines were read.
var ErrTooManyLines = errors.New("too many lines")

// Stats counts what a Reader saw.
type Stats struct {
	Lines       int // lines read, blank ones included
	Events      int // events returned (wanted or not)
	Invalid     int // lines that are not a JSON object of objects
	TooLong     int // lines over MaxLineBytes
	InvalidUTF8 int // lines with invalid UTF-8
}

// Reader reads the events of one file.
type Reader struct {
	br      *bufio.Reader
	opt     Options
	line    int
	pending []Event
	buf     []byte
	stats   Stats
	done    bool
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader, opt Options) *Reader {
	if opt.MaxLineBytes <= 0 {
		opt.MaxLineBytes = DefaultMaxLineBytes
	}
	if opt.MaxLines <= 0 {
		opt.MaxLines = DefaultMaxLines
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), opt: opt}
}

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

// Next returns the next event. It returns io.EOF at the end, ErrTooManyLines when the
// line limit is reached, a *LineError for a line it skips (call Next again), and any
// other error of the underlying reader.
func (r *Reader) Next() (Event, error) {
	for {
		if len(r.pending) > 0 {
			ev := r.pending[0]
			r.pending = r.pending[1:]
			r.stats.Events++
			return ev, nil
		}
		if r.done {
			return Event{}, io.EOF
		}
		if r.line >= r.opt.MaxLines {
			r.done = true
			return Event{}, ErrTooManyLines
		}
		line, tooLong, err := r.readLine()
		if err != nil && err != io.EOF {
			r.done = true
			return Event{}, err
		}
		if err == io.EOF {
			r.done = true
			if line == nil && !tooLong {
				return Event{}, io.EOF
			}
		}
		r.line++
		r.stats.Lines++
		if tooLong {
			r.stats.TooLong++
			return Event{}, &LineError{Line: r.line, Reason: fmt.Sprintf("longer than %d bytes, skipped", r.opt.MaxLineBytes)}
		}
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		bad := !utf8.Valid(line)
		if bad {
			r.stats.InvalidUTF8++
			line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
		}
		evs, perr := r.parseLine(line)
		if perr != nil {
			r.stats.Invalid++
			return Event{}, &LineError{Line: r.line, Reason: perr.Error()}
		}
		for i := range evs {
			evs[i].Line = r.line
			evs[i].InvalidUTF8 = bad
		}
		r.pending = evs
	}
}

// readLine returns the next line without its newline. tooLong says the line exceeded
// the limit (its bytes are discarded up to the newline).
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong {
			if len(r.buf)+len(chunk) > r.opt.MaxLineBytes+2 { // +2: CR LF
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			return r.buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(r.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return r.buf, tooLong, io.EOF
		default:
			return nil, false, err
		}
	}
}

// parseLine decodes one non-blank line: a JSON object whose members are the events.
func (r *Reader) parseLine(line []byte) ([]Event, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %s", shortErr(err))
	}
	if dec.More() {
		return nil, errors.New("text after the JSON object")
	}
	if top == nil {
		return nil, errors.New("not a JSON object: null")
	}
	if len(top) == 0 {
		return nil, errors.New("empty JSON object, no event")
	}
	if len(top) > maxEventsPerLine {
		return nil, fmt.Errorf("%d events on one line (at most %d read)", len(top), maxEventsPerLine)
	}
	types := make([]string, 0, len(top))
	for k := range top {
		types = append(types, k)
	}
	slices.Sort(types)
	evs := make([]Event, 0, len(types))
	for _, typ := range types {
		ev := Event{Type: typ}
		if r.opt.Want == nil || r.opt.Want(typ) {
			fields, key, err := decodeObject(typ, top[typ])
			if err != nil {
				return nil, fmt.Errorf("%s: %v", typ, err)
			}
			ev.Fields, ev.Key = fields, key
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// decodeObject decodes the wrapped object of one event and computes its key.
func decodeObject(typ string, raw json.RawMessage) (map[string]any, [16]byte, error) {
	var key [16]byte
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, key, errors.New(shortErr(err))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, key, fmt.Errorf("value is %s, not an object", jsonKind(v))
	}
	canon, err := json.Marshal(m) // map keys sorted, json.Number written as read
	if err != nil {
		return nil, key, err
	}
	h := sha256.New()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write(canon)
	copy(key[:], h.Sum(nil))
	return m, key, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "a value"
}

// shortErr keeps decoder errors short and free of echoed input.
func shortErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("JSON %s where an object was expected", te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "JSON cut short"
	}
	return "invalid JSON"
}

// DefaultMaxSeen is the number of distinct events a Seen remembers.
const DefaultMaxSeen = 4_000_000

// Seen remembers the keys of events already read, to drop events repeated across
// files. Memory is bounded: after max keys, new keys are no longer remembered (Full
// reports it) and later repeats of them are kept.
type Seen struct {
	m    map[[16]byte]struct{}
	max  int
	full bool
}

// NewSeen returns a Seen remembering at most max keys (DefaultMaxSeen when max ≤ 0).
func NewSeen(max int) *Seen {
	if max <= 0 {
		max = DefaultMaxSeen
	}
	return &Seen{m: map[[16]byte]struct{}{}, max: max}
}

// Dup reports whether key was seen before, and remembers it otherwise.
func (s *Seen) Dup(key [16]byte) bool {
	if _, ok := s.m[key]; ok {
		return true
	}
	if len(s.m) >= s.max {
		s.full = true
		return false
	}
	s.m[key] = struct{}{}
	return false
}

// Full reports whether keys were left unremembered.
func (s *Seen) Full() bool { return s.full }
