// Package idstatuscache reads the identity-services status cache, where iOS keeps the
// answers Apple's servers gave when iMessage, FaceTime and other services looked up
// whether an e-mail address or phone number is registered with them.
//
// The artifact is a property list found at two places:
//   - HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist in a
//     backup, /private/var/mobile/Library/Preferences/com.apple.identityservices.idstatuscache.plist
//     on the phone (iOS 14.6 and older: later versions no longer back it up);
//   - HomeDomain/Library/IdentityServices/idstatuscache.plist,
//     /private/var/mobile/Library/IdentityServices/idstatuscache.plist on the phone
//     (iOS 14.7 and later; present in backups only when a tool adds it).
//
// Both have the same shape: a dictionary of services ("com.apple.madrid" is iMessage,
// "com.apple.ess" FaceTime, "com.apple.private.alloy.*" other Apple services) to a
// dictionary of addresses ("mailto:…", "tel:…") to {LookupDate, IDStatus}; non-dictionary
// values at the top (CacheVersion) are skipped. LookupDate is Mac absolute time (seconds
// since 2001-01-01 UTC), stored as a real number or, in some files, as a plist date; both
// are read. Entries without a LookupDate or an IDStatus are kept with null values.
//
// It corresponds to MVT's IDStatusCache module. Records are sorted by lookup date, then
// address, so output does not depend on the order of the plist's dictionaries; both
// files are read when both are present; and, fixing MVT, the NUL-byte heuristic runs
// without indicators, counts NUL bytes in the address as stored rather than searching
// the escaped text, and indicator alerts carry the lookup date.
package idstatuscache

import (
	"cmp"
	"context"
	"encoding/json"
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
const Name = "id_status_cache"

// Paths of the artifact in an iOS backup.
const (
	PreferencesPath      = "HomeDomain/Library/Preferences/com.apple.identityservices.idstatuscache.plist"
	IdentityServicesPath = "HomeDomain/Library/IdentityServices/idstatuscache.plist"
)

// Module reads the identity-services status cache.
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
		Class:       "IDStatusCache",
		Version:     1,
		Description: "Addresses and numbers looked up by iMessage, FaceTime and other Apple services (idstatuscache.plist)",
		Kinds:       []acquire.Kind{acquire.IOSBackup, acquire.IOSFilesystem},
		Paths:       []string{PreferencesPath, IdentityServicesPath},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	var recs []*Record
	err := module.EachFile(ctx, in, out, func(name string) error {
		data, err := in.ReadFile(name)
		if err == nil {
			var got []*Record
			got, err = parse(data, name)
			recs = append(recs, got...)
		}
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(recs, func(a, b *Record) int {
		return cmp.Or(a.Isodate.Compare(b.Isodate.Time), cmp.Compare(a.User, b.User),
			cmp.Compare(a.Package, b.Package), cmp.Compare(a.SourceFile, b.SourceFile))
	})
	count := map[string]int{}
	for _, r := range recs {
		count[r.User]++
	}
	for i, r := range recs {
		if i%1000 == 999 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r.Occurrences = count[r.User]
		if err := out.Record(r); err != nil {
			return err
		}
	}
	return nil
}

// parse decodes one status-cache plist into records (Occurrences not set). Services and
// addresses are visited in sorted order.
func parse(data []byte, source string) ([]*Record, error) {
	v, err := plistx.Decode(data, plistx.Limits{})
	if err != nil {
		return nil, err
	}
	top, ok := plistx.AsMap(v)
	if !ok {
		return nil, fmt.Errorf("top level is %s, want a dictionary", kindOf(v))
	}
	var recs []*Record
	for _, service := range sortedKeys(top) {
		users, ok := plistx.AsMap(top[service])
		if !ok {
			continue // CacheVersion and other non-service keys
		}
		for _, user := range sortedKeys(users) {
			entry, ok := plistx.AsMap(users[user])
			if !ok {
				continue
			}
			rec := &Record{
				Package:    safetext.EscapeInvalid(service),
				User:       strings.ReplaceAll(safetext.EscapeInvalid(user), "\x00", `\x00`),
				Isodate:    lookupDate(entry),
				NULCount:   strings.Count(user, "\x00"),
				SourceFile: source,
			}
			if s, ok := plistx.Int(entry, "IDStatus"); ok {
				rec.IDStatus = &s
			}
			recs = append(recs, rec)
		}
	}
	return recs, nil
}

// lookupDate reads LookupDate: Mac absolute seconds, or a plist date.
func lookupDate(entry map[string]any) timefmt.Time {
	if t, ok := plistx.Time(entry, "LookupDate"); ok {
		if !timefmt.Valid(t) {
			return timefmt.Time{}
		}
		return timefmt.Of(t.UTC())
	}
	if f, ok := plistx.Float(entry, "LookupDate"); ok {
		return timefmt.Of(timefmt.FromMacAbsolute(f))
	}
	return timefmt.Time{}
}

// kindOf names the plist type of a decoded value, for error messages.
func kindOf(v any) string {
	switch v.(type) {
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
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. MVT's records (package, user, isodate,
// idstatus, occurrences) have no nul_count and no source_file: a record without
// source_file is MVT's, and its NUL bytes are counted in the user, where MVT writes
// each as the text \x00, as spytrace does.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	var w struct {
		Record
		SourceFile *string `json:"source_file"`
	}
	err := json.Unmarshal(data, &w)
	if err != nil && !module.IsFieldTypeError(err) {
		return nil, err
	}
	rec := &w.Record
	if w.SourceFile != nil {
		rec.SourceFile = *w.SourceFile
	} else if rec.NULCount == 0 {
		rec.NULCount = strings.Count(rec.User, `\x00`)
	}
	return rec, err
}
