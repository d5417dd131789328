package calendar

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// ExploitInvite is raised for an event titled "Meeting" with the notes "Notes", the
// trace MVT flags as QuaDream's exploit invitation.
var ExploitInvite = check.Heuristic{
	ID:    "calendar/exploit-invite",
	Level: alert.High,
	Meaning: "The phone's calendar holds an event titled \"Meeting\" whose notes are exactly \"Notes\". MVT's maintainers flag " +
		"this pair as a trace of QuaDream's zero-click exploit for iPhones, which Citizen Lab named ENDOFDAYS (\"Sweet QuaDreams\", " +
		"April 2023): it was delivered in 2021, against iOS 14, through iCloud calendar invitations that the spyware's operator " +
		"sent to the target, that the target never saw, and that were dated in the past. QuaDream sold the REIGN spyware to " +
		"governments; its victims included journalists, members of the political opposition and an NGO worker.",
	FalsePositive: "\"Meeting\" is a common title and \"Notes\" a plausible note, so the owner or a colleague may have made such " +
		"an event. The alert is HIGH when the event came as an invitation from an account that is not the owner's, was added " +
		"after the date it is for (backdated), or is hidden; it is MEDIUM when the phone's owner organized it or no organizer is " +
		"recorded and it is not backdated. The exploit was used against iOS 14 in 2021: an event received years later on a phone " +
		"with an up-to-date iOS is less likely to be related.",
	Advice: "Ask the owner whether they know the event and who sent it. Compare the organizer's address (participant_email) with " +
		"published QuaDream indicators, check which iOS version the phone ran at the event's creation date, and look at the " +
		"timeline around that date for new processes (DataUsage), crash logs and other traces. Keep the phone and this " +
		"acquisition unchanged and have an experienced analyst review them, for example through Access Now's Digital Security " +
		"Helpline.",
}

// backdatedAfter is how long after an event's start it must have been added to count as
// backdated.
const backdatedAfter = 24 * time.Hour

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	it, ok := v.(*Item)
	if !ok {
		return
	}
	t := it.when()
	if it.email != "" {
		c.env.Email(r, alert.Critical, it.email, "the organizer of calendar event "+it.label(), t, it)
	}
	for _, l := range it.Links {
		c.env.URL(r, alert.Critical, l, "calendar event "+it.label(), t, it)
	}
	if it.summary == "Meeting" && it.description == "Notes" {
		c.exploitInvite(it, t, r)
	}
}

// exploitInvite raises ExploitInvite, at HIGH level unless everything says the owner
// made the event.
func (c *checker) exploitInvite(it *Item, t time.Time, r *check.Reporter) {
	var why []string
	if it.invitation() {
		from := "an organizer that is not the phone's owner"
		if it.email != "" {
			from = it.email
		} else if !it.hasOrganizerRow {
			from = "an organizer whose record is gone"
		}
		why = append(why, "received as an invitation from "+from)
	}
	if days, ok := it.backdated(); ok {
		why = append(why, fmt.Sprintf("added on %s for %s, %d days earlier (backdated)",
			it.added().Format(time.DateOnly), it.StartDate.Time.Format(time.DateOnly), days))
	}
	if it.hidden {
		why = append(why, "hidden from the calendar views")
	}
	msg := "Calendar event " + it.label() + " with the notes \"Notes\", the pattern of QuaDream's exploit invitations"
	if len(why) > 0 {
		ExploitInvite.Raise(r, msg+": "+strings.Join(why, "; "), t, it)
		return
	}
	ExploitInvite.RaiseAt(r, alert.Medium, msg+"; it appears to have been made on the phone by its owner and is not backdated", t, it)
}

// added is when the event reached the database: creation_date, or last_modified in
// layouts without it.
func (it *Item) added() time.Time {
	if !it.CreationDate.IsZero() {
		return it.CreationDate.Time
	}
	return it.LastModified.Time
}

// backdated reports whether the event was added more than a day after its start, and
// how many days after.
func (it *Item) backdated() (int, bool) {
	added := it.added()
	if added.IsZero() || it.StartDate.IsZero() {
		return 0, false
	}
	d := added.Sub(it.StartDate.Time)
	if d <= backdatedAfter {
		return 0, false
	}
	return int(d / (24 * time.Hour)), true
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
