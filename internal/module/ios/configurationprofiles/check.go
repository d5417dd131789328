package configurationprofiles

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NotificationSettings is raised for a profile that sets apps' notifications.
var NotificationSettings = check.Heuristic{
	ID:    "configuration_profiles/notification-settings",
	Level: alert.Medium,
	Meaning: "The profile carries notification settings: it can turn off or hide the notifications of chosen apps. MVT flags such " +
		"profiles because an attacker can use them to hide notifications that would reveal an attack or a monitoring app.",
	FalsePositive: "Device management by an employer or a school sets notifications for the apps it manages, and some " +
		"parental-control or focus apps install such profiles.",
	Advice: "Read which apps the settings apply to (NotificationSettings in the payload) and who signed and installed the profile " +
		"(organisation, signer, the profile events log). Ask the owner whether they know it; remove a profile they do not need.",
}

// RootCertificate is raised for a profile that installs a certificate.
var RootCertificate = check.Heuristic{
	ID:    "configuration_profiles/root-certificate",
	Level: alert.Medium,
	Meaning: "The profile installs a certificate. Once the owner trusts a root certificate (Settings › General › About › " +
		"Certificate Trust Settings), whoever holds its private key can read and alter the phone's encrypted web traffic that " +
		"passes through their network; stalkerware and traffic-interception services ask their targets to install one.",
	FalsePositive: "Employers, schools, VPN and security apps, debugging proxies and some carriers install certificates for " +
		"legitimate reasons. A certificate alone intercepts nothing: it must also be trusted, and traffic must pass through its " +
		"holder's network or proxy.",
	Advice: "Identify who issued the certificate (the payload's name, the profile's organisation and signer), check in Settings " +
		"whether full trust is enabled for it, and ask the owner who asked them to install it. Remove profiles the owner does not " +
		"need, and look for a proxy or VPN installed at the same time.",
}

// NetworkTraffic is raised for a profile that routes traffic or name lookups.
var NetworkTraffic = check.Heuristic{
	ID:    "configuration_profiles/network-traffic",
	Level: alert.Low,
	Meaning: "The profile sends the phone's traffic or name lookups through a proxy, a VPN, a DNS server, a relay or a content " +
		"filter chosen by its author, who can then see which sites and services the phone contacts, and their content if a " +
		"trusted certificate of theirs is also installed.",
	FalsePositive: "Common and usually benign: VPN apps, privacy DNS services, content filters and parental controls, and the " +
		"networks of schools and employers install such profiles.",
	Advice: "Read the servers named in the payload, check that the owner knows the provider, and look for a certificate profile " +
		"installed at the same time.",
}

// MDMEnrollment is raised for a profile that enrolls the phone in device management.
var MDMEnrollment = check.Heuristic{
	ID:    "configuration_profiles/mdm-enrollment",
	Level: alert.Low,
	Meaning: "The profile enrolls the phone in mobile device management (MDM): depending on the rights granted, the management " +
		"server can install and remove apps and profiles, list the installed apps, change settings, and lock or erase the phone. " +
		"Attackers have enrolled their targets' iPhones in their own MDM servers to push malicious apps (Cisco Talos, 2018).",
	FalsePositive: "Most enrollments are the device management of an employer, a school or a family organisation that the owner " +
		"agreed to; phones bought through a company are often enrolled automatically.",
	Advice: "Read the server address (ServerURL in the payload) and the organisation, and ask the owner whether they know them. " +
		"An enrollment they do not recognise is serious: look for the apps and profiles it installed before removing it.",
}

// PayloadRule is one payload heuristic: the payload types it looks for and how messages
// name them. The rules are shared with the sysdiagnose_profiles module.
type PayloadRule struct {
	Heuristic check.Heuristic
	Types     []string
	What      string
}

// PayloadRules are the payload heuristics, in report order.
var PayloadRules = []PayloadRule{
	{NotificationSettings, []string{"com.apple.notificationsettings"}, "a notification-settings payload"},
	{RootCertificate, []string{"com.apple.security.root", "com.apple.security.pkcs1", "com.apple.security.pem"}, "a certificate payload"},
	{NetworkTraffic, []string{"com.apple.proxy.http.global", "com.apple.dnsSettings.managed", "com.apple.dnsProxy.managed",
		"com.apple.vpn.managed", "com.apple.vpn.managed.applayer", "com.apple.webcontent-filter", "com.apple.relay.managed"}, "a traffic-routing payload"},
	{MDMEnrollment, []string{"com.apple.mdm"}, "a device-management enrollment payload"},
}

// PayloadMatch is a rule that a profile's payload types match, with the types found.
type PayloadMatch struct {
	Rule  PayloadRule
	Found []string
}

// MatchPayloads returns the rules the payload types match, in rule order, each with
// the distinct types that matched.
func MatchPayloads(types []string) []PayloadMatch {
	var out []PayloadMatch
	for _, rule := range PayloadRules {
		var found []string
		for _, typ := range types {
			if slices.Contains(rule.Types, typ) && !slices.Contains(found, typ) {
				found = append(found, typ)
			}
		}
		if len(found) > 0 {
			out = append(out, PayloadMatch{rule, found})
		}
	}
	return out
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	p, ok := v.(*Profile)
	if !ok {
		return
	}
	t := p.InstallDate.Time
	where := fmt.Sprintf("the profile %s, installed on %s", p.label(), dateText(t))
	if id := p.UUID(); id == "" || !c.env.ProfileID(r, alert.Critical, id, where, t, p) {
		if id := p.Identifier(); id != "" {
			c.env.ProfileID(r, alert.Critical, id, where, t, p)
		}
	}
	for _, m := range MatchPayloads(p.PayloadTypes) {
		m.Rule.Heuristic.Raise(r, fmt.Sprintf("Configuration profile %s, installed on %s, carries %s (%s)",
			p.label(), dateText(t), m.Rule.What, strings.Join(m.Found, ", ")), t, p)
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
