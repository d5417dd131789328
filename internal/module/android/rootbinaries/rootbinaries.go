// Package rootbinaries reads root_binaries.json of an androidqf collection (v1.7+):
// the paths `which -a` found on the phone for su, busybox, supersu, Superuser.apk,
// KingoUser.apk, SuperSu.apk, magisk, magiskhide, magiskinit and magiskpolicy. It
// matches MVT's RootBinaries module (`root_binaries`).
//
// Format: a JSON array of path strings (null or [] when none was found). Entries that
// are not non-empty strings are skipped (counted as problems when not null); MVT
// skips them silently. The file has no dates.
//
// Record: {path (trimmed), binary_name (the base name, lower-cased, as MVT),
// description (MVT's text for the known names, else "Unknown root binary")}.
//
// Heuristic root_binaries/root-binary (HIGH, always, MVT's "Found root binary"): every
// entry. No timeline: MVT writes a "root_binary_found" event without a time, which a
// timeline row cannot hold here.
package rootbinaries

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
)

// Name is the module's slug.
const Name = "root_binaries"

// File is the collection's file.
const File = "root_binaries.json"

// MaxEntries bounds the paths read.
const MaxEntries = 100000

// Descriptions are MVT's descriptions of the names androidqf looks for, keyed by the
// lower-cased name.
var Descriptions = map[string]string{
	"su":            "SuperUser binary",
	"busybox":       "BusyBox utilities",
	"supersu":       "SuperSU root management",
	"superuser.apk": "Superuser app",
	"kingouser.apk": "KingRoot app",
	"supersu.apk":   "SuperSU app",
	"magisk":        "Magisk root framework",
	"magiskhide":    "Magisk hide utility",
	"magiskinit":    "Magisk init binary",
	"magiskpolicy":  "Magisk policy binary",
}

// Unknown is the description of a name androidqf does not look for.
const Unknown = "Unknown root binary"

// Record is one root binary found.
type Record struct {
	Path        string `json:"path"`
	BinaryName  string `json:"binary_name"`
	Description string `json:"description"`
}

// Module reads root_binaries.json.
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
		Class:       "RootBinaries",
		Version:     1,
		Description: "Root binaries androidqf found on the phone (root_binaries.json)",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
		Paths:       []string{File},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*Record, []string, error) {
		return Parse(data)
	})
}

// Parse reads root_binaries.json.
func Parse(data []byte) ([]*Record, []string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil, nil
	}
	var list []any
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, nil, fmt.Errorf("not a JSON list of paths: %v", err)
	}
	var recs []*Record
	var problems []string
	for i, v := range list {
		if i >= MaxEntries {
			problems = append(problems, fmt.Sprintf("more than %d entries: the rest were not read", MaxEntries))
			break
		}
		s, ok := v.(string)
		if !ok {
			if v != nil && len(problems) < 100 {
				problems = append(problems, fmt.Sprintf("entry %d is not a path", i+1))
			}
			continue
		}
		p := strings.TrimSpace(safetext.EscapeInvalid(safetext.Truncate(s, 4096)))
		if p == "" {
			continue
		}
		base := strings.ToLower(p[strings.LastIndexByte(p, '/')+1:])
		desc, ok := Descriptions[base]
		if !ok {
			desc = Unknown
		}
		recs = append(recs, &Record{Path: p, BinaryName: base, Description: desc})
	}
	return recs, problems, nil
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
