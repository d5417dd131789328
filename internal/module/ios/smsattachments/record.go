package smsattachments

import (
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/module/ios/sms"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Attachment is one attachment row joined to one message: every column, as MVT writes
// them, and MVT's derived keys.
//
// JSON: attachment_id, then the columns of attachment in table order (user_info,
// sticker_user_info, attribution_info and the other blobs in base64; start_date written
// as a date; filename "NULL" when NULL), then service, phone_number, isodate, direction
// and has_user_info (MVT's keys), then message_id (spytrace's addition).
type Attachment struct {
	// Columns holds the attachment row, in table order.
	Columns sms.Row
	// ID is attachment.ROWID (attachment_id).
	ID int64
	// MessageID is the ROWID of the message the attachment belongs to, 0 for none.
	MessageID int64
	// Service is the message's service ("iMessage", "SMS"…), "Unknown" without one.
	Service string
	// PhoneNumber is the handle of the message's other party: a phone number or an
	// Apple ID e-mail address ("" when unknown).
	PhoneNumber string
	// Created is created_date (isodate); Start is start_date.
	Created, Start timefmt.Time
	// Filename is the file's path on the phone, "NULL" when the column is NULL (MVT's
	// convention).
	Filename     string
	TransferName string
	Outgoing     bool
	// HasUserInfo says whether user_info is set (MVT's has_user_info).
	HasUserInfo bool
}

// Direction is MVT's direction: "sent" for an outgoing attachment, else "received".
func (a *Attachment) Direction() string {
	if a.Outgoing {
		return "sent"
	}
	return "received"
}

// MarshalJSON writes the record with MVT's keys (see [Attachment]).
func (a *Attachment) MarshalJSON() ([]byte, error) {
	out := make(sms.Row, 0, len(a.Columns)+8)
	out = append(out, sms.Field{Name: "attachment_id", Value: a.ID})
	for _, f := range a.Columns {
		switch f.Name {
		case "start_date":
			f.Value = a.Start
		case "filename":
			f.Value = a.Filename
		case "attachment_id", "service", "phone_number", "isodate", "direction", "has_user_info", "message_id":
			continue // a derived key wins over a column of the same name
		}
		out = append(out, f)
	}
	var message any
	if a.MessageID != 0 {
		message = a.MessageID
	}
	out = append(out,
		sms.Field{Name: "service", Value: a.Service},
		sms.Field{Name: "phone_number", Value: a.PhoneNumber},
		sms.Field{Name: "isodate", Value: a.Created},
		sms.Field{Name: "direction", Value: a.Direction()},
		sms.Field{Name: "has_user_info", Value: a.HasUserInfo},
		sms.Field{Name: "message_id", Value: message},
	)
	return out.MarshalJSON()
}

// Timeline puts the attachment on the timeline at its creation date.
func (a *Attachment) Timeline() []module.Event {
	return []module.Event{{Time: a.Created.Time, Event: "sms_attachment", Data: a.Filename + " " + a.Direction() + " " + a.party()}}
}

// party says who the attachment came from or went to: "from +41…", "to …".
func (a *Attachment) party() string {
	who := a.PhoneNumber
	if who == "" {
		who = "unknown"
	}
	if a.Outgoing {
		return "to " + who
	}
	return "from " + who
}

// where says in a few words what the attachment is, for alert messages.
func (a *Attachment) where() string {
	return "an attachment " + a.Direction() + " " + a.party() + sms.OnDate(a.Created.Time)
}
