package androidqf_test

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire/androidqf"
	"github.com/spytrace/spytrace/internal/fixture"
)

// TestSniff checks which tops Sniff takes for an androidqf collection: the scenario's,
// one without acquisition.json, and the tops of other acquisitions that share some of
// its file names.
func TestSniff(t *testing.T) {
	scenario, _, err := fixture.ScenarioAndroidQF(false)
	if err != nil {
		t.Fatal(err)
	}
	mapOf := func(files map[string][]byte) fstest.MapFS {
		m := fstest.MapFS{}
		for n, d := range files {
			m[n] = &fstest.MapFile{Data: d}
		}
		return m
	}
	noAcquisition := mapOf(scenario)
	delete(noAcquisition, "acquisition.json")
	allFiles := []string{"backup.ab", "bugreport.zip", "files.json", "mounts.json", "packages.json", "processes.json", "root_binaries.json", "settings_*.txt"}
	for _, tc := range []struct {
		name  string
		fsys  fstest.MapFS
		uuid  string
		files []string
		isAQF bool
	}{
		{"scenario", mapOf(scenario), fixture.AndroidQFUUID, allFiles, true},
		{"without acquisition.json", noAcquisition, "", allFiles, true},
		{"acquisition.json only", mapOf(map[string][]byte{"acquisition.json": collection["acquisition.json"]}), "5c2e0a3e-8d1f-4b55-9a7e-0b5f7c1d2e3f", nil, true},
		{"another acquisition.json", mapOf(map[string][]byte{"acquisition.json": []byte(`{"tool":"other"}`)}), "", nil, false},
		{"intrusion logs with getprop.txt", mapOf(map[string][]byte{"getprop.txt": nil, "intrusion_logs/a.txt": nil}), "", nil, false},
		{"one own file", mapOf(map[string][]byte{"packages.json": nil, "dumpsys.txt": nil, "ps.txt": nil}), "", []string{"packages.json"}, false},
		{"a folder named like a file", mapOf(map[string][]byte{"packages.json/x": nil, "mounts.json/y": nil}), "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := androidqf.Sniff(tc.fsys)
			if ok != tc.isAQF {
				t.Errorf("androidqf: %v, want %v", ok, tc.isAQF)
			}
			uuid := ""
			if s.Acquisition != nil {
				uuid = s.Acquisition.UUID
			}
			if uuid != tc.uuid {
				t.Errorf("uuid %q, want %q", uuid, tc.uuid)
			}
			if diff := cmp.Diff(tc.files, s.Files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}
