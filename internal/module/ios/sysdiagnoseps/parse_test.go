package sysdiagnoseps

import (
	"strings"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/fixture"
)

func TestBinaryPath(t *testing.T) {
	tests := map[string]string{
		"/sbin/launchd":                        "/sbin/launchd",
		"/usr/libexec/UserEventAgent (System)": "/usr/libexec/UserEventAgent",
		"/a/My App.app/My App":                 "/a/My App.app/My App",
		"/a/My App.app/My App -x y":            "/a/My App.app/My App",
		"/a/My App.app/Other -x":               "/a/My",
		"/a/Signal.app/Signal --flag":          "/a/Signal.app/Signal",
		"kernel_task":                          "",
		"(launchd)":                            "",
		"/x .app/":                             "/x",
	}
	for cmd, want := range tests {
		if got := binaryPath(cmd); got != want {
			t.Errorf("binaryPath(%q) = %q, want %q", cmd, got, want)
		}
	}
}

func TestPsThreadTruncatedCommandWithSpace(t *testing.T) {
	// The 7-character COMMAND column holds "/a/My A": its space must not shift the
	// columns after it.
	data := fixture.PsThreadText([]fixture.PsRow{{User: "mobile", PID: 812, PPID: 1, Started: "9:41AM", Command: "/a/My App.app/My App", Threads: 2}})
	var problems []string
	rows, err := parsePs(data, func(line int, err error) { problems = append(problems, err.Error()) })
	if err != nil || len(problems) != 0 || len(rows) != 1 {
		t.Fatalf("rows %v, problems %v, err %v", rows, problems, err)
	}
	r := rows[0]
	if r.pid != 812 || r.ppid != 1 || r.started != "9:41AM" || r.command != "/a/My App.app/My App" || r.user != "mobile" || r.uid != nil {
		t.Errorf("row %+v", r)
	}
}

func TestHostileHeader(t *testing.T) {
	if _, err := parsePs([]byte(strings.Repeat("X ", 100)+"COMMAND\n"), func(int, error) {}); err == nil {
		t.Error("a header of 101 columns was accepted")
	}
	if _, err := parsePs([]byte("USER COMMAND\nroot /sbin/launchd\n"), func(int, error) {}); err == nil {
		t.Error("a header without PID was accepted")
	}
}

func TestParseCollectionTime(t *testing.T) {
	got, ok := ParseCollectionTime([]byte("x\nspindump_sysdiagnose_2023.05.10_12-34-56-0700_iPhone-OS_iPhone_20F66.txt\n"))
	if want := time.Date(2023, 5, 10, 19, 34, 56, 0, time.UTC); !ok || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %v %v, want %v", got, ok, want)
	}
	if _, ok := ParseCollectionTime([]byte("no date here")); ok {
		t.Error("a date was found in a log without one")
	}
}

func FuzzParsePs(f *testing.F) {
	f.Add(fixture.PsText(fixture.PsIOS16, []fixture.PsRow{{User: "root", PID: 1, Started: "Mon08AM", Command: "/sbin/launchd"}}))
	f.Add(fixture.PsText(fixture.PsLegacy, []fixture.PsRow{{User: "root", PID: 1, Started: "14Jan19", Command: "/sbin/launchd x"}}))
	f.Add(fixture.PsThreadText([]fixture.PsRow{{User: "root", PID: 1, Started: "7:00PM", Command: "/a/My App.app/My App", Threads: 3}}))
	f.Add([]byte("USER PID COMMAND COMMAND\nx 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parsePs(data, func(int, error) {})
		if err != nil && rows != nil {
			t.Fatal("rows returned with an error")
		}
		for _, r := range rows {
			if r.command == "" || r.pid < 0 || len(r.command) > maxCommand {
				t.Fatalf("bad row %+v", r)
			}
			p := binaryPath(r.command)
			if p != "" && !strings.HasPrefix(r.command, p) {
				t.Fatalf("path %q is not a prefix of %q", p, r.command)
			}
			_ = processName(r.command, p)
		}
	})
}
