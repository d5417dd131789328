package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// A limit reached is a finding: an artifact large enough to reach one of spytrace's
// bounds is unusual on a phone, and may have been made so to hide traces behind it or to
// exhaust the tools that read it. These checks say so, with how to read the rest.
var (
	RecordLimit = check.Heuristic{
		ID:    "limit/records",
		Level: alert.Medium,
		Meaning: "The module stopped at the record limit: the rest of its artifact was not read, and traces in it were not checked. " +
			"So many records in one artifact is unusual, and can be a way to bury a trace or to exhaust forensic tools.",
		FalsePositive: "A phone used heavily for years can hold very large message or history databases.",
		Advice:        "Run the check again with a higher limit (--limit records=N, see docs/limits.md) on a machine with enough memory and disk, and look at the artifact's size and dates.",
	}
	FileLimit = check.Heuristic{
		ID:    "limit/file-bytes",
		Level: alert.Medium,
		Meaning: "A file that spytrace reads whole was larger than the limit, so it was not read and nothing in it was checked. " +
			"Files of this kind (property lists, logs, JSON) are normally small: a huge one is unusual.",
		FalsePositive: "Some logs grow large on phones that are rarely restarted or that run many apps.",
		Advice:        "Run the check again with a higher limit (--limit file-bytes=SIZE, see docs/limits.md), and look at the file: its size, dates and what fills it.",
	}
	TimeLimit = check.Heuristic{
		ID:    "limit/module-time",
		Level: alert.Medium,
		Meaning: "The module was stopped at its time limit: the rest of its artifact was not read, and traces in it were not checked. " +
			"An artifact that takes so long to read is unusual, and can be made so to stall forensic tools.",
		FalsePositive: "A very large artifact on a slow or busy computer.",
		Advice:        "Run the check again with a longer limit (--limit module-time=3h, see docs/limits.md) and only this module (--module NAME), and look at the artifact's size.",
	}
	AcquisitionLimit = check.Heuristic{
		ID:    "limit/acquisition",
		Level: alert.Medium,
		Meaning: "Reading the acquisition stopped at one of spytrace's bounds (entries, decompressed bytes, compression ratio, memory): " +
			"what lies beyond it was not checked. An archive that inflates far beyond its size, or holds millions of entries, can be a decompression bomb or a way to hide files.",
		FalsePositive: "A full file-system dump of a large phone legitimately holds millions of files.",
		Advice:        "Look at the acquisition's problems in info.json; if the acquisition is genuine, run the check again with a higher limit (see docs/limits.md).",
	}
)

// limitReporter raises limit findings under a module's name.
func limitReporter(module string, alerts *[]alert.Alert) *check.Reporter {
	return check.NewReporter(module, func(a alert.Alert) { *alerts = append(*alerts, a) })
}

// acquisitionLimitAlerts turns the acquisition's problems of reached bounds into alerts
// of the pseudo-module "acquisition".
func acquisitionLimitAlerts(acq acquire.Acquisition) []alert.Alert {
	p, ok := acq.(acquire.Problems)
	if !ok {
		return nil
	}
	var out []alert.Alert
	r := limitReporter("acquisition", &out)
	for _, pr := range p.Problems() {
		if !isLimitProblem(pr) {
			continue
		}
		msg := "Reading the acquisition stopped at a limit: " + pr.Message
		if pr.Name != "" {
			msg = fmt.Sprintf("Reading %q stopped at a limit: %s", pr.Name, pr.Message)
		}
		AcquisitionLimit.Raise(r, msg, time.Time{}, map[string]any{"kind": pr.Kind, "name": pr.Name, "message": pr.Message})
	}
	return out
}

// acquisitionCut reports whether reading the acquisition stopped at a limit.
func acquisitionCut(acq acquire.Acquisition) bool {
	p, ok := acq.(acquire.Problems)
	if !ok {
		return false
	}
	return slices.ContainsFunc(p.Problems(), isLimitProblem)
}

// isLimitProblem reports whether an acquisition problem says a limit stopped reading.
func isLimitProblem(pr acquire.Problem) bool {
	return pr.Kind == "limit_reached" || pr.Kind == "too_many_rows"
}
