package contacts

import (
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// ABMultiValue properties.
const (
	propPhone   = 3
	propEmail   = 4
	propAddress = 5
	propDate    = 12
	propIM      = 13
	propURL     = 22
	propRelated = 23
	propSocial  = 46
)

// Contact is one value of one contact. The first five keys are MVT's; the others are
// spytrace's.
type Contact struct {
	Value        string `json:"value"`
	First        string `json:"first"`
	Middle       string `json:"middle"`
	Last         string `json:"last"`
	Organization string `json:"organization"`

	PersonID int64  `json:"person_id"`      // ABPerson.ROWID
	Kind     string `json:"kind,omitempty"` // "phone", "email", "url"… (see kindName)
	Property *int64 `json:"property,omitempty"`
	Label    string `json:"label,omitempty"` // "Mobile", "Home", or a custom label
	// CreationDate and ModificationDate are the contact's (ABPerson), not the value's.
	CreationDate     timefmt.Time `json:"creation_date"`
	ModificationDate timefmt.Time `json:"modification_date"`
}

// kindName names an ABMultiValue property; unknown ones keep their number.
func kindName(p int64) string {
	switch p {
	case propPhone:
		return "phone"
	case propEmail:
		return "email"
	case propAddress:
		return "address"
	case propDate:
		return "date"
	case propIM:
		return "instant_message"
	case propURL:
		return "url"
	case propRelated:
		return "related_name"
	case propSocial:
		return "social_profile"
	}
	return strconv.FormatInt(p, 10)
}

// Person names the contact: "First Middle Last (Organization)", or what of it exists.
func (c *Contact) Person() string {
	var parts []string
	for _, p := range []string{c.First, c.Middle, c.Last} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	name := strings.Join(parts, " ")
	switch {
	case name == "" && c.Organization != "":
		return c.Organization
	case name == "":
		return "a contact without a name"
	case c.Organization != "":
		return name + " (" + c.Organization + ")"
	}
	return name
}

// IsEmail reports whether the value is an e-mail address: property 4, or, when the
// property is not recorded, a value shaped like one.
func (c *Contact) IsEmail() bool {
	if c.Property != nil {
		return *c.Property == propEmail
	}
	v := strings.TrimSpace(c.Value)
	return strings.Count(v, "@") == 1 && !strings.ContainsAny(v, " /:") && !strings.HasPrefix(v, "@")
}

// IsURL reports whether the value is a web address: property 22, or, when the property
// is not recorded, a value starting with http:// or https://.
func (c *Contact) IsURL() bool {
	if c.Property != nil {
		return *c.Property == propURL
	}
	v := strings.ToLower(strings.TrimSpace(c.Value))
	return strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://")
}

// Timeline implements module.Timeliner: contact_created at the contact's creation date
// and contact_modified at its modification date when it differs. Every value of a
// contact yields the same events, which the timeline writes once.
func (c *Contact) Timeline() []module.Event {
	var evs []module.Event
	who := c.Person()
	if !c.CreationDate.IsZero() {
		evs = append(evs, module.Event{Time: c.CreationDate.Time, Event: "contact_created", Data: "Contact created: " + who})
	}
	if !c.ModificationDate.IsZero() && !c.ModificationDate.Equal(c.CreationDate.Time) {
		evs = append(evs, module.Event{Time: c.ModificationDate.Time, Event: "contact_modified", Data: "Contact modified: " + who})
	}
	return evs
}

// URLs implements module.URLLister: a URL value, at the contact's creation date (its
// modification date when the creation date is unknown).
func (c *Contact) URLs() []module.URL {
	if !c.IsURL() || strings.TrimSpace(c.Value) == "" {
		return nil
	}
	return []module.URL{{URL: strings.TrimSpace(c.Value), Time: c.when().Time}}
}

// when is the time of the contact's alerts and URLs.
func (c *Contact) when() timefmt.Time {
	if !c.CreationDate.IsZero() {
		return c.CreationDate
	}
	return c.ModificationDate
}
