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
