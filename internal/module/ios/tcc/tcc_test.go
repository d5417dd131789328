package tcc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/tcc"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var (
	t0 = time.Date(2021, 7, 1, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(90 * time.Minute)
)

const implant = "/private/var/db/com.apple.xpc.roleaccountd.staging/roleaboutd"

func run(t *testing.T, spec fixture.TCCSpec, ix *ioc.Index) *moduletest.Outcome {
	t.Helper()
	b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
	if err := fixture.AddTCC(b, spec); err != nil {
		t.Fatal(err)
	}
	return moduletest.Run(t, moduletest.OpenBackup(t, b), ix, tcc.New())
}

func summary(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, fmt.Sprintf("%s %s %s", a.Level, a.Check, a.EventTime.Time.Format(time.RFC3339)))
	}
	return out
}

// twoEntries is WhatsApp's microphone permission and limited access to photos.
func twoEntries(layout string) fixture.TCCSpec {
	return fixture.TCCSpec{Schema: layout, Entries: []fixture.TCCEntry{
		{Service: "kTCCServicePhotos", Client: "net.whatsapp.WhatsApp", AuthValue: fixture.TCCLimited, AuthReason: fixture.TCCUserSet, PromptCount: 2, LastModified: t1},
		{Service: "kTCCServiceMicrophone", Client: "net.whatsapp.WhatsApp", AuthValue: fixture.TCCAllowed, AuthReason: fixture.TCCUserConsent, PromptCount: 1, LastModified: t0},
	}}
}

func TestLayouts(t *testing.T) {
	tests := []struct {
		name     string
		layout   string
		records  []map[string]any
		timeline []string
	}{
		{
			name:   "v3",
			layout: fixture.TCCv3,
			records: []map[string]any{
				{"service": "kTCCServiceMicrophone", "client": "net.whatsapp.WhatsApp", "client_type": "bundle_id", "auth_value": "allowed",
					"auth_reason_desc": "user_consent", "auth_reason": 2.0, "last_modified": "2021-07-01 10:00:00.000000", "tcc_layout": "v3"},
				{"service": "kTCCServicePhotos", "client": "net.whatsapp.WhatsApp", "client_type": "bundle_id", "auth_value": "limited",
					"auth_reason_desc": "user_set", "auth_reason": 3.0, "last_modified": "2021-07-01 11:30:00.000000", "tcc_layout": "v3"},
			},
			timeline: []string{
				`"2021-07-01 10:00:00.000000","TCC","AccessRequest","net.whatsapp.WhatsApp allowed access to kTCCServiceMicrophone (microphone)"`,
				`"2021-07-01 11:30:00.000000","TCC","AccessRequest","net.whatsapp.WhatsApp limited access to kTCCServicePhotos (photos)"`,
			},
		},
		{
			name:   "v2",
			layout: fixture.TCCv2,
			records: []map[string]any{
				{"service": "kTCCServiceMicrophone", "client": "net.whatsapp.WhatsApp", "client_type": "bundle_id", "auth_value": "allowed",
					"allowed_value": "allowed", "prompt_count": 1.0, "last_modified": "2021-07-01 10:00:00.000000", "tcc_layout": "v2"},
				{"service": "kTCCServicePhotos", "client": "net.whatsapp.WhatsApp", "client_type": "bundle_id", "auth_value": "allowed",
					"allowed_value": "allowed", "prompt_count": 2.0, "last_modified": "2021-07-01 11:30:00.000000", "tcc_layout": "v2"},
			},
			timeline: []string{
				`"2021-07-01 10:00:00.000000","TCC","AccessRequest","net.whatsapp.WhatsApp allowed access to kTCCServiceMicrophone (microphone)"`,
				`"2021-07-01 11:30:00.000000","TCC","AccessRequest","net.whatsapp.WhatsApp allowed access to kTCCServicePhotos (photos)"`,
			},
		},
		{
			name:   "v1",
			layout: fixture.TCCv1,
			records: []map[string]any{
				{"service": "kTCCServiceMicrophone", "client": "net.whatsapp.WhatsApp", "client_type": "bundle_id", "auth_value": "allowed",
					"allowed_value": "allowed", "prompt_count": 1.0, "last_modified": nil, "tcc_layout": "v1"},
				{"service": "kTCCServicePhotos", "client": "net.whatsapp.WhatsApp", "client_type": "bundle_id", "auth_value": "allowed",
					"allowed_value": "allowed", "prompt_count": 2.0, "last_modified": nil, "tcc_layout": "v1"},
			},
			timeline: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, twoEntries(tc.layout), nil)
			if o.Status.State != module.OK {
				t.Fatalf("status %s (%s), want ok", o.Status.State, o.Status.Reason)
			}
			if diff := cmp.Diff(tc.records, o.List(t)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.timeline, o.Timeline); diff != "" {
				t.Errorf("timeline (-want +got):\n%s", diff)
			}
			if len(o.Alerts) != 0 {
				t.Errorf("alerts %v, want none", summary(o.Alerts))
			}
		})
	}
}

func TestIndirectObjectAndOddValues(t *testing.T) {
	spec := fixture.TCCSpec{Entries: []fixture.TCCEntry{
		{Service: "kTCCServiceAppleEvents", Client: "com.example.automation", AuthValue: 7, AuthReason: 99, IndirectObject: "com.apple.finder", LastModified: t0},
		{Service: "kTCCServiceCamera", Client: "com.example.odd", ClientType: 5, AuthValue: fixture.TCCDenied, AuthReason: 1, LastModified: t0},
	}}
	o := run(t, spec, nil)
	want := []map[string]any{
		{"service": "kTCCServiceAppleEvents", "client": "com.example.automation", "client_type": "bundle_id", "auth_value": "7",
			"auth_reason_desc": "unknown", "auth_reason": 99.0, "indirect_object_identifier": "com.apple.finder",
			"last_modified": "2021-07-01 10:00:00.000000", "tcc_layout": "v3"},
		{"service": "kTCCServiceCamera", "client": "com.example.odd", "client_type": "5", "auth_value": "denied",
			"auth_reason_desc": "error", "auth_reason": 1.0, "last_modified": "2021-07-01 10:00:00.000000", "tcc_layout": "v3"},
	}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestWALOnlyRows(t *testing.T) {
	spec := twoEntries("")
	spec.Entries = append(spec.Entries, fixture.TCCEntry{Service: "kTCCServiceCamera", Client: "org.whispersystems.signal", AuthValue: fixture.TCCAllowed, LastModified: t1, WAL: true})
	o := run(t, spec, nil)
	var clients []string
	for _, r := range o.List(t) {
		clients = append(clients, fmt.Sprint(r["service"], " ", r["client"]))
	}
	want := []string{"kTCCServiceCamera org.whispersystems.signal", "kTCCServiceMicrophone net.whatsapp.WhatsApp", "kTCCServicePhotos net.whatsapp.WhatsApp"}
	if diff := cmp.Diff(want, clients); diff != "" || o.Status.State != module.OK {
		t.Errorf("status %s; entries (-want +got):\n%s", o.Status.State, diff)
	}
}

func TestEmptyDatabase(t *testing.T) {
	for _, layout := range []string{fixture.TCCv3, fixture.TCCv2, fixture.TCCv1} {
		t.Run(layout, func(t *testing.T) {
			o := run(t, fixture.TCCSpec{Schema: layout}, nil)
			if o.Status.State != module.OK || o.Status.Records != 0 {
				t.Errorf("status %+v, want ok with no record", o.Status)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	build := func(sql string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			data, _, err := fixture.BuildSQLite(fixture.SQLite{SQL: sql})
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	truncated := func(t *testing.T) []byte {
		b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
		if err := fixture.AddTCC(b, fixture.SampleTCC(fixture.Epoch, 600, 1)); err != nil {
			t.Fatal(err)
		}
		d := b.Lookup(fixture.TCCDomain, fixture.TCCPath).Content
		return d[:len(d)/3]
	}
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		state  module.State
		reason string
	}{
		{"absent", nil, module.Skipped, "not in this acquisition"},
		{"not_sqlite", func(*testing.T) []byte { return []byte("\x00\x01garbage") }, module.Failed, "not a SQLite database"},
		{"truncated", truncated, module.Failed, "malformed"},
		{"no_access_table", build("CREATE TABLE admin (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);"), module.Failed, "no access table"},
		{"unknown_layout", build("CREATE TABLE access (service TEXT, client TEXT, client_type INTEGER, verdict INTEGER);"), module.Failed, "unknown layout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := fixture.NewBackup(fixture.DefaultDevice, fixture.Epoch)
			if tc.data != nil {
				b.AddFile(fixture.TCCDomain, fixture.TCCPath, tc.data(t))
			}
			o := moduletest.Run(t, moduletest.OpenBackup(t, b), nil, tcc.New())
			if o.Status.State != tc.state || !strings.Contains(o.Status.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s with %q", o.Status.State, o.Status.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestIndicators(t *testing.T) {
	bundle := twoEntries("")
	fixture.PlantTCCClient(&bundle, "com.example.stalker", "kTCCServiceMicrophone", t1)
	path := twoEntries("")
	fixture.PlantTCCPathClient(&path, implant, "kTCCServiceMotion", t1)
	tests := []struct {
		name string
		spec fixture.TCCSpec
		ix   *ioc.Index
		want []string
	}{
		{"bundle_id_as_process", bundle, moduletest.Index("processes", "com.example.stalker"), []string{"CRITICAL ioc/process 2021-07-01T11:30:00Z"}},
		{"bundle_id_as_app_id", bundle, moduletest.Index("app_ids", "com.example.stalker"), []string{"CRITICAL ioc/app_id 2021-07-01T11:30:00Z"}},
		{"path_as_process", path, moduletest.Index("processes", "roleaboutd"), []string{"CRITICAL ioc/process 2021-07-01T11:30:00Z"}},
		{"path_as_file_path", path, moduletest.Index("file_paths", "/private/var/db/com.apple.xpc.roleaccountd.staging"), []string{"HIGH ioc/file_path 2021-07-01T11:30:00Z"}},
		{"similar_app_id", bundle, moduletest.Index("app_ids", "com.example.stalker2", "processes", "stalker"), nil},
		{"other_path", path, moduletest.Index("file_paths", "/private/var/db/com.apple.xpc.roleaccountd", "processes", "roleabout"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.spec, tc.ix)
			if diff := cmp.Diff(tc.want, summary(o.Alerts)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			moduletest.Reload(t, o, tc.ix, tcc.New())
		})
	}
}

func TestPathClientSensitive(t *testing.T) {
	entry := func(client string, clientType int, service string, value int) fixture.TCCSpec {
		spec := twoEntries("")
		spec.Entries = append(spec.Entries, fixture.TCCEntry{Service: service, Client: client, ClientType: clientType, AuthValue: value, AuthReason: fixture.TCCSystemSet, LastModified: t1})
		return spec
	}
	v2 := entry(implant, fixture.TCCAbsolutePath, "kTCCServiceCamera", fixture.TCCAllowed)
	v2.Schema = fixture.TCCv2
	tests := []struct {
		name string
		spec fixture.TCCSpec
		want bool
	}{
		{"staging_folder_microphone", entry(implant, fixture.TCCAbsolutePath, "kTCCServiceMicrophone", fixture.TCCAllowed), true},
		{"limited_photos", entry("/private/var/tmp/helper", fixture.TCCAbsolutePath, "kTCCServicePhotos", fixture.TCCLimited), true},
		{"v2_layout", v2, true},
		{"var_alias", entry("/var/mobile/Library/x/agent", fixture.TCCAbsolutePath, "kTCCServiceAddressBook", fixture.TCCAllowed), true},
		{"dot_dot_escape", entry("/usr/../private/var/tmp/agent", fixture.TCCAbsolutePath, "kTCCServiceCamera", fixture.TCCAllowed), true},
		{"path_mislabelled_as_bundle", entry("/private/var/tmp/agent", fixture.TCCBundleID, "kTCCServiceCamera", fixture.TCCAllowed), true},
		{"denied", entry(implant, fixture.TCCAbsolutePath, "kTCCServiceMicrophone", fixture.TCCDenied), false},
		{"not_sensitive", entry(implant, fixture.TCCAbsolutePath, "kTCCServiceMotion", fixture.TCCAllowed), false},
		{"system_daemon", entry("/usr/libexec/mediaserverd", fixture.TCCAbsolutePath, "kTCCServiceMicrophone", fixture.TCCAllowed), false},
		{"system_framework", entry("/System/Library/PrivateFrameworks/X.framework/XAgent", fixture.TCCAbsolutePath, "kTCCServiceCamera", fixture.TCCAllowed), false},
		{"installed_app", entry("/private/var/containers/Bundle/Application/4C1A5E2B-9D3F-4A6E-8B7C-0D1E2F3A4B5C/Recorder.app/Recorder", fixture.TCCAbsolutePath, "kTCCServiceMicrophone", fixture.TCCAllowed), false},
		{"installed_app_var_alias", entry("/var/containers/Bundle/Application/4C1A5E2B-9D3F-4A6E-8B7C-0D1E2F3A4B5C/Recorder.app/Recorder", fixture.TCCAbsolutePath, "kTCCServiceMicrophone", fixture.TCCAllowed), false},
		{"bundle_id", entry("com.example.recorder", fixture.TCCBundleID, "kTCCServiceMicrophone", fixture.TCCAllowed), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, tc.spec, nil)
			got := o.AlertsOf(tcc.PathClientSensitive.ID)
			if (len(got) == 1) != tc.want || len(got) > 1 || len(got) != len(o.Alerts) {
				t.Errorf("alerts %v, want a path-client-sensitive alert: %v", summary(o.Alerts), tc.want)
			}
			moduletest.Reload(t, o, nil, tcc.New())
		})
	}
	t.Run("message", func(t *testing.T) {
		o := run(t, tests[0].spec, nil)
		want := `A program outside the system and app folders, "` + implant + `", was given access to the microphone (kTCCServiceMicrophone) on 2021-07-01 11:30:00.000000`
		if len(o.Alerts) != 1 || o.Alerts[0].Message != want || o.Alerts[0].Level != alert.Medium {
			t.Errorf("alerts %+v, want one MEDIUM with message %q", o.Alerts, want)
		}
	})
}

// TestDecodeMVTRecord reads entries the way MVT writes them for each layout (v3 with
// auth_value and auth_reason_desc, v1 and v2 with allowed_value and prompt_count) and
// checks them again.
func TestDecodeMVTRecord(t *testing.T) {
	const (
		v3       = `{"service": "kTCCServiceMicrophone", "client": "` + implant + `", "client_type": "absolute_path", "auth_value": "allowed", "auth_reason_desc": "system_set", "last_modified": "2021-07-01 11:30:00.000000"}`
		v2       = `{"service": "kTCCServiceCamera", "client": "` + implant + `", "client_type": "absolute_path", "allowed_value": "allowed", "prompt_count": 1, "last_modified": "2021-07-01 11:30:00.000000"}`
		v1       = `{"service": "kTCCServiceCamera", "client": "` + implant + `", "client_type": "absolute_path", "allowed_value": "allowed", "prompt_count": 0}`
		v2Denied = `{"service": "kTCCServiceCamera", "client": "` + implant + `", "client_type": "absolute_path", "allowed_value": "denied", "prompt_count": 1, "last_modified": "2021-07-01 11:30:00.000000"}`
		bundle   = `{"service": "kTCCServicePhotos", "client": "com.example.stalker", "client_type": "bundle_id", "auth_value": "limited", "auth_reason_desc": "user_set", "last_modified": "2021-07-01 11:30:00.000000"}`
	)
	ix := moduletest.Index("processes", "roleaboutd", "app_ids", "com.example.stalker")
	tests := []struct {
		name, record string
		want         []string
	}{
		{"v3", v3, []string{"CRITICAL ioc/process 2021-07-01T11:30:00Z", "MEDIUM tcc/path-client-sensitive 2021-07-01T11:30:00Z"}},
		{"v2", v2, []string{"CRITICAL ioc/process 2021-07-01T11:30:00Z", "MEDIUM tcc/path-client-sensitive 2021-07-01T11:30:00Z"}},
		{"v1", v1, []string{"CRITICAL ioc/process 0001-01-01T00:00:00Z", "MEDIUM tcc/path-client-sensitive 0001-01-01T00:00:00Z"}},
		{"v2_denied", v2Denied, []string{"CRITICAL ioc/process 2021-07-01T11:30:00Z"}},
		{"bundle_id", bundle, []string{"CRITICAL ioc/app_id 2021-07-01T11:30:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tcc.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []alert.Alert
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) { got = append(got, a) })
			ck := m.NewChecker(check.NewEnv(ix))
			ck.Check(rec, rep)
			ck.Finish(rep)
			if diff := cmp.Diff(tc.want, summary(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleIsClean(t *testing.T) {
	spec := fixture.SampleTCC(fixture.Epoch, 400, 3)
	if diff := cmp.Diff(spec, fixture.SampleTCC(fixture.Epoch, 400, 3)); diff != "" {
		t.Fatalf("same seed, different samples:\n%s", diff)
	}
	o := run(t, spec, nil)
	if o.Status.State != module.OK || o.Status.Records != 400 || len(o.Alerts) != 0 {
		t.Errorf("status %+v, alerts %v: want ok, 400 records, no alert", o.Status, summary(o.Alerts))
	}
}
