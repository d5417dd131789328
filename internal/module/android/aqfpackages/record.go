package aqfpackages

import (
	"bytes"
	"encoding/json"
)

// Package is one entry of packages.json. The keys up to third_party are androidqf's
// (MVT's records are the entries as read); install_source is spytrace's.
type Package struct {
	Name  string `json:"name"`
	Files []File `json:"files"`
	// Installer is the installer's package name: "null" when the device recorded none,
	// "" when androidqf could not ask (pm without -i).
	Installer  string `json:"installer"`
	UID        any    `json:"uid"`
	Disabled   bool   `json:"disabled"`
	System     bool   `json:"system"`
	ThirdParty bool   `json:"third_party"`

	// InstallSource classifies the installer (heuristics.InstallSource: system,
	// play-store, third-party-store, package-file, no-installer, other), or
	// not-collected when the installer was not asked for.
	InstallSource string `json:"install_source"`
}

// UnmarshalJSON reads a package with its numbers as written: a certificate's serial
// number has more digits than a float64 holds.
func (p *Package) UnmarshalJSON(data []byte) error {
	type plain Package
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode((*plain)(p))
}

// File is one file (base or split APK) of a package.
type File struct {
	Path      string `json:"path"`
	LocalName string `json:"local_name"`
	// Hashes computed on the device (empty when androidqf ran with -fast).
	MD5                 string       `json:"md5"`
	SHA1                string       `json:"sha1"`
	SHA256              string       `json:"sha256"`
	SHA512              string       `json:"sha512"`
	Error               string       `json:"error"`
	VerifiedCertificate bool         `json:"verified_certificate"`
	Certificate         *Certificate `json:"certificate"`
	CertificateError    string       `json:"certificate_error"`
	TrustedCertificate  bool         `json:"trusted_certificate"`

	// CertificateSource says where the certificate's hashes come from: packages.json
	// (read by androidqf), apk-signing-block or jar-signature (computed by spytrace from
	// the collected APK, when packages.json has none); empty when none is known.
	CertificateSource string `json:"certificate_source,omitempty"`
	// APK is the collected copy read (a name in the collection, "apks/…"), APKSHA256
	// its SHA-256, APKError why it could not be read or used.
	APK       string `json:"apk,omitempty"`
	APKSHA256 string `json:"apk_sha256,omitempty"`
	APKError  string `json:"apk_error,omitempty"`
}

// Certificate is the signer certificate, with apkverifier's Go field names as
// androidqf writes them. The validity dates are UTC (RFC 3339); SignatureAlgorithm and
// SerialNumber are kept as packages.json writes them (spytrace writes the algorithm's
// name and the decimal serial number for certificates it reads from an APK).
type Certificate struct {
	Md5                string `json:"Md5"`
	Sha1               string `json:"Sha1"`
	Sha256             string `json:"Sha256"`
	ValidFrom          any    `json:"ValidFrom"`
	ValidTo            any    `json:"ValidTo"`
	Issuer             string `json:"Issuer"`
	Subject            string `json:"Subject"`
	SignatureAlgorithm any    `json:"SignatureAlgorithm"`
	SerialNumber       any    `json:"SerialNumber"`
}

// hasHash says whether any hash of the certificate is known.
func (c *Certificate) hasHash() bool {
	return c != nil && (c.Md5 != "" || c.Sha1 != "" || c.Sha256 != "")
}
