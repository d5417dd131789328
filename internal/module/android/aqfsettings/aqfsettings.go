// Package aqfsettings reads the Android settings of an androidqf collection.
//
// The artifacts are settings_<namespace>.txt, the output of `cmd settings list
// <namespace>` for system, secure and global ("key=value" lines; the namespace is the
// text between the last "_" and ".txt", as MVT takes it), and, from androidqf's 2022
// builds, settings.json (an object of namespace → {key: value}; a namespace given as
// text is read as the .txt files are). On the device the settings live in the settings
// provider (/data/system/users/<user>/settings_*.xml). Settings carry no time.
//
// A value is split from its key at the first "=" (values may hold "="). A line without
// "=" continues the previous value (a value with a newline); before any setting it is a
// problem. Records keep the files' order (settings.json's namespaces and keys sorted,
// a JSON object having no order).
//
// It corresponds to MVT's AQFSettings (the dangerous settings with a value other than
// their safe value are MEDIUM). MVT only logs them; here each is an alert whose texts
// say what the changed setting allows. The list is the union of MVT's versions (it
// dropped package_verifier_state and accessibility_enabled in some, and added
// install_non_market_apps in others).
package aqfsettings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
)

// Name is the module's slug.
const Name = "aqf_settings"

// File names in an androidqf collection.
const (
	TextGlob = "settings_*.txt"
	JSONFile = "settings.json"
)

const (
	maxSettings = 200000
	maxValue    = 1 << 20
)

// Module reads the settings files.
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
		Class:       "AQFSettings",
		Version:     1,
		Description: "Android settings of an androidqf collection (settings_<namespace>.txt or settings.json), with the dangerous ones",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
		Paths:       []string{TextGlob, JSONFile},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if len(in.Files) == 0 {
		return module.ErrNotFound
	}
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*Setting, []string, error) {
		if name == JSONFile {
			return ParseJSON(data)
		}
		recs, problems := ParseText(Namespace(name), data)
		if len(recs) == 0 && len(bytes.TrimSpace(data)) > 0 {
			return nil, nil, fmt.Errorf("no \"key=value\" line")
		}
		return recs, problems, nil
	})
}

// Namespace is the namespace of a settings_<ns>.txt file: the text between the last
// "_" and ".txt".
func Namespace(name string) string {
	base := strings.TrimSuffix(path.Base(name), ".txt")
	if i := strings.LastIndexByte(base, '_'); i >= 0 {
		return base[i+1:]
	}
	return base
}

// ParseText reads `cmd settings list` output.
func ParseText(ns string, data []byte) ([]*Setting, []string) {
	var out []*Setting
	var problems []string
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if len(out) == 0 {
				problems = append(problems, fmt.Sprintf("line %d is not \"key=value\": %q", n+1, safetext.Truncate(line, 100)))
				continue
			}
			last := out[len(out)-1]
			if len(last.Value)+len(line) < maxValue {
				last.Value += "\n" + safetext.EscapeInvalid(line)
			}
			continue
		}
		if len(out) >= maxSettings {
			problems = append(problems, fmt.Sprintf("more than %d settings: the rest were not read", maxSettings))
			break
		}
		out = append(out, &Setting{Namespace: ns, Key: safetext.EscapeInvalid(key), Value: safetext.EscapeInvalid(value)})
	}
	return out, problems
}

// ParseJSON reads the settings.json of androidqf's 2022 builds: namespace → {key:
// value} (or namespace → the text of `cmd settings list`).
func ParseJSON(data []byte) ([]*Setting, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var out []*Setting
	var problems []string
	for _, ns := range sortedKeys(root) {
		nsName := safetext.EscapeInvalid(ns)
		switch v := root[ns].(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				if len(out) >= maxSettings {
					return out, append(problems, fmt.Sprintf("more than %d settings: the rest were not read", maxSettings)), nil
				}
				out = append(out, &Setting{Namespace: nsName, Key: safetext.EscapeInvalid(k), Value: text(v[k])})
			}
		case string:
			recs, p := ParseText(nsName, []byte(v))
			out = append(out, recs...)
			problems = append(problems, p...)
		default:
			problems = append(problems, fmt.Sprintf("namespace %q is not an object", safetext.Truncate(ns, 100)))
		}
	}
	return out, problems, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return safetext.EscapeInvalid(x)
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return safetext.Truncate(string(b), maxValue)
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{} }

// DecodeRecord implements module.Reloadable. It reads a spytrace record (one setting)
// or MVT's aqf_settings.json, a single object of namespace → {key: value}, which it
// returns as the Settings it holds (namespaces and keys in name order, values that are
// not text written as JSON, a namespace that is not an object left out, as for
// androidqf's settings.json).
func (m *Module) DecodeRecord(data []byte) (any, error) {
	if !isMVTDict(data) {
		return module.Decode[Setting](data)
	}
	recs, _, err := ParseJSON(data)
	if err != nil {
		return nil, err
	}
	return Settings(recs), nil
}

// Settings are the settings of one MVT aqf_settings.json object.
type Settings []*Setting

// isMVTDict says whether data is MVT's namespace → {key: value} object rather than a
// spytrace record, whose key and namespace are strings.
func isMVTDict(data []byte) bool {
	var probe struct {
		Namespace, Key json.RawMessage
	}
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	isString := func(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }
	return !isString(probe.Namespace) && !isString(probe.Key)
}
