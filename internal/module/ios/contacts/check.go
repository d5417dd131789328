package contacts

import (
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// checker looks e-mail addresses and URLs saved in the address book up in the
// indicators.
type checker struct {
	env *check.Env
}

// Check implements check.Checker: an e-mail value is looked up as an e-mail address, a
// URL value as a URL (and through it its domain), both CRITICAL. The alert's time is
// the contact's creation date (its modification date when that is unknown).
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Contact)
	if !ok {
		return
	}
	value := strings.TrimSpace(rec.Value)
	if value == "" {
		return
	}
	t := rec.when().Time
	switch {
	case rec.IsEmail():
		c.env.Email(r, alert.Critical, value, "the address book (e-mail address of "+rec.Person()+")", t, rec)
	case rec.IsURL():
		c.env.URL(r, alert.Critical, value, "the address book (web page of "+rec.Person()+")", t, rec)
	}
}

// Finish implements check.Checker; every check is per value.
func (c *checker) Finish(*check.Reporter) {}
