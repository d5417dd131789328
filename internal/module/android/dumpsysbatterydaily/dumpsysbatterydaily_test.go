package dumpsysbatterydaily_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysbatterydaily"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	berlin = fixture.AndroidSampleLocation()
	now    = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)
)

func files(spec fixture.BatterystatsSpec, zone bool) fstest.MapFS {
	m := fstest.MapFS{fixture.AndroidBatterystatsSection: {Data: fixture.AndroidBatterystats(berlin, spec)}}
	if zone {
		m[fixture.AndroidPropsSection] = &fstest.MapFile{Data: fixture.AndroidSystemProperties([]fixture.AndroidProp{{Name: "persist.sys.timezone", Value: fixture.AndroidSampleZone}})}
	}
	return m
}

func run(t *testing.T, fs fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fs), ix, dumpsysbatterydaily.New())
}

func day(d int) time.Time { return time.Date(2024, 3, d, 1, 0, 0, 0, berlin) }

func TestRecords(t *testing.T) {
	spec := fixture.BatterystatsSpec{
		Reset: day(13), CurrentStart: day(14),
		Current: []fixture.BatteryPackageChange{{Package: "com.whatsapp", Vers: 300}},
		Days: []fixture.BatteryDay{
			{From: day(13), To: day(14), Changes: []fixture.BatteryPackageChange{
				{Package: "com.whatsapp", Vers: 200}, {Package: "com.whatsapp", Vers: 200}, {Package: "org.old.app", Uninstall: true}}},
			{From: day(12), To: day(13), Changes: []fixture.BatteryPackageChange{{Package: "com.whatsapp", Vers: 250}}},
		},
	}
	o := run(t, files(spec, true), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	rec := func(action, from, to, pkg, vers, prev, fromL, toL, ts string, occ float64) map[string]any {
		m := map[string]any{"action": action, "from": from, "to": to, "package_name": pkg, "vers": vers,
			"from_local": fromL, "to_local": toL, "timestamp": ts, "clock": "Europe/Berlin", "occurrences": occ}
		if prev != "" {
			m["previous_vers"] = prev
		}
		return m
	}
	want := []map[string]any{
		rec("update", "2024-03-14", "", "com.whatsapp", "300", "", "2024-03-14 01:00:00", "", "2024-03-14 00:00:00.000000", 1),
		rec("downgrade", "2024-03-13", "2024-03-14", "com.whatsapp", "200", "250", "2024-03-13 01:00:00", "2024-03-14 01:00:00", "2024-03-13 00:00:00.000000", 2),
		rec("uninstall", "2024-03-13", "2024-03-14", "org.old.app", "0", "", "2024-03-13 01:00:00", "2024-03-14 01:00:00", "2024-03-13 00:00:00.000000", 1),
		rec("update", "2024-03-12", "2024-03-13", "com.whatsapp", "250", "", "2024-03-12 01:00:00", "2024-03-13 01:00:00", "2024-03-12 00:00:00.000000", 1),
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2024-03-12 00:00:00.000000","DumpsysBatteryDaily","battery_daily","Recorded update of package com.whatsapp with vers 250"`,
		`"2024-03-13 00:00:00.000000","DumpsysBatteryDaily","battery_daily","Recorded downgrade of package com.whatsapp from vers 250 to vers 200"`,
		`"2024-03-13 00:00:00.000000","DumpsysBatteryDaily","battery_daily","Recorded uninstall of package org.old.app (vers 0)"`,
		`"2024-03-14 00:00:00.000000","DumpsysBatteryDaily","battery_daily","Recorded update of package com.whatsapp with vers 300"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.AlertsOf(dumpsysbatterydaily.Downgrade.ID)) != 1 || len(o.AlertsOf(dumpsysbatterydaily.Uninstall.ID)) != 1 || len(o.Alerts) != 2 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func TestZoneUnknown(t *testing.T) {
	o := run(t, files(fixture.SampleBatterystats(now, 4, 1), false), nil)
	recs := o.List(t)
	if len(recs) == 0 || recs[0]["timestamp"] != nil || recs[0]["clock"] != "device local, zone unknown" || len(o.Timeline) != 0 {
		t.Errorf("records = %v, timeline = %v", recs, o.Timeline)
	}
}

func TestAbsent(t *testing.T) {
	o := run(t, fstest.MapFS{fixture.AndroidPropsSection: {Data: []byte("[a]: [b]\n")}}, nil)
	if o.Status.State != module.Skipped {
		t.Errorf("status = %+v", o.Status)
	}
}

func TestHeuristics(t *testing.T) {
	tests := []struct {
		name  string
		plant func(*fixture.BatterystatsSpec)
		check string
	}{
		{"uninstall", func(s *fixture.BatterystatsSpec) { fixture.PlantBatteryUninstall(s, "com.example.gone") }, dumpsysbatterydaily.Uninstall.ID},
		{"downgrade", func(s *fixture.BatterystatsSpec) { fixture.PlantBatteryDowngrade(s, "com.example.old") }, dumpsysbatterydaily.Downgrade.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fixture.SampleBatterystats(now, 10, 5)
			tt.plant(&s)
			o := run(t, files(s, true), nil)
			if len(o.Alerts) != 1 || o.Alerts[0].Check != tt.check || o.Alerts[0].Level != alert.Medium {
				t.Fatalf("alerts = %+v", o.Alerts)
			}
			moduletest.Reload(t, o, nil, dumpsysbatterydaily.New())
		})
	}
	// false positive: rising versions, the same version twice
	s := fixture.SampleBatterystats(now, 10, 5)
	s.Days[0].Changes = append(s.Days[0].Changes, fixture.BatteryPackageChange{Package: "com.example.same", Vers: 5})
	s.Days[1].Changes = append(s.Days[1].Changes, fixture.BatteryPackageChange{Package: "com.example.same", Vers: 5})
	if o := run(t, files(s, true), nil); len(o.Alerts) != 0 {
		t.Errorf("clean: alerts = %+v", o.Alerts)
	}
}

func TestAppIndicator(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent")
	s := fixture.SampleBatterystats(now, 4, 2)
	fixture.PlantBatteryDailyApp(&s, "com.spy.agent")
	o := run(t, files(s, true), ix)
	if got := o.AlertsOf("ioc/app_id"); len(got) != 1 || got[0].Level != alert.Critical || len(o.Alerts) != 1 {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, ix, dumpsysbatterydaily.New())
	s = fixture.SampleBatterystats(now, 4, 2)
	fixture.PlantBatteryDailyApp(&s, "com.spy")
	if o := run(t, files(s, true), ix); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture.AndroidBatterystats(time.UTC, fixture.SampleBatterystats(now, 4, 1)))
	f.Add([]byte("Daily stats:\n  Daily from x to y:\n    Update a vers=1\n  Daily from 2020-01-01-00-00-00 to z:\n      Update a vers=0\n      Uninstall b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range dumpsysbatterydaily.Parse(data, time.UTC, "UTC") {
			c.Timeline()
		}
	})
}

// TestDecodeMVTRecord reads changes the way MVT writes them into
// dumpsys_battery_daily.json, in both of its spellings ({from, to, vers,
// previous_vers}, text versions; {period_start, period_end, version_code,
// previous_version_code, occurrences}, numeric versions), and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"indicator", `{"action": "update", "from": "2022-08-16", "to": "2022-08-17", "package_name": "com.spy.agent", "vers": "12"}`,
			[]string{`ioc/app_id Found a known suspicious app identifier "com.spy.agent" in the daily package changes of 2022-08-16`}},
		{"uninstall", `{"action": "uninstall", "from": "2022-08-16", "to": "2022-08-17", "package_name": "com.example.gone", "vers": "0"}`,
			[]string{dumpsysbatterydaily.Uninstall.ID + " Detected uninstall of package com.example.gone (vers 0) on 2022-08-16"}},
		{"uninstall left as an update", `{"action": "update", "from": "2022-08-16", "to": "2022-08-17", "package_name": "com.example.gone", "vers": "0"}`,
			[]string{dumpsysbatterydaily.Uninstall.ID + " Detected uninstall of package com.example.gone (vers 0) on 2022-08-16"}},
		{"downgrade", `{"action": "downgrade", "from": "2022-08-16", "to": "2022-08-17", "package_name": "com.example.old", "vers": "5", "previous_vers": "7"}`,
			[]string{dumpsysbatterydaily.Downgrade.ID + " Detected downgrade of package com.example.old from vers 7 to vers 5 on 2022-08-16"}},
		{"downgrade, numeric versions", `{"action": "downgrade", "period_start": "2022-08-16 15:56:39", "period_end": "2022-08-17 01:15:45",
			"package_name": "com.example.old", "version_code": 5, "occurrences": 1, "previous_version_code": 7}`,
			[]string{dumpsysbatterydaily.Downgrade.ID + " Detected downgrade of package com.example.old from vers 7 to vers 5 on 2022-08-16"}},
		{"update", `{"action": "update", "period_start": "2022-08-16 15:56:39", "period_end": "2022-08-17 01:15:45",
			"package_name": "com.example.app", "version_code": 31, "occurrences": 2}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysbatterydaily.New()
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
