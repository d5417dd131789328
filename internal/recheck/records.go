package recheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safely"
)

// Limits bound what re-checking one case may consume. Zero fields take the defaults.
type Limits struct {
	// MaxRecordBytes bounds one record of a <slug>.json file. 0 = 64 MiB.
	MaxRecordBytes int64
	// MaxRecords bounds the records re-checked per module; the rest are left and the
	// module is "partial". 0 = 50,000,000 (the engine's own limit).
	MaxRecords int
	// MaxAlerts bounds the alerts kept for one module, as in a check. 0 = 100,000.
	MaxAlerts int
}

func (l Limits) withDefaults() Limits {
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = 64 << 20
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = 50_000_000
	}
	if l.MaxAlerts <= 0 {
		l.MaxAlerts = engine.DefaultMaxAlerts
	}
	return l
}

// ModuleResult is the outcome of re-checking one module's records.
type ModuleResult struct {
	Module   string
	Version  int
	State    module.State
	Reason   string
	Records  int
	Alerts   []alert.Alert
	Problems []string
}

// maxProblems bounds the problems kept per module, as module.Output does.
const maxProblems = 100

func (r *ModuleResult) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "further problems omitted")
	}
}

// errRecordTooLarge stops the reading of a file whose record exceeds MaxRecordBytes.
var errRecordTooLarge = errors.New("record larger than the limit")

// windowReader fails a read that would go past limit bytes from the start: the
// decoder's window is moved before each record, so no single record can make the
// decoder buffer more than the limit.
type windowReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (w *windowReader) Read(p []byte) (int, error) {
	if w.n >= w.limit {
		return 0, errRecordTooLarge
	}
	if rest := w.limit - w.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	return n, err
}

// eachRecord hands every record of a <slug>.json stream to fn: the elements of a list,
// or the object itself for a single-record module. It stops at fn's first error.
func eachRecord(r io.Reader, maxRecord int64, fn func(raw json.RawMessage) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	if head, err := br.Peek(3); err == nil && string(head[:2]) == "[\n" && (head[2] == '{' || head[2] == ']') {
		return eachLine(br, maxRecord, fn)
	}
	win := &windowReader{r: br, limit: maxRecord}
	dec := json.NewDecoder(win)
	next := func(v *json.RawMessage) error {
		win.limit = dec.InputOffset() + maxRecord
		if err := dec.Decode(v); err != nil {
			if errors.Is(err, errRecordTooLarge) {
				return fmt.Errorf("record at byte %d: %w of %d bytes", dec.InputOffset(), errRecordTooLarge, maxRecord)
			}
			return fmt.Errorf("record at byte %d: %w", dec.InputOffset(), err)
		}
		return nil
	}
	switch first {
	case '{':
		var raw json.RawMessage
		if err := next(&raw); err != nil {
			return err
		}
		return fn(raw)
	case '[':
		if _, err := dec.Token(); err != nil {
			return err
		}
		for dec.More() {
			var raw json.RawMessage
			if err := next(&raw); err != nil {
				return err
			}
			if err := fn(raw); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return fmt.Errorf("not a JSON list or object (starts with %q)", first)
}

// eachLine reads a list written by spytrace (results.RecordFile): "[", one compact
// record per line, each but the last followed by a comma, then "]". A line that is not
// one JSON value ends the reading with an error, as a broken file does.
func eachLine(br *bufio.Reader, maxRecord int64, fn func(raw json.RawMessage) error) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), int(min(maxRecord+1, 1<<31-1))) // the comma
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimRight(sc.Bytes(), " \t\r")
		if line == 1 {
			continue // "["
		}
		if string(b) == "]" {
			return nil
		}
		b = bytes.TrimSuffix(b, []byte(","))
		if len(b) == 0 {
			continue
		}
		if int64(len(b)) > maxRecord {
			return fmt.Errorf("line %d: %w of %d bytes", line, errRecordTooLarge, maxRecord)
		}
		if !json.Valid(b) {
			return fmt.Errorf("line %d is not one JSON record", line)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("line %d: %w of %d bytes", line+1, errRecordTooLarge, maxRecord)
	}
	if sc.Err() != nil {
		return sc.Err()
	}
	return io.ErrUnexpectedEOF
}

// firstByte returns the first byte that is not white space, without consuming it.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, errors.New("empty file")
			}
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF: // a UTF-8 byte-order mark, written by some tools
			if rest, err := br.Peek(2); err == nil && rest[0] == 0xBB && rest[1] == 0xBF {
				br.Discard(2)
				continue
			}
		}
		return b, br.UnreadByte()
	}
}

// CheckRecords runs m's checks again over the records read from r (a <slug>.json
// file): each record is decoded with m's DecodeRecord and handed to a new checker,
// then the checker is finished. A record that cannot be decoded is noted and skipped;
// a file that stops being JSON ends the module "partial" with what was read. A panic
// in the checks fails the module; it never escapes.
func CheckRecords(ctx context.Context, m module.Module, env *check.Env, r io.Reader, lim Limits) ModuleResult {
	lim = lim.withDefaults()
	info := m.Info()
	res := ModuleResult{Module: info.Name, Version: info.Version}
	ck, ok1 := m.(module.Checkable)
	dec, ok2 := m.(module.Reloadable)
	if !ok1 || !ok2 {
		res.State, res.Reason = module.Skipped, "this module's records have no checks to run again"
		return res
	}
	checker := ck.NewChecker(env)
	collected := check.NewCollector(lim.MaxAlerts)
	reporter := check.NewReporter(info.Name, collected.Add)
	typeErrors, badRecords := 0, 0
	errLimit := fmt.Errorf("record limit of %d reached", lim.MaxRecords)
	readErr := eachRecord(r, lim.MaxRecordBytes, func(raw json.RawMessage) error {
		if res.Records%1000 == 999 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if res.Records >= lim.MaxRecords {
			return errLimit
		}
		n := res.Records
		res.Records++
		rec, err := dec.DecodeRecord(raw)
		if isNil(rec) && err == nil {
			err = errors.New("no record")
		}
		switch {
		case err == nil:
		case module.IsFieldTypeError(err) && !isNil(rec):
			if typeErrors++; typeErrors <= 10 {
				res.problem("record %d: %v (the field was left empty)", n, err)
			}
		default:
			badRecords++
			res.problem("record %d could not be read: %v", n, err)
			return nil
		}
		return safely.Do(func() { checker.Check(rec, reporter) })
	})
	var panicked *safely.PanicError
	if readErr == nil || res.Records > 0 && !errors.As(readErr, &panicked) {
		if err := safely.Do(func() { checker.Finish(reporter) }); err != nil && readErr == nil {
			readErr = err
		}
	}
	res.Alerts = collected.Alerts(info.Name)
	if typeErrors > 10 {
		res.problem("%d records had fields of an unexpected type in all", typeErrors)
	}
	switch {
	case errors.As(readErr, &panicked):
		res.State, res.Reason = module.Failed, "checks: "+panicked.Error()
	case readErr != nil && ctx.Err() != nil:
		res.State, res.Reason = module.Failed, "interrupted"
	case readErr != nil && res.Records == 0:
		res.State, res.Reason = module.Failed, readErr.Error()
	case readErr != nil:
		res.State, res.Reason = module.Partial, readErr.Error()
	case badRecords == res.Records && res.Records > 0:
		res.State, res.Reason = module.Failed, "no record could be read"
	case len(res.Problems) > 0:
		res.State, res.Reason = module.Partial, fmt.Sprintf("%d problem(s) while reading", len(res.Problems))
	default:
		res.State = module.OK
	}
	return res
}

// isNil reports whether v is nil or a nil pointer, map or slice in an interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
