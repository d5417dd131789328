package stixexport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/engine"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/stixexport"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// demoFolder runs every iOS backup module on the demo backup with the demo indicators
// (once per test binary), with the acquisition facts a check of a backup records, and
// returns the results folder read back.
var demoFolder = sync.OnceValues(func() (*results.Folder, error) {
	root, err := os.MkdirTemp("", "spytrace-stixexport-test-")
	if err != nil {
		return nil, err
	}
	demoRoot = root
	d, err := fixture.BuildDemo(root)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	b, err := iosbackup.Open(ctx, d.Backup, iosbackup.Options{TempDir: root})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	facts := map[string]any{"kind": string(b.Kind())}
	lockdown, _ := b.Manifest["Lockdown"].(map[string]any)
	for _, k := range []string{"ProductType", "ProductVersion", "DeviceName", "SerialNumber", "UniqueDeviceID"} {
		facts[k] = lockdown[k]
	}
	ix, _, err := ioc.Load([]string{d.Indicators}, ioc.LoadOptions{})
	if err != nil {
		return nil, err
	}
	out := filepath.Join(root, "results")
	dir, err := results.Create(out, false)
	if err != nil {
		return nil, err
	}
	_, err = engine.Run(ctx, engine.Config{
		Acquisition: b,
		Modules:     list.ForKind(acquire.IOSBackup),
		Index:       ix,
		Results:     dir,
		Info: results.Info{Tool: "spytrace", Version: "1.2.3", Command: "ios check-backup", TargetPath: d.Backup,
			Acquisition: facts, Date: "2026-03-04 10:00:00.123456"},
		TempDir: root,
	})
	if err != nil {
		return nil, err
	}
	return results.Load(out)
})

var demoRoot string

func TestMain(m *testing.M) {
	code := m.Run()
	if demoRoot != "" {
		os.RemoveAll(demoRoot)
	}
	os.Exit(code)
}

// The rules of STIX 2.1 (OASIS Standard, 10 June 2021) checked by validate.
var (
	// Section 2.9: "<type>--<UUID>", an RFC 4122 UUID (the OASIS schemas' pattern).
	idRE = regexp.MustCompile(`^([a-z][a-z0-9-]+[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	// Sections 2.15 and 3.2: RFC 3339, UTC with "Z"; spytrace writes milliseconds.
	timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	// Section 10: identity-class-ov.
	identityClasses = []string{"individual", "group", "system", "organization", "class", "unknown"}
	// Section 4: the STIX Domain Objects a sighting_of_ref may name.
	sdoTypes = []string{"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
		"infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data", "opinion",
		"report", "threat-actor", "tool", "vulnerability"}
)

type object = map[string]any

// validate checks a bundle against the rules of the specification that apply to what
// spytrace writes (see check), failing the test on each problem, and returns its
// objects in order.
func validate(t *testing.T, data []byte) []object {
	t.Helper()
	objs, problems := check(data)
	for _, p := range problems {
		t.Error(p)
	}
	if objs == nil {
		t.FailNow()
	}
	return objs
}

// check returns the objects of a bundle and every rule of STIX 2.1 it breaks among
// those that apply to spytrace's bundles; objs is nil when the bundle cannot be read.
func check(data []byte) (objs []object, problems []string) {
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var b map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return nil, []string{fmt.Sprintf("the bundle is not a JSON object: %v", err)}
	}
	// Section 8: type "bundle", an id, objects (one or more); no spec_version in 2.1.
	if b["type"] != "bundle" {
		errorf("bundle type %v", b["type"])
	}
	if m := idRE.FindStringSubmatch(str(b["id"])); m == nil || m[1] != "bundle" {
		errorf("bundle id %v", b["id"])
	}
	if _, ok := b["spec_version"]; ok {
		errorf("a STIX 2.1 bundle has no spec_version")
	}
	list, ok := b["objects"].([]any)
	if !ok || len(list) == 0 {
		return nil, append(problems, fmt.Sprintf("objects = %#v, want one or more", b["objects"]))
	}
	byID := map[string]object{}
	timestamp := func(o object, key string, required bool) time.Time {
		v, present := o[key]
		if !present {
			if required {
				errorf("%s: missing %s", o["id"], key)
			}
			return time.Time{}
		}
		s := str(v)
		when, err := time.Parse(time.RFC3339Nano, s)
		if !timeRE.MatchString(s) || err != nil {
			errorf("%s: %s %q is not an RFC 3339 UTC timestamp with milliseconds (%v)", o["id"], key, s, err)
		}
		return when
	}
	for i, v := range list {
		o, ok := v.(object)
		if !ok {
			errorf("object %d is %T", i, v)
			continue
		}
		objs = append(objs, o)
		typ, id := str(o["type"]), str(o["id"])
		// Section 3.2: type, spec_version, id, created and modified are required.
		if m := idRE.FindStringSubmatch(id); m == nil || m[1] != typ {
			errorf("object %d: id %q is not a %s identifier", i, id, typ)
		}
		if _, dup := byID[id]; dup {
			errorf("id %s is used twice", id)
		}
		byID[id] = o
		if o["spec_version"] != "2.1" {
			errorf("%s: spec_version %v", id, o["spec_version"])
		}
		created, modified := timestamp(o, "created", true), timestamp(o, "modified", true)
		if modified.Before(created) {
			errorf("%s: modified %v before created %v", id, modified, created)
		}
		switch typ {
		case "identity": // section 4.5
			if str(o["name"]) == "" {
				errorf("%s: identity without a name", id)
			}
			if c, ok := o["identity_class"]; ok && !slices.Contains(identityClasses, str(c)) {
				errorf("%s: identity_class %v is not in identity-class-ov", id, c)
			}
		case "indicator": // section 4.7
			if str(o["pattern"]) == "" || o["pattern_type"] != "stix" {
				errorf("%s: pattern %v, pattern_type %v", id, o["pattern"], o["pattern_type"])
			}
			timestamp(o, "valid_from", true)
		case "sighting": // section 5.2
			num, _ := o["count"].(json.Number)
			n, err := num.Int64()
			if err != nil || n < 1 || n > 999_999_999 {
				errorf("%s: count %v", id, o["count"])
			}
			first, last := timestamp(o, "first_seen", false), timestamp(o, "last_seen", false)
			if (first.IsZero()) != (last.IsZero()) || last.Before(first) {
				errorf("%s: first_seen %v, last_seen %v", id, o["first_seen"], o["last_seen"])
			}
			if refs, ok := o["where_sighted_refs"].([]any); !ok || len(refs) == 0 {
				errorf("%s: where_sighted_refs %v", id, o["where_sighted_refs"])
			}
		default:
			errorf("%s: unexpected object type %q", id, typ)
		}
	}
	// References resolve to objects of the bundle, of the types allowed.
	ref := func(from object, key, to string, allowed []string) {
		o, ok := byID[to]
		switch {
		case !ok:
			errorf("%s: %s %q is not in the bundle", from["id"], key, to)
		case !slices.Contains(allowed, str(o["type"])):
			errorf("%s: %s %q is a %v, want one of %v", from["id"], key, to, o["type"], allowed)
		}
	}
	for _, o := range objs {
		if v, ok := o["created_by_ref"]; ok {
			ref(o, "created_by_ref", str(v), []string{"identity"})
		}
		if o["type"] == "sighting" {
			ref(o, "sighting_of_ref", str(o["sighting_of_ref"]), sdoTypes)
			refs, _ := o["where_sighted_refs"].([]any)
			for _, r := range refs {
				ref(o, "where_sighted_refs", str(r), []string{"identity", "location"})
			}
		}
	}
	return objs, problems
}

// TestCheckCatches shows that check is not vacuous: each broken rule of a valid
// bundle is reported.
func TestCheckCatches(t *testing.T) {
	f := folder(t, info, []alert.Alert{matched("sms", "domains", "evil.example", "", at(0)), matched("sms", "domains", "evil.example", "", at(time.Hour))})
	var buf bytes.Buffer
	if _, err := stixexport.Write(&buf, f, stixexport.Options{}); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	if _, problems := check([]byte(good)); len(problems) != 0 {
		t.Fatalf("the valid bundle: %v", problems)
	}
	objs, _ := check([]byte(good))
	ind, sight := str(objs[2]["id"]), str(objs[3]["id"])
	for _, tc := range []struct{ name, old, new, want string }{
		{"bundle spec_version", `"type": "bundle",`, `"type": "bundle", "spec_version": "2.1",`, "no spec_version"},
		{"object spec_version", `"spec_version": "2.1",`, `"spec_version": "2.0",`, "spec_version 2.0"},
		{"id type", `"id": "` + ind, `"id": "malware--` + strings.TrimPrefix(ind, "indicator--"), "not a indicator identifier"},
		{"id uuid", `"id": "` + sight, `"id": "sighting--1234`, "not a sighting identifier"},
		{"timestamp", `"created": "2026-03-04T10:00:00.000Z"`, `"created": "2026-03-04 10:00:00"`, "not an RFC 3339"},
		{"precision", `"modified": "2026-03-04T10:00:00.000Z"`, `"modified": "2026-03-04T10:00:00Z"`, "milliseconds"},
		{"dangling ref", `"sighting_of_ref": "` + ind, `"sighting_of_ref": "indicator--00000000-0000-4000-8000-000000000000`, "not in the bundle"},
		{"wrong ref type", `"sighting_of_ref": "` + ind, `"sighting_of_ref": "` + sight, "is a sighting"},
		{"count", `"count": 2`, `"count": 0`, "count 0"},
		{"seen order", `"first_seen": "2026-03-01T08:00:00.123Z"`, `"first_seen": "2026-03-02T08:00:00.123Z"`, "first_seen"},
		{"pattern type", `"pattern_type": "stix"`, `"pattern_type": "snort"`, "pattern_type snort"},
		{"identity class", `"identity_class": "system"`, `"identity_class": "phone"`, "identity-class-ov"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(good, tc.old, tc.new, 1)
			if bad == good {
				t.Fatalf("%q is not in the bundle", tc.old)
			}
			_, problems := check([]byte(bad))
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("problems %v, want one saying %q", problems, tc.want)
			}
		})
	}
}

func str(v any) string { s, _ := v.(string); return s }

// loaded is one indicator value read back by spytrace's own STIX loader.
type loaded struct{ ID, Kind, Value string }

// load reads a bundle back with ioc.Load and returns every indicator value, sorted;
// a warning fails the test.
func load(t *testing.T, data []byte) []loaded {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.stix2")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ix, _, err := ioc.Load([]string{path}, ioc.LoadOptions{Warn: func(w ioc.Warning) { t.Errorf("loading the bundle: %s", w) }})
	if err != nil {
		t.Fatal(err)
	}
	var out []loaded
	for _, k := range ioc.Kinds {
		for _, ind := range ix.Indicators(k) {
			out = append(out, loaded{ind.ID, string(k), ind.Value})
		}
	}
	slices.SortFunc(out, func(a, b loaded) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}

func write(t *testing.T, f *results.Folder, opts stixexport.Options) ([]byte, stixexport.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := stixexport.Write(&buf, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if _, err := stixexport.Write(&again, f, opts); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("a second write differs (error %v)", err)
	}
	return buf.Bytes(), st
}

func ofType(objs []object, typ string) []object {
	var out []object
	for _, o := range objs {
		if o["type"] == typ {
			out = append(out, o)
		}
	}
	return out
}

func TestDemoFolder(t *testing.T) {
	f, err := demoFolder()
	if err != nil {
		t.Fatal(err)
	}
	data, st := write(t, f, stixexport.Options{})
	objs := validate(t, data)

	// What the alerts say was matched: each indicator id once, with its values, counts
	// and event times.
	type want struct {
		values      []loaded
		count       int
		first, last time.Time
		modules     []string
	}
	wants := map[string]*want{}
	matches := 0
	for _, a := range f.Alerts {
		ind := a.Indicator
		if ind == nil {
			continue
		}
		matches++
		if !strings.HasPrefix(ind.ID, "indicator--") {
			t.Fatalf("the demo's alert has no indicator id: %+v", ind)
		}
		w := wants[ind.ID]
		if w == nil {
			w = &want{}
			wants[ind.ID] = w
		}
		if v := (loaded{ind.ID, ind.Type, ind.Value}); !slices.Contains(w.values, v) {
			w.values = append(w.values, v)
		}
		w.count++
		if at := a.Time(); !at.IsZero() {
			if w.first.IsZero() || at.Before(w.first) {
				w.first = at
			}
			if at.After(w.last) {
				w.last = at
			}
		}
		if !slices.Contains(w.modules, a.Module) {
			w.modules = append(w.modules, a.Module)
		}
	}
	if len(wants) < 5 {
		t.Fatalf("the demo matched %d indicators, want several", len(wants))
	}
	if want := (stixexport.Stats{Indicators: len(wants), Sightings: len(wants), Matches: matches}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}

	// The indicators round-trip through spytrace's own loader, under the feed's ids.
	var wantValues []loaded
	for _, w := range wants {
		wantValues = append(wantValues, w.values...)
	}
	slices.SortFunc(wantValues, func(a, b loaded) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	if diff := cmp.Diff(wantValues, load(t, data)); diff != "" {
		t.Errorf("indicators loaded back (-want +got):\n%s", diff)
	}

	identities := ofType(objs, "identity")
	if len(identities) != 2 || identities[0]["name"] != "spytrace" {
		t.Fatalf("identities: %v", identities)
	}
	device := identities[1]
	if device["name"] != "iPhone14,2 examined on 2026-03-04" || device["identity_class"] != "system" ||
		device["created"] != "2026-03-04T10:00:00.123Z" || device["created_by_ref"] != identities[0]["id"] {
		t.Errorf("device identity: %v", device)
	}
	sightings := ofType(objs, "sighting")
	if len(sightings) != len(wants) {
		t.Fatalf("%d sightings, want %d", len(sightings), len(wants))
	}
	for _, s := range sightings {
		w := wants[str(s["sighting_of_ref"])]
		if w == nil {
			t.Errorf("sighting of %v, which no alert matched", s["sighting_of_ref"])
			continue
		}
		refs := s["where_sighted_refs"].([]any)
		if n, _ := s["count"].(json.Number).Int64(); int(n) != w.count || len(refs) != 1 || refs[0] != device["id"] {
			t.Errorf("sighting %v: count %v (want %d), where sighted %v", s["id"], s["count"], w.count, refs)
		}
		ms := func(at time.Time) string { return at.UTC().Truncate(time.Millisecond).Format(stixexport.TimeLayout) }
		if !w.first.IsZero() && (s["first_seen"] != ms(w.first) || s["last_seen"] != ms(w.last)) {
			t.Errorf("sighting %v: seen %v to %v, want %s to %s", s["id"], s["first_seen"], s["last_seen"], ms(w.first), ms(w.last))
		}
		for _, m := range w.modules {
			if !strings.Contains(str(s["description"]), m) {
				t.Errorf("sighting %v: description %q does not name module %s", s["id"], s["description"], m)
			}
		}
	}

	// Nothing that names the phone or its owner, and nothing of a record or an alert
	// message, leaves in the bundle.
	for _, secret := range []string{fixture.DefaultDevice.Name, fixture.DefaultDevice.Serial, fixture.DefaultDevice.UDID,
		fixture.DefaultDevice.Phone, "+971555019311", "Found a known", "Breaking News", "Phone Diagnostics", f.Info.TargetPath} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the bundle holds %q", secret)
		}
	}
}

// folder writes a results folder with info and alerts and loads it.
func folder(t *testing.T, info results.Info, alerts []alert.Alert) *results.Folder {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "results")
	d, err := results.Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteJSON("info.json", info); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteAlerts(alerts); err != nil {
		t.Fatal(err)
	}
	f, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var (
	info = results.Info{Tool: "spytrace", Command: "android check-androidqf", TargetPath: "/cases/a", Date: "2026-03-04 10:00:00.000000",
		Acquisition: map[string]any{"kind": "androidqf", "bugreport": map[string]any{
			"build_fingerprint": "google/oriole/oriole:13/TQ3A.230805.001/10316531:user/release-keys"}}}
	t0 = time.Date(2026, 3, 1, 8, 0, 0, 123999000, time.UTC)
)

func at(d time.Duration) timefmt.TimeText { return timefmt.TimeText{Time: t0.Add(d)} }

// matched is an indicator alert of module mod on value v of type typ.
func matched(mod, typ, v, id string, when timefmt.TimeText) alert.Alert {
	return alert.Alert{Level: alert.Critical, Module: mod, Message: "Found " + v + " in a message saying SECRET-BODY",
		EventTime: when, Event: map[string]any{"text": "SECRET-BODY", "from": "+15550000000"}, Check: "ioc/" + typ,
		Indicator: &alert.Indicator{Value: v, Type: typ, Name: "Collection \"x\"", STIX2FileName: "feed.stix2", ID: id}}
}

func TestEveryKindRoundTrips(t *testing.T) {
	const feedID = "indicator--4d7a1b8e-92c3-4f0a-8b1d-7e6f5a4b3c2d"
	alerts := []alert.Alert{
		matched("sms", "domains", "evil.example", feedID, at(time.Hour)),
		// A URL as package ioc normalises it (the form matched_indicator.value holds).
		matched("safari_history", "urls", "https://evil.example/a%5Cb?q='x'&r=\\", feedID, at(0)), // same feed object
		matched("safari_history", "domains", "evil.example", feedID, at(2*time.Hour)),             // same value again
		matched("netusage", "ips", "203.0.113.7", "", at(0)),
		matched("netusage", "ips", "2001:db8::/32", "", timefmt.TimeText{}),
		matched("netusage", "ips", "198.51.100.0/24", "", at(time.Minute)),
		matched("calls", "emails", "o'neil@evil.example", "", at(0)),
		matched("datausage", "processes", `proc'\name`, "indicator--12", at(0)), // not a STIX id: made anew
		matched("manifest", "file_names", "it's.plist", "", at(0)),
		matched("filesystem", "file_paths", `/private/var/tmp/a\b'c`, "", at(0)),
		matched("files", "files_md5", strings.Repeat("a", 32), "", at(0)),
		matched("files", "files_sha1", strings.Repeat("b", 40), "", at(0)),
		matched("files", "files_sha256", strings.Repeat("c", 64), "", at(0)),
		matched("applications", "app_ids", "com.evil.app", "", at(0)),
		matched("packages", "app_cert_hashes", strings.Repeat("d", 64), "", at(0)),
		matched("profiles", "ios_profile_ids", "c7e5f9c8-1234-4abc-9def-0123456789ab", "", at(0)),
		matched("getprop", "android_property_names", "persist.evil.flag", "", at(0)),
		matched("x", "no_such_type", "whatever", "", at(0)),
		matched("packages", "app_cert_hashes", "abc", "", at(0)), // no digest length: no STIX key
		{Level: alert.High, Module: "sms", Message: "a heuristic", EventTime: at(0), Check: "sms/x"},
	}
	f := folder(t, info, alerts)
	data, st := write(t, f, stixexport.Options{})
	objs := validate(t, data)
	if want := (stixexport.Stats{Indicators: 15, Sightings: 15, Matches: 17, Unexportable: 2}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}

	got := load(t, data)
	byValue := map[string]loaded{}
	for _, l := range got {
		byValue[l.Value] = l
	}
	if len(got) != 16 {
		t.Errorf("%d values loaded back, want 16: %v", len(got), got)
	}
	for _, a := range alerts[:17] {
		if a.Indicator.Type == "no_such_type" {
			continue
		}
		l, ok := byValue[a.Indicator.Value]
		if !ok || l.Kind != a.Indicator.Type {
			t.Errorf("%s %q loaded back as %+v", a.Indicator.Type, a.Indicator.Value, l)
		}
		if a.Indicator.ID == feedID && l.ID != feedID {
			t.Errorf("%q: id %s, want the feed's %s", a.Indicator.Value, l.ID, feedID)
		}
	}
	if id := byValue[`proc'\name`].ID; id == "indicator--12" || !idRE.MatchString(id) {
		t.Errorf("an invalid feed id was reused: %s", id)
	}

	inds := ofType(objs, "indicator")
	feed := inds[0]
	wantPattern := `[domain-name:value = 'evil.example'] OR [url:value = 'https://evil.example/a%5Cb?q=\'x\'&r=\\']`
	if feed["id"] != feedID || feed["pattern"] != wantPattern || feed["created_by_ref"] != nil {
		t.Errorf("the feed's indicator: %v\nwant pattern %s", feed, wantPattern)
	}
	if feed["valid_from"] != "2026-03-01T08:00:00.123Z" {
		t.Errorf("valid_from %v, want the first sighting's time", feed["valid_from"])
	}
	s := ofType(objs, "sighting")
	if s[0]["count"] != json.Number("3") || s[0]["first_seen"] != "2026-03-01T08:00:00.123Z" || s[0]["last_seen"] != "2026-03-01T10:00:00.123Z" ||
		s[0]["description"] != "spytrace matched this indicator 3 time(s) in the records of the module(s) safari_history, sms." {
		t.Errorf("the feed indicator's sighting: %v", s[0])
	}
	if _, ok := s[2]["first_seen"]; ok || s[2]["count"] != json.Number("1") {
		t.Errorf("a sighting without event time: %v", s[2])
	}
	if device := ofType(objs, "identity")[1]; device["name"] != "google oriole examined on 2026-03-04" {
		t.Errorf("device name %v", device["name"])
	}
	for _, secret := range []string{"SECRET-BODY", "+15550000000", "a heuristic", "/cases/a"} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the bundle holds %q", secret)
		}
	}
}

func TestNoMatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		alerts []alert.Alert
	}{
		{"no alert", nil},
		{"heuristics only", []alert.Alert{{Level: alert.High, Module: "sms", Message: "m", EventTime: at(0), Check: "sms/x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := folder(t, info, tc.alerts)
			data, st := write(t, f, stixexport.Options{})
			objs := validate(t, data)
			if st != (stixexport.Stats{}) || len(objs) != 2 || len(ofType(objs, "identity")) != 2 {
				t.Errorf("stats %+v, objects %v: want the two identities and no sighting", st, objs)
			}
			if got := load(t, data); len(got) != 0 {
				t.Errorf("loaded back %v", got)
			}
		})
	}
}

func TestName(t *testing.T) {
	alerts := []alert.Alert{matched("sms", "domains", "evil.example", "", at(0))}
	f := folder(t, info, alerts)
	a, _ := write(t, f, stixexport.Options{})
	b, _ := write(t, f, stixexport.Options{Name: "Case 2026-17 <phone>\n"})
	device := ofType(validate(t, b), "identity")[1]
	if device["name"] != "Case 2026-17 <phone>\n" {
		t.Errorf("name %q", device["name"])
	}
	if ofType(validate(t, a), "identity")[1]["id"] == device["id"] {
		t.Error("two device names share an identity id")
	}
	// Another run (another date) never shares an id with this one.
	other := info
	other.Date = "2026-03-05 10:00:00.000000"
	c, _ := write(t, folder(t, other, alerts), stixexport.Options{})
	ids := func(data []byte) []string {
		var out []string
		for _, o := range validate(t, data) {
			if o["name"] != "spytrace" {
				out = append(out, str(o["id"]))
			}
		}
		return out
	}
	for _, id := range ids(c) {
		if slices.Contains(ids(a), id) {
			t.Errorf("two runs share %s", id)
		}
	}
}

func TestNoDate(t *testing.T) {
	for _, date := range []string{"", "yesterday"} {
		bad := info
		bad.Date = date
		f := folder(t, bad, nil)
		_, err := stixexport.Write(io.Discard, f, stixexport.Options{})
		if !errors.Is(err, stixexport.ErrNoDate) {
			t.Errorf("date %q: error %v, want ErrNoDate", date, err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestWriteError(t *testing.T) {
	f := folder(t, info, nil)
	if _, err := stixexport.Write(failWriter{}, f, stixexport.Options{}); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("error = %v", err)
	}
}
