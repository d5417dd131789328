package shutdownlog

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// RepeatedDelayThreshold is the number of "these clients are still here" headers in
// one shutdown from which iShutdown reports the reboot.
const RepeatedDelayThreshold = 3

// RepeatedDelays is raised once per shutdown delayed RepeatedDelayThreshold times or more.
var RepeatedDelays = check.Heuristic{
	ID:    "shutdown_log/repeated-delays",
	Level: alert.Medium,
	Meaning: "iOS had to wait for processes to exit at least three times during this shutdown. Kaspersky found that phones " +
		"infected with Pegasus showed such delayed reboots, because the implant's process kept running while the phone shut " +
		"down; its iShutdown tool reports every reboot with three or more delays.",
	FalsePositive: "Clean phones commonly show two or three delays: busy daemons (location, NFC, media, messaging) and apps " +
		"finishing their work can hold a shutdown up, and a software update or a restore makes it worse. Several delays with " +
		"only usual system paths listed are weak evidence on their own.",
	Advice: "Look at the clients listed under the last headers of this shutdown: a binary outside /usr, /System, /sbin, " +
		"/private/preboot/Cryptexes or an app container deserves attention. Compare with the other reboots in the log and " +
		"with the timeline of other artifacts around the same date.",
}

// SuspiciousPath is raised once per shutdown and path for a client running from a
// folder where iOS keeps data, not programs.
var SuspiciousPath = check.Heuristic{
	ID:    "shutdown_log/suspicious-path",
	Level: alert.High,
	Meaning: "A process was still running during a shutdown from a folder where iOS keeps data or temporary files, not " +
		"programs: /private/var/db/ or a temporary folder. Pegasus ran from " +
		"/private/var/db/com.apple.xpc.roleaccountd.staging/ (for example rolexd), QuaDream's KingSpawn from the same folder " +
		"(subridged), and Predator from /private/var/tmp/; Kaspersky's iShutdown and Citizen Lab's analyses report exactly " +
		"these paths in shutdown.log. iOS's own programs run from /usr, /System, /sbin or a cryptex, and apps from their " +
		"container under /private/var/containers/Bundle/Application/.",
	FalsePositive: "iOS software updates stage Apple's update component (UpdateBrainService, inside a " +
		"com.apple.MobileSoftwareUpdate.UpdateBrainService….xpc bundle) in /private/var/db/com.apple.xpc.roleaccountd.staging/; " +
		"it is reported separately at the informational level and not here. Developer and jailbreak tools can run binaries " +
		"from /tmp or /var/tmp on a phone used for development or research.",
	Advice: "Treat this as a likely compromise until explained: keep the acquisition unchanged, note the binary's name and " +
		"the dates of every shutdown where it appears, look the name up in published indicators, and look for the same " +
		"name in DataUsage, crash logs and other process lists. Ask an experienced analyst (for example a digital-security " +
		"helpline) to confirm.",
}

// UpdateComponent is raised, informationally, for Apple's update component running
// from the XPC staging folder, the known innocent case of that folder.
var UpdateComponent = check.Heuristic{
	ID:    "shutdown_log/staged-update-component",
	Level: alert.Informational,
	Meaning: "Apple's software-update component (UpdateBrainService) was running from " +
		"/private/var/db/com.apple.xpc.roleaccountd.staging/ during a shutdown. iOS stages the update 'brain' it downloads " +
		"there while it prepares an update, so this is expected around an iOS update.",
	FalsePositive: "This is normally innocent. Spyware could imitate the name, so the date should fit an iOS update.",
	Advice: "Check that the shutdown date matches an iOS update of the phone (iOS version history, OTA logs). If no update " +
		"happened then, look at the binary more closely.",
}

// EmptyLog is raised for a log without any client, without any complete shutdown, or
// whose last shutdown is cut short.
var EmptyLog = check.Heuristic{
	ID:    "shutdown_log/empty-log",
	Level: alert.Low,
	Meaning: "shutdown.log is empty, lists no process, or ends in the middle of a shutdown. The log normally grows by one " +
		"block per reboot. Pegasus operators reportedly wiped this file from about 2022 on to hide their processes, so an " +
		"empty or odd log can itself be a trace of tampering.",
	FalsePositive: "iOS 26 reportedly rewrites the file at every shutdown (and may name it shutdown.0.log), so it holds at most " +
		"the last shutdown; a phone that was never restarted, was restored or reset, or lost power during a shutdown can " +
		"leave an empty or cut log.",
	Advice: "Note the iOS version and the last reboot date. Compare with other sources of reboots and processes (sysdiagnose " +
		"logs, crash reports, DataUsage) for gaps; do not draw conclusions from this alone.",
}

// Folders a client must not run from (after path cleaning); /var and /tmp are the
// device's aliases of /private/var and /private/tmp.
var suspiciousDirs = []string{"/private/var/db/", "/var/db/", "/private/var/tmp/", "/var/tmp/", "/private/tmp/", "/tmp/"}

// stagingDirs is the XPC staging folder where both Pegasus and iOS updates run binaries.
var stagingDirs = []string{"/private/var/db/com.apple.xpc.roleaccountd.staging/", "/var/db/com.apple.xpc.roleaccountd.staging/"}

// Apple's update component in the staging folder: an XPC bundle named
// com.apple.MobileSoftwareUpdate.UpdateBrainService[.<suffix>].xpc holding an
// executable named UpdateBrainService or com.apple.MobileSoftwareUpdate.UpdateBrainService.
const updateBundlePrefix = "com.apple.MobileSoftwareUpdate.UpdateBrainService"

var updateExecutables = map[string]bool{"UpdateBrainService": true, updateBundlePrefix: true}

// classify returns the suspicious folder command runs from ("" for none) and whether
// it is Apple's staged update component.
func classify(command string) (dir string, update bool) {
	p := path.Clean("/" + strings.TrimLeft(command, "/"))
	for _, d := range suspiciousDirs {
		if strings.HasPrefix(p, d) {
			dir = d
			break
		}
	}
	if dir == "" {
		return "", false
	}
	for _, s := range stagingDirs {
		rest, ok := strings.CutPrefix(p, s)
		if !ok {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) < 2 || !updateExecutables[parts[len(parts)-1]] {
			return dir, false
		}
		bundle := parts[0]
		// The bundle may sit under exec/ (the staging folder's subfolder for executables).
		if bundle == "exec" && len(parts) >= 3 {
			bundle = parts[1]
		}
		if strings.HasPrefix(bundle, updateBundlePrefix) && strings.HasSuffix(bundle, ".xpc") {
			return dir, true
		}
	}
	return dir, false
}

// blockKey identifies one shutdown. Records reloaded from MVT's results have no file
// or shutdown number, so the shutdown's time tells their shutdowns apart (every record
// of a shutdown has its time).
type blockKey struct {
	file   string
	reboot int
	at     string
}

type seenKey struct {
	blockKey
	command string
}

type blockInfo struct {
	key blockKey
	max *Record // the record with the most delays
}

type fileInfo struct {
	complete   bool
	incomplete *Record // first record of a cut block
}

type checker struct {
	env      *check.Env
	seen     map[seenKey]bool
	blocks   map[blockKey]*blockInfo
	order    []*blockInfo
	files    map[string]*fileInfo
	fileList []string
}

func newChecker(env *check.Env) *checker {
	return &checker{env: env, seen: map[seenKey]bool{}, blocks: map[blockKey]*blockInfo{}, files: map[string]*fileInfo{}}
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	if rec.placeholder() {
		c.placeholder(rec, r)
		return
	}
	c.track(rec)
	k := seenKey{keyOf(rec), rec.Command}
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	t := rec.Isodate.Time
	where := fmt.Sprintf("a process (pid %s) still running during %s%s", rec.PID, when(rec), source(rec.File, 0))
	if !c.env.FilePath(r, alert.Critical, rec.Command, where, t, rec) {
		if m := c.env.Index.MatchPathProcess(rec.Client); m != nil {
			r.Indicator(alert.Critical, m, m.Observed, where, t, rec)
		}
	}
	switch dir, update := classify(rec.Command); {
	case update:
		UpdateComponent.Raise(r, fmt.Sprintf("Apple's update component %s (pid %s) was running from the XPC staging folder during %s",
			rec.Command, rec.PID, when(rec)), t, rec)
	case dir != "":
		SuspiciousPath.Raise(r, fmt.Sprintf("Process %s (pid %s) was still running from %s during %s%s",
			rec.Command, rec.PID, dir, when(rec), source(rec.File, 0)), t, rec)
	}
}

func (c *checker) track(rec *Record) {
	bk := keyOf(rec)
	b := c.blocks[bk]
	if b == nil {
		b = &blockInfo{key: bk, max: rec}
		c.blocks[bk] = b
		c.order = append(c.order, b)
	} else if rec.TimesDelayed > b.max.TimesDelayed {
		b.max = rec
	}
	f := c.files[rec.File]
	if f == nil {
		f = &fileInfo{}
		c.files[rec.File] = f
		c.fileList = append(c.fileList, rec.File)
	}
	if rec.Complete {
		f.complete = true
	} else if f.incomplete == nil {
		f.incomplete = rec
	}
}

func (c *checker) placeholder(rec *Record, r *check.Reporter) {
	switch {
	case rec.LogState == StateEmpty:
		EmptyLog.Raise(r, fmt.Sprintf("The shutdown log %s is empty", rec.File), time.Time{}, rec)
	case rec.Reboots == 0:
		EmptyLog.Raise(r, fmt.Sprintf("The shutdown log %s records no complete shutdown and no process", rec.File), time.Time{}, rec)
	default:
		EmptyLog.RaiseAt(r, alert.Informational, fmt.Sprintf("The shutdown log %s records %d shutdowns but no process still running during any of them",
			rec.File, rec.Reboots), time.Time{}, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(r *check.Reporter) {
	for _, b := range c.order {
		if b.max.TimesDelayed >= RepeatedDelayThreshold {
			RepeatedDelays.Raise(r, fmt.Sprintf("The shutdown of %s was delayed %d times (%.2fs in all)%s",
				whenShort(b.max), b.max.TimesDelayed, b.max.Delay, source(b.key.file, b.key.reboot)), b.max.Isodate.Time, b.max)
		}
	}
	for _, name := range c.fileList {
		f := c.files[name]
		if f.incomplete == nil {
			continue
		}
		if !f.complete {
			EmptyLog.Raise(r, fmt.Sprintf("The shutdown log %s holds no complete shutdown: its only shutdown has no SIGTERM line", name),
				time.Time{}, f.incomplete)
		} else {
			EmptyLog.RaiseAt(r, alert.Informational, fmt.Sprintf("The last shutdown in %s is cut short (no SIGTERM line)", name),
				time.Time{}, f.incomplete)
		}
	}
}

func keyOf(rec *Record) blockKey {
	return blockKey{rec.File, rec.RebootIndex, rec.Isodate.String()}
}

// source names, for messages, the log a record comes from and the shutdown's number in
// it (when reboot > 0): " (file, shutdown n)"; "" for a record reloaded from MVT's
// results, which name neither.
func source(file string, reboot int) string {
	var parts []string
	if file != "" {
		parts = append(parts, file)
	}
	if reboot > 0 {
		parts = append(parts, "shutdown "+strconv.Itoa(reboot))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// when describes the shutdown of a record for messages.
func when(rec *Record) string {
	return "the shutdown of " + whenShort(rec)
}

func whenShort(rec *Record) string {
	if rec.Isodate.IsZero() {
		return "an unknown date"
	}
	return rec.Isodate.String()
}
