package tombstones_test

import (
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/android/tombstones"
)

func fuzzSpec() fixture.TombstoneSpec {
	return fixture.TombstoneSpec{BuildFingerprint: "a/b/c:14/X/1:user/release-keys", Revision: "0", ABI: "arm",
		Time: time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("", 3600)), Cmdline: []string{"/system/bin/x", "-y"},
		PID: 1, TID: 2, UID: 0, ProcessName: "x", BinaryPath: "/system/bin/x", Signal: 11, SignalName: "SIGSEGV",
		Code: 1, CodeName: "SEGV_MAPERR", Cause: "null pointer dereference", AbortMessage: "boom",
		Threads: []fixture.TombstoneThread{{TID: 3, Name: "t"}}}
}

func FuzzParseText(f *testing.F) {
	f.Add(fixture.TombstoneText(fuzzSpec()))
	f.Add([]byte("pid: 1, tid: 2, name: a, b  >>> c <<<\nsignal 9 (SIGKILL), code 0 (SI_USER from pid 1, uid 0), fault addr --------\n"))
	f.Add([]byte("signal x\nsignal -\nsignal 1 ((((\nuid: -1\nProcess uptime: s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := tombstones.ParseText(data)
		if err == nil && c == nil {
			t.Fatal("nil crash without error")
		}
	})
}

func FuzzParseProto(f *testing.F) {
	f.Add(fixture.TombstoneProto(fuzzSpec()))
	f.Add([]byte{0x0a, 0x02, 0x08, 0x01})
	f.Add([]byte{0x7a, 0x04, 0x12, 0x02, 0x12, 0x00, 0x0b, 0x0c})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := tombstones.ParseProto(data)
		if err == nil && c == nil {
			t.Fatal("nil crash without error")
		}
	})
}
