package sysdiagnoseinfo

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseps"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// ArchiveName is what a sysdiagnose archive's name says:
// sysdiagnose_<YYYY.MM.DD_HH-MM-SS±zzzz>_<platform>_<model class>_<build>, the time being
// the phone's clock with its offset from UTC.
type ArchiveName struct {
	// Name is the name as found (without an archive extension or ".tmp").
	Name string `json:"name"`
	// CollectionTime is when the sysdiagnose was taken, in UTC.
	CollectionTime timefmt.Time `json:"collection_time"`
	// LocalTime is the same instant on the phone's clock, as the name writes it
	// ("2026-03-14 09:26:53").
	LocalTime string `json:"local_time"`
	// TimezoneOffset is the phone's offset from UTC at the time ("+01:00"), and
	// TimezoneOffsetSeconds the same in seconds (3600).
	TimezoneOffset        string `json:"timezone_offset"`
	TimezoneOffsetSeconds int    `json:"timezone_offset_seconds"`
	// Platform is the operating system part ("iPhone-OS"; "iPhone_OS" before iOS 13;
	// "macOS" for a Mac), "" when the name stops after the time.
	Platform string `json:"platform"`
	// ModelClass is the kind of device ("iPhone", "iPad", "Mac").
	ModelClass string `json:"model_class"`
	// Build is the OS build ("21D61").
	Build string `json:"build"`
	// Version is an OS version written before the build ("17.3.1"), in the
	// sysdiagnose_…_iPhoneOS_iPhone_<version>_<build> form some guides describe;
	// usually absent.
	Version string `json:"version,omitempty"`

	local time.Time
}

// Bounds on a name.
const (
	maxNameLen    = 512
	maxNameTokens = 16
	maxOffset     = 14 * 3600 // UTC+14:00 (Kiribati) and UTC−12:00 bound real zones
	minOffset     = -12 * 3600
	stampLayout   = "2006.01.02_15-04-05-0700"
	namePrefix    = "sysdiagnose_"
)

var (
	// buildRE matches an Apple OS build: a major number, a letter, a number and, for
	// betas and some device-specific builds, a lowercase letter ("21D61", "16C101",
	// "23D8133", "21A5248v").
	buildRE   = regexp.MustCompile(`^[0-9]{1,2}[A-Z][0-9]{1,5}[a-z]?$`)
	versionRE = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,3}){0,2}$`)
	tokenRE   = regexp.MustCompile(`^[A-Za-z0-9.,-]+$`)
	// logNameRE finds the archive's name in sysdiagnose.log, where sysdiagnose writes
	// the folder it fills (IN_PROGRESS_sysdiagnose_<name>.tmp/…).
	logNameRE = regexp.MustCompile(`IN_PROGRESS_(sysdiagnose_\d{4}\.\d{2}\.\d{2}_\d{2}-\d{2}-\d{2}[+-]\d{4}[A-Za-z0-9_.,-]{0,200})`)
)

// archiveExts are the extensions stripped from a name, longest first.
var archiveExts = []string{".tar.gz", ".tar.zst", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip", ".tmp"}

// ParseArchiveName reads a sysdiagnose archive's name (a base name, with or without
// an archive extension).
func ParseArchiveName(name string) (ArchiveName, error) {
	if len(name) > maxNameLen {
		return ArchiveName{}, fmt.Errorf("name longer than %d bytes", maxNameLen)
	}
	s := name
	for _, ext := range archiveExts {
		if len(s) > len(ext) && strings.EqualFold(s[len(s)-len(ext):], ext) {
			s = s[:len(s)-len(ext)]
			break
		}
	}
	if !strings.HasPrefix(s, namePrefix) {
		return ArchiveName{}, errors.New("does not start with sysdiagnose_")
	}
	rest := s[len(namePrefix):]
	if len(rest) < len("2006.01.02_15-04-05+0000") {
		return ArchiveName{}, errors.New("no date and time after sysdiagnose_")
	}
	stamp := rest[:len("2006.01.02_15-04-05+0000")]
	t, err := time.Parse(stampLayout, stamp)
	if err != nil || !timefmt.Valid(t) {
		return ArchiveName{}, fmt.Errorf("date %q is not YYYY.MM.DD_HH-MM-SS±zzzz", stamp)
	}
	if _, off := t.Zone(); off > maxOffset || off < minOffset {
		return ArchiveName{}, fmt.Errorf("time zone offset %s is outside UTC−12:00…UTC+14:00", stamp[len(stamp)-5:])
	}
	n := ArchiveName{Name: s}
	n.setTime(t)
	rest = rest[len(stamp):]
	if rest == "" {
		return n, nil
	}
	if rest[0] != '_' {
		return ArchiveName{}, fmt.Errorf("unexpected %q after the date", truncate(rest, 20))
	}
	tokens := strings.Split(rest[1:], "_")
	if len(tokens) > maxNameTokens {
		return ArchiveName{}, fmt.Errorf("more than %d parts after the date", maxNameTokens)
	}
	for _, tok := range tokens {
		if !tokenRE.MatchString(tok) {
			return ArchiveName{}, fmt.Errorf("part %q is not a platform, model or build", truncate(tok, 20))
		}
	}
	// The build is the first part, after at least a platform and a model class, that
	// looks like one; "iPhone_OS" (before iOS 13) spans two parts, and any parts after
	// the build (added by a tool that renamed the archive) are left out.
	b := -1
	for i := 2; i < len(tokens); i++ {
		if buildRE.MatchString(tokens[i]) {
			b = i
			break
		}
	}
	if b < 0 {
		return ArchiveName{}, errors.New("no OS build (like 21D61) after the platform and model")
	}
	n.Build = tokens[b]
	m := b - 1
	if versionRE.MatchString(tokens[m]) && m >= 2 {
		n.Version = tokens[m]
		m--
	}
	n.ModelClass = tokens[m]
	n.Platform = strings.Join(tokens[:m], "_")
	return n, nil
}

func (n *ArchiveName) setTime(t time.Time) {
	_, off := t.Zone()
	n.local = t
	n.CollectionTime = timefmt.Of(t.UTC())
	n.LocalTime = t.Format(time.DateTime)
	n.TimezoneOffset = formatOffset(off)
	n.TimezoneOffsetSeconds = off
}

// formatOffset writes an offset in seconds as ±hh:mm.
func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// maxLogScan bounds how much of sysdiagnose.log is searched for the name.
const maxLogScan = 4 << 20

// nameFromLog finds the archive's name in the text of sysdiagnose.log. The collection
// time comes from sysdiagnoseps.ParseCollectionTimeLocal (the first IN_PROGRESS_ or
// spindump_ line); the other parts from the first IN_PROGRESS_sysdiagnose_ name. ok is
// false when the log holds no date at all; err says why the rest of the name could not
// be read.
func nameFromLog(data []byte) (n ArchiveName, ok bool, err error) {
	t, ok := sysdiagnoseps.ParseCollectionTimeLocal(data)
	if !ok {
		return ArchiveName{}, false, nil
	}
	if _, off := t.Zone(); off > maxOffset || off < minOffset {
		return ArchiveName{}, false, fmt.Errorf("time zone offset %s is outside UTC−12:00…UTC+14:00", formatOffset(off))
	}
	if len(data) > maxLogScan {
		data = data[:maxLogScan]
	}
	fallback := ArchiveName{Name: namePrefix + t.Format(stampLayout)}
	fallback.setTime(t)
	m := logNameRE.FindSubmatch(data)
	if m == nil {
		return fallback, true, nil
	}
	name := strings.TrimRight(string(m[1]), ".,")
	n, err = ParseArchiveName(name)
	if err != nil {
		return fallback, true, err
	}
	if !n.local.Equal(t) {
		// The first dated line and the first IN_PROGRESS name differ: keep the date
		// sysdiagnose_ps uses, so that both modules agree.
		n.setTime(t)
	}
	return n, true, nil
}
