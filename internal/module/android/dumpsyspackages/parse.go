package dumpsyspackages

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Bounds on hostile input.
const (
	// MaxLine is the longest line parsed; longer lines are cut (dumpsys lines are short
	// except the accessibility service lists, which their parser bounds itself).
	MaxLine = 64 << 10
	// maxPackages and maxListItems bound the work on a crafted section.
	maxPackages  = 100_000
	maxListItems = 10_000
	maxEntries   = 500_000
)

// Lines calls fn with every line of data (without its line ending, cut to max bytes,
// "\r" removed), stopping when fn returns false.
func Lines(data []byte, max int, fn func(line string) bool) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		if len(line) > max {
			line = line[:max]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if !fn(string(line)) {
			return
		}
	}
}

// indent returns the number of leading spaces and tabs of line.
func indent(line string) int {
	return len(line) - len(strings.TrimLeft(line, " \t"))
}

// Package is one entry of the "Packages:" block, as written (times in the device's
// wall clock, not yet converted).
type Package struct {
	Name             string
	UID              string
	VersionName      string
	VersionCode      string
	MinSDK           string
	TargetSDK        string
	CodePath         string
	TimeStamp        string // "2024-01-02 03:04:05", the device's wall clock
	FirstInstallTime string // package level, or user 0's (Android 11 and later)
	LastUpdateTime   string
	Installer        *string // installerPackageName; nil when the line is absent
	InitiatingBy     string  // initiatingPackageName (Android 11 and later)
	System           bool    // SYSTEM in pkgFlags (or flags)
	Permissions      []Permission
	Requested        []string
}

// Permission is a permission declared by, requested by or granted to a package.
type Permission struct {
	Name string `json:"name"`
	// Granted is absent for declared permissions, null when the line does not say.
	Granted *bool `json:"granted,omitempty"`
	// Type is "install", "runtime" (user 0) or "declared".
	Type string `json:"type"`
}

// ParsePackages reads the "Packages:" block of a `dumpsys package` section: one
// Package per "Package [name]" entry, in the order written. It never fails: lines it
// does not understand are skipped. Indentation is read relative to each list's header,
// so it does not depend on Android's exact widths; runtime permissions and the per-user
// firstInstallTime are taken from user 0 only, as MVT does.
func ParsePackages(section []byte) []Package {
	var (
		out      []Package
		cur      *Package
		inBlock  bool
		list     string // current list: install, runtime, declared, requested
		listAt   int    // indentation of the list's header
		userAt   = -1   // indentation of the current "User N:" line
		userZero bool
		userFI   string // user 0's firstInstallTime
	)
	flush := func() {
		if cur == nil {
			return
		}
		if cur.FirstInstallTime == "" {
			cur.FirstInstallTime = userFI
		}
		out = append(out, *cur)
		cur = nil
	}
	Lines(section, MaxLine, func(line string) bool {
		trimmed := strings.TrimSpace(line)
		if !inBlock {
			if trimmed == "Packages:" && indent(line) == 0 {
				inBlock = true
			}
			return true
		}
		if trimmed == "" {
			return true
		}
		in := indent(line)
		if in == 0 {
			return false // the next block ("Hidden system packages:", "Shared users:"…)
		}
		if name, ok := packageHeader(trimmed); ok {
			flush()
			if len(out) >= maxPackages {
				return false
			}
			cur = &Package{Name: name}
			list, userAt, userZero, userFI = "", -1, false, ""
			return true
		}
		if cur == nil {
			return true
		}
		if list != "" {
			if in > listAt {
				addListItem(cur, list, trimmed, userZero)
				return true
			}
			list = ""
		}
		if userAt >= 0 && in <= userAt {
			userAt, userZero = -1, false
		}
		if n, ok := userHeader(trimmed); ok {
			userAt, userZero = in, n == "0"
			return true
		}
		switch trimmed {
		case "install permissions:":
			list, listAt = "install", in
			return true
		case "runtime permissions:":
			list, listAt = "runtime", in
			return true
		case "declared permissions:":
			list, listAt = "declared", in
			return true
		case "requested permissions:":
			list, listAt = "requested", in
			return true
		}
		key, value, ok := strings.Cut(trimmed, "=")
		if !ok {
			return true
		}
		value = strings.TrimSpace(value)
		if userAt >= 0 {
			if userZero && key == "firstInstallTime" {
				userFI = clean(value)
			}
			return true
		}
		switch key {
		case "userId", "appId":
			if cur.UID == "" {
				cur.UID = clean(firstField(value))
			}
		case "versionCode":
			fields := strings.Fields(trimmed)
			cur.VersionCode = clean(firstField(value))
			for _, f := range fields[1:] {
				if v, ok := strings.CutPrefix(f, "minSdk="); ok {
					cur.MinSDK = clean(v)
				} else if v, ok := strings.CutPrefix(f, "targetSdk="); ok {
					cur.TargetSDK = clean(v)
				}
			}
		case "versionName":
			cur.VersionName = clean(value)
		case "codePath":
			cur.CodePath = clean(value)
		case "timeStamp":
			cur.TimeStamp = clean(value)
		case "firstInstallTime":
			cur.FirstInstallTime = clean(value)
		case "lastUpdateTime":
			cur.LastUpdateTime = clean(value)
		case "installerPackageName":
			v := clean(value)
			cur.Installer = &v
		case "initiatingPackageName":
			cur.InitiatingBy = clean(value)
		case "pkgFlags":
			cur.System = hasFlag(value, "SYSTEM")
		case "flags":
			if !strings.Contains(trimmed, "pkgFlags") && hasFlag(value, "SYSTEM") {
				cur.System = true
			}
		}
		return true
	})
	flush()
	return out
}

// packageHeader reads "Package [name] (hash):".
func packageHeader(trimmed string) (string, bool) {
	rest, ok := strings.CutPrefix(trimmed, "Package [")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "]")
	if !ok || name == "" {
		return "", false
	}
	return clean(name), true
}

// userHeader reads "User 0: ceDataInode=…" and returns the user number.
func userHeader(trimmed string) (string, bool) {
	rest, ok := strings.CutPrefix(trimmed, "User ")
	if !ok {
		return "", false
	}
	n, _, ok := strings.Cut(rest, ":")
	if !ok || n == "" {
		return "", false
	}
	if _, err := strconv.Atoi(n); err != nil {
		return "", false
	}
	return n, true
}

func addListItem(p *Package, list, item string, userZero bool) {
	name, rest, _ := strings.Cut(item, ":")
	name = clean(strings.TrimSpace(name))
	if name == "" {
		return
	}
	if list == "requested" {
		if len(p.Requested) < maxListItems {
			p.Requested = append(p.Requested, name)
		}
		return
	}
	if list == "runtime" && !userZero {
		return
	}
	if len(p.Permissions) >= 3*maxListItems {
		return
	}
	perm := Permission{Name: name, Type: list}
	if list != "declared" {
		switch {
		case strings.Contains(rest, "granted=true"):
			perm.Granted = ptr(true)
		case strings.Contains(rest, "granted=false"):
			perm.Granted = ptr(false)
		}
	}
	p.Permissions = append(p.Permissions, perm)
}

// hasFlag says whether a "[ SYSTEM HAS_CODE … ]" list holds flag.
func hasFlag(list, flag string) bool {
	list = strings.Trim(strings.TrimSpace(list), "[]")
	for _, f := range strings.Fields(list) {
		if f == flag {
			return true
		}
	}
	return false
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// clean makes a value safe to keep: invalid UTF-8 escaped.
func clean(s string) string { return safetext.EscapeInvalid(s) }

func ptr[T any](v T) *T { return &v }

// ResolverEntry is one component listed under an action of a resolver table.
type ResolverEntry struct {
	Intent      string
	PackageName string
	Component   string // "pkg/.Class" or "pkg/pkg.Class", as written
}

// Resolver tables of a `dumpsys package` section.
const (
	ActivityTable = "Activity Resolver Table:"
	ReceiverTable = "Receiver Resolver Table:"
	ServiceTable  = "Service Resolver Table:"
)

// ParseResolverTable reads the "Non-Data Actions:" part of one resolver table (table is
// ActivityTable or ReceiverTable): every "<hash> <component>" line under an action
// header, in the order written. Headers are recognised by their shape (one word ending
// with ":") rather than by their exact indentation, which varies by Android version;
// the part ends at the next part of the table or the next table.
func ParseResolverTable(section []byte, table string) []ResolverEntry {
	var (
		out     []ResolverEntry
		inTable bool
		inPart  bool
		partAt  int
		intent  string
	)
	Lines(section, MaxLine, func(line string) bool {
		trimmed := strings.TrimSpace(line)
		in := indent(line)
		if !inTable {
			inTable = trimmed == table && in == 0
			return true
		}
		if trimmed == "" {
			return true
		}
		if in == 0 {
			return false // the next table
		}
		if !inPart {
			if trimmed == "Non-Data Actions:" {
				inPart, partAt = true, in
			}
			return true
		}
		if in <= partAt {
			return false // "MIME Typed Actions:", "Schemes:"…
		}
		if strings.HasSuffix(trimmed, ":") && !strings.ContainsAny(trimmed, " \t") {
			intent = clean(strings.TrimSuffix(trimmed, ":"))
			return true
		}
		if intent == "" {
			return true
		}
		fields := strings.Fields(trimmed)
		if len(fields) < 2 || !strings.Contains(fields[1], "/") {
			return true
		}
		comp := clean(fields[1])
		pkg, _, _ := strings.Cut(comp, "/")
		out = append(out, ResolverEntry{Intent: intent, PackageName: pkg, Component: comp})
		return len(out) < maxEntries
	})
	return out
}

// SystemPackages returns the names of the packages of the "Packages:" block with the
// SYSTEM flag, and of all packages listed, for checks that tell system apps apart.
func SystemPackages(section []byte) (system, listed map[string]bool) {
	system, listed = map[string]bool{}, map[string]bool{}
	for _, p := range ParsePackages(section) {
		listed[p.Name] = true
		if p.System {
			system[p.Name] = true
		}
	}
	return system, listed
}

// LocalLayout is the layout of dumpsys package times.
const LocalLayout = "2006-01-02 15:04:05"

// ParseLocal reads a dumpsys wall-clock time ("2024-01-02 03:04:05", optionally with a
// fraction) as a time in UTC's location that stands for the device's wall clock.
func ParseLocal(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < len(LocalLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(LocalLayout, s[:len(LocalLayout)])
	if err != nil {
		return time.Time{}, false
	}
	if frac := s[len(LocalLayout):]; frac != "" {
		if frac[0] != '.' || len(frac) > 10 {
			return time.Time{}, false
		}
		digits := frac[1:]
		n, err := strconv.Atoi(digits)
		if err != nil || n < 0 {
			return time.Time{}, false
		}
		for i := len(digits); i < 9; i++ {
			n *= 10
		}
		t = t.Add(time.Duration(n))
	}
	return t, true
}
