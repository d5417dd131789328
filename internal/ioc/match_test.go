package ioc_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spytrace/spytrace/internal/ioc"
)

const (
	testMD5    = "d41d8cd98f00b204e9800998ecf8427e"
	testSHA1   = "da0611a300a9ce9aa7a09d1212f203fca5856794"
	testSHA256 = "570cd76bf49cf52e0cb347a68bdcf0590b2eaece134e1b1eba7e8d66261bdbe6"
	testCert   = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	testUUID   = "5C1D2E3F-AAAA-4000-8000-000000000000"
)

// testIndex builds an index holding a few indicators of every kind, as a feed
// would write them (before normalisation).
func testIndex(t testing.TB) *ioc.Index {
	t.Helper()
	file := &ioc.File{Path: "test.stix2", Name: "test.stix2"}
	col := &ioc.Collection{ID: "malware--1", Name: "Test", File: file}
	b := ioc.NewBuilder()
	for i, kv := range []struct {
		k ioc.Kind
		v string
	}{
		{ioc.Domain, "evil.com"},
		{ioc.Domain, "Sub.Example.ORG."},
		{ioc.Domain, "wikipedia.org"},
		{ioc.Domain, "45.86.163.182"}, // NoviSpy: an IP written as a domain
		{ioc.URL, "https://evil.example/x"},
		{ioc.URL, "http://evil.example/track?id=42"},
		{ioc.IP, "198.51.100.1"},
		{ioc.IP, "192.0.2.0/24"},
		{ioc.IP, "192.0.2.128/25"},
		{ioc.IP, "2001:db8::/32"},
		{ioc.IP, "::ffff:10.0.0.0/104"},
		{ioc.Email, "Bad@Evil.Example"},
		{ioc.Process, "bh"},
		{ioc.Process, "roleaccountd"},
		{ioc.Process, "com.apple.avcapture"},
		{ioc.Process, "com.apple.WebKit.Networking"},
		{ioc.FileName, "roleaccountd.plist"},
		{ioc.FilePath, "/private/var/tmp/hooker"},
		{ioc.FilePath, "/var/db/staging/"},
		{ioc.FilePath, "Library/Preferences/com.apple.photolibraryd.plist"},
		{ioc.FilePath, "/data/local/tmp/wd/"},
		{ioc.FileMD5, strings.ToUpper(testMD5)},
		{ioc.FileSHA1, testSHA1},
		{ioc.FileSHA256, testSHA256},
		{ioc.AppID, "com.Evil.App"},
		{ioc.AppCertHash, testCert},
		{ioc.ProfileID, testUUID},
		{ioc.AndroidProperty, "persist.sys.evil"},
	} {
		b.Add(&ioc.Indicator{ID: "indicator--" + string(rune('a'+i)), Kind: kv.k, Value: kv.v, Collection: col})
	}
	return b.Build()
}

// TestMatch runs true- and false-positive vectors for every kind: want is the
// matched indicator's value ("" for no match) and observed Match.Observed.
func TestMatch(t *testing.T) {
	ix := testIndex(t)
	lookups := map[string]func(string) *ioc.Match{
		"domain":   ix.MatchDomain,
		"ip":       ix.MatchIP,
		"host":     ix.MatchHost,
		"url":      ix.MatchURL,
		"email":    ix.MatchEmail,
		"process":  ix.MatchProcess,
		"filename": ix.MatchFileName,
		"filepath": ix.MatchFilePath,
		"pathproc": ix.MatchPathProcess,
		"hash":     ix.MatchHash,
		"appid":    ix.MatchAppID,
		"cert":     ix.MatchAppCertHash,
		"profile":  ix.MatchProfileID,
		"property": ix.MatchAndroidProperty,
	}
	tests := []struct {
		name, lookup, in, want, observed string
	}{
		// Domains: the host or a parent, on label boundaries.
		{"domain_exact", "domain", "evil.com", "evil.com", "evil.com"},
		{"domain_case_dot_space", "domain", "  EVIL.COM. ", "evil.com", "evil.com"},
		{"domain_subdomain", "domain", "a.b.evil.com", "evil.com", "evil.com"},
		{"domain_deep_indicator", "domain", "x.sub.example.org", "sub.example.org", "sub.example.org"},
		{"domain_www_kept", "domain", "www.wikipedia.org", "wikipedia.org", "wikipedia.org"},
		{"domain_fp_prefix", "domain", "notevil.com", "", ""},
		{"domain_fp_suffix_host", "domain", "evil.com.attacker.net", "", ""},
		{"domain_fp_other_tld", "domain", "evil.co", "", ""},
		{"domain_fp_parent_of_indicator", "domain", "example.org", "", ""},
		{"domain_fp_tld", "domain", "com", "", ""},
		{"domain_fp_lstrip_www", "domain", "ikipedia.org", "", ""},
		{"domain_fp_path", "domain", "evil.com/x", "", ""},
		{"domain_fp_empty", "domain", "", "", ""},
		{"domain_fp_dots", "domain", "..", "", ""},
		// IPs: exact, or inside a network (longest prefix first).
		{"ip_exact", "ip", "198.51.100.1", "198.51.100.1", "198.51.100.1"},
		{"ip_cidr", "ip", "192.0.2.77", "192.0.2.0/24", "192.0.2.77"},
		{"ip_longest_prefix", "ip", "192.0.2.200", "192.0.2.128/25", "192.0.2.200"},
		{"ip_mapped_v6", "ip", "::ffff:192.0.2.5", "192.0.2.0/24", "192.0.2.5"},
		{"ip_mapped_cidr_indicator", "ip", "10.1.2.3", "10.0.0.0/8", "10.1.2.3"},
		{"ip_v6_brackets", "ip", "[2001:db8::1]", "2001:db8::/32", "2001:db8::1"},
		{"ip_v6_zone", "ip", "2001:db8:1::1%eth0", "2001:db8::/32", "2001:db8:1::1"},
		{"ip_written_as_domain", "ip", "45.86.163.182", "45.86.163.182", "45.86.163.182"},
		{"ip_fp_neighbour", "ip", "198.51.100.2", "", ""},
		{"ip_fp_outside_cidr", "ip", "192.0.3.1", "", ""},
		{"ip_fp_v6", "ip", "2001:db9::1", "", ""},
		{"ip_fp_mapped", "ip", "::ffff:198.51.100.2", "", ""},
		{"ip_fp_not_ip", "ip", "evil.com", "", ""},
		{"ip_fp_bad", "ip", "999.1.1.1", "", ""},
		{"ip_fp_empty", "ip", "", "", ""},
		// Hosts: a port is removed, then IP or domain.
		{"host_port", "host", "a.evil.com:443", "evil.com", "evil.com"},
		{"host_ip_port", "host", "198.51.100.1:8080", "198.51.100.1", "198.51.100.1"},
		{"host_v6_port", "host", "[2001:db8::5]:443", "2001:db8::/32", "2001:db8::5"},
		{"host_v6_bare", "host", "2001:db8::5", "2001:db8::/32", "2001:db8::5"},
		{"host_fp", "host", "notevil.com:443", "", ""},
		// URLs: canonical equality, extra query, then the host.
		{"url_exact", "url", "https://evil.example/x", "https://evil.example/x", "https://evil.example/x"},
		{"url_normalised", "url", "HTTPS://user@EVIL.EXAMPLE.:443/x#frag", "https://evil.example/x", "https://evil.example/x"},
		{"url_extra_query", "url", "https://evil.example/x?utm_source=sms", "https://evil.example/x", "https://evil.example/x"},
		{"url_with_query", "url", "http://evil.example/track?id=42", "http://evil.example/track?id=42", "http://evil.example/track?id=42"},
		{"url_no_scheme", "url", "evil.example/track?id=42", "http://evil.example/track?id=42", "http://evil.example/track?id=42"},
		{"url_percent_encoding", "url", "https://evil.example/%78", "https://evil.example/x", "https://evil.example/x"},
		{"url_host_domain", "url", "https://a.evil.com/anything?q=1", "evil.com", "evil.com"},
		{"url_host_ip", "url", "http://198.51.100.1:8080/x", "198.51.100.1", "198.51.100.1"},
		{"url_host_v6", "url", "http://[2001:db8::9]/", "2001:db8::/32", "2001:db8::9"},
		{"url_bare_domain", "url", "evil.com", "evil.com", "evil.com"},
		{"url_unparseable_host", "url", "http://a.evil.com/%zz", "evil.com", "evil.com"},
		{"url_bad_port_host", "url", "https://user@a.evil.com:port/x", "evil.com", "evil.com"},
		// No "@": "user:pw" is taken for the host, which a colon makes no host name;
		// the host-looking token is looked up instead (its port is no part of it).
		{"url_colon_in_host", "url", "https://user:pwa.evil.com:8443/x", "", ""},
		{"url_colon_in_host_domain", "url", "https://a.evil.com:8443/x", "evil.com", "evil.com"},
		{"url_fp_path", "url", "https://evil.example/x/y", "", ""},
		{"url_fp_query_value", "url", "http://evil.example/track?id=43", "", ""},
		{"url_fp_scheme", "url", "https://evil.example/track?id=42", "", ""},
		{"url_fp_substring_path", "url", "https://notevil.com/evil.com", "", ""},
		{"url_fp_substring_query", "url", "https://example.net/?u=evil.com", "", ""},
		{"url_fp_unparseable_substring", "url", "http://example.net/%zz/evil.com", "", ""},
		{"url_fp_text", "url", "see evil.com", "", ""},
		{"url_fp_suffix_host", "url", "http://evil.com.attacker.net/", "", ""},
		{"url_fp_empty", "url", "", "", ""},
		// E-mails: case-insensitive, mailto: accepted.
		{"email_exact", "email", "bad@evil.example", "bad@evil.example", "bad@evil.example"},
		{"email_case", "email", "BAD@Evil.Example", "bad@evil.example", "bad@evil.example"},
		{"email_mailto", "email", "MAILTO:bad@evil.example?subject=hi", "bad@evil.example", "bad@evil.example"},
		{"email_fp_domain", "email", "bad@evil.example.org", "", ""},
		{"email_fp_local", "email", "xbad@evil.example", "", ""},
		// Processes: base name, exact and case-sensitive, or kernel truncation.
		{"process_exact", "process", "bh", "bh", "bh"},
		{"process_path", "process", "/private/var/tmp/bh", "bh", "bh"},
		{"process_trunc15", "process", "com.apple.avcap", "com.apple.avcapture", "com.apple.avcap"},
		{"process_trunc16", "process", "com.apple.WebKit", "com.apple.WebKit.Networking", "com.apple.WebKit"},
		{"process_trunc15_long", "process", "com.apple.WebKi", "com.apple.WebKit.Networking", "com.apple.WebKi"},
		{"process_fp_case", "process", "BH", "", ""},
		{"process_fp_longer", "process", "bhx", "", ""},
		{"process_fp_short_prefix", "process", "com.apple.avca", "", ""},
		{"process_fp_trunc_case", "process", "com.apple.webkit", "", ""},
		{"process_fp_trailing_slash", "process", "/x/bh/", "", ""},
		// File names: exact base name.
		{"filename_exact", "filename", "roleaccountd.plist", "roleaccountd.plist", "roleaccountd.plist"},
		{"filename_path", "filename", "/private/var/db/roleaccountd.plist", "roleaccountd.plist", "roleaccountd.plist"},
		{"filename_fp_case", "filename", "RoleAccountd.plist", "", ""},
		{"filename_fp_longer", "filename", "roleaccountd.plist.bak", "", ""},
		// File paths: "/" boundaries, iOS aliases, relative indicators.
		{"filepath_exact", "filepath", "/private/var/tmp/hooker", "/private/var/tmp/hooker", "/private/var/tmp/hooker"},
		{"filepath_under", "filepath", "/private/var/tmp/hooker/x", "/private/var/tmp/hooker", "/private/var/tmp/hooker"},
		{"filepath_alias", "filepath", "/var/tmp/hooker", "/private/var/tmp/hooker", "/private/var/tmp/hooker"},
		{"filepath_unclean", "filepath", "//private//var/./tmp/hooker/", "/private/var/tmp/hooker", "/private/var/tmp/hooker"},
		{"filepath_alias_indicator", "filepath", "/private/var/db/staging/x", "/private/var/db/staging", "/private/var/db/staging"},
		{"filepath_android", "filepath", "/data/local/tmp/wd/pred.so", "/data/local/tmp/wd", "/data/local/tmp/wd"},
		{"filepath_relative", "filepath", "/private/var/mobile/Library/Preferences/com.apple.photolibraryd.plist", "Library/Preferences/com.apple.photolibraryd.plist", "Library/Preferences/com.apple.photolibraryd.plist"},
		{"filepath_relative_observed", "filepath", "Library/Preferences/com.apple.photolibraryd.plist", "Library/Preferences/com.apple.photolibraryd.plist", "Library/Preferences/com.apple.photolibraryd.plist"},
		{"filepath_relative_middle", "filepath", "/a/Library/Preferences/com.apple.photolibraryd.plist/b", "Library/Preferences/com.apple.photolibraryd.plist", "Library/Preferences/com.apple.photolibraryd.plist"},
		{"filepath_fp_sibling", "filepath", "/private/var/tmp/hookers", "", ""},
		{"filepath_fp_parent", "filepath", "/private/var/tmp", "", ""},
		{"filepath_fp_other_alias", "filepath", "/tmp/hooker", "", ""},
		{"filepath_fp_relative_boundary", "filepath", "/private/var/mobile/MyLibrary/Preferences/com.apple.photolibraryd.plist", "", ""},
		{"filepath_fp_relative_longer", "filepath", "/x/Library/Preferences/com.apple.photolibraryd.plist.bak", "", ""},
		{"filepath_fp_relative_abs_path", "filepath", "/private/var/tmp/hooker2", "", ""},
		{"filepath_fp_root", "filepath", "/", "", ""},
		{"filepath_fp_empty", "filepath", "", "", ""},
		// Path components against process names.
		{"pathproc_component", "pathproc", "/private/var/tmp/bh/x", "bh", "bh"},
		{"pathproc_last", "pathproc", "/usr/libexec/roleaccountd", "roleaccountd", "roleaccountd"},
		{"pathproc_fp_partial", "pathproc", "/private/var/tmp/bhx/x", "", ""},
		{"pathproc_fp_name", "pathproc", "bh.plist", "", ""},
		// Hashes: by length, case-insensitive.
		{"hash_md5", "hash", testMD5, testMD5, testMD5},
		{"hash_sha1_upper", "hash", strings.ToUpper(testSHA1), testSHA1, testSHA1},
		{"hash_sha256", "hash", " " + testSHA256 + "\n", testSHA256, testSHA256},
		{"hash_fp_other", "hash", strings.Repeat("0", 64), "", ""},
		{"hash_fp_truncated", "hash", testMD5[:31], "", ""},
		{"hash_fp_md5_as_sha256_prefix", "hash", testSHA256[:32], "", ""},
		// App ids, certificate hashes, profiles, properties: case-insensitive, whole value.
		{"appid_exact", "appid", "com.evil.app", "com.evil.app", "com.evil.app"},
		{"appid_case", "appid", "COM.EVIL.APP", "com.evil.app", "com.evil.app"},
		{"appid_fp_longer", "appid", "com.evil.app2", "", ""},
		{"appid_fp_prefix", "appid", "com.evil", "", ""},
		{"cert_exact", "cert", testCert, testCert, testCert},
		{"cert_colons", "cert", "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", testCert, testCert},
		{"cert_fp", "cert", strings.Repeat("a", 64), "", ""},
		{"profile_exact", "profile", testUUID, strings.ToLower(testUUID), strings.ToLower(testUUID)},
		{"profile_case", "profile", strings.ToLower(testUUID), strings.ToLower(testUUID), strings.ToLower(testUUID)},
		{"profile_fp_substring", "profile", testUUID[:8], "", ""},
		{"profile_fp_superstring", "profile", testUUID + "-1", "", ""},
		{"property_exact", "property", "persist.sys.evil", "persist.sys.evil", "persist.sys.evil"},
		{"property_case", "property", "Persist.Sys.Evil", "persist.sys.evil", "persist.sys.evil"},
		{"property_fp_longer", "property", "persist.sys.evil2", "", ""},
		{"property_fp_prefix", "property", "persist.sys", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := lookups[tt.lookup](tt.in)
			var got, observed string
			if m != nil {
				got, observed = m.Indicator.Value, m.Observed
				if len(m.All) == 0 || m.All[0] != m.Indicator {
					t.Errorf("Match.All[0] is not Match.Indicator: %+v", m)
				}
			}
			if got != tt.want || observed != tt.observed {
				t.Errorf("%s(%q) = %q observed %q, want %q observed %q", tt.lookup, tt.in, got, observed, tt.want, tt.observed)
			}
		})
	}
}

func TestMatchAll(t *testing.T) {
	fa := &ioc.File{Path: "a.stix2"}
	fb := &ioc.File{Path: "b.stix2"}
	zeta := &ioc.Collection{ID: "malware--z", Name: "Zeta", File: fa}
	alpha := &ioc.Collection{ID: "malware--a", Name: "Alpha", File: fa}
	beta := &ioc.Collection{ID: "malware--b", Name: "Beta", File: fb}
	inds := []*ioc.Indicator{
		{ID: "indicator--3", Kind: ioc.Domain, Value: "evil.com", Collection: beta},
		{ID: "indicator--2", Kind: ioc.Domain, Value: "EVIL.com.", Collection: zeta},
		{ID: "indicator--1", Kind: ioc.Domain, Value: "evil.com", Collection: zeta},
		{ID: "indicator--4", Kind: ioc.Domain, Value: "evil.com", Collection: alpha},
		{ID: "indicator--1", Kind: ioc.Domain, Value: "evil.com", Collection: zeta}, // the same indicator twice
		{ID: "indicator--5", Kind: ioc.Domain, Value: "evil.com"},                   // no collection
	}
	b := ioc.NewBuilder()
	for _, ind := range inds {
		b.Add(ind)
	}
	ix := b.Build()
	m := ix.MatchDomain("www.evil.com")
	if m == nil {
		t.Fatal("no match")
	}
	var got []string
	for _, ind := range m.All {
		got = append(got, ind.ID)
	}
	want := []string{"indicator--5", "indicator--4", "indicator--1", "indicator--2", "indicator--3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Match.All (-want +got):\n%s", diff)
	}
	if m.Indicator != m.All[0] || ix.Len() != 1 || ix.Count(ioc.Domain) != 1 {
		t.Errorf("got Indicator %v, Len %d, Count %d; want All[0], 1, 1", m.Indicator, ix.Len(), ix.Count(ioc.Domain))
	}
	if diff := cmp.Diff([]*ioc.File{fb, fa}, ix.Files()); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
}

func TestBuilder(t *testing.T) {
	b := ioc.NewBuilder()
	b.Add(nil)
	ipAsDomain := &ioc.Indicator{Kind: ioc.Domain, Value: " 192.0.2.1 "}
	pathAsName := &ioc.Indicator{Kind: ioc.FileName, Value: "/var/x"}
	b.Add(ipAsDomain)
	b.Add(pathAsName)
	b.Add(&ioc.Indicator{Kind: ioc.Domain, Value: "not a host"})
	b.Add(&ioc.Indicator{Kind: ioc.FileSHA256, Value: testMD5})
	b.Add(&ioc.Indicator{Kind: "bogus", Value: "x"})
	ix := b.Build()
	got := []ioc.Indicator{*ipAsDomain, *pathAsName}
	want := []ioc.Indicator{{Kind: ioc.IP, Value: "192.0.2.1"}, {Kind: ioc.FilePath, Value: "/private/var/x"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Add normalises in place (-want +got):\n%s", diff)
	}
	if ix.Len() != 2 || ix.Count(ioc.IP) != 1 || ix.Count(ioc.FilePath) != 1 || ix.Empty() {
		t.Errorf("unusable values must be ignored: Len %d", ix.Len())
	}
	if again := b.Build(); !again.Empty() {
		t.Errorf("Build must empty the builder, got %d values", again.Len())
	}
}

// TestEmptyIndex checks that every lookup on an empty index says nothing.
func TestEmptyIndex(t *testing.T) {
	ix := ioc.NewBuilder().Build()
	if !ix.Empty() || ix.Len() != 0 || len(ix.Files()) != 0 {
		t.Fatal("new index is not empty")
	}
	for _, in := range []string{"", "evil.com", "192.0.2.1", "http://evil.com/", "/private/var/tmp/x", testMD5} {
		for _, f := range []func(string) *ioc.Match{ix.MatchDomain, ix.MatchIP, ix.MatchHost, ix.MatchURL, ix.MatchEmail, ix.MatchProcess, ix.MatchFileName, ix.MatchFilePath, ix.MatchPathProcess, ix.MatchHash, ix.MatchAppID, ix.MatchAppCertHash, ix.MatchProfileID, ix.MatchAndroidProperty} {
			if m := f(in); m != nil {
				t.Errorf("empty index matched %q: %+v", in, m)
			}
		}
	}
}

// TestHostileLookups feeds odd and oversized values to every lookup: no panic, and
// the indicator inside a hostile value is still found where it should be.
func TestHostileLookups(t *testing.T) {
	ix := testIndex(t)
	long := strings.Repeat("a.", 1<<16)
	deep := strings.Repeat("/x", 10000)
	tests := []struct {
		name string
		f    func(string) *ioc.Match
		in   string
		hit  bool
	}{
		{"long_host_suffix", ix.MatchDomain, long + "evil.com", true},
		{"long_host", ix.MatchDomain, long, false},
		{"long_url", ix.MatchURL, "http://" + long + "evil.com/" + deep, true},
		{"deep_path", ix.MatchFilePath, deep + "/private/var/tmp/hooker", false},
		{"deep_path_prefix", ix.MatchFilePath, "/private/var/tmp/hooker" + deep, true},
		{"deep_path_relative_early", ix.MatchFilePath, "/Library/Preferences/com.apple.photolibraryd.plist" + deep, true},
		{"deep_pathproc", ix.MatchPathProcess, deep + "/bh", true},
		{"nul_bytes", ix.MatchDomain, "evil.com\x00", false},
		{"invalid_utf8", ix.MatchURL, "http://\xff\xfe/", false},
		{"brackets_only", ix.MatchHost, "[]", false},
		{"colon_only", ix.MatchHost, ":", false},
		{"scheme_only", ix.MatchURL, "http://", false},
		{"percent", ix.MatchURL, "%", false},
		{"ipv6_garbage", ix.MatchIP, "[::1", false},
		{"mailto_only", ix.MatchEmail, "mailto:", false},
		{"slashes", ix.MatchFilePath, "////", false},
		{"dots", ix.MatchFilePath, "../../..", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.in) != nil; got != tt.hit {
				t.Errorf("match = %v, want %v", got, tt.hit)
			}
		})
	}
}
