package mounts_test

import (
	"testing"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/android/mounts"
)

func FuzzParseLine(f *testing.F) {
	spec := fixture.SampleAQFMounts()
	fixture.PlantAQFMountsSystemRW(&spec)
	for _, m := range spec.Mounts {
		f.Add(fixture.AQFMountLine(m, false))
		f.Add(fixture.AQFMountLine(m, true))
	}
	f.Add(`a\040b on  on type type (x,(y)`)
	f.Add(`/dev/x /m\777\0 ext4 rw 0 0`)
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := mounts.ParseLine(line)
		if ok && (r.Device == "" || r.MountPoint == "" || r.FilesystemType == "" || r.OptionsList == nil) {
			t.Fatalf("incomplete record %+v", r)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add(fixture.AQFMountsJSON(fixture.SampleAQFMounts()))
	f.Add([]byte(`["a on /b type c (d)\nx /y z w 0 0", null, 1]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, _, err := mounts.Parse(data)
		if err != nil && len(recs) > 0 {
			t.Fatal("records with an error")
		}
	})
}
