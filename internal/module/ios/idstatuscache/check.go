package idstatuscache

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NULBytes is raised for a looked-up address holding two or more NUL characters.
var NULBytes = check.Heuristic{
	ID:    "id_status_cache/nul-bytes",
	Level: alert.High,
	Meaning: "iOS looked up, through iMessage, FaceTime or another Apple service, an address containing NUL characters. " +
		"Nobody can type such an address and no contact card holds one: the lookup was made for an identifier built by software, " +
		"for example while the phone processed a crafted incoming message. MVT's maintainers flag this pattern as a trace of " +
		"exploitation attempts over Apple's messaging services; public reports do not describe it in detail.",
	FalsePositive: "A corrupted preferences file, or an app or test tool calling Apple's identity services with a badly built " +
		"address, can produce the same entry. One malformed lookup is not proof of an attack.",
	Advice: "Look at what happened on the phone in the minutes after the lookup date: iMessage attachments, processes first seen " +
		"in DataUsage, crash logs of imagent, IMTranscoderAgent or BlastDoor. Compare the readable part of the address with " +
		"published attacker accounts, and keep the acquisition unchanged for an experienced analyst.",
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	if rec.NULCount >= 2 {
		NULBytes.Raise(r, fmt.Sprintf("An address with %d NUL characters, %s, was looked up through %s%s",
			rec.NULCount, rec.User, rec.service(), on(rec)), rec.Isodate.Time, rec)
	}
	if addr, ok := emailOf(rec.User); ok {
		where := fmt.Sprintf("a lookup through %s%s", rec.service(), on(rec))
		c.env.Email(r, alert.Critical, addr, where, rec.Isodate.Time, rec)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

// emailOf returns the address of a "mailto:" user, without the NUL bytes (written \x00)
// and quotes a malformed entry may hold.
func emailOf(user string) (string, bool) {
	addr, ok := strings.CutPrefix(user, "mailto:")
	if !ok {
		return "", false
	}
	addr = strings.Trim(strings.ReplaceAll(addr, `\x00`, ""), " '\"")
	return addr, addr != ""
}

func on(rec *Record) string {
	if rec.Isodate.IsZero() {
		return ""
	}
	return " on " + rec.Isodate.String()
}
