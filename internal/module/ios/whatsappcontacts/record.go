package whatsappcontacts

import (
	"math"
	"strconv"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/sqlitex"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Record is one row of ZWAADDRESSBOOKCONTACT, with MVT's keys. Keys whose column is
// absent from the database, or NULL, are null. spytrace adds "app", the bundle id of the
// app whose database the row comes from (net.whatsapp.WhatsApp or
// net.whatsapp.WhatsAppSMB).
type Record struct {
	RowPK                *int64  `json:"row_pk"`
	WhatsAppID           *string `json:"whatsapp_id"` // JID, e.g. "41791234567@s.whatsapp.net"
	LID                  *string `json:"lid"`         // e.g. "123456789012345@lid"
	PhoneNumber          *string `json:"phone_number"`
	LocalizedPhoneNumber *string `json:"localized_phone_number"`
	FullName             *string `json:"full_name"`
	GivenName            *string `json:"given_name"`
	LastName             *string `json:"last_name"`
	UserName             *string `json:"user_name"`
	BusinessName         *string `json:"business_name"`
	AboutText            *string `json:"about_text"`
	AboutEmoji           *string `json:"about_emoji"`
	Notes                *string `json:"notes"`
	// DisappearingModeDuration is the timer in seconds; null when the column is absent.
	DisappearingModeDuration  *float64     `json:"disappearing_mode_duration"`
	DisappearingModeTimestamp timefmt.Time `json:"disappearing_mode_timestamp"`
	AboutTimestamp            timefmt.Time `json:"about_timestamp"`
	AboutExpirationTimestamp  timefmt.Time `json:"about_expiration_timestamp"`
	LastUpdated               timefmt.Time `json:"last_updated"`
	PhoneStatus               *int64       `json:"phone_status"`
	SyncPolicy                *int64       `json:"sync_policy"`
	// DisappearingModeIsOn and DisappearingModeLabel are derived from the duration;
	// both are null when the database has no duration column.
	DisappearingModeIsOn  *bool   `json:"disappearing_mode_is_on"`
	DisappearingModeLabel *string `json:"disappearing_mode_label"`

	App string `json:"app"`
}

// durationLabels are WhatsApp's standard timer values, in seconds.
var durationLabels = map[int64]string{
	86400:   "24 hours",
	604800:  "7 days",
	1209600: "14 days",
	2592000: "30 days",
	7776000: "90 days",
}

// DurationLabel names a timer as MVT does: "off" for none, the standard values by name,
// others as "N seconds" (whole seconds).
func DurationLabel(seconds float64) string {
	if seconds == 0 || math.IsNaN(seconds) {
		return "off"
	}
	n, ok := sqlitex.Int(seconds)
	if !ok {
		return strconv.FormatFloat(seconds, 'g', -1, 64) + " seconds"
	}
	if l, ok := durationLabels[n]; ok {
		return l
	}
	return strconv.FormatInt(n, 10) + " seconds"
}

// recordOf converts a row of the query: Z_PK then one value per field.
func recordOf(v []any, hasDuration bool) *Record {
	f := func(i int) any { return v[i+1] }
	r := &Record{
		RowPK:                     integer(v[0]),
		WhatsAppID:                text(f(fWhatsAppID)),
		LID:                       text(f(fLID)),
		PhoneNumber:               text(f(fPhone)),
		LocalizedPhoneNumber:      text(f(fLocalizedPhone)),
		FullName:                  text(f(fFullName)),
		GivenName:                 text(f(fGivenName)),
		LastName:                  text(f(fLastName)),
		UserName:                  text(f(fUserName)),
		BusinessName:              text(f(fBusinessName)),
		AboutText:                 text(f(fAboutText)),
		AboutEmoji:                text(f(fAboutEmoji)),
		Notes:                     text(f(fNotes)),
		DisappearingModeTimestamp: macTime(f(fDisappearingTimestamp)),
		AboutTimestamp:            macTime(f(fAboutTimestamp)),
		AboutExpirationTimestamp:  macTime(f(fAboutExpiration)),
		LastUpdated:               macTime(f(fLastUpdated)),
		PhoneStatus:               integer(f(fPhoneStatus)),
		SyncPolicy:                integer(f(fSyncPolicy)),
	}
	if hasDuration {
		var d float64
		if x, ok := sqlitex.Float(f(fDuration)); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
			d = x
			r.DisappearingModeDuration = &d
		}
		on := d != 0
		label := DurationLabel(d)
		r.DisappearingModeIsOn, r.DisappearingModeLabel = &on, &label
	}
	return r
}

func text(v any) *string {
	if v == nil {
		return nil
	}
	s := sqlitex.Text(v)
	return &s
}

func integer(v any) *int64 {
	n, ok := sqlitex.Int(v)
	if !ok {
		return nil
	}
	return &n
}

func macTime(v any) timefmt.Time {
	f, ok := sqlitex.Float(v)
	if !ok {
		return timefmt.Time{}
	}
	return timefmt.Of(timefmt.FromMacAbsolute(f))
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Contact names the contact as MVT's timeline does: its JID, else its LID, else its phone
// number ("unknown" when it has none), followed by the full name in parentheses.
func (r *Record) Contact() string {
	c := str(r.WhatsAppID)
	if c == "" {
		c = str(r.LID)
	}
	if c == "" {
		c = str(r.PhoneNumber)
	}
	if c == "" {
		c = "unknown"
	}
	if n := str(r.FullName); n != "" {
		c += " (" + n + ")"
	}
	return c
}

// Timeline implements module.Timeliner with MVT's events: disappearing_mode_set,
// about_changed, about_expiration and contact_last_updated.
func (r *Record) Timeline() []module.Event {
	var out []module.Event
	contact := r.Contact()
	if !r.DisappearingModeTimestamp.IsZero() {
		label := "unknown"
		if r.DisappearingModeLabel != nil {
			label = *r.DisappearingModeLabel
		}
		out = append(out, module.Event{Time: r.DisappearingModeTimestamp.Time, Event: "disappearing_mode_set",
			Data: "WhatsApp disappearing messages timer set to '" + label + "' for " + contact})
	}
	if !r.AboutTimestamp.IsZero() {
		data := "WhatsApp about text of " + contact + " changed"
		if t := str(r.AboutText); t != "" {
			data += ` to "` + t + `"`
		}
		out = append(out, module.Event{Time: r.AboutTimestamp.Time, Event: "about_changed", Data: data})
	}
	if !r.AboutExpirationTimestamp.IsZero() {
		out = append(out, module.Event{Time: r.AboutExpirationTimestamp.Time, Event: "about_expiration",
			Data: "WhatsApp about text of " + contact + " scheduled to expire"})
	}
	if !r.LastUpdated.IsZero() {
		out = append(out, module.Event{Time: r.LastUpdated.Time, Event: "contact_last_updated",
			Data: "WhatsApp contact record for " + contact + " updated"})
	}
	return out
}
