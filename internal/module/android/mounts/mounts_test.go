package mounts_test

import (
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/mounts"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

func run(t *testing.T, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), ix, mounts.New())
}

func file(lines ...string) fstest.MapFS {
	return fstest.MapFS{"mounts.json": {Data: fixtureJSON(lines)}}
}

func fixtureJSON(lines []string) []byte {
	var b strings.Builder
	b.WriteString("[")
	for i, l := range lines {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + strings.ReplaceAll(strings.ReplaceAll(l, `\`, `\\`), `"`, `\"`) + `"`)
	}
	b.WriteString("]")
	return []byte(b.String())
}

func TestRecords(t *testing.T) {
	o := run(t, nil, file(
		"/dev/block/dm-6 on / type erofs (ro,seclabel,relatime)",
		"/dev/block/dm-9 on /vendor type ext4 (ro,seclabel,noatime)",
		"tmpfs on /mnt type tmpfs",
		"/dev/block/dm-9 /vendor ext4 ro,seclabel,noatime 0 0", // the same mount again
		"/dev/block/by-name/my\\040disk /mnt/my\\040disk vfat rw,nosuid 0 0",
		"not a mount line",
		"",
	))
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"device": "/dev/block/dm-6", "mount_point": "/", "filesystem_type": "erofs", "mount_options": "ro,seclabel,relatime",
			"options_list": []any{"ro", "seclabel", "relatime"}, "is_system_partition": false, "is_read_write": false, "format": "mount", "entry": 1.0},
		{"device": "/dev/block/dm-9", "mount_point": "/vendor", "filesystem_type": "ext4", "mount_options": "ro,seclabel,noatime",
			"options_list": []any{"ro", "seclabel", "noatime"}, "is_system_partition": true, "is_read_write": false, "format": "mount", "entry": 2.0},
		{"device": "tmpfs", "mount_point": "/mnt", "filesystem_type": "tmpfs", "mount_options": "",
			"options_list": []any{}, "is_system_partition": false, "is_read_write": false, "format": "mount", "entry": 3.0},
		{"device": "/dev/block/by-name/my disk", "mount_point": "/mnt/my disk", "filesystem_type": "vfat", "mount_options": "rw,nosuid",
			"options_list": []any{"rw", "nosuid"}, "is_system_partition": false, "is_read_write": true, "format": "proc_mounts", "entry": 5.0},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.Timeline) != 0 {
		t.Errorf("alerts %v timeline %v", o.Alerts, o.Timeline)
	}
}

func alertsOf(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		s := a.Level.String() + " " + a.Check
		if a.Indicator != nil {
			s += " " + a.Indicator.Value
		} else {
			s += " " + a.Message
		}
		out = append(out, s)
	}
	return out
}

func TestHeuristics(t *testing.T) {
	spec := fixture.SampleAQFMounts()
	fixture.PlantAQFMountsSystemRW(&spec)
	fixture.PlantAQFMountsPartitionRW(&spec)
	fixture.PlantAQFMountsOption(&spec)
	spec.Mount = true // one shape only: each mount once
	o := run(t, nil, fixture.AQFMountsFiles(spec))
	want := []string{
		"MEDIUM mounts/suspicious-options Suspicious mount options found for /system_ext: nodiratime",
		"HIGH mounts/system-rw Root detected: /system partition is mounted as read-write (rw) (/dev/block/dm-0, rw,seclabel,relatime)",
		"HIGH mounts/system-partition-rw System partition /vendor/bin is mounted as read-write (rw); this may indicate system modifications (/dev/block/dm-45, rw,seclabel,relatime)",
	}
	if diff := cmp.Diff(want, alertsOf(o)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, mounts.New())
	// Both shapes of the same mounts: the same alerts, once.
	spec.Mount = false
	if got := alertsOf(run(t, nil, fixture.AQFMountsFiles(spec))); !cmp.Equal(want, got) {
		t.Errorf("both shapes: %v", got)
	}
	// remount and noatime on /system (not allowed there).
	o = run(t, nil, file("/dev/block/dm-0 /system ext4 ro,remount,noatime 0 0"))
	if diff := cmp.Diff([]string{"MEDIUM mounts/suspicious-options Suspicious mount options found for /system: remount, noatime"}, alertsOf(o)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// False positives: noatime where MVT allows it, rw outside system partitions, and
// the real mounts of an unmodified phone.
func TestClean(t *testing.T) {
	o := run(t, nil, file(
		"/dev/block/dm-9 on /vendor type ext4 (ro,seclabel,noatime)",
		"/dev/block/dm-10 on /vendor_dlkm type erofs (ro,seclabel,noatime)",
		"/dev/block/dm-45 on /data type f2fs (rw,lazytime,seclabel,nosuid,nodev,noatime)",
		"/dev/block/by-name/persist /mnt/vendor/persist ext4 rw,seclabel,nosuid,nodev,noatime 0 0",
	))
	if len(o.Alerts) != 0 {
		t.Errorf("false positives: %v", alertsOf(o))
	}
	ix := moduletest.Index("file_paths", "/data/local/tmp/x")
	o = run(t, ix, fixture.AQFMountsFiles(fixture.SampleAQFMounts()))
	if o.Status.State != module.OK || len(o.List(t)) != len(fixture.SampleAQFMounts().Mounts) {
		t.Errorf("sample: %+v, %d records", o.Status, len(o.List(t)))
	}
	for _, a := range o.Alerts {
		if a.Level >= alert.Medium {
			t.Errorf("sample raised %s: %s", a.Check, a.Message)
		}
	}
}

func TestIndicators(t *testing.T) {
	ix := moduletest.Index("file_paths", "/mnt/secret_overlay", "file_paths", "/dev/block/loop77",
		// False positive: a sibling name.
		"file_paths", "/mnt/vendor/persistx")
	o := run(t, ix, file(
		"/dev/block/loop77 on /apex/com.evil type ext4 (ro)",
		"tmpfs on /mnt/secret_overlay/sub type tmpfs (rw)",
		"/dev/block/by-name/persist on /mnt/vendor/persist type ext4 (rw)",
	))
	want := []string{"CRITICAL ioc/file_path /dev/block/loop77", "CRITICAL ioc/file_path /mnt/secret_overlay"}
	if diff := cmp.Diff(want, alertsOf(o)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, mounts.New())
}

func TestAbsentAndCorrupt(t *testing.T) {
	if o := run(t, nil, fstest.MapFS{"getprop.txt": {Data: []byte("")}}); o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	for _, data := range []string{"{", `{"a":"b"}`, "\x00"} {
		o := run(t, nil, fstest.MapFS{"mounts.json": {Data: []byte(data)}})
		if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not a JSON list of mount lines") {
			t.Errorf("%q: %+v", data, o.Status)
		}
	}
	for _, data := range []string{"", "null", "[]"} {
		o := run(t, nil, fstest.MapFS{"mounts.json": {Data: []byte(data)}})
		if o.Status.State != module.OK || len(o.List(t)) != 0 {
			t.Errorf("%q: %+v", data, o.Status)
		}
	}
	o := run(t, nil, fstest.MapFS{"mounts.json": {Data: []byte(`["a on /b type c (d)", 5]`)}})
	if o.Status.State != module.Partial || len(o.List(t)) != 1 {
		t.Errorf("odd entry: %+v", o.Status)
	}
}

// TestDecodeMVTRecord reads mounts the way MVT writes them into mounts.json
// (device, mount_point, filesystem_type, mount_options, options_list,
// is_system_partition, is_read_write) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("file_paths", "/mnt/secret_overlay")
	mount := func(dev, mp, fs, opts string, system, rw bool) string {
		list := `[]`
		if opts != "" {
			list = `["` + strings.ReplaceAll(opts, ",", `", "`) + `"]`
		}
		return `{"device": "` + dev + `", "mount_point": "` + mp + `", "filesystem_type": "` + fs + `", "mount_options": "` + opts +
			`", "options_list": ` + list + `, "is_system_partition": ` + strconv.FormatBool(system) + `, "is_read_write": ` + strconv.FormatBool(rw) + `}`
	}
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"system rw", mount("/dev/block/dm-0", "/system", "ext4", "rw,seclabel,relatime", true, true),
			[]string{"mounts/system-rw Root detected: /system partition is mounted as read-write (rw) (/dev/block/dm-0, rw,seclabel,relatime)"}},
		{"vendor rw", mount("/dev/block/dm-45", "/vendor", "ext4", "rw,seclabel", true, true),
			[]string{"mounts/system-partition-rw System partition /vendor is mounted as read-write (rw); this may indicate system modifications (/dev/block/dm-45, rw,seclabel)"}},
		{"options", mount("/dev/block/dm-0", "/system", "ext4", "ro,remount,noatime", true, false),
			[]string{"mounts/suspicious-options Suspicious mount options found for /system: remount, noatime"}},
		{"noatime allowed", mount("/dev/block/dm-9", "/vendor", "ext4", "ro,seclabel,noatime", true, false), nil},
		{"indicator", mount("tmpfs", "/mnt/secret_overlay", "tmpfs", "rw", false, true),
			[]string{`ioc/file_path Found a known suspicious file path "/mnt/secret_overlay" in the mount point of tmpfs (mounts.json)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mounts.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
			})
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
