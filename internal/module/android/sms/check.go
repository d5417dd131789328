package sms

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker returns the checks of one run.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{env: env} }

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Message](data) }

type checker struct{ env *check.Env }

// Check looks each link of the message, and an MMS's download address, up in the
// URL and domain indicators (CRITICAL, as MVT).
func (c *checker) Check(rec any, r *check.Reporter) {
	msg, ok := rec.(*Message)
	if !ok {
		return
	}
	where, t := msg.where(), msg.Date.Time
	for _, l := range msg.Links {
		c.env.URL(r, alert.Critical, l, where, t, msg)
	}
	if msg.ContentLocation != "" {
		c.env.URL(r, alert.Critical, msg.ContentLocation, "the download address of "+where, t, msg)
	}
}

// Finish has nothing to do: every check is per message.
func (c *checker) Finish(*check.Reporter) {}
