// Package dumpsysbatteryhistory reads the battery history of an Android bug report:
// which app's jobs ran, which alarms woke the phone, and which app was in the
// foreground, with their times.
//
// The artifact is the "Battery History (…):" block at the start of the
// "DUMP OF SERVICE batterystats" section (@sections/dumpsys/batterystats; on the device
// /data/system/batterystats.bin and battery-history/), up to its first blank line.
// Each line starts with the time elapsed since the history began ("+1h26m18s315ms"),
// then state changes: "+job=u0a94:\"pkg/.Service\"", "-job=…",
// "+running +wake_lock=u0a203:\"*walarm*:pkg/.Receiver\"", "+top=u0a280:\"pkg\"",
// "-top=…". Every such event of a line is a record (MVT keeps the first one only);
// wake_lock events without "*walarm*:" or without a component ("pkg/…") are skipped,
// as MVT does.
//
// Times: time_elapsed is kept as printed (MVT). The history's "RESET:TIME:" and
// "TIME:" lines give the device wall clock at that point (YYYY-MM-DD-HH-MM-SS); the
// time of each event is that clock plus the elapsed time since, written to
// timestamp_local (extra) and, in UTC, to timestamp (extra) when the device zone
// (persist.sys.timezone) is known; clock says which.
//
// It corresponds to MVT's DumpsysBatteryHistory module ({time_elapsed, event
// start_job/end_job/wake/start_top/end_top, uid, package_name, service}); package name
// → app id at CRITICAL. MVT takes the rest of a +top line as the package name; here it
// is the quoted name only. No timeline (as MVT): the history holds thousands of events.
package dumpsysbatteryhistory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/props"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "dumpsys_battery_history"

// Section is the bug report's batterystats section.
const Section = "@sections/dumpsys/batterystats"

// Module reads the battery history.
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
		Class:       "DumpsysBatteryHistory",
		Version:     1,
		Description: "Battery history of a bug report: app jobs, alarm wake-ups and foreground apps",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section, props.SystemPropertiesSection},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, Section) {
		return module.ErrNotFound
	}
	var loc *time.Location
	clock := props.ClockUnknown
	if slices.Contains(in.Files, props.SystemPropertiesSection) {
		if data, err := in.ReadFile(props.SystemPropertiesSection); err == nil {
			loc, clock = props.DeviceClock(data)
		}
	}
	data, err := in.ReadFile(Section)
	if err != nil {
		return err
	}
	return module.Emit(ctx, out, Parse(data, loc, clock))
}

const (
	maxLines   = 5_000_000
	maxRecords = 1_000_000
)

// Parse reads the battery history block.
func Parse(data []byte, loc *time.Location, clock string) []*Event {
	if clock == "" {
		clock = props.ClockUnknown
	}
	var out []*Event
	started := false
	var base time.Time       // wall clock at the last TIME line
	var baseEl time.Duration // elapsed at the last TIME line
	var el time.Duration     // elapsed of the current line
	for n, raw := range strings.Split(string(data), "\n") {
		if n >= maxLines || len(out) >= maxRecords {
			break
		}
		line := strings.TrimRight(raw, "\r")
		if !started {
			started = strings.HasPrefix(line, "Battery History ")
			continue
		}
		if strings.TrimSpace(line) == "" {
			break
		}
		fields := strings.Fields(line)
		elapsed := fields[0]
		if len(fields) > 1 && len(fields[0]) == 5 && fields[0][2] == '-' && strings.Contains(fields[1], ":") {
			elapsed = fields[0] + " " + fields[1]
		}
		if d, ok := props.ParseDuration(fields[0]); ok {
			el = d
		}
		if i := strings.Index(line, "TIME:"); i >= 0 {
			if t, err := time.Parse("2006-01-02-15-04-05", strings.TrimSpace(firstField(line[i+5:]))); err == nil {
				base, baseEl = t, el
			}
		}
		var wallText string
		var ts timefmt.Time
		if !base.IsZero() {
			w := base.Add(el - baseEl)
			wallText = w.Format("2006-01-02 15:04:05.000")
			ts = timefmt.Of(props.InZone(w, loc))
		}
		for _, tok := range tokens(line) {
			e := parseToken(tok)
			if e == nil {
				continue
			}
			e.TimeElapsed = safetext.EscapeInvalid(elapsed)
			e.TimestampLocal, e.Timestamp, e.Clock = wallText, ts, clock
			out = append(out, e)
		}
	}
	return out
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// tokens splits a history line at spaces outside double quotes.
func tokens(line string) []string {
	var out []string
	start, quoted := -1, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted = !quoted
			if start < 0 {
				start = i
			}
		case c == ' ' && !quoted:
			if start >= 0 {
				out = append(out, line[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, line[start:])
	}
	return out
}

// parseToken reads one "+job=uid:\"svc\"" style token.
func parseToken(tok string) *Event {
	var event, payload string
	switch {
	case strings.HasPrefix(tok, "+job="):
		event, payload = "start_job", tok[5:]
	case strings.HasPrefix(tok, "-job="):
		event, payload = "end_job", tok[5:]
	case strings.HasPrefix(tok, "+wake_lock="):
		event, payload = "wake", tok[11:]
	case strings.HasPrefix(tok, "+top="):
		event, payload = "start_top", tok[5:]
	case strings.HasPrefix(tok, "-top="):
		event, payload = "end_top", tok[5:]
	default:
		return nil
	}
	uid, value, ok := strings.Cut(payload, ":")
	if !ok {
		return nil
	}
	value = strings.Trim(value, `"`)
	e := &Event{Event: event, UID: safetext.EscapeInvalid(uid)}
	switch event {
	case "wake":
		svc, ok := strings.CutPrefix(value, "*walarm*:")
		if !ok || svc == "" || !strings.Contains(svc, "/") {
			return nil
		}
		e.Service = safetext.EscapeInvalid(svc)
		e.PackageName = safetext.EscapeInvalid(svc[:strings.IndexByte(svc, '/')])
	case "start_job", "end_job":
		e.Service = safetext.EscapeInvalid(value)
		pkg, _, _ := strings.Cut(value, "/")
		e.PackageName = safetext.EscapeInvalid(pkg)
	default:
		e.PackageName = safetext.EscapeInvalid(value)
	}
	return e
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Event](data) }
