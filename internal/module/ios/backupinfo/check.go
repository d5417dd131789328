package backupinfo

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/iosrelease"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// OutdatedIOS is raised when the phone ran an iOS release older than the newest one of
// its line (its major version) on the day of the backup.
var OutdatedIOS = check.Heuristic{
	ID:    "backup_info/outdated-ios",
	Level: alert.Low,
	Meaning: "On the day of the backup the phone ran an iOS release for which Apple had already published a newer one of the " +
		"same major version. Almost every iOS update closes security holes, and the exploits that install mercenary spyware " +
		"(Pegasus, Predator, Triangulation) use holes that a later update fixed: an outdated phone stays open to attacks that " +
		"an updated one would block. Some implants are also reported to block updates so that they are not removed. The " +
		"comparison uses the backup's own date and a table of iOS releases bundled with spytrace, never the date of this " +
		"computer.",
	FalsePositive: "Most outdated phones are simply not updated yet: automatic updates wait for Wi-Fi, power and a night, and " +
		"many owners postpone them. A phone too old for newer major versions receives only the updates of its last line, " +
		"which is what is compared here. This is a risk factor, not a sign of infection.",
	Advice: "Ask the owner whether updates were offered and postponed, or whether the phone failed to update (an update that " +
		"keeps failing deserves a closer look). Advise updating to the newest iOS the phone supports, and turning on " +
		"Lockdown Mode if the owner may be personally targeted. Compare the dates of other findings with the period the " +
		"phone stayed on this version.",
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(*check.Env) check.Checker { return checker{} }

// DecodeRecord implements module.Reloadable. The record is a dictionary whose values
// keep their plist type, so numbers are decoded as json.Number: they are written back
// digit for digit. MVT's record (its eighteen keys only) decodes too, its dates being
// Python's text of a datetime.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Info](data) }

var (
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

type checker struct{}

// Check compares the phone's iOS version with the release table at the backup's date.
// It reads the record's written values (strings), so records reloaded from a results
// file are checked the same way.
func (checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Info)
	if !ok {
		return
	}
	version, build := stringOf(rec.ProductVersion), stringOf(rec.BuildVersion)
	at := rec.backupDate()
	if at.IsZero() {
		return
	}
	if version == "" {
		if rel, ok := iosrelease.ByBuild(build); ok {
			version = rel.Version
		}
	}
	if !iosrelease.Valid(version) {
		return
	}
	newest, ok := iosrelease.NewestInLine(iosrelease.Line(version), at)
	if !ok || iosrelease.Compare(version, newest.Version) >= 0 {
		return
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "The phone ran iOS %s", version)
	if build != "" {
		fmt.Fprintf(&msg, " (build %s)", build)
	}
	fmt.Fprintf(&msg, " on the day of the backup, %s, when iOS %s of the same line had been out since %s",
		at.UTC().Format(time.DateOnly), newest.Version, newest.Date.Format(time.DateOnly))
	if line, ok := iosrelease.NewestLine(at); ok && line > iosrelease.Line(version) {
		fmt.Fprintf(&msg, " (and iOS %d was available for phones that support it)", line)
	}
	if cover := iosrelease.Coverage(); at.After(cover.Add(24 * time.Hour)) {
		fmt.Fprintf(&msg, "; spytrace's release table ends on %s, so newer releases may exist", cover.Format(time.DateOnly))
	}
	OutdatedIOS.Raise(r, msg.String(), at, rec)
}

// Finish implements check.Checker.
func (checker) Finish(*check.Reporter) {}

// backupDate is the date the backup was made: Info.plist's Last Backup Date, else
// Status.plist's or Manifest.plist's Date.
func (r *Info) backupDate() time.Time {
	cands := []any{r.LastBackupDate}
	if r.Status != nil {
		cands = append(cands, r.Status.Date)
	}
	if r.Manifest != nil {
		cands = append(cands, r.Manifest.Date)
	}
	for _, c := range cands {
		switch x := c.(type) {
		case timefmt.Time:
			if !x.IsZero() {
				return x.Time
			}
		case time.Time:
			if !x.IsZero() {
				return x
			}
		case string:
			if t, err := timefmt.Parse(x); err == nil && !t.IsZero() {
				return t
			}
		}
	}
	return time.Time{}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}
