package aqfprocesses_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/android/aqfprocesses"
)

func FuzzParseText(f *testing.F) {
	f.Add([]byte(psText))
	f.Add([]byte("LABEL USER PID PPID VSZ RSS WCHAN ADDR S NAME\nu:r:init:s0 root 1 0 100 20 0 S init\n"))
	f.Add([]byte("USER     PID   PPID  VSIZE  RSS     WCHAN    PC         NAME\nroot      1     0     8904   788   ffffffff 00000000 S /init\n"))
	spec := fixture.SampleAQFProcesses(time.Unix(1.7e9, 0), 10, 1, fixture.AQFPsTxt)
	spec.LabelColumn, spec.EmptyWChan = true, true
	f.Add(fixture.AQFProcessesText(spec))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _ := aqfprocesses.ParseText("ps.txt", data)
		for _, r := range recs {
			if r.Source != "ps.txt" || r.Line < 1 {
				t.Fatalf("record %+v", r)
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add(fixture.AQFProcessesJSONData(fixture.SampleAQFProcesses(time.Unix(1.7e9, 0), 6, 1, fixture.AQFProcessesJSON)))
	f.Add([]byte(`[{"pid":1,"command_line":["a",1,null],"env":{}}, null, "x"]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, err := aqfprocesses.ParseJSON("processes.json", bytes.NewReader(data))
		if err != nil && len(recs) != 0 {
			t.Fatalf("records with an error")
		}
	})
}
