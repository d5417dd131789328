package detect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/androidqf"
	"github.com/spytrace/spytrace/internal/acquire/archive"
	"github.com/spytrace/spytrace/internal/acquire/bugreport"
	"github.com/spytrace/spytrace/internal/android/intrusionlog"
)

// androidQF recognises an androidqf collection at the top of fsys (androidqf.Sniff).
func androidQF(fsys fs.FS, format string) (string, bool) {
	s, ok := androidqf.Sniff(fsys)
	if !ok {
		return "", false
	}
	w := "an androidqf collection (" + format + ")"
	if a := s.Acquisition; a != nil {
		if v := clean(a.AndroidQFVersion, 40); v != "" {
			w += " made with androidqf " + v
		}
		if !a.Started.IsZero() {
			w += " on " + a.Started.UTC().Format(time.DateTime) + " UTC"
		}
	}
	return w, true
}

// bugReport recognises a bug report at the top of fsys or in its only folder
// (bugreport.Sniff) and describes the phone from the dumpstate header.
func bugReport(fsys fs.FS, format string) (string, bool) {
	s, ok := bugreport.Sniff(fsys)
	if !ok {
		return "", false
	}
	w := "an Android bug report (" + format + ")"
	if brand, device, version, ok := parseFingerprint(s.BuildFingerprint); ok {
		w += fmt.Sprintf(" of %s %s %s with Android %s", article(brand), brand, device, version)
	}
	if b := clean(s.Build, 60); b != "" {
		w += " (build " + b + ")"
	}
	if t := clean(s.DumpstateTime, 40); t != "" {
		w += ", taken " + t + " (the phone's clock)"
	}
	if s.DumpstateFile == "" {
		w += ", without its dumpstate text"
	}
	return w, true
}

// parseFingerprint reads brand, device and Android version from a build fingerprint
// ("google/shiba/shiba:14/UP1A.231005.007/10754064:user/release-keys").
func parseFingerprint(fp string) (brand, device, version string, ok bool) {
	names, rest, found := strings.Cut(fp, ":")
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(names, "/")
	version, _, _ = strings.Cut(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" || version == "" {
		return "", "", "", false
	}
	return clean(parts[0], 30), clean(parts[2], 30), clean(version, 20), true
}

// Bounds of the look for intrusion logs.
const (
	// maxWalkEntries bounds the names walked, in the evidence and the zips nested in it.
	maxWalkEntries = 20_000
	// maxLogFiles bounds the .txt files whose first lines are read.
	maxLogFiles = 8
	// maxLogHead bounds what is read of each.
	maxLogHead = 64 << 10
	// maxLogLines bounds the lines read of each.
	maxLogLines = 32
	// maxNestedZips bounds the compressed nested zips read into memory, in all.
	maxNestedZips = 32 << 20
	// maxDecompressed bounds what is decompressed from zips, in all: the first bytes
	// of entries (to find nested zips) and of the log files.
	maxDecompressed = 64 << 20
)

// intrusionLogs recognises Android intrusion logs in the folder or zip at p: a .txt file
// (other than getprop.txt), at most intrusionlog.MaxDepth folders down, in p or in a
// zip nested in it, whose first lines hold an event of a known type. It opens p as the
// intrusion-logs opener does (archive.Open, then archive.Expand for the nested zips),
// with tight bounds.
func intrusionLogs(ctx context.Context, p, format string) (string, bool, error) {
	opt := archive.Options{MaxEntries: maxWalkEntries, MaxNestedBytes: maxNestedZips, MaxDepth: 2, MaxTotalBytes: maxDecompressed}
	a, err := archive.Open(ctx, p, acquire.AndroidIntrusionLogs, opt)
	if err != nil {
		return "", false, nil // neither a folder nor a zip: not intrusion logs
	}
	x, err := archive.Expand(ctx, a, opt)
	if err != nil {
		a.Close()
		return "", false, err
	}
	defer x.Close()
	var names []string
	seen := 0
	err = x.Walk(func(name string, fi fs.FileInfo) error {
		if seen++; seen > maxWalkEntries {
			return fs.SkipAll
		}
		if fi.IsDir() && strings.Count(name, "/") >= intrusionlog.MaxDepth {
			return fs.SkipDir
		}
		if fi.Mode().IsRegular() && strings.EqualFold(path.Ext(name), ".txt") {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return "", false, nil
	}
	files := intrusionlog.EventFiles(acquire.AndroidIntrusionLogs, names)
	for _, name := range files[:min(len(files), maxLogFiles)] {
		if err := ctx.Err(); err != nil {
			return "", false, err
		}
		if hasEvents(x, name) {
			nested := ""
			if slices.ContainsFunc(files, func(f string) bool { return strings.Contains(f, archive.NestedSep) }) {
				nested = ", some in zips inside it"
			}
			return fmt.Sprintf("Android intrusion logs (a %s of %d exported .txt %s%s)", format, len(files), plural(len(files), "file", "files"), nested), true, nil
		}
	}
	return "", false, nil
}

// hasEvents reports whether the first lines of the file name hold an intrusion-log
// event of a known type.
func hasEvents(fsys fs.FS, name string) bool {
	f, err := fsys.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	r := intrusionlog.NewReader(io.LimitReader(f, maxLogHead), intrusionlog.Options{
		MaxLineBytes: maxLogHead, MaxLines: maxLogLines,
		Want: func(string) bool { return false }, // the type is enough: nothing decoded
	})
	for {
		ev, err := r.Next()
		var le *intrusionlog.LineError
		switch {
		case err == nil:
			if slices.Contains(intrusionlog.KnownTypes, ev.Type) {
				return true
			}
		case errors.As(err, &le):
		default:
			return false
		}
	}
}
