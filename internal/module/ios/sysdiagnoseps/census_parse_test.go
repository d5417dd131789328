package sysdiagnoseps

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/fixture"
)

func TestParseImageLine(t *testing.T) {
	tests := map[string]spinImage{
		// user image with an unknown end
		"0x1004a8000 -                ???  mediaserverd           <1D2C3B4A-5E6F-3A7B-8C9D-0E1F2A3B4C5D>  /usr/sbin/mediaserverd": {
			name: "mediaserverd", uuid: "1D2C3B4A-5E6F-3A7B-8C9D-0E1F2A3B4C5D", path: "/usr/sbin/mediaserverd"},
		// a name with a version, a path with spaces
		"0x100070000 -        0x10007ffff  com.example.Lib Kit 1.0 (1)     <e0d79dbe-2cb7-367e-a1c6-6788d7cecb3c>  /a/My App.app/Frameworks/Lib Kit": {
			name: "com.example.Lib Kit 1.0 (1)", uuid: "E0D79DBE-2CB7-367E-A1C6-6788D7CECB3C", path: "/a/My App.app/Frameworks/Lib Kit"},
		// a kernel image: "*" before the address, a segment glued to the UUID
		"*0xfffffe0008860000 - 0xfffffe00091cffff  kernel.release.t8101 (10002.81.5)   <B3B9C89A-5728-31D0-8065-3C50623191AE>__TEXT_EXEC  /System/Library/Kernels/kernel.release.t8101": {
			name: "kernel.release.t8101 (10002.81.5)", uuid: "B3B9C89A-5728-31D0-8065-3C50623191AE", path: "/System/Library/Kernels/kernel.release.t8101"},
		// no path, a UUID that is not one
		"0x1b0000000 -        0x1b0000fff  ???  <not-a-uuid>": {name: "???"},
	}
	for line, want := range tests {
		got, err := parseImageLine(line)
		if err != nil || got != want {
			t.Errorf("parseImageLine(%q) = %+v, %v; want %+v", line, got, err, want)
		}
	}
	for _, bad := range []string{"0x1 - 0x2 name", "name <UUID> /x", "0x1 0x2 x <A> /p", "x - y z <A> /p", "> <"} {
		if got, err := parseImageLine(bad); err == nil {
			t.Errorf("parseImageLine(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestParseSpindumpBlocks(t *testing.T) {
	data := strings.Join([]string{
		"Date/Time:        2023-05-24 13:29:15.759 -0700",
		"End time:         2023-05-24 13:29:17.757 -0700",
		"OS Version:       iPhone OS 15.7.6 (Build 19H349)",
		"",
		"Heavy format: stacks are sorted by count",
		"Use -i and -timeline to re-report with chronological sorting",
		"",
		"------------------------------------------------------------",
		"",
		"Process:          Google Chrome Helper (Renderer) [4061] [unique pid 90210]",
		"UUID:             bdbdd550-2b15-382c-bb61-1798afd60460",
		"Path:             /a/Chrome.app/Helper (Renderer).app/Helper (Renderer)",
		"Parent:           launchd [1] [unique pid 1]",
		"UID:              501",
		"Time Since Fork:  201s",
		"Num samples:      8 (1-8)",
		"",
		"  Thread 0x8b6    DispatchQueue \"com.apple.main-thread\"(1)    8 samples (1-8)    priority 31 (base 31)",
		"  8  ??? (dyld + 99536) [0x102c504d0]",
		"Note: not in the head any more",
		"Process:          zombie [77]",
		"",
		"Process:          notapid [x]",
		"UID:              0",
		"  Binary Images:",
		"           0x102c38000 -        0x102ca3fff  dyld  <58AB16CE-D7E0-32D3-946D-4F68FB1A4A17>  /usr/lib/dyld",
		"Process:          kernel_task [0]",
		"Start time:       2023-05-24 11:00:00 -0700",
		"  Binary Images:",
		"           0x102c38000 -        0x102ca3fff  dyld  <58AB16CE-D7E0-32D3-946D-4F68FB1A4A17>  /usr/lib/dyld",
		"   *0xfffffff007004000 - 0xfffffff0079fffff  kernel <B3B9C89A-5728-31D0-8065-3C50623191AE>",
		"",
		"IO Size Histogram:",
		"     Begin      End            Frequency                     CDF",
		"       0KB       4KB\t\t     218\t\t     218",
	}, "\n")
	var problems []string
	sd, err := parseSpindump([]byte(data), func(n int, err error) { problems = append(problems, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("", -7*3600)
	if want := time.Date(2023, 5, 24, 13, 29, 15, 759e6, zone); !sd.date.Equal(want) {
		t.Errorf("date %v, want %v", sd.date, want)
	}
	if _, off := sd.date.Zone(); off != -7*3600 {
		t.Errorf("date zone offset %d, want the header's -0700", off)
	}
	i64 := func(v int64) *int64 { return &v }
	want := []spinProc{
		{name: "Google Chrome Helper (Renderer)", pid: 4061, path: "/a/Chrome.app/Helper (Renderer).app/Helper (Renderer)",
			uuid: "BDBDD550-2B15-382C-BB61-1798AFD60460", ppid: i64(1), uid: i64(501), sinceFork: i64(201)},
		{name: "zombie", pid: 77},
		{name: "kernel_task", pid: 0, start: time.Date(2023, 5, 24, 11, 0, 0, 0, zone), images: []spinImage{
			{name: "dyld", uuid: "58AB16CE-D7E0-32D3-946D-4F68FB1A4A17", path: "/usr/lib/dyld"},
			{name: "kernel", uuid: "B3B9C89A-5728-31D0-8065-3C50623191AE"}}},
	}
	if diff := cmp.Diff(want, sd.procs, cmp.AllowUnexported(spinProc{}, spinImage{})); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`process line: "notapid [x]" is not "name [pid]"`}, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestParseTaskinfoBlocks(t *testing.T) {
	data := strings.Join([]string{
		"num tasks: 4",
		"",
		`process: "launchd" [1] [unique ID: 1]`,
		"architecture: arm64",
		"run time: 216 s",
		"threads:",
		"\tthread ID: 0x338 / 824",
		"\tthread name: \"x\"",
		"\tprocess: \"hidden\" [5]", // inside a thread block: not a process
		"",
		"",
		`process: "a "quoted" [name]" [2]`,
		"unique ID/version: 2 / 2",
		"audit: { auid -1 uid 501 gid 501 ruid 0 rgid 0 pid 2 asid 100000 version 2}",
		"executable uuid: c6c13b87-01f0-33ea-a98a-fc0c298a53ea",
		"run time: soon s",
		"threads:",
		"run time: 7 s", // after threads: not this process's
		`process: "big" [4294967296]`,
		`process: "bad [3]`,
	}, "\n")
	var problems []string
	rows, err := parseTaskinfo([]byte(data), func(n int, err error) { problems = append(problems, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	i64 := func(v int64) *int64 { return &v }
	want := []taskRow{
		{name: "launchd", pid: 1, runTime: i64(216)},
		{name: `a "quoted" [name]`, pid: 2, uid: i64(501), uuid: "C6C13B87-01F0-33EA-A98A-FC0C298A53EA"},
	}
	if diff := cmp.Diff(want, rows, cmp.AllowUnexported(taskRow{})); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantProblems := []string{`pid "4294967296" is out of range`, `process line "process: \"bad [3]" is not ` + "`process: \"name\" [pid]`"}
	if diff := cmp.Diff(wantProblems, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestBlockFileLineCap(t *testing.T) {
	var problems []string
	n := 0
	eachLine([]byte("a\nb\nc\nd"), 2, func(line int, err error) { problems = append(problems, err.Error()) }, func(int, string) { n++ })
	if n != 2 || len(problems) != 1 || !strings.Contains(problems[0], "more than 2 lines") {
		t.Errorf("read %d lines, problems %q; want 2 and one problem", n, problems)
	}
}

func censusSeeds() [][]byte {
	spec := fixture.SampleSysdiagnose(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), 4, 1)
	fixture.PlantSysdiagnoseSpindumpImage(&spec, fixture.SysdiagnoseImplantLibrary)
	fixture.PlantSysdiagnoseSpindumpProcess(&spec, fixture.SysdiagnoseImplant, 777)
	files := fixture.SysdiagnoseFiles(spec)
	return [][]byte{files[fixture.SysdiagnoseTaskinfo].Data, files[fixture.SysdiagnoseSpindump].Data,
		fixture.TaskinfoText(fixture.TaskinfoLegacy, spec.Taskinfo[:2])}
}

func FuzzParseTaskinfo(f *testing.F) {
	for _, s := range censusSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseTaskinfo(data, func(int, error) {})
		if err != nil && rows != nil {
			t.Fatal("rows returned with an error")
		}
		for _, r := range rows {
			if r.pid < 0 || r.pid > 1<<31-1 || len(r.name) > maxName || (r.uuid != "" && !uuidRE.MatchString(r.uuid)) {
				t.Fatalf("bad row %+v", r)
			}
			_ = taskEntry(r, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		}
	})
}

func FuzzParseSpindump(f *testing.F) {
	for _, s := range censusSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := parseSpindump(data, func(int, error) {})
		if err != nil {
			if sd != nil {
				t.Fatal("a report returned with an error")
			}
			return
		}
		m := &merger{byPID: map[int64][]*Record{}}
		for _, p := range sd.procs {
			if p.pid < 0 || len(p.name) > maxName || len(p.path) > maxName || len(p.images) > maxProcImages {
				t.Fatalf("bad process %+v", p)
			}
			if p.path != "" && !strings.HasPrefix(p.path, "/") {
				t.Fatalf("relative path %q", p.path)
			}
			m.add(spinEntry(p, sd.date), SpindumpPath)
		}
		for _, im := range distinctImages(sd, m.recs) {
			if im.Path == "" || im.ProcessCount < len(im.LoadedBy) || len(im.LoadedBy) > maxLoadedBy {
				t.Fatalf("bad image %+v", im)
			}
		}
	})
}
