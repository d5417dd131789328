package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/safely"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// writeResults writes every run-level file of the results folder. It carries on after
// an error so that as much as possible is written, and returns the first error.
func (r *run) writeResults(ctx context.Context, res *Result) error {
	var errs []error
	if err := r.cfg.Results.WriteAlerts(res.Alerts); err != nil {
		errs = append(errs, err)
	}
	n := 0
	err := r.cfg.Results.WriteWith("timeline.csv", func(w io.Writer) error {
		var err error
		n, err = r.spool.WriteCSV(w)
		return err
	})
	if err != nil {
		errs = append(errs, err)
	}
	res.Events = n
	names := make([]string, len(res.Statuses))
	for i, st := range res.Statuses {
		names[i] = st.Module
	}
	res.URLs = r.urls.Len()
	if err := r.urls.Write(r.cfg.Results, names); err != nil {
		errs = append(errs, err)
	}
	info := r.cfg.Info
	info.SchemaVersion = results.SchemaVersion
	if info.Date == "" {
		info.Date = timefmt.Format(time.Now())
	}
	info.Hashes = res.Hashes
	info.Alerts = map[string]int{}
	for _, l := range alert.Levels {
		info.Alerts[l.String()] = res.Counts[l]
	}
	for _, st := range res.Statuses {
		info.Modules = append(info.Modules, results.ModuleInfo{
			Name: st.Module, Version: st.Version, Status: string(st.State), Reason: st.Reason,
			Records: st.Records, Alerts: st.Alerts, Problems: st.Problems, Files: st.Files,
		})
	}
	for _, p := range res.Problems {
		info.Problems = append(info.Problems, map[string]any{"kind": p.Kind, "name": p.Name, "message": p.Message})
	}
	if ctx.Err() != nil {
		info.Interrupted = true
	}
	if err := r.cfg.Results.WriteJSON("info.json", info); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// hashReads returns the SHA-256 of every evidence file read, hashing in parallel those
// whose read did not compute one (databases opened in place, streamed files).
func (r *run) hashReads() []results.Hash {
	r.reads.mu.Lock()
	names := make([]string, 0, len(r.reads.files))
	for n := range r.reads.files {
		names = append(names, n)
	}
	r.reads.mu.Unlock()
	sort.Strings(names)
	if r.cfg.Live != nil {
		r.cfg.Live.hashing.Store(true)
	}
	out := make([]results.Hash, len(names))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < r.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := safely.Do(func() { out[i] = r.hashOne(names[i]) }); err != nil {
					out[i] = results.Hash{Name: names[i], FilePath: names[i], Error: "not hashed: " + err.Error()}
				}
			}
		}()
	}
	for i := range names {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

func (r *run) hashOne(name string) results.Hash {
	h := results.Hash{Name: name, FilePath: name}
	if lp, ok := r.cfg.Acquisition.(acquire.LocalPather); ok {
		if p, err := lp.LocalPath(name); err == nil {
			h.FilePath = p
		}
	}
	r.reads.mu.Lock()
	f := r.reads.files[name]
	h.Size, h.SHA256 = f.size, f.sha256
	r.reads.mu.Unlock()
	if h.SHA256 != "" {
		r.cfg.Live.hashedBytes(h.Size) // hashed as it was read
		return h
	}
	file, err := r.changes.open(r.cfg.Acquisition, name)
	if err != nil {
		h.SHA256 = ""
		h.Error = fmt.Sprintf("not hashed: %v", err)
		return h
	}
	defer file.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, &countingReader{r: file, live: r.cfg.Live})
	if err != nil {
		h.Error = fmt.Sprintf("not hashed: %v", err)
		return h
	}
	h.Size, h.SHA256 = n, hex.EncodeToString(sum.Sum(nil))
	return h
}

// countingReader adds the bytes read to Live's hashed bytes as they are hashed.
type countingReader struct {
	r    io.Reader
	live *Live
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.live.hashedBytes(int64(n))
	return n, err
}
