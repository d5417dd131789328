// Package sms reads the SMS and text MMS of an Android backup: the files the telephony
// provider's backup agent (TelephonyBackupAgent) writes into "adb backup".
//
// # Artifact
//
// In the backup's tar: apps/com.android.providers.telephony/d_f/NNNNNN_sms_backup and
// NNNNNN_mms_backup (Android 7 and later, the device-protected files folder, on the
// phone /data/user_de/0/com.android.providers.telephony/files/ while the agent runs),
// or …/f/… (Android 6, /data/data/com.android.providers.telephony/files/). One
// counter numbers both kinds, oldest messages first, at most 1000 messages a file.
// Each file is a zlib (RFC 1950) stream of one JSON array of objects whose values are
// the provider's columns written as strings:
//
//   - SMS (the sms table): self_phone (the owner's number for the SIM), address,
//     body, subject, date, date_sent, status, type, recipients (the thread's
//     addresses), archived, read;
//   - MMS (pdu, addr and part tables; only MMS with text are backed up): self_phone,
//     sub (subject), date, date_sent, m_type, v, msg_box, ct_l (the MMSC download
//     address), recipients, tr_id, read, mms_addresses [{type, address, charset}]
//     (type 137 from, 151 to, 130 cc, 129 bcc), mms_body, mms_charset, sub_cs.
//
// # Time bases
//
// SMS date and date_sent are Unix milliseconds; MMS date and date_sent are Unix
// seconds (the MMS tables store seconds). Both are UTC instants. date is when the
// phone stored the message; for a received SMS date_sent is the service centre's
// timestamp, for a sent one it is 0. As a guard against exports that changed units, a
// value is read by magnitude when it cannot be in its file's unit (an MMS date of 1e11
// or more is milliseconds, an SMS date under 1e11 is seconds).
//
// # Direction
//
// From the box the message is in: SMS type 1 inbox → "received"; 2 sent, 4 outbox,
// 5 failed, 6 queued → "sent"; 3 draft → "draft". MMS msg_box 1 inbox → "received";
// 2 sent, 4 outbox, 5 failed → "sent"; 3 drafts → "draft"; without a known msg_box,
// m_type 128 (send-req) → "sent", 130 or 132 (notification, retrieve-conf) →
// "received". Anything else is "unknown". The box is named in the extra key "box".
//
// # Records
//
// One [Message] per message, in file order: every key of the JSON object in its order
// (mms_body renamed body, as MVT does), then MVT's isodate, direction and links, then
// spytrace's message_kind ("sms" or "mms"), box, isodate_sent and, for an MMS, the
// address of the other party (the sender of a received MMS, the recipients of a sent
// one). Links are found in the body and the subject (package urlx).
//
// # MVT
//
// This is MVT's SMS module of check-backup (slug sms). Differences, all fixes:
//   - MMS dates are read as seconds (MVT divides them by 1000, giving dates in 1970);
//   - the direction comes from the box: MVT calls a message "sent" when date_sent is
//     not 0, which is the reverse of the truth for SMS (a received SMS carries the
//     service centre's date_sent, a sent one 0);
//   - messages go on the timeline (sms_received, sms_sent, sms_draft; "sms" when the
//     direction is unknown): MVT has no timeline for them;
//   - the Android 6 folder (f/) is read as well as d_f/;
//   - links in MMS subjects and the MMS download address (ct_l) are checked too;
//   - a file that is damaged after some messages keeps those messages.
package sms

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module"
)

// Name is the module's slug (MVT's).
const Name = "sms"

// Paths of the telephony backup files.
const (
	Dir  = "apps/com.android.providers.telephony/d_f"
	DirM = "apps/com.android.providers.telephony/f" // Android 6
)

// maxInflated bounds one file once inflated: 1000 text messages take far less.
const maxInflated = 256 << 20

// Module reads the telephony backup.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "SMS",
		Version:     1,
		Description: "SMS and text MMS of an Android backup (the telephony provider's backup files), with the links they carry",
		Kinds:       []acquire.Kind{acquire.AndroidBackup, acquire.AndroidQF},
		Paths: []string{
			Dir + "/*_sms_backup", Dir + "/*_mms_backup",
			DirM + "/*_sms_backup", DirM + "/*_mms_backup",
		},
	}
}

// Run reads every file in name order (the agent's numbering, oldest first).
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachFile(ctx, in, out, func(name string) error {
		data, err := in.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read %q: %w", name, err)
		}
		kind := KindSMS
		if strings.HasSuffix(name, "_mms_backup") {
			kind = KindMMS
		}
		msgs, problems, err := Parse(kind, data)
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		for _, p := range problems {
			out.Problem("%s: %s", name, p)
		}
		for i, msg := range msgs {
			msg.File = path.Base(name)
			if i%1000 == 999 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := out.Record(msg); err != nil {
				return err
			}
		}
		return nil
	})
}

// Kinds of files.
const (
	KindSMS = "sms"
	KindMMS = "mms"
)

// Parse reads one backup file (zlib-compressed JSON array) of the given kind. It
// returns the messages read, what it could only partly read, and an error when no
// message could be read from a file that is damaged.
func Parse(kind string, compressed []byte) ([]*Message, []string, error) {
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, nil, fmt.Errorf("not a zlib stream: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxInflated+1))
	var problems []string
	switch {
	case len(data) > maxInflated:
		return nil, nil, fmt.Errorf("more than %d bytes once inflated: not a telephony backup file", maxInflated)
	case err != nil:
		problems = append(problems, fmt.Sprintf("the zlib stream is damaged (%v); the messages before the damage are kept", err))
	}
	objs, perr := parseArray(data)
	var msgs []*Message
	for i, o := range objs {
		if o.err != "" {
			problems = append(problems, fmt.Sprintf("message %d: %s", i+1, o.err))
			continue
		}
		msg, ps := newMessage(kind, o.fields)
		for _, p := range ps {
			problems = append(problems, fmt.Sprintf("message %d: %s", i+1, p))
		}
		msgs = append(msgs, msg)
	}
	if perr != nil {
		if len(msgs) == 0 {
			return nil, nil, errors.Join(append([]error{perr}, errorsOf(problems)...)...)
		}
		problems = append(problems, fmt.Sprintf("%v; the %d messages before it are kept", perr, len(msgs)))
	}
	return msgs, problems, nil
}

func errorsOf(ps []string) []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = errors.New(p)
	}
	return out
}
