package filesystem

import (
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

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
	where := "the file system (" + e.Type + ")"
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
		if c.env.Process(r, alert.High, name, where+" at "+e.Path, t, e) && e.Type == "folder" {
			c.matched = e.Path
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
