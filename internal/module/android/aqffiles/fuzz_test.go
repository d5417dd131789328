package aqffiles_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module/android/aqffiles"
)

func FuzzRead(f *testing.F) {
	at := time.Unix(1.7e9, 0)
	for _, m := range []fixture.AQFFilesMethod{fixture.AQFFilesCollector, fixture.AQFFilesFindPrintf} {
		f.Add(fixture.AQFFilesJSON(fixture.SampleAQFFiles(at, 3, 1, m)))
		f.Add(fixture.AQFFilesJSON(fixture.AQFFilesSpec{Method: m, NDJSON: true, Files: fixture.SampleAQFFiles(at, 3, 2, m).Files}))
	}
	f.Add([]byte(`[{"path":"/a","mode":"0755","modified_time":"1e300"}, [], null, {"size":1e999}]`))
	f.Add([]byte("\xef\xbb\xbf{\"path\":1}\n{\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		got, _, err := aqffiles.Read(bytes.NewReader(data), func(i int, e aqffiles.Entry) error {
			n++
			r := aqffiles.NewRecord(i, e, time.UTC, "UTC")
			_ = r.Timeline()
			return nil
		})
		if got != n || (err != nil && n != 0) {
			t.Fatalf("entries %d, callbacks %d, err %v", got, n, err)
		}
	})
}
