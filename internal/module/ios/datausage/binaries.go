package datausage

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// The search for process binaries (file-system dumps only).
//
// A process without a bundle id is a system daemon or a tool, and its program is a file
// of the same name somewhere in the dump (/usr/libexec/, /usr/sbin/, /System/Library/…,
// the cryptexes). MVT looks for each one with its own walk of the whole dump; here the
// names are gathered first, then looked up in one pass over the dump's census (the
// listing the filesystem and cache_files modules share), so the cost is linear in the
// size of the dump whatever the number of processes. The kernel truncates process names
// to 15 or 16 characters (MAXCOMLEN), so a name of that length also matches a longer
// file name that starts with it. Records of searched processes say what was found
// (binary_found, binary_paths); the heuristic <slug>/binary-not-found raises a MEDIUM
// alert, once per process name, for those with none.
//
// The search is meaningful only when the dump holds the system volume: a dump of
// /private/var alone has none of iOS's programs, and every daemon would look missing.
// The module searches only when the dump has /usr/libexec or /System/Library, and says
// so in its log otherwise.

// BinaryHeuristic returns the binary-not-found heuristic of a module of this model.
func BinaryHeuristic(slug, database string) check.Heuristic {
	return check.Heuristic{
		ID:    slug + "/binary-not-found",
		Level: alert.Medium,
		Meaning: database + " counts network traffic of a process that has no bundle id (so it is not an app) and whose " +
			"program is nowhere in the file-system dump. Every iOS daemon has its program on the system volume. Pegasus ran " +
			"processes named like iOS daemons (bh, roleaccountd, msgacntd…) from binaries it deleted afterwards, and this is " +
			"how MVT finds them.",
		FalsePositive: "The dump may lack part of the system: some extraction tools leave out the cryptexes (/System/Cryptexes, " +
			"/private/preboot), where recent iOS versions keep Safari and WebKit programs, or other volumes. A process name can " +
			"also differ from its file (a renamed or embedded helper), and processes of apps deleted since then have no program " +
			"left. Names of Apple daemons you recognise are usually one of these cases.",
		Advice: "Look the name up (is it an Apple daemon of this iOS version?) and check where the dump came from and whether " +
			"it holds the whole system. An unknown name, especially one imitating an Apple daemon and first seen near other " +
			"findings on the timeline, should be examined by an experienced analyst.",
	}
}

// Bounds of the search.
const (
	maxSearchedNames = 50_000
	maxBinaryPaths   = 5
	truncatedLen     = 15 // names this long or longer may be truncated (MAXCOMLEN)
)

// noBinary are process names of the kernel, which have no program file.
var noBinary = map[string]bool{"kernel_task": true, "kernel": true}

// systemVolumeMarkers are folders that only a dump of the system volume holds.
var systemVolumeMarkers = []string{"usr/libexec", "System/Library"}

// binarySearch says, for the processes without a bundle id, where their program is.
type binarySearch struct {
	found    map[string][]string // process name → device paths (with a leading "/")
	searched map[string]bool
}

// searchBinaries gathers the names of the processes without a bundle id in db and
// looks for their programs in the dump. It returns nil when no search applies.
func searchBinaries(ctx context.Context, in *module.Input, out *module.Output, db *sqlitex.DB) *binarySearch {
	if in.FS.Kind() != acquire.IOSFilesystem {
		return nil
	}
	hasSystem := false
	for _, m := range systemVolumeMarkers {
		if fi, err := fs.Stat(in.FS, m); err == nil && fi.IsDir() {
			hasSystem = true
		}
	}
	if !hasSystem {
		in.Log.Info("the dump holds no system volume (/usr/libexec, /System/Library): the programs of processes without a bundle id are not looked for")
		return nil
	}
	names, err := processNames(ctx, db)
	if err != nil {
		out.Problem("%v (the programs of processes without a bundle id are not looked for)", err)
		return nil
	}
	s := &binarySearch{found: map[string][]string{}, searched: map[string]bool{}}
	truncated := map[string]bool{}
	for _, n := range names {
		s.searched[n] = true
		if len(n) >= truncatedLen {
			truncated[n] = true
		}
	}
	if len(s.searched) == 0 {
		return s
	}
	add := func(proc, name string) {
		if len(s.found[proc]) < maxBinaryPaths {
			s.found[proc] = append(s.found[proc], "/"+name)
		}
	}
	err = acquire.WalkFiles(in.FS, func(name, base string) error {
		if s.searched[base] {
			add(base, name)
			return nil
		}
		for _, l := range []int{truncatedLen, truncatedLen + 1} {
			if len(base) > l && truncated[base[:l]] {
				add(base[:l], name)
			}
		}
		return nil
	})
	if err != nil {
		out.Problem("look for the programs of processes without a bundle id: %v (not searched)", err)
		return nil
	}
	return s
}

// processNames returns the distinct process names of ZPROCESS rows without a bundle id.
func processNames(ctx context.Context, db *sqlitex.DB) ([]string, error) {
	cols, err := db.Columns(ctx, "ZPROCESS")
	if err != nil {
		return nil, err
	}
	if !cols["ZPROCNAME"] {
		return nil, fmt.Errorf("%s: ZPROCESS has no ZPROCNAME column", db.Name)
	}
	q := "SELECT DISTINCT ZPROCNAME FROM ZPROCESS"
	if cols["ZBUNDLENAME"] {
		q += " WHERE ZBUNDLENAME IS NULL OR ZBUNDLENAME = ''"
	}
	q += " ORDER BY ZPROCNAME LIMIT " + fmt.Sprint(maxSearchedNames)
	var names []string
	err = db.EachRow(ctx, "ZPROCESS", q, func(_ int, vals []any) error {
		if n := searchableName(sqlitex.Text(vals[0])); n != "" {
			names = append(names, n)
		}
		return nil
	}, func(int, error) {})
	return names, err
}

// searchableName is the process part of a ZPROCNAME without a bundle id, or "".
func searchableName(procName string) string {
	proc, bundle := splitProcName(procName)
	if bundle != "" || proc == "" || noBinary[proc] || strings.ContainsAny(proc, "/\x00") {
		return ""
	}
	return proc
}

// annotate sets what the search found on a record of a searched process.
func (s *binarySearch) annotate(r *Record) {
	if s == nil || r.BundleID != "" || r.ProcessBundleID != "" || !s.searched[r.Process] {
		return
	}
	paths := s.found[r.Process]
	found := len(paths) > 0
	r.BinaryFound = &found
	r.BinaryPaths = paths
}
