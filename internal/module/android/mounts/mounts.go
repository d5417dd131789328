// Package mounts reads mounts.json of an androidqf collection (added to androidqf in
// October 2025): the file systems mounted on the phone, as `mount` and `cat
// /proc/mounts` print them. It matches MVT's Mounts module (`mounts`).
//
// Format: a JSON array of lines, of two shapes, both read (MVT reads only the first
// and silently skips the second):
//   - `mount`: "/dev/block/dm-4 on /vendor type erofs (ro,seclabel,relatime)";
//   - /proc/mounts: "/dev/block/dm-4 /vendor erofs ro,seclabel,relatime 0 0" (octal
//     escapes such as \040 decoded).
//
// The same mount printed in both shapes (androidqf de-duplicates lines, not mounts)
// gives one record: records are de-duplicated on device, mount point, type and
// options. Other lines are skipped and counted in the log. No dates.
//
// Record: MVT's device, mount_point, filesystem_type, mount_options, options_list,
// is_system_partition (mount point starting with /system, /vendor, /product or
// /system_ext, MVT's string-prefix rule) and is_read_write ("rw" among the options),
// plus format and entry.
//
// Checks (MVT's): mount point and device → file path indicators, CRITICAL. Heuristics,
// always run:
//   - mounts/system-rw (HIGH): /system mounted read-write, MVT's "Root detected";
//   - mounts/system-partition-rw (HIGH): another system partition mounted read-write;
//   - mounts/suspicious-options (MEDIUM, MVT's level in its table; its code raises
//     HIGH): a system partition mounted with remount, noatime or nodiratime (noatime
//     accepted on /system_dlkm, /system_ext, /product, /vendor, /vendor_dlkm). MVT also
//     counts "rw" here, so a read-write mount is reported twice; here "rw" is left to
//     the two checks above, and on an allow-listed mount point only noatime is
//     forgiven (MVT skips the whole mount when noatime is among its options).
package mounts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// Name is the module's slug.
const Name = "mounts"

// File is the collection's file.
const File = "mounts.json"

// MaxLines bounds the lines read.
const MaxLines = 200000

// Module reads mounts.json.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "Mounts",
		Version:     1,
		Description: "File systems mounted on the phone (mounts.json): read-write system partitions",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
		Paths:       []string{File},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*Record, []string, error) {
		recs, skipped, problems, err := Parse(data)
		if err == nil {
			in.Log.Info("read mounts", "file", name, "mounts", len(recs), "lines_skipped", skipped)
		}
		return recs, problems, err
	})
}

// Parse reads mounts.json: the records, de-duplicated, in the order of their first
// line, and the number of lines of neither shape.
func Parse(data []byte) (recs []*Record, skipped int, problems []string, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, 0, nil, nil
	}
	var list []any
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, 0, nil, fmt.Errorf("not a JSON list of mount lines: %v", err)
	}
	seen := map[string]bool{}
	for i, v := range list {
		if i >= MaxLines {
			problems = append(problems, fmt.Sprintf("more than %d lines: the rest were not read", MaxLines))
			break
		}
		s, ok := v.(string)
		if !ok {
			if v != nil && len(problems) < 100 {
				problems = append(problems, fmt.Sprintf("entry %d is not a string", i+1))
			}
			continue
		}
		// A line may hold several (the raw output of a command).
		for _, line := range strings.Split(s, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			r, ok := ParseLine(line)
			if !ok {
				skipped++
				continue
			}
			key := r.Device + "\x00" + r.MountPoint + "\x00" + r.FilesystemType + "\x00" + r.MountOptions
			if seen[key] {
				continue
			}
			seen[key] = true
			r.Entry = i + 1
			recs = append(recs, r)
		}
	}
	return recs, skipped, problems, nil
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
