package dnsevent_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dnsevent"
	"github.com/spytrace/spytrace/internal/module/moduletest"
	"github.com/spytrace/spytrace/internal/timefmt"
)

var t0 = time.Date(2025, 6, 1, 8, 30, 0, 123_000_000, time.UTC)

func run(t *testing.T, kind acquire.Kind, ix *ioc.Index, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(kind, files), ix, dnsevent.New())
}

func spec() fixture.IntrusionLogSpec {
	return fixture.IntrusionLogSpec{Files: 2, Overlap: 1, Events: []fixture.IntrusionEvent{
		{Type: fixture.IntrusionDNS, Time: t0, Package: "com.android.chrome", Hostname: "www.example.org", IPs: []string{"198.51.100.7", "0.0.0.0", "2001:db8::7"}},
		{Type: fixture.IntrusionConnect, Time: t0.Add(time.Second), Package: "com.android.chrome", IP: "198.51.100.7", Port: 443},
		{Type: fixture.IntrusionSecurity, Time: t0.Add(2 * time.Second), Tag: "keyguard_secured"},
		{Type: fixture.IntrusionDNS, Time: t0.Add(3 * time.Second), Package: "com.whatsapp", Hostname: "g.whatsapp.net"},
	}}
}

func TestRecords(t *testing.T) {
	o := run(t, acquire.AndroidIntrusionLogs, nil, fixture.IntrusionLogFiles(spec()))
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"event_id": "0", "event_time": "1748766600123", "timestamp": "2025-06-01 08:30:00.123000", "hostname": "www.example.org",
			"ip_addresses": []any{"198.51.100.7", "2001:db8::7"}, "ip_addresses_count": "3", "package_name": "com.android.chrome",
			"device_timezone": "unknown", "file": "exported-events-01.txt", "line": "1"},
		{"event_id": "3", "event_time": "1748766603123", "timestamp": "2025-06-01 08:30:03.123000", "hostname": "g.whatsapp.net",
			"ip_addresses": []any{}, "ip_addresses_count": "0", "package_name": "com.whatsapp",
			"device_timezone": "unknown", "file": "exported-events-02.txt", "line": "3"},
	}
	got := o.ExactList(t)
	for _, r := range got {
		for k, v := range r {
			if n, ok := v.(interface{ String() string }); ok {
				r[k] = n.String()
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{
		`"2025-06-01 08:30:00.123000","DnsEvent","dns_query","DNS query for www.example.org by com.android.chrome [IPs: 198.51.100.7, 2001:db8::7]"`,
		`"2025-06-01 08:30:03.123000","DnsEvent","dns_query","DNS query for g.whatsapp.net by com.whatsapp"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.URLs) != 0 {
		t.Errorf("alerts %v, urls %v", o.Alerts, o.URLs)
	}
}

// The second file repeats the last event of the first: it is read once.
func TestDuplicatesAcrossFiles(t *testing.T) {
	s := spec()
	s.Overlap = 2
	files := fixture.IntrusionLogFiles(s)
	if !strings.Contains(string(files["exported-events-02.txt"].Data), "www.example.org") {
		t.Fatal("fixture does not overlap")
	}
	o := run(t, acquire.AndroidIntrusionLogs, nil, files)
	if got := moduletest.Project(o.List(t), "hostname", "file"); !cmp.Equal(got, []map[string]any{
		{"hostname": "www.example.org", "file": "exported-events-01.txt"},
		{"hostname": "g.whatsapp.net", "file": "exported-events-02.txt"},
	}) {
		t.Errorf("records %v", got)
	}
}

func TestDeviceTimezone(t *testing.T) {
	s := spec()
	s.Timezone = "Europe/Paris"
	o := run(t, acquire.AndroidIntrusionLogs, nil, fixture.IntrusionLogFiles(s))
	got := moduletest.Project(o.List(t), "timestamp", "timestamp_local", "device_timezone")
	want := []map[string]any{
		{"timestamp": "2025-06-01 08:30:00.123000", "timestamp_local": "2025-06-01 10:30:00.123000", "device_timezone": "Europe/Paris"},
		{"timestamp": "2025-06-01 08:30:03.123000", "timestamp_local": "2025-06-01 10:30:03.123000", "device_timezone": "Europe/Paris"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The lead's override wins over getprop.txt.
	m := dnsevent.New()
	m.Timezone = "Asia/Tokyo"
	o = moduletest.Run(t, memfs.New(acquire.AndroidIntrusionLogs, fixture.IntrusionLogFiles(s)), nil, m)
	if got := o.List(t)[0]["timestamp_local"]; got != "2025-06-01 17:30:00.123000" {
		t.Errorf("override: %v", got)
	}
	// An unknown zone is a problem, and local times are left out.
	s.Timezone = "Mars/Olympus"
	o = run(t, acquire.AndroidIntrusionLogs, nil, fixture.IntrusionLogFiles(s))
	if o.Status.State != module.Partial || !strings.Contains(strings.Join(o.Status.Problems, "\n"), `"Mars/Olympus"`) {
		t.Errorf("status %+v", o.Status)
	}
	if r := o.List(t)[0]; r["device_timezone"] != "unknown" || r["timestamp_local"] != nil {
		t.Errorf("record %v", r)
	}
}

func TestAndroidQF(t *testing.T) {
	s := spec()
	s.Dir = fixture.IntrusionLogsAndroidQFDir
	s.Timezone = "America/New_York"
	files := fixture.IntrusionLogFiles(s)
	files["ps.txt"] = &fstest.MapFile{Data: []byte("USER PID PPID NAME\nroot 1 0 init\n")}
	files["logs/data/anr/traces.txt"] = &fstest.MapFile{Data: []byte("not an event\n")}
	files["intrusion-logs/older.txt"] = &fstest.MapFile{Data: []byte(fixture.IntrusionLogLine(fixture.IntrusionEvent{
		Type: fixture.IntrusionDNS, Time: t0.Add(-time.Hour), Package: "com.example.app", Hostname: "old.example"}, 99) + "\n")}
	o := run(t, acquire.AndroidQF, nil, files)
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	got := moduletest.Project(o.List(t), "hostname", "file", "timestamp_local")
	want := []map[string]any{
		{"hostname": "old.example", "file": "intrusion-logs/older.txt", "timestamp_local": "2025-06-01 03:30:00.123000"},
		{"hostname": "www.example.org", "file": "intrusion_logs/exported-events-01.txt", "timestamp_local": "2025-06-01 04:30:00.123000"},
		{"hostname": "g.whatsapp.net", "file": "intrusion_logs/exported-events-02.txt", "timestamp_local": "2025-06-01 04:30:03.123000"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// An androidqf acquisition without intrusion logs: skipped.
	o = run(t, acquire.AndroidQF, nil, fstest.MapFS{"getprop.txt": files["getprop.txt"], "ps.txt": files["ps.txt"]})
	if o.Status.State != module.Skipped {
		t.Errorf("status %+v", o.Status)
	}
}

func TestAbsentAndCorrupt(t *testing.T) {
	o := run(t, acquire.AndroidIntrusionLogs, nil, fstest.MapFS{"notes.json": {Data: []byte("{}")}})
	if o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
	o = run(t, acquire.AndroidBugreport, nil, fixture.IntrusionLogFiles(spec()))
	if o.Status.State != module.Skipped {
		t.Errorf("other kind: %+v", o.Status)
	}
	o = run(t, acquire.AndroidIntrusionLogs, nil, fstest.MapFS{"a.txt": {Data: []byte("\x00\x01garbage\nmore garbage\n")}})
	if o.Status.State != module.Failed || !strings.Contains(o.Status.Reason, "no intrusion-log event could be read: 2 of 2 lines") {
		t.Errorf("corrupt: %+v", o.Status)
	}
	// One broken line among good ones: partial, the line named.
	files := fixture.IntrusionLogFiles(spec())
	files["exported-events-01.txt"].Data = append(files["exported-events-01.txt"].Data, []byte("{\"dns_event\":{\"hostname\":\"cut\n")...)
	o = run(t, acquire.AndroidIntrusionLogs, nil, files)
	if o.Status.State != module.Partial || len(o.List(t)) != 2 ||
		!cmp.Equal(o.Status.Problems, []string{"exported-events-01.txt: line 3: not a JSON object: JSON cut short"}) {
		t.Errorf("broken line: %+v", o.Status)
	}
}

func TestIndicators(t *testing.T) {
	s := spec()
	fixture.PlantIntrusionDNS(&s, t0.Add(time.Hour), "com.evil.spy", "c2.evil-domain.example", "203.0.113.66", "198.51.100.9")
	ix := moduletest.Index("domains", "evil-domain.example", "ips", "203.0.113.0/24", "app_ids", "com.evil.spy",
		// False positives: a look-alike domain, an address outside the network, the
		// dropped 0.0.0.0.
		"domains", "ample.org", "ips", "198.51.100.10", "ips", "0.0.0.0")
	o := run(t, acquire.AndroidIntrusionLogs, ix, fixture.IntrusionLogFiles(s))
	var got []string
	for _, a := range o.Alerts {
		got = append(got, a.Level.String()+" "+a.Check+" "+a.Indicator.Value+" "+timefmt.Format(a.EventTime.Time))
	}
	want := []string{
		"CRITICAL ioc/domain evil-domain.example 2025-06-01 09:30:00.123000",
		"CRITICAL ioc/ip 203.0.113.0/24 2025-06-01 09:30:00.123000",
		"CRITICAL ioc/app_id com.evil.spy 2025-06-01 09:30:00.123000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, ix, dnsevent.New())
	if len(o.Alerts) > 0 && !strings.Contains(o.Alerts[0].Message, "a DNS lookup by com.evil.spy") {
		t.Errorf("message %q", o.Alerts[0].Message)
	}
}

func TestSampleIsClean(t *testing.T) {
	s := fixture.SampleIntrusionLog(t0, 200, 7)
	ix := moduletest.Index("domains", "evil.example", "ips", "192.0.2.0/24", "app_ids", "com.evil.spy")
	o := run(t, acquire.AndroidIntrusionLogs, ix, fixture.IntrusionLogFiles(s))
	if o.Status.State != module.OK || len(o.Alerts) != 0 || len(o.List(t)) == 0 {
		t.Errorf("status %+v, %d alerts, %d records", o.Status, len(o.Alerts), len(o.List(t)))
	}
	for _, a := range o.Alerts {
		if a.Level >= alert.High {
			t.Errorf("sample raised %v", a)
		}
	}
}
