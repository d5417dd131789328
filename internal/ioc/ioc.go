// Package ioc loads indicators of compromise from STIX 2.1 bundles and compiles them
// into an [Index] that answers each lookup in time independent of the number of
// indicators.
//
// Input: STIX 2.1 bundles as the public mobile-spyware feeds write them (the "MVT
// dialect": AmnestyTech/investigations, mvt-project/mvt-indicators, ECHAP's
// stalkerware-indicators), including their quirks: custom object types (app:id,
// app:cert.sha256, configuration-profile:id, android-property:name), two spellings of
// hash names, IP addresses written as domain-name, relative file paths. Patterns are read
// by a real STIX patterning parser, so values containing '=' or escaped quotes load.
// [Load] reads files and folders, skipping with a [Warning] (never failing on) whatever
// it cannot use; a [Builder] makes an Index from indicators built by hand.
//
// Matching semantics (each has true- and false-positive vectors in the tests):
//   - domains match the host and its subdomains on label boundaries (evil.com matches
//     a.evil.com, never notevil.com);
//   - URLs are parsed; a URL indicator matches the same URL after normalisation, or
//     with a query added when it has none, and the URL's host is checked against
//     domain and IP indicators; text that does not parse is never searched for
//     substrings;
//   - IPv4/IPv6 addresses match exactly or inside a CIDR indicator;
//   - file paths match on "/" boundaries; /var, /tmp and /etc are iOS aliases of
//     /private/var, /private/tmp and /private/etc; relative path indicators match any
//     "/"-aligned part of a path;
//   - process names match exactly, or as the kernel's 15- or 16-character truncation of
//     a longer indicator;
//   - e-mails, app ids, hashes, profile ids and Android property names match
//     case-insensitively, whole values only.
package ioc

// Kind is the bucket an indicator falls in. The string values are MVT's bucket names
// (written as matched_indicator.type), plus "ips" for IPv4/IPv6 addresses and networks.
type Kind string

// Indicator kinds.
const (
	Domain          Kind = "domains"
	URL             Kind = "urls"
	IP              Kind = "ips"
	Process         Kind = "processes"
	Email           Kind = "emails"
	FileName        Kind = "file_names"
	FilePath        Kind = "file_paths"
	FileMD5         Kind = "files_md5"
	FileSHA1        Kind = "files_sha1"
	FileSHA256      Kind = "files_sha256"
	AppID           Kind = "app_ids"
	AppCertHash     Kind = "app_cert_hashes"
	ProfileID       Kind = "ios_profile_ids"
	AndroidProperty Kind = "android_property_names"
)

// Kinds lists every kind, in the order reports show them.
var Kinds = []Kind{Domain, URL, IP, Process, Email, FileName, FilePath, FileMD5, FileSHA1, FileSHA256, AppID, AppCertHash, ProfileID, AndroidProperty}

// Collection groups indicators under one name: a STIX malware (or intrusion-set,
// campaign, threat-actor, tool) object, a report, or the file itself when neither exists.
type Collection struct {
	ID          string // STIX id of the grouping object; "" for a file's default collection
	Name        string
	Description string
	File        *File
	Count       int // indicator values Load put in the collection
}

// File is one loaded indicator file.
type File struct {
	Path   string // as given by the user
	Name   string // base name
	SHA256 string // hex SHA-256 of the file's bytes
}

// Indicator is one usable indicator value from one STIX indicator object.
type Indicator struct {
	ID         string // STIX id of the indicator object
	Kind       Kind
	Value      string // normalised value that the index matches on
	Collection *Collection
}

// Match is the answer of an [Index] lookup that found something.
type Match struct {
	// Indicator is the matching indicator; when several indicators (from several files
	// or collections) share the same value, it is the first in a deterministic order.
	Indicator *Indicator
	// All lists every indicator sharing the matched value, Indicator first.
	All []*Indicator
	// Observed is the part of the looked-up value that matched: the parent domain of a
	// host, the host of a URL, the path prefix of a path, the component of a path.
	Observed string
}
