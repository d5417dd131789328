package filesystem_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/filesystem"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var t0 = time.Date(2021, 7, 1, 10, 0, 0, 0, time.UTC)

func dump() *memfs.FS {
	f := func(s string, d time.Duration) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(s), ModTime: t0.Add(d)}
	}
	dir := func(d time.Duration) *fstest.MapFile {
		return &fstest.MapFile{Mode: 0o755 | 1<<31, ModTime: t0.Add(d)} // fs.ModeDir
	}
	return memfs.New(acquire.IOSFilesystem, fstest.MapFS{
		"private/var/mobile/Library/SMS/sms.db":                                          f("sqlite", time.Hour),
		"private/var/root/Library/Caches/appccntd":                                       dir(2 * time.Hour),
		"private/var/root/Library/Caches/appccntd/data.bin":                              f("x", 2*time.Hour),
		"private/var/db/com.apple.xpc.roleaccountd.staging":                              dir(3 * time.Hour),
		"private/var/db/com.apple.xpc.roleaccountd.staging/rolexd":                       f("bin", 3*time.Hour),
		"private/var/db/com.apple.xpc.roleaccountd.staging/subridged":                    f("bin", 3*time.Hour),
		"private/var/mobile/Containers/Data/Application/ABC/Library/Preferences/x.plist": f("p", 0),
		"HomeDomain/Library/SMS/sms.db":                                                  f("sqlite", time.Hour), // backup namespace: not walked
	})
}

func summary(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.Event.(*filesystem.Entry).Path))
	}
	return out
}

func TestRecordsAndTimeline(t *testing.T) {
	o := moduletest.Run(t, dump(), nil, filesystem.New())
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	var got []string
	for _, r := range o.List(t) {
		got = append(got, fmt.Sprint(r["path"], " ", r["type"], " ", r["modified"]))
	}
	want := []string{
		"/private folder <nil>",
		"/private/var folder <nil>",
		"/private/var/db folder <nil>",
		"/private/var/db/com.apple.xpc.roleaccountd.staging folder 2021-07-01 13:00:00.000000",
		"/private/var/db/com.apple.xpc.roleaccountd.staging/rolexd file 2021-07-01 13:00:00.000000",
		"/private/var/db/com.apple.xpc.roleaccountd.staging/subridged file 2021-07-01 13:00:00.000000",
		"/private/var/mobile folder <nil>",
		"/private/var/mobile/Containers folder <nil>",
		"/private/var/mobile/Containers/Data folder <nil>",
		"/private/var/mobile/Containers/Data/Application folder <nil>",
		"/private/var/mobile/Containers/Data/Application/ABC folder <nil>",
		"/private/var/mobile/Containers/Data/Application/ABC/Library folder <nil>",
		"/private/var/mobile/Containers/Data/Application/ABC/Library/Preferences folder <nil>",
		"/private/var/mobile/Containers/Data/Application/ABC/Library/Preferences/x.plist file 2021-07-01 10:00:00.000000",
		"/private/var/mobile/Library folder <nil>",
		"/private/var/mobile/Library/SMS folder <nil>",
		"/private/var/mobile/Library/SMS/sms.db file 2021-07-01 11:00:00.000000",
		"/private/var/root folder <nil>",
		"/private/var/root/Library folder <nil>",
		"/private/var/root/Library/Caches folder <nil>",
		"/private/var/root/Library/Caches/appccntd folder 2021-07-01 12:00:00.000000",
		"/private/var/root/Library/Caches/appccntd/data.bin file 2021-07-01 12:00:00.000000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 7 || len(o.Alerts) != 0 {
		t.Errorf("%d timeline rows, %d alerts; want 7 and none", len(o.Timeline), len(o.Alerts))
	}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name string
		iocs []string
		want []string
	}{
		// A staging folder indicator reports the folder once, not each file in it.
		{"file_path_folder", []string{"file_paths", "/private/var/db/com.apple.xpc.roleaccountd.staging"},
			[]string{"HIGH ioc/file_path /private/var/db/com.apple.xpc.roleaccountd.staging"}},
		// A folder named like a process is reported once, not for each file inside.
		{"process_folder", []string{"processes", "appccntd"}, []string{"HIGH ioc/process /private/var/root/Library/Caches/appccntd"}},
		{"process_file", []string{"processes", "rolexd"}, []string{"HIGH ioc/process /private/var/db/com.apple.xpc.roleaccountd.staging/rolexd"}},
		{"file_name", []string{"file_names", "subridged"}, []string{"HIGH ioc/file_name /private/var/db/com.apple.xpc.roleaccountd.staging/subridged"}},
		{"no_match", []string{"processes", "bh", "file_paths", "/private/var/tmp/x", "file_names", "roleaccountd.plist"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := moduletest.Index(tt.iocs...)
			o := moduletest.Run(t, dump(), ix, filesystem.New())
			if diff := cmp.Diff(tt.want, summary(o)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, ix, filesystem.New())
		})
	}
}

// TestSystemVolumeProcessName checks that a process indicator matching a program of the
// system volume (Apple's BackupAgent, a name Operation Triangulation's indicators share)
// is MEDIUM, and the same name in /private/var HIGH.
func TestSystemVolumeProcessName(t *testing.T) {
	fsys := memfs.New(acquire.IOSFilesystem, fstest.MapFS{
		"System/Library/PrivateFrameworks/MobileBackup.framework/BackupAgent": {Data: []byte("bin"), ModTime: t0},
		"usr/libexec/BackupAgent": {Data: []byte("bin"), ModTime: t0},
		"private/var/db/com.apple.xpc.roleaccountd.staging/BackupAgent": {Data: []byte("bin"), ModTime: t0},
	})
	o := moduletest.Run(t, fsys, moduletest.Index("processes", "BackupAgent"), filesystem.New())
	want := []string{
		"MEDIUM ioc/process /System/Library/PrivateFrameworks/MobileBackup.framework/BackupAgent",
		"HIGH ioc/process /private/var/db/com.apple.xpc.roleaccountd.staging/BackupAgent",
		"MEDIUM ioc/process /usr/libexec/BackupAgent",
	}
	if diff := cmp.Diff(want, summary(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if !strings.Contains(o.Alerts[0].Message, "system volume") {
		t.Errorf("message does not say why the level is lower: %s", o.Alerts[0].Message)
	}
	moduletest.Reload(t, o, moduletest.Index("processes", "BackupAgent"), filesystem.New())
}

// TestDecodeMVTRecord checks the checks on entries as MVT writes them: path relative to
// the dump and modified, nothing else.
func TestDecodeMVTRecord(t *testing.T) {
	records := []string{
		`{"path": "private/var/db/com.apple.xpc.roleaccountd.staging", "modified": "2021-07-01 13:00:00.000000"}`,
		`{"path": "private/var/db/com.apple.xpc.roleaccountd.staging/rolexd", "modified": "2021-07-01 13:00:00.000000"}`,
		`{"path": "usr/libexec/BackupAgent", "modified": ""}`,
		`{"path": "private/var/mobile/Library/SMS/sms.db", "modified": "2021-07-01 11:00:00.000000"}`,
	}
	ix := moduletest.Index("processes", "rolexd", "processes", "BackupAgent", "file_names", "sms.db")
	m := filesystem.New()
	var got []string
	r := check.NewReporter(filesystem.Name, func(a alert.Alert) {
		got = append(got, fmt.Sprintf("%s %s %s %s", a.Level, a.Check, a.Event.(*filesystem.Entry).Path, a.EventTime.Time.Format(time.RFC3339)))
		if !strings.Contains(a.Message, " in the file system") || strings.Contains(a.Message, "()") {
			t.Errorf("message %q", a.Message)
		}
	})
	c := m.NewChecker(check.NewEnv(ix))
	for _, data := range records {
		rec, err := m.DecodeRecord([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		c.Check(rec, r)
	}
	c.Finish(r)
	want := []string{
		"HIGH ioc/process /private/var/db/com.apple.xpc.roleaccountd.staging/rolexd 2021-07-01T13:00:00Z",
		"MEDIUM ioc/process /usr/libexec/BackupAgent 0001-01-01T00:00:00Z",
		"HIGH ioc/file_name /private/var/mobile/Library/SMS/sms.db 2021-07-01T11:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}
