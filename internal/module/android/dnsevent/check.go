package dnsevent

import (
	"fmt"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// checker looks the host name, each address and the package up in the indicators, at
// MVT's level (CRITICAL).
type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	t := rec.Timestamp.Time
	by := orUnknown(rec.PackageName)
	if rec.Hostname != "" {
		c.env.Domain(r, alert.Critical, rec.Hostname, fmt.Sprintf("a DNS lookup by %s (intrusion log)", by), t, rec)
	}
	for _, ip := range rec.IPAddresses {
		c.env.Domain(r, alert.Critical, ip, fmt.Sprintf("the answer to a DNS lookup of %s by %s (intrusion log)", orUnknown(rec.Hostname), by), t, rec)
	}
	if rec.PackageName != "" {
		c.env.AppID(r, alert.Critical, rec.PackageName, fmt.Sprintf("the app that looked up %s (intrusion log)", orUnknown(rec.Hostname)), t, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
