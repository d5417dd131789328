package securityevent

import (
	"fmt"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/android/intrusionlog"
	"github.com/spytrace/spytrace/internal/check"
)

// Heuristics of MVT's SecurityEvent module, all MEDIUM, run with or without
// indicators.
var (
	CertValidationFailure = check.Heuristic{
		ID:    "security_event/cert-validation-failure",
		Level: alert.Medium,
		Meaning: "The phone's security log recorded that an X.509 certificate failed validation. Android records this when a " +
			"certificate chain presented to a system component cannot be verified, which is what an interception of encrypted " +
			"traffic (a machine-in-the-middle with a forged certificate) or a tampered certificate store produces.",
		FalsePositive: "Captive portals of hotels and public Wi-Fi, expired or misconfigured certificates of ordinary servers, " +
			"a wrong device clock and corporate networks that inspect traffic all cause validation failures.",
		Advice: "Read the reason and look at what else happened around this time: a CA certificate installed shortly before, " +
			"DNS lookups and connections of unknown apps, an app installed over ADB. Repeated failures on a trusted network " +
			"deserve a closer look.",
	}
	KeyIntegrityViolation = check.Heuristic{
		ID:    "security_event/key-integrity-violation",
		Level: alert.Medium,
		Meaning: "Android's keystore reported that a cryptographic key failed its integrity check: the stored key material or " +
			"its metadata was changed outside the keystore, which can follow tampering with the phone's storage.",
		FalsePositive: "Storage corruption, an interrupted update or restore, and keystore bugs on some builds can cause it; the " +
			"key's owner (UID) tells which app was affected.",
		Advice: "Note the key and its UID (the app it belongs to), and look for root traces, ADB activity or unusual app installs " +
			"before this event. Keep the logs; an analyst should review them with the rest of the acquisition.",
	}
	CertAuthorityInstalled = check.Heuristic{
		ID:    "security_event/cert-authority-installed",
		Level: alert.Medium,
		Meaning: "A certificate authority (CA) was added to the phone's trusted certificates. A CA the owner does not know about " +
			"lets whoever holds its key read and change the phone's encrypted traffic; stalkerware and spyware installers use " +
			"this to intercept traffic.",
		FalsePositive: "Employers (device management), schools, some VPN, parental-control and antivirus apps, and developers " +
			"install their own CAs on purpose.",
		Advice: "Ask the phone's owner whether they know the certificate's subject. If not, remove it (Settings, Security, " +
			"Encryption & credentials, Trusted credentials, User) after the acquisition, and look at which app or ADB activity " +
			"preceded the installation.",
	}
	WipeFailure = check.Heuristic{
		ID:    "security_event/wipe-failure",
		Level: alert.Medium,
		Meaning: "A request to wipe the phone or a user's data failed. Wipes are requested by the owner (factory reset), by " +
			"a device-admin app or remotely (Find My Device); a failure leaves the data in place while someone expected it gone.",
		FalsePositive: "A failed factory reset or a device-management wipe that could not complete happens on ordinary phones.",
		Advice: "Ask the owner whether they tried to reset the phone or whether an employer manages it. An unexplained wipe " +
			"request, especially from an unknown admin app, needs a closer look at the installed device-admin apps.",
	}
	CryptoSelfTestFailed = check.Heuristic{
		ID:    "security_event/crypto-self-test-failed",
		Level: alert.Medium,
		Meaning: "The self-test of the phone's cryptographic module failed at start-up. The test checks that the encryption " +
			"code behaves as certified; a failure means that code is broken or was modified.",
		FalsePositive: "A faulty or beta system build can fail the self-test without any attack.",
		Advice: "Check the boot state recorded by os_startup events (a verified boot state other than green means a modified " +
			"system) and the system build. A phone failing this test should not be trusted with sensitive work until it is " +
			"reflashed with official firmware.",
	}
)

// Heuristics lists the module's heuristics.
var Heuristics = []check.Heuristic{CertValidationFailure, KeyIntegrityViolation, CertAuthorityInstalled, WipeFailure, CryptoSelfTestFailed}

// maxCommandWords bounds the words of an ADB command looked up.
const maxCommandWords = 64

type checker struct{ env *check.Env }

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	rec, ok := v.(*Record)
	if !ok {
		return
	}
	t := rec.Timestamp.Time
	m, _ := rec.Payload.(map[string]any)
	p := payload{m: m, raw: rec.Payload}
	switch rec.Event {
	case "app_process_start":
		proc := p.str("process")
		if proc == "" {
			break
		}
		where := fmt.Sprintf("the start of an app process (UID %s, intrusion log)", or(p.str("uid"), "?"))
		if c.env.AppID(r, alert.Critical, proc, where, t, rec) {
			break
		}
		// "com.app:remote", "com.google.android.webview:sandboxed_process0:org…": the
		// package is before the first ":", the other parts name the process.
		parts := strings.Split(proc, ":")
		if len(parts) > 1 && c.env.AppID(r, alert.Critical, parts[0], where, t, rec) {
			break
		}
		for i, part := range parts[1:] {
			if i >= maxCommandWords {
				break
			}
			if part != "" && c.env.AppID(r, alert.Critical, part, where, t, rec) {
				break
			}
		}
	case "package_installed", "package_updated", "package_uninstalled":
		if pkg := p.str("package_name"); pkg != "" {
			c.env.AppID(r, alert.Critical, pkg, fmt.Sprintf("a package event (%s, intrusion log)", strings.TrimPrefix(rec.Event, "package_")), t, rec)
		}
	case "adb_shell_cmd":
		c.command(r, p.str("command"), t, rec)
	case "adb_sync_recv_file", "adb_sync_send_file":
		if path := p.str("path"); path != "" {
			verb := "pulled from"
			if rec.Event == "adb_sync_send_file" {
				verb = "pushed to"
			}
			c.env.FilePath(r, alert.Critical, path, fmt.Sprintf("a file %s the phone over ADB (intrusion log)", verb), t, rec)
		}
	case "cert_validation_failure":
		reason := p.str("reason")
		if reason == "" && m == nil {
			reason = intrusionlog.Str(rec.Payload)
		}
		CertValidationFailure.Raise(r, "Certificate validation failure recorded in the intrusion log: "+or(reason, "(reason not recorded)"), t, rec)
	case "key_integrity_violation":
		KeyIntegrityViolation.Raise(r, fmt.Sprintf("Key integrity violation recorded in the intrusion log for key %s (UID %s)",
			or(p.str("key_id"), "(unknown)"), or(p.str("uid"), "?")), t, rec)
	case "cert_authority_installed":
		if ok, known := p.flag("success"); ok && known {
			CertAuthorityInstalled.Raise(r, "CA certificate installed on the phone: "+or(p.str("subject"), "(unknown subject)"), t, rec)
		}
	case "wipe_failure":
		WipeFailure.Raise(r, "A wipe of the phone or of user data failed (intrusion log)", t, rec)
	case "crypto_self_test_completed":
		if selfTestFailed(rec.Payload) {
			CryptoSelfTestFailed.Raise(r, "The cryptographic self-test failed (intrusion log)", t, rec)
		}
	}
}

// command checks an ADB shell command: the whole text (MVT's check), then each word as
// an app id (a component "pkg/.Activity" by its package) and each absolute path as a
// file path. At most one alert per indicator value.
func (c *checker) command(r *check.Reporter, cmd string, t time.Time, rec *Record) {
	if cmd == "" {
		return
	}
	where := "an ADB shell command (intrusion log)"
	if c.env.AppID(r, alert.Critical, strings.TrimSpace(cmd), where, t, rec) {
		return
	}
	seen := map[string]bool{}
	for i, w := range strings.FieldsFunc(cmd, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '"' || r == '\'' || r == ';' || r == '|' || r == '&' || r == '=' || r == '(' || r == ')'
	}) {
		if i >= maxCommandWords {
			break
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		if strings.HasPrefix(w, "/") {
			c.env.FilePath(r, alert.Critical, w, where, t, rec)
			continue
		}
		pkg, _, _ := strings.Cut(w, "/")
		if strings.Contains(pkg, ".") && !strings.HasPrefix(pkg, "-") && !seen["pkg:"+pkg] {
			seen["pkg:"+pkg] = true
			c.env.AppID(r, alert.Critical, pkg, where, t, rec)
		}
	}
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}
