package sysdiagnoseinfo_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseinfo"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

// created is 2026-03-14 09:26:53 +01:00, i.e. 08:26:53 UTC.
var created = time.Date(2026, 3, 14, 9, 26, 53, 0, time.FixedZone("", 3600))

func spec() fixture.SysdiagnoseInfoSpec {
	return fixture.SysdiagnoseInfoSpec{Created: created, Model: "iPhone14,2", HWModel: "D63AP", Version: "26.1", Build: "23B85",
		Serial: "F2LXK0Q1N6Y2", UDID: "00008110-001A2B3C4D5E6F70"}
}

// named is an acquisition that knows its top folder, like iosfs.Dump.
type named struct {
	*memfs.FS
	prefix, root string
}

func (n named) Prefix() string { return n.prefix }
func (n named) Root() string   { return n.root }

func run(t *testing.T, acq acquire.Acquisition) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, acq, nil, sysdiagnoseinfo.New())
}

func record(t *testing.T, o *moduletest.Outcome) map[string]any {
	t.Helper()
	m, ok := o.Records.(map[string]any)
	if !ok {
		t.Fatalf("records = %T (%s), want one object; status %+v", o.Records, o.RecordsJSON, o.Status)
	}
	return m
}

func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

const (
	name     = "sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone_23B85"
	utc      = "2026-03-14 08:26:53.000000"
	svPath   = "logs/SystemVersion/SystemVersion.plist"
	dumpPath = "remotectl_dumpstate.txt"
)

var wantName = map[string]any{
	"name": name, "collection_time": utc, "local_time": "2026-03-14 09:26:53", "timezone_offset": "+01:00",
	"timezone_offset_seconds": 3600.0, "platform": "iPhone-OS", "model_class": "iPhone", "build": "23B85",
}

func TestFromLog(t *testing.T) {
	o := run(t, memfs.New(acquire.IOSSysdiagnose, fixture.SysdiagnoseInfoFiles(spec())))
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := map[string]any{
		"collection_time": utc, "collection_time_local": "2026-03-14 09:26:53", "timezone_offset": "+01:00",
		"timezone_offset_seconds": 3600.0, "platform": "iPhone-OS", "model_class": "iPhone", "product_name": "iPhone OS",
		"ios_version": "26.1", "build": "23B85", "model": "iPhone14,2", "model_name": "iPhone 13 Pro", "hw_model": "D63AP",
		"serial_number": "F2LXK0Q1N6Y2", "unique_device_id": "00008110-001A2B3C4D5E6F70",
		"sources": map[string]any{
			"collection_time": "sysdiagnose.log", "timezone_offset": "sysdiagnose.log", "platform": "sysdiagnose.log",
			"model_class": "sysdiagnose.log", "product_name": svPath, "ios_version": svPath, "build": svPath,
			"model": dumpPath, "model_name": dumpPath, "hw_model": dumpPath, "serial_number": dumpPath, "unique_device_id": dumpPath,
		},
		"conflicts":      []any{},
		"archive_name":   nil,
		"log_name":       wantName,
		"system_version": map[string]any{"ProductName": "iPhone OS", "ProductVersion": "26.1", "ProductBuildVersion": "23B85"},
		"remotectl_dumpstate": map[string]any{"Product Type": "iPhone14,2", "OS Build": "26.1 (23B85)", "Properties": map[string]any{
			"BuildVersion": "23B85", "HWModel": "D63AP", "OSVersion": "26.1", "ProductName": "iPhone OS", "ProductType": "iPhone14,2",
			"SerialNumber": "F2LXK0Q1N6Y2", "UniqueDeviceID": "00008110-001A2B3C4D5E6F70"}},
	}
	if diff := cmp.Diff(want, record(t, o)); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	wantTL := []string{`"` + utc + `","SysdiagnoseInfo","sysdiagnose_taken","sysdiagnose taken on iPhone14,2 (iPhone 13 Pro) running iOS 26.1 (23B85); phone's clock 2026-03-14 09:26:53 UTC+01:00"`}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %+v, want none (26.1 is the newest release in the table)", o.Alerts)
	}
}

func TestFromNameOnly(t *testing.T) {
	s := spec()
	s.NoDumpstate = true
	files := fixture.SysdiagnoseInfoFiles(s)
	delete(files, "sysdiagnose.log") // the name comes from the acquisition only
	for _, tt := range []struct{ label, prefix, root string }{
		{"top_folder", name, "/cases/" + name},
		{"archive_path", "", "/cases/" + name + ".tar.gz"},
	} {
		t.Run(tt.label, func(t *testing.T) {
			o := run(t, named{memfs.New(acquire.IOSSysdiagnose, files), tt.prefix, tt.root})
			if o.Status.State != module.OK {
				t.Fatalf("status %+v", o.Status)
			}
			got := record(t, o)
			want := map[string]any{
				"collection_time": utc, "timezone_offset": "+01:00", "timezone_offset_seconds": 3600.0, "platform": "iPhone-OS",
				"model_class": "iPhone", "build": "23B85", "ios_version": "26.1", "model": nil, "log_name": nil, "archive_name": wantName,
				"sources": map[string]any{"collection_time": "archive name", "timezone_offset": "archive name", "platform": "archive name",
					"model_class": "archive name", "product_name": svPath, "ios_version": svPath, "build": svPath},
			}
			if diff := cmp.Diff(want, pick(got, "collection_time", "timezone_offset", "timezone_offset_seconds", "platform",
				"model_class", "build", "ios_version", "model", "log_name", "archive_name", "sources")); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
			if len(o.Timeline) != 1 || !strings.HasPrefix(o.Timeline[0], `"`+utc+`","SysdiagnoseInfo","sysdiagnose_taken"`) {
				t.Errorf("timeline %q", o.Timeline)
			}
		})
	}
}

func TestBothAgree(t *testing.T) {
	o := run(t, named{memfs.New(acquire.IOSSysdiagnose, fixture.SysdiagnoseInfoFiles(spec())), name, "/x/" + name})
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	got := record(t, o)
	want := map[string]any{"archive_name": wantName, "log_name": wantName, "conflicts": []any{}}
	if diff := cmp.Diff(want, pick(got, "archive_name", "log_name", "conflicts")); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if src := got["sources"].(map[string]any); src["collection_time"] != "sysdiagnose.log" || src["platform"] != "sysdiagnose.log" {
		t.Errorf("sources %v, want sysdiagnose.log first", src)
	}
}

func TestDisagreement(t *testing.T) {
	// The archive was renamed (another zone, another build), and the plist has another
	// build than remotectl_dumpstate.txt.
	files := fixture.SysdiagnoseInfoFiles(spec())
	other := spec()
	other.Build = "23B74"
	files[dumpPath] = &fstest.MapFile{Data: fixture.SysdiagnoseDumpstateText(other)}
	renamed := "sysdiagnose_2026.03.14_10-26-53+0200_iPhone-OS_iPad_23A341.tar.gz"
	o := run(t, named{memfs.New(acquire.IOSSysdiagnose, files), "", "/cases/" + renamed})
	if o.Status.State != module.Partial {
		t.Fatalf("status %+v, want partial", o.Status)
	}
	want := []any{
		`timezone_offset: sysdiagnose.log says "+01:00", archive name says "+02:00"`,
		`model_class: sysdiagnose.log says "iPhone", archive name says "iPad"`,
		`build: logs/SystemVersion/SystemVersion.plist says "23B85", remotectl_dumpstate.txt says "23B74"`,
		`build: logs/SystemVersion/SystemVersion.plist says "23B85", archive name says "23A341"`,
	}
	got := record(t, o)
	if diff := cmp.Diff(want, got["conflicts"]); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(toStrings(want), o.Status.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// The same instant in another zone is no conflict of time; the first source wins.
	if got["collection_time"] != utc || got["build"] != "23B85" || got["model_class"] != "iPhone" {
		t.Errorf("record %v", pick(got, "collection_time", "build", "model_class"))
	}
}

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = v.(string)
	}
	return out
}

func TestBadArchiveName(t *testing.T) {
	files := fixture.SysdiagnoseInfoFiles(spec())
	for _, tt := range []struct {
		root    string
		problem string
	}{
		{"/cases/sysdiagnose_2026.13.14_09-26-53+0100_iPhone-OS_iPhone_23B85.tar.gz", "is not YYYY.MM.DD"},
		{"/cases/case-42.tar.gz", ""}, // not a sysdiagnose name: no problem, no archive_name
	} {
		o := run(t, named{memfs.New(acquire.IOSSysdiagnose, files), "", tt.root})
		got := record(t, o)
		if got["archive_name"] != nil || got["collection_time"] != utc {
			t.Errorf("%s: record %v", tt.root, pick(got, "archive_name", "collection_time"))
		}
		if tt.problem == "" {
			if o.Status.State != module.OK {
				t.Errorf("%s: status %+v, want ok", tt.root, o.Status)
			}
			continue
		}
		if o.Status.State != module.Partial || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], tt.problem) {
			t.Errorf("%s: status %+v, want partial mentioning %q", tt.root, o.Status, tt.problem)
		}
	}
}

func TestOldNameAndLogVariants(t *testing.T) {
	// iOS 12: "iPhone_OS" platform; the log names the archive only in Tar streaming lines.
	log := "2019-02-13 15:50:20: Tar streaming from: /var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/" +
		"IN_PROGRESS_sysdiagnose_2019.02.13_15-50-14+0100_iPhone_OS_iPhone_16C101.tmp/WiFi/wifi.log, to: x\n"
	o := run(t, memfs.New(acquire.IOSSysdiagnose, fstest.MapFS{"sysdiagnose.log": {Data: []byte(log)}}))
	got := record(t, o)
	want := map[string]any{"collection_time": "2019-02-13 14:50:14.000000", "platform": "iPhone_OS", "model_class": "iPhone",
		"build": "16C101", "ios_version": nil, "timezone_offset": "+01:00"}
	if diff := cmp.Diff(want, pick(got, "collection_time", "platform", "model_class", "build", "ios_version", "timezone_offset")); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	// A log with only a date (no platform part) still dates the archive.
	o = run(t, memfs.New(acquire.IOSSysdiagnose, fstest.MapFS{"sysdiagnose.log": {Data: []byte("spindump_sysdiagnose_2024.04.02_10-15-30-0500 x\n")}}))
	got = record(t, o)
	if got["collection_time"] != "2024-04-02 15:15:30.000000" || got["timezone_offset"] != "-05:00" || got["platform"] != nil {
		t.Errorf("record %v", pick(got, "collection_time", "timezone_offset", "platform"))
	}
}

func TestAbsent(t *testing.T) {
	for label, acq := range map[string]acquire.Acquisition{
		"empty":          memfs.New(acquire.IOSSysdiagnose, fstest.MapFS{}),
		"other files":    memfs.New(acquire.IOSSysdiagnose, fstest.MapFS{"ps.txt": {Data: []byte("USER PID COMMAND\n")}}),
		"named no files": named{memfs.New(acquire.IOSSysdiagnose, fstest.MapFS{}), name, "/x/" + name},
	} {
		t.Run(label, func(t *testing.T) {
			o := run(t, acq)
			if o.Status.State != module.Skipped {
				t.Errorf("status %+v, want skipped", o.Status)
			}
		})
	}
}

func TestCorrupt(t *testing.T) {
	junk := []byte("bplist00 truncated")
	t.Run("all unreadable", func(t *testing.T) {
		o := run(t, memfs.New(acquire.IOSSysdiagnose, fstest.MapFS{
			svPath:            {Data: junk},
			dumpPath:          {Data: []byte("Found foo\n\tProduct Type: MacBookPro18,1\n")},
			"sysdiagnose.log": {Data: []byte("nothing here\n")},
		}))
		if o.Status.State != module.Failed {
			t.Fatalf("status %+v, want failed", o.Status)
		}
		for _, want := range []string{"no \"Local device\" block", "no IN_PROGRESS_sysdiagnose_<date> line", svPath} {
			if !strings.Contains(o.Status.Reason, want) {
				t.Errorf("reason %q lacks %q", o.Status.Reason, want)
			}
		}
	})
	t.Run("one unreadable", func(t *testing.T) {
		files := fixture.SysdiagnoseInfoFiles(spec())
		files[svPath] = &fstest.MapFile{Data: junk}
		o := run(t, memfs.New(acquire.IOSSysdiagnose, files))
		got := record(t, o)
		if o.Status.State != module.Partial || got["system_version"] != nil || got["ios_version"] != "26.1" ||
			got["sources"].(map[string]any)["ios_version"] != dumpPath {
			t.Errorf("status %+v, record %v", o.Status, pick(got, "system_version", "ios_version", "sources"))
		}
	})
	t.Run("plist not a dictionary", func(t *testing.T) {
		files := fstest.MapFS{svPath: {Data: []byte(`<?xml version="1.0"?><plist version="1.0"><array><string>x</string></array></plist>`)}}
		o := run(t, memfs.New(acquire.IOSSysdiagnose, files))
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "want a dictionary") {
			t.Errorf("status %+v", o.Status)
		}
	})
	t.Run("over-long dumpstate line", func(t *testing.T) {
		files := fixture.SysdiagnoseInfoFiles(spec())
		files[dumpPath] = &fstest.MapFile{Data: append([]byte(strings.Repeat("x", 70<<10)+"\n"), fixture.SysdiagnoseDumpstateText(spec())...)}
		o := run(t, memfs.New(acquire.IOSSysdiagnose, files))
		if o.Status.State != module.Partial || record(t, o)["model"] != "iPhone14,2" {
			t.Errorf("status %+v", o.Status)
		}
	})
}

func TestDumpstateVariants(t *testing.T) {
	// Quoted values, the Found block before the Local device block, no Properties.
	text := "Found foo\n\tProduct Type: \"MacBookPro15,1\"\n\tProperties: {\n\t\tProductType => MacBookPro15,1\n\t}\n\n" +
		"Local device\n\tUUID: foo\n\tProduct Type: \"iPhone12,8\"\n\tOS Build: 16.7.5 (20H307)\n\tServices:\n\t\tssh\n"
	o := run(t, memfs.New(acquire.IOSSysdiagnose, fstest.MapFS{dumpPath: {Data: []byte(text)}}))
	got := record(t, o)
	want := map[string]any{"model": "iPhone12,8", "model_name": "iPhone SE (2nd generation)", "ios_version": "16.7.5",
		"build": "20H307", "serial_number": nil, "collection_time": nil}
	if diff := cmp.Diff(want, pick(got, "model", "model_name", "ios_version", "build", "serial_number", "collection_time")); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 0 || len(o.Alerts) != 0 {
		t.Errorf("timeline %q alerts %+v, want none without a collection time", o.Timeline, o.Alerts)
	}
}

func TestOutdatedIOS(t *testing.T) {
	at := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(10 * time.Hour).In(time.FixedZone("", 2*3600))
	}
	tests := []struct {
		name           string
		version, build string
		date           time.Time
		noVersion      bool
		want           string
	}{
		{"outdated_in_line", "17.3.1", "21D61", at("2024-06-01"), false, "iOS 17.5.1 of the same line had been out since 2024-05-20"},
		{"newer_line_available", "16.5", "20F66", at("2024-06-01"), false, "iOS 17 was available"},
		{"version_from_build", "", "21D61", at("2024-06-01"), true, "iOS 17.3.1 (build 21D61)"},
		{"after_table", "17.3.1", "21D61", created, false, "release table ends on"},
		{"current_on_its_day", "17.5.1", "21F90", at("2024-05-20"), false, ""},
		{"update_published_after", "17.3.1", "21D61", at("2024-03-04"), false, ""},
		{"newer_than_table", "26.4", "23E100", created, false, ""},
		{"garbage_version", "seventeen", "", created, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec()
			s.Created, s.Version, s.Build = tt.date, tt.version, tt.build
			files := fixture.SysdiagnoseInfoFiles(s)
			if tt.noVersion {
				delete(files, svPath)
				delete(files, dumpPath)
			}
			o := run(t, memfs.New(acquire.IOSSysdiagnose, files))
			moduletest.Reload(t, o, nil, sysdiagnoseinfo.New())
			if tt.want == "" {
				if len(o.Alerts) != 0 {
					t.Fatalf("alerts %+v, want none", o.Alerts)
				}
				return
			}
			alerts := o.AlertsOf(sysdiagnoseinfo.OutdatedIOS.ID)
			if len(alerts) != 1 || len(o.Alerts) != 1 {
				t.Fatalf("alerts %+v, want one %s", o.Alerts, sysdiagnoseinfo.OutdatedIOS.ID)
			}
			a := alerts[0]
			if !strings.Contains(a.Message, tt.want) || a.Level != sysdiagnoseinfo.OutdatedIOS.Level || !a.EventTime.Time.Equal(tt.date) {
				t.Errorf("alert %s %q at %s; want %q at %s", a.Level, a.Message, a.EventTime, tt.want, tt.date)
			}
		})
	}
}

func TestSampleAndPlant(t *testing.T) {
	for seed := range uint64(5) {
		s := fixture.SampleSysdiagnoseInfo(fixture.Epoch, seed)
		o := run(t, named{memfs.New(acquire.IOSSysdiagnose, fixture.SysdiagnoseInfoFiles(s)), fixture.SysdiagnoseArchiveName(s), "/x"})
		if o.Status.State != module.OK || len(o.Alerts) != 0 {
			t.Fatalf("seed %d: status %+v alerts %+v, want ok and none", seed, o.Status, o.Alerts)
		}
		rel, ok := fixture.PlantSysdiagnoseOutdatedIOS(&s)
		if !ok {
			t.Fatal("nothing to plant")
		}
		o = run(t, named{memfs.New(acquire.IOSSysdiagnose, fixture.SysdiagnoseInfoFiles(s)), fixture.SysdiagnoseArchiveName(s), "/x"})
		if o.Status.State != module.OK || len(o.Alerts) != 1 || len(o.AlertsOf(sysdiagnoseinfo.OutdatedIOS.ID)) != 1 ||
			!strings.Contains(o.Alerts[0].Message, "iOS "+rel.Version) {
			t.Errorf("seed %d planted: status %+v alerts %+v", seed, o.Status, o.Alerts)
		}
		moduletest.Reload(t, o, nil, sysdiagnoseinfo.New())
	}
}
