package iosfs

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

// The census is the one walk of a dump's device namespace that every consumer of the
// whole tree shares: the filesystem module (every entry), the cache_files module
// (every Cache.db) and the search for process binaries (datausage, netusage) all read
// it, so a folder with millions of files is listed from disk once, however many
// modules need it. An archive needs no census: its index, built in the single pass of
// Open, already is one, and Walk reads it.
//
// Each entry costs about 40 bytes plus its path; the census holds at most
// Options.MaxEntries entries (a Problem "limit_reached" says when the walk stopped
// there). A folder that cannot be listed is a Problem "unreadable_folder", and the walk
// goes on.

// censusEntry is one entry of the device namespace, in walk order.
type censusEntry struct {
	name  string // device name, relative to the root
	size  int64
	mtime int64 // Unix nanoseconds; minInt64 when the time is not representable
	mode  fs.FileMode
}

const noTime = -1 << 63

func (e *censusEntry) info() *fileInfo {
	fi := &fileInfo{name: path.Base(e.name), size: e.size, mode: e.mode}
	if e.mtime != noTime {
		fi.mtime = time.Unix(0, e.mtime)
	}
	return fi
}

// census walks the folder once, the first time it is needed.
func (d *Dump) census() ([]censusEntry, error) {
	d.censusOnce.Do(func() {
		d.entries, d.censusErr = d.buildCensus(d.ctx)
	})
	return d.entries, d.censusErr
}

func (d *Dump) buildCensus(ctx context.Context) ([]censusEntry, error) {
	var entries []censusEntry
	limitNoted := false
	var walk func(dir string) error
	walk = func(dir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		infos, err := d.b.readDir(dir)
		if err != nil {
			d.problem("unreadable_folder", dir, fmt.Sprintf("the folder cannot be listed (%v); what it holds is not in the results of modules that walk the dump", err))
			return nil
		}
		for _, fi := range infos {
			if len(entries) >= d.maxEntries {
				if !limitNoted {
					limitNoted = true
					d.mu.Lock()
					d.truncated = true
					d.mu.Unlock()
					d.problem("limit_reached", dir, fmt.Sprintf("the dump holds more than %d entries (Options.MaxEntries); the walk stopped here and later entries are not in the results of modules that walk the dump", d.maxEntries))
				}
				return fs.SkipAll
			}
			name := fi.name
			if dir != "." {
				name = dir + "/" + name
			}
			e := censusEntry{name: name, size: fi.size, mode: fi.mode, mtime: noTime}
			if t := fi.mtime; !t.IsZero() && t.Year() > 1677 && t.Year() < 2262 {
				e.mtime = t.UnixNano()
			}
			entries = append(entries, e)
			if fi.IsDir() {
				if err := walk(name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := walk(".")
	if err == fs.SkipAll {
		err = nil
	}
	return entries, err
}

// walkCensus is Walk over the census, with fs.WalkDir's SkipDir and SkipAll.
func (d *Dump) walkCensus(fn func(string, fs.FileInfo) error) error {
	entries, err := d.census()
	if err != nil {
		return err
	}
	for i := 0; i < len(entries); i++ {
		e := &entries[i]
		err := fn(e.name, e.info())
		switch {
		case err == nil:
		case err == fs.SkipDir:
			skip := path.Dir(e.name) // a file: the rest of its folder
			if e.mode.IsDir() {
				skip = e.name // a folder: what it holds
			}
			if skip == "." {
				return nil
			}
			for i+1 < len(entries) && strings.HasPrefix(entries[i+1].name, skip+"/") {
				i++
			}
		default:
			return err
		}
	}
	return nil
}

// FilesNamed returns the device names of the regular files of the dump whose base
// name is one of names, in walk order, keyed by base name: one pass over the census
// (or the archive's index) for any number of names, so that the search stays linear in
// the size of the dump.
func (d *Dump) FilesNamed(names ...string) (map[string][]string, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	found := map[string][]string{}
	if d.format == FormatFolder {
		entries, err := d.census()
		for i := range entries {
			e := &entries[i]
			if base := e.name[strings.LastIndexByte(e.name, '/')+1:]; e.mode.IsRegular() && want[base] {
				found[base] = append(found[base], e.name)
			}
		}
		return found, err
	}
	err := d.Walk(func(name string, fi fs.FileInfo) error {
		if fi.Mode().IsRegular() && want[fi.Name()] {
			found[fi.Name()] = append(found[fi.Name()], name)
		}
		return nil
	})
	return found, err
}
