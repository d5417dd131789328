package aqffiles_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/aqffiles"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	now = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	t1  = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
)

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), ix, aqffiles.New())
}

func one(method fixture.AQFFilesMethod, ndjson bool) fstest.MapFS {
	f := fixture.AQFFile{Path: "/system/bin/toybox", Size: 0, Mode: 0o755, UID: 0, GID: 2000, User: "root", Group: "shell",
		MTime: t1, ATime: t1.Add(time.Hour), CTime: t1, Context: "u:object_r:toolbox_exec:s0", MimeType: "application/x-executable"}
	fixture.AQFFilesHashes(&f, []byte("toybox"))
	return fixture.AQFFilesFiles(fixture.AQFFilesSpec{Method: method, NDJSON: ndjson, Files: []fixture.AQFFile{f}})
}

func TestCollector(t *testing.T) {
	for _, ndjson := range []bool{false, true} {
		o := run(t, nil, one(fixture.AQFFilesCollector, ndjson))
		if o.Status.State != module.OK {
			t.Fatalf("status %+v", o.Status)
		}
		want := []map[string]any{{
			"path": "/system/bin/toybox", "size": 6.0, "mode": "-rwxr-xr-x", "user_id": 0.0, "user_name": "", "group_id": 2000.0, "group_name": "",
			"changed_time": "2025-03-14 09:30:00.000000", "modified_time": "2025-03-14 09:30:00.000000", "access_time": "2025-03-14 10:30:00.000000",
			"error": "", "context": "u:object_r:toolbox_exec:s0",
			"md5":    "81de5dcd6d5ee5d6d8e5b0a3a7d3fc78",
			"sha1":   "4e5e7a6fc45b4b0a7b0e5e0c9f2c0f0c44f2d5c8",
			"sha256": "", "sha512": "",
			"mime_type": "application/x-executable", "executable": true, "device_timezone": "unknown", "entry": 1.0,
		}}
		got := o.List(t)
		// Hashes are checked separately (computed by the fixture).
		for _, k := range []string{"md5", "sha1", "sha256", "sha512"} {
			if s, _ := got[0][k].(string); len(s) < 32 {
				t.Errorf("%s = %q", k, s)
			}
			delete(got[0], k)
			delete(want[0], k)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ndjson %v (-want +got):\n%s", ndjson, diff)
		}
		wantTL := []string{
			`"2025-03-14 09:30:00.000000","AQFFiles","M-C-","/system/bin/toybox (u:object_r:toolbox_exec:s0)"`,
			`"2025-03-14 10:30:00.000000","AQFFiles","'-A--","/system/bin/toybox (u:object_r:toolbox_exec:s0)"`,
		}
		if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
			t.Errorf("timeline (-want +got):\n%s", diff)
		}
	}
}

func TestFindVariants(t *testing.T) {
	o := run(t, nil, one(fixture.AQFFilesFindPrintf, false))
	want := []map[string]any{{"path": "/system/bin/toybox", "mode": "755", "user_id": nil, "user_name": "root", "group_id": nil, "group_name": "shell",
		"changed_time": nil, "modified_time": "2025-03-14 09:30:00.000000", "access_time": nil, "executable": true}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), "path", "mode", "user_id", "user_name", "group_id", "group_name",
		"changed_time", "modified_time", "access_time", "executable")); diff != "" {
		t.Errorf("find -printf (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`"2025-03-14 09:30:00.000000","AQFFiles","M---","/system/bin/toybox"`}, o.Timeline); diff != "" {
		t.Errorf("find -printf timeline (-want +got):\n%s", diff)
	}
	o = run(t, nil, one(fixture.AQFFilesFindPlain, true))
	want = []map[string]any{{"path": "/system/bin/toybox", "mode": "", "modified_time": nil, "executable": nil, "size": nil}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), "path", "mode", "modified_time", "executable", "size")); diff != "" {
		t.Errorf("find (-want +got):\n%s", diff)
	}
	// Names in the id fields, string numbers, fractional times, octal with type bits.
	data := `[{"path":"/sdcard/a b.txt","user_id":"u0_a12","group_id":"1015","mode":"100644","modified_time":1741944600.75,"size":"12"}]`
	o = run(t, nil, fstest.MapFS{"files.json": {Data: []byte(data)}})
	want = []map[string]any{{"path": "/sdcard/a b.txt", "user_id": nil, "user_name": "u0_a12", "group_id": 1015.0, "mode": "100644",
		"executable": false, "modified_time": "2025-03-14 09:30:00.750000", "size": 12.0}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), "path", "user_id", "user_name", "group_id", "mode", "executable", "modified_time", "size")); diff != "" {
		t.Errorf("odd types (-want +got):\n%s", diff)
	}
}

func TestDeviceTimezone(t *testing.T) {
	files := one(fixture.AQFFilesCollector, false)
	files["getprop.txt"] = &fstest.MapFile{Data: []byte("[persist.sys.timezone]: [Europe/Paris]\n")}
	o := run(t, nil, files)
	want := []map[string]any{{"modified_time": "2025-03-14 09:30:00.000000", "modified_time_local": "2025-03-14 10:30:00",
		"access_time_local": "2025-03-14 11:30:00", "changed_time_local": "2025-03-14 10:30:00", "device_timezone": "Europe/Paris"}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), "modified_time", "modified_time_local", "access_time_local", "changed_time_local", "device_timezone")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The 2022 getprop.json; an unknown zone.
	files = one(fixture.AQFFilesCollector, false)
	files["getprop.json"] = &fstest.MapFile{Data: []byte(`[{"name":"persist.sys.timezone","value":"Asia/Tokyo"}]`)}
	if got := run(t, nil, files).List(t)[0]["modified_time_local"]; got != "2025-03-14 18:30:00" {
		t.Errorf("getprop.json: %v", got)
	}
	files = one(fixture.AQFFilesCollector, false)
	files["getprop.txt"] = &fstest.MapFile{Data: []byte("[persist.sys.timezone]: [Mars/Olympus]\n")}
	r := run(t, nil, files).List(t)[0]
	if r["device_timezone"] != "unknown" || r["modified_time_local"] != nil {
		t.Errorf("unknown zone: %v", r)
	}
	// getprop alone: skipped.
	o = run(t, nil, fstest.MapFS{"getprop.txt": files["getprop.txt"]})
	if o.Status.State != module.Skipped {
		t.Errorf("getprop only: %+v", o.Status)
	}
}

func TestCorrupt(t *testing.T) {
	for name, tc := range map[string]struct {
		data, reason string
	}{
		"garbage":       {"\x00\x01garbage", "no entry could be read"},
		"array garbage": {"[\x00]", `read "files.json": entry 1`},
		"cut array":     {`[{"path":"/a"`, `read "files.json": entry 1`},
	} {
		o := run(t, nil, fstest.MapFS{"files.json": {Data: []byte(tc.data)}})
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, tc.reason) {
			t.Errorf("%s: %+v", name, o.Status)
		}
	}
	// Broken entries among good ones: partial.
	o := run(t, nil, fstest.MapFS{"files.json": {Data: []byte(`[{"path":"/a"}, 3, {"path":"/b"}, {"path":`)}})
	if o.Status.State != module.Partial || len(o.List(t)) != 2 ||
		!cmp.Equal(o.Status.Problems, []string{"files.json: entry 2: not a JSON object", "files.json: entry 4 (byte 32): unexpected EOF: the rest was not read"}) {
		t.Errorf("partial array: %+v", o.Status)
	}
	o = run(t, nil, fstest.MapFS{"files.json": {Data: []byte("{\"path\":\"/a\"}\n{bad\n\n{\"path\":\"/b\"}\n")}})
	if o.Status.State != module.Partial || len(o.List(t)) != 2 || len(o.Status.Problems) != 1 || !strings.HasPrefix(o.Status.Problems[0], "files.json: line 2:") {
		t.Errorf("partial ndjson: %+v", o.Status)
	}
	// Empty, null, []: no records.
	for _, data := range []string{"", "null", "[]", " \n"} {
		o := run(t, nil, fstest.MapFS{"files.json": {Data: []byte(data)}})
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Errorf("%q: %+v", data, o.Status)
		}
	}
	// An entry larger than the bound stops the array.
	big := `[{"path":"/a"},{"path":"` + strings.Repeat("x", aqffiles.MaxEntrySize+300<<10) + `"}]`
	o = run(t, nil, fstest.MapFS{"files.json": {Data: []byte(big)}})
	if o.Status.State != module.Partial || len(o.List(t)) != 1 || !strings.Contains(o.Status.Problems[0], "larger than the limit") {
		t.Errorf("huge entry: %+v", o.Status)
	}
	if o := run(t, nil, fstest.MapFS{"packages.json": {Data: []byte("[]")}}); o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
}

func alertsOf(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		s := a.Level.String() + " " + a.Check
		if a.Indicator != nil {
			s += " " + a.Indicator.Value
		}
		out = append(out, s)
	}
	return out
}

func TestIndicators(t *testing.T) {
	spec := fixture.SampleAQFFiles(now, 40, 3, fixture.AQFFilesCollector)
	sha := fixture.PlantAQFFilesIndicator(&spec, "/data/data/com.evil.spy/files/payload.bin", []byte("payload"), t1)
	fixture.PlantAQFFilesIndicator(&spec, "/sdcard/Download/evil-name.apk", []byte("other"), t1)
	other := fixture.AQFFile{Path: "/sdcard/x", Mode: 0o644, MTime: t1}
	fixture.AQFFilesHashes(&other, []byte("by sha1"))
	spec.Files = append(spec.Files, other)
	ix := moduletest.Index("file_paths", "/data/data/com.evil.spy", "files_sha256", sha, "file_names", "evil-name.apk", "files_sha1", other.SHA1,
		// False positives: a sibling folder, a name inside another name.
		"file_paths", "/data/data/com.evil", "file_names", "name.apk")
	o := run(t, ix, fixture.AQFFilesFiles(spec))
	want := []string{
		"CRITICAL ioc/file_path /data/data/com.evil.spy",
		"CRITICAL ioc/file_hash " + sha,
		"CRITICAL ioc/file_name evil-name.apk",
		"CRITICAL ioc/file_hash " + other.SHA1,
	}
	if diff := cmp.Diff(want, alertsOf(o)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, aqffiles.New())
	if len(o.Alerts) > 0 && o.Alerts[0].EventTime.Time != t1 {
		t.Errorf("event time %v", o.Alerts[0].EventTime)
	}
}

func TestTmpFile(t *testing.T) {
	for _, method := range []fixture.AQFFilesMethod{fixture.AQFFilesCollector, fixture.AQFFilesFindPrintf} {
		spec := fixture.SampleAQFFiles(now, 30, 5, method)
		fixture.PlantAQFFilesTmp(&spec, "/data/local/tmp/.x/frida", true, t1)
		fixture.PlantAQFFilesTmp(&spec, "/data/local/tmp/notes.txt", false, t1)
		o := run(t, nil, fixture.AQFFilesFiles(spec))
		if diff := cmp.Diff([]string{"HIGH aqf_files/tmp-file", "HIGH aqf_files/tmp-file"}, alertsOf(o)); diff != "" {
			t.Fatalf("method %d (-want +got):\n%s", method, diff)
		}
		if !strings.HasPrefix(o.Alerts[0].Message, `Found executable file at suspicious path "/data/local/tmp/.x/frida"`) ||
			!strings.HasPrefix(o.Alerts[1].Message, `Found file at suspicious path "/data/local/tmp/notes.txt"`) {
			t.Errorf("messages %q / %q", o.Alerts[0].Message, o.Alerts[1].Message)
		}
		moduletest.Reload(t, o, nil, aqffiles.New())
	}
	// False positives: the collector (in the sample), the folder itself, a folder
	// entry, a sibling folder.
	spec := fixture.SampleAQFFiles(now, 30, 5, fixture.AQFFilesCollector)
	spec.Files = append(spec.Files,
		fixture.AQFFile{Path: "/data/local/tmp", Mode: 0o771 | 1<<31, MTime: t1},
		fixture.AQFFile{Path: "/data/local/tmp/dir", Mode: 0o771 | 1<<31, MTime: t1},
		fixture.AQFFile{Path: "/data/local/tmpfile", Mode: 0o755, MTime: t1})
	o := run(t, nil, fixture.AQFFilesFiles(spec))
	if len(o.Alerts) != 0 {
		t.Errorf("false positives: %v", alertsOf(o))
	}
}

func TestSampleIsClean(t *testing.T) {
	ix := moduletest.Index("file_paths", "/data/local/tmp/evil", "file_names", "evil.so", "files_sha256", strings.Repeat("ab", 32))
	for _, method := range []fixture.AQFFilesMethod{fixture.AQFFilesCollector, fixture.AQFFilesFindPrintf, fixture.AQFFilesFindPlain} {
		spec := fixture.SampleAQFFiles(now, 100, 8, method)
		o := run(t, ix, fixture.AQFFilesFiles(spec))
		if o.Status.State != module.OK || len(o.List(t)) != len(spec.Files) {
			t.Errorf("method %d: %+v, %d records", method, o.Status, len(o.List(t)))
		}
		for _, a := range o.Alerts {
			if a.Level >= alert.High {
				t.Errorf("sample raised %s: %s", a.Check, a.Message)
			}
		}
	}
}

// TestDecodeMVTRecord reads files.json entries the way MVT writes them into
// aqf_files.json (its sixteen keys, times as device wall-clock text, user_id holding a
// name for files listed with find -printf, no executable) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	sha := strings.Repeat("5e", 32)
	tests := []struct {
		name   string
		ix     *ioc.Index
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"hash indicator", moduletest.Index("files_sha256", sha), `{"path": "/sdcard/Download/update.apk", "size": 81234,
			"mode": "-rw-rw----", "user_id": 10123, "user_name": "u0_a123", "group_id": 9997, "group_name": "everybody",
			"changed_time": "2025-03-14 10:30:00.000000", "modified_time": "2025-03-14 10:30:00.000000",
			"access_time": "2025-03-14 10:31:00.000000", "error": "", "context": "u:object_r:media_rw_data_file:s0",
			"sha1": "", "sha256": "` + sha + `", "sha512": "", "md5": ""}`,
			[]string{`ioc/file_hash Found a known suspicious file hash "` + sha + `" in the hash of /sdcard/Download/update.apk (files.json)`}},
		{"collector tmp file", nil, `{"path": "/data/local/tmp/frida-server", "size": 4096, "mode": "-rwxr-x---",
			"user_id": 2000, "user_name": "shell", "group_id": 2000, "group_name": "shell", "changed_time": null,
			"modified_time": "2025-03-14 10:30:00.000000", "access_time": null, "error": "", "context": "", "sha1": "",
			"sha256": "", "sha512": "", "md5": ""}`,
			[]string{`aqf_files/tmp-file Found executable file at suspicious path "/data/local/tmp/frida-server" (mode -rwxr-x---, owner shell)`}},
		{"find -printf tmp file", nil, `{"path": "/data/local/tmp/agent", "size": "77", "mode": "750", "user_id": "shell",
			"user_name": "", "group_id": "shell", "group_name": "", "changed_time": null,
			"modified_time": "2025-03-14 10:30:00.000000", "access_time": null, "error": "", "context": "", "sha1": "",
			"sha256": "", "sha512": "", "md5": ""}`,
			[]string{`aqf_files/tmp-file Found executable file at suspicious path "/data/local/tmp/agent" (mode 750, owner shell)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := aqffiles.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
				if a.Time() != t1.Add(time.Hour) {
					t.Errorf("alert at %v", a.Time())
				}
			})
			ck := m.NewChecker(check.NewEnv(tc.ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
