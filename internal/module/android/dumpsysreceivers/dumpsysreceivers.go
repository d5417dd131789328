// Package dumpsysreceivers reads the broadcast receivers of an Android bug report: the
// "Receiver Resolver Table:" → "Non-Data Actions:" part of the `dumpsys package`
// section (@sections/dumpsys/package; on the device, `dumpsys package`), which lists,
// under each broadcast action, the "<hash> <package>/<class>" receivers registered for
// it in app manifests. It has no dates.
//
// Action headers are recognised by their shape (one word ending in ":"), not by their
// indentation, which MVT has to special-case; the part ends at the table's next part or
// the next table. The parser is dumpsyspackages.ParseResolverTable, shared with
// dumpsys_activities and reusable on androidqf's dumpsys.txt.
//
// It corresponds to MVT's DumpsysReceivers module. MVT's records are a dict of intent →
// receivers; here each receiver is one record {intent, package_name, receiver}. MVT
// only logs receivers of the SMS and call broadcasts; spytrace raises them as alerts
// (dumpsys_receivers/sms-call-interception), and, to tell the phone's own apps apart,
// reads the SYSTEM flag of each package from the "Packages:" block of the same section
// (extra key system: true, false, or null when the package is not listed).
//
// Levels: MEDIUM for an app that is neither a system app nor a known default SMS,
// dialer or telephony app, receiving NEW_OUTGOING_SMS, SMS_RECEIVED,
// DATA_SMS_RECEIVED or NEW_OUTGOING_CALL; LOW for PHONE_STATE alone, because many
// ordinary apps (music and video players that pause during calls, VoIP and caller-ID
// apps) listen to it. System apps, the known default apps (heuristics.
// DefaultCommunicationApps) and, only when the package list does not say whether the
// app is a system app, names in the com.android. and com.google.android. name spaces
// are not reported: a name alone can be chosen by any app, so the SYSTEM flag, which
// an app cannot give itself without root, decides whenever it is known.
package dumpsysreceivers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/heuristics"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsyspackages"
)

// Name is the module's slug.
const Name = "dumpsys_receivers"

// Record is one receiver registered for one broadcast action. intent, package_name and
// receiver are MVT's keys; system is spytrace's.
type Record struct {
	Intent      string `json:"intent"`
	PackageName string `json:"package_name"`
	Receiver    string `json:"receiver"`
	// System says whether the package has the SYSTEM flag in the package list; null
	// when the package is not listed there.
	System *bool `json:"system"`
}

// Module reads the receiver table.
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
		Class:       "DumpsysReceivers",
		Version:     1,
		Description: "Broadcast receivers registered by apps, SMS and call interception (dumpsys package)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{dumpsyspackages.Section},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*Record, []string, error) {
		return Parse(data), nil, nil
	})
}

// Parse reads the receivers of a `dumpsys package` section.
func Parse(section []byte) []*Record {
	system, listed := dumpsyspackages.SystemPackages(section)
	entries := dumpsyspackages.ParseResolverTable(section, dumpsyspackages.ReceiverTable)
	recs := make([]*Record, len(entries))
	for i, e := range entries {
		r := &Record{Intent: e.Intent, PackageName: e.PackageName, Receiver: e.Component}
		if listed[e.PackageName] {
			s := system[e.PackageName]
			r.System = &s
		}
		recs[i] = r
	}
	return recs
}

// Interception is raised for an app that receives SMS or call broadcasts.
var Interception = check.Heuristic{
	ID:    "dumpsys_receivers/sms-call-interception",
	Level: alert.Medium,
	Meaning: "This app has registered to be told by Android of SMS messages sent or received, or of calls, with the " +
		"content of the message or the phone number. Stalkerware and banking trojans register for these broadcasts to copy " +
		"messages and one-time codes and to log calls; the phone's own messaging and phone apps are not reported.",
	FalsePositive: "An SMS app the owner chose as default (Signal, Textra, QKSMS…), call blockers and caller-ID apps " +
		"(Truecaller…), call recorders, VoIP apps, and apps that pause music during calls (phone-state only) register for " +
		"these broadcasts legitimately; vendor apps missing from spytrace's list of default apps can also appear.",
	Advice: "Check that the owner knows the app and uses it for messages or calls. An unknown app, or one installed outside " +
		"an app store (see dumpsys_packages), that reads SMS is a strong lead: keep the acquisition and have an experienced " +
		"analyst examine the app before it is removed, and advise the owner that SMS codes may have been read.",
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. It reads a spytrace record (one receiver)
// or MVT's dumpsys_receivers.json, a single object of intent → [{package_name,
// receiver}], which it returns as the Receivers it holds, in the file's order (system
// unknown).
func (m *Module) DecodeRecord(data []byte) (any, error) {
	var probe struct {
		Intent, PackageName json.RawMessage
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	if isString(probe.Intent) || isString(probe.PackageName) {
		return module.Decode[Record](data)
	}
	return decodeMVT(data)
}

// Receivers are the receivers of one MVT dumpsys_receivers.json object.
type Receivers []*Record

func isString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }

// decodeMVT reads MVT's intent → receivers object, keeping its order. An intent whose
// value is not a list of receivers is left out, with a *json.UnmarshalTypeError.
func decodeMVT(data []byte) (Receivers, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out Receivers
	var typeErr error
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		intent, _ := tok.(string)
		var list []struct {
			PackageName string `json:"package_name"`
			Receiver    string `json:"receiver"`
		}
		if err := dec.Decode(&list); err != nil {
			if !module.IsFieldTypeError(err) {
				return nil, err
			}
			typeErr = err
		}
		for _, e := range list {
			out = append(out, &Record{Intent: intent, PackageName: e.PackageName, Receiver: e.Receiver})
		}
	}
	return out, typeErr
}

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	switch rec := v.(type) {
	case *Record:
		c.check(rec, r)
	case Receivers:
		for _, one := range rec {
			c.check(one, r)
		}
	}
}

func (c *checker) check(rec *Record, r *check.Reporter) {
	c.env.AppID(r, alert.Critical, rec.PackageName, fmt.Sprintf("a receiver of %s (%s)", rec.Intent, rec.Receiver), zero, rec)
	what, ok := heuristics.InterceptionIntents[rec.Intent]
	if !ok || Expected(rec.PackageName, rec.System) {
		return
	}
	level := Interception.Level
	if rec.Intent == heuristics.IntentPhoneState {
		level = alert.Low
	}
	Interception.RaiseAt(r, level, fmt.Sprintf("Found a receiver to %s: %q of %s", what, rec.Receiver, describe(rec)), zero, rec)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// zero is the time of alerts: receivers have no date.
var zero time.Time

// Expected says whether a package receiving SMS or call broadcasts is one of the
// phone's own: a system app, a known default app, or (system unknown) a platform name.
func Expected(pkg string, system *bool) bool {
	if heuristics.DefaultCommunicationApps[pkg] {
		return true
	}
	if system != nil {
		return *system
	}
	return heuristics.IsPlatformName(pkg)
}

func describe(rec *Record) string {
	switch {
	case rec.System == nil:
		return "a package missing from the package list"
	case *rec.System:
		return "the system app " + rec.PackageName
	}
	return "the app " + rec.PackageName + ", not a system app"
}
