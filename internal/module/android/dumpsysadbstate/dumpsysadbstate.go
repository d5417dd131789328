// Package dumpsysadbstate reads which computers an Android phone trusts for USB (or
// wireless) debugging, from a bug report.
//
// The artifact is the "DUMP OF SERVICE adb" section (@sections/dumpsys/adb; Android 11
// and later, the state of AdbDebuggingManager; on the device /data/misc/adb/adb_keys and
// /data/system/adb_keys.xml). It is indented "key=value" text written by
// DualDumpOutputStream:
//
//	ADB MANAGER STATE (dumpsys adb):
//	{
//	  debugging_manager={
//	    connected_to_adb=true
//	    last_key_received=F0:A1:…
//	    user_keys=<base64 key> user@host     (one key per line, ended by a blank line)
//	    keystore=<?xml …?><keyStore version="1"><adbKey key="…" lastConnection="ms" />…
//	    adb_wifi={ enabled=false … }
//	  }
//	}
//
// The keystore is XML on some builds and Android binary XML ("ABX") on others; binary
// XML is printed as raw bytes that dumpsys mangles, so from it only the key strings are
// recovered (keystore_format "abx", no last connection). lastConnection is Unix
// milliseconds (UTC): last_connected keeps the number (MVT), last_connected_time the
// UTC time (extra).
//
// It corresponds to MVT's DumpsysADBState module: one record, the debugging_manager
// block, with user_keys as {user, fingerprint (MD5 of the decoded key, colon-separated
// upper-case hex), key}. MVT raises nothing from a bug report; its heuristics compare
// the keys with the androidqf acquisition's host key and belong to the androidqf
// command. Here every trusted key is also reported at INFO
// (dumpsys_adb_state/trusted-key): a helpline analyst should ask the owner about every
// computer that can drive the phone over adb, and a bug report taken over adb always
// shows at least the analyst's own. Each last connection is a timeline event.
package dumpsysadbstate

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "dumpsys_adb_state"

// Section is the bug report's adb section.
const Section = "@sections/dumpsys/adb"

// Module reads the adb section.
type Module struct{}

// New returns the module.
func New() *Module { return &Module{} }

var (
	_ module.Module    = (*Module)(nil)
	_ module.Checkable = (*Module)(nil)
)

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{
		Name:        Name,
		Class:       "DumpsysADBState",
		Version:     1,
		Description: "Computers trusted for USB debugging (adb keys) in a bug report (dumpsys adb)",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	return module.EachParsed(ctx, in, out, func(name string, data []byte) ([]*State, []string, error) {
		st, problems := Parse(data)
		if st == nil {
			in.Log.Warn("no debugging_manager block in the adb section (adb state not dumped on this device)")
			return nil, problems, nil
		}
		return []*State{st}, problems, nil
	})
}

const (
	maxLines = 100_000
	maxKeys  = 1000
)

var (
	adbKeyTag = regexp.MustCompile(`<adbKey\b[^>]*>`)
	xmlAttr   = regexp.MustCompile(`([A-Za-z_]+)="([^"]*)"`)
	abxKey    = regexp.MustCompile(`([A-Za-z0-9+/]{40,}={0,2}) ([\x21-\x7e]+?)(?:[^\x21-\x7e]|$)`)
)

// Parse reads the adb section; nil when it has no debugging_manager block.
func Parse(data []byte) (*State, []string) {
	lines := strings.Split(string(data), "\n")
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	start := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "debugging_manager={" })
	if start < 0 {
		return nil, nil
	}
	st := &State{UserKeys: []*Key{}, Keystore: []*Key{}}
	var problems []string
	var nested map[string]string
	for i := start + 1; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		t := strings.TrimSpace(line)
		if t == "}" {
			if nested != nil {
				nested = nil
				continue
			}
			break
		}
		key, value, ok := strings.Cut(t, "=")
		if !ok || key == "" || strings.Trim(key, "abcdefghijklmnopqrstuvwxyz_") != "" {
			continue
		}
		if nested != nil {
			nested[safetext.EscapeInvalid(key)] = safetext.EscapeInvalid(value)
			continue
		}
		switch {
		case value == "{":
			nested = map[string]string{}
			if key == "adb_wifi" {
				st.ADBWifi = nested
			}
		case key == "user_keys":
			vals := []string{value}
			for i+1 < len(lines) && !endOfValue(lines[i+1]) {
				i++
				vals = append(vals, strings.TrimSpace(lines[i]))
			}
			for _, v := range vals {
				if v == "" || len(st.UserKeys) >= maxKeys {
					continue
				}
				k, err := newKey(v)
				if err != nil {
					problems = append(problems, err.Error())
				}
				st.UserKeys = append(st.UserKeys, k)
			}
		case key == "keystore":
			if strings.HasPrefix(value, "<") {
				st.KeystoreFormat = "xml"
				var b strings.Builder
				b.WriteString(value)
				for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "}") {
					i++
					b.WriteString(strings.TrimSpace(lines[i]))
				}
				problems = append(problems, st.readXML(b.String())...)
			} else if value != "" {
				st.KeystoreFormat = "abx"
				problems = append(problems, st.readABX(value)...)
			}
		case key == "connected_to_adb":
			st.ConnectedToADB = safetext.EscapeInvalid(value)
		case key == "last_key_received":
			st.LastKeyReceived = safetext.EscapeInvalid(value)
		}
	}
	// user keys get the last connection the keystore knows
	for _, u := range st.UserKeys {
		for _, k := range st.Keystore {
			if k.Key == u.Key && k.User == u.User {
				u.LastConnected, u.LastConnectedTime = k.LastConnected, k.LastConnectedTime
			}
		}
	}
	return st, problems
}

// endOfValue says whether line ends a multi-line user_keys value: a blank line, the end
// of the block, or the next key.
func endOfValue(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "}") {
		return true
	}
	k, _, ok := strings.Cut(t, "=")
	return ok && k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyz_") == ""
}

func (st *State) readXML(x string) []string {
	var problems []string
	for _, tag := range adbKeyTag.FindAllString(x, maxKeys) {
		attrs := map[string]string{}
		for _, m := range xmlAttr.FindAllStringSubmatch(tag, 16) {
			attrs[m[1]] = xmlUnescape(m[2])
		}
		k, err := newKey(attrs["key"])
		if err != nil {
			problems = append(problems, err.Error())
		}
		if ms, err := strconv.ParseInt(attrs["lastConnection"], 10, 64); err == nil && ms > 0 {
			k.LastConnected = &ms
			k.LastConnectedTime = timefmt.Of(timefmt.FromUnixMillis(ms))
		}
		st.Keystore = append(st.Keystore, k)
	}
	return problems
}

func (st *State) readABX(x string) []string {
	var problems []string
	for _, m := range abxKey.FindAllStringSubmatch(x, maxKeys) {
		k, err := newKey(m[1] + " " + m[2])
		if err != nil {
			problems = append(problems, err.Error())
		}
		st.Keystore = append(st.Keystore, k)
	}
	return problems
}

func xmlUnescape(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&apos;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// newKey reads "<base64> user@host" and computes the fingerprint adb shows: the MD5 of
// the decoded key, upper-case hex pairs joined by colons.
func newKey(s string) (*Key, error) {
	b64, user, _ := strings.Cut(strings.TrimSpace(s), " ")
	k := &Key{User: safetext.EscapeInvalid(user), Key: safetext.EscapeInvalid(b64)}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) == 0 {
		return k, fmt.Errorf("adb key of %q is not valid base64", safetext.Truncate(k.User, 100))
	}
	k.Fingerprint = Fingerprint(raw)
	return k, nil
}

// Fingerprint returns the colon-separated upper-case hex MD5 of an adb public key blob.
func Fingerprint(raw []byte) string {
	sum := md5.Sum(raw)
	parts := make([]string, len(sum))
	for i, c := range sum {
		parts[i] = fmt.Sprintf("%02X", c)
	}
	return strings.Join(parts, ":")
}

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker { return &checker{} }
