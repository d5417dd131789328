package calls

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Directions.
const (
	Incoming = "incoming"
	Outgoing = "outgoing"
)

// Call is one call. The first five keys are MVT's; the others are spytrace's.
type Call struct {
	IsoDate  timefmt.Time `json:"isodate"`  // ZDATE (Mac absolute) or date (Unix)
	Duration *float64     `json:"duration"` // seconds; null when not recorded
	Location string       `json:"location"` // ZLOCATION, as stored
	Number   string       `json:"number"`   // ZADDRESS (or address), decoded as text
	Provider string       `json:"provider"` // ZSERVICE_PROVIDER ("" before iOS 10)

	ID        int64  `json:"id"`                  // Z_PK, or ROWID in call_history.db
	Direction string `json:"direction,omitempty"` // "incoming" or "outgoing"
	// Answered is ZANSWERED; iOS sets it reliably for incoming calls only (an
	// unanswered incoming call is a missed call).
	Answered          *bool    `json:"answered,omitempty"`
	CallType          string   `json:"call_type,omitempty"` // see callTypeName
	Name              string   `json:"name,omitempty"`      // ZNAME
	DisconnectedCause *int64   `json:"disconnected_cause,omitempty"`
	UniqueID          string   `json:"unique_id,omitempty"`
	CountryCode       string   `json:"iso_country_code,omitempty"`
	Participants      []string `json:"participants,omitempty"` // remote handles of a group call
	Flags             *int64   `json:"flags,omitempty"`        // call_history.db only
	Database          string   `json:"call_history_db"`        // base name of the database read
}

// callTypeName names ZCALLTYPE; unknown values keep their number.
func callTypeName(t int64) string {
	switch t {
	case 0:
		return "third_party_app"
	case 1:
		return "phone"
	case 8:
		return "facetime_video"
	case 16:
		return "facetime_audio"
	}
	return strconv.FormatInt(t, 10)
}

// apps gives a readable name to the CallKit apps an analyst meets most.
var apps = map[string]string{
	"net.whatsapp.WhatsApp":      "WhatsApp",
	"net.whatsapp.WhatsAppSMB":   "WhatsApp Business",
	"org.whispersystems.signal":  "Signal",
	"ph.telegra.Telegraph":       "Telegram",
	"com.viber":                  "Viber",
	"com.skype.skype":            "Skype",
	"com.microsoft.skype.teams":  "Microsoft Teams",
	"us.zoom.videomeetings":      "Zoom",
	"com.facebook.Messenger":     "Messenger",
	"com.burbn.instagram":        "Instagram",
	"im.vector.app":              "Element",
	"chat.rocket.ios":            "Rocket.Chat",
	"com.wire":                   "Wire",
	"ch.threema.iapp":            "Threema",
	"com.google.Duo":             "Google Meet",
	"jp.naver.line":              "LINE",
	"com.tencent.xin":            "WeChat",
	"com.apple.Telephony":        "phone",
	"com.apple.FaceTime":         "FaceTime",
	"com.apple.CommunicationsUI": "FaceTime",
}

// Kind says what sort of call it was: "phone", "FaceTime audio", "WhatsApp"…
func (c *Call) Kind() string {
	switch c.Provider {
	case "com.apple.Telephony":
		return "phone"
	case "com.apple.FaceTime":
		switch c.CallType {
		case "facetime_video":
			return "FaceTime video"
		case "facetime_audio":
			return "FaceTime audio"
		}
		return "FaceTime"
	case "":
		switch c.CallType {
		case "facetime_video":
			return "FaceTime video"
		case "facetime_audio":
			return "FaceTime audio"
		case "third_party_app":
			return "app"
		}
		return "phone"
	}
	if name, ok := apps[c.Provider]; ok {
		return name
	}
	return c.Provider
}

// Missed reports an incoming call that was not answered.
func (c *Call) Missed() bool {
	return c.Direction == Incoming && c.Answered != nil && !*c.Answered
}

// party names the other side: the number (with the name shown, if any), else the
// participants of a group call.
func (c *Call) party() string {
	p := c.Number
	switch {
	case p == "" && len(c.Participants) > 0:
		p = strings.Join(c.Participants, ", ")
	case p == "":
		p = "an unknown number"
	}
	if c.Name != "" && c.Name != c.Number {
		p += " (" + c.Name + ")"
	}
	return p
}

// Summary describes the call in one line: "Outgoing FaceTime audio call to
// anna@icloud.com, 3m12s", "Missed phone call from +41791234567".
func (c *Call) Summary() string {
	var b strings.Builder
	switch {
	case c.Missed():
		b.WriteString("Missed ")
	case c.Direction == Outgoing:
		b.WriteString("Outgoing ")
	case c.Direction == Incoming:
		b.WriteString("Incoming ")
	}
	kind := c.Kind()
	if b.Len() == 0 {
		r, n := utf8.DecodeRuneInString(kind)
		kind = string(unicode.ToUpper(r)) + kind[n:]
	}
	b.WriteString(kind)
	b.WriteString(" call ")
	switch c.Direction {
	case Outgoing:
		b.WriteString("to ")
	case Incoming:
		b.WriteString("from ")
	default:
		b.WriteString("with ")
	}
	b.WriteString(c.party())
	if c.Duration != nil && !c.Missed() {
		if d := time.Duration(*c.Duration * float64(time.Second)).Round(time.Second); d > 0 {
			b.WriteString(", " + d.String())
		} else if c.Direction == Outgoing {
			b.WriteString(", not connected")
		}
	}
	return b.String()
}

// Timeline implements module.Timeliner: "call" (MVT's event name) at the call's date.
func (c *Call) Timeline() []module.Event {
	return []module.Event{{Time: c.IsoDate.Time, Event: "call", Data: c.Summary()}}
}

// Addresses returns the e-mail addresses among the number and the participants, once
// each.
func (c *Call) Addresses() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range append([]string{c.Number}, c.Participants...) {
		k := strings.ToLower(a)
		if strings.Contains(a, "@") && !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}
