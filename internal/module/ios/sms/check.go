package sms

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// ThreatNotification reports a message that starts with Apple's threat-notification
// wording.
var ThreatNotification = check.Heuristic{
	ID:    "sms/threat-notification",
	Level: alert.High,
	Meaning: "This message starts with the words of Apple's threat notification. Since November 2021 Apple warns " +
		"people it believes were individually targeted by state-sponsored or mercenary spyware, such as NSO Group's " +
		"Pegasus, by iMessage and by e-mail to the addresses and phone numbers of their Apple ID, and with a banner " +
		"at the top of the page after signing in at appleid.apple.com. Apple sends these notifications rarely and " +
		"only after its own investigation: a genuine one is a serious sign that the owner of the phone was " +
		"targeted, even when no trace of an infection is found on the phone.",
	FalsePositive: "Scammers imitate this message to frighten people into clicking a link or calling a number. " +
		"Check that it came as an iMessage from Apple and not as an SMS from an unknown number, that it asks for " +
		"no password, code, payment or app installation, and that the same notification appears after signing in " +
		"at appleid.apple.com. A copy that the owner forwarded or pasted into a message they sent is reported at " +
		"LOW level, with the date it was sent rather than received.",
	Advice: "If the notification is genuine, follow its instructions, keep the phone and this acquisition " +
		"unchanged, and contact Access Now's Digital Security Helpline (accessnow.org/help), which Apple's " +
		"notification recommends. Consider turning on Lockdown Mode. Look at the timeline around the date of the " +
		"notification, and in the months before it, for other traces.",
}

// threatWordings are the starts of Apple's notifications, lower case: the 2021–2023
// wording and the wording used since 2024.
var threatWordings = []string{
	"alert: state-sponsored attackers may be targeting your iphone",
	"alert: apple detected a targeted mercenary spyware attack against your iphone",
}

// NewChecker returns the checks of one run.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Message](data) }

// checker judges each message on its own.
type checker struct {
	env *check.Env
}

// Check looks the message's links and Apple ID sender up in the indicators, and looks
// for Apple's threat notification.
func (c *checker) Check(rec any, r *check.Reporter) {
	msg, ok := rec.(*Message)
	if !ok {
		return
	}
	where, t := msg.where(), msg.Date.Time
	for _, link := range msg.Links {
		c.env.URL(r, alert.Critical, link, where, t, msg)
	}
	if strings.Contains(msg.PhoneNumber, "@") {
		c.env.Email(r, alert.Critical, msg.PhoneNumber, where, t, msg)
	}
	if isThreatNotification(msg.Text) {
		if msg.FromMe {
			ThreatNotification.RaiseAt(r, alert.Low, fmt.Sprintf("A message sent to %s%s quotes Apple's threat notification",
				msg.party(), OnDate(t)), t, msg)
		} else {
			ThreatNotification.Raise(r, fmt.Sprintf("Apple's threat notification (mercenary spyware attack) received from %s%s",
				msg.party(), OnDate(t)), t, msg)
		}
	}
}

// Finish has nothing to do: every check is per message.
func (c *checker) Finish(*check.Reporter) {}

// isThreatNotification reports whether text starts with one of Apple's wordings, in
// any case, after white space and invisible characters.
func isThreatNotification(text string) bool {
	text = strings.TrimLeftFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) // Cf: zero-width spaces, BOM, direction marks
	})
	if len(text) > 200 {
		text = text[:200]
	}
	text = strings.ToLower(text)
	for _, w := range threatWordings {
		if strings.HasPrefix(text, w) {
			return true
		}
	}
	return false
}
