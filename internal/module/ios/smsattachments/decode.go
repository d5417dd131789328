package smsattachments

import (
	"github.com/spytrace/spytrace/internal/module/ios/sms"
	"github.com/spytrace/spytrace/internal/sqlitex"
)

// UnmarshalJSON reads a record written by spytrace or by MVT (see [Attachment]): the
// values the checks use come from MVT's keys (filename, isodate, is_outgoing or
// direction, phone_number).
func (a *Attachment) UnmarshalJSON(data []byte) error {
	var row sms.Row
	if err := row.UnmarshalJSON(data); err != nil {
		return err
	}
	*a = Attachment{Columns: make(sms.Row, 0, len(row)), Filename: "NULL"}
	var (
		firstErr                      error
		direction                     string
		hasID, hasCreated, hasOut     bool
		hasUserInfoKey, userInfoIsSet bool
	)
	bad := func(key string, got, want any) {
		if firstErr == nil {
			firstErr = sms.FieldError(a, key, got, want)
		}
	}
	for _, f := range row {
		v := f.Value
		switch f.Name {
		case "attachment_id":
			a.ID, hasID = int64Of(v)
			continue
		case "service":
			a.Service = sqlitex.Text(v)
			continue
		case "phone_number":
			a.PhoneNumber = sqlitex.Text(v)
			continue
		case "isodate":
			a.Created, hasCreated = sms.TimeValue(v), true
			continue
		case "direction":
			direction = sqlitex.Text(v)
			continue
		case "has_user_info":
			b, ok := v.(bool)
			if !ok && v != nil {
				bad(f.Name, v, b)
			}
			a.HasUserInfo, hasUserInfoKey = b, true
			continue
		case "message_id":
			a.MessageID, _ = int64Of(v)
			continue
		case "ROWID":
			if !hasID {
				a.ID, _ = int64Of(v)
			}
		case "start_date":
			switch v.(type) {
			case int64, float64: // the raw column
				a.Start = macTime(v)
			default:
				a.Start = sms.TimeValue(v)
			}
		case "filename":
			if v != nil {
				a.Filename = sqlitex.Text(v)
			}
		case "transfer_name":
			a.TransferName = sqlitex.Text(v)
		case "is_outgoing":
			n, _ := sqlitex.Int(v)
			a.Outgoing, hasOut = n != 0, true
		case "user_info":
			userInfoIsSet = v != nil
		}
		a.Columns = append(a.Columns, f)
	}
	if a.Service == "" {
		a.Service = "Unknown"
	}
	if !hasOut {
		a.Outgoing = direction == "sent"
	}
	if !hasUserInfoKey {
		a.HasUserInfo = userInfoIsSet
	}
	if !hasCreated {
		if v, ok := a.Columns.Value("created_date"); ok {
			a.Created = macTime(v)
		}
	}
	return firstErr
}

// int64Of reads an integer value of a record.
func int64Of(v any) (int64, bool) {
	switch v.(type) {
	case int64, float64:
		return sqlitex.Int(v)
	}
	return 0, false
}
