// Package check turns module records into alerts. It holds what every check shares: the
// [Checker] interface that a module's checks implement, the [Reporter] that collects
// their alerts, and the wording of indicator matches, so that every module explains an
// indicator hit in the same words.
//
// Checks run on records only, never on the acquisition, so they also run on records
// reloaded from an earlier results folder. Heuristics run whether or not indicators are
// loaded; the indicator index is empty, never nil, when none are.
package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Env is what checks may consult.
type Env struct {
	// Index holds the loaded indicators; empty (never nil) when none were loaded.
	Index *ioc.Index
}

// NewEnv returns an Env; a nil index is replaced by an empty one.
func NewEnv(ix *ioc.Index) *Env {
	if ix == nil {
		ix = ioc.NewBuilder().Build()
	}
	return &Env{Index: ix}
}

// Checker judges the records of one module during one run. Check is called once per
// record, in the module's order; Finish once after the last record, for checks that
// need to see every record (a sequence, a gap, a co-occurrence).
type Checker interface {
	Check(rec any, r *Reporter)
	Finish(r *Reporter)
}

// Reporter collects the alerts of one module.
type Reporter struct {
	module string
	emit   func(alert.Alert)
}

// NewReporter returns a Reporter for module that hands each alert to emit.
func NewReporter(module string, emit func(alert.Alert)) *Reporter {
	return &Reporter{module: module, emit: emit}
}

// Module returns the name of the module the reporter belongs to.
func (r *Reporter) Module() string { return r.module }

// Raise reports a.
func (r *Reporter) Raise(a alert.Alert) {
	a.Module = r.module
	r.emit(a)
}

// Heuristic describes a heuristic check once; Raise fills in the per-record parts.
type Heuristic struct {
	ID            string // e.g. "sms/threat-notification"
	Level         alert.Level
	Meaning       string
	FalsePositive string
	Advice        string
}

// Raise reports one finding of h about rec.
func (h Heuristic) Raise(r *Reporter, message string, t time.Time, rec any) {
	h.RaiseAt(r, h.Level, message, t, rec)
}

// RaiseAt is Raise with a level other than the heuristic's default.
func (h Heuristic) RaiseAt(r *Reporter, level alert.Level, message string, t time.Time, rec any) {
	r.Raise(alert.Alert{
		Level:         level,
		Message:       message,
		EventTime:     timefmt.TimeText{Time: t},
		Event:         rec,
		Check:         h.ID,
		Meaning:       h.Meaning,
		FalsePositive: h.FalsePositive,
		Advice:        h.Advice,
	})
}

// IOCAdvice is the next step suggested for every indicator match.
const IOCAdvice = "Keep the acquisition and this results folder unchanged. Look at the timeline around the event time for other traces " +
	"(new processes, redirects, unusual files). Indicator matches should be confirmed by an experienced analyst, for example " +
	"through a digital-security helpline such as Access Now's, before anyone is told the phone was compromised."

// hashWords explain a match of any file hash.
var hashWords = struct{ id, noun, meaning, fp string }{"ioc/file_hash", "file hash",
	"A file with this hash is listed in public indicators of the spyware named in the collection.",
	"A hash match is strong evidence; make sure the hash was computed on the evidence and not on a sample copied for analysis."}

// kindWords gives, per indicator kind, the noun used in messages, what a match means and
// how it can be innocent.
var kindWords = map[ioc.Kind]struct{ id, noun, meaning, fp string }{
	ioc.Domain: {"ioc/domain", "domain",
		"This domain is listed in public indicators of the spyware named in the collection. Its presence shows that the phone received, visited or contacted it; spyware operators use such domains to deliver exploits and to run their servers.",
		"A link forwarded by a journalist or researcher, a visit to a vendor's public website, or a domain later re-registered by someone unrelated can match. Check who sent it, whether it was opened, and what happened on the device right after."},
	ioc.URL: {"ioc/url", "URL",
		"This exact address is listed in public indicators of the spyware named in the collection, usually as an exploit or infection link.",
		"The same link may have been shared for research or reporting. Check whether it was opened and what happened on the device right after."},
	ioc.IP: {"ioc/ip", "IP address",
		"This address is listed in public indicators of the spyware named in the collection, usually as a server the spyware talks to.",
		"IP addresses are often reused: shared hosting, cloud and CDN addresses may have served innocent sites before or after the attack. Give more weight to matches close to the indicator's publication date."},
	ioc.Process: {"ioc/process", "process",
		"A process with this name is listed in public indicators of the spyware named in the collection; spyware often runs under names that imitate real iOS or Android daemons.",
		"Any app or extension can use the same name, and names are truncated by the system, so a name alone is weak evidence. Confirm with where the binary ran from, when it appeared, and what else happened at that time."},
	ioc.Email: {"ioc/email", "e-mail address",
		"This account is listed in public indicators of the spyware named in the collection; attackers use such accounts to send zero-click exploits over iMessage and other services.",
		"A message from the address is strong evidence of targeting, not of a successful infection. Look for new processes in the minutes after the event."},
	ioc.FileName: {"ioc/file_name", "file name",
		"A file with this name is listed in public indicators of the spyware named in the collection.",
		"Common file names can be reused by legitimate software; check the folder and the file's dates."},
	ioc.FilePath: {"ioc/file_path", "file path",
		"A file or folder at this path is listed in public indicators of the spyware named in the collection; spyware stages its files in such places.",
		"Some staging folders are also used by legitimate system updates; check the file's dates and contents."},
	ioc.FileMD5:         hashWords,
	ioc.FileSHA1:        hashWords,
	ioc.FileSHA256:      hashWords,
	ioc.AppID:           {"ioc/app_id", "app identifier", "An app with this identifier is listed in public indicators of the spyware or stalkerware named in the collection.", "Identifiers can be reused by unrelated apps; check the app's name, installer and signing certificate."},
	ioc.AppCertHash:     {"ioc/app_cert", "app signing certificate", "An app signed with this certificate is listed in public indicators of the spyware or stalkerware named in the collection.", "Certificate matches are strong evidence unless the certificate is a widely shared test or platform key."},
	ioc.ProfileID:       {"ioc/profile", "configuration profile", "A configuration profile with this identifier is listed in public indicators of the spyware named in the collection; profiles can change network, certificate and notification settings.", "Check who installed the profile and when; organisations install profiles for device management."},
	ioc.AndroidProperty: {"ioc/android_property", "system property", "A system property with this name is listed in public indicators of the spyware named in the collection.", "Vendors add their own properties; a property name alone is weak evidence."},
}

// Noun returns the word messages use for an indicator kind ("domain", "process"…).
func Noun(k ioc.Kind) string {
	if w, ok := kindWords[k]; ok {
		return w.noun
	}
	return string(k)
}

// Indicator reports a match of the index. where says in what the value was found, in a
// few words ("an SMS received from +15551234567"); observed is the value looked up.
func (r *Reporter) Indicator(level alert.Level, m *ioc.Match, observed, where string, t time.Time, rec any) {
	if m == nil || m.Indicator == nil {
		return
	}
	ind := m.Indicator
	words := kindWords[ind.Kind]
	collection, file := "", ""
	var ai alert.Indicator
	ai.Value = ind.Value
	ai.Type = string(ind.Kind)
	ai.ID = ind.ID
	ai.MatchedOn = m.Observed
	if len(m.All) > 1 {
		ai.OtherSources = len(m.All) - 1
	}
	if c := ind.Collection; c != nil {
		collection = c.Name
		ai.Name = c.Name
		ai.CollectionID = c.ID
		if c.File != nil {
			file = c.File.Name
			ai.STIX2FileName = c.File.Name
			ai.STIX2FilePath = c.File.Path
			ai.STIX2FileHash = c.File.SHA256
		}
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "Found a known suspicious %s %q", words.noun, observed)
	if m.Observed != "" && !strings.EqualFold(m.Observed, observed) {
		fmt.Fprintf(&msg, " (through %q)", m.Observed)
	}
	if where != "" {
		fmt.Fprintf(&msg, " in %s", where)
	}
	fmt.Fprintf(&msg, ", matching indicator %q", ind.Value)
	if collection != "" {
		fmt.Fprintf(&msg, " from %q", collection)
	}
	if file != "" {
		fmt.Fprintf(&msg, " (%s)", file)
	}
	r.Raise(alert.Alert{
		Level:         level,
		Message:       msg.String(),
		EventTime:     timefmt.TimeText{Time: t},
		Event:         rec,
		Indicator:     &ai,
		Check:         words.id,
		Meaning:       words.meaning,
		FalsePositive: words.fp,
		Advice:        IOCAdvice,
	})
}

// The helpers below look one observed value up in the index and report a match. Each
// returns whether it reported one. where and rec are as for [Reporter.Indicator].

// URL checks a URL (or a bare host) against URL, domain and IP indicators.
func (e *Env) URL(r *Reporter, level alert.Level, u, where string, t time.Time, rec any) bool {
	return e.report(r, level, e.Index.MatchURL(u), u, where, t, rec)
}

// Domain checks a host name or IP address.
func (e *Env) Domain(r *Reporter, level alert.Level, host, where string, t time.Time, rec any) bool {
	return e.report(r, level, e.Index.MatchHost(host), host, where, t, rec)
}

// Email checks an e-mail address (a "mailto:" prefix is accepted).
func (e *Env) Email(r *Reporter, level alert.Level, addr, where string, t time.Time, rec any) bool {
	return e.report(r, level, e.Index.MatchEmail(addr), addr, where, t, rec)
}

// Process checks a process name (or the path of its binary).
func (e *Env) Process(r *Reporter, level alert.Level, name, where string, t time.Time, rec any) bool {
	return e.report(r, level, e.Index.MatchProcess(name), name, where, t, rec)
}

// FilePath checks a file path against file-path indicators, then its base name against
// file-name indicators.
func (e *Env) FilePath(r *Reporter, level alert.Level, p, where string, t time.Time, rec any) bool {
	if e.report(r, level, e.Index.MatchFilePath(p), p, where, t, rec) {
		return true
	}
	return e.report(r, level, e.Index.MatchFileName(baseName(p)), p, where, t, rec)
}

// ProfileID checks a configuration-profile identifier or UUID.
func (e *Env) ProfileID(r *Reporter, level alert.Level, id, where string, t time.Time, rec any) bool {
	return e.report(r, level, e.Index.MatchProfileID(id), id, where, t, rec)
}

// AppID checks an app's bundle or package identifier.
func (e *Env) AppID(r *Reporter, level alert.Level, id, where string, t time.Time, rec any) bool {
	return e.report(r, level, e.Index.MatchAppID(id), id, where, t, rec)
}

func (e *Env) report(r *Reporter, level alert.Level, m *ioc.Match, observed, where string, t time.Time, rec any) bool {
	if m == nil {
		return false
	}
	r.Indicator(level, m, observed, where, t, rec)
	return true
}

func baseName(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
