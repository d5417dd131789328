package analytics_test

import (
	"testing"

	"howett.net/plist"

	"github.com/spytrace/spytrace/internal/module/ios/analytics"
)

// FuzzDecodeEvent feeds arbitrary data columns to the event decoder and walks what it
// decodes: no panic, bounded output.
func FuzzDecodeEvent(f *testing.F) {
	for _, v := range []any{
		map[string]any{"eventType": "x", "build": "20F66", "n": []any{"a", map[string]any{"b": "c"}}},
		[]any{"x"},
		"text",
	} {
		if b, err := plist.Marshal(v, plist.BinaryFormat); err == nil {
			f.Add(b)
		}
		if b, err := plist.Marshal(v, plist.XMLFormat); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("{a = (b, {c = d;});}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := analytics.DecodeEvent(data)
		if err != nil {
			return
		}
		r := &analytics.Record{Data: m, Table: "soft_failures", Artifact: "x.db"}
		if n := len(r.Strings()); n > analytics.MaxStrings {
			t.Fatalf("%d strings", n)
		}
		_ = r.Timeline()
		_ = r.URLs()
		if _, err := r.MarshalJSON(); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	})
}
