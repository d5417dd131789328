package whatsapp

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NewChecker returns the checks of one run.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// checker looks every link of every message up in the indicators. LID pairs and chat
// sessions carry nothing an indicator describes.
type checker struct {
	env *check.Env
}

// Check judges one record.
func (c *checker) Check(rec any, r *check.Reporter) {
	msg, ok := rec.(*Message)
	if !ok {
		return
	}
	for _, link := range msg.Links {
		c.env.URL(r, alert.Critical, link, msg.where(), msg.Date.Time, msg)
	}
}

// Finish has nothing to do: every check is per message.
func (c *checker) Finish(*check.Reporter) {}
