package connectevent

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/check"
)

// checker looks the remote address (unless it is local to the phone) and the package
// up in the indicators, at MVT's level (CRITICAL).
type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	t := rec.Timestamp.Time
	by := orUnknown(rec.PackageName)
	if rec.IPAddress != "" && !intrusionlog.Local(rec.IPAddress) {
		c.env.Domain(r, alert.Critical, rec.IPAddress, fmt.Sprintf("a connection opened by %s (intrusion log)", by), t, rec)
	}
	if rec.PackageName != "" {
		c.env.AppID(r, alert.Critical, rec.PackageName, fmt.Sprintf("the app that connected to %s (intrusion log)", orUnknown(rec.IPAddress)), t, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
