package urlx

import (
	"net/url"
	"strings"
)

// shorteners are host names of public URL-shortening services: a link on one of them
// hides its destination until it is followed. The list is spytrace's own, from the
// services' public names; mercenary spyware operators have also run their own
// shorteners, which only indicators can name.
var shorteners = map[string]bool{}

func init() {
	for _, h := range strings.Fields(`
		1url.com 2u.pm adf.ly aka.ms amzn.to amzn.eu apple.co bbc.in bit.do bit.ly bitly.com bitly.is
		bl.ink buff.ly cli.gs clck.ru cnn.it cutt.ly cutt.us db.tt dlvr.it fb.me g.co goo.gl goo.su
		ibm.co ift.tt is.gd j.mp lc.chat linktr.ee lnkd.in mcaf.ee msft.it mzl.la nyti.ms on.fb.me ow.ly
		po.st q.gs qr.ae qr.net rb.gy rebrand.ly reut.rs s.id shor.by short.io shorte.st shorturl.at
		snip.ly soo.gd spoti.fi su.pr surl.li t.co t.ly t.me tiny.cc tinyurl.com tny.im tr.im trib.al
		u.to urlr.me urlz.fr v.gd wapo.st wp.me x.co y2u.be youtu.be zpr.io
	`) {
		shorteners[h] = true
	}
}

// IsShortener reports whether link (a URL, with or without a scheme, or a bare host)
// is on a public URL-shortening service. Only the host is looked at, case-insensitively,
// with a leading "www." ignored.
func IsShortener(link string) bool {
	host := hostOf(link)
	host = strings.TrimPrefix(host, "www.")
	return shorteners[host]
}

// hostOf returns the lower-cased host of a link; a link without a scheme is read as
// if it had one.
func hostOf(link string) string {
	link = strings.TrimSpace(link)
	if len(link) > MaxURLBytes {
		link = link[:MaxURLBytes]
	}
	if !strings.Contains(link, "://") {
		link = "http://" + link
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}
