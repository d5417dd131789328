package union_test

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/acquire/union"
)

func TestUnion(t *testing.T) {
	collection := memfs.New(acquire.AndroidQF, fstest.MapFS{
		"getprop.txt":          {Data: []byte("[a]: [1]\n")},
		"packages.json":        {Data: []byte("[]")},
		"intrusion_logs/1.txt": {Data: []byte("{}\n")},
		"version.txt":          {Data: []byte("collection")},
	})
	bugreport := memfs.New(acquire.AndroidBugreport, fstest.MapFS{
		"@sections/dumpsys/package":       {Data: []byte("Packages:\n")},
		"FS/data/tombstones/tombstone_00": {Data: []byte("crash")},
		"version.txt":                     {Data: []byte("bugreport")},
	})
	backup := memfs.New(acquire.AndroidBackup, fstest.MapFS{
		"apps/com.android.providers.telephony/d_f/000000_sms_backup": {Data: []byte("x")},
	})
	u := union.New(acquire.AndroidQF, "evidence", union.Layer{Label: "collection", FS: collection},
		union.Layer{Label: "bugreport.zip", FS: bugreport}, union.Layer{Label: "backup.ab", FS: backup})
	if err := fstest.TestFS(u, "getprop.txt", "@sections/dumpsys/package", "FS/data/tombstones/tombstone_00",
		"apps/com.android.providers.telephony/d_f/000000_sms_backup", "intrusion_logs/1.txt"); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.ReadFile(u, "version.txt"); string(got) != "collection" {
		t.Errorf("version.txt = %q: the first layer must win", got)
	}
	if u.Kind() != acquire.AndroidQF || u.Root() != "evidence" {
		t.Errorf("kind %v root %v", u.Kind(), u.Root())
	}
	found := false
	for _, p := range u.Problems() {
		found = found || (p.Kind == "shadowed_name" && p.Name == "version.txt")
	}
	if !found {
		t.Errorf("no shadowed_name problem: %v", u.Problems())
	}
	if _, err := u.LocalPath("getprop.txt"); err == nil {
		t.Error("LocalPath of a memory file succeeded")
	}
	if _, err := u.Open("absent"); err == nil {
		t.Error("absent name opened")
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
}
