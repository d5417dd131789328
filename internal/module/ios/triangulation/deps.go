package triangulation

import (
	"slices"

	"github.com/spytrace/spytrace/internal/module/ios/locationdclients"
	"github.com/spytrace/spytrace/internal/module/ios/osanalyticsaddaily"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// dependencyEvents turns records of os_analytics_ad_daily and locationd_clients into
// events.
func dependencyEvents(rec any) []*Event {
	switch r := rec.(type) {
	case *osanalyticsaddaily.Record:
		name, bundle := splitProcess(r.Package, "")
		if !watchedProcess(name, bundle) || !timefmt.Valid(r.Date.Time) {
			return nil
		}
		return []*Event{{Isodate: r.Date, Class: ClassNet, Event: "NetUsage", Name: r.Package, Source: depOSAnalytics}}
	case *locationdclients.Record:
		if !slices.Contains(watchedClients, r.Package) || !timefmt.Valid(r.LocationTimeStopped.Time) {
			return nil
		}
		return []*Event{{Isodate: r.LocationTimeStopped, Class: ClassLocation, Event: "LocationTimeStopped", Name: r.Package, Source: depLocationd}}
	}
	return nil
}
