package backupinfo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/backupinfo"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/report/results"
)

// run writes b, replaces the root files named in damage with their content, opens the
// backup and runs the module.
func run(t *testing.T, b *fixture.Backup, damage map[string][]byte) *moduletest.Outcome {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "backup")
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range damage {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bk, err := iosbackup.Open(context.Background(), dir, iosbackup.Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bk.Close() })
	return moduletest.Run(t, bk, nil, backupinfo.New())
}

func record(t *testing.T, o *moduletest.Outcome) map[string]any {
	t.Helper()
	m, ok := o.Records.(map[string]any)
	if !ok {
		t.Fatalf("records = %T (%s), want one object", o.Records, o.RecordsJSON)
	}
	return m
}

var (
	wantManifest = map[string]any{"Product Type": "iPhone14,2", "Product Version": "17.3.1", "Build Version": "21D61",
		"IsEncrypted": false, "WasPasscodeSet": true, "Date": "2026-03-14 09:26:53.000000"}
	wantStatus = map[string]any{"IsFullBackup": false, "Date": "2026-03-14 09:26:53.000000", "BackupState": "new"}
)

func TestRecord(t *testing.T) {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	delete(b.Info, "MEID")
	delete(b.Info, "Phone Number")
	b.Info["Extra Key"] = "not in MVT's list"
	o := run(t, b, nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := map[string]any{
		"Build Version": "21D61", "Device Name": "Reporter's iPhone", "Display Name": "Reporter's iPhone",
		"GUID": "7A3B1C2D4E5F60718293A4B5C6D7E8F9", "ICCID": "89410211234567890123", "IMEI": "356789104567891",
		"MEID": nil, "Installed Applications": []any{"com.apple.mobilesafari", "net.whatsapp.WhatsApp"},
		"Last Backup Date": "2026-03-14 09:26:53.000000", "Phone Number": nil, "Product Name": "iPhone 13 Pro",
		"Product Type": "iPhone14,2", "Product Version": "17.3.1", "Serial Number": "F2LXK0Q1N6Y2",
		"Target Identifier": "00008110-001A2B3C4D5E6F70", "Target Type": "Device",
		"Unique Identifier": "00008110-001A2B3C4D5E6F70", "iTunes Version": "12.13.1.3",
		"model":    "iPhone 13 Pro",
		"sources":  []any{"Info.plist", "Manifest.plist", "Status.plist"},
		"manifest": wantManifest,
		"status":   wantStatus,
	}
	if diff := cmp.Diff(want, record(t, o)); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	// MVT's eighteen keys come first, in MVT's order.
	if !strings.HasPrefix(string(o.RecordsJSON), "{\n    \"Build Version\": \"21D61\",\n    \"Device Name\"") ||
		!strings.Contains(string(o.RecordsJSON), "\"Unique Identifier\": \"00008110-001A2B3C4D5E6F70\",\n    \"iTunes Version\"") {
		t.Errorf("key order:\n%s", o.RecordsJSON)
	}
	// The default device (iOS 17.3.1) is outdated at the fixture's date: that is the
	// only alert.
	if len(o.Timeline) != 0 || len(o.Alerts) != 1 || len(o.AlertsOf(backupinfo.OutdatedIOS.ID)) != 1 {
		t.Errorf("timeline = %q, alerts = %+v", o.Timeline, o.Alerts)
	}
	moduletest.Reload(t, o, nil, backupinfo.New())
}

// TestDecodeMVTRecord checks the checks on backup_info records as MVT writes them: its
// eighteen keys only, dates as Python's text of a datetime.
func TestDecodeMVTRecord(t *testing.T) {
	const mvt = `{"Build Version": "21D61", "Device Name": "iPhone", "Display Name": "iPhone", "GUID": "7A3B",
		"ICCID": "8941", "IMEI": "3567", "MEID": null, "Installed Applications": ["com.apple.mobilesafari"],
		"Last Backup Date": %q, "Phone Number": "+41 79 123 45 67", "Product Name": "iPhone 13 Pro",
		"Product Type": "iPhone14,2", "Product Version": %q, "Serial Number": "F2LX", "Target Identifier": "0000",
		"Target Type": "Device", "Unique Identifier": "0000", "iTunes Version": "12.13.1.3"}`
	tests := []struct {
		name, date, version string
		want                string // a part of the message; "" for no alert
	}{
		{"outdated", "2024-06-01 10:00:00", "17.3.1", "iOS 17.5.1 of the same line had been out since 2024-05-20"},
		{"outdated_microseconds", "2024-06-01 10:00:00.250000", "17.3.1", "on the day of the backup, 2024-06-01"},
		{"current", "2024-05-21 10:00:00", "17.5.1", ""},
		{"no_date", "", "17.3.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := backupinfo.New()
			rec, err := m.DecodeRecord([]byte(fmt.Sprintf(mvt, tt.date, tt.version)))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			r := check.NewReporter(backupinfo.Name, func(a alert.Alert) { got = append(got, a) })
			c := m.NewChecker(check.NewEnv(nil))
			c.Check(rec, r)
			c.Finish(r)
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("alerts %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Check != backupinfo.OutdatedIOS.ID || !strings.Contains(got[0].Message, tt.want) {
				t.Errorf("alerts %+v, want one %s saying %q", got, backupinfo.OutdatedIOS.ID, tt.want)
			}
		})
	}
}

func TestRootFileVariants(t *testing.T) {
	mvtFromLockdown := map[string]any{
		"Build Version": "21D61", "Device Name": "Reporter's iPhone", "Display Name": nil, "GUID": nil, "ICCID": nil,
		"IMEI": nil, "MEID": nil, "Installed Applications": nil, "Last Backup Date": "2026-03-14 09:26:53.000000",
		"Phone Number": nil, "Product Name": nil, "Product Type": "iPhone14,2", "Product Version": "17.3.1",
		"Serial Number": "F2LXK0Q1N6Y2", "Target Identifier": "00008110-001A2B3C4D5E6F70", "Target Type": nil,
		"Unique Identifier": "00008110-001A2B3C4D5E6F70", "iTunes Version": nil, "model": "iPhone 13 Pro",
	}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range mvtFromLockdown {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		edit   func(b *fixture.Backup)
		damage map[string][]byte
		state  module.State
		want   map[string]any // keys checked
	}{
		{"no_info_plist", func(b *fixture.Backup) { b.Info = nil }, nil, module.OK,
			with(map[string]any{"sources": []any{"Manifest.plist", "Status.plist"}, "manifest": wantManifest, "status": wantStatus})},
		{"info_plist_corrupt", nil, map[string][]byte{"Info.plist": []byte("<?xml version=\"1.0\"?><plist><dict><key>x")}, module.Partial,
			with(map[string]any{"sources": []any{"Manifest.plist", "Status.plist"}, "manifest": wantManifest, "status": wantStatus})},
		{"no_info_no_status", func(b *fixture.Backup) { b.Info, b.Status = nil, nil }, nil, module.OK,
			with(map[string]any{"Last Backup Date": "2026-03-14 09:26:53.000000", "sources": []any{"Manifest.plist"}, "manifest": wantManifest, "status": nil})},
		{"only_info_plist", func(b *fixture.Backup) { b.Manifest, b.Status = nil, nil }, nil, module.OK,
			map[string]any{"Product Type": "iPhone14,2", "sources": []any{"Info.plist"}, "manifest": nil, "status": nil}},
		{"unknown_model", func(b *fixture.Backup) { b.Info["Product Type"] = "iPhone99,9" }, nil, module.OK,
			map[string]any{"Product Type": "iPhone99,9", "model": nil}},
		{"binary_info_plist", nil, map[string][]byte{"Info.plist": mustPlist(t, map[string]any{"Product Type": "iPhone12,8", "Serial Number": []byte{0xff}}, plist.BinaryFormat)}, module.OK,
			map[string]any{"Product Type": "iPhone12,8", "Serial Number": "/w==", "model": "iPhone SE (2nd generation)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tt.edit != nil {
				tt.edit(b)
			}
			o := run(t, b, tt.damage)
			if o.Status.State != tt.state {
				t.Fatalf("status = %+v, want %s", o.Status, tt.state)
			}
			got := record(t, o)
			for k, want := range tt.want {
				if diff := cmp.Diff(want, got[k]); diff != "" {
					t.Errorf("%s (-want +got):\n%s", k, diff)
				}
			}
		})
	}
}

func mustPlist(t *testing.T, v any, format int) []byte {
	t.Helper()
	data, err := plist.Marshal(v, format)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestUnreadable(t *testing.T) {
	junk := []byte("bplist00 truncated")
	tests := []struct {
		name   string
		edit   func(b *fixture.Backup)
		damage map[string][]byte
		state  module.State
		reason string
	}{
		{"all_corrupt", nil, map[string][]byte{"Info.plist": junk, "Manifest.plist": junk, "Status.plist": junk}, module.Failed, "Info.plist"},
		{"only_file_corrupt", func(b *fixture.Backup) { b.Manifest, b.Status = nil, nil }, map[string][]byte{"Info.plist": junk}, module.Failed, "read \"Info.plist\""},
		{"top_level_array", func(b *fixture.Backup) { b.Manifest, b.Status = nil, nil },
			map[string][]byte{"Info.plist": mustPlist(t, []any{"x"}, plist.XMLFormat)}, module.Failed, "want a dictionary"},
		{"absent", func(b *fixture.Backup) { b.Info, b.Manifest, b.Status = nil, nil, nil }, nil, module.Skipped, "not in this acquisition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tt.edit != nil {
				tt.edit(b)
			}
			o := run(t, b, tt.damage)
			if o.Status.State != tt.state || !strings.Contains(o.Status.Reason, tt.reason) {
				t.Errorf("status = %+v, want %s mentioning %q", o.Status, tt.state, tt.reason)
			}
		})
	}
}

func TestModelName(t *testing.T) {
	tests := []struct{ id, want string }{
		{"iPhone10,1", "iPhone 8"},
		{"iPhone10,6", "iPhone X"},
		{"iPhone14,2", "iPhone 13 Pro"},
		{"iPhone14,6", "iPhone SE (3rd generation)"},
		{"iPhone17,5", "iPhone 16e"},
		{"iPhone18,4", "iPhone Air"},
		{"iPhone18,5", "iPhone 17e"},
		{"iPhone9,1", ""},
		{"iPad13,1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(strings.NewReplacer(",", "_").Replace(tt.id)+"_", func(t *testing.T) {
			if got := backupinfo.ModelName(tt.id); got != tt.want {
				t.Errorf("ModelName(%q) = %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}

func FuzzBuild(f *testing.F) {
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	for _, m := range []map[string]any{b.Info, b.Manifest, b.Status} {
		for _, format := range []int{plist.XMLFormat, plist.BinaryFormat} {
			data, err := plist.Marshal(m, format)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rec := range backupinfo.Build(data) {
			if _, err := results.Marshal(rec); err != nil {
				t.Fatalf("record does not encode: %v", err)
			}
		}
	})
}

func TestOutdatedIOS(t *testing.T) {
	at := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(10 * time.Hour)
	}
	tests := []struct {
		name    string
		version string
		build   string
		date    time.Time
		want    string // "" for no alert; else a part of the message
	}{
		{"outdated_in_line", "17.3.1", "21D61", at("2024-06-01"), "iOS 17.5.1 of the same line had been out since 2024-05-20"},
		{"newer_line_available", "16.5", "20F66", at("2024-06-01"), "iOS 17 was available"},
		{"after_table", "17.3.1", "21D61", fixture.Epoch, "release table ends on 2025-11-03"},
		{"version_from_build", "", "21D61", at("2024-06-01"), "iOS 17.3.1 (build 21D61)"},
		{"current_on_its_day", "17.5.1", "21F90", at("2024-05-20"), ""},
		{"update_published_after_backup", "17.3.1", "21D61", at("2024-03-04"), ""},
		{"newer_than_table", "26.4", "23E100", fixture.Epoch, ""},
		{"unknown_line", "11.4", "15F79", fixture.Epoch, ""},
		{"garbage_version", "seventeen", "", fixture.Epoch, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := fixture.DefaultDevice
			dev.ProductVersion, dev.BuildVersion = tt.version, tt.build
			b := fixture.NewBackup(dev, tt.date)
			if tt.version == "" {
				delete(b.Info, "Product Version")
			}
			o := run(t, b, nil)
			alerts := o.AlertsOf(backupinfo.OutdatedIOS.ID)
			if tt.want == "" {
				if len(o.Alerts) != 0 {
					t.Fatalf("alerts %+v, want none", o.Alerts)
				}
				return
			}
			if len(alerts) != 1 || len(o.Alerts) != 1 {
				t.Fatalf("alerts %+v, want one %s", o.Alerts, backupinfo.OutdatedIOS.ID)
			}
			a := alerts[0]
			if !strings.Contains(a.Message, tt.want) || a.Level != backupinfo.OutdatedIOS.Level || !a.EventTime.Time.Equal(tt.date) {
				t.Errorf("alert %s %q at %s; want %q at %s", a.Level, a.Message, a.EventTime, tt.want, tt.date)
			}
		})
	}
}
