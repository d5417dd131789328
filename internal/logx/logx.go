// Package logx holds the two log formats of spytrace: the console (stderr, "spytrace:"
// prefix, one line per message, evidence text neutralised) and command.log in the
// results folder (every line at debug level, "<time> - <logger> - <LEVEL> - <message>",
// as MVT writes it).
package logx

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// LoggerKey is the attribute that names the part of spytrace that logs ("engine",
// "sms", …); handlers show it as the logger name rather than as an attribute.
const LoggerKey = "logger"

// handler is a minimal slog.Handler that formats a record with format and writes it to
// out under a mutex.
type handler struct {
	out    *lockedWriter
	level  slog.Leveler
	format func(b *strings.Builder, r slog.Record, logger string, attrs []slog.Attr)
	logger string
	attrs  []slog.Attr
	group  string
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		if h.group != "" {
			a.Key = h.group + "." + a.Key
		}
		attrs = append(attrs, a)
		return true
	})
	logger := h.logger
	kept := attrs[:0]
	for _, a := range attrs {
		if a.Key == LoggerKey {
			logger = a.Value.String()
			continue
		}
		kept = append(kept, a)
	}
	var b strings.Builder
	h.format(&b, r, logger, kept)
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := io.WriteString(h.out.w, b.String())
	return err
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	for i := len(h.attrs); i < len(c.attrs); i++ {
		if h.group != "" && c.attrs[i].Key != LoggerKey {
			c.attrs[i].Key = h.group + "." + c.attrs[i].Key
		}
	}
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}

func appendAttrs(b *strings.Builder, attrs []slog.Attr) {
	for _, a := range attrs {
		v := a.Value.Resolve()
		s := v.String()
		if s == "" {
			continue
		}
		if v.Kind() == slog.KindTime {
			s = timefmt.Format(v.Time())
		}
		s = safetext.Terminal(s)
		if strings.ContainsAny(s, " \"=") || s == "" {
			s = fmt.Sprintf("%q", s)
		}
		fmt.Fprintf(b, " %s=%s", safetext.Terminal(a.Key), s)
	}
}

// NewFile returns a handler for command.log: every level from min up, with the time of
// each line.
func NewFile(w io.Writer, min slog.Leveler) slog.Handler {
	return &handler{out: &lockedWriter{w: w}, level: min, logger: "spytrace", format: formatFile}
}

func formatFile(b *strings.Builder, r slog.Record, logger string, attrs []slog.Attr) {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	fmt.Fprintf(b, "%s - %s - %s - %s", timefmt.Format(t), logger, levelName(r.Level), safetext.Terminal(r.Message))
	appendAttrs(b, attrs)
	b.WriteByte('\n')
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

// NewConsole returns a handler for stderr: "spytrace: message", with "warning:" or
// "error:" after the prefix for those levels, and the logger name for module lines.
func NewConsole(w io.Writer, min slog.Leveler) slog.Handler {
	return &handler{out: &lockedWriter{w: w}, level: min, format: formatConsole}
}

func formatConsole(b *strings.Builder, r slog.Record, logger string, attrs []slog.Attr) {
	b.WriteString("spytrace: ")
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	if logger != "" && logger != "spytrace" {
		b.WriteString(safetext.Terminal(logger))
		b.WriteString(": ")
	}
	b.WriteString(safetext.Terminal(r.Message))
	appendAttrs(b, attrs)
	b.WriteByte('\n')
}

// NewJSON returns a handler for stderr in scripts (--json-log): one JSON object per
// line with "time" (RFC 3339, UTC), "level", "logger", "msg" and the attributes. Text
// from evidence is neutralised as on the console: JSON escapes C0 controls but not the
// C1 and bidirectional characters a terminal or a log viewer may still obey.
func NewJSON(w io.Writer, min slog.Leveler) slog.Handler {
	return &handler{out: &lockedWriter{w: w}, level: min, format: formatJSON}
}

func formatJSON(b *strings.Builder, r slog.Record, logger string, attrs []slog.Attr) {
	obj := map[string]any{
		"level": r.Level.String(),
		"msg":   safetext.Terminal(r.Message),
	}
	if !r.Time.IsZero() {
		obj["time"] = r.Time.UTC().Format(time.RFC3339Nano)
	}
	if logger != "" {
		obj["logger"] = safetext.Terminal(logger)
	}
	for _, a := range attrs {
		key := safetext.Terminal(a.Key)
		if _, taken := obj[key]; taken {
			key = "attr." + key
		}
		switch v := a.Value.Resolve(); v.Kind() {
		case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool:
			obj[key] = v.Any()
		case slog.KindTime:
			obj[key] = v.Time().UTC().Format(time.RFC3339Nano)
		default:
			obj[key] = safetext.Terminal(v.String())
		}
	}
	data, err := json.Marshal(obj)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"level": r.Level.String(), "msg": "unprintable log record"})
	}
	b.Write(data)
	b.WriteByte('\n')
}
