// Package iosversionhistory dates the iOS versions a phone ran from the journals of
// analyticsd, found only in file-system dumps.
//
// The artifacts are /private/var/db/analyticsd/Analytics-Journal-*.ips on the phone
// (names in a dump: private/var/db/analyticsd/Analytics-Journal-*.ips). Each journal
// is JSON lines; the first line is a header whose "timestamp" is local time with its
// UTC offset ("2023-05-25 03:04:30.00 +0200") and whose "os_version" names the system
// that wrote it ("iPhone OS 16.5 (20F66)"). Only that first line is read, up to
// MaxHeader bytes. There are no schema variants; the offset may also be written
// "+02:00" or "Z", and the fraction of a second may be missing.
//
// It corresponds to MVT's IOSVersionHistory module and fixes these MVT bugs: one
// journal whose first line is not JSON, lacks a key or has a timestamp without a
// fraction of a second stops the whole module; the first line is read without bound.
// Records are sorted by date, then file name.
package iosversionhistory

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "ios_version_history"

// Glob matches the journals in a file-system dump.
const Glob = "private/var/db/analyticsd/Analytics-Journal-*.ips"

// MaxHeader bounds the first line read from a journal (headers are about 200 bytes).
const MaxHeader = 64 << 10

// Module reads the analyticsd journals.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Module = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "IOSVersionHistory",
		Version:     1,
		Description: "iOS versions recorded in the headers of analyticsd journals (Analytics-Journal-*.ips)",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
		Paths:       []string{Glob},
	}
}

// Run implements module.Module. Journals are few (one per day or so, pruned after a
// month), so the records are gathered and sorted by date.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var recs []*Record
	err := module.EachFile(ctx, in, out, func(name string) error {
		line, err := firstLine(in, name)
		if err != nil {
			return err
		}
		h, err := ParseHeader(line)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r := &Record{Isodate: timefmt.Of(h.Time), OSVersion: h.OSVersion, Artifact: path.Base(name)}
		r.Version, r.Build = splitOSVersion(h.OSVersion)
		recs = append(recs, r)
		return nil
	})
	slices.SortStableFunc(recs, func(a, b *Record) int {
		return cmp.Or(a.Isodate.Compare(b.Isodate.Time), strings.Compare(a.Artifact, b.Artifact))
	})
	for _, r := range recs {
		if err := out.Record(r); err != nil {
			return err
		}
	}
	return err
}

// firstLine returns the first line of a file, without its end, at most MaxHeader bytes.
func firstLine(in *module.Input, name string) ([]byte, error) {
	f, err := in.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, MaxHeader+1).ReadSlice('\n')
	switch {
	case err == nil, errors.Is(err, io.EOF):
		// A file without a line end is one line.
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%s: first line longer than %d bytes (not an analytics journal)", name, MaxHeader)
	default:
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// Header is what a journal's first line says.
type Header struct {
	Time      time.Time // UTC
	OSVersion string
}

// timeLayouts are the forms of the header's timestamp; a fraction of a second after
// the seconds is accepted by each.
var timeLayouts = []string{"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 -07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 Z07:00"}

// ParseHeader parses a journal's first line.
func ParseHeader(line []byte) (Header, error) {
	var raw struct {
		Timestamp *string `json:"timestamp"`
		OSVersion *string `json:"os_version"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return Header{}, fmt.Errorf("first line is not a JSON object: %w", err)
	}
	if raw.Timestamp == nil || raw.OSVersion == nil {
		return Header{}, errors.New(`first line has no "timestamp" or no "os_version"`)
	}
	ts := strings.TrimSpace(*raw.Timestamp)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, ts); err == nil {
			if !timefmt.Valid(t) {
				return Header{}, fmt.Errorf("timestamp %q out of range", safetext.EscapeInvalid(ts))
			}
			return Header{Time: t.UTC(), OSVersion: safetext.EscapeInvalid(*raw.OSVersion)}, nil
		}
	}
	return Header{}, fmt.Errorf("timestamp %q is not a date", safetext.EscapeInvalid(ts))
}

// splitOSVersion splits "iPhone OS 16.5 (20F66)" into "16.5" and "20F66".
func splitOSVersion(s string) (version, build string) {
	rest := s
	if i := strings.LastIndexByte(rest, '('); i >= 0 && strings.HasSuffix(rest, ")") {
		build = strings.TrimSpace(rest[i+1 : len(rest)-1])
		rest = rest[:i]
	}
	fields := strings.Fields(rest)
	if len(fields) > 0 {
		last := fields[len(fields)-1]
		if last != "" && last[0] >= '0' && last[0] <= '9' {
			version = last
		}
	}
	return version, build
}
