// Package aqfpackages reads the installed packages of an androidqf collection.
//
// The artifact is packages.json, written by androidqf from `pm list packages -U -u -i`
// (with fallbacks without -i, or with --user 0), `pm path`, hashes computed on the
// device with md5sum/sha1sum/sha256sum/sha512sum (skipped with -fast), and `pm list
// packages -d/-s/-3` for the disabled, system and third_party flags. It is a JSON array
// of {name, files[], installer, uid, disabled, system, third_party}; each file has
// path, local_name (never filled), md5, sha1, sha256, sha512, error,
// verified_certificate, certificate (apkverifier's CertInfo with Go field names: Md5,
// Sha1, Sha256, ValidFrom, ValidTo, Issuer, Subject, SignatureAlgorithm, SerialNumber),
// certificate_error and trusted_certificate. installer is the literal "null" when the
// device records none, and empty when pm could not be asked. The certificate's
// validity dates are the only times, in UTC.
//
// androidqf pulls the APKs into apks/<package>[_<split>].apk (the split is the part of
// the device path after its first "==/", ".apk" removed once; a "_<n>" counter is added
// while the name is taken). In streaming mode (encryption with an age key) it does not
// read the certificates, so packages.json has empty certificate fields: the module then
// reads the signer certificate from the collected APK itself (package apkcert: APK
// Signing Block v3/v2, else the JAR signature) and says so in certificate_source. The
// APK of a file is found by replaying androidqf's naming over the files in order (a
// file with an error or a trusted certificate, whose copy may have been removed, does
// not take a name); when packages.json has the file's SHA-256 and the APK's differs,
// the APK is not used. The SHA-256 of every APK read is kept (apk_sha256) and checked
// against hash indicators, which also covers collections taken with -fast.
//
// It corresponds to MVT's AQFPackages (same records, the app-id, file-hash and
// certificate-hash indicators at CRITICAL, the same heuristics and levels). Fixes: a
// rooting app is also checked against indicators (MVT skips it); every certificate
// hash is looked up even when the certificate fields are empty in packages.json (MVT
// then looks up empty strings and finds nothing); an empty installer (not collected) is
// not reported as an install with adb; disabled security and update packages are alerts
// (MVT only logs them); packages are reported once per check, not duplicated.
package aqfpackages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/android/apkcert"
	"github.com/spytrace/spytrace/internal/android/heuristics"
	"github.com/spytrace/spytrace/internal/check"
	"github.com/spytrace/spytrace/internal/module"
	"github.com/spytrace/spytrace/internal/safetext"
)

// Name is the module's slug.
const Name = "aqf_packages"

// File names in an androidqf collection.
const (
	PackagesFile = "packages.json"
	APKGlob      = "apks/*.apk"
)

// Limits on hostile input.
const (
	maxPackages = 100000
	maxFiles    = 1000
	maxCounter  = 10000
)

// SourcePackagesJSON says a certificate's hashes were read from packages.json.
const SourcePackagesJSON = "packages.json"

// InstallerNotCollected is the install source of a package whose installer androidqf
// could not ask for.
const InstallerNotCollected = "not-collected"

// Module reads packages.json.
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
		Class:       "AQFPackages",
		Version:     1,
		Description: "Installed packages of an androidqf collection, their installer, APK hashes and signing certificates (packages.json, apks/)",
		Kinds:       []acquire.Kind{acquire.AndroidQF},
		Paths:       []string{PackagesFile, APKGlob},
	}
}

// Run implements module.Module.
func (m *Module) Run(ctx context.Context, in *module.Input, out *module.Output) error {
	if !slices.Contains(in.Files, PackagesFile) {
		return module.ErrNotFound
	}
	data, err := in.ReadFile(PackagesFile)
	if err != nil {
		return err
	}
	pkgs, problems, err := Parse(data)
	if err != nil {
		return fmt.Errorf("read %q: %w", PackagesFile, err)
	}
	for _, p := range problems {
		out.Problem("%s: %s", PackagesFile, p)
	}
	apks := map[string]bool{}
	for _, f := range in.Files {
		if f != PackagesFile {
			apks[f] = true
		}
	}
	if err := attachAPKs(ctx, in, out, pkgs, apks); err != nil {
		return err
	}
	return module.Emit(ctx, out, pkgs)
}

// Parse reads packages.json. Entries that are not objects are problems; a file that is
// not a JSON array is an error.
func Parse(data []byte) ([]*Package, []string, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("not JSON: %w", err)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("not a JSON array but %s", jsonKind(raw))
	}
	var problems []string
	out := make([]*Package, 0, min(len(list), maxPackages))
	for i, v := range list {
		if i >= maxPackages {
			problems = append(problems, fmt.Sprintf("more than %d packages: the rest were not read", maxPackages))
			break
		}
		obj, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("entry %d is %s, not an object", i, jsonKind(v)))
			continue
		}
		p := &Package{
			Name:       text(obj["name"]),
			Installer:  text(obj["installer"]),
			UID:        obj["uid"],
			Disabled:   boolean(obj["disabled"]),
			System:     boolean(obj["system"]),
			ThirdParty: boolean(obj["third_party"]),
			Files:      []File{},
		}
		if _, isObj := p.UID.(map[string]any); isObj {
			p.UID = nil
		} else if _, isList := p.UID.([]any); isList {
			p.UID = nil
		}
		if p.Installer == "" {
			p.InstallSource = InstallerNotCollected
		} else {
			p.InstallSource = heuristics.InstallSource(p.Installer, p.System)
		}
		files, _ := obj["files"].([]any)
		for j, fv := range files {
			if j >= maxFiles {
				problems = append(problems, fmt.Sprintf("package %q: more than %d files", safetext.Truncate(p.Name, 200), maxFiles))
				break
			}
			fo, ok := fv.(map[string]any)
			if !ok {
				problems = append(problems, fmt.Sprintf("package %q: file %d is %s, not an object", safetext.Truncate(p.Name, 200), j, jsonKind(fv)))
				continue
			}
			f := File{
				Path: text(fo["path"]), LocalName: text(fo["local_name"]),
				MD5: text(fo["md5"]), SHA1: text(fo["sha1"]), SHA256: text(fo["sha256"]), SHA512: text(fo["sha512"]),
				Error: text(fo["error"]), VerifiedCertificate: boolean(fo["verified_certificate"]),
				CertificateError: text(fo["certificate_error"]), TrustedCertificate: boolean(fo["trusted_certificate"]),
			}
			if co, ok := fo["certificate"].(map[string]any); ok {
				f.Certificate = &Certificate{
					Md5: text(co["Md5"]), Sha1: text(co["Sha1"]), Sha256: text(co["Sha256"]),
					ValidFrom: scalar(co["ValidFrom"]), ValidTo: scalar(co["ValidTo"]),
					Issuer: text(co["Issuer"]), Subject: text(co["Subject"]),
					SignatureAlgorithm: scalar(co["SignatureAlgorithm"]), SerialNumber: scalar(co["SerialNumber"]),
				}
				if f.Certificate.hasHash() {
					f.CertificateSource = SourcePackagesJSON
				}
			}
			p.Files = append(p.Files, f)
		}
		out = append(out, p)
	}
	return out, problems, nil
}

// APKBaseName is androidqf's name for a package's file in apks/, before any
// collision counter.
func APKBaseName(pkg, devicePath string) string {
	split := ""
	if parts := strings.Split(devicePath, "==/"); len(parts) > 1 {
		split = "_" + strings.Replace(parts[1], ".apk", "", 1)
	}
	return pkg + split + ".apk"
}

// assignAPKs replays androidqf's naming: for every file that may have been pulled,
// the first of its candidate names not given to an earlier file; it is the file's copy
// when the collection has it. Returns, per package and file, the name in the
// collection ("apks/…").
func assignAPKs(pkgs []*Package, apks map[string]bool) map[[2]int]string {
	given := map[string]bool{}
	out := map[[2]int]string{}
	for i, p := range pkgs {
		if p.Name == "" || strings.ContainsAny(p.Name, "/\\") {
			continue
		}
		for j, f := range p.Files {
			if f.Error != "" || f.TrustedCertificate {
				continue
			}
			base := APKBaseName(p.Name, f.Path)
			if strings.ContainsAny(base, "/\\") {
				continue
			}
			stem := strings.TrimSuffix(base, ".apk")
			name := base
			for n := 1; given[name] && n < maxCounter; n++ {
				name = fmt.Sprintf("%s_%d.apk", stem, n)
			}
			if given[name] || !apks["apks/"+name] {
				continue
			}
			given[name] = true
			out[[2]int{i, j}] = "apks/" + name
		}
	}
	return out
}

// attachAPKs reads the certificate of every file whose packages.json entry has none,
// from its collected APK.
func attachAPKs(ctx context.Context, in *module.Input, out *module.Output, pkgs []*Package, apks map[string]bool) error {
	if len(apks) == 0 {
		return nil
	}
	names := assignAPKs(pkgs, apks)
	for i, p := range pkgs {
		for j := range p.Files {
			f := &p.Files[j]
			name, ok := names[[2]int{i, j}]
			if !ok || f.Certificate.hasHash() {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			cert, sum, err := readAPK(in, name)
			if sum != "" {
				if f.SHA256 != "" && !strings.EqualFold(f.SHA256, sum) {
					f.APKError = fmt.Sprintf("%s is not this file: its SHA-256 %s differs from packages.json's", name, sum)
					out.Problem("package %q: %s", safetext.Truncate(p.Name, 200), f.APKError)
					continue
				}
				f.APK, f.APKSHA256 = name, sum
			}
			if err != nil {
				f.APK = name
				f.APKError = err.Error()
				if !errors.Is(err, apkcert.ErrNoCertificate) {
					out.Problem("%s: %v", name, err)
				}
				continue
			}
			f.Certificate = certificateOf(cert)
			f.CertificateSource = cert.Source
		}
	}
	return nil
}

// readAPK reads an APK's signer certificate and SHA-256 (the hash is returned even
// when no certificate is found).
func readAPK(in *module.Input, name string) (*apkcert.Cert, string, error) {
	f, err := in.Open(name)
	if err != nil {
		return nil, "", err
	}
	if ra, ok := f.(io.ReaderAt); ok {
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, "", err
		}
		size := st.Size()
		h := newHash()
		if _, err := io.Copy(h, io.NewSectionReader(ra, 0, size)); err != nil {
			return nil, "", fmt.Errorf("hash: %w", err)
		}
		c, err := apkcert.FromReaderAt(ra, size)
		return c, h.hex(), err
	}
	first := true
	c, st, err := apkcert.FromStream(func() (io.ReadCloser, error) {
		if first {
			first = false
			return f, nil
		}
		return in.Open(name)
	})
	if first {
		f.Close()
	}
	return c, st.SHA256, err
}

// certificateOf writes a certificate read from an APK as androidqf would have.
func certificateOf(c *apkcert.Cert) *Certificate {
	out := &Certificate{Md5: c.MD5, Sha1: c.SHA1, Sha256: c.SHA256}
	if x := c.X509; x != nil {
		out.ValidFrom = x.NotBefore.UTC().Format(time.RFC3339)
		out.ValidTo = x.NotAfter.UTC().Format(time.RFC3339)
		out.Issuer = apkcert.Name(x.Issuer)
		out.Subject = apkcert.Name(x.Subject)
		out.SignatureAlgorithm = x.SignatureAlgorithm.String()
		if x.SerialNumber != nil {
			out.SerialNumber = x.SerialNumber.String()
		}
	}
	return out
}

// text converts a JSON value to text: strings as they are, null as "", others as JSON.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return safetext.EscapeInvalid(x)
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	b, _ := json.Marshal(v)
	return safetext.Truncate(string(b), 1000)
}

// scalar keeps a JSON scalar (string, number, bool, null); containers become text.
func scalar(v any) any {
	switch x := v.(type) {
	case nil, json.Number, bool:
		return x
	case string:
		return safetext.EscapeInvalid(x)
	}
	return text(v)
}

func boolean(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	case json.Number:
		return x.String() != "0"
	}
	return false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

type hasher struct{ hash.Hash }

func newHash() *hasher { return &hasher{sha256.New()} }

func (h *hasher) hex() string { return hex.EncodeToString(h.Sum(nil)) }

// NewChecker implements module.Checkable.
func (m *Module) NewChecker(env *check.Env) check.Checker {
	return &checker{env: env, seen: map[string]bool{}}
}

// DecodeRecord implements module.Reloadable.
func (m *Module) DecodeRecord(data []byte) (any, error) { return module.Decode[Package](data) }
