package detect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/acquire/archive"
	"github.com/spytrace/spytrace/internal/acquire/iosfs"
)

// Bounds of the look at a folder.
const (
	// maxTopEntries bounds the entries of the folder listed.
	maxTopEntries = 100_000
	// maxSubfolders bounds the sub-folders looked into (rule 8).
	maxSubfolders = 64
)

// detectFolder recognises a folder, in the order of the package comment.
func detectFolder(ctx context.Context, p string) (Result, error) {
	r, ok, err := classifyTop(ctx, p, true)
	if ok || err != nil {
		return r, err
	}
	entries, err := listFolder(p)
	if err != nil {
		return Result{}, fmt.Errorf("detect %q: %w", p, err)
	}
	var subs []string
	for _, e := range entries {
		// Type() is Lstat's: a link to a folder is not a folder here.
		if e.IsDir() && !hidden(e.Name()) {
			subs = append(subs, e.Name())
		}
	}
	var found []Result
	for _, s := range subs[:min(len(subs), maxSubfolders)] {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		// A sub-folder that cannot be read holds nothing spytrace could check.
		if r, ok, err := classifyTop(ctx, filepath.Join(p, s), false); err == nil && ok {
			found = append(found, r)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return Result{}, &AmbiguousError{Path: p, Found: found}
	}
	what, ok, err := intrusionLogs(ctx, p, "folder")
	if err != nil {
		return Result{}, err
	}
	if ok {
		return Result{Kind: AndroidIntrusionLogs, Path: p, What: what}, nil
	}
	if r, ok := resultsBelow(p); ok {
		return r, nil
	}
	seen := "it is an empty folder"
	if len(entries) > 0 {
		count := fmt.Sprint(len(entries))
		if len(entries) == maxTopEntries {
			count = "at least " + count
		}
		seen = fmt.Sprintf("it is a folder of %s %s (%s)", count, plural(len(entries), "entry", "entries"), listNames(entryNames(entries), len(entries)))
		if len(subs) > 0 {
			seen += ", and none of its folders holds evidence either"
		}
	}
	return Result{}, &UnknownError{Path: p, Seen: seen}
}

// hidden reports names that are not the analyst's: dot files and macOS's zip debris.
func hidden(name string) bool {
	return strings.HasPrefix(name, ".") || name == "__MACOSX"
}

// listFolder lists the folder p, sorted, at most maxTopEntries entries.
func listFolder(p string) ([]fs.DirEntry, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := f.ReadDir(maxTopEntries)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return es, nil
}

// classifyTop tries the kinds found at the top of the folder dir (rules 1 to 7 of the
// package comment; rule 1 only with results).
func classifyTop(ctx context.Context, dir string, results bool) (Result, bool, error) {
	if results {
		if r, ok := resultsHere(dir); ok {
			return r, true, nil
		}
	}
	// The folder through package archive: an os.Root, every name checked with Lstat.
	view, err := archive.Open(ctx, dir, acquire.AndroidQF, archive.Options{MaxEntries: maxZipEntries})
	if err != nil {
		return Result{}, false, fmt.Errorf("detect %q: %w", dir, err)
	}
	defer view.Close()
	if what, ok := androidQF(view, "folder"); ok {
		return Result{Kind: AndroidQF, Path: dir, What: what}, true, nil
	}
	if what, ok := bugReport(view, "folder"); ok {
		return Result{Kind: AndroidBugreport, Path: dir, What: what}, true, nil
	}
	if r, ok := iosBackupHere(dir); ok {
		return r, true, nil
	}
	s, err := iosfs.Sniff(ctx, dir)
	if err != nil {
		return Result{}, false, fmt.Errorf("detect %q: %w", dir, err)
	}
	if s.Prefix == "" {
		switch s.Kind {
		case acquire.IOSFilesystem:
			return Result{Kind: IOSFilesystem, Path: dir, What: dumpWhat("folder", "")}, true, nil
		case acquire.IOSSysdiagnose:
			return Result{Kind: IOSSysdiagnose, Path: dir, What: sysdiagnoseWhat("folder", "")}, true, nil
		}
	}
	if what, ok := androidBackupFolder(view); ok {
		return Result{Kind: AndroidBackup, Path: dir, What: what}, true, nil
	}
	return Result{}, false, nil
}

// androidBackupFolder recognises the folder of an extracted Android backup: apps/ at
// its top, as androidbackup's opener wants it.
func androidBackupFolder(view fs.FS) (string, bool) {
	fi, err := fs.Stat(view, "apps")
	if err != nil || !fi.IsDir() {
		return "", false
	}
	apps, _ := fs.ReadDir(view, "apps")
	n := 0
	for _, a := range apps {
		if a.IsDir() {
			n++
		}
	}
	return fmt.Sprintf("an extracted Android backup (a folder holding apps/, with the data of %d %s)", n, plural(n, "app", "apps")), true
}

// zipSeen says what a zip that is no evidence holds, with a hint when it holds an
// acquisition spytrace reads only unpacked.
func zipSeen(a *archive.FS) string {
	top, _ := fs.ReadDir(a, ".")
	seen := "it is an empty zip"
	if len(top) > 0 {
		seen = fmt.Sprintf("it is a zip whose top holds %d %s (%s)", len(top), plural(len(top), "entry", "entries"), listNames(entryNames(top), len(top)))
		if p := a.Prefix(); p != "" {
			seen = fmt.Sprintf("it is a zip whose one folder %s holds %d %s (%s)", quote(p), len(top), plural(len(top), "entry", "entries"), listNames(entryNames(top), len(top)))
		}
	}
	has := func(name string, dir bool) bool {
		fi, err := fs.Stat(a, name)
		return err == nil && fi.IsDir() == dir
	}
	switch {
	case has("Manifest.db", false) || has("Manifest.plist", false):
		seen += "; it holds an iOS backup, which spytrace reads as a folder: unzip it and give the backup's folder"
	case has("private/var", true):
		seen += "; it holds an iOS file-system dump, which spytrace reads as a folder, a .tar or a .tar.gz: unzip it"
	case has("sysdiagnose.log", false) || has("system_logs.logarchive", true) || has("crashes_and_spins", true):
		seen += "; it holds a sysdiagnose, which spytrace reads as the .tar.gz the iPhone writes or as a folder: unzip it"
	case has("apps", true):
		seen += "; it holds an extracted Android backup, which spytrace reads as a folder: unzip it"
	case has("info.json", false):
		seen += "; if it is a results folder, unzip it"
	}
	return seen
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
