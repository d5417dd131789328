package detect

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module/list"
	"github.com/spytrace/spytrace/internal/recheck"
)

// modules are every registered module, whose <slug>.json files mark a results folder.
var modules = sync.OnceValue(list.All)

// resultsHere recognises a results folder at dir that has an info.json (rule 1): an
// info.json there is what lets the results of an androidqf check, which hold
// mounts.json and root_binaries.json, be told from a collection.
func resultsHere(dir string) (Result, bool) {
	fi, err := os.Lstat(filepath.Join(dir, "info.json"))
	if err != nil || !fi.Mode().IsRegular() {
		return Result{}, false
	}
	if !recheck.IsResults(dir, modules()) {
		return Result{}, false
	}
	return Result{Kind: Results, Path: dir, What: caseWhat(dir)}, true
}

// resultsBelow recognises results folders at or under p (rule 10), as check-iocs finds
// them.
func resultsBelow(p string) (Result, bool) {
	found, err := recheck.Find(p, modules())
	switch {
	case err != nil || len(found) == 0:
		return Result{}, false
	case len(found) == 1:
		return Result{Kind: Results, Path: found[0], What: caseWhat(found[0])}, true
	}
	return Result{Kind: Results, Path: p, What: fmt.Sprintf("a folder of %d earlier results folders of spytrace or MVT", len(found))}, true
}

// caseWhat describes one results folder from its info.json (recheck.Open).
func caseWhat(dir string) string {
	c, err := recheck.Open(dir, modules())
	if err != nil {
		return "an earlier results folder"
	}
	producer := "spytrace"
	if c.Producer == recheck.MVT {
		producer = "MVT"
	}
	w := "an earlier results folder of " + producer
	if v := clean(c.Version, 40); v != "" {
		w += " " + v
	}
	var about []string
	if cmd := clean(c.Command, 80); cmd != "" {
		about = append(about, cmd)
	} else {
		about = append(about, platformName(c.Platform))
	}
	if d := clean(c.Date, 40); d != "" {
		about = append(about, d)
	}
	w += " (" + strings.Join(about, ", ") + ")"
	if n := len(c.Modules); n > 0 {
		return w + fmt.Sprintf(", with the records of %d %s to check again", n, plural(n, "module", "modules"))
	}
	return w + ", with no records spytrace can check again"
}

func platformName(p acquire.Platform) string {
	if p == acquire.Android {
		return "Android"
	}
	return "iOS"
}
