package iosfs

import (
	"cmp"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spytrace/spytrace/internal/acquire/iosbackup"
	"github.com/spytrace/spytrace/internal/plistx"
)

// fixedDomains are the backup domains whose folder on the device is fixed; their
// folders come from iosbackup.DevicePath, so both packages share one table.
//
// CameraRollDomain, MediaDomain, TonesDomain, KeyboardDomain and HomeKitDomain are
// left out on purpose: their folder is private/var/mobile, HomeDomain's, so serving
// them would serve every file of HomeDomain five more times and a pattern such as
// "*/Library/Safari/History.db" would match one database six times. Their files are
// served under HomeDomain with the same relative path (CameraRollDomain/Media/DCIM/x
// is HomeDomain/Media/DCIM/x). HealthDomain and BooksDomain have folders of their own
// (Library and Media/Books) and are served.
var fixedDomains = []string{
	"HomeDomain",
	"BooksDomain",
	"HealthDomain",
	"RootDomain",
	"WirelessDomain",
	"SystemPreferencesDomain",
	"KeychainDomain",
	"ManagedPreferencesDomain",
	"MobileDeviceDomain",
	"DatabaseDomain",
	"InstallDomain",
	"NetworkDomain",
	"ProtectedDomain",
	configProfilesDomain,
}

const configProfilesDomain = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"

// containerKind is a family of containers named by a UUID on the device.
type containerKind struct {
	prefix string // domain prefix, without the "-"
	dir    string // device folder holding one folder per container
}

// containerKinds lists where the containers of each domain family live.
var containerKinds = []containerKind{
	{"AppDomain", "private/var/mobile/Containers/Data/Application"},
	{"AppDomainGroup", "private/var/mobile/Containers/Shared/AppGroup"},
	{"AppDomainPlugin", "private/var/mobile/Containers/Data/PluginKitPlugin"},
	{"SysContainerDomain", "private/var/containers/Data/System"},
	{"SysSharedContainerDomain", "private/var/containers/Shared/SystemGroup"},
}

// MetadataPlist is the file in each container folder that names the container.
const MetadataPlist = ".com.apple.mobile_container_manager.metadata.plist"

// maxMetadataBytes bounds one container metadata plist.
const maxMetadataBytes = 1 << 20

// fixedDomainDir returns the device folder (relative, without the leading slash) of a
// fixed domain.
func fixedDomainDir(domain string) (string, bool) {
	p, ok := iosbackup.DevicePath(domain, "")
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(p, "/"), true
}

// IsBackupName reports whether a top-level name belongs to the backup namespace: it
// ends with "Domain", contains "Domain-", or starts with "AppDomainGroup-" or
// "AppDomainPlugin-" (which contain no "Domain-").
func IsBackupName(first string) bool {
	return strings.HasSuffix(first, "Domain") || strings.Contains(first, "Domain-") ||
		strings.HasPrefix(first, "AppDomainGroup-") || strings.HasPrefix(first, "AppDomainPlugin-")
}

// validIdentifier reports whether a container identifier can be part of a name.
func validIdentifier(id string) bool {
	if id == "" || id == "." || id == ".." || len(id) > 255 || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// mapDomains builds the backup namespace: fixed domains whose folder exists, then the
// containers named by their metadata plists.
func (d *Dump) mapDomains() {
	d.domains = map[string]string{}
	dirs := map[string]string{} // device folder → domain, to skip a container seen twice
	for _, dom := range fixedDomains {
		dir, ok := fixedDomainDir(dom)
		if !ok {
			continue
		}
		if fi, err := d.b.stat(dir); err == nil && fi.IsDir() {
			d.domains[dom] = dir
			dirs[dir] = dom
		}
	}
	for _, k := range containerKinds {
		infos, err := d.b.readDir(k.dir)
		if err != nil {
			continue
		}
		type claim struct{ id, dir string }
		var claims []claim
		for _, fi := range infos {
			if !fi.IsDir() {
				continue
			}
			dir := k.dir + "/" + fi.Name()
			if _, seen := dirs[dir]; seen {
				continue // a fixed domain's folder, named by its identifier
			}
			id, err := d.containerID(dir)
			if err != nil {
				d.problem("container_unmapped", dir, fmt.Sprintf("container not in the backup namespace (served under its device path only): %v", err))
				continue
			}
			claims = append(claims, claim{id, dir})
		}
		slices.SortFunc(claims, func(a, b claim) int { return cmp.Compare(a.dir, b.dir) })
		for _, c := range claims {
			if _, seen := dirs[c.dir]; seen {
				continue // the configuration profiles group, already served
			}
			base := k.prefix + "-" + c.id
			name := base
			for n := 2; d.domains[name] != ""; n++ {
				name = fmt.Sprintf("%s~%d", base, n)
			}
			if name != base {
				d.problem("duplicate_container", name, fmt.Sprintf("%s is also claimed by %s; this copy is served as %s", base, d.domains[base], name))
			}
			d.domains[name] = c.dir
			dirs[c.dir] = name
		}
	}
	for n := range d.domains {
		d.domainNames = append(d.domainNames, n)
	}
	slices.Sort(d.domainNames)
}

// containerID reads MCMMetadataIdentifier from a container's metadata plist.
func (d *Dump) containerID(dir string) (string, error) {
	name := dir + "/" + MetadataPlist
	fi, err := d.b.stat(name)
	if err != nil {
		return "", fmt.Errorf("no %s", MetadataPlist)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", MetadataPlist)
	}
	if fi.Size() > maxMetadataBytes {
		return "", fmt.Errorf("%s is larger than %d bytes", MetadataPlist, maxMetadataBytes)
	}
	f, err := d.b.open(name, fi)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMetadataBytes+1))
	if err != nil {
		return "", err
	}
	v, err := plistx.Decode(data, plistx.Limits{MaxBytes: maxMetadataBytes, MaxObjects: 100_000})
	if err != nil {
		return "", fmt.Errorf("%s: %w", MetadataPlist, err)
	}
	m, ok := plistx.AsMap(v)
	if !ok {
		return "", fmt.Errorf("%s is not a dictionary", MetadataPlist)
	}
	id := plistx.String(m, "MCMMetadataIdentifier")
	if !validIdentifier(id) {
		return "", fmt.Errorf("%s: MCMMetadataIdentifier %q is not a usable name", MetadataPlist, id)
	}
	return id, nil
}

// metadataPatterns are the device patterns of every container metadata plist; a
// .tar.gz always keeps them in memory so that the backup namespace can be built.
func metadataPatterns() []string {
	var out []string
	for _, k := range containerKinds {
		out = append(out, k.dir+"/*/"+MetadataPlist)
	}
	dir, _ := fixedDomainDir(configProfilesDomain)
	return append(out, dir+"/"+MetadataPlist)
}

// devicePatterns translates a pattern of the acquisition's namespace into the device
// patterns that may match the same files, before the containers are known: a domain
// pattern becomes its folder, and an app container's becomes every container of its
// family. The result may match more files than the pattern, never fewer.
func devicePatterns(p string) []string {
	p = strings.TrimPrefix(p, "/")
	out := []string{p}
	first, rest, _ := strings.Cut(p, "/")
	if first == "var" && rest != "" {
		out = append(out, "private/var/"+rest)
	}
	if !IsBackupName(first) && !hasMeta(first) {
		return out
	}
	suffix := ""
	if rest != "" {
		suffix = "/" + rest
	}
	for _, dom := range fixedDomains {
		if ok, _ := path.Match(first, dom); ok {
			dir, _ := fixedDomainDir(dom)
			out = append(out, dir+suffix)
		}
	}
	for _, k := range containerKinds {
		if couldMatchPrefix(first, k.prefix+"-") {
			out = append(out, k.dir+"/*"+suffix)
		}
	}
	return out
}

// couldMatchPrefix reports whether pattern may match some name starting with prefix
// (conservatively: true when unsure).
func couldMatchPrefix(pattern, prefix string) bool {
	lit := pattern
	if i := strings.IndexAny(pattern, `*?[\`); i >= 0 {
		lit = pattern[:i]
		n := min(len(lit), len(prefix))
		return lit[:n] == prefix[:n]
	}
	return strings.HasPrefix(lit, prefix)
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }
