package recheck

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safely"
)

// Options configure the re-check of a case.
type Options struct {
	// Env holds the indicators to check against (heuristics run without any).
	Env *check.Env
	// Limits bound the records read.
	Limits Limits
	// Workers is the number of modules re-checked at once; 0 means GOMAXPROCS.
	Workers int
}

// Outcome is what re-checking one case found.
type Outcome struct {
	Case *Case
	// Modules are the modules' outcomes, in the case's module order.
	Modules []ModuleResult
	// Alerts are every alert of the re-check, in module order; New those no earlier run
	// of the case raised (see Known).
	Alerts, New       []alert.Alert
	Counts, NewCounts alert.Counts
	// Known is the number of earlier alerts the case held (its own run and earlier
	// re-checks); KnownProblems says what of them could not be read.
	Known         int
	KnownProblems []string
	// URLs are the shortened URLs expanded on request (nil when not asked).
	URLs []ExpandedURL

	known *knownAlerts
}

// add counts one alert, as new unless an earlier run raised it.
func (o *Outcome) add(a alert.Alert) {
	o.Alerts = append(o.Alerts, a)
	o.Counts.Add(a.Level)
	if !o.known.has(a) {
		o.New = append(o.New, a)
		o.NewCounts.Add(a.Level)
	}
}

// Records returns the number of records re-checked.
func (o *Outcome) Records() int {
	n := 0
	for _, m := range o.Modules {
		n += m.Records
	}
	return n
}

// Check re-runs the checks of every module of the case over its records.
func (c *Case) Check(ctx context.Context, opts Options) (*Outcome, error) {
	if opts.Env == nil {
		opts.Env = check.NewEnv(nil)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	root, err := os.OpenRoot(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("open results folder %q: %w", c.Dir, err)
	}
	defer root.Close()
	known, knownProblems := readKnown(root)

	o := &Outcome{Case: c, Modules: make([]ModuleResult, len(c.Modules)), Known: known.n, KnownProblems: knownProblems,
		Counts: alert.Counts{}, NewCounts: alert.Counts{}, known: known}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(len(c.Modules), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := safely.Do(func() { o.Modules[i] = checkFile(ctx, root, c.Modules[i], opts) }); err != nil {
					info := c.Modules[i].Info()
					o.Modules[i] = ModuleResult{Module: info.Name, Version: info.Version, State: module.Failed, Reason: err.Error()}
				}
			}
		}()
	}
	for i := range c.Modules {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	for _, m := range o.Modules {
		for _, a := range m.Alerts {
			o.add(a)
		}
	}
	return o, ctx.Err()
}

// checkFile re-checks the <slug>.json of one module.
func checkFile(ctx context.Context, root *os.Root, m module.Module, opts Options) ModuleResult {
	info := m.Info()
	f, err := root.Open(info.Name + ".json")
	if err != nil {
		return ModuleResult{Module: info.Name, Version: info.Version, State: module.Failed, Reason: err.Error()}
	}
	defer f.Close()
	return CheckRecords(ctx, m, opts.Env, f, opts.Limits)
}
