package filesystem

import (
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable. MVT's records have only path, relative
// to the dump ("private/var/…"), and modified: the path is made absolute, as spytrace
// writes it, and the entry's type is left unknown.
func (m *Module) DecodeRecord(data []byte) (any, error) {
	rec, err := module.Decode[Entry](data)
	if e, ok := rec.(*Entry); ok && e.Path != "" && !strings.HasPrefix(e.Path, "/") {
		e.Path = "/" + strings.TrimPrefix(e.Path, "./")
	}
	return rec, err
}

var _ module.Reloadable = (*Module)(nil)

// checker sees the entries in walk order (a folder before what it holds).
type checker struct {
	env *check.Env
	// matched is the last folder that matched a file-path or file-name indicator: what
	// it holds is not reported again.
	matched string
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	e, ok := v.(*Entry)
	if !ok {
		return
	}
	if c.matched != "" && strings.HasPrefix(e.Path, c.matched+"/") {
		return
	}
	c.matched = ""
	where := "the file system"
	if e.Type != "" { // "" in MVT's records
		where += " (" + e.Type + ")"
	}
	t := e.Modified.Time
	if c.env.FilePath(r, alert.High, e.Path, where, t, e) {
		if e.Type == "folder" {
			c.matched = e.Path
		}
		return
	}
	// The entry's own name as a process name: every component of every path is
	// some entry's name, so each is looked up once.
	if name := path.Base(e.Path); name != "" && name != "/" {
		level, at := alert.High, where+" at "+e.Path
		if onSystemVolume(e.Path) {
			level, at = alert.Medium, at+", on the read-only system volume where Apple's own programs are (a name some indicators share with an iOS program)"
		}
		if c.env.Process(r, level, name, at, t, e) && e.Type == "folder" {
			c.matched = e.Path
		}
	}
}

// systemVolume are the top folders of the system volume, read-only (and sealed since
// iOS 15): a program there is Apple's, and process indicators that reuse the name of an
// iOS program (Operation Triangulation's BackupAgent) would otherwise flag Apple's own
// file. Matches there are MEDIUM instead of HIGH.
var systemVolume = []string{"/System/", "/usr/", "/bin/", "/sbin/", "/Applications/"}

func onSystemVolume(p string) bool {
	for _, prefix := range systemVolume {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
