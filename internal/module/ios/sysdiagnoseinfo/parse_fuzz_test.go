package sysdiagnoseinfo_test

import (
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseinfo"
)

func FuzzParseDumpstate(f *testing.F) {
	f.Add(fixture.SysdiagnoseDumpstateText(spec()))
	f.Add([]byte("Found foo\n\tProduct Type: \"MacBookPro15,1\"\n\nLocal device\n\tOS Build: 16.7.5 (20H307)\n\tProperties: {\n\t\tHWModel => D79AP\n\t}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := sysdiagnoseinfo.ParseDumpstate(data, func(int, error) {})
		if err != nil {
			return
		}
		if d == nil || len(d.Properties) > 7 {
			t.Fatalf("dumpstate %+v", d)
		}
		for k, v := range d.Properties {
			if len(v) > 256+3*256 || strings.ContainsRune(k, '\n') {
				t.Fatalf("property %q = %q", k, v)
			}
		}
	})
}

func FuzzNameFromLog(f *testing.F) {
	f.Add(fixture.SysdiagnoseInfoLogText(spec()))
	f.Add([]byte("spindump_sysdiagnose_2024.04.02_10-15-30-0500 x\nIN_PROGRESS_sysdiagnose_2024.04.02_10-15-30-0500_a_b_1A1.tmp\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, ok, _ := sysdiagnoseinfo.NameFromLog(data)
		if ok && (n.CollectionTime.IsZero() || !strings.HasPrefix(n.Name, "sysdiagnose_")) {
			t.Fatalf("name %+v", n)
		}
	})
}
