// Package engine runs modules over an acquisition and writes the results folder.
//
// For each selected module, in dependency order and on as many workers as configured:
// resolve the paths it declares, run it, and for every record it emits, in the same
// goroutine: write the record to <module>.json, hand it to the module's checks, add its
// timeline events to the timeline spool and its URLs to the URL spool. A module that
// panics is recovered into a "failed" status and the run goes on. When every module is
// done the engine writes the alerts files, timeline.csv, urls.json and info.json (with
// the SHA-256 of every evidence file read), even when modules failed or the run was
// interrupted.
//
// Output is deterministic: modules write their own files, alerts and statuses are
// ordered by module order (not completion order), the timeline is sorted, and each
// module's log lines are written to command.log as one block, in module order.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/logx"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/report/results"
	"github.com/spytrace/spytrace/internal/report/timeline"
	"github.com/spytrace/spytrace/internal/safely"
	"github.com/spytrace/spytrace/internal/timefmt"
	"github.com/spytrace/spytrace/internal/urlx"
)

// Limits bound what one run may consume. Zero fields take the defaults.
type Limits struct {
	// MaxFileBytes bounds a file read whole into memory (plists, small files). 0 = 256 MiB.
	MaxFileBytes int64
	// MaxRecords bounds the records of one module; reaching it makes the module
	// "partial". 0 = 50,000,000.
	MaxRecords int
	// MaxCopyBytes bounds the bytes copied to read one database with its WAL. 0 = 8 GiB.
	MaxCopyBytes int64
	// MaxAlerts bounds the alerts kept for one module; the others are counted in one
	// limit/alerts alert. 0 = 100,000.
	MaxAlerts int
	// ModuleTime bounds the time one module runs: its context ends then, and it is
	// "partial" with a limit/module-time alert. 0 = 1 hour.
	ModuleTime time.Duration
}

// DefaultMaxAlerts is the default of Limits.MaxAlerts.
const DefaultMaxAlerts = 100_000

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 256 << 20
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = 50_000_000
	}
	if l.MaxCopyBytes <= 0 {
		l.MaxCopyBytes = 8 << 30
	}
	if l.MaxAlerts <= 0 {
		l.MaxAlerts = DefaultMaxAlerts
	}
	if l.ModuleTime <= 0 {
		l.ModuleTime = time.Hour
	}
	return l
}

// Config is one run.
type Config struct {
	Acquisition acquire.Acquisition
	// Modules to run, in report order. Modules named in another's Requires must be
	// included (see list.Resolve).
	Modules []module.Module
	// Index holds the indicators; nil means none.
	Index *ioc.Index
	// Results is the folder to write into.
	Results *results.Dir
	// Info is the template of info.json; the engine fills in modules, alerts, problems
	// and hashes.
	Info results.Info
	// LogFile receives command.log lines (nil: none).
	LogFile io.Writer
	// Console receives warnings and errors of modules as they happen (nil: none).
	Console slog.Handler
	// Workers is the number of modules run at once; 0 means GOMAXPROCS.
	Workers int
	// TempDir is where the private temporary folder of the run is made ("" = the
	// system's).
	TempDir string
	Limits  Limits
	// Progress, when set, is called after each module ends.
	Progress func(done, total int, st module.Status)
	// Live, when set, is kept up to date while the run goes on, for a progress display.
	Live *Live
}

// Result is what a run found.
type Result struct {
	Statuses []module.Status
	Alerts   []alert.Alert
	Counts   alert.Counts
	Hashes   []results.Hash
	Events   int // timeline rows written
	URLs     int
	Problems []acquire.Problem
}

// ErrInterrupted is returned when the context was cancelled; the results folder still
// holds what was done.
var ErrInterrupted = errors.New("run interrupted")

type run struct {
	cfg     Config
	limits  Limits
	env     *check.Env
	tmp     string
	spool   *timeline.Spool
	urls    *results.URLSpool
	dbs     *dbCache
	reads   *readSet
	changes *changeSet
	retain  map[string]bool
	mu      sync.Mutex
	kept    map[string][]any
	fileLog *slog.Logger
}

// Run runs the configured modules and writes the results folder.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	tmp, err := os.MkdirTemp(cfg.TempDir, "spytrace-run-")
	if err != nil {
		return nil, fmt.Errorf("create private temporary folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	r := &run{
		cfg:     cfg,
		limits:  cfg.Limits.withDefaults(),
		env:     check.NewEnv(cfg.Index),
		tmp:     tmp,
		spool:   timeline.NewSpool(tmp, 0),
		urls:    results.NewURLSpool(tmp),
		reads:   newReadSet(cfg.Live),
		changes: newChangeSet(),
		retain:  map[string]bool{},
		kept:    map[string][]any{},
	}
	defer r.urls.Close()
	r.dbs = newDBCache(stableFS{cfg.Acquisition, r.changes}, tmp, r.limits.MaxCopyBytes)
	defer r.dbs.closeAll()
	logFile := cfg.LogFile
	if logFile == nil {
		logFile = io.Discard
	}
	r.fileLog = slog.New(logx.NewFile(logFile, slog.LevelDebug)).With(logx.LoggerKey, "engine")

	if err := checkDependencies(cfg.Modules); err != nil {
		return nil, err
	}
	for _, m := range cfg.Modules {
		for _, dep := range m.Info().Requires {
			r.retain[dep] = true
		}
	}
	if cfg.Live != nil {
		cfg.Live.total.Store(int64(len(cfg.Modules)))
	}
	outcomes := r.schedule(ctx)

	res := &Result{Counts: alert.Counts{}}
	for _, o := range outcomes {
		res.Statuses = append(res.Statuses, o.status)
		res.Alerts = append(res.Alerts, o.alerts...)
	}
	res.Alerts = append(res.Alerts, acquisitionLimitAlerts(cfg.Acquisition)...)
	// Hashing reads the evidence a last time: a file that changed while the modules or
	// the hashing read it is a problem and a finding of the run.
	res.Hashes = r.hashReads()
	if p, ok := cfg.Acquisition.(acquire.Problems); ok {
		res.Problems = p.Problems()
	}
	changed := r.changes.problems()
	res.Problems = append(res.Problems, changed...)
	res.Alerts = append(res.Alerts, changedAlerts(changed)...)
	for _, a := range res.Alerts {
		res.Counts.Add(a.Level)
	}
	werr := r.writeResults(ctx, res)
	if ctx.Err() != nil {
		return res, ErrInterrupted
	}
	return res, werr
}

type outcome struct {
	status module.Status
	alerts []alert.Alert
	log    []byte
}

// job is one module of the run, with the files its paths matched.
type job struct {
	m       module.Module
	files   []string
	missing []string
	err     error
	size    int64 // bytes of its input files: the larger, the earlier it starts
}

// schedule runs the modules on r.cfg.Workers workers and returns their outcomes in
// cfg.Modules order. A module starts once the modules it requires are done; among the
// modules ready to start, the one with the most input bytes goes first (then module
// order), so that the longest ones do not end up running alone at the end.
func (r *run) schedule(ctx context.Context) []outcome {
	n := len(r.cfg.Modules)
	index := map[string]int{}
	jobs := make([]*job, n)
	for i, m := range r.cfg.Modules {
		index[m.Info().Name] = i
		jb := &job{m: m}
		if info := m.Info(); len(info.Kinds) == 0 || slices.Contains(info.Kinds, r.cfg.Acquisition.Kind()) {
			jb.files, jb.missing, jb.err = r.resolve(info.Paths, info.Names)
		}
		for _, f := range jb.files {
			if fi, err := fs.Stat(r.cfg.Acquisition, f); err == nil {
				jb.size += fi.Size()
			}
		}
		jobs[i] = jb
	}
	waiting := make([]int, n)
	dependents := make([][]int, n)
	for i, m := range r.cfg.Modules {
		for _, dep := range m.Info().Requires {
			if j, ok := index[dep]; ok {
				waiting[i]++
				dependents[j] = append(dependents[j], i)
			}
		}
	}
	var ready []int
	for i := range n {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	outs := make([]outcome, n)
	done := make([]bool, n)
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	started, completed, flushed := 0, 0, 0
	next := func() int {
		best := 0
		for k := 1; k < len(ready); k++ {
			a, b := jobs[ready[k]], jobs[ready[best]]
			if a.size > b.size || a.size == b.size && ready[k] < ready[best] {
				best = k
			}
		}
		i := ready[best]
		ready = slices.Delete(ready, best, best+1)
		return i
	}
	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			for {
				for len(ready) == 0 && started < n {
					cond.Wait()
				}
				if len(ready) == 0 {
					return
				}
				i := next()
				started++
				mu.Unlock()
				r.cfg.Live.start(jobs[i].m.Info().Name)
				o := r.runModule(ctx, jobs[i])
				r.cfg.Live.end(jobs[i].m.Info().Name)
				mu.Lock()
				outs[i], done[i] = o, true
				completed++
				// Write finished modules' logs to command.log in module order.
				for flushed < n && done[flushed] {
					if r.cfg.LogFile != nil {
						r.cfg.LogFile.Write(outs[flushed].log)
					}
					outs[flushed].log = nil
					flushed++
				}
				if r.cfg.Progress != nil {
					r.cfg.Progress(completed, n, o.status)
				}
				for _, d := range dependents[i] {
					if waiting[d]--; waiting[d] == 0 {
						ready = append(ready, d)
					}
				}
				cond.Broadcast()
			}
		}()
	}
	wg.Wait()
	return outs
}

// checkDependencies checks that every module required is selected, that no module is
// selected twice, and that no modules require each other in a cycle.
func checkDependencies(mods []module.Module) error {
	byName := map[string]module.Module{}
	for _, m := range mods {
		name := m.Info().Name
		if _, dup := byName[name]; dup {
			return fmt.Errorf("module %q selected twice", name)
		}
		byName[name] = m
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(m module.Module, chain []string) error
	visit = func(m module.Module, chain []string) error {
		name := m.Info().Name
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("modules require each other: %s", strings.Join(append(chain, name), " → "))
		}
		state[name] = 1
		for _, dep := range m.Info().Requires {
			d, ok := byName[dep]
			if !ok {
				return fmt.Errorf("module %q requires module %q, which is not selected", name, dep)
			}
			if err := visit(d, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		return nil
	}
	for _, m := range mods {
		if err := visit(m, nil); err != nil {
			return err
		}
	}
	return nil
}

// moduleLogLimit bounds the log kept in memory for one module before it is written.
const moduleLogLimit = 4 << 20

type cappedBuffer struct {
	mu sync.Mutex // a module abandoned at its time limit may still be logging
	bytes.Buffer
	dropped bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Len()+len(p) > moduleLogLimit {
		if !c.dropped {
			c.Buffer.WriteString("… further log lines of this module omitted\n")
			c.dropped = true
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

func (r *run) runModule(ctx context.Context, jb *job) (o outcome) {
	m := jb.m
	info := m.Info()
	start := time.Now()
	var logBuf cappedBuffer
	handlers := []slog.Handler{logx.NewFile(&logBuf, slog.LevelDebug)}
	if r.cfg.Console != nil {
		handlers = append(handlers, &minLevel{Handler: r.cfg.Console, min: slog.LevelWarn})
	}
	log := slog.New(slog.NewMultiHandler(handlers...)).With(logx.LoggerKey, info.Name)
	st := module.Status{Module: info.Name, Version: info.Version}
	defer func() {
		st.Duration = time.Since(start)
		o.status = st
		switch st.State {
		case module.Skipped:
			log.Debug("skipped", "reason", st.Reason)
		case module.Failed:
			log.Error("failed", "reason", st.Reason)
		default:
			log.Info(fmt.Sprintf("%s: %d records, %d alerts", st.State, st.Records, st.Alerts))
		}
		logBuf.mu.Lock()
		o.log = bytes.Clone(logBuf.Bytes())
		logBuf.mu.Unlock()
	}()
	log.Debug("start", "version", info.Version)

	if len(info.Kinds) > 0 && !slices.Contains(info.Kinds, r.cfg.Acquisition.Kind()) {
		st.State, st.Reason = module.Skipped, fmt.Sprintf("does not apply to %s acquisitions", r.cfg.Acquisition.Kind())
		return o
	}
	files, missing, err := jb.files, jb.missing, jb.err
	if err != nil {
		st.State, st.Reason = module.Failed, err.Error()
		return o
	}
	if len(info.Paths)+len(info.Names) > 0 && len(files) == 0 {
		wanted := slices.Clone(info.Paths)
		for _, n := range info.Names {
			wanted = append(wanted, "any file named "+n)
		}
		st.State, st.Reason = module.Skipped, "not in this acquisition ("+strings.Join(wanted, ", ")+")"
		if acquisitionCut(r.cfg.Acquisition) {
			// Absent, or beyond the point where a limit stopped the reading.
			st.Reason += "; the acquisition was not read to its end (a limit was reached, see its problems), so it may lie beyond"
		}
		if len(missing) > 0 {
			st.Reason = "listed in the acquisition but missing from it (partial acquisition): " + strings.Join(missing, ", ")
		}
		return o
	}
	for _, m := range missing {
		msg := fmt.Sprintf("%s is listed but missing from the acquisition (partial acquisition)", m)
		log.Warn(msg)
		st.Problems = append(st.Problems, msg)
	}

	// Alerts are logged when the module ends: checks run on another goroutine than the
	// module, and command.log must not depend on how the two interleave.
	collected := check.NewCollector(r.limits.MaxAlerts)
	reporter := check.NewReporter(info.Name, collected.Add)
	var checker check.Checker
	if c, ok := m.(module.Checkable); ok {
		checker = c.NewChecker(r.env)
	}
	recs := r.cfg.Results.Records(info.Name, info.Single)
	plugin := info.Class
	if plugin == "" {
		plugin = info.Name
	}
	var kept []any
	var checkPanic error
	errLimit := fmt.Errorf("record limit of %d reached", r.limits.MaxRecords)
	// The module's own context ends at its time limit; ctx stays the run's, whose end
	// is an interruption.
	errTime := fmt.Errorf("time limit of %v reached", r.limits.ModuleTime)
	mctx, cancel := context.WithTimeoutCause(ctx, r.limits.ModuleTime, errTime)
	defer cancel()
	emit := func(rec any) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if recs.Count() >= r.limits.MaxRecords {
			return errLimit
		}
		if err := recs.Write(rec); err != nil {
			return err
		}
		if checker != nil && checkPanic == nil {
			checkPanic = safely.Do(func() { checker.Check(rec, reporter) })
		}
		if tl, ok := rec.(module.Timeliner); ok {
			for _, ev := range tl.Timeline() {
				r.spool.Add(timeline.Event{Time: ev.Time, Plugin: plugin, Event: ev.Event, Description: ev.Data})
			}
		}
		if ul, ok := rec.(module.URLLister); ok {
			for _, u := range ul.URLs() {
				if err := r.urls.Add(info.Name, results.URL{URL: u.URL, Timestamp: timefmt.Of(u.Time), Source: info.Name, Shortened: urlx.IsShortener(u.URL)}); err != nil {
					return err
				}
			}
		}
		if r.retain[info.Name] {
			kept = append(kept, rec)
		}
		return nil
	}
	// The module parses on its goroutine while records are written and checked on
	// another, so that one large artifact keeps both cores busy.
	sink := newSink(mctx, emit)
	out := module.NewOutput(sink.send)
	svc := &services{run: r, module: info.Name}
	in := module.NewInput(r.cfg.Acquisition, files, log, svc)
	runErr, abandoned := r.runUntilLimit(mctx, m, in, out)
	if abandoned {
		sink.abandon()
	} else if serr := sink.close(); serr != nil && (runErr == nil || errors.Is(runErr, serr)) {
		runErr = serr
	}
	if checker != nil && checkPanic == nil {
		checkPanic = safely.Do(func() { checker.Finish(reporter) })
	}
	if cerr := recs.Close(); cerr != nil && runErr == nil {
		runErr = cerr
	}
	st.Records = recs.Count()
	alerts := collected.Alerts(info.Name)
	st.Problems = append(st.Problems, svc.dbProblems()...)
	st.Problems = append(st.Problems, out.Problems()...)
	st.Files = svc.names()
	switch {
	case errors.Is(runErr, module.ErrNotFound):
		st.State, st.Reason = module.Skipped, runErr.Error()
	case ctx.Err() == nil && errors.Is(context.Cause(mctx), errTime):
		// Whatever the module returned (an error of its cut reading, or nothing if it
		// did not notice), it did not read to its end.
		st.State, st.Reason = module.Partial, errTime.Error()+": the rest of its artifact was not read"
		if abandoned {
			st.Problems = append(st.Problems, runErr.Error())
		}
		TimeLimit.Raise(limitReporter(info.Name, &alerts), fmt.Sprintf("%s stopped after %v, its time limit: the rest of its artifact was not read", info.Name, r.limits.ModuleTime),
			time.Time{}, map[string]any{"module": info.Name, "records": st.Records, "limit": r.limits.ModuleTime.String()})
	case runErr != nil && errors.Is(runErr, errLimit):
		st.State, st.Reason = module.Partial, runErr.Error()
		RecordLimit.Raise(limitReporter(info.Name, &alerts), fmt.Sprintf("%s stopped after %d records, its limit: the rest of its artifact was not read", info.Name, r.limits.MaxRecords),
			time.Time{}, map[string]any{"module": info.Name, "records": st.Records, "limit": r.limits.MaxRecords})
	case runErr != nil && ctx.Err() != nil:
		st.State, st.Reason = module.Failed, "interrupted"
	case runErr != nil:
		st.State, st.Reason = module.Failed, runErr.Error()
		var p *safely.PanicError
		if errors.As(runErr, &p) {
			log.Debug("panic stack", "stack", string(p.Stack))
		}
	case checkPanic != nil:
		st.State, st.Reason = module.Failed, "checks: "+checkPanic.Error()
	case len(st.Problems) > 0:
		st.State, st.Reason = module.Partial, fmt.Sprintf("%d problem(s) while reading", len(st.Problems))
	default:
		st.State = module.OK
	}
	if checkPanic != nil && st.State != module.Failed {
		st.Problems = append(st.Problems, "checks: "+checkPanic.Error())
		st.State = module.Partial
	}
	svc.mu.Lock()
	for _, name := range svc.tooLarge {
		FileLimit.Raise(limitReporter(info.Name, &alerts), fmt.Sprintf("%q is larger than the limit of %d bytes for a file read whole: it was not read", name, r.limits.MaxFileBytes),
			time.Time{}, map[string]any{"file": name, "limit": r.limits.MaxFileBytes})
	}
	svc.mu.Unlock()
	for _, p := range st.Problems {
		log.Warn(p)
	}
	for _, a := range alerts {
		log.Debug("alert", "level", a.Level.String(), "message", a.Message)
	}
	st.Alerts = len(alerts)
	o.alerts = alerts
	if r.retain[info.Name] {
		r.mu.Lock()
		r.kept[info.Name] = kept
		r.mu.Unlock()
	}
	return o
}

// sink hands records from a module's goroutine to a consumer goroutine through a
// bounded channel (so memory stays bounded: a fast parser waits for the writer). The
// first error of the consumer is returned to the module at its next record.
type sink struct {
	ctx  context.Context
	ch   chan any
	done chan struct{}
	quit chan struct{} // closed to abandon the module: its records are no longer taken
	mu   sync.Mutex
	err  error
}

func newSink(ctx context.Context, emit func(any) error) *sink {
	s := &sink{ctx: ctx, ch: make(chan any, 512), done: make(chan struct{}), quit: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			var rec any
			select {
			case r, ok := <-s.ch:
				if !ok {
					return
				}
				rec = r
			case <-s.quit:
				return
			}
			if s.failed() != nil {
				continue // drain: the module will see the error at its next record
			}
			var err error
			if perr := safely.Do(func() { err = emit(rec) }); perr != nil {
				err = perr
			}
			if err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func (s *sink) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *sink) send(rec any) error {
	if err := s.failed(); err != nil {
		return err
	}
	select {
	case s.ch <- rec:
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// close waits for every record sent to be consumed and returns the consumer's error.
func (s *sink) close() error {
	close(s.ch)
	<-s.done
	return s.failed()
}

// abandon stops the consumer at once and waits for it, leaving the channel open: the
// abandoned module, whose context has ended, may still send, and must not panic on a
// closed channel. What it sends is never read.
func (s *sink) abandon() {
	close(s.quit)
	<-s.done
}

// abandonGrace is how long a module whose context has ended (its time limit, or the
// run interrupted) is waited for before the run goes on without it.
var abandonGrace = 30 * time.Second

// runUntilLimit runs m.Run on a goroutine of its own and returns its error (a panic
// is an error). A module that does not return within abandonGrace of the end of its
// context is abandoned: a parser caught in a loop by crafted input cannot hold the run,
// which writes its results without it. The goroutine is left to end with the process.
func (r *run) runUntilLimit(ctx context.Context, m module.Module, in *module.Input, out *module.Output) (err error, abandoned bool) {
	finished := make(chan error, 1)
	go func() {
		var err error
		if perr := safely.Do(func() { err = m.Run(ctx, in, out) }); perr != nil {
			err = perr
		}
		finished <- err
	}()
	select {
	case err := <-finished:
		return err, false
	case <-ctx.Done():
	}
	select {
	case err := <-finished:
		return err, false
	case <-time.After(abandonGrace):
		return fmt.Errorf("did not stop within %v of the end of its context (%w); abandoned", abandonGrace, context.Cause(ctx)), true
	}
}

// resolve expands a module's path patterns and base names into sorted, unique file
// names, and names the literal paths that the acquisition lists but does not hold.
func (r *run) resolve(patterns, names []string) (files, missing []string, err error) {
	seen := map[string]bool{}
	var out []string
	if len(names) > 0 {
		found, err := acquire.FindNamed(r.cfg.Acquisition, names...)
		if err != nil {
			return nil, nil, fmt.Errorf("look for files named %s: %w", strings.Join(names, ", "), err)
		}
		for _, n := range names {
			for _, f := range found[n] {
				if !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
		}
	}
	for _, p := range patterns {
		var matches []string
		if !hasMeta(p) {
			fi, err := fs.Stat(r.cfg.Acquisition, p)
			if err == nil && !fi.IsDir() {
				matches = []string{p}
			} else if acquire.IsMissing(err) {
				missing = append(missing, p)
			}
		} else {
			var err error
			matches, err = fs.Glob(r.cfg.Acquisition, p)
			if err != nil {
				return nil, nil, fmt.Errorf("look for %q: %w", p, err)
			}
		}
		for _, m := range matches {
			if fi, err := fs.Stat(r.cfg.Acquisition, m); err != nil || fi.IsDir() {
				continue
			}
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out, missing, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// minLevel filters a handler to a minimum level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m *minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.Handler.Enabled(ctx, l)
}
func (m *minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return &minLevel{Handler: m.Handler.WithAttrs(as), min: m.min}
}
func (m *minLevel) WithGroup(n string) slog.Handler {
	return &minLevel{Handler: m.Handler.WithGroup(n), min: m.min}
}
