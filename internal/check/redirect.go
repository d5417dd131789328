package check

import "github.com/spytrace/spytrace/internal/alert"

// FastRedirect returns the heuristic of browser-history modules for a cleartext visit
// redirected in under a second to another site (see urlx.FastCrossSiteRedirect), with
// the check ID id and texts naming the browser ("Safari", "Chrome").
func FastRedirect(id, browser string) Heuristic {
	return Heuristic{
		ID:    id,
		Level: alert.Medium,
		Meaning: browser + " opened an unencrypted (http://) address and, in less than a second and without anyone " +
			"clicking, was sent on to a page of a different website. Unencrypted pages can be rewritten by whoever " +
			"controls the network on the way: this is how network injection works, and it is the pattern Amnesty " +
			"International's Pegasus forensic methodology describes. In Morocco, a journalist's visit to " +
			"http://yahoo.fr was intercepted on the mobile network and redirected within milliseconds to a Pegasus " +
			"installation server (a free247downloads.com address on an unusual port).",
		FalsePositive: "Many ordinary services redirect instantly: Wi-Fi log-in pages of hotels, airports and cafés " +
			"(captive portals), link shorteners and e-mail or advertising tracking links that lead to the real site, " +
			"and old http:// addresses that now forward to the https:// site of another domain (a company or " +
			"newspaper that moved). A well-known destination, a portal or a shortener is usually innocent; a " +
			"random-looking host name, an unusual port number, or a domain nobody can place is not.",
		Advice: "Look the destination domain up in current indicators and public research. Read the timeline in " +
			"the minutes after the redirect for crashes, new or unknown processes and data usage. Ask the person " +
			"whether they remember the page and which network they were on. Keep the evidence unchanged and get a " +
			"second opinion from an experienced analyst before drawing conclusions.",
	}
}
