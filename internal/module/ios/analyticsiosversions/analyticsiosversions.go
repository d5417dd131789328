// Package analyticsiosversions dates the iOS builds a phone ran from the analytics
// databases of Apple's Security framework, found only in file-system dumps.
//
// It reads no file itself: it takes the records of the analytics module (the events of
// /private/var/Keychains/Analytics/*.db, names private/var/Keychains/Analytics/*.db in
// a dump, in both schema variants that module handles) and keeps, per value of the
// events' "build" key (the system build that logged the event, e.g. "20F66"), the
// earliest event time (the row's timestamp, Unix seconds). The iOS version of each
// build comes from the release table of package iosrelease ("" when unknown).
//
// It corresponds to MVT's AnalyticsIOSVersions module, which re-reads the databases
// through its Analytics module; it inherits the fixes of package analytics (event
// times were 31 years late in MVT, as it read Unix time as Mac absolute time). Records
// are sorted by date, then build.
package analyticsiosversions

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/iosrelease"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/analytics"
)

// Name is the module's slug.
const Name = "analytics_ios_versions"

// maxBuilds bounds the distinct builds kept (a phone runs a few dozen in its life).
const maxBuilds = 10_000

// maxBuildLen bounds the length of a build kept; longer values are not builds.
const maxBuildLen = 64

// Module dates iOS builds from analytics events.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var _ module.Module = (*Module)(nil)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "AnalyticsIOSVersions",
		Version:     1,
		Description: "iOS builds first seen in the Security framework analytics events (Keychains/Analytics/*.db)",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
		Paths:       []string{analytics.Glob},
		Requires:    []string{analytics.Name},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	recs, err := in.Dependency(analytics.Name)
	if err != nil {
		return err
	}
	first := map[string]*Record{}
	dropped := 0
	for i, v := range recs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ev, ok := v.(*analytics.Record)
		if !ok || ev.Isodate.IsZero() {
			continue
		}
		build := strings.TrimSpace(ev.Text("build"))
		if build == "" || len(build) > maxBuildLen {
			continue
		}
		r := first[build]
		switch {
		case r == nil && len(first) >= maxBuilds:
			dropped++
		case r == nil:
			first[build] = &Record{Isodate: ev.Isodate, Build: build, Artifact: ev.Artifact}
		case ev.Isodate.Before(r.Isodate.Time):
			r.Isodate, r.Artifact = ev.Isodate, ev.Artifact
		}
	}
	if dropped > 0 {
		out.Problem("more than %d distinct builds: %d events of further builds ignored", maxBuilds, dropped)
	}
	list := make([]*Record, 0, len(first))
	for _, r := range first {
		if rel, ok := iosrelease.ByBuild(r.Build); ok {
			r.Version = rel.Version
		}
		list = append(list, r)
	}
	slices.SortFunc(list, func(a, b *Record) int {
		return cmp.Or(a.Isodate.Compare(b.Isodate.Time), strings.Compare(a.Build, b.Build))
	})
	for _, r := range list {
		if err := out.Record(r); err != nil {
			return err
		}
	}
	return nil
}
