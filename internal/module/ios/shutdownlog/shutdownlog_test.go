package shutdownlog_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
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
	"github.com/spytrace/spytrace/internal/module/ios/shutdownlog"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

const (
	fsLog   = fixture.ShutdownLogFilesystemPath
	fsLog0  = "private/var/db/diagnostics/shutdown.0.log"
	sdLog   = fixture.ShutdownLogSysdiagnosePath
	staging = "/private/var/db/com.apple.xpc.roleaccountd.staging"
	uuidA   = "EBFB3E7F-4CA4-3656-8E9C-8CCF5995C34A"
	uuidB   = "42286BD8-0A9D-4E0C-9E5B-1A2B3C4D5E6F"
)

var t0 = time.Date(2023, 10, 13, 9, 27, 14, 0, time.UTC)

func run(t *testing.T, kind acquire.Kind, ix *ioc.Index, files map[string][]byte) *moduletest.Outcome {
	t.Helper()
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: data}
	}
	return moduletest.Run(t, memfs.New(kind, m), ix, shutdownlog.New())
}

func runSpec(t *testing.T, ix *ioc.Index, spec fixture.ShutdownLogSpec) *moduletest.Outcome {
	t.Helper()
	return run(t, acquire.IOSFilesystem, ix, map[string][]byte{fsLog: fixture.ShutdownLogText(spec)})
}

// summary lists alerts as "LEVEL check".
func summary(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		out = append(out, a.Level.String()+" "+a.Check)
	}
	slices.Sort(out)
	return out
}

func rec(date any, pid, client string, delay float64, times int, file, command, uuid string, reboot int, complete bool) map[string]any {
	return map[string]any{
		"isodate": date, "pid": pid, "client": client, "delay": delay, "times_delayed": float64(times),
		"file": file, "command": command, "uuid": uuid, "reboot_index": float64(reboot), "complete": complete,
	}
}

// A log as logd writes it: two shutdowns, the second delayed twice, then a shutdown
// cut short. The lines of the first block come in MVT's bracket form.
const twoBlocks = "After 0.63s, these clients are still here:\n" +
	"\t\tremaining client pid: 215 (/System/Library/PrivateFrameworks/CoreRoutine.framework/destinationd/" + uuidA + ")\n" +
	"\t\tremaining client pid: 0 (/kernel/" + uuidB + ")\n" +
	"SIGTERM: [1697189234] All buffers flushed\n" +
	"After 1.26s, these clients are still here:\n" +
	"\t\tremaining client pid: 155 (/usr/libexec/nfcd/" + uuidA + ")\n" +
	"After 1.77s, these clients are still here:\n" +
	"\t\tremaining client pid: 155 (/usr/libexec/nfcd/" + uuidA + ")\n" +
	"SIGTERM: @1697275634 All buffers flushed\n"

func TestRecords(t *testing.T) {
	d1, d2 := 1.26, 1.77 // summed at run time, as MVT does (3.0300000000000002)
	o := run(t, acquire.IOSFilesystem, nil, map[string][]byte{fsLog: []byte(twoBlocks)})
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		rec("2023-10-13 09:27:14.000000", "215", "/System/Library/PrivateFrameworks/CoreRoutine.framework/destinationd/"+uuidA, 0.63, 1, fsLog,
			"/System/Library/PrivateFrameworks/CoreRoutine.framework/destinationd", uuidA, 1, true),
		rec("2023-10-13 09:27:14.000000", "0", "/kernel/"+uuidB, 0.63, 1, fsLog, "/kernel", uuidB, 1, true),
		rec("2023-10-14 09:27:14.000000", "155", "/usr/libexec/nfcd/"+uuidA, 1.26, 1, fsLog, "/usr/libexec/nfcd", uuidA, 2, true),
		rec("2023-10-14 09:27:14.000000", "155", "/usr/libexec/nfcd/"+uuidA, d1+d2, 2, fsLog, "/usr/libexec/nfcd", uuidA, 2, true),
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2023-10-13 09:27:14.000000","ShutdownLog","shutdown","Client /System/Library/PrivateFrameworks/CoreRoutine.framework/destinationd/` + uuidA + ` with PID 215 was running when the device was shut down (delay 1, 0.63s)"`,
		`"2023-10-13 09:27:14.000000","ShutdownLog","shutdown","Client /kernel/` + uuidB + ` with PID 0 was running when the device was shut down (delay 1, 0.63s)"`,
		`"2023-10-14 09:27:14.000000","ShutdownLog","shutdown","Client /usr/libexec/nfcd/` + uuidA + ` with PID 155 was running when the device was shut down (delay 1, 1.26s)"`,
		`"2023-10-14 09:27:14.000000","ShutdownLog","shutdown","Client /usr/libexec/nfcd/` + uuidA + ` with PID 155 was running when the device was shut down (delay 2, 3.03s)"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts on a clean log: %v", summary(o))
	}
}

func TestTimestampForms(t *testing.T) {
	for _, at := range []bool{false, true} {
		t.Run(fmt.Sprint("at=", at), func(t *testing.T) {
			spec := fixture.ShutdownLogSpec{Blocks: []fixture.ShutdownBlock{{
				SIGTERM: t0, AtForm: at,
				Delays: []fixture.ShutdownDelay{{After: 0.5, Clients: []fixture.ShutdownClient{{PID: 66, Path: "/usr/libexec/locationd", UUID: uuidA}}}},
			}}}
			text := string(fixture.ShutdownLogText(spec))
			if wantAt := strings.Contains(text, "SIGTERM: @"); wantAt != at {
				t.Fatalf("fixture wrote %q", text)
			}
			o := runSpec(t, nil, spec)
			got := moduletest.Project(o.List(t), "isodate", "pid", "command", "complete")
			want := []map[string]any{{"isodate": "2023-10-13 09:27:14.000000", "pid": "66", "command": "/usr/libexec/locationd", "complete": true}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Rotated names and both acquisition kinds: every file is read, records are sorted by
// date across files and name their file.
func TestFilesAndKinds(t *testing.T) {
	older := fixture.ShutdownLogSpec{Blocks: []fixture.ShutdownBlock{{SIGTERM: t0,
		Delays: []fixture.ShutdownDelay{{After: 0.3, Clients: []fixture.ShutdownClient{{PID: 1, Path: "/usr/libexec/wifid", UUID: uuidA}}}}}}}
	newer := fixture.ShutdownLogSpec{Blocks: []fixture.ShutdownBlock{{SIGTERM: t0.Add(time.Hour),
		Delays: []fixture.ShutdownDelay{{After: 0.3, Clients: []fixture.ShutdownClient{{PID: 2, Path: "/usr/sbin/bluetoothd"}}}}}}}
	cases := []struct {
		name  string
		kind  acquire.Kind
		files map[string][]byte
		want  []map[string]any
	}{
		{"filesystem", acquire.IOSFilesystem,
			map[string][]byte{fsLog: fixture.ShutdownLogText(newer), fsLog0: fixture.ShutdownLogText(older)},
			[]map[string]any{{"file": fsLog0, "pid": "1", "uuid": uuidA}, {"file": fsLog, "pid": "2", "uuid": ""}}},
		{"sysdiagnose", acquire.IOSSysdiagnose,
			map[string][]byte{sdLog: fixture.ShutdownLogText(older), "system_logs.logarchive/Extra/shutdown.1.log": fixture.ShutdownLogText(newer)},
			[]map[string]any{{"file": sdLog, "pid": "1", "uuid": uuidA}, {"file": "system_logs.logarchive/Extra/shutdown.1.log", "pid": "2", "uuid": ""}}},
		{"sysdiagnose_path_in_fs_dump_ignored", acquire.IOSFilesystem,
			map[string][]byte{fsLog: fixture.ShutdownLogText(older), "private/var/db/diagnostics/shutdown.log.bak": fixture.ShutdownLogText(newer)},
			[]map[string]any{{"file": fsLog, "pid": "1", "uuid": uuidA}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.kind, nil, tc.files)
			if o.Status.State != module.OK {
				t.Fatalf("status %+v", o.Status)
			}
			if diff := cmp.Diff(tc.want, moduletest.Project(o.List(t), "file", "pid", "uuid")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAbsent(t *testing.T) {
	o := run(t, acquire.IOSFilesystem, nil, map[string][]byte{"private/var/db/diagnostics/other.log": []byte("x")})
	if o.Status.State != module.Skipped {
		t.Errorf("status %+v, want skipped", o.Status)
	}
}

// failingFS serves shutdown.log as a file whose reads fail.
type failingFS struct{ *memfs.FS }

type failingFile struct{ fs.File }

func (failingFile) Read([]byte) (int, error) { return 0, errors.New("I/O error") }

func (f failingFS) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err == nil && name == fsLog {
		return failingFile{file}, nil
	}
	return file, err
}

func TestUnreadable(t *testing.T) {
	acq := failingFS{memfs.New(acquire.IOSFilesystem, fstest.MapFS{fsLog: &fstest.MapFile{Data: []byte(twoBlocks)}})}
	o := moduletest.Run(t, acq, nil, shutdownlog.New())
	if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "shutdown.log") {
		t.Errorf("status %+v, want failed naming the file", o.Status)
	}
}

func TestCutLastBlock(t *testing.T) {
	cut := twoBlocks + "After 0.40s, these clients are still here:\n\t\tremaining client pid: 77 (/usr/libexec/searchd/" + uuidA + ")\n"
	o := run(t, acquire.IOSFilesystem, nil, map[string][]byte{fsLog: []byte(cut)})
	recs := o.List(t)
	last := moduletest.Project(recs[len(recs)-1:], "isodate", "pid", "reboot_index", "complete")
	want := []map[string]any{{"isodate": nil, "pid": "77", "reboot_index": float64(3), "complete": false}}
	if diff := cmp.Diff(want, last); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 4 {
		t.Errorf("timeline has %d rows, want 4 (the cut block has no date)", len(o.Timeline))
	}
	if diff := cmp.Diff([]string{"INFORMATIONAL shutdown_log/empty-log"}, summary(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, shutdownlog.New())

	// The only block is cut: no complete shutdown at all.
	o = run(t, acquire.IOSFilesystem, nil, map[string][]byte{fsLog: []byte("After 0.40s, these clients are still here:\n\t\tremaining client pid: 77 (/usr/libexec/searchd)\n")})
	if diff := cmp.Diff([]string{"LOW shutdown_log/empty-log"}, summary(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, shutdownlog.New())
}

func TestEmptyAndClientless(t *testing.T) {
	cases := []struct {
		name, text, state string
		reboots           float64
		alerts            []string
	}{
		{"empty", "", shutdownlog.StateEmpty, 0, []string{"LOW shutdown_log/empty-log"}},
		{"blank_lines", "\n\n  \n", shutdownlog.StateEmpty, 0, []string{"LOW shutdown_log/empty-log"}},
		{"sigterm_only", "SIGTERM: [1697189234] All buffers flushed\n", shutdownlog.StateNoClients, 1, []string{"INFORMATIONAL shutdown_log/empty-log"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, acquire.IOSFilesystem, nil, map[string][]byte{fsLog: []byte(tc.text)})
			if o.Status.State != module.OK {
				t.Fatalf("status %+v, want ok (an empty log is a finding, not an error)", o.Status)
			}
			got := moduletest.Project(o.List(t), "file", "log_state", "client", "isodate")
			want := []map[string]any{{"file": fsLog, "log_state": tc.state, "client": "", "isodate": nil}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if r, _ := o.List(t)[0]["reboots"].(float64); r != tc.reboots {
				t.Errorf("reboots = %v, want %v", r, tc.reboots)
			}
			if diff := cmp.Diff(tc.alerts, summary(o)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			if len(o.Timeline) != 0 {
				t.Errorf("timeline %v", o.Timeline)
			}
			moduletest.Reload(t, o, nil, shutdownlog.New())
		})
	}
}

func TestGarbageAndLongLines(t *testing.T) {
	long := "\t\tremaining client pid: 9 (/" + strings.Repeat("a", 3*shutdownlog.MaxLine) + ")\n"
	text := "garbage at the top\n" + long +
		"After NaNs, these clients are still here:\n" +
		"\t\tremaining client pid: (no pid)\n" +
		"\t\tremaining client pid: 12 (/Applications/My App (Beta).app/My App (Beta)/" + uuidA + ")\n" +
		"After 0.5s, remaining client pid: 13 (/usr/libexec/oldstyle)\n" +
		"\xff\xfe binary junk\n" +
		"SIGTERM: [not a number] x\n" +
		"\t\tremaining client pid: 14 (/usr/libexec/next)\r\n" +
		"SIGTERM: [1697189234]\r\n"
	o := run(t, acquire.IOSFilesystem, nil, map[string][]byte{fsLog: []byte(text)})
	if o.Status.State != module.Partial {
		t.Fatalf("status %+v, want partial", o.Status)
	}
	probs := strings.Join(o.Status.Problems, "\n")
	for _, want := range []string{"4 lines not understood", "line 1 ", "1 lines longer than", "no readable time in SIGTERM line"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems %q lack %q", probs, want)
		}
	}
	got := moduletest.Project(o.List(t), "isodate", "pid", "command", "delay", "times_delayed", "reboot_index")
	want := []map[string]any{
		{"isodate": "2023-10-13 09:27:14.000000", "pid": "14", "command": "/usr/libexec/next", "delay": 0.0, "times_delayed": 0.0, "reboot_index": 2.0},
		{"isodate": nil, "pid": "12", "command": "/Applications/My App (Beta).app/My App (Beta)", "delay": 0.0, "times_delayed": 0.0, "reboot_index": 1.0},
		{"isodate": nil, "pid": "13", "command": "/usr/libexec/oldstyle", "delay": 0.5, "times_delayed": 1.0, "reboot_index": 1.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestIndicators(t *testing.T) {
	sticky := staging + "/rolexd"
	spec := fixture.ShutdownLogSpec{}
	fixture.PlantShutdownStickyProcess(&spec, sticky, t0)
	// The same client under two headers of one shutdown gives one alert.
	spec.Blocks[0].Delays = append(spec.Blocks[0].Delays, spec.Blocks[0].Delays[0])
	spec.Blocks[0].Delays[1].After = 2.5
	cases := []struct {
		name  string
		ix    *ioc.Index
		check string
		value string
	}{
		{"file_path_prefix", moduletest.Index("file_paths", staging), "ioc/file_path", staging},
		{"file_path_exact", moduletest.Index("file_paths", sticky), "ioc/file_path", sticky},
		{"process_component", moduletest.Index("processes", "rolexd"), "ioc/process", "rolexd"},
		{"process_folder_component", moduletest.Index("processes", "com.apple.xpc.roleaccountd.staging"), "ioc/process", "com.apple.xpc.roleaccountd.staging"},
		{"fp_process_substring", moduletest.Index("processes", "rolex"), "", ""},
		{"fp_file_path_sibling", moduletest.Index("file_paths", staging+"/rolexdd"), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := runSpec(t, tc.ix, spec)
			var got []string
			for _, a := range o.Alerts {
				if a.Indicator != nil {
					got = append(got, fmt.Sprintf("%s %s %s %s", a.Level, a.Check, a.Indicator.Value, a.EventTime.Time.Format(time.RFC3339)))
				}
			}
			var want []string
			if tc.check != "" {
				want = []string{fmt.Sprintf("CRITICAL %s %s %s", tc.check, tc.value, t0.Format(time.RFC3339))}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("indicator alerts (-want +got):\n%s", diff)
			}
			// The heuristic fires with or without indicators, once per shutdown and path.
			if n := len(o.AlertsOf(shutdownlog.SuspiciousPath.ID)); n != 1 {
				t.Errorf("%d suspicious-path alerts, want 1", n)
			}
			moduletest.Reload(t, o, tc.ix, shutdownlog.New())
		})
	}
}

func TestSuspiciousPath(t *testing.T) {
	cases := []struct {
		path string
		want []string
	}{
		{staging + "/rolexd", []string{"HIGH shutdown_log/suspicious-path"}},
		{staging + "/subridged", []string{"HIGH shutdown_log/suspicious-path"}},
		{"/private/var/tmp/UserEventAgent", []string{"HIGH shutdown_log/suspicious-path"}},
		{"/var/tmp/takePhoto", []string{"HIGH shutdown_log/suspicious-path"}},
		{"/tmp/helper", []string{"HIGH shutdown_log/suspicious-path"}},
		{"/usr/libexec/../../private/var/db/bh", []string{"HIGH shutdown_log/suspicious-path"}},
		// A non-update binary inside an .xpc bundle of the staging folder.
		{staging + "/com.apple.MobileSoftwareUpdate.UpdateBrainService.xpc/rolexd", []string{"HIGH shutdown_log/suspicious-path"}},
		{staging + "/exec/com.example.Fake.xpc/UpdateBrainService", []string{"HIGH shutdown_log/suspicious-path"}},
		// Apple's update component: informational only.
		{staging + "/com.apple.MobileSoftwareUpdate.UpdateBrainService.xpc/UpdateBrainService", []string{"INFORMATIONAL shutdown_log/staged-update-component"}},
		{staging + "/exec/com.apple.MobileSoftwareUpdate.UpdateBrainService.16777220.99.xpc/com.apple.MobileSoftwareUpdate.UpdateBrainService",
			[]string{"INFORMATIONAL shutdown_log/staged-update-component"}},
		// Usual places.
		{"/usr/libexec/nfcd", nil},
		{"/private/var/containers/Bundle/Application/" + uuidA + "/WhatsApp.app/WhatsApp", nil},
		{"/private/preboot/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/XPCServices/com.apple.WebKit.Networking.xpc/com.apple.WebKit.Networking", nil},
		{"/private/var/dbx/tool", nil},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			spec := fixture.ShutdownLogSpec{}
			fixture.PlantShutdownStickyProcess(&spec, tc.path, t0)
			o := runSpec(t, nil, spec)
			if diff := cmp.Diff(tc.want, summary(o)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, nil, shutdownlog.New())
		})
	}
}

func TestRepeatedDelays(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			spec := fixture.ShutdownLogSpec{}
			fixture.PlantShutdownDelays(&spec, n, t0)
			o := runSpec(t, nil, spec)
			got := o.AlertsOf(shutdownlog.RepeatedDelays.ID)
			moduletest.Reload(t, o, nil, shutdownlog.New())
			if n < shutdownlog.RepeatedDelayThreshold {
				if len(got) != 0 || len(o.Alerts) != 0 {
					t.Errorf("alerts %v, want none", summary(o))
				}
				return
			}
			if len(got) != 1 || got[0].Level != alert.Medium || !got[0].EventTime.Time.Equal(t0) ||
				!strings.Contains(got[0].Message, fmt.Sprintf("delayed %d times", n)) {
				t.Errorf("alerts %+v, want one MEDIUM for %d delays at %v", got, n, t0)
			}
		})
	}
}

// TestDecodeMVTRecord reads records the way MVT writes them (isodate, pid, client,
// delay, times_delayed; no file, no shutdown number) and checks them again: the
// indicator match on the path or a process name in it, and the heuristics.
func TestDecodeMVTRecord(t *testing.T) {
	mvt := func(date, pid, client string, delay float64, times int) string {
		return fmt.Sprintf(`{"isodate": %q, "pid": %s, "client": %q, "delay": %v, "times_delayed": %d}`, date, pid, client, delay, times)
	}
	const d1, d2 = "2023-10-13 09:27:14.000000", "2023-10-14 09:27:14.000000"
	sticky := staging + "/rolexd/" + uuidA
	cases := []struct {
		name    string
		ix      *ioc.Index
		records []string
		want    []string // "LEVEL check: message" (without the indicator's source)
	}{
		{"indicator_and_path", moduletest.Index("processes", "rolexd"), []string{mvt(d1, `"4242"`, sticky, 0.63, 1)}, []string{
			`CRITICAL ioc/process: Found a known suspicious process "rolexd" in a process (pid 4242) still running during the shutdown of ` + d1,
			`HIGH shutdown_log/suspicious-path: Process ` + staging + `/rolexd (pid 4242) was still running from /private/var/db/ during the shutdown of ` + d1,
		}},
		{"file_path_indicator_numeric_pid", moduletest.Index("file_paths", staging), []string{mvt(d1, `4242`, sticky, 0, 0)}, []string{
			`CRITICAL ioc/file_path: Found a known suspicious file path "` + staging + `/rolexd" (through "` + staging + `") in a process (pid 4242) still running during the shutdown of ` + d1,
			`HIGH shutdown_log/suspicious-path: Process ` + staging + `/rolexd (pid 4242) was still running from /private/var/db/ during the shutdown of ` + d1,
		}},
		// Two shutdowns, each with the same client: one alert per shutdown; the second
		// shutdown delayed three times.
		{"shutdowns_told_apart_by_time", nil, []string{
			mvt(d1, `"7"`, "/tmp/helper", 0.5, 1),
			mvt(d2, `"7"`, "/tmp/helper", 1.26, 1),
			mvt(d2, `"8"`, "/usr/libexec/nfcd/"+uuidA, 3.5, 3),
		}, []string{
			`HIGH shutdown_log/suspicious-path: Process /tmp/helper (pid 7) was still running from /tmp/ during the shutdown of ` + d1,
			`HIGH shutdown_log/suspicious-path: Process /tmp/helper (pid 7) was still running from /tmp/ during the shutdown of ` + d2,
			`MEDIUM shutdown_log/repeated-delays: The shutdown of ` + d2 + ` was delayed 3 times (3.50s in all)`,
		}},
		{"usual_paths", moduletest.Index("processes", "rolexd"), []string{mvt(d1, `"155"`, "/usr/libexec/nfcd/"+uuidA, 1.77, 2)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := shutdownlog.New()
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, fmt.Sprintf("%s %s: %s", a.Level, a.Check, msg))
			})
			ck := m.NewChecker(check.NewEnv(tc.ix))
			for _, r := range tc.records {
				rec, err := m.DecodeRecord([]byte(r))
				if err != nil {
					t.Fatal(err)
				}
				ck.Check(rec, rep)
			}
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

// Sample logs are innocent: nothing at HIGH or above, and no repeated delays.
func TestSample(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	spec := fixture.SampleShutdownLog(now, 60, 7)
	if !bytes.Equal(fixture.ShutdownLogText(spec), fixture.ShutdownLogText(fixture.SampleShutdownLog(now, 60, 7))) {
		t.Fatal("sample is not deterministic")
	}
	o := runSpec(t, nil, spec)
	if o.Status.State != module.OK || len(o.List(t)) == 0 {
		t.Fatalf("status %+v, %d records", o.Status, len(o.List(t)))
	}
	if len(o.Alerts) != 0 {
		t.Errorf("sample raised %v", summary(o))
	}
	// Planting into the sample keeps time order and adds exactly the planted traces.
	fixture.PlantShutdownStickyProcess(&spec, "/private/var/tmp/UserEventAgent", now.Add(-10*24*time.Hour))
	fixture.PlantShutdownDelays(&spec, 4, now.Add(-20*24*time.Hour))
	o = runSpec(t, nil, spec)
	if diff := cmp.Diff([]string{"HIGH shutdown_log/suspicious-path", "MEDIUM shutdown_log/repeated-delays"}, summary(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	recs := o.List(t)
	for i := 1; i < len(recs); i++ {
		if recs[i]["reboot_index"].(float64) < recs[i-1]["reboot_index"].(float64) {
			t.Fatalf("blocks out of time order at record %d", i)
		}
	}
}
