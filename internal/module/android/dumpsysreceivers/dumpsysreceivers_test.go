package dumpsysreceivers_test

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
	"github.com/spytrace/spytrace/internal/module/android/dumpsysreceivers"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

func run(t *testing.T, section []byte, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	files := fstest.MapFS{fixture.AndroidPackageSection: {Data: section}}
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), ix, dumpsysreceivers.New())
}

func TestRecords(t *testing.T) {
	spec := fixture.AndroidPackageSpec{
		Packages: []fixture.AndroidPackage{
			{Name: "com.android.phone", UID: 1001, System: true},
			{Name: "com.whatsapp", UID: 10100, Installer: fixture.AndroidPlayStore},
		},
		Receivers: []fixture.AndroidResolverEntry{
			{Intent: fixture.AndroidIntentSMS, Component: "com.android.phone/.SmsReceiver"},
			{Intent: fixture.AndroidIntentBoot, Component: "com.whatsapp/.BootReceiver"},
			{Intent: fixture.AndroidIntentBoot, Component: "com.unlisted/.Boot"},
		},
		Activities: []fixture.AndroidResolverEntry{{Intent: fixture.AndroidIntentMain, Component: "com.whatsapp/.Main"}},
	}
	o := run(t, fixture.PackageSectionText(spec), nil)
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	want := []map[string]any{
		{"intent": fixture.AndroidIntentSMS, "package_name": "com.android.phone", "receiver": "com.android.phone/.SmsReceiver", "system": true},
		{"intent": fixture.AndroidIntentBoot, "package_name": "com.whatsapp", "receiver": "com.whatsapp/.BootReceiver", "system": false},
		{"intent": fixture.AndroidIntentBoot, "package_name": "com.unlisted", "receiver": "com.unlisted/.Boot", "system": nil},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 0 || len(o.Timeline) != 0 {
		t.Errorf("alerts = %v, timeline = %v", o.Alerts, o.Timeline)
	}
}

func TestAbsentAndGarbage(t *testing.T) {
	o := moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fstest.MapFS{"x.txt": {Data: []byte("x")}}), nil, dumpsysreceivers.New())
	if o.Status.State != module.Skipped {
		t.Errorf("absent: status = %+v", o.Status)
	}
	o = run(t, []byte("\xff\x00Receiver Resolver Table:\n  Non-Data Actions:\n      :\n        \n"), nil)
	if o.Status.State != module.OK || len(o.List(t)) != 0 {
		t.Errorf("garbage: status = %+v, records = %v", o.Status, o.List(t))
	}
}

func TestIndicator(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 4, 1)
	fixture.PlantAndroidIndicatorPackage(&spec, "com.spy.agent", now)
	o := run(t, fixture.PackageSectionText(spec), moduletest.Index("app_ids", "com.spy.agent"))
	got := o.AlertsOf("ioc/app_id")
	if len(got) != 1 || got[0].Level != alert.Critical || !strings.Contains(got[0].Message, "com.spy.agent/.BootReceiver") || len(o.Alerts) != 1 {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, moduletest.Index("app_ids", "com.spy.agent"), dumpsysreceivers.New())
	o = run(t, fixture.PackageSectionText(spec), moduletest.Index("app_ids", "com.spy.agent.other"))
	if len(o.Alerts) != 0 {
		t.Errorf("false positive: %+v", o.Alerts)
	}
}

func TestInterception(t *testing.T) {
	spec := fixture.SampleAndroidPackages(now, 4, 2)
	fixture.PlantAndroidSMSInterceptor(&spec, "com.example.smsforward", now)
	o := run(t, fixture.PackageSectionText(spec), nil)
	got := o.AlertsOf(dumpsysreceivers.Interception.ID)
	if len(got) != 1 || got[0].Level != alert.Medium || len(o.Alerts) != 1 ||
		!strings.Contains(got[0].Message, "intercept incoming SMS messages") || !strings.Contains(got[0].Message, "not a system app") {
		t.Fatalf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsysreceivers.New())

	// Phone state alone is LOW; a platform-looking name that is not a system app is
	// still reported; an unlisted package with a platform name is not.
	spec = fixture.SampleAndroidPackages(now, 2, 2)
	spec.Packages = append(spec.Packages, fixture.AndroidPackage{Name: "com.android.core.monitor", UID: 10999, Installer: "null"})
	spec.Receivers = append(spec.Receivers,
		fixture.AndroidResolverEntry{Intent: fixture.AndroidIntentPhoneState, Component: "com.example.music/.CallPause"},
		fixture.AndroidResolverEntry{Intent: "android.provider.Telephony.NEW_OUTGOING_SMS", Component: "com.android.core.monitor/.Out"},
		fixture.AndroidResolverEntry{Intent: fixture.AndroidIntentSMS, Component: "com.google.android.unlisted/.Sms"},
	)
	o = run(t, fixture.PackageSectionText(spec), nil)
	var levels []string
	for _, a := range o.AlertsOf(dumpsysreceivers.Interception.ID) {
		levels = append(levels, a.Level.String()+" "+a.Event.(*dumpsysreceivers.Record).PackageName)
	}
	if diff := cmp.Diff([]string{"LOW com.example.music", "MEDIUM com.android.core.monitor"}, levels); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, dumpsysreceivers.New())
}

// The sample's default SMS, dialer and phone apps receive these broadcasts: no alert.
func TestSampleIsClean(t *testing.T) {
	o := run(t, fixture.PackageSectionText(fixture.SampleAndroidPackages(now, 30, 3)), nil)
	if n := len(o.List(t)); n < 5 {
		t.Fatalf("%d records", n)
	}
	if len(o.Alerts) != 0 {
		t.Errorf("alerts = %+v", o.Alerts)
	}
}

func TestExpected(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		pkg    string
		system *bool
		want   bool
	}{
		{"com.samsung.android.messaging", &no, true},
		{"com.vendor.sms", &yes, true},
		{"com.vendor.sms", &no, false},
		{"com.android.fake", &no, false},
		{"com.android.fake", nil, true},
		{"com.example", nil, false},
	} {
		if got := dumpsysreceivers.Expected(c.pkg, c.system); got != c.want {
			t.Errorf("Expected(%q, %v) = %v", c.pkg, c.system, got)
		}
	}
}

func FuzzParseReceivers(f *testing.F) {
	f.Add(fixture.PackageSectionText(fixture.SampleAndroidPackages(now, 2, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range dumpsysreceivers.Parse(data) {
			if r.Intent == "" {
				t.Fatalf("record %+v", r)
			}
		}
	})
}

// TestDecodeMVTRecord reads MVT's dumpsys_receivers.json, one object of intent →
// [{package_name, receiver}], and checks every receiver of it again: indicators, and
// SMS and call interception judged without the package list (system unknown).
func TestDecodeMVTRecord(t *testing.T) {
	const mvt = `{
		"android.provider.Telephony.SMS_RECEIVED": [
			{"package_name": "com.google.android.apps.messaging", "receiver": "com.google.android.apps.messaging/.SmsReceiver"},
			{"package_name": "com.example.smsforward", "receiver": "com.example.smsforward/.In"}
		],
		"android.intent.action.PHONE_STATE": [{"package_name": "com.example.music", "receiver": "com.example.music/.CallPause"}],
		"android.intent.action.BOOT_COMPLETED": [{"package_name": "com.spy.agent", "receiver": "com.spy.agent/.BootReceiver"}]
	}`
	m := dumpsysreceivers.New()
	rec, err := m.DecodeRecord([]byte(mvt))
	if err != nil {
		t.Fatal(err)
	}
	if recs, ok := rec.(dumpsysreceivers.Receivers); !ok || len(recs) != 4 {
		t.Fatalf("decoded %#v", rec)
	}
	var got []string
	rep := check.NewReporter(m.Info().Name, func(a alert.Alert) {
		msg, _, _ := strings.Cut(a.Message, ", matching")
		got = append(got, a.Level.String()+" "+a.Check+" "+msg)
	})
	ck := m.NewChecker(check.NewEnv(moduletest.Index("app_ids", "com.spy.agent")))
	ck.Check(rec, rep)
	ck.Finish(rep)
	want := []string{
		`MEDIUM dumpsys_receivers/sms-call-interception Found a receiver to intercept incoming SMS messages: "com.example.smsforward/.In" of ` +
			`a package missing from the package list`,
		`LOW dumpsys_receivers/sms-call-interception Found a receiver to monitor the telephony state and incoming calls: ` +
			`"com.example.music/.CallPause" of a package missing from the package list`,
		`CRITICAL ioc/app_id Found a known suspicious app identifier "com.spy.agent" in a receiver of android.intent.action.BOOT_COMPLETED (com.spy.agent/.BootReceiver)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	// a spytrace record is still read as one receiver
	rec, err = m.DecodeRecord([]byte(`{"intent": "android.intent.action.BOOT_COMPLETED", "package_name": "com.a", "receiver": "com.a/.B", "system": null}`))
	if r, ok := rec.(*dumpsysreceivers.Record); err != nil || !ok || r.PackageName != "com.a" {
		t.Errorf("decoded %#v, %v", rec, err)
	}
}
