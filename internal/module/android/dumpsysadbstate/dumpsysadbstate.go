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
// upper-case hex), key}. Each last connection is a timeline event.
//
// The checks depend on where the section comes from:
//
//   - From a bug report alone, MVT raises nothing. Here every trusted key is reported at
//     INFO (dumpsys_adb_state/trusted-key): a helpline analyst should ask the owner about
//     every computer that can drive the phone over adb, and a bug report taken over adb
//     always shows at least the analyst's own.
//   - In an androidqf collection (acquisition kind AndroidQF: the collection's bug report,
//     or its dumpsys.txt, served with the collection's own files), the module also reads
//     acquisition.json (started, and adb_host_public_key when androidqf recorded it) and,
//     when acquisition.json has no host key, the adb_host_key.pub file androidqf writes
//     next to it ("<base64> user@host", first line). Both are read whole up to 1 MiB.
//     Then, as MVT does when check-androidqf hands the nested bug report this context,
//     each trusted key (keystore first, then user_keys, once per key) raises at most one
//     of: a key that is not base64 → LOW dumpsys_adb_state/invalid-key; the collection
//     records no (valid) host key → LOW dumpsys_adb_state/no-host-key; a key other than
//     the host's → LOW dumpsys_adb_state/other-computer ("different from the AndroidQF
//     acquisition host"); the host's key last connected at least one day before
//     acquisition.json's started → INFO dumpsys_adb_state/host-key-old-connection. The
//     collecting computer's own key, seen recently, raises nothing, which is why these
//     finer checks replace trusted-key there. Key material is compared exactly: the
//     base64 text, or the decoded key (its MD5 fingerprint) when the texts differ only
//     in encoding; the "user@host" comment is not compared (anyone can choose it). The
//     context is kept in the record (androidqf, and acquisition_host on the host's
//     keys), so the checks also run on reloaded records. MVT reads the host key from
//     acquisition.json first, then adb_host_key.pub; so does this module, noting a
//     problem when both exist and differ.
package dumpsysadbstate

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/timefmt"
)

// Name is the module's slug.
const Name = "dumpsys_adb_state"

// Names read.
const (
	// Section is the bug report's adb section.
	Section = "@sections/dumpsys/adb"
	// AcquisitionFile is an androidqf collection's acquisition.json.
	AcquisitionFile = "acquisition.json"
	// HostKeyFile is the adb public key of the computer that ran androidqf, which
	// androidqf writes next to acquisition.json.
	HostKeyFile = "adb_host_key.pub"
)

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
		Version:     2,
		Description: "Computers trusted for USB debugging (adb keys) in a bug report (dumpsys adb), compared with the androidqf collecting computer's key",
		Kinds:       []acquire.Kind{acquire.AndroidBugreport, acquire.AndroidQF},
		Paths:       []string{Section, AcquisitionFile, HostKeyFile},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, Section) {
		return module.ErrNotFound
	}
	var acq *Acquisition
	if in.FS.Kind() == acquire.AndroidQF {
		acq = readAcquisition(in, out)
	}
	data, err := in.ReadFile(Section)
	if err != nil {
		return fmt.Errorf("read %q: %w", Section, err)
	}
	st, problems := Parse(data)
	for _, p := range problems {
		out.Problem("%s: %s", Section, p)
	}
	if st == nil {
		in.Log.Warn("no debugging_manager block in the adb section (adb state not dumped on this device)")
		return nil
	}
	if acq != nil {
		st.SetAcquisition(acq)
	}
	return out.Record(st)
}

// maxContextFile bounds acquisition.json and adb_host_key.pub.
const maxContextFile = 1 << 20

// readContextFile reads a small file of the collection; nil without error when absent.
func readContextFile(in *module.Input, name string) ([]byte, error) {
	if !slices.Contains(in.Files, name) {
		return nil, nil
	}
	fi, err := fs.Stat(in.FS, name)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxContextFile {
		return nil, fmt.Errorf("%d bytes, more than the %d read", fi.Size(), maxContextFile)
	}
	data, err := in.ReadFile(name)
	if err == nil && len(data) > maxContextFile {
		err = errors.New("larger than announced")
	}
	return data, err
}

// readAcquisition reads the collection's date and host key; what cannot be read is a
// problem, and the checks then run without it.
func readAcquisition(in *module.Input, out *module.Output) *Acquisition {
	acq := &Acquisition{}
	var jsonKey string
	data, err := readContextFile(in, AcquisitionFile)
	if err == nil && data != nil {
		acq.Started, jsonKey, err = ParseAcquisition(data)
	}
	if err != nil {
		out.Problem("%s: %v", AcquisitionFile, err)
	}
	if data == nil && err == nil {
		in.Log.Warn("the collection has no acquisition.json: its date and computer's key are unknown")
	}
	var fileKey string
	data, err = readContextFile(in, HostKeyFile)
	if err == nil && data != nil {
		fileKey = FirstLine(data)
	}
	if err != nil {
		out.Problem("%s: %v", HostKeyFile, err)
	}
	switch {
	case jsonKey != "":
		acq.HostKey, acq.HostKeySource = hostKey(out, AcquisitionFile+" adb_host_public_key", jsonKey), AcquisitionFile
		if fileKey != "" && acq.HostKey != nil {
			if k, _ := newKey(fileKey); !SameKey(k, acq.HostKey) {
				out.Problem("%s and %s name different computers' keys (%s and %s): %s is used", HostKeyFile, AcquisitionFile,
					k.Fingerprint, acq.HostKey.Fingerprint, AcquisitionFile)
			}
		}
	case fileKey != "":
		acq.HostKey, acq.HostKeySource = hostKey(out, HostKeyFile, fileKey), HostKeyFile
	}
	if acq.HostKey == nil {
		acq.HostKeySource = ""
		in.Log.Warn("the collection does not record the adb key of the computer that collected it: every trusted key is reported")
	}
	return acq
}

func hostKey(out *module.Output, where, text string) *Key {
	k, err := newKey(text)
	if err != nil {
		out.Problem("%s: the collecting computer's key is not valid (%v): it is ignored", where, err)
		return nil
	}
	return k
}

// ParseAcquisition reads acquisition.json: started (RFC 3339, returned in UTC; "" when
// absent) and adb_host_public_key ("" when absent). A started that is not a date is an
// error, the host key still being returned.
func ParseAcquisition(data []byte) (started, hostKey string, err error) {
	var a struct {
		Started any `json:"started"`
		HostKey any `json:"adb_host_public_key"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return "", "", fmt.Errorf("not a JSON object: %w", err)
	}
	if s, ok := a.HostKey.(string); ok {
		hostKey = strings.TrimSpace(s)
	}
	switch s := a.Started.(type) {
	case nil:
	case string:
		t, perr := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if perr != nil {
			return "", hostKey, fmt.Errorf("started %q is not an RFC 3339 date", safetext.Truncate(safetext.EscapeInvalid(s), 100))
		}
		started = t.UTC().Format(time.RFC3339Nano)
	default:
		return "", hostKey, errors.New("started is not a date")
	}
	return started, hostKey, nil
}

// FirstLine returns the first non-blank line of an adb_host_key.pub file, trimmed.
func FirstLine(data []byte) string {
	for line := range bytes.Lines(data) {
		if t := strings.TrimSpace(string(line)); t != "" {
			return t
		}
	}
	return ""
}

// SetAcquisition attaches the androidqf collection's context to the state and marks
// the keys that are the collecting computer's.
func (s *State) SetAcquisition(a *Acquisition) {
	s.AndroidQF = a
	if a.HostKey == nil {
		return
	}
	for _, list := range [][]*Key{s.UserKeys, s.Keystore} {
		for _, k := range list {
			k.AcquisitionHost = SameKey(k, a.HostKey)
		}
	}
}

// SameKey says whether two adb keys are the same key material: the same base64 text,
// or, for texts that differ, the same decoded key (MD5 fingerprint). Comments
// (user@host) are not compared; an invalid key is nobody's.
func SameKey(a, b *Key) bool {
	if a == nil || b == nil || a.Fingerprint == "" || b.Fingerprint == "" {
		return false
	}
	return a.Key == b.Key || a.Fingerprint == b.Fingerprint
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

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[State](data) }
