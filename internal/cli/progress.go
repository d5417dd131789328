package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/engine"
)

// statusLine is the line of progress kept at the bottom of a terminal. Everything else
// written to the terminal goes through Write, which clears the line first and draws it
// again after, so that log lines and the status never mix.
type statusLine struct {
	mu   sync.Mutex
	w    io.Writer
	line string
}

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line != "" {
		io.WriteString(s.w, clearLine)
	}
	n, err := s.w.Write(p)
	if s.line != "" {
		io.WriteString(s.w, s.line)
	}
	return n, err
}

func (s *statusLine) set(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	io.WriteString(s.w, clearLine+line)
	s.line = line
}

func (s *statusLine) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line != "" {
		io.WriteString(s.w, clearLine)
		s.line = ""
	}
}

// progressEnabled says whether a check shows live progress: only on a terminal (a
// redirected stderr gets the log lines and the summary, never status lines), and not
// with --quiet or --json-log.
func (e *env) progressEnabled(cfg checkConfig) bool {
	return e.stderrTTY && !cfg.Quiet && !cfg.JSONLog
}

// startProgress shows the progress of live on stderr until stop is called (once or
// more), and returns the writer the console log must use meanwhile. Without progress it
// returns stderr.
func (e *env) startProgress(cfg checkConfig, live *engine.Live) (console io.Writer, stop func()) {
	if !e.progressEnabled(cfg) {
		return e.stderr, func() {}
	}
	s := &statusLine{w: e.stderr}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		s.set(progressText(live.Snapshot(), 0))
		for {
			select {
			case <-done:
				s.clear()
				return
			case <-tick.C:
				s.set(progressText(live.Snapshot(), time.Since(start)))
			}
		}
	}()
	var once sync.Once
	return s, func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

// progressText is the status line for a snapshot.
func progressText(s engine.Snapshot, elapsed time.Duration) string {
	el := elapsed.Round(time.Second)
	if s.Hashing {
		return fmt.Sprintf("spytrace: hashing the %d evidence files read: %s (%s)", s.FilesRead, byteCount(s.BytesHashed), el)
	}
	if s.ModulesTotal == 0 {
		return fmt.Sprintf("spytrace: opening the evidence and loading the indicators (%s)", el)
	}
	running := strings.Join(s.Running, ", ")
	if len(running) > 40 {
		running = running[:37] + "..."
	}
	if running != "" {
		running = " (" + running + ")"
	}
	read := "read"
	if s.Decrypting {
		read = "decrypted"
	}
	return fmt.Sprintf("spytrace: %d/%d modules done%s, %d evidence files %s (%s)", s.ModulesDone, s.ModulesTotal, running, s.FilesRead, read, el)
}

// byteCount writes n bytes for people: "734 B", "12.5 MB", "3.1 GB".
func byteCount(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
