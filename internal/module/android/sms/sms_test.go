package sms_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/androidbackup"
	"github.com/spytrace/spytrace/internal/acquire/memfs"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/sms"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0  = time.Date(2024, 3, 1, 10, 0, 0, 123_000_000, time.UTC)
	now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)
)

// smallSpec has one message of each direction and kind.
func smallSpec() fixture.AndroidSMSSpec {
	return fixture.AndroidSMSSpec{
		SMS: []fixture.AndroidSMS{
			{SelfPhone: "+41791234567", Address: "+41795550101", Body: "See https://news.example/a?b=1 tonight", Date: t0,
				DateSent: t0.Add(-4 * time.Second).Truncate(time.Second), Status: -1, Type: 1, Recipients: []string{"+41795550101"}, Read: true},
			{SelfPhone: "+41791234567", Address: "+41795550101", Body: "ok", Date: t0.Add(time.Minute), Status: -1, Type: 2,
				Recipients: []string{"+41795550101"}, Read: true},
		},
		MMS: []fixture.AndroidMMS{
			{Date: t0.Add(24 * time.Hour), DateSent: t0.Add(24*time.Hour - 5*time.Second), MessageType: 132, Box: 1,
				ContentLocation: "http://mms.carrier.example/m/1", TransactionID: "T1", Read: true, Subject: "trip",
				Addresses: []fixture.AndroidMMSAddress{{Type: 137, Address: "+41795550202"}, {Type: 151, Address: "+41791234567"}},
				Body:      "Photos: www.photos.example/album"},
			{Date: t0.Add(25 * time.Hour), MessageType: 128, Box: 2, Read: true,
				Addresses: []fixture.AndroidMMSAddress{{Type: 137, Address: "insert-address-token"}, {Type: 151, Address: "+41795550202"}, {Type: 151, Address: "+41795550303"}},
				Body:      "thanks!"},
		},
	}
}

// openAB writes spec into an encrypted, compressed .ab and opens it as the CLI would.
func openAB(t *testing.T, spec fixture.AndroidSMSSpec) acquire.Acquisition {
	t.Helper()
	data, err := fixture.AndroidBackupBytes(fixture.AndroidBackupSpec{Compressed: true, Password: "1234", SMS: spec})
	if err != nil {
		t.Fatal(err)
	}
	b, err := androidbackup.Read(context.Background(), bytes.NewReader(data), androidbackup.Options{Password: "1234", Want: sms.New().Info().Paths})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecords(t *testing.T) {
	o := moduletest.Run(t, openAB(t, smallSpec()), nil, sms.New())
	if o.Status.State != module.OK {
		t.Fatalf("status %+v", o.Status)
	}
	want := []map[string]any{
		{"self_phone": "+41791234567", "address": "+41795550101", "body": "See https://news.example/a?b=1 tonight",
			"date": "1709287200123", "date_sent": "1709287196000", "status": "-1", "type": "1", "recipients": []any{"+41795550101"}, "read": "1",
			"isodate": "2024-03-01 10:00:00.123000", "direction": "received", "links": []any{"https://news.example/a?b=1"},
			"message_kind": "sms", "box": "inbox", "isodate_sent": "2024-03-01 09:59:56.000000"},
		{"self_phone": "+41791234567", "address": "+41795550101", "body": "ok",
			"date": "1709287260123", "date_sent": "0", "status": "-1", "type": "2", "recipients": []any{"+41795550101"}, "read": "1",
			"isodate": "2024-03-01 10:01:00.123000", "direction": "sent", "links": []any{},
			"message_kind": "sms", "box": "sent", "isodate_sent": nil},
		{"sub": "trip", "date": "1709373600", "date_sent": "1709373595", "m_type": "132", "v": "18", "msg_box": "1",
			"ct_l": "http://mms.carrier.example/m/1", "tr_id": "T1", "read": "1",
			"mms_addresses": []any{map[string]any{"type": 137.0, "address": "+41795550202", "charset": 106.0}, map[string]any{"type": 151.0, "address": "+41791234567", "charset": 106.0}},
			"body":          "Photos: www.photos.example/album", "mms_charset": 106.0, "sub_cs": "106",
			"isodate": "2024-03-02 10:00:00.000000", "direction": "received", "links": []any{"www.photos.example/album"},
			"message_kind": "mms", "box": "inbox", "isodate_sent": "2024-03-02 09:59:55.000000", "address": "+41795550202"},
		{"date": "1709377200", "date_sent": "0", "m_type": "128", "v": "18", "msg_box": "2", "read": "1",
			"mms_addresses": []any{map[string]any{"type": 137.0, "address": "insert-address-token", "charset": 106.0}, map[string]any{"type": 151.0, "address": "+41795550202", "charset": 106.0}, map[string]any{"type": 151.0, "address": "+41795550303", "charset": 106.0}},
			"body":          "thanks!", "mms_charset": 106.0,
			"isodate": "2024-03-02 11:00:00.000000", "direction": "sent", "links": []any{},
			"message_kind": "mms", "box": "sent", "isodate_sent": nil, "address": "+41795550202, +41795550303"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// MVT's keys come first, in the file's order, mms_body renamed.
	if !strings.Contains(string(o.RecordsJSON), `"sub":"trip","date":"1709373600"`) || strings.Contains(string(o.RecordsJSON), "mms_body") {
		t.Errorf("key order: %s", o.RecordsJSON)
	}
	wantTL := []string{
		`"2024-03-01 10:00:00.123000","SMS","sms_received","SMS from +41795550101: See https://news.example/a?b=1 tonight"`,
		`"2024-03-01 10:01:00.123000","SMS","sms_sent","SMS to +41795550101: ok"`,
		`"2024-03-02 10:00:00.000000","SMS","sms_received","MMS from +41795550202: Photos: www.photos.example/album"`,
		`"2024-03-02 11:00:00.000000","SMS","sms_sent","MMS to +41795550202, +41795550303: thanks!"`,
	}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	gotURLs := moduletest.Project(o.URLs, "url", "timestamp")
	wantURLs := []map[string]any{
		{"url": "https://news.example/a?b=1", "timestamp": "2024-03-01 10:00:00.123000"},
		{"url": "www.photos.example/album", "timestamp": "2024-03-02 10:00:00.000000"},
	}
	if diff := cmp.Diff(wantURLs, gotURLs); diff != "" {
		t.Errorf("urls (-want +got):\n%s\n%v", diff, o.URLs)
	}
}

// memRun runs the module over raw files of the telephony folder.
func memRun(t *testing.T, ix *ioc.Index, files map[string][]byte) *moduletest.Outcome {
	t.Helper()
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: data}
	}
	return moduletest.Run(t, memfs.New(acquire.AndroidBackup, m), ix, sms.New())
}

func TestDirectionsAndDates(t *testing.T) {
	smsJSON := `[
{"address":"100","body":"a","date":"1709287200123","date_sent":"1709287190000","type":"1"},
{"address":"100","body":"b","date":"1709287200123","date_sent":"0","type":"3"},
{"address":"100","body":"c","date":"1709287200","date_sent":"0","type":"4"},
{"address":"100","body":"d","date":1709287200123,"type":"9"},
{"address":"100","body":"e","date":"yesterday","type":"5","isodate":"forged","direction":"forged"}]`
	mmsJSON := `[
{"date":"1709287200","m_type":"132","mms_body":"f","mms_addresses":[{"type":137,"address":"+1"}]},
{"date":"1709287200123","m_type":"128","msg_box":"7","mms_body":"g","mms_addresses":[{"type":151,"address":"+2"}]},
{"date":"1709287200","m_type":"1","msg_box":"3","mms_body":"h","address":"kept"}]`
	o := memRun(t, nil, map[string][]byte{
		sms.Dir + "/000000_sms_backup": fixture.AndroidDeflate([]byte(smsJSON)),
		sms.Dir + "/000001_mms_backup": fixture.AndroidDeflate([]byte(mmsJSON)),
	})
	got := moduletest.Project(o.List(t), "body", "direction", "box", "isodate", "address")
	want := []map[string]any{
		{"body": "a", "direction": "received", "box": "inbox", "isodate": "2024-03-01 10:00:00.123000", "address": "100"},
		{"body": "b", "direction": "draft", "box": "draft", "isodate": "2024-03-01 10:00:00.123000", "address": "100"},
		{"body": "c", "direction": "sent", "box": "outbox", "isodate": "2024-03-01 10:00:00.000000", "address": "100"},
		{"body": "d", "direction": "unknown", "box": "", "isodate": "2024-03-01 10:00:00.123000", "address": "100"},
		{"body": "e", "direction": "sent", "box": "failed", "isodate": nil, "address": "100"},
		{"body": "f", "direction": "received", "box": "", "isodate": "2024-03-01 10:00:00.000000", "address": "+1"},
		{"body": "g", "direction": "sent", "box": "", "isodate": "2024-03-01 10:00:00.123000", "address": "+2"},
		{"body": "h", "direction": "draft", "box": "draft", "isodate": "2024-03-01 10:00:00.000000", "address": "kept"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if o.Status.State != module.Partial || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], "message 5: date") {
		t.Errorf("status %+v", o.Status)
	}
	events := []string{}
	for _, row := range o.Timeline {
		f := strings.Split(row, ",")
		events = append(events, f[2]+" "+f[3])
	}
	slices.Sort(events)
	wantEvents := []string{
		`"sms" "SMS with 100: d"`,
		`"sms_draft" "MMS (draft) to kept: h"`,
		`"sms_draft" "SMS (draft) to 100: b"`,
		`"sms_received" "MMS from +1: f"`,
		`"sms_received" "SMS from 100: a"`,
		`"sms_sent" "MMS to +2: g"`,
		`"sms_sent" "SMS to 100: c"`,
	}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("timeline events (-want +got):\n%s", diff)
	}
}

func TestIndicators(t *testing.T) {
	const lure = "https://akhbar-almasdar.example/9k2Lp"
	planted := fixture.SampleAndroidSMS(now, 60, 3)
	fixture.PlantAndroidSMSLink(&planted, lure, now.Add(-48*time.Hour))
	mmsPlanted := fixture.SampleAndroidSMS(now, 60, 3)
	fixture.PlantAndroidMMSLink(&mmsPlanted, "http://akhbar-almasdar.example/x", now.Add(-24*time.Hour))
	clean := fixture.SampleAndroidSMS(now, 60, 3)
	cases := []struct {
		name   string
		spec   fixture.AndroidSMSSpec
		ix     *ioc.Index
		checks []string
	}{
		{"domain in an SMS", planted, moduletest.Index("domains", "akhbar-almasdar.example"), []string{"ioc/domain"}},
		{"URL in an SMS", planted, moduletest.Index("urls", lure), []string{"ioc/url"}},
		{"domain in an MMS", mmsPlanted, moduletest.Index("domains", "akhbar-almasdar.example"), []string{"ioc/domain"}},
		{"clean twin", clean, moduletest.Index("domains", "akhbar-almasdar.example", "urls", lure), nil},
		{"other domain", planted, moduletest.Index("domains", "almasdar.example"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := moduletest.Run(t, openAB(t, c.spec), c.ix, sms.New())
			var got []string
			for _, a := range o.Alerts {
				got = append(got, a.Check)
				if a.Level.String() != "CRITICAL" || !strings.Contains(a.Message, "received from +97155501931") {
					t.Errorf("alert %s %q", a.Level, a.Message)
				}
			}
			if diff := cmp.Diff(c.checks, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, c.ix, sms.New())
		})
	}
}

func TestContentLocation(t *testing.T) {
	spec := fixture.AndroidSMSSpec{MMS: []fixture.AndroidMMS{{Date: t0, MessageType: 132, Box: 1,
		ContentLocation: "http://mmsc.evil.example/x", Body: "hi", Addresses: []fixture.AndroidMMSAddress{{Type: 137, Address: "+1"}}}}}
	o := moduletest.Run(t, openAB(t, spec), moduletest.Index("domains", "evil.example"), sms.New())
	if len(o.Alerts) != 1 || !strings.Contains(o.Alerts[0].Message, "download address") {
		t.Errorf("alerts %+v", o.Alerts)
	}
	if len(o.URLs) != 0 {
		t.Errorf("the MMSC address is listed in urls.json: %v", o.URLs)
	}
	moduletest.Reload(t, o, moduletest.Index("domains", "evil.example"), sms.New())
	o = moduletest.Run(t, openAB(t, spec), moduletest.Index("domains", "carrier.example"), sms.New())
	if len(o.Alerts) != 0 {
		t.Errorf("false positive: %+v", o.Alerts)
	}
}

func TestFolderAndAndroid6(t *testing.T) {
	dir := t.TempDir()
	spec := smallSpec()
	spec.Dir = fixture.AndroidTelephonyDirM
	if err := fixture.WriteAndroidBackupFolder(dir, fixture.AndroidBackupSpec{SMS: spec}); err != nil {
		t.Fatal(err)
	}
	b, err := androidbackup.Open(context.Background(), dir, androidbackup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	o := moduletest.Run(t, b, nil, sms.New())
	if got := len(o.List(t)); got != 4 || o.Status.State != module.OK {
		t.Errorf("%d records, status %+v", got, o.Status)
	}
}

func TestCorrupt(t *testing.T) {
	good := fixture.AndroidDeflate([]byte(`[{"address":"1","body":"x","date":"1709287200123","type":"1"}]`))
	cases := []struct {
		name    string
		files   map[string][]byte
		state   module.State
		records int
		reason  string
	}{
		{"absent", map[string][]byte{"apps/other/f/x": []byte("x")}, module.Skipped, 0, ""},
		{"not zlib", map[string][]byte{sms.Dir + "/000000_sms_backup": []byte("[]")}, module.Failed, 0, "not a zlib stream"},
		{"not JSON", map[string][]byte{sms.Dir + "/000000_sms_backup": fixture.AndroidDeflate([]byte("<xml/>"))}, module.Failed, 0, "not JSON"},
		{"not an array", map[string][]byte{sms.Dir + "/000000_sms_backup": fixture.AndroidDeflate([]byte(`{"a":1}`))}, module.Failed, 0, "not an array"},
		{"broken after two", map[string][]byte{sms.Dir + "/000000_sms_backup": fixture.AndroidDeflate([]byte(`[{"body":"a"},{"body":"b"},{"body":`))}, module.Partial, 2, ""},
		{"truncated zlib", map[string][]byte{sms.Dir + "/000000_sms_backup": fixture.AndroidDeflate([]byte(`[{"body":"a"},{"body":"b"}]`))[:20]}, module.Partial, 1, ""},
		{"element not an object", map[string][]byte{sms.Dir + "/000000_sms_backup": fixture.AndroidDeflate([]byte(`[1,{"body":"b"},"x"]`))}, module.Partial, 1, ""},
		{"one bad file of two", map[string][]byte{sms.Dir + "/000000_sms_backup": good, sms.Dir + "/000001_mms_backup": []byte("junk")}, module.Partial, 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := memRun(t, nil, c.files)
			if o.Status.State != c.state || len(o.List(t)) != c.records || !strings.Contains(o.Status.Reason, c.reason) {
				t.Errorf("status %+v, %d records", o.Status, len(o.List(t)))
			}
		})
	}
}

func TestSampleIsInnocent(t *testing.T) {
	spec := fixture.SampleAndroidSMS(now, 300, 11)
	if len(spec.SMS) == 0 || len(spec.MMS) == 0 {
		t.Fatalf("%d SMS, %d MMS", len(spec.SMS), len(spec.MMS))
	}
	o := moduletest.Run(t, openAB(t, spec), moduletest.Index("domains", "akhbar-almasdar.example"), sms.New())
	if len(o.Alerts) != 0 || len(o.List(t)) != 300 || o.Status.State != module.OK {
		t.Errorf("%d alerts, %d records, status %+v", len(o.Alerts), len(o.List(t)), o.Status)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`[{"address":"1","body":"x https://a.example","date":"1709287200123","type":"1"}]`, false)
	f.Add(`[{"date":"1709287200","m_type":"132","mms_body":"f","mms_addresses":[{"type":137,"address":"+1"}]}]`, true)
	f.Add(`[{"body":1,"date":{"x":[]},"mms_body":null}, 3, [`, true)
	f.Fuzz(func(t *testing.T, js string, mms bool) {
		kind := sms.KindSMS
		if mms {
			kind = sms.KindMMS
		}
		msgs, _, err := sms.Parse(kind, fixture.AndroidDeflate([]byte(js)))
		if err != nil {
			return
		}
		for _, m := range msgs {
			if _, err := m.MarshalJSON(); err != nil {
				t.Fatalf("marshal: %v", err)
			}
			m.Timeline()
			m.URLs()
		}
	})
}

// Both kinds of message read back from sms.json with the alerts of the run: links in
// an SMS and an MMS body, and an MMS download address.
func TestReload(t *testing.T) {
	ix := moduletest.Index("domains", "news.example", "domains", "photos.example", "domains", "mms.carrier.example")
	o := moduletest.Run(t, openAB(t, smallSpec()), ix, sms.New())
	if len(o.Alerts) != 3 {
		t.Fatalf("alerts %+v", o.Alerts)
	}
	moduletest.Reload(t, o, ix, sms.New())
}

// TestDecodeMVTRecord reads messages the way MVT writes them into sms.json (the
// backup's keys, mms_body renamed body, then MVT's isodate, direction and links, which
// are worked out again) and checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	ix := moduletest.Index("domains", "akhbar-almasdar.example")
	tests := []struct {
		name   string
		record string
		want   []string // check and message of each alert, up to ", matching"
	}{
		{"SMS", `{"self_phone": "+41791234567", "address": "+97155501931", "body": "Read https://akhbar-almasdar.example/9k2Lp now",
			"date": "1709287200123", "date_sent": "1709287196000", "status": "-1", "type": "1", "recipients": ["+97155501931"], "read": "1",
			"isodate": "2024-03-01 10:00:00.123000", "direction": "sent", "links": ["https://akhbar-almasdar.example/9k2Lp"]}`,
			[]string{`ioc/domain Found a known suspicious domain "https://akhbar-almasdar.example/9k2Lp" (through "akhbar-almasdar.example") in an SMS received from +97155501931 on 2024-03-01`}},
		{"MMS", `{"sub": "", "date": "1709373600", "date_sent": "0", "m_type": "132", "v": "18", "msg_box": "1",
			"ct_l": "http://mmsc.akhbar-almasdar.example/m/1", "tr_id": "T1", "read": "1",
			"mms_addresses": [{"type": 137, "address": "+97155501931", "charset": 106}, {"type": 151, "address": "+41791234567", "charset": 106}],
			"body": "see akhbar-almasdar.example/x", "mms_charset": 106, "sub_cs": "106",
			"isodate": "1970-01-20 18:36:13.600000", "direction": "received", "links": ["akhbar-almasdar.example/x"]}`,
			[]string{
				`ioc/domain Found a known suspicious domain "akhbar-almasdar.example/x" (through "akhbar-almasdar.example") in an MMS received from +97155501931 on 2024-03-02`,
				`ioc/domain Found a known suspicious domain "http://mmsc.akhbar-almasdar.example/m/1" (through "akhbar-almasdar.example") in the download address of an MMS received from +97155501931 on 2024-03-02`,
			}},
		{"clean", `{"address": "+41795550101", "body": "ok", "date": "1709287260123", "date_sent": "0", "type": "2",
			"isodate": "2024-03-01 10:01:00.123000", "direction": "received", "links": []}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := sms.New()
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
