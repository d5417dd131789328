// Package results writes the results folder of a run, in the layout MVT's users know:
//
//	<module>.json            records of one module (a list, or an object for backup_info)
//	<module>_detected.json   alerts raised on that module's records
//	alerts.json              every alert of the run
//	alerts_timeline.csv      every alert with a known time, sorted by it
//	timeline.csv             every event of every module, sorted (package timeline)
//	urls.json                URLs found in messages and browser state
//	info.json                versions, indicator files and the SHA-256 of every input read
//	command.log              the full log of the run
//
// Every file is written deterministically: the same input gives the same bytes, apart
// from the run date in info.json and the times at the start of command.log lines. JSON is
// UTF-8 without HTML escaping; files meant for reading (alerts, info) are indented with
// four spaces like MVT's, record lists hold one record per line (see RecordFile).
package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Dir is an open results folder.
type Dir struct {
	path string
	mu   sync.Mutex
	open map[string]*RecordFile
}

// ErrNotEmpty is returned by Create for a folder that already holds files.
var ErrNotEmpty = errors.New("results folder is not empty")

// Create makes (or reuses, when empty or when overwrite is set) the results folder.
func Create(path string, overwrite bool) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("create results folder %q: %w", path, err)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read results folder %q: %w", path, err)
	}
	if len(entries) > 0 && !overwrite {
		return nil, fmt.Errorf("use results folder %q: %w", path, ErrNotEmpty)
	}
	return &Dir{path: path, open: map[string]*RecordFile{}}, nil
}

// Path returns the folder's path.
func (d *Dir) Path() string { return d.path }

// File returns the path of a file in the folder.
func (d *Dir) File(name string) string { return filepath.Join(d.path, name) }

// Marshal renders v as results JSON: four-space indent, no HTML escaping, final newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSON writes v to name in the folder, replacing it atomically.
func (d *Dir) WriteJSON(name string, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", name, err)
	}
	return d.WriteFile(name, b)
}

// WriteFile writes data to name in the folder through a temporary name and a rename,
// so that an interrupted run never leaves a half-written file under the final name.
func (d *Dir) WriteFile(name string, data []byte) error {
	return d.WriteWith(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteWith streams a file: fill is given a buffered writer on a temporary file, which
// is renamed to name when fill succeeds.
func (d *Dir) WriteWith(name string, fill func(w io.Writer) error) error {
	final := d.File(name)
	f, err := os.CreateTemp(d.path, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", name, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), final)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %q: %w", name, err)
	}
	return nil
}

// RecordFile streams one module's records into <module>.json. The file is created at
// the first record, so a module without records leaves no file, as with MVT.
//
// A list is written one record per line ("[", then a compact JSON object per line, then
// "]"): modules can emit hundreds of thousands of records, and this keeps the file
// valid JSON, easy to grep and to stream, and half the size and time of an indented
// one. A single-record module (backup_info) is indented for reading.
type RecordFile struct {
	dir    *Dir
	name   string
	single bool
	f      *os.File
	w      *bufio.Writer
	buf    bytes.Buffer
	ind    []byte
	n      int
	err    error
}

// Records returns the writer of a module's records. single writes the first record as
// a JSON object instead of a list.
func (d *Dir) Records(module string, single bool) *RecordFile {
	d.mu.Lock()
	defer d.mu.Unlock()
	rf := &RecordFile{dir: d, name: module + ".json", single: single}
	d.open[module] = rf
	return rf
}

// Write appends one record.
func (rf *RecordFile) Write(rec any) error {
	if rf.err != nil {
		return rf.err
	}
	body, err := rf.encode(rec)
	if err != nil {
		return fmt.Errorf("encode record %d of %q: %w", rf.n, rf.name, err)
	}
	if rf.f == nil {
		f, err := os.OpenFile(rf.dir.File(rf.name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			rf.err = fmt.Errorf("create %q: %w", rf.name, err)
			return rf.err
		}
		rf.f = f
		rf.w = bufio.NewWriterSize(f, 256<<10)
		if !rf.single {
			rf.w.WriteString("[\n")
		}
	} else if rf.single {
		return nil // only the first record of a single-object module is kept
	} else {
		rf.w.WriteString(",\n")
	}
	_, err = rf.w.Write(body)
	rf.n++
	if err != nil {
		rf.err = fmt.Errorf("write %q: %w", rf.name, err)
	}
	return rf.err
}

// Count returns the number of records written.
func (rf *RecordFile) Count() int { return rf.n }

// Close ends the list and closes the file.
func (rf *RecordFile) Close() error {
	if rf.f == nil {
		return rf.err
	}
	if rf.single {
		rf.w.WriteString("\n")
	} else {
		rf.w.WriteString("\n]\n")
	}
	err := rf.w.Flush()
	if cerr := rf.f.Close(); err == nil {
		err = cerr
	}
	rf.f = nil
	if err != nil && rf.err == nil {
		rf.err = fmt.Errorf("write %q: %w", rf.name, err)
	}
	return rf.err
}

// encode renders one record. Records that marshal themselves (ordered rows of database
// columns) are called directly: encoding/json would re-scan their output to validate
// and compact it, which costs as much as producing it.
func (rf *RecordFile) encode(rec any) ([]byte, error) {
	var body []byte
	if m, ok := rec.(json.Marshaler); ok && rec != nil {
		b, err := m.MarshalJSON()
		if err != nil {
			return nil, err
		}
		body = b
	} else {
		rf.buf.Reset()
		enc := json.NewEncoder(&rf.buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rec); err != nil {
			return nil, err
		}
		body = bytes.TrimSuffix(rf.buf.Bytes(), []byte("\n"))
	}
	if !rf.single {
		return body, nil
	}
	rf.ind = appendIndented(rf.ind[:0], body, "")
	return rf.ind, nil
}
