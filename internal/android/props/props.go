// Package props reads Android system properties (the output of getprop, also the
// SYSTEM PROPERTIES block of a bug report) and the few facts other parsers need from
// them: the device time zone and the security patch level. It also reads the dumpstate
// header's date (the bug report's own clock, which date checks compare with instead of
// the analyst's clock) and Android's printed durations ("+1d2h3m4s5ms"), which several
// dumpsys sections use.
//
// getprop prints one property per line as "[name]: [value]". A value that holds a
// newline is printed as is, so it continues on the next lines up to a line that ends
// with "]"; [Parse] joins such lines back (MVT's regular expression drops them, and
// also drops properties with an empty value, which are kept here). Blank lines (some
// devices print them) and lines of another shape are skipped. androidqf's 2022 builds
// wrote getprop.json: [ParseJSON] reads both shapes seen, a list of {"name","value"}
// objects and an object of name → value.
//
// Every date in a bug report is the device's wall clock without a zone. The zone is
// persist.sys.timezone, an IANA name ([Props.Zone]); the binary embeds the time zone
// database so that it loads on any analyst's machine.
package props

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // device zones load on machines without a zone database

	"github.com/spytrace/spytrace/internal/safetext"
)

// Prop is one system property.
type Prop struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Props are properties in the order they were printed.
type Props []Prop

// Limits of Parse: lines of one multi-line value, and properties kept.
const (
	maxValueLines = 64
	maxProps      = 100000
)

// Well-known property names.
const (
	TimezoneName      = "persist.sys.timezone"
	SecurityPatchName = "ro.build.version.security_patch"
)

// ClockUnknown names the clock of a device time whose zone is not known.
const ClockUnknown = "device local, zone unknown"

// Parse reads getprop text. problems lists what could not be read (a value left open
// at the end, too many properties); it never fails.
func Parse(text []byte) (Props, []string) {
	var out Props
	var problems []string
	lines := bytes.Split(text, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(string(lines[i]), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		name, rest, ok := splitHead(trimmed)
		if !ok {
			continue
		}
		value, closed := strings.CutSuffix(rest, "]")
		if !closed {
			// A value with newlines: join the following lines up to one ending in "]".
			var b strings.Builder
			b.WriteString(rest)
			j := i + 1
			for ; j < len(lines) && j-i <= maxValueLines; j++ {
				next := strings.TrimRight(string(lines[j]), "\r")
				if _, _, head := splitHead(strings.TrimSpace(next)); head {
					break // the next property started: this one was truncated
				}
				b.WriteByte('\n')
				if v, ok := strings.CutSuffix(next, "]"); ok {
					b.WriteString(v)
					closed = true
					break
				}
				b.WriteString(next)
			}
			if !closed {
				problems = append(problems, fmt.Sprintf("property %q: value not closed", safetext.Truncate(name, 200)))
				continue
			}
			value = b.String()
			i = j
		}
		if len(out) >= maxProps {
			problems = append(problems, fmt.Sprintf("more than %d properties: the rest were not read", maxProps))
			break
		}
		out = append(out, Prop{Name: safetext.EscapeInvalid(name), Value: safetext.EscapeInvalid(value)})
	}
	return out, problems
}

// splitHead splits "[name]: [rest" into name and rest.
func splitHead(line string) (name, rest string, ok bool) {
	if !strings.HasPrefix(line, "[") {
		return "", "", false
	}
	end := strings.Index(line, "]: [")
	if end < 1 {
		return "", "", false
	}
	return line[1:end], line[end+4:], true
}

// ParseJSON reads androidqf's getprop.json: a list of {"name": …, "value": …} objects
// or one object of name → value (sorted by name, as a JSON object has no order).
func ParseJSON(data []byte) (Props, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("empty getprop.json")
	}
	switch data[0] {
	case '[':
		var list []struct {
			Name  any `json:"name"`
			Value any `json:"value"`
		}
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("getprop.json: %w", err)
		}
		out := make(Props, 0, len(list))
		for _, p := range list {
			n := jsonText(p.Name)
			if n == "" {
				continue
			}
			out = append(out, Prop{Name: safetext.EscapeInvalid(n), Value: safetext.EscapeInvalid(jsonText(p.Value))})
		}
		return out, nil
	case '{':
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("getprop.json: %w", err)
		}
		out := make(Props, 0, len(m))
		for k, v := range m {
			out = append(out, Prop{Name: safetext.EscapeInvalid(k), Value: safetext.EscapeInvalid(jsonText(v))})
		}
		slices.SortFunc(out, func(a, b Prop) int { return strings.Compare(a.Name, b.Name) })
		return out, nil
	}
	return nil, fmt.Errorf("getprop.json: neither a list nor an object")
}

func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Get returns the value of the first property named name.
func (p Props) Get(name string) (string, bool) {
	for _, x := range p {
		if x.Name == name {
			return x.Value, true
		}
	}
	return "", false
}

// Zone returns the device time zone named by persist.sys.timezone: the location, its
// name, and whether it is known and loads. Names the zone database does not know, and
// "Local" (which would be the analyst's zone), are refused.
func (p Props) Zone() (*time.Location, string, bool) {
	name, ok := p.Get(TimezoneName)
	if !ok {
		return nil, "", false
	}
	return LoadZone(name)
}

// LoadZone loads an IANA zone name read from the device.
func LoadZone(name string) (*time.Location, string, bool) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" || len(name) > 64 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, "", false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, "", false
	}
	return loc, name, true
}

// SecurityPatch returns the security patch level (ro.build.version.security_patch,
// YYYY-MM-DD) as midnight UTC of that day.
func (p Props) SecurityPatch() (time.Time, bool) {
	v, ok := p.Get(SecurityPatchName)
	if !ok {
		return time.Time{}, false
	}
	return ParsePatchLevel(v)
}

// ParsePatchLevel reads a security patch level, YYYY-MM-DD (a few vendors print
// YYYY-MM).
func ParsePatchLevel(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02", "2006-01"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// PatchMaxAge is how old a security patch level may be, compared with the date of the
// acquisition, before it is reported: MVT's six months of 31 days.
const PatchMaxAge = 6 * 31 * 24 * time.Hour

// DumpstateTime reads the bug report's own date from the dumpstate header, the line
// "== dumpstate: YYYY-MM-DD HH:MM:SS" (device wall clock). The time returned carries
// the wall-clock fields in UTC; the text is as written.
func DumpstateTime(header []byte) (time.Time, string, bool) {
	for n, line := range strings.Split(string(header), "\n") {
		if n > 200 {
			break
		}
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "== dumpstate:")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if len(rest) >= 19 {
			if t, err := time.Parse("2006-01-02 15:04:05", rest[:19]); err == nil {
				return t, rest[:19], true
			}
		}
	}
	return time.Time{}, "", false
}

// InZone reads wall-clock fields (carried in any location) as a time in loc.
func InZone(wall time.Time, loc *time.Location) time.Time {
	if loc == nil || wall.IsZero() {
		return time.Time{}
	}
	y, mo, d := wall.Date()
	h, mi, s := wall.Clock()
	return time.Date(y, mo, d, h, mi, s, wall.Nanosecond(), loc).UTC()
}

// ParseDuration reads a duration as Android's TimeUtils.formatDuration prints it:
// an optional sign, then any of <n>d <n>h <n>m <n>s <n>ms in that order ("+1d2h3m4s5ms",
// "-314d1h25m2s33ms", "0"). Spaces between parts are allowed ("11d 12h 30m 0s 400ms").
func ParseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	neg := false
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		neg = true
		s = s[1:]
	}
	s = strings.ReplaceAll(s, " ", "")
	if s == "0" {
		return 0, true
	}
	if s == "" {
		return 0, false
	}
	var total time.Duration
	units := []struct {
		suffix string
		d      time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}
	last := -1
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 12 {
			return 0, false
		}
		var n int64
		for _, c := range s[:i] {
			n = n*10 + int64(c-'0')
		}
		s = s[i:]
		unit := -1
		switch {
		case strings.HasPrefix(s, "ms"):
			unit = 4
		case strings.HasPrefix(s, "d"):
			unit = 0
		case strings.HasPrefix(s, "h"):
			unit = 1
		case strings.HasPrefix(s, "m"):
			unit = 2
		case strings.HasPrefix(s, "s"):
			unit = 3
		}
		if unit <= last {
			return 0, false
		}
		last = unit
		total += time.Duration(n) * units[unit].d
		s = s[len(units[unit].suffix):]
		if total > 100*365*24*time.Hour {
			return 0, false
		}
	}
	if neg {
		total = -total
	}
	return total, true
}

// Names of the bug report's virtual files read with the properties.
const (
	// SystemPropertiesSection is the SYSTEM PROPERTIES block of the dumpstate text.
	SystemPropertiesSection = "@sections/system_properties"
	// DumpstateHeaderSection is the first lines of the dumpstate text.
	DumpstateHeaderSection = "@sections/dumpstate_header"
)

// DeviceClock reads the device zone from getprop text: the location (nil when unknown)
// and the name of the clock records say their times are in (the zone's name, or
// [ClockUnknown]).
func DeviceClock(getprop []byte) (*time.Location, string) {
	p, _ := Parse(getprop)
	if loc, name, ok := p.Zone(); ok {
		return loc, name
	}
	return nil, ClockUnknown
}
