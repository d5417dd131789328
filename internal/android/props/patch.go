package props

import (
	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// OldPatchHeuristic returns the old-security-patch heuristic of the module slug, for an
// acquisition that "when" describes ("when the bug report was taken", "when androidqf
// collected it"): a security patch level more than PatchMaxAge older than the
// acquisition's own date.
func OldPatchHeuristic(slug, when string) check.Heuristic {
	return check.Heuristic{
		ID:    slug + "/old-security-patch",
		Level: alert.Medium,
		Meaning: "The phone's security patch level was more than six months old " + when + ". Spyware vendors " +
			"use vulnerabilities that monthly Android security updates fix; a phone without them stays exposed to exploits that " +
			"are public and cheap to reuse. This is a risk, not a sign of infection.",
		FalsePositive: "Many phones stop receiving updates after a few years, and some vendors ship patches late; the owner may " +
			"simply not have installed a pending update.",
		Advice: "Check Settings › System › Software update (or the vendor's equivalent) and install every pending update. If the " +
			"phone no longer receives updates and its owner is at risk of targeted spyware, recommend a supported phone.",
	}
}
