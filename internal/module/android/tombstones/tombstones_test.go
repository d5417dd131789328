package tombstones_test

import (
	"fmt"
	"strconv"
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
	"github.com/spytrace/spytrace/internal/module/android/tombstones"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	paris = mustZone("Europe/Paris")
	// t0 is 2024-03-14 10:00:00.123456789 in Paris (09:00:00.123456 UTC).
	t0 = time.Date(2024, 3, 14, 10, 0, 0, 123456789, paris)
)

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

const props = "[persist.sys.locale]: [fr-FR]\n[persist.sys.timezone]: [Europe/Paris]\n[ro.build.version.release]: [14]\n"

func run(t *testing.T, files fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), ix, tombstones.New())
}

func files(withProps bool, tf ...fixture.TombstoneFile) fstest.MapFS {
	m := fstest.MapFS{}
	fixture.AddTombstones(m, fixture.TombstonesSpec{Files: tf})
	if withProps {
		m["@sections/system_properties"] = &fstest.MapFile{Data: []byte(props)}
	}
	return m
}

func mediaCrash() fixture.TombstoneSpec {
	return fixture.TombstoneSpec{
		BuildFingerprint: "google/oriole/oriole:14/AP2A.240805.005/12025142:user/release-keys",
		Revision:         "MP1.0", ABI: "arm64", Time: t0, Uptime: 40,
		Cmdline: []string{"/vendor/bin/hw/android.hardware.media.c2@1.2-service", "--verbose"},
		PID:     2300, TID: 2345, UID: 1046, ProcessName: "c2.decoder", SELinuxLabel: "u:r:mediacodec:s0",
		BinaryPath: "/vendor/bin/hw/android.hardware.media.c2@1.2-service",
		Signal:     11, SignalName: "SIGSEGV", Code: 1, CodeName: "SEGV_MAPERR", FaultAddr: 0x10, HasFaultAddr: true,
		Cause:   "null pointer dereference",
		Threads: []fixture.TombstoneThread{{TID: 2300, Name: "main"}, {TID: 2310, Name: "binder:2300_1"}},
	}
}

func summary(as []alert.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.Event.(*tombstones.Record).FileName))
	}
	return out
}

func TestRecords(t *testing.T) {
	abort := mediaCrash()
	abort.Signal, abort.SignalName, abort.Code, abort.CodeName, abort.HasFaultAddr, abort.Cause = 6, "SIGABRT", -1, "SI_QUEUE", false, ""
	abort.AbortMessage = "Check failed: size <= capacity"
	abort.Time = t0.Add(time.Hour)
	o := run(t, files(true,
		fixture.TombstoneFile{Name: "tombstone_00", Spec: mediaCrash(), ModTime: t0.Add(2 * time.Second)},
		fixture.TombstoneFile{Name: "tombstone_00.pb", Spec: mediaCrash(), Proto: true, ModTime: t0.Add(2 * time.Second)},
		fixture.TombstoneFile{Name: "tombstone_01", Spec: abort},
	), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v), want ok", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	base := func() map[string]any {
		return map[string]any{
			"file_name": "tombstone_00", "file_path": "FS/data/tombstones/tombstone_00", "format": "text",
			"file_timestamp": "2024-03-14 09:00:02.000000", "file_timestamp_local": "2024-03-14 10:00:02", "file_timestamp_clock": "Europe/Paris",
			"build_fingerprint": "google/oriole/oriole:14/AP2A.240805.005/12025142:user/release-keys", "revision": "MP1.0", "arch": "arm64",
			"timestamp": "2024-03-14 09:00:00.123456", "timestamp_local": "2024-03-14 10:00:00.123456789+0100", "timestamp_clock": "offset +0100",
			"process_uptime": 40.0, "command_line": []any{"/vendor/bin/hw/android.hardware.media.c2@1.2-service", "--verbose"},
			"pid": 2300.0, "tid": 2345.0, "process_name": "c2.decoder", "binary_path": "/vendor/bin/hw/android.hardware.media.c2@1.2-service",
			"selinux_label": "", "uid": 1046.0,
			"signal_info": map[string]any{"code": 1.0, "code_name": "SEGV_MAPERR", "name": "SIGSEGV", "number": 11.0},
			"cause":       "null pointer dereference", "causes": []any{map[string]any{"human_readable": "null pointer dereference"}},
			"abort_message": "", "extra": nil, "fault_address": "0x0000000000000010",
		}
	}
	text := base()
	pb := base()
	pb["file_name"], pb["file_path"], pb["format"] = "tombstone_00.pb", "FS/data/tombstones/tombstone_00.pb", "protobuf"
	pb["selinux_label"], pb["fault_address"] = "u:r:mediacodec:s0", "0x10"
	pb["binary_path"] = "" // the protobuf has no ">>> binary <<<"
	ab := base()
	ab["file_name"], ab["file_path"] = "tombstone_01", "FS/data/tombstones/tombstone_01"
	ab["file_timestamp"], ab["file_timestamp_local"] = "2024-03-14 10:00:00.000000", "2024-03-14 11:00:00"
	ab["timestamp"], ab["timestamp_local"] = "2024-03-14 10:00:00.123456", "2024-03-14 11:00:00.123456789+0100"
	ab["signal_info"] = map[string]any{"code": -1.0, "code_name": "SI_QUEUE", "name": "SIGABRT", "number": 6.0}
	ab["cause"], ab["causes"], ab["abort_message"] = "", nil, "Check failed: size <= capacity"
	delete(ab, "fault_address")
	if diff := cmp.Diff([]map[string]any{text, pb, ab}, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2024-03-14 09:00:00.123456","Tombstones","Tombstone","Crash in 'c2.decoder' process running as UID '1046' in file 'tombstone_00' Crash type 'SIGSEGV' with code 'SEGV_MAPERR'"`,
		`"2024-03-14 09:00:00.123456","Tombstones","Tombstone","Crash in 'c2.decoder' process running as UID '1046' in file 'tombstone_00.pb' Crash type 'SIGSEGV' with code 'SEGV_MAPERR'"`,
		`"2024-03-14 10:00:00.123456","Tombstones","Tombstone","Crash in 'c2.decoder' process running as UID '1046' in file 'tombstone_01' Crash type 'SIGABRT' with code 'SI_QUEUE'"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none (uid 1046, no indicators)", summary(o.Alerts))
	}
	moduletest.Reload(t, o, nil, tombstones.New())
}

// TestClocks covers the time variants: no offset in the tombstone (device zone used,
// or unknown), no zone at all, and a zip entry with an extended (UTC) timestamp.
func TestClocks(t *testing.T) {
	noOffset := mediaCrash()
	noOffset.NoOffset = true
	keys := []string{"timestamp", "timestamp_local", "timestamp_clock", "file_timestamp", "file_timestamp_local", "file_timestamp_clock"}

	o := run(t, files(true, fixture.TombstoneFile{Name: "tombstone_00", Spec: noOffset}), nil)
	want := []map[string]any{{"timestamp": "2024-03-14 09:00:00.123456", "timestamp_local": "2024-03-14 10:00:00.123456789",
		"timestamp_clock": "Europe/Paris", "file_timestamp": "2024-03-14 09:00:00.000000", "file_timestamp_local": "2024-03-14 10:00:00",
		"file_timestamp_clock": "Europe/Paris"}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), keys...)); diff != "" {
		t.Errorf("no offset, zone known (-want +got):\n%s", diff)
	}

	o = run(t, files(false, fixture.TombstoneFile{Name: "tombstone_00", Spec: noOffset}), nil)
	want = []map[string]any{{"timestamp": nil, "timestamp_local": "2024-03-14 10:00:00.123456789",
		"timestamp_clock": "device local, zone unknown", "file_timestamp": nil, "file_timestamp_local": "2024-03-14 10:00:00",
		"file_timestamp_clock": "device local, zone unknown"}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), keys...)); diff != "" {
		t.Errorf("no offset, zone unknown (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 0 {
		t.Errorf("timeline %q, want no row (no time known in UTC)", o.Timeline)
	}

	// An entry with an extended timestamp is UTC whatever the device zone.
	m := files(false)
	name := fixture.TombstoneDir + "/tombstone_05"
	h := fixture.TombstoneZipHeader(name, t0.Add(3*time.Second), true)
	m[name] = &fstest.MapFile{Data: fixture.TombstoneText(mediaCrash()), ModTime: h.Modified, Sys: h}
	o = run(t, m, nil)
	want = []map[string]any{{"timestamp": "2024-03-14 09:00:00.123456", "timestamp_local": "2024-03-14 10:00:00.123456789+0100",
		"timestamp_clock": "offset +0100", "file_timestamp": "2024-03-14 09:00:03.000000", "file_timestamp_local": "2024-03-14 10:00:02",
		"file_timestamp_clock": "UTC"}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), keys...)); diff != "" {
		t.Errorf("extended timestamp (-want +got):\n%s", diff)
	}

	// A folder: the file's mtime.
	m = fstest.MapFS{name: &fstest.MapFile{Data: fixture.TombstoneText(mediaCrash()), ModTime: time.Date(2024, 3, 15, 8, 0, 0, 0, time.UTC)}}
	o = run(t, m, nil)
	want = []map[string]any{{"file_timestamp": "2024-03-15 08:00:00.000000", "file_timestamp_local": "", "file_timestamp_clock": "file system"}}
	if diff := cmp.Diff(want, moduletest.Project(o.List(t), "file_timestamp", "file_timestamp_local", "file_timestamp_clock")); diff != "" {
		t.Errorf("folder (-want +got):\n%s", diff)
	}
}

// TestOtherLocations: MVT reads */tombstone_* anywhere; older bug reports keep them
// outside FS/.
func TestOtherLocations(t *testing.T) {
	m := fstest.MapFS{
		"bugreport-x/tombstones/tombstone_03": &fstest.MapFile{Data: fixture.TombstoneText(mediaCrash())},
		"FS/data/anr/anr_2024-03-14":          &fstest.MapFile{Data: []byte("----- pid 1 at 2024-03-14 -----")},
	}
	o := run(t, m, nil)
	got := moduletest.Project(o.List(t), "file_path")
	want := []map[string]any{{"file_path": "bugreport-x/tombstones/tombstone_03"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTextVariants: a legacy tombstone (no uid, no Timestamp, no Cmdline) is kept with
// null keys; a kill sent by another process has its sender cut off the code name; the
// first pid line wins over the other threads'.
func TestTextVariants(t *testing.T) {
	legacy := "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***\n" +
		"Build fingerprint: 'samsung/starltexx/starlte:8.0.0/R16NW/G960FXXU1ARCC:user/release-keys'\n" +
		"Revision: '26'\nABI: 'arm64'\n" +
		"pid: 4321, tid: 4330, name: Binder:4321_2  >>> system_server <<<\n" +
		"signal 9 (SIGKILL), code 0 (SI_USER from pid 1, uid 0), fault addr --------\n" +
		"    x0   0000000000000000\n" +
		"--- --- --- --- --- --- --- --- --- --- --- --- --- --- --- ---\n" +
		"pid: 4321, tid: 4321, name: system_server  >>> system_server <<<\n" +
		"signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0\n"
	m := fstest.MapFS{fixture.TombstoneDir + "/tombstone_09": &fstest.MapFile{Data: []byte(legacy)}}
	o := run(t, m, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status %s (%s %v)", o.Status.State, o.Status.Reason, o.Status.Problems)
	}
	got := moduletest.Project(o.List(t), "pid", "tid", "uid", "process_name", "binary_path", "signal_info", "timestamp", "timestamp_clock", "command_line", "arch")
	want := []map[string]any{{"pid": 4321.0, "tid": 4330.0, "uid": nil, "process_name": "Binder:4321_2", "binary_path": "system_server",
		"signal_info": map[string]any{"code": 0.0, "code_name": "SI_USER", "name": "SIGKILL", "number": 9.0},
		"timestamp":   nil, "timestamp_clock": "", "command_line": nil, "arch": "arm64"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"tombstone_00", []byte("hello, this is not a crash report\n"), "not a tombstone"},
		{"tombstone_00.pb", []byte{0x0a, 0xff, 0xff}, "field 1: unexpected EOF"},
		{"tombstone_00.pb", []byte{}, "empty protobuf"},
		{"tombstone_00.pb", append(fixture.TombstoneProto(mediaCrash())[:40:40], 0x52, 0x80), "field"},
	} {
		o := run(t, fstest.MapFS{fixture.TombstoneDir + "/" + tc.name: &fstest.MapFile{Data: tc.data}}, nil)
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, tc.want) {
			t.Errorf("%s %q: status %s (%s), want failed with %q", tc.name, tc.data, o.Status.State, o.Status.Reason, tc.want)
		}
	}
	// One bad file of two: partial, the good one kept.
	m := files(false, fixture.TombstoneFile{Name: "tombstone_00", Spec: mediaCrash()})
	m[fixture.TombstoneDir+"/tombstone_01.pb"] = &fstest.MapFile{Data: []byte{0xff}}
	o := run(t, m, nil)
	if o.Status.State != module.Partial || len(o.List(t)) != 1 || !strings.Contains(strings.Join(o.Status.Problems, ";"), "tombstone_01.pb") {
		t.Errorf("status %s %v, %d records; want partial naming tombstone_01.pb, 1 record", o.Status.State, o.Status.Problems, len(o.List(t)))
	}
}

func TestAbsent(t *testing.T) {
	for name, m := range map[string]fstest.MapFS{
		"nothing":          {"main_entry.txt": &fstest.MapFile{Data: []byte("dumpstate.txt")}},
		"properties only":  {"@sections/system_properties": &fstest.MapFile{Data: []byte(props)}},
		"empty tombstones": {"FS/data/tombstones/.keep": &fstest.MapFile{}},
	} {
		o := run(t, m, nil)
		if o.Status.State != module.Skipped {
			t.Errorf("%s: status %s (%s), want skipped", name, o.Status.State, o.Status.Reason)
		}
	}
}

func TestProcessIndicator(t *testing.T) {
	// The process name matches (text and protobuf).
	spec := fixture.TombstonesSpec{}
	fixture.PlantTombstoneProcess(&spec, t0, "bh")
	m := fstest.MapFS{}
	fixture.AddTombstones(m, spec)
	o := run(t, m, moduletest.Index("processes", "bh"))
	want := []string{"CRITICAL ioc/process tombstone_00", "CRITICAL ioc/process tombstone_00.pb"}
	if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
		t.Errorf("process name hit (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, moduletest.Index("processes", "bh"), tombstones.New())

	// A thread name as process_name: the command line's base name matches.
	c := mediaCrash()
	c.ProcessName = "Thread-7"
	c.Cmdline = []string{"/data/local/tmp/lpe_helper", "-x"}
	o = run(t, files(false, fixture.TombstoneFile{Name: "tombstone_00", Spec: c}), moduletest.Index("processes", "lpe_helper"))
	if diff := cmp.Diff([]string{"CRITICAL ioc/process tombstone_00"}, summary(o.Alerts)); diff != "" {
		t.Errorf("command line hit (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, moduletest.Index("processes", "lpe_helper"), tombstones.New())

	// False positive: a different name, and an argument (not argv[0]) equal to the
	// indicator, do not match.
	c.Cmdline = []string{"/system/bin/app_process64", "lpe_helper"}
	o = run(t, files(false, fixture.TombstoneFile{Name: "tombstone_00", Spec: c}), moduletest.Index("processes", "lpe_helper"))
	if len(o.Alerts) != 0 {
		t.Errorf("alerts %v, want none", summary(o.Alerts))
	}
}

func TestPrivilegedCrash(t *testing.T) {
	spec := fixture.TombstonesSpec{}
	fixture.PlantTombstoneRootCrash(&spec, t0)
	shell := mediaCrash()
	shell.UID, shell.ProcessName, shell.Cmdline = 2000, "sh", []string{"/system/bin/sh"}
	system := mediaCrash()
	system.UID, system.ProcessName, system.Cmdline = 1000, "system_server", []string{"system_server"}
	spec.Files = append(spec.Files, fixture.TombstoneFile{Name: "tombstone_01", Spec: shell}, fixture.TombstoneFile{Name: "tombstone_02.pb", Spec: system, Proto: true})
	m := fstest.MapFS{}
	fixture.AddTombstones(m, spec)
	o := run(t, m, nil) // runs without indicators (MVT needs some loaded)
	want := []string{"MEDIUM tombstones/privileged-crash tombstone_00", "MEDIUM tombstones/privileged-crash tombstone_01",
		"MEDIUM tombstones/privileged-crash tombstone_02.pb"}
	if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	a := o.AlertsOf("tombstones/privileged-crash")[0]
	if a.Message != `Potentially suspicious crash in process "netd" running as UID 0 (root) in tombstone tombstone_00 at 2024-03-14 09:00:00.123456 UTC` ||
		a.Meaning == "" || a.FalsePositive == "" || a.Advice == "" || a.EventTime.IsZero() {
		t.Errorf("alert %+v", a)
	}
	moduletest.Reload(t, o, nil, tombstones.New())

	// False positives: app, media and vendor uids; and an indicator hit takes the place
	// of the uid alert, as in MVT.
	o = run(t, files(false, fixture.TombstoneFile{Name: "tombstone_00", Spec: mediaCrash()}), nil)
	if len(o.Alerts) != 0 {
		t.Errorf("uid 1046: alerts %v, want none", summary(o.Alerts))
	}
	o = run(t, m, moduletest.Index("processes", "netd"))
	want = []string{"CRITICAL ioc/process tombstone_00", "MEDIUM tombstones/privileged-crash tombstone_01",
		"MEDIUM tombstones/privileged-crash tombstone_02.pb"}
	if diff := cmp.Diff(want, summary(o.Alerts)); diff != "" {
		t.Errorf("with indicator (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, moduletest.Index("processes", "netd"), tombstones.New())
}

// TestSamplePlant: the sample raises nothing; each plant raises its alert.
func TestSamplePlant(t *testing.T) {
	now := time.Date(2024, 3, 20, 12, 0, 0, 0, paris)
	clean := fixture.SampleTombstones(now, 12, 7)
	ix := moduletest.Index("processes", "com.pegasus.agent")
	m := fstest.MapFS{}
	fixture.AddTombstones(m, clean)
	o := run(t, m, ix)
	if o.Status.State != module.OK || len(o.List(t)) != len(clean.Files) {
		t.Fatalf("clean: status %s %v, %d records, want %d", o.Status.State, o.Status.Problems, len(o.List(t)), len(clean.Files))
	}
	if len(o.Alerts) != 0 {
		t.Errorf("clean: alerts %v", summary(o.Alerts))
	}
	planted := fixture.SampleTombstones(now, 12, 7)
	fixture.PlantTombstoneProcess(&planted, now.Add(-time.Hour), "com.pegasus.agent")
	fixture.PlantTombstoneRootCrash(&planted, now.Add(-2*time.Hour))
	m = fstest.MapFS{}
	fixture.AddTombstones(m, planted)
	o = run(t, m, ix)
	got := map[string]int{}
	for _, a := range o.Alerts {
		got[a.Level.String()+" "+a.Check]++
	}
	want := map[string]int{"CRITICAL ioc/process": 2, "MEDIUM tombstones/privileged-crash": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("planted (-want +got):\n%s", diff)
	}
}

// TestDecodeMVTRecord reads tombstones the way MVT writes them into
// tombstones.json (its TombstoneCrashResult: times as wall-clock text without zone,
// null optional fields, "Unknown" process name from protobuf files) and checks them
// again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("processes", "lpe_helper")
	ts := func(name string, uid int, cmdline string) string {
		return `{"file_name": "tombstone_03", "file_timestamp": "2024-03-14 10:00:02.000000",
			"build_fingerprint": "google/oriole/oriole:14/AP2A.240805.005/12025142:user/release-keys", "revision": "MP1.0", "arch": "arm64",
			"timestamp": "2024-03-14 10:00:00.123456", "process_uptime": 40, "command_line": ["` + cmdline + `"], "pid": 600, "tid": 600,
			"process_name": "` + name + `", "binary_path": "` + cmdline + `", "selinux_label": null, "uid": ` + strconv.Itoa(uid) + `,
			"signal_info": {"code": 1, "code_name": "SEGV_MAPERR", "name": "SIGSEGV", "number": 11}, "cause": "null pointer dereference",
			"causes": [{"human_readable": "null pointer dereference"}], "abort_message": null, "extra": null}`
	}
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"privileged crash", ts("netd", 0, "/system/bin/netd"), []string{`tombstones/privileged-crash Potentially suspicious crash in process "netd" ` +
			`running as UID 0 (root) in tombstone tombstone_03 at 2024-03-14 10:00:00.123456`}},
		{"process", ts("lpe_helper", 2000, "/data/local/tmp/lpe_helper"),
			[]string{`ioc/process Found a known suspicious process "lpe_helper" in a crash report (tombstone tombstone_03)`}},
		{"command line", ts("Unknown", 10123, "/data/local/tmp/lpe_helper"),
			[]string{`ioc/process Found a known suspicious process "lpe_helper" in a crash report (tombstone tombstone_03)`}},
		{"app crash", ts("com.example.app", 10123, "com.example.app"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tombstones.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
			})
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
