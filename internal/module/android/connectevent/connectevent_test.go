package connectevent_test

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
	"github.com/spytrace/spytrace/internal/module/android/connectevent"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var t0 = time.Date(2025, 6, 1, 8, 30, 0, 123_000_000, time.UTC)

func run(t *testing.T, kind acquire.Kind, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(kind, files), ix, connectevent.New())
}

func spec() fixture.IntrusionLogSpec {
	return fixture.IntrusionLogSpec{Files: 2, Overlap: 2, Events: []fixture.IntrusionEvent{
		{Type: fixture.IntrusionDNS, Time: t0, Package: "com.android.chrome", Hostname: "www.example.org", IPs: []string{"198.51.100.7"}},
		{Type: fixture.IntrusionConnect, Time: t0.Add(time.Second), Package: "com.android.chrome", IP: "198.51.100.7", Port: 443},
		{Type: fixture.IntrusionSecurity, Time: t0.Add(2 * time.Second), Tag: "keyguard_secured"},
		{Type: fixture.IntrusionConnect, Time: t0.Add(3 * time.Second), Package: "com.whatsapp", IP: "2001:db8::7", Port: 5222},
	}}
}

func TestRecords(t *testing.T) {
	files := fixture.IntrusionLogFiles(spec())
	// A host name before the address, as Java writes it for a named address, and an
	// event without port or time.
	files["more.txt"] = &fstest.MapFile{Data: []byte(`{"connect_event":{"event_id":9,"event_time":1748766610000,"package_name":"android","port":8080,"ip_address":"ip6-localhost/::1","new_field":"x"}}` + "\n" +
		`{"connect_event":{"event_id":10,"package_name":"android","ip_address":"/10.0.0.1"}}` + "\n")}
	o := run(t, acquire.AndroidIntrusionLogs, nil, files)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"event_id": 1.0, "event_time": 1748766601123.0, "timestamp": "2025-06-01 08:30:01.123000", "ip_address": "198.51.100.7", "port": 443.0,
			"package_name": "com.android.chrome", "device_timezone": "unknown", "file": "exported-events-01.txt", "line": 2.0},
		{"event_id": 3.0, "event_time": 1748766603123.0, "timestamp": "2025-06-01 08:30:03.123000", "ip_address": "2001:db8::7", "port": 5222.0,
			"package_name": "com.whatsapp", "device_timezone": "unknown", "file": "exported-events-02.txt", "line": 4.0},
		{"event_id": 9.0, "event_time": 1748766610000.0, "timestamp": "2025-06-01 08:30:10.000000", "ip_address": "::1", "host": "ip6-localhost",
			"port": 8080.0, "package_name": "android", "device_timezone": "unknown", "file": "more.txt", "line": 1.0, "extra": map[string]any{"new_field": "x"}},
		{"event_id": 10.0, "event_time": nil, "timestamp": nil, "ip_address": "10.0.0.1", "port": nil,
			"package_name": "android", "device_timezone": "unknown", "file": "more.txt", "line": 2.0},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2025-06-01 08:30:01.123000","ConnectEvent","network_connection","Connection to 198.51.100.7:443 by com.android.chrome"`,
		`"2025-06-01 08:30:03.123000","ConnectEvent","network_connection","Connection to [2001:db8::7]:5222 by com.whatsapp"`,
		`"2025-06-01 08:30:10.000000","ConnectEvent","network_connection","Connection to [::1]:8080 by android"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func TestAbsentAndCorrupt(t *testing.T) {
	o := run(t, acquire.AndroidIntrusionLogs, nil, fstest.MapFS{"x.csv": {Data: []byte("a")}})
	if o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	o = run(t, acquire.AndroidIntrusionLogs, nil, fstest.MapFS{"x.txt": {Data: []byte("PK\x03\x04\x00\x00")}})
	if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "not intrusion-log JSON") {
		t.Errorf("corrupt: %+v", o.Status)
	}
}

func TestIndicators(t *testing.T) {
	s := spec()
	fixture.PlantIntrusionConnect(&s, t0.Add(time.Hour), "com.evil.spy", "203.0.113.66", 443)
	// Loopback and unspecified connections are never looked up, even when listed.
	fixture.PlantIntrusionConnect(&s, t0.Add(2*time.Hour), "com.android.chrome", "127.0.0.2", 8080)
	fixture.PlantIntrusionConnect(&s, t0.Add(3*time.Hour), "com.android.chrome", "::", 80)
	ix := moduletest.Index("ips", "203.0.113.66", "app_ids", "com.evil.spy", "ips", "127.0.0.0/8", "ips", "::/128",
		"ips", "198.51.100.8", "app_ids", "com.evil") // near misses
	o := run(t, acquire.AndroidIntrusionLogs, ix, fixture.IntrusionLogFiles(s))
	var got []string
	for _, a := range o.Alerts {
		got = append(got, a.Level.String()+" "+a.Check+" "+a.Indicator.Value+" "+timefmt.Format(a.EventTime.Time))
	}
	want := []string{
		"CRITICAL ioc/ip 203.0.113.66 2025-06-01 09:30:00.123000",
		"CRITICAL ioc/app_id com.evil.spy 2025-06-01 09:30:00.123000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, connectevent.New())
}

func TestSampleIsClean(t *testing.T) {
	s := fixture.SampleIntrusionLog(t0, 200, 3)
	ix := moduletest.Index("ips", "192.0.2.0/24", "app_ids", "com.evil.spy")
	o := run(t, acquire.AndroidIntrusionLogs, ix, fixture.IntrusionLogFiles(s))
	if o.Status.State != module.OK || len(o.Alerts) != 0 || len(o.List(t)) == 0 {
		t.Errorf("status %+v, %d alerts, %d records", o.Status, len(o.Alerts), len(o.List(t)))
	}
}

// TestDecodeMVTRecord reads connections the way MVT writes them into
// connect_event.json (the exporter's fields as read, ip_address with its "host/"
// prefix, timestamp on the device's clock, event_type) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	rec := func(ip, pkg string) string {
		return `{"event_id": 12, "event_time": 1748770200123, "ip_address": "` + ip + `", "port": 443,
			"package_name": "` + pkg + `", "event_type": "connect_event", "timestamp": "2025-06-01 10:30:00.123000"}`
	}
	ix := moduletest.Index("ips", "203.0.113.66", "app_ids", "com.evil.spy", "ips", "127.0.0.0/8")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"address and package", rec("/203.0.113.66", "com.evil.spy"), []string{
			`ioc/ip Found a known suspicious IP address "203.0.113.66" in a connection opened by com.evil.spy (intrusion log)`,
			`ioc/app_id Found a known suspicious app identifier "com.evil.spy" in the app that connected to 203.0.113.66 (intrusion log)`,
		}},
		{"host name before the address", rec("c2.example/203.0.113.66", "com.android.chrome"), []string{
			`ioc/ip Found a known suspicious IP address "203.0.113.66" in a connection opened by com.android.chrome (intrusion log)`,
		}},
		{"loopback", rec("localhost/127.0.0.1", "com.android.chrome"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := connectevent.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
				msg, _, _ := strings.Cut(a.Message, ", matching")
				got = append(got, a.Check+" "+msg)
				if want := time.Date(2025, 6, 1, 9, 30, 0, 123_000_000, time.UTC); !a.Time().Equal(want) {
					t.Errorf("alert at %v, want %v (UTC, from event_time)", a.Time(), want)
				}
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
