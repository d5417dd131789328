package dumpsysbatteryhistory_test

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
	"github.com/spytrace/spytrace/internal/module/android/dumpsysbatteryhistory"
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
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fs), ix, dumpsysbatteryhistory.New())
}

func TestRecords(t *testing.T) {
	spec := fixture.BatterystatsSpec{
		Reset: time.Date(2024, 3, 13, 12, 0, 0, 0, berlin), CurrentStart: time.Date(2024, 3, 14, 1, 0, 0, 0, berlin),
		History: []fixture.BatteryHistoryEvent{
			{Elapsed: 47*time.Second + 645*time.Millisecond, Kind: fixture.BatteryJobStart, UID: "u0a94", Service: "com.example.reminder/.RegisterJob"},
			{Elapsed: time.Minute, Kind: fixture.BatteryJobEnd, UID: "u0a94", Service: "com.example.reminder/.RegisterJob"},
			{Elapsed: time.Hour, Kind: fixture.BatteryWake, UID: "u0a203", Service: "com.google.android.gms/.gcm.HeartbeatAlarm"},
			{Elapsed: time.Hour + time.Second, Kind: fixture.BatteryWake, UID: "u0a203", Service: "com.android.alarm.NO_COMPONENT"},
			{Elapsed: 26 * time.Hour, Kind: fixture.BatteryTopStart, UID: "u0a280", Package: "com.whatsapp"},
		},
	}
	o := run(t, files(spec, true), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	rec := func(el, ev, uid, pkg, svc, local, ts string) map[string]any {
		return map[string]any{"time_elapsed": el, "event": ev, "uid": uid, "package_name": pkg, "service": svc,
			"timestamp_local": local, "timestamp": ts, "clock": "Europe/Berlin"}
	}
	want := []map[string]any{
		rec("+47s645ms", "start_job", "u0a94", "com.example.reminder", "com.example.reminder/.RegisterJob", "2024-03-13 12:00:47.645", "2024-03-13 11:00:47.645000"),
		rec("+1m0s0ms", "end_job", "u0a94", "com.example.reminder", "com.example.reminder/.RegisterJob", "2024-03-13 12:01:00.000", "2024-03-13 11:01:00.000000"),
		rec("+1h0m0s0ms", "wake", "u0a203", "com.google.android.gms", "com.google.android.gms/.gcm.HeartbeatAlarm", "2024-03-13 13:00:00.000", "2024-03-13 12:00:00.000000"),
		rec("+1d2h0m0s0ms", "start_top", "u0a280", "com.whatsapp", "", "2024-03-14 14:00:00.000", "2024-03-14 13:00:00.000000"),
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Timeline) != 0 || len(o.Alerts) != 0 {
		t.Errorf("timeline = %v alerts = %v", o.Timeline, o.Alerts)
	}
}

func TestParseLine(t *testing.T) {
	text := "Battery History (1% used):\n" +
		"                    0 (19) RESET:TIME: 2022-01-04-17-30-01\n" +
		"       +1h (2) 095 -top=u0a1:\"com.a\" +top=u0a2:\"com.b\" +job=nocolon\n" +
		"\n       +2h (2) 095 +top=u0a3:\"after.blank\"\n"
	got := dumpsysbatteryhistory.Parse([]byte(text), nil, "")
	if len(got) != 2 || got[0].Event != "end_top" || got[1].PackageName != "com.b" ||
		got[1].TimestampLocal != "2022-01-04 18:30:01.000" || !got[1].Timestamp.IsZero() || got[1].Clock != "device local, zone unknown" {
		t.Errorf("got %+v", got)
	}
}

func TestAbsent(t *testing.T) {
	o := run(t, fstest.MapFS{fixture.AndroidPropsSection: {Data: []byte("[a]: [b]\n")}}, nil)
	if o.Status.State != module.Skipped {
		t.Errorf("status = %+v", o.Status)
	}
}

func TestAppIndicator(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent")
	s := fixture.SampleBatterystats(now, 20, 2)
	fixture.PlantBatteryHistoryApp(&s, "com.spy.agent")
	o := run(t, files(s, true), ix)
	if got := o.AlertsOf("ioc/app_id"); len(got) != 2 || got[0].Level != alert.Critical || len(o.Alerts) != 2 {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, ix, dumpsysbatteryhistory.New())
	s = fixture.SampleBatterystats(now, 20, 2)
	fixture.PlantBatteryHistoryApp(&s, "com.spy.agents")
	if o := run(t, files(s, true), ix); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture.AndroidBatterystats(time.UTC, fixture.SampleBatterystats(now, 8, 1)))
	f.Add([]byte("Battery History (x):\n 0 TIME: 2020-01-01-00-00-00\n +1s +running +wake_lock=u:\"*walarm*:a/b\" \"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dumpsysbatteryhistory.Parse(data, time.UTC, "UTC")
	})
}

// TestDecodeMVTRecord reads events the way MVT writes them into
// dumpsys_battery_history.json ({time_elapsed, event, uid, package_name, service},
// all text) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"job", `{"time_elapsed": "-1h02m03s456ms", "event": "start_job", "uid": "u0a210", "package_name": "com.spy.agent",
			"service": "com.spy.agent/.SyncJobService"}`,
			[]string{`ioc/app_id Found a known suspicious app identifier "com.spy.agent" in the battery history (start_job)`}},
		{"top", `{"time_elapsed": "03-14 09:58:00.123", "event": "start_top", "uid": "u0a211", "package_name": "com.example.app", "service": ""}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysbatteryhistory.New()
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
