package sysdiagnosecrashes

import (
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/fixture"
)

func FuzzParseIPS(f *testing.F) {
	at := time.Date(2021, 7, 10, 12, 34, 56, 0, time.FixedZone("", 2*3600))
	for _, bt := range []string{"309", "109", "298"} {
		f.Add(fixture.IPSReport(fixture.IPSSpec{BugType: bt, AppName: "IMTranscoderAgent", Time: at, ProcName: "IMTranscoderAgent",
			ProcPath: "/System/x/IMTranscoderAgent", ParentProc: "launchd", PID: 5, ExceptionType: "EXC_BAD_ACCESS", Signal: "SIGSEGV"}))
	}
	f.Add([]byte("{\"bug_type\":309}\nProcess: a [1]\nDate/Time: 2021-01-01 00:00:00 +0000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseIPS(data)
		if err != nil {
			if r != nil {
				t.Fatal("report returned with an error")
			}
			return
		}
		for _, s := range []string{r.appName, r.name, r.procName, r.procPath, r.parentProc, r.bugType, r.exceptionType} {
			if len(s) > maxField {
				t.Fatalf("field of %d bytes", len(s))
			}
		}
		if !r.timestamp.IsZero() && r.timestamp.Location() != time.UTC {
			t.Fatalf("timestamp %v not in UTC", r.timestamp)
		}
		rec := recordOf("x.ips", r)
		_ = rec.Summary()
	})
}
