package list_test

import (
	"encoding/json"
	"testing"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/module/moduletest"
)

// FuzzReloadedRecords feeds arbitrary bytes as records to every module's DecodeRecord and
// checks: a results folder read by check-iocs may come from anywhere, and no record may
// crash the decoding or the checks. The byte "which" picks the module.
func FuzzReloadedRecords(f *testing.F) {
	var mods []module.Module
	for _, m := range list.All() {
		if _, ok := m.(module.Reloadable); ok {
			mods = append(mods, m)
		}
	}
	seeds := []string{
		`{}`, `[]`, `null`, `0`, `"x"`,
		`{"isodate": "2025-01-30 07:06:40.000000", "url": "https://evil.example/a", "text": "https://evil.example", "links": ["https://evil.example"]}`,
		`{"proc_name": "bh", "process": "bh", "bundle_id": "com.evil", "package_name": "com.evil", "name": "com.evil", "file_path": "/private/var/tmp/x"}`,
		`{"record_type": "chat_session", "date": 0, "timestamp": "0", "pid": 12, "extra": {"a": [1, 2.5, 18446744073709551615]}}`,
		`{"body": "hi https://evil.example", "address": "+1555", "date": 1738220800000, "message_kind": "mms", "parts": [{"text": 1}]}`,
		`{"keystore": "<keyStore><adbKey key=\"QUFB user@host\" lastConnection=\"1\"/></keyStore>", "user_keys": ["QUFB user@host"]}`,
	}
	for i, s := range seeds {
		for k := range mods {
			if k%7 == i%7 {
				f.Add(uint8(k), []byte(s))
			}
		}
	}
	ix := moduletest.Index("domains", "evil.example", "processes", "bh", "app_ids", "com.evil", "file_paths", "/private/var/tmp/x")
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		m := mods[int(which)%len(mods)]
		rec, err := m.(module.Reloadable).DecodeRecord(data)
		if rec == nil {
			if err == nil {
				t.Fatalf("%s: no record and no error", m.Info().Name)
			}
			return
		}
		c, ok := m.(module.Checkable)
		if !ok {
			return
		}
		checker := c.NewChecker(check.NewEnv(ix))
		r := check.NewReporter(m.Info().Name, func(a alert.Alert) {
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("%s: alert cannot be written: %v", m.Info().Name, err)
			}
		})
		checker.Check(rec, r)
		checker.Check(rec, r)
		checker.Finish(r)
	})
}
