// Package locationdclients reads locationd's list of location clients: every app,
// system location bundle and daemon that asked iOS for the phone's location, with
// what it was allowed and when it last used location.
//
// The artifact is the property list clients.plist:
//   - RootDomain/Library/Caches/locationd/clients.plist in a backup,
//     /private/var/root/Library/Caches/locationd/clients.plist on the phone;
//   - HomeDomain/Library/Caches/locationd/clients.plist, the copy under
//     /private/var/mobile that MVT also reads from file-system dumps (read when a backup
//     tool includes it).
//
// Its top level maps a client key to a dictionary. Keys are bundle identifiers
// ("com.apple.Maps"), "com.apple.locationd.bundle-<path>" for location bundles,
// "com.apple.locationd.executable-<path>" for daemons; newer iOS versions (17 and later)
// write keys with a one-letter kind prefix and a trailing colon ("icom.apple.Maps:"),
// whose format is not documented: as MVT does, trailing colons are removed from the
// package name, and the name without its "i" prefix is also checked against process
// indicators (an inference from the observed keys, not confirmed). Non-dictionary
// values at the top (migration counters) are skipped. Inside a client, BundleId,
// BundlePath, Executable and Registered (a path, or a bool on some versions) name the
// client; nine keys hold dates as Mac absolute seconds (seconds since 2001-01-01 UTC,
// reals; plist dates are accepted too): ConsumptionPeriodBegin,
// ReceivingLocationInformationTimeStopped, VisitTimeStopped, LocationTimeStopped,
// BackgroundLocationTimeStopped, SignificantTimeStopped,
// NonPersistentSignificantTimeStopped, FenceTimeStopped and BeaconRegionTimeStopped.
//
// It corresponds to MVT's LocationdClients module: each record is the client's
// dictionary (data as base64, the nine dates as MVT time strings) plus package (the
// key without trailing colons); spytrace adds client_key (the key as stored, which the
// process check of iOS 17 keys needs) and source_file. Unlike MVT, every data value is
// written as base64 (MVT converts only ClientStorageToken and cannot write the
// others), a date of the wrong type is written as null with a problem instead of
// stopping the module, both files are read when both exist, records are sorted by
// package, every indicator check runs on every client (MVT stops at the first match
// and never reports a BundleId match), and the path in a bundle or executable key is
// checked against file indicators as well.
package locationdclients

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/plistx"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "locationd_clients"

// Paths of the artifact in an iOS backup.
const (
	RootPath   = "RootDomain/Library/Caches/locationd/clients.plist"
	MobilePath = "HomeDomain/Library/Caches/locationd/clients.plist"
)

// TimeKeys are the client keys whose values are dates, in MVT's order.
var TimeKeys = []string{
	"ConsumptionPeriodBegin",
	"ReceivingLocationInformationTimeStopped",
	"VisitTimeStopped",
	"LocationTimeStopped",
	"BackgroundLocationTimeStopped",
	"SignificantTimeStopped",
	"NonPersistentSignificantTimeStopped",
	"FenceTimeStopped",
	"BeaconRegionTimeStopped",
}

// Module reads locationd's clients.plist.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module     = (*Module)(nil)
	_ module.Checkable  = (*Module)(nil)
	_ module.Reloadable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "LocationdClients",
		Version:     2,
		Description: "Apps, location bundles and daemons that used the phone's location (locationd clients.plist)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{MobilePath, RootPath},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var recs []*Record
	err := module.EachFile(ctx, in, out, func(name string) error {
		data, err := in.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		got, problems, err := parse(data, name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
		recs = append(recs, got...)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(recs, func(a, b *Record) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.SourceFile, b.SourceFile))
	})
	return module.Emit(ctx, out, recs)
}

// parse decodes one clients.plist into records, in key order, and describes the
// values it could not read.
func parse(data []byte, source string) ([]*Record, []string, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, nil, err
	}
	top, ok := plistx.AsMap(v)
	if !ok {
		return nil, nil, fmt.Errorf("top level is %s, want a dictionary", kindOf(v))
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var recs []*Record
	var problems []string
	for _, key := range keys {
		client, ok := plistx.AsMap(top[key])
		if !ok {
			continue // migration counters and other non-client values
		}
		rec := &Record{
			Key:        safetext.EscapeInvalid(key),
			Package:    safetext.EscapeInvalid(strings.TrimRight(key, ":")),
			Client:     client,
			SourceFile: source,
		}
		for _, tk := range TimeKeys {
			raw, present := client[tk]
			if !present {
				continue
			}
			t, ok := clientTime(raw)
			if !ok {
				problems = append(problems, fmt.Sprintf("client %q: %s is %s, want a date", rec.Package, tk, kindOf(raw)))
			}
			if rec.Times == nil {
				rec.Times = map[string]timefmt.Time{}
			}
			rec.Times[tk] = timefmt.Of(t)
		}
		rec.LocationTimeStopped = rec.Times["LocationTimeStopped"]
		recs = append(recs, rec)
	}
	return recs, problems, nil
}

// clientTime reads a date: Mac absolute seconds (a real or an integer) or a plist
// date. An implausible value (0 is common for "never") gives the zero time, ok true; a
// value of another type gives ok false.
func clientTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		if !timefmt.Valid(x) {
			return time.Time{}, true
		}
		return x.UTC(), true
	case float64, int64, uint64:
		f, _ := plistx.Float(map[string]any{"t": x}, "t")
		return timefmt.FromMacAbsolute(f), true
	}
	return time.Time{}, false
}

// kindOf names the plist type of a decoded value, for messages.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a dictionary"
	case []any:
		return "an array"
	case string:
		return "a string"
	case int64, uint64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []byte:
		return "data"
	case time.Time:
		return "a date"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Record](data) }
