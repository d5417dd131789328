package dbinfo_test

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
	"github.com/spytrace/spytrace/internal/module/android/dbinfo"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	berlin = fixture.AndroidSampleLocation()
	now    = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)
)

func files(procs []fixture.DBInfoProcess, zone bool) fstest.MapFS {
	m := fstest.MapFS{fixture.AndroidDBInfoSection: {Data: fixture.AndroidDBInfo(berlin, procs)}}
	if zone {
		m[fixture.AndroidPropsSection] = &fstest.MapFile{Data: fixture.AndroidSystemProperties([]fixture.AndroidProp{{Name: "persist.sys.timezone", Value: fixture.AndroidSampleZone}})}
	}
	return m
}

func run(t *testing.T, fs fstest.MapFS, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fs), ix, dbinfo.New())
}

func TestRecords(t *testing.T) {
	procs := []fixture.DBInfoProcess{{PID: 8817, Process: "com.example.dm", Pools: []fixture.DBInfoPool{{
		Path: "/data/user/0/com.example.dm/databases/idm.db",
		Ops: []fixture.DBInfoOp{
			{Time: now, PID: 0, Action: "executeForLong", SQL: "PRAGMA page_size;"},
			{Time: now.Add(-time.Hour), PID: 8817, Action: "prepare", SQL: `SELECT "a" FROM t WHERE x = 'y'`},
			{Time: now.Add(-2 * time.Hour), NoPID: true, Action: "execute", SQL: "BEGIN"},
		},
	}}}}
	o := run(t, files(procs, true), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	path := "/data/user/0/com.example.dm/databases/idm.db"
	want := []map[string]any{
		{"isodate": "2024-03-14 11:00:00.000", "action": "executeForLong", "sql": "PRAGMA page_size;", "path": path, "pid": "0",
			"process": "com.example.dm", "timestamp": "2024-03-14 10:00:00.000000", "clock": "Europe/Berlin"},
		{"isodate": "2024-03-14 10:00:00.000", "action": "prepare", "sql": `SELECT "a" FROM t WHERE x = 'y'`, "path": path, "pid": "8817",
			"process": "com.example.dm", "timestamp": "2024-03-14 09:00:00.000000", "clock": "Europe/Berlin"},
		{"isodate": "2024-03-14 09:00:00.000", "action": "execute", "sql": "BEGIN", "path": path,
			"process": "com.example.dm", "timestamp": "2024-03-14 08:00:00.000000", "clock": "Europe/Berlin"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.Timeline) != 0 {
		t.Errorf("alerts = %v timeline = %v", o.Alerts, o.Timeline)
	}
}

func TestNoYearNoZone(t *testing.T) {
	text := "** Database info for pid 1 [a.b] **\nConnection pool for /data/data/a.b/databases/x.db:\n" +
		"      Most recently executed operations:\n        0: [07-27 12:21:44.097] execute took 1ms - succeeded, sql=\"BEGIN\", path=x\n" +
		"        1: [bad] execute sql=\"X\"\n  Open: true\n        2: [07-27 12:21:44.097] execute took 1ms, sql=\"ignored\"\n"
	got := dbinfo.Parse([]byte(text), nil, "")
	if len(got) != 1 || got[0].Isodate != "07-27 12:21:44.097" || !got[0].Timestamp.IsZero() || got[0].Clock != "device local, zone unknown" {
		t.Errorf("got %+v", got)
	}
}

func TestAbsent(t *testing.T) {
	o := run(t, fstest.MapFS{fixture.AndroidPropsSection: {Data: []byte("[a]: [b]\n")}}, nil)
	if o.Status.State != module.Skipped {
		t.Errorf("status = %+v", o.Status)
	}
}

func TestCandidates(t *testing.T) {
	got := dbinfo.Candidates(&dbinfo.Operation{Process: "com.a.b", Path: "/data/user/0/com.a.b/databases/store.db"})
	if diff := cmp.Diff([]string{"com.a.b"}, got); diff != "" {
		t.Error(diff)
	}
	got = dbinfo.Candidates(&dbinfo.Operation{Process: "system", Path: "/data/user_de/0/org.x.y/no_backup/cache.v2.db"})
	if diff := cmp.Diff([]string{"system", "org.x.y"}, got); diff != "" {
		t.Error(diff)
	}
}

func TestAppIndicator(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent", string(ioc.AppID), "store.db")
	p := fixture.SampleDBInfo(now, 6, 4)
	fixture.PlantDBInfoApp(&p, "com.spy.agent", now.Add(-time.Minute))
	o := run(t, files(p, true), ix)
	if got := o.AlertsOf("ioc/app_id"); len(got) != 1 || got[0].Level != alert.Critical || got[0].Indicator.Value != "com.spy.agent" {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, ix, dbinfo.New())
	// false positive: the file name equals an indicator value (MVT would match it)
	p = fixture.SampleDBInfo(now, 6, 4)
	fixture.PlantDBInfoApp(&p, "com.innocent.app", now.Add(-time.Minute))
	if o := run(t, files(p, true), ix); len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture.AndroidDBInfo(time.UTC, fixture.SampleDBInfo(now, 3, 1)))
	f.Add([]byte("Connection pool for /a:\nMost recently executed operations:\n        0: [2020-01-01 00:00:00.000] [Pid:(1)]x sql=\"\"\", path=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, op := range dbinfo.Parse(data, time.UTC, "UTC") {
			dbinfo.Candidates(op)
		}
	})
}

// TestDecodeMVTRecord reads operations the way MVT writes them into dbinfo.json
// ({isodate, action, sql, path} and pid as text, no process) and checks them again:
// the package in the database's path matches, the file name does not.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index(string(ioc.AppID), "com.spy.agent", string(ioc.AppID), "store.db")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"package in the path", `{"isodate": "2024-03-14 10:59:00.123", "pid": "8817", "action": "executeForCursorWindow",
			"sql": "SELECT * FROM messages", "path": "/data/user/0/com.spy.agent/databases/store.db"}`,
			[]string{`ioc/app_id Found a known suspicious app identifier "com.spy.agent" in a database operation on /data/user/0/com.spy.agent/databases/store.db`}},
		{"file name only", `{"isodate": "2024-03-14 10:59:00.123", "action": "executeForLastInsertedRowId",
			"sql": "INSERT INTO t VALUES (?)", "path": "/data/user/0/com.innocent.app/databases/store.db"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dbinfo.New()
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
