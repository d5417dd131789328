package logx_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/spytrace/spytrace/internal/logx"
)

func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logx.NewJSON(&buf, slog.LevelInfo)).With(logx.LoggerKey, "sms")
	log.Debug("hidden")
	log.Warn("evil \x1b[31mred\u009b2J text", "path", "/tmp/\x1b]0;title\x07x", "records", 12, "ok", true)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("lines: %q", lines)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &obj); err != nil {
		t.Fatal(err)
	}
	if obj["level"] != "WARN" || obj["logger"] != "sms" || obj["records"] != float64(12) || obj["ok"] != true || obj["time"] == nil {
		t.Errorf("record %v", obj)
	}
	for _, k := range []string{"msg", "path"} {
		s := obj[k].(string)
		if strings.ContainsAny(s, "\x1b\u009b\x07") {
			t.Errorf("%s keeps control characters: %q", k, s)
		}
	}
}
