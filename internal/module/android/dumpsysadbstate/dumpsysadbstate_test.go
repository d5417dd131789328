package dumpsysadbstate_test

import (
	"crypto/md5"
	"encoding/base64"
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
	"github.com/spytrace/spytrace/internal/fixture"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/android/dumpsysadbstate"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

var now = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

func run(t *testing.T, data []byte) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fstest.MapFS{fixture.AndroidADBSection: {Data: data}}), nil, dumpsysadbstate.New())
}

func fp(raw []byte) string {
	sum := md5.Sum(raw)
	var parts []string
	for _, c := range sum {
		parts = append(parts, fmt.Sprintf("%02X", c))
	}
	return strings.Join(parts, ":")
}

func TestRecordsXML(t *testing.T) {
	blob := fixture.AndroidADBKeyBlob(1)
	last := time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC)
	spec := fixture.ADBSpec{Connected: true, Wifi: true, Keys: []fixture.ADBKey{{Key: blob, User: "me@laptop", LastConnection: last}}}
	o := run(t, fixture.AndroidADB(spec))
	if o.Status.State != module.OK {
		t.Fatalf("status = %+v", o.Status)
	}
	key := map[string]any{"user": "me@laptop", "fingerprint": fp(blob), "key": base64.StdEncoding.EncodeToString(blob),
		"last_connected": float64(last.UnixMilli()), "last_connected_time": "2024-03-01 08:30:00.000000"}
	want := []map[string]any{{
		"connected_to_adb": "true", "user_keys": []any{key}, "keystore": []any{key}, "keystore_format": "xml",
		"adb_wifi": map[string]any{"enabled": "false", "network_bssid": "", "network_ssid": "", "is_trusted_network": "false", "tls_port": "0"},
	}}
	if diff := cmp.Diff(want, o.List(t)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantTL := []string{fmt.Sprintf(`"2024-03-01 08:30:00.000000","DumpsysADBState","adb_key_last_connection","Computer ""me@laptop"" (adb key %s) last connected for debugging"`, fp(blob))}
	if diff := cmp.Diff(wantTL, o.Timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if len(o.Alerts) != 1 || o.Alerts[0].Check != dumpsysadbstate.TrustedKey.ID || o.Alerts[0].Level != alert.Informational {
		t.Errorf("alerts = %+v", o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsysadbstate.New())
}

func TestABXAndNoKeystore(t *testing.T) {
	blob := fixture.AndroidADBKeyBlob(2)
	b64 := base64.StdEncoding.EncodeToString(blob)
	abx := "ADB MANAGER STATE (dumpsys adb):\n{\n  debugging_manager={\n    connected_to_adb=true\n" +
		"    user_keys=" + b64 + " user@linux\n\n" +
		"    keystore=ABX\x00\x102\xef\xbf\xbd\x00\x08keyStore\x00\x06adbKey/\x00\x03key\x02\xef\xbf\xbd" + b64 + " user@linux\xef\xbf\xbd\x00\x0elastConnection\x00\n  }\n}\n"
	got, problems := dumpsysadbstate.Parse([]byte(abx))
	if got == nil || len(problems) != 0 || got.KeystoreFormat != "abx" || len(got.Keystore) != 1 ||
		got.Keystore[0].User != "user@linux" || got.Keystore[0].Fingerprint != fp(blob) || got.Keystore[0].LastConnected != nil {
		t.Fatalf("got %+v %q", got, problems)
	}
	o := run(t, fixture.AndroidADB(fixture.ADBSpec{NoXML: true, Keys: []fixture.ADBKey{{Key: blob, User: "a@b"}, {Key: fixture.AndroidADBKeyBlob(3), User: "c@d"}}}))
	recs := o.List(t)
	if len(recs) != 1 || len(recs[0]["user_keys"].([]any)) != 2 || len(recs[0]["keystore"].([]any)) != 0 || len(o.Alerts) != 2 || len(o.Timeline) != 0 {
		t.Errorf("records = %v alerts = %v", recs, o.Alerts)
	}
	moduletest.Reload(t, o, nil, dumpsysadbstate.New())
}

func TestBadInput(t *testing.T) {
	o := run(t, []byte("Can't find service: adb\n"))
	if o.Status.State != module.OK || len(o.List(t)) != 0 || len(o.Alerts) != 0 {
		t.Errorf("no service: %+v %v", o.Status, o.List(t))
	}
	o = run(t, []byte("{\n  debugging_manager={\n    user_keys=!!notbase64 x@y\n\n  }\n}\n"))
	if o.Status.State != module.Partial || len(o.List(t)) != 1 {
		t.Errorf("bad key: %+v", o.Status)
	}
	o = moduletest.Run(t, memfs.New(acquire.AndroidBugreport, fstest.MapFS{"other": {}}), nil, dumpsysadbstate.New())
	if o.Status.State != module.Skipped {
		t.Errorf("absent: %+v", o.Status)
	}
}

func TestTrustedKeyPlant(t *testing.T) {
	spec := fixture.SampleADB(now, 0, 1)
	if o := run(t, fixture.AndroidADB(spec)); len(o.Alerts) != 0 {
		t.Errorf("no keys: alerts = %+v", o.Alerts)
	}
	fixture.PlantADBKey(&spec, "stranger@pc", now.Add(-48*time.Hour))
	o := run(t, fixture.AndroidADB(spec))
	if len(o.Alerts) != 1 || !strings.Contains(o.Alerts[0].Message, "stranger@pc") || len(o.Timeline) != 1 {
		t.Errorf("alerts = %+v timeline = %v", o.Alerts, o.Timeline)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture.AndroidADB(fixture.SampleADB(now, 2, 1)))
	f.Add([]byte("debugging_manager={\nuser_keys=QUJD x\nmore\nkeystore=<adbKey key=\"QUJD y\" lastConnection=\"-1\"/>\nadb_wifi={\n}\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if st, _ := dumpsysadbstate.Parse(data); st != nil {
			st.Timeline()
		}
	})
}

// ---- androidqf context ----

var started = time.Date(2024, 3, 14, 9, 30, 0, 0, time.UTC)

func aqfFiles(section []byte, acq []byte, hostFile map[string][]byte) fstest.MapFS {
	files := fstest.MapFS{fixture.AndroidADBSection: {Data: section}}
	if acq != nil {
		files[dumpsysadbstate.AcquisitionFile] = &fstest.MapFile{Data: acq}
	}
	for name, data := range hostFile {
		files[name] = &fstest.MapFile{Data: data}
	}
	return files
}

func runAQF(t *testing.T, files fstest.MapFS) *moduletest.Outcome {
	t.Helper()
	return moduletest.Run(t, memfs.New(acquire.AndroidQF, files), nil, dumpsysadbstate.New())
}

func acquisitionJSON() []byte {
	return fixture.AQFAcquisitionJSON(fixture.SampleAQFAcquisition(started))
}

// checks returns "check level" of every alert, in order.
func checks(o *moduletest.Outcome) []string {
	var out []string
	for _, a := range o.Alerts {
		out = append(out, a.Check+" "+a.Level.String())
	}
	return out
}

func TestAQFHostKeyFile(t *testing.T) {
	spec, host := fixture.SampleAQFADB(started, 7)
	o := runAQF(t, aqfFiles(fixture.AndroidADB(spec), acquisitionJSON(), fixture.AQFADBHostKeyFiles(host)))
	if o.Status.State != module.OK || len(o.Alerts) != 0 {
		t.Fatalf("innocent collection: status %+v alerts %v", o.Status, checks(o))
	}
	fixture.PlantAQFADBForeignKey(&spec, "stranger@pc", started.Add(-72*time.Hour))
	o = runAQF(t, aqfFiles(fixture.AndroidADB(spec), acquisitionJSON(), fixture.AQFADBHostKeyFiles(host)))
	if diff := cmp.Diff([]string{dumpsysadbstate.OtherComputer.ID + " LOW"}, checks(o)); diff != "" {
		t.Fatalf("alerts (-want +got):\n%s", diff)
	}
	a := o.Alerts[0]
	foreign := spec.Keys[1]
	for _, want := range []string{"different from the AndroidQF acquisition host", "stranger@pc", fp(foreign.Key), fp(host.Key)} {
		if !strings.Contains(a.Message, want) {
			t.Errorf("message %q lacks %q", a.Message, want)
		}
	}
	if !a.EventTime.Time.Equal(foreign.LastConnection) {
		t.Errorf("event time %v, want %v", a.EventTime.Time, foreign.LastConnection)
	}
	moduletest.Reload(t, o, nil, dumpsysadbstate.New())
	// the record keeps the context and marks the host's keys
	recs := o.List(t)
	if len(recs) != 1 {
		t.Fatalf("records = %v", recs)
	}
	wantAQF := map[string]any{
		"started":         "2024-03-14T09:30:00Z",
		"host_key_source": "adb_host_key.pub",
		"host_key": map[string]any{"user": "analyst@androidqf-laptop", "fingerprint": fp(host.Key), "key": base64.StdEncoding.EncodeToString(host.Key),
			"last_connected": nil, "last_connected_time": nil},
	}
	if diff := cmp.Diff(wantAQF, recs[0]["androidqf"]); diff != "" {
		t.Errorf("androidqf (-want +got):\n%s", diff)
	}
	got := moduletest.Project(anyMaps(recs[0]["user_keys"]), "user", "acquisition_host")
	want := []map[string]any{{"user": "analyst@androidqf-laptop", "acquisition_host": true}, {"user": "stranger@pc"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user_keys (-want +got):\n%s", diff)
	}
}

func anyMaps(v any) []map[string]any {
	var out []map[string]any
	for _, e := range v.([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func TestAQFHostKeyInAcquisitionJSON(t *testing.T) {
	spec, host := fixture.SampleAQFADB(started, 8)
	fixture.PlantAQFADBForeignKey(&spec, "other@desk", started.Add(-time.Hour))
	acq := fixture.AQFAcquisitionJSONWithHostKey(fixture.SampleAQFAcquisition(started), fixture.AQFADBPublicKey(host))
	o := runAQF(t, aqfFiles(fixture.AndroidADB(spec), acq, nil))
	if o.Status.State != module.OK {
		t.Errorf("status %+v", o.Status)
	}
	if diff := cmp.Diff([]string{dumpsysadbstate.OtherComputer.ID + " LOW"}, checks(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if src := o.List(t)[0]["androidqf"].(map[string]any)["host_key_source"]; src != "acquisition.json" {
		t.Errorf("host_key_source = %v", src)
	}
	// acquisition.json wins over a disagreeing adb_host_key.pub, with a problem
	other := fixture.AQFADBHost(99, started)
	o = runAQF(t, aqfFiles(fixture.AndroidADB(spec), acq, fixture.AQFADBHostKeyFiles(other)))
	if o.Status.State != module.Partial || len(o.Status.Problems) != 1 || !strings.Contains(o.Status.Problems[0], "different computers") {
		t.Errorf("disagreeing host keys: %+v", o.Status)
	}
	if diff := cmp.Diff([]string{dumpsysadbstate.OtherComputer.ID + " LOW"}, checks(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	// the same key with another comment agrees
	renamed := host
	renamed.User = "someone@else"
	o = runAQF(t, aqfFiles(fixture.AndroidADB(spec), acq, fixture.AQFADBHostKeyFiles(renamed)))
	if o.Status.State != module.OK {
		t.Errorf("same key, other comment: %+v", o.Status)
	}
}

func TestAQFNoHostKey(t *testing.T) {
	spec := fixture.SampleADB(started, 2, 3)
	want := []string{dumpsysadbstate.NoHostKey.ID + " LOW", dumpsysadbstate.NoHostKey.ID + " LOW"}
	for name, acq := range map[string][]byte{
		"acquisition.json without host key": acquisitionJSON(),
		"no acquisition.json":               nil,
		"invalid host key":                  fixture.AQFAcquisitionJSONWithHostKey(fixture.SampleAQFAcquisition(started), "%%% analyst@laptop"),
	} {
		o := runAQF(t, aqfFiles(fixture.AndroidADB(spec), acq, nil))
		if diff := cmp.Diff(want, checks(o)); diff != "" {
			t.Errorf("%s: alerts (-want +got):\n%s", name, diff)
		}
		moduletest.Reload(t, o, nil, dumpsysadbstate.New())
		if aqf := o.List(t)[0]["androidqf"].(map[string]any); aqf["host_key"] != nil {
			t.Errorf("%s: androidqf = %v", name, aqf)
		}
		if wantState := map[bool]module.State{false: module.OK, true: module.Partial}[name == "invalid host key"]; o.Status.State != wantState {
			t.Errorf("%s: status %+v", name, o.Status)
		}
	}
	// no trusted key, nothing to report
	o := runAQF(t, aqfFiles(fixture.AndroidADB(fixture.SampleADB(started, 0, 3)), acquisitionJSON(), nil))
	if len(o.Alerts) != 0 {
		t.Errorf("no keys: %v", checks(o))
	}
}

func TestAQFInvalidKey(t *testing.T) {
	spec, host := fixture.SampleAQFADB(started, 9)
	section := fixture.PlantAQFADBInvalidKey(fixture.AndroidADB(spec), "odd@box")
	o := runAQF(t, aqfFiles(section, acquisitionJSON(), fixture.AQFADBHostKeyFiles(host)))
	if diff := cmp.Diff([]string{dumpsysadbstate.InvalidKey.ID + " LOW"}, checks(o)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if o.Status.State != module.Partial || !strings.Contains(o.Alerts[0].Message, "odd@box") {
		t.Errorf("status %+v, message %q", o.Status, o.Alerts[0].Message)
	}
	moduletest.Reload(t, o, nil, dumpsysadbstate.New())
	// from a bug report alone the invalid key is one more trusted key
	o = run(t, section)
	if diff := cmp.Diff([]string{dumpsysadbstate.TrustedKey.ID + " INFORMATIONAL", dumpsysadbstate.TrustedKey.ID + " INFORMATIONAL"}, checks(o)); diff != "" {
		t.Errorf("bug report: alerts (-want +got):\n%s", diff)
	}
	moduletest.Reload(t, o, nil, dumpsysadbstate.New())
	// an invalid key is also planted in a section without keys
	section = fixture.PlantAQFADBInvalidKey(fixture.AndroidADB(fixture.ADBSpec{}), "odd@box")
	if st, _ := dumpsysadbstate.Parse(section); st == nil || len(st.UserKeys) != 1 || st.UserKeys[0].Fingerprint != "" {
		t.Errorf("invalid key alone: %+v", st)
	}
}

func TestAQFHostOldConnection(t *testing.T) {
	spec, host := fixture.SampleAQFADB(started, 10)
	fixture.PlantAQFADBHostOldConnection(&spec, host, started.Add(-25*time.Hour))
	files := aqfFiles(fixture.AndroidADB(spec), acquisitionJSON(), fixture.AQFADBHostKeyFiles(host))
	o := runAQF(t, files)
	if diff := cmp.Diff([]string{dumpsysadbstate.HostKeyOldConnection.ID + " INFORMATIONAL"}, checks(o)); diff != "" {
		t.Fatalf("alerts (-want +got):\n%s", diff)
	}
	if !strings.Contains(o.Alerts[0].Message, "2024-03-14 09:30:00") || !o.Alerts[0].EventTime.Time.Equal(started.Add(-25*time.Hour)) {
		t.Errorf("alert %+v", o.Alerts[0])
	}
	moduletest.Reload(t, o, nil, dumpsysadbstate.New())
	// within the day before the collection: nothing
	fixture.PlantAQFADBHostOldConnection(&spec, host, started.Add(-23*time.Hour))
	if o := runAQF(t, aqfFiles(fixture.AndroidADB(spec), acquisitionJSON(), fixture.AQFADBHostKeyFiles(host))); len(o.Alerts) != 0 {
		t.Errorf("23 h before: %v", checks(o))
	}
	// the collection's date unknown: nothing
	fixture.PlantAQFADBHostOldConnection(&spec, host, started.Add(-30*24*time.Hour))
	if o := runAQF(t, aqfFiles(fixture.AndroidADB(spec), []byte(`{"uuid":"x"}`), fixture.AQFADBHostKeyFiles(host))); len(o.Alerts) != 0 {
		t.Errorf("no started: %v", checks(o))
	}
	// a host key the phone does not trust yet is added by the plant
	spec2 := fixture.SampleADB(started, 0, 1)
	fixture.PlantAQFADBHostOldConnection(&spec2, host, started.Add(-48*time.Hour))
	if o := runAQF(t, aqfFiles(fixture.AndroidADB(spec2), acquisitionJSON(), fixture.AQFADBHostKeyFiles(host))); len(o.Alerts) != 1 ||
		o.Alerts[0].Check != dumpsysadbstate.HostKeyOldConnection.ID {
		t.Errorf("added host key: %v", checks(o))
	}
}

func TestAQFBadContextFiles(t *testing.T) {
	spec, host := fixture.SampleAQFADB(started, 11)
	section := fixture.AndroidADB(spec)
	// acquisition.json not JSON: a problem, the host key file still used
	o := runAQF(t, aqfFiles(section, []byte("not json"), fixture.AQFADBHostKeyFiles(host)))
	if o.Status.State != module.Partial || len(o.Alerts) != 0 {
		t.Errorf("bad acquisition.json: %+v %v", o.Status, checks(o))
	}
	// started not a date: a problem, the JSON host key still used
	acq := []byte(`{"started":"yesterday","adb_host_public_key":"` + fixture.AQFADBPublicKey(host) + `"}`)
	o = runAQF(t, aqfFiles(section, acq, nil))
	if o.Status.State != module.Partial || len(o.Alerts) != 0 || !strings.Contains(strings.Join(o.Status.Problems, "\n"), "yesterday") {
		t.Errorf("bad started: %+v %v", o.Status, checks(o))
	}
	// an oversized host key file is not read
	big := map[string][]byte{dumpsysadbstate.HostKeyFile: append([]byte(fixture.AQFADBPublicKey(host)+"\n"), make([]byte, 2<<20)...)}
	o = runAQF(t, aqfFiles(section, acquisitionJSON(), big))
	if o.Status.State != module.Partial || diffChecks(o, dumpsysadbstate.NoHostKey.ID+" LOW") != "" {
		t.Errorf("big host key file: %+v %v", o.Status, checks(o))
	}
	// blank lines before the key are skipped
	o = runAQF(t, aqfFiles(section, acquisitionJSON(), map[string][]byte{dumpsysadbstate.HostKeyFile: []byte("\r\n\n  " + fixture.AQFADBPublicKey(host) + "\r\n")}))
	if o.Status.State != module.OK || len(o.Alerts) != 0 {
		t.Errorf("blank lines: %+v %v", o.Status, checks(o))
	}
}

func diffChecks(o *moduletest.Outcome, want ...string) string { return cmp.Diff(want, checks(o)) }

func TestAQFContextIgnoredOutsideAndroidQF(t *testing.T) {
	spec, host := fixture.SampleAQFADB(started, 12)
	files := aqfFiles(fixture.AndroidADB(spec), acquisitionJSON(), fixture.AQFADBHostKeyFiles(host))
	o := moduletest.Run(t, memfs.New(acquire.AndroidBugreport, files), nil, dumpsysadbstate.New())
	if diff := diffChecks(o, dumpsysadbstate.TrustedKey.ID+" INFORMATIONAL"); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if _, ok := o.List(t)[0]["androidqf"]; ok {
		t.Errorf("androidqf context on a bug report: %v", o.List(t))
	}
	// the collection's files alone: skipped
	delete(files, fixture.AndroidADBSection)
	if o := runAQF(t, files); o.Status.State != module.Skipped {
		t.Errorf("no adb section: %+v", o.Status)
	}
}

func TestSameKey(t *testing.T) {
	blob := fixture.AndroidADBKeyBlob(5)
	b64 := base64.StdEncoding.EncodeToString(blob) // 524 bytes: the last character carries 2 padding bits
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	last := b64[len(b64)-2]
	alt := b64[:len(b64)-2] + string(alphabet[strings.IndexByte(alphabet, last)|1]) + "="
	if alt == b64 {
		alt = b64[:len(b64)-2] + string(alphabet[strings.IndexByte(alphabet, last)&^1]) + "="
	}
	mk := func(s string) *dumpsysadbstate.Key {
		st, _ := dumpsysadbstate.Parse([]byte("debugging_manager={\nuser_keys=" + s + "\n\n}\n"))
		return st.UserKeys[0]
	}
	a, b, c := mk(b64+" a@x"), mk(alt+" b@y"), mk(base64.StdEncoding.EncodeToString(fixture.AndroidADBKeyBlob(6))+" a@x")
	if a.Key == b.Key || !dumpsysadbstate.SameKey(a, b) {
		t.Errorf("same material, other text: %q %q", a.Key, b.Key)
	}
	if dumpsysadbstate.SameKey(a, c) || dumpsysadbstate.SameKey(a, mk("!! a@x")) || dumpsysadbstate.SameKey(nil, a) {
		t.Error("different keys compared equal")
	}
}

func FuzzParseAcquisition(f *testing.F) {
	f.Add(fixture.AQFAcquisitionJSONWithHostKey(fixture.SampleAQFAcquisition(started), "QUJD a@b"))
	f.Add([]byte(`{"started":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := dumpsysadbstate.ParseAcquisition(data)
		if err == nil && s != "" {
			if _, perr := time.Parse(time.RFC3339Nano, s); perr != nil {
				t.Errorf("started %q not RFC 3339", s)
			}
		}
		dumpsysadbstate.FirstLine(data)
	})
}

// TestDecodeMVTRecord reads the debugging_manager block the way MVT writes it into
// dumpsys_adb_state.json (user_keys as {user, fingerprint, key}; keystore as the
// section's raw XML text in older versions, a list of keys with last_connected in newer
// ones; no androidqf context) and checks it again: each computer is reported once.
func TestDecodeMVTRecord(t *testing.T) {
	blob := fixture.AndroidADBKeyBlob(5)
	b64 := base64.StdEncoding.EncodeToString(blob)
	last := time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC)
	ms := fmt.Sprint(last.UnixMilli())
	userKeys := `"user_keys": [{"user": "stranger@pc", "fingerprint": "` + fp(blob) + `", "key": "` + b64 + `"}]`
	want := []string{dumpsysadbstate.TrustedKey.ID + ` Computer "stranger@pc" (adb key ` + fp(blob) +
		`) is trusted for debugging, last connected 2024-03-01 08:30:00.000000 UTC`}
	tests := []struct {
		name   string
		record string
	}{
		{"keystore text", `{"connected_to_adb": "true", ` + userKeys + `, "keystore": "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>` +
			`<keyStore version=\"1\"><adbKey key=\"` + b64 + ` stranger@pc\" lastConnection=\"` + ms + `\" /></keyStore>",
			"adb_wifi": {"enabled": "false", "tls_port": "0"}}`},
		{"keystore list", `{"connected_to_adb": "true", ` + userKeys + `, "keystore": [{"key": "` + b64 + ` stranger@pc", "last_connected": "` + ms + `"}]}`},
		{"user keys only", `{"connected_to_adb": "false", "user_keys": [{"user": "stranger@pc", "fingerprint": "` + fp(blob) + `", "key": "` + b64 + `"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := dumpsysadbstate.New()
			rec, err := m.DecodeRecord([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rep := check.NewReporter(m.Info().Name, func(a alert.Alert) { got = append(got, a.Check+" "+a.Message) })
			ck := m.NewChecker(check.NewEnv(nil))
			ck.Check(rec, rep)
			ck.Finish(rep)
			w := want
			if tc.name == "user keys only" {
				w = []string{strings.Replace(want[0], "last connected 2024-03-01 08:30:00.000000 UTC", "last connection unknown", 1)}
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
