package calls

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// checker looks the Apple IDs of FaceTime calls up in the e-mail indicators.
type checker struct {
	env *check.Env
}

// Check implements check.Checker: every e-mail address among the call's number and
// participants is looked up (CRITICAL), as MVT does for the senders of iMessages.
func (c *checker) Check(v any, r *check.Reporter) {
	call, ok := v.(*Call)
	if !ok {
		return
	}
	addrs := call.Addresses()
	if len(addrs) == 0 {
		return
	}
	where := "the call history (" + call.Summary()
	if !call.IsoDate.IsZero() {
		where += ", on " + call.IsoDate.String()
	}
	where += ")"
	for _, a := range addrs {
		c.env.Email(r, alert.Critical, a, where, call.IsoDate.Time, call)
	}
}

// Finish implements check.Checker; every check is per call.
func (c *checker) Finish(*check.Reporter) {}
