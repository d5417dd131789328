package iosfs

import (
	"context"
	"testing"
)

// TestTarGzKeepsSidecars checks that a .tar.gz keeps the write-ahead log, shared
// memory and journal of a wanted database, wanted by path or by base name: without
// its log, a database opened from the dump would silently lack its latest rows.
func TestTarGzKeepsSidecars(t *testing.T) {
	fsys := files(t)
	for _, s := range []string{"-wal", "-shm", "-journal"} {
		fsys["private/var/mobile/Library/SMS/sms.db"+s] = "sms" + s
		fsys["private/var/mobile/Library/Caches/app/Cache.db"+s] = "cache" + s
	}
	fsys["private/var/mobile/Library/Caches/app/Cache.db"] = "cache"
	fsys["private/var/mobile/Library/SMS/other.db-wal"] = "not wanted"
	p := writeFile(t, gz(t, tarOf(t, "", fsys, nil)), "dump.tar.gz")
	d, err := Open(context.Background(), p, Options{Want: []string{"HomeDomain/Library/SMS/sms.db"}, WantNames: []string{"Cache.db"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, s := range []string{"-wal", "-shm", "-journal"} {
		if got := read(t, d, "HomeDomain/Library/SMS/sms.db"+s); got != "sms"+s {
			t.Errorf("sms.db%s = %q", s, got)
		}
		if got := read(t, d, "private/var/mobile/Library/Caches/app/Cache.db"+s); got != "cache"+s {
			t.Errorf("Cache.db%s = %q", s, got)
		}
	}
	if _, err := d.Open("HomeDomain/Library/SMS/other.db-wal"); err == nil {
		t.Error("the log of a database nobody wants was kept")
	}
}
