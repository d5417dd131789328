package triangulation

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// Parameters of the co-occurrence window, triangle_check's: a window starts at each
// event and holds at most WindowEvents events, none later than Window after the first;
// it is suspicious when its events belong to at least MinClasses classes.
const (
	Window       = 300 * time.Second
	WindowEvents = 10
	MinClasses   = 2
)

// BackupAgentNetwork is raised when BackupAgent used the network.
var BackupAgentNetwork = check.Heuristic{
	ID:    "triangulation/backupagent-network",
	Level: alert.High,
	Meaning: "The process BackupAgent used the network. BackupAgent is the backup program of old iOS versions, replaced by " +
		"BackupAgent2 since iOS 10, and it has no reason to send or receive data on a current iPhone. Kaspersky found that " +
		"the Operation Triangulation implant (2019–2023, installed by an invisible iMessage) ran under this name, and its " +
		"triangle_check tool treats BackupAgent's network use as proof of infection; the Triangulation indicator list names " +
		"the same process.",
	FalsePositive: "On a phone that ran iOS 9 or earlier, BackupAgent was the genuine backup program and could use the " +
		"network for iCloud backups; the record can survive later updates. Check the dates of the record against the " +
		"phone's update history.",
	Advice: "Keep the phone and the acquisition unchanged and have an experienced analyst confirm. Look at the timeline around " +
		"the dates in the alert for iMessage attachments, changes to the SMS attachments folder, and the other processes " +
		"that used the network at the same minute. Kaspersky's report (securelist.com, June 2023) describes the attack.",
}

// CoOccurrence is raised for a short window mixing events of several classes.
var CoOccurrence = check.Heuristic{
	ID:    "triangulation/co-occurrence",
	Level: alert.Medium,
	Meaning: fmt.Sprintf("Within %d minutes, events of different kinds happened together: changes to watched system "+
		"files (ImageIO, location status bar, FaceTime preferences), network use by watched system processes, a location "+
		"service stopping, and new folders in the SMS attachments folder without an attachment in them. This is the "+
		"pattern Kaspersky's triangle_check reports as a suspicion of Operation Triangulation, whose invisible iMessage "+
		"left exactly such a short burst behind (a window starts at each event, holds at most %d events and is "+
		"suspicious with %d or more kinds).", int(Window/time.Minute), WindowEvents, MinClasses),
	FalsePositive: "These are ordinary system activities, and they can coincide by chance, especially on a phone used " +
		"heavily at that moment; Kaspersky presents the pattern as a suspicion, not a proof. Windows with a real attachment " +
		"(a file inside the attachments folder) are already left out.",
	Advice: "Read the events listed in the alert and the timeline around them: an iMessage from an unknown sender or an " +
		"attachment folder created without an attachment just before gives the suspicion weight; a burst during an " +
		"update, a restore or normal use weakens it. Several such windows on different days deserve an expert's look.",
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(*check.Env) check.Checker { return &checker{} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Event](data) }

// checker reports BackupAgent as records arrive, and gathers every event for the
// window check at Finish (records arrive in time order; a few thousand at most, since
// only watched files and processes are events).
type checker struct {
	events      []*Event
	backupAgent bool
}

// maxEvents bounds the events kept for the window check.
const maxEvents = 1 << 20

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	ev, ok := v.(*Event)
	if !ok {
		return
	}
	if ev.Class == ClassNet && processName(ev.Name) == BackupAgent && !c.backupAgent {
		c.backupAgent = true
		BackupAgentNetwork.Raise(r, fmt.Sprintf("BackupAgent used the network (%s, %s in %s) on %s", ev.Event, ev.Name,
			ev.Source, ev.Isodate.String()), ev.Isodate.Time, ev)
	}
	if len(c.events) < maxEvents {
		c.events = append(c.events, ev)
	}
}

func processName(procName string) string {
	name, _, _ := strings.Cut(procName, "/")
	return name
}

// Finish runs the window check over every event.
func (c *checker) Finish(r *check.Reporter) {
	sortEvents(c.events)
	for _, w := range SuspiciousWindows(c.events) {
		first := w[0]
		var msg strings.Builder
		fmt.Fprintf(&msg, "Events of %s within %s from %s: ", strings.Join(classesOf(w), ", "),
			w[len(w)-1].Isodate.Sub(first.Isodate.Time).Round(time.Second), first.Isodate.String())
		for i, ev := range w {
			if i > 0 {
				msg.WriteString("; ")
			}
			if i == maxListed {
				fmt.Fprintf(&msg, "and %d more", len(w)-maxListed)
				break
			}
			fmt.Fprintf(&msg, "%s %s %s %s", ev.Isodate.Time.UTC().Format(time.TimeOnly), ev.Class, ev.Event, ev.Name)
		}
		CoOccurrence.Raise(r, msg.String(), first.Isodate.Time, &Burst{Events: w})
	}
}

// maxListed bounds the events named in one alert message.
const maxListed = 20

// Burst is the record of a co-occurrence alert: the events of the window.
type Burst struct {
	Events []*Event `json:"events"`
}

// SuspiciousWindows applies triangle_check's rule to events sorted by time and returns
// the suspicious windows, overlapping ones merged into one.
//
// A window starts at each event and takes the next events up to WindowEvents in all,
// stopping at the first one more than Window after the start. It is discarded when it
// holds a real SMS attachment (an entry deeper than Attachments/xx/yy), or an
// attachments folder without both its M and C events; otherwise it is suspicious when
// its events belong to MinClasses classes or more.
func SuspiciousWindows(events []*Event) [][]*Event {
	var out [][]*Event
	lastEnd := -1 // index of the last event of the previous suspicious window
	for i := range events {
		start := events[i].Isodate.Time
		j := i
		for j < len(events) && j-i < WindowEvents && !events[j].Isodate.Time.After(start.Add(Window)) {
			j++
		}
		if !suspicious(events[i:j]) {
			continue
		}
		if lastEnd >= i && len(out) > 0 {
			// Overlaps the previous window: extend it.
			prev := out[len(out)-1]
			for k := lastEnd + 1; k < j; k++ {
				prev = append(prev, events[k])
			}
			out[len(out)-1] = prev
		} else {
			out = append(out, append([]*Event(nil), events[i:j]...))
		}
		lastEnd = j - 1
	}
	return out
}

func suspicious(w []*Event) bool {
	classes := map[string]bool{}
	type mc struct{ m, c bool }
	folders := map[string]*mc{}
	for _, ev := range w {
		switch ev.Class {
		case ClassSMSFile:
			return false
		case ClassSMS:
			f := folders[ev.Name]
			if f == nil {
				f = &mc{}
				folders[ev.Name] = f
			}
			f.m = f.m || ev.Event == "M"
			f.c = f.c || ev.Event == "C"
		}
		classes[ev.Class] = true
	}
	for _, f := range folders {
		if !f.m || !f.c {
			return false
		}
	}
	return len(classes) >= MinClasses
}

// classesOf names the classes of a window in a fixed order.
func classesOf(w []*Event) []string {
	seen := map[string]bool{}
	for _, ev := range w {
		seen[ev.Class] = true
	}
	var out []string
	for _, c := range []string{ClassFile, ClassNet, ClassLocation, ClassSMS} {
		if seen[c] {
			out = append(out, classWords[c])
		}
	}
	return out
}

var classWords = map[string]string{
	ClassFile:     "file changes",
	ClassNet:      "network use",
	ClassLocation: "location",
	ClassSMS:      "SMS attachment folders",
}
