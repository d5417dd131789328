package bugreport

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// How the dumpstate text was found (Facts.FoundBy).
const (
	FoundByMainEntry    = "main_entry.txt"
	FoundByDumpStateLog = "dumpState_*.log"
	FoundByBugreportTxt = "bugreport-*.txt"
	FoundByDumpsysTxt   = "dumpsys.txt"
)

// maxMainEntry bounds the bytes read from main_entry.txt (it holds one file name).
const maxMainEntry = 4096

// discovery is what findDumpstate found.
type discovery struct {
	name     string // the dumpstate file's name in the (sub) fs, "" if none
	foundBy  string
	problems []problemSpec
}

type problemSpec struct{ kind, name, msg string }

// findDumpstate looks for the dumpstate text in fsys, in MVT's order and then more:
// the file named by main_entry.txt, the first dumpState_*.log at the top, the first
// bugreport-*.txt at the top, dumpsys.txt at the top or one folder down.
func findDumpstate(fsys fs.FS) discovery {
	var d discovery
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		d.problems = append(d.problems, problemSpec{"unreadable", ".", "the top folder of the bug report cannot be listed: " + err.Error()})
	}
	regular := map[string]bool{}
	var names []string
	for _, e := range top {
		if e.Type().IsRegular() {
			regular[e.Name()] = true
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)

	if regular["main_entry.txt"] {
		target, err := readMainEntry(fsys)
		switch {
		case err != nil:
			d.problems = append(d.problems, problemSpec{"dumpstate_missing", "main_entry.txt", "main_entry.txt cannot be read: " + err.Error()})
		case target == "" || !fs.ValidPath(target):
			d.problems = append(d.problems, problemSpec{"dumpstate_missing", "main_entry.txt", "main_entry.txt does not hold a valid file name"})
		default:
			if fi, err := fs.Stat(fsys, target); err == nil && fi.Mode().IsRegular() {
				d.name, d.foundBy = target, FoundByMainEntry
				return d
			}
			d.problems = append(d.problems, problemSpec{"dumpstate_missing", target, "main_entry.txt names " + quote(target) + ", which is not in the bug report; looking for the dumpstate text by name"})
		}
	}
	pick := func(match func(string) bool, how string) bool {
		var found []string
		for _, n := range names {
			if match(n) {
				found = append(found, n)
			}
		}
		if len(found) == 0 {
			return false
		}
		d.name, d.foundBy = found[0], how
		if len(found) > 1 {
			d.problems = append(d.problems, problemSpec{"several_dumpstates", found[0], "several files could be the dumpstate text (" + strings.Join(found, ", ") + "); the first was read"})
		}
		return true
	}
	if pick(func(n string) bool { m, _ := path.Match("dumpState_*.log", n); return m }, FoundByDumpStateLog) {
		return d
	}
	if pick(func(n string) bool { m, _ := path.Match("bugreport-*.txt", n); return m }, FoundByBugreportTxt) {
		return d
	}
	if regular["dumpsys.txt"] {
		d.name, d.foundBy = "dumpsys.txt", FoundByDumpsysTxt
		return d
	}
	var dirs []string
	for _, e := range top {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	slices.Sort(dirs)
	var found []string
	for _, dir := range dirs {
		n := dir + "/dumpsys.txt"
		if fi, err := fs.Stat(fsys, n); err == nil && fi.Mode().IsRegular() {
			found = append(found, n)
		}
	}
	if len(found) > 0 {
		d.name, d.foundBy = found[0], FoundByDumpsysTxt
		if len(found) > 1 {
			d.problems = append(d.problems, problemSpec{"several_dumpstates", found[0], "several files could be the dumpstate text (" + strings.Join(found, ", ") + "); the first was read"})
		}
	}
	return d
}

// hasCandidate reports whether the folder dir of fsys looks like the top of a bug
// report: main_entry.txt, a dumpState_*.log or a bugreport-*.txt in it.
func hasCandidate(fsys fs.FS, dir string) bool {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		if n == "main_entry.txt" {
			return true
		}
		if m, _ := path.Match("dumpState_*.log", n); m {
			return true
		}
		if m, _ := path.Match("bugreport-*.txt", n); m {
			return true
		}
	}
	return false
}

// wrapperFolder returns the name of the one folder that holds the bug report when the
// top of fsys holds nothing but that folder (a bug report unpacked and zipped again),
// or "".
func wrapperFolder(fsys fs.FS) string {
	if hasCandidate(fsys, ".") {
		return ""
	}
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return ""
	}
	var only string
	for _, e := range top {
		n := e.Name()
		if n == "__MACOSX" || strings.HasPrefix(n, ".") {
			continue
		}
		if !e.IsDir() || only != "" {
			return ""
		}
		only = n
	}
	if only != "" && hasCandidate(fsys, only) {
		return only
	}
	return ""
}

func readMainEntry(fsys fs.FS) (string, error) {
	f, err := fsys.Open("main_entry.txt")
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMainEntry))
	if err != nil {
		return "", err
	}
	b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	return strings.TrimPrefix(string(b), "./"), nil
}

func quote(s string) string {
	return "\"" + strings.ToValidUTF8(s, "\uFFFD") + "\""
}
