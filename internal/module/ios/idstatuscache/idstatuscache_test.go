package idstatuscache_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/idstatuscache"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2020, 7, 12, 14, 3, 21, 0, time.UTC)
	t1 = t0.Add(4 * time.Minute)
)

const attacker = "mailto:bogaardlisa803@gmail.com"

func run(t *testing.T, ix *ioc.Index, specs ...fixture.IDStatusCacheSpec) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	for _, spec := range specs {
		if err := fixture.AddIDStatusCache(b, spec); err != nil {
			t.Fatal(err)
		}
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, idstatuscache.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

func plistOf(t testing.TB, spec fixture.IDStatusCacheSpec) []byte {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddIDStatusCache(b, spec); err != nil {
		t.Fatal(err)
	}
	return b.Files[0].Content
}

func TestLocations(t *testing.T) {
	prefs := fixture.IDStatusCacheSpec{Entries: []fixture.IDStatusEntry{
		{Service: "com.apple.madrid", User: "tel:+41791234567", LookupDate: t1, IDStatus: 1},
		{Service: "com.apple.madrid", User: "mailto:anna.keller@proton.me", LookupDate: t0, IDStatus: 1},
		{Service: "com.apple.ess", User: "mailto:anna.keller@proton.me", LookupDate: t0, IDStatus: 2},
	}}
	identity := fixture.IDStatusCacheSpec{Location: fixture.IDStatusCacheIdentityServices, Entries: []fixture.IDStatusEntry{
		{Service: "com.apple.madrid", User: "tel:+41791234567", LookupDate: t0.Add(-time.Hour), IDStatus: 1},
	}}
	const (
		prefsFile    = "HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist"
		identityFile = "HomeDomain/Library/IdentityServices/idstatuscache.plist"
	)
	rec := func(pkg, user, date string, status float64, occ float64, file string) map[string]any {
		return map[string]any{"package": pkg, "user": user, "isodate": date, "idstatus": status, "occurrences": occ, "source_file": file}
	}
	tests := []struct {
		name     string
		specs    []fixture.IDStatusCacheSpec
		records  []map[string]any
		timeline []string
	}{
		{
			name:  "preferences",
			specs: []fixture.IDStatusCacheSpec{prefs},
			records: []map[string]any{
				rec("com.apple.ess", "mailto:anna.keller@proton.me", "2020-07-12 14:03:21.000000", 2, 2, prefsFile),
				rec("com.apple.madrid", "mailto:anna.keller@proton.me", "2020-07-12 14:03:21.000000", 1, 2, prefsFile),
				rec("com.apple.madrid", "tel:+41791234567", "2020-07-12 14:07:21.000000", 1, 1, prefsFile),
			},
			timeline: []string{
				`"2020-07-12 14:03:21.000000","IDStatusCache","lookup","Lookup of mailto:anna.keller@proton.me within com.apple.ess (status 2)"`,
				`"2020-07-12 14:03:21.000000","IDStatusCache","lookup","Lookup of mailto:anna.keller@proton.me within com.apple.madrid (status 1)"`,
				`"2020-07-12 14:07:21.000000","IDStatusCache","lookup","Lookup of tel:+41791234567 within com.apple.madrid (status 1)"`,
			},
		},
		{
			name:  "identity_services",
			specs: []fixture.IDStatusCacheSpec{identity},
			records: []map[string]any{
				rec("com.apple.madrid", "tel:+41791234567", "2020-07-12 13:03:21.000000", 1, 1, identityFile),
			},
			timeline: []string{
				`"2020-07-12 13:03:21.000000","IDStatusCache","lookup","Lookup of tel:+41791234567 within com.apple.madrid (status 1)"`,
			},
		},
		{
			name:  "both_files",
			specs: []fixture.IDStatusCacheSpec{prefs, identity},
			records: []map[string]any{
				rec("com.apple.madrid", "tel:+41791234567", "2020-07-12 13:03:21.000000", 1, 2, identityFile),
				rec("com.apple.ess", "mailto:anna.keller@proton.me", "2020-07-12 14:03:21.000000", 2, 2, prefsFile),
				rec("com.apple.madrid", "mailto:anna.keller@proton.me", "2020-07-12 14:03:21.000000", 1, 2, prefsFile),
				rec("com.apple.madrid", "tel:+41791234567", "2020-07-12 14:07:21.000000", 1, 2, prefsFile),
			},
			timeline: []string{
				`"2020-07-12 13:03:21.000000","IDStatusCache","lookup","Lookup of tel:+41791234567 within com.apple.madrid (status 1)"`,
				`"2020-07-12 14:03:21.000000","IDStatusCache","lookup","Lookup of mailto:anna.keller@proton.me within com.apple.ess (status 2)"`,
				`"2020-07-12 14:03:21.000000","IDStatusCache","lookup","Lookup of mailto:anna.keller@proton.me within com.apple.madrid (status 1)"`,
				`"2020-07-12 14:07:21.000000","IDStatusCache","lookup","Lookup of tel:+41791234567 within com.apple.madrid (status 1)"`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, nil, tc.specs...)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
			}
			if diff := cmp.Diff(tc.records, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.timeline, o.Timeline); diff != "" {
				t.Errorf("timeline (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts %v, want none", summary(o.Alerts))
			}
		})
	}
}

func TestEntryVariants(t *testing.T) {
	spec := fixture.IDStatusCacheSpec{Entries: []fixture.IDStatusEntry{
		{Service: "com.apple.madrid", User: "mailto:date@example.org", LookupDate: t0.Add(500 * time.Millisecond), AsDate: true, IDStatus: 1},
		{Service: "com.apple.madrid", User: "mailto:nodate@example.org", NoDate: true, IDStatus: 2},
		{Service: "com.apple.madrid", User: "mailto:nostatus@example.org", LookupDate: t1, NoStatus: true},
		{Service: "com.apple.madrid", User: "tel:+41\x0079", LookupDate: t1, IDStatus: 1},
	}}
	o := run(t, nil, spec)
	file := "HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist"
	want := []map[string]any{
		{"package": "com.apple.madrid", "user": "mailto:nodate@example.org", "isodate": nil, "idstatus": 2.0, "occurrences": 1.0, "source_file": file},
		{"package": "com.apple.madrid", "user": "mailto:date@example.org", "isodate": "2020-07-12 14:03:21.500000", "idstatus": 1.0, "occurrences": 1.0, "source_file": file},
		{"package": "com.apple.madrid", "user": "mailto:nostatus@example.org", "isodate": "2020-07-12 14:07:21.000000", "idstatus": nil, "occurrences": 1.0, "source_file": file},
		{"package": "com.apple.madrid", "user": `tel:+41\x0079`, "isodate": "2020-07-12 14:07:21.000000", "idstatus": 1.0, "occurrences": 1.0, "nul_count": 1.0, "source_file": file},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTimeline := []string{
		`"2020-07-12 14:03:21.500000","IDStatusCache","lookup","Lookup of mailto:date@example.org within com.apple.madrid (status 1)"`,
		`"2020-07-12 14:07:21.000000","IDStatusCache","lookup","Lookup of mailto:nostatus@example.org within com.apple.madrid (status unknown)"`,
		`"2020-07-12 14:07:21.000000","IDStatusCache","lookup","Lookup of tel:+41\x0079 within com.apple.madrid (status 1)"`,
	}
	if diff := cmp.Diff(wantTimeline, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestEmptyCache(t *testing.T) {
	o := run(t, nil, fixture.IDStatusCacheSpec{})
	if o.Status.State != module.OK || o.Status.Records != 0 {
		t.Errorf("status %+v, want ok with no record", o.Status)
	}
}

func TestUnreadable(t *testing.T) {
	good := plistOf(t, fixture.IDStatusCacheSpec{Entries: []fixture.IDStatusEntry{{Service: "com.apple.madrid", User: "tel:+41791234567", LookupDate: t0, IDStatus: 1}}})
	truncated := good[:len(good)-20]
	array := []byte(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><array><string>x</string></array></plist>`)
	tests := []struct {
		name    string
		prefs   []byte // nil: no file
		ident   []byte
		state   module.State
		reason  string
		records int
	}{
		{"absent", nil, nil, module.Skipped, "not in this acquisition", 0},
		{"truncated", truncated, nil, module.Failed, "idstatuscache.plist", 0},
		{"not_a_plist", []byte("SQLite format 3\x00"), nil, module.Failed, "idstatuscache.plist", 0},
		{"not_a_dictionary", array, nil, module.Failed, "want a dictionary", 0},
		{"one_of_two_corrupt", truncated, good, module.Partial, "problem", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.prefs != nil {
				b.AddFile(fixture.IDStatusCacheDomain, fixture.IDStatusCachePreferencesPath, tc.prefs)
			}
			if tc.ident != nil {
				b.AddFile(fixture.IDStatusCacheDomain, fixture.IDStatusCacheIdentityPath, tc.ident)
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, idstatuscache.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) || o.Status.Records != tc.records {
				t.Errorf("status %s (%q, %d records), want %s with %q and %d records", o.Status.State, o.Status.Reason, o.Status.Records, tc.state, tc.reason, tc.records)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	lookup := func(user string) fixture.IDStatusCacheSpec {
		spec := fixture.SampleIDStatusCache(t0.Add(24*time.Hour), 5, 1)
		fixture.PlantIDStatusLookup(&spec, user, t0)
		return spec
	}
	ix := moduletest.Index("emails", "bogaardlisa803@gmail.com")
	tests := []struct {
		name string
		spec fixture.IDStatusCacheSpec
		want []string
	}{
		{"attacker_account", lookup(attacker), []string{"CRITICAL ioc/email 2020-07-12T14:03:21Z"}},
		{"other_case", lookup("mailto:BogaardLisa803@Gmail.com"), []string{"CRITICAL ioc/email 2020-07-12T14:03:21Z"}},
		{"quoted", lookup("mailto:'bogaardlisa803@gmail.com'"), []string{"CRITICAL ioc/email 2020-07-12T14:03:21Z"}},
		{"longer_address", lookup("mailto:xbogaardlisa803@gmail.com"), nil},
		{"not_an_email", lookup("tel:bogaardlisa803@gmail.com"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, ix, tc.spec)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, ix, idstatuscache.New())
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, ix, lookup(attacker))
		want := `Found a known suspicious e-mail address "bogaardlisa803@gmail.com" in a lookup through iMessage (com.apple.madrid) on 2020-07-12 14:03:21.000000, matching indicator "bogaardlisa803@gmail.com" from "Test Spyware" (test.stix2)`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want {
			t.Errorf("alerts %+v, want one with message %q", o.Alerts, want)
		}
	})
}

func TestNULBytes(t *testing.T) {
	with := func(user string) fixture.IDStatusCacheSpec {
		spec := fixture.SampleIDStatusCache(t0.Add(24*time.Hour), 5, 2)
		spec.Entries = append(spec.Entries, fixture.IDStatusEntry{Service: "com.apple.madrid", User: user, LookupDate: t0, IDStatus: 2})
		return spec
	}
	planted := fixture.SampleIDStatusCache(t0.Add(24*time.Hour), 5, 2)
	fixture.PlantNULLookup(&planted, "mailto:x@example.com", t0)
	tests := []struct {
		name string
		spec fixture.IDStatusCacheSpec
		ix   *ioc.Index
		want []string
	}{
		{"planted", planted, nil, []string{"HIGH id_status_cache/nul-bytes 2020-07-12T14:03:21Z"}},
		{"apart", with("tel:+41\x0079\x00"), nil, []string{"HIGH id_status_cache/nul-bytes 2020-07-12T14:03:21Z"}},
		{"with_an_indicator_match", with(attacker + "\x00\x00"), moduletest.Index("emails", "bogaardlisa803@gmail.com"),
			[]string{"HIGH id_status_cache/nul-bytes 2020-07-12T14:03:21Z", "CRITICAL ioc/email 2020-07-12T14:03:21Z"}},
		{"one_nul", with("mailto:x@example.com\x00"), nil, nil},
		{"escaped_text_is_not_nul", with(`mailto:x@example.com\x00\x00`), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.ix, tc.spec)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, idstatuscache.New())
		})
	}
}

// TestDecodeMVTRecord checks the checks on lookups as MVT writes them: package, user
// (each NUL byte written as the text \x00), isodate, idstatus and occurrences.
func TestDecodeMVTRecord(t *testing.T) {
	tests := []struct {
		name, user string
		want       []string
	}{
		{"email", "mailto:BogaardLisa803@gmail.com", []string{"CRITICAL ioc/email 2020-07-12T14:03:21Z"}},
		{"nul_bytes", `tel:+41\\x0079\\x00`, []string{"HIGH id_status_cache/nul-bytes 2020-07-12T14:03:21Z"}},
		{"nul_bytes_and_email", `mailto:bogaardlisa803@gmail.com\\x00\\x00`,
			[]string{"HIGH id_status_cache/nul-bytes 2020-07-12T14:03:21Z", "CRITICAL ioc/email 2020-07-12T14:03:21Z"}},
		{"one_nul", `mailto:x@example.com\\x00`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := idstatuscache.New()
			rec, err := m.DecodeRecord([]byte(`{"package": "com.apple.madrid", "user": "` + tc.user +
				`", "isodate": "2020-07-12 14:03:21.000000", "idstatus": 2, "occurrences": 1}`))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(idstatuscache.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(moduletest.Index("emails", "bogaardlisa803@gmail.com")))
			c.Check(rec, r)
			c.Finish(r)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleIDStatusCache(fixture.Epoch, 500, 9)
	if diff := cmp.Diff(spec, fixture.SampleIDStatusCache(fixture.Epoch, 500, 9)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, nil, spec)
	if o.Status.State != module.OK || o.Status.Records != 500 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, 500 records, no alert", o.Status, summary(o.Alerts))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(plistOf(f, fixture.SampleIDStatusCache(fixture.Epoch, 3, 1)))
	nul := fixture.IDStatusCacheSpec{}
	fixture.PlantNULLookup(&nul, attacker, fixture.Epoch)
	nul.Entries = append(nul.Entries, fixture.IDStatusEntry{Service: "com.apple.ess", User: "tel:+1", LookupDate: fixture.Epoch, AsDate: true, NoStatus: true})
	f.Add(plistOf(f, nul))
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>CacheVersion</key><integer>1</integer>` +
		`<key>com.apple.madrid</key><dict><key>mailto:a@b.c</key><dict><key>LookupDate</key><real>6.1e8</real>` +
		`<key>IDStatus</key><integer>1</integer></dict><key>tel:+1</key><string>odd</string></dict></dict></plist>`))
	f.Add([]byte("bplist00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := idstatuscache.Parse(data, "x.plist")
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.SourceFile != "x.plist" || strings.Count(r.User, `\x00`) < r.NULCount {
				t.Fatalf("bad record %+v", r)
			}
			if !r.Isodate.IsZero() && r.Isodate.Location() != time.UTC {
				t.Fatalf("time not in UTC: %+v", r)
			}
		}
	})
}
