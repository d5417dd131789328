package whatsapp

import (
	"encoding/json"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
)

// NewChecker returns the checks of one run.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env}
}

// DecodeRecord implements module.Reloadable: the record_type key tells a LID pair and a
// chat session from a message (MVT writes no record_type on messages).
func (m *Module) DecodeRecord(data []byte) (any, error) {
	var head struct {
		RecordType any `json:"record_type"`
	}
	if err := json.Unmarshal(data, &head); err != nil && !module.IsFieldTypeError(err) {
		return nil, err
	}
	switch head.RecordType {
	case TypeLIDPair:
		return module.Decode[LIDPair](data)
	case TypeChatSession:
		return module.Decode[ChatSession](data)
	}
	return module.Decode[Message](data)
}

// checker looks every link of every message up in the indicators. LID pairs and chat
// sessions carry nothing an indicator describes.
type checker struct {
	env *check.Env
}

// Check judges one record.
func (c *checker) Check(rec any, r *check.Reporter) {
	msg, ok := rec.(*Message)
	if !ok {
		return
	}
	for _, link := range msg.Links {
		c.env.URL(r, alert.Critical, link, msg.where(), msg.Date.Time, msg)
	}
}

// Finish has nothing to do: every check is per message.
func (c *checker) Finish(*check.Reporter) {}
