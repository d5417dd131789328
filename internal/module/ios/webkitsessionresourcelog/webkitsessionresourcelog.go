// Package webkitsessionresourcelog reads WebKit's browsing-session resource log,
// full_browsing_session_resourceLog.plist: the resource-load statistics WebKit kept in
// a property list before observations.db replaced it (around iOS 14), one entry per
// registrable domain a browsing session met, with the domains that redirected to it and
// that it redirected to. Phones updated since may still hold the old file.
//
// # Artifact
//
// Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist
// of the app that embeds WebKit: AppDomain-com.apple.mobilesafari for Safari in a
// backup (/private/var/mobile/Containers/Data/Application/<UUID>/Library/WebKit/WebsiteData/ResourceLoadStatistics/
// on the phone), and the same path in any other domain. SafariViewService copies
// (SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/) and web clips
// (HomeDomain/Library/WebClips/<id>/Storage/, /private/var/mobile/Library/WebClips/ on
// the phone), where MVT also looks in file-system dumps, are read too.
//
// The plist is WebKit's KeyedEncoder output: a dictionary with version (the statistics
// model), browsingStatistics (an array of dictionaries, one per domain) and
// operatingDates. Entry keys depend on the model. Models 11 to 14 have
// PrevalentResourceOrigin, subframeUnderTopFrameOrigins and
// subresourceUnderTopFrameOrigins, and domain lists of {origin, count} dictionaries;
// models 15 and later have PrevalentResourceDomain, subframeUnderTopFrameDomains and
// subresourceUnderTopFrameDomains, and lists of {domain} dictionaries. Both have
// topFrameUniqueRedirectsFrom, topFrameUniqueRedirectsTo,
// subresourceUniqueRedirectsTo/From, hadUserInteraction, isPrevalentResource and
// isVeryPrevalentResource. Every model is read.
//
// Time base: lastSeen and mostRecentUserInteraction are Unix seconds as a real number
// (WallTime::secondsSinceEpoch); 0 means never. A plist date is accepted as well.
//
// # Records
//
// One [Entry] per browsingStatistics entry, in file order, files in path order, with
// MVT's keys (origin, redirect_source, redirect_destination, subframe_under_origin,
// subresource_under_origin, user_interaction, most_recent_interaction, last_seen)
// plus file (the plist's path in the backup), subresource_redirects_to,
// subresource_redirects_from, is_prevalent and is_very_prevalent. MVT's results are a
// dictionary from file path to a list of entries; spytrace writes a list, each entry
// naming its file. Domain lists keep the dictionaries of the file ({origin, count} or
// {domain}), as MVT does, so MVT's readers understand them.
//
// # MVT
//
// This is MVT's WebkitSessionResourceLog module (slug webkit_session_resource_log).
// Differences, all fixes:
//   - model 15 and later files are understood: MVT reads only PrevalentResourceOrigin
//     and the *Origins keys, so it finds no origin, subframe or subresource there;
//   - lastSeen and mostRecentUserInteraction are read as the Unix-seconds numbers
//     WebKit writes (MVT formats them as if they were plist dates, which fails on real
//     files), and a missing key gives a null date instead of an exception;
//   - subframe, subresource and subresource-redirect domains are checked against
//     indicators too (MVT collects them but leaves the check commented out);
//   - the suspicious-redirect finding is an alert, not only a log line, and is raised
//     only for an entry that has a redirect.
package webkitsessionresourcelog

import (
	"context"
	"fmt"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug, MVT's.
const Name = "webkit_session_resource_log"

// FileName is the log's file name; RelativePath its path inside an app's domain.
const (
	FileName     = "full_browsing_session_resourceLog.plist"
	RelativePath = "Library/WebKit/WebsiteData/ResourceLoadStatistics/" + FileName
)

// Module reads the session resource logs.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Checkable = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "WebkitSessionResourceLog",
		Version:     1,
		Description: "Domains met by WebKit browsing sessions, with redirects between them (full_browsing_session_resourceLog.plist)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths: []string{
			"*/" + RelativePath,
			"*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/" + FileName,
			"*/Library/WebClips/*/Storage/" + FileName,
		},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*Entry, []string, error) { return parse(data, name) })
}

// maxProblems bounds the problems one file may report.
const maxProblems = 20

// parse decodes one log into entries, with the problems of entries it could only read
// in part. An error means the file is not a session resource log.
func parse(data []byte, file string) ([]*Entry, []string, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, nil, err
	}
	top, ok := plistx.AsMap(v)
	if !ok {
		return nil, nil, fmt.Errorf("top level is %s, want a dictionary", kindOf(v))
	}
	stats, ok := top["browsingStatistics"].([]any)
	if !ok {
		if _, present := top["browsingStatistics"]; present {
			return nil, nil, fmt.Errorf("browsingStatistics is %s, want an array", kindOf(top["browsingStatistics"]))
		}
		return nil, nil, fmt.Errorf("no browsingStatistics array: not a WebKit session resource log")
	}
	var problems []string
	problem := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		} else if len(problems) == maxProblems {
			problems = append(problems, "further problems omitted")
		}
	}
	entries := make([]*Entry, 0, len(stats))
	for i, item := range stats {
		m, ok := plistx.AsMap(item)
		if !ok {
			problem("entry %d is %s, not a dictionary", i+1, kindOf(item))
			continue
		}
		entries = append(entries, entry(m, file, i+1, problem))
	}
	return entries, problems, nil
}

// entry builds the record of one browsingStatistics dictionary (n is its position).
func entry(m map[string]any, file string, n int, problem func(string, ...any)) *Entry {
	e := &Entry{File: file}
	e.Origin = text(m, "PrevalentResourceDomain")
	if e.Origin == "" {
		e.Origin = text(m, "PrevalentResourceOrigin")
	}
	who := fmt.Sprintf("entry %d (%s)", n, e.Origin)
	lists := []struct {
		keys []string
		dst  *[]Ref
	}{
		{[]string{"topFrameUniqueRedirectsFrom"}, &e.RedirectSource},
		{[]string{"topFrameUniqueRedirectsTo"}, &e.RedirectDestination},
		{[]string{"subframeUnderTopFrameDomains", "subframeUnderTopFrameOrigins"}, &e.SubframeUnderOrigin},
		{[]string{"subresourceUnderTopFrameDomains", "subresourceUnderTopFrameOrigins"}, &e.SubresourceUnderOrigin},
		{[]string{"subresourceUniqueRedirectsTo"}, &e.SubresourceRedirectsTo},
		{[]string{"subresourceUniqueRedirectsFrom"}, &e.SubresourceRedirectsFrom},
	}
	for _, l := range lists {
		*l.dst = []Ref{}
		for _, k := range l.keys {
			raw, present := m[k]
			if !present {
				continue
			}
			refs, bad := refsOf(raw)
			*l.dst = append(*l.dst, refs...)
			if bad != "" {
				problem("%s: %s %s", who, k, bad)
			}
		}
	}
	if b, ok := plistx.Bool(m, "hadUserInteraction"); ok {
		e.UserInteraction = &b
	}
	for _, p := range []struct {
		key string
		dst **bool
	}{{"isPrevalentResource", &e.IsPrevalent}, {"isVeryPrevalentResource", &e.IsVeryPrevalent}} {
		if b, ok := plistx.Bool(m, p.key); ok {
			*p.dst = &b
		}
	}
	var ok bool
	if e.LastSeen, ok = date(m, "lastSeen"); !ok {
		problem("%s: lastSeen is %s, not a time", who, kindOf(m["lastSeen"]))
	}
	if e.MostRecentInteraction, ok = date(m, "mostRecentUserInteraction"); !ok {
		problem("%s: mostRecentUserInteraction is %s, not a time", who, kindOf(m["mostRecentUserInteraction"]))
	}
	return e
}

// refsOf reads a domain list: an array of {origin, count} or {domain} dictionaries
// (plain strings are accepted as domains). bad describes what could not be read.
func refsOf(raw any) (refs []Ref, bad string) {
	list, ok := raw.([]any)
	if !ok {
		return nil, "is " + kindOf(raw) + ", not an array"
	}
	skipped := 0
	for _, item := range list {
		switch x := item.(type) {
		case string:
			refs = append(refs, Ref{Domain: safetext.EscapeInvalid(x)})
		case map[string]any:
			r := Ref{Origin: text(x, "origin"), Domain: text(x, "domain")}
			if c, ok := plistx.Int(x, "count"); ok {
				r.Count = &c
			}
			if r.Origin == "" && r.Domain == "" {
				skipped++
				continue
			}
			refs = append(refs, r)
		default:
			skipped++
		}
	}
	if skipped > 0 {
		bad = fmt.Sprintf("has %d item(s) without a domain", skipped)
	}
	return refs, bad
}

// date reads a time key: Unix seconds as a number (WebKit), or a plist date. ok is
// false when the key holds something else; an absent key, 0 or -1 give the zero time.
func date(m map[string]any, key string) (timefmt.Time, bool) {
	switch v := m[key].(type) {
	case nil:
		return timefmt.Time{}, true
	case time.Time:
		if !timefmt.Valid(v) {
			return timefmt.Time{}, true
		}
		return timefmt.Of(v.UTC()), true
	}
	if f, ok := plistx.Float(m, key); ok {
		return timefmt.Of(timefmt.FromUnix(f)), true
	}
	return timefmt.Time{}, false
}

// text returns a string key, with invalid UTF-8 escaped.
func text(m map[string]any, key string) string {
	return safetext.EscapeInvalid(plistx.String(m, key))
}

// kindOf names the plist type of a decoded value, for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "absent"
	case map[string]any:
		return "a dictionary"
	case []any:
		return "an array"
	case string:
		return "a string"
	case int64, uint64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []byte:
		return "data"
	case time.Time:
		return "a date"
	}
	return fmt.Sprintf("%T", v)
}
