package webkitsessionresourcelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// SuspiciousRedirect is raised for an entry with a top-frame redirect when its domain,
// or a domain it was redirected from or to, matched an indicator (MVT's warning "Found
// HTTP redirect between suspicious domains").
var SuspiciousRedirect = check.Heuristic{
	ID:    "webkit_session_resource_log/suspicious-redirect",
	Level: alert.High,
	Meaning: "WebKit recorded that the browser was sent from one site to another by a redirect, and a domain of this chain " +
		"is listed in public indicators of spyware. Exploits are often delivered this way: a link (a shortened URL in a " +
		"message) or an injected redirect on an unencrypted connection sends the browser on to the attacker's server. " +
		"Amnesty International documented such a network injection that sent a Moroccan journalist's visit to yahoo.fr " +
		"on to a Pegasus installation server (2020).",
	FalsePositive: "The redirect is only as suspicious as the indicator it matched: read the domain alert of the same entry. " +
		"Link shorteners, advertising networks and sign-in pages redirect all the time, so an ordinary site next to a listed " +
		"domain says nothing by itself; a listed domain later re-registered by someone unrelated, or a researcher or " +
		"journalist opening a reported link, leaves the same trace.",
	Advice: "Read the chain in the message: the SOURCE is usually the site the person meant to open, the ORIGIN and the " +
		"DESTINATION where the browser was sent. Look for the same domains in Safari's history and in the timeline around " +
		"the last-seen date (crashes, new processes), ask the person whether they remember the link or the site and which " +
		"network they were on, and keep the acquisition unchanged for an experienced analyst.",
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. spytrace writes a list of entries, each a
// record; MVT writes one object mapping each log's path to its entries, which is read
// as one record holding every entry (with its log's path as File).
func (m *Module) DecodeRecord(data []byte) (any, error) {
	var probe struct {
		Origin any `json:"origin"`
	}
	if err := json.Unmarshal(data, &probe); err != nil && !module.IsFieldTypeError(err) {
		return nil, err
	}
	if _, ok := probe.Origin.(string); ok {
		return module.Decode[Entry](data)
	}
	logs, err := decodeMVTLogs(data)
	if logs == nil {
		return nil, err // not a nil *mvtLogs in an interface: the caller must see no record
	}
	return logs, err
}

// mvtLogs is MVT's form of the results, read back: the entries of every log.
type mvtLogs struct {
	entries []*Entry
}

// decodeMVTLogs reads MVT's {path: [entry, …], …} object, in the file's order.
func decodeMVTLogs(data []byte) (*mvtLogs, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("neither an entry nor an object of logs")
	}
	logs := &mvtLogs{}
	var typeErr error
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		file, _ := tok.(string)
		// Entries are read one by one, so that one with a field of the wrong type
		// does not stop the reading of the others.
		var raws []json.RawMessage
		if err := dec.Decode(&raws); err != nil {
			if !module.IsFieldTypeError(err) {
				return nil, err
			}
			if typeErr == nil {
				typeErr = err
			}
		}
		for _, raw := range raws {
			if string(bytes.TrimSpace(raw)) == "null" {
				continue
			}
			e := &Entry{}
			if err := json.Unmarshal(raw, e); err != nil {
				if !module.IsFieldTypeError(err) {
					return nil, err
				}
				if typeErr == nil {
					typeErr = err
				}
			}
			if e.File == "" {
				e.File = file
			}
			logs.entries = append(logs.entries, e)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return logs, typeErr
}

type checker struct{ env *check.Env }

// defaultFile is Safari's log; other files are named in messages.
const defaultFile = "AppDomain-com.apple.mobilesafari/" + RelativePath

// Check looks every domain of the entry up (CRITICAL, once per domain), then raises
// SuspiciousRedirect when the origin or a redirect partner matched and the entry has a
// redirect.
func (c *checker) Check(rec any, r *check.Reporter) {
	switch v := rec.(type) {
	case *Entry:
		c.check(v, r)
	case *mvtLogs:
		for _, e := range v.entries {
			c.check(e, r)
		}
	}
}

// check judges one entry.
func (c *checker) check(e *Entry, r *check.Reporter) {
	seen := map[string]bool{}
	chainHit := false
	look := func(d, role string, inChain bool) {
		key := strings.ToLower(strings.TrimSpace(d))
		if key == "" || seen[key] {
			return
		}
		seen[key] = true
		if c.env.Domain(r, alert.Critical, d, where(e, role), e.LastSeen.Time, e) && inChain {
			chainHit = true
		}
	}
	origin := fmt.Sprintf("%q", e.Origin)
	look(e.Origin, "", true)
	for _, l := range []struct {
		refs    []Ref
		role    string
		inChain bool
	}{
		{e.RedirectSource, "as a domain whose pages redirected the browser to " + origin, true},
		{e.RedirectDestination, "as a domain the pages of " + origin + " redirected the browser to", true},
		{e.SubframeUnderOrigin, "as a site under which " + origin + " was loaded as a frame", false},
		{e.SubresourceUnderOrigin, "as a site under which " + origin + " was loaded as a resource", false},
		{e.SubresourceRedirectsFrom, "as a domain whose resources were redirected to " + origin, false},
		{e.SubresourceRedirectsTo, "as a domain resources of " + origin + " were redirected to", false},
	} {
		for _, ref := range l.refs {
			look(ref.Name(), l.role, l.inChain)
		}
	}
	if chainHit && (len(e.RedirectSource) > 0 || len(e.RedirectDestination) > 0) {
		SuspiciousRedirect.Raise(r, "HTTP redirect between suspicious domains: "+chain(e)+inFile(e), e.LastSeen.Time, e)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// chain writes the redirect chain as MVT does:
// SOURCE: "a", "b" → ORIGIN: "c" → DESTINATION: "d".
func chain(e *Entry) string {
	var b strings.Builder
	quoted := func(refs []Ref) string {
		q := make([]string, len(refs))
		for i, r := range refs {
			q[i] = fmt.Sprintf("%q", r.Name())
		}
		return strings.Join(q, ", ")
	}
	if len(e.RedirectSource) > 0 {
		b.WriteString("SOURCE: " + quoted(e.RedirectSource) + " → ")
	}
	fmt.Fprintf(&b, "ORIGIN: %q", e.Origin)
	if len(e.RedirectDestination) > 0 {
		b.WriteString(" → DESTINATION: " + quoted(e.RedirectDestination))
	}
	return b.String()
}

// where says where a domain was found, for indicator alerts.
func where(e *Entry, role string) string {
	s := "WebKit's session resource log"
	if role != "" {
		s += ", " + role
	}
	var notes []string
	if e.File != defaultFile {
		notes = append(notes, e.File)
	}
	if !e.LastSeen.IsZero() {
		notes = append(notes, "last seen "+e.LastSeen.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

func inFile(e *Entry) string {
	if e.File == defaultFile {
		return ""
	}
	return " in " + e.File
}
