// Package feeds fetches public indicator bundles for `spytrace iocs update`: it reads
// the index file of the mvt-indicators project, downloads every bundle the index lists
// into the indicators folder, and keeps a manifest of what was installed.
//
// Nothing here runs at start-up or during a check: only the iocs commands call it.
//
// # The index
//
// The index is the YAML file MVT's download-iocs reads
// (mvt-project/mvt-indicators, indicators.yaml on branch main). Its top-level key
// "indicators" is a list of entries:
//
//	indicators:
//	  - type: github
//	    name: NSO Group Pegasus Indicators of Compromise
//	    sources: [Amnesty International]
//	    references: [https://…]
//	    github: {owner: AmnestyTech, repo: investigations, branch: master, path: 2021-07-18_nso/pegasus.stix2}
//	  - type: url            # any type other than github
//	    name: …
//	    download_url: https://…/bundle.stix2
//
// A github entry becomes https://raw.githubusercontent.com/OWNER/REPO/BRANCH/PATH
// (branch "main" when absent), as MVT builds it; any other entry uses download_url.
// Only http and https URLs are fetched. Unknown keys are ignored, so later versions of
// the index still load.
//
// # The files
//
// Each bundle is saved under MVT's file name: the URL without its scheme, every "/"
// replaced by "_" (raw.githubusercontent.com_AmnestyTech_investigations_master_2021-07-18_nso_pegasus.stix2),
// so an indicators folder filled by MVT and one filled by spytrace hold the same names.
// Unlike MVT (which strips a set of characters, not the prefix), the scheme is removed
// exactly, and characters that are unsafe in a file name are replaced by "_".
//
// A download is written to a temporary file in the same folder (a name starting with
// "." and ending in ".part", which no indicator loader picks up), checked with
// internal/ioc, synced, and renamed over the previous copy. A failed download, a
// truncated body, an oversized body or a bundle that does not load leaves the previous
// copy in place and no partial file.
//
// # The manifest
//
// indicators-manifest.json, in the data folder beside the indicators folder (not inside
// it: every check loads the indicators folder's *.json files as bundles), lists per
// bundle its index name, file, source URL, download date, SHA-256, size, indicator
// counts per type and collections as internal/ioc loads them, and the status and error
// of the last attempt.
package feeds

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultIndexURL is the public index MVT's download-iocs reads.
const DefaultIndexURL = "https://raw.githubusercontent.com/mvt-project/mvt-indicators/main/indicators.yaml"

// DefaultRawBase is where github entries are downloaded from.
const DefaultRawBase = "https://raw.githubusercontent.com"

// maxEntries bounds the number of index entries read.
const maxEntries = 1000

// Entry is one bundle listed in the index.
type Entry struct {
	Type        string   `yaml:"type"`
	Name        string   `yaml:"name"`
	Sources     []string `yaml:"sources"`
	References  []string `yaml:"references"`
	GitHub      *GitHub  `yaml:"github"`
	DownloadURL string   `yaml:"download_url"`
}

// GitHub locates a file in a GitHub repository.
type GitHub struct {
	Owner  string `yaml:"owner"`
	Repo   string `yaml:"repo"`
	Branch string `yaml:"branch"`
	Path   string `yaml:"path"`
}

// Index is a parsed index file.
type Index struct {
	Entries []Entry
}

// rawIndex is the file's shape; entries are decoded one by one so that one bad entry
// does not hide the others.
type rawIndex struct {
	Indicators []yaml.Node `yaml:"indicators"`
}

// ParseIndex reads an index file. It fails when the data is not YAML or has no
// "indicators" list; an entry that cannot be decoded is returned as a problem (with
// its position) and left out.
func ParseIndex(data []byte) (*Index, []string, error) {
	var raw rawIndex
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("index is not valid YAML: %w", err)
	}
	if raw.Indicators == nil {
		return nil, nil, errors.New(`index has no "indicators" list`)
	}
	var problems []string
	ix := &Index{}
	for i := range raw.Indicators {
		if i >= maxEntries {
			problems = append(problems, fmt.Sprintf("index has more than %d entries: the rest is ignored", maxEntries))
			break
		}
		var e Entry
		if err := raw.Indicators[i].Decode(&e); err != nil {
			problems = append(problems, fmt.Sprintf("entry %d (line %d): %v", i+1, raw.Indicators[i].Line, err))
			continue
		}
		e.Name = strings.TrimSpace(e.Name)
		if e.Name == "" {
			e.Name = fmt.Sprintf("entry %d", i+1)
		}
		ix.Entries = append(ix.Entries, e)
	}
	return ix, problems, nil
}

// URL returns the address of the entry's bundle. rawBase replaces
// https://raw.githubusercontent.com for github entries ("" keeps it).
func (e Entry) URL(rawBase string) (string, error) {
	if e.Type == "github" {
		g := e.GitHub
		if g == nil {
			return "", errors.New(`github entry without a "github" section`)
		}
		branch := g.Branch
		if branch == "" {
			branch = "main"
		}
		if rawBase == "" {
			rawBase = DefaultRawBase
		}
		for _, f := range []struct{ name, v string }{{"owner", g.Owner}, {"repo", g.Repo}} {
			if f.v == "" || strings.ContainsAny(f.v, "/\\?#%") || f.v == "." || f.v == ".." {
				return "", fmt.Errorf("github entry with an invalid %s %q", f.name, f.v)
			}
		}
		var segs []string
		for _, p := range []string{branch, g.Path} {
			for s := range strings.SplitSeq(p, "/") {
				if s == "" || s == "." || s == ".." {
					return "", fmt.Errorf("github entry with an invalid branch or path %q", p)
				}
				segs = append(segs, url.PathEscape(s))
			}
		}
		return strings.TrimSuffix(rawBase, "/") + "/" + url.PathEscape(g.Owner) + "/" + url.PathEscape(g.Repo) + "/" + strings.Join(segs, "/"), nil
	}
	if e.DownloadURL == "" {
		return "", errors.New("no way to download this entry: neither a github section nor a download_url")
	}
	if err := checkURL(e.DownloadURL); err != nil {
		return "", err
	}
	return e.DownloadURL, nil
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", s, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("invalid URL %q: only http and https URLs are downloaded", s)
	}
	return nil
}

// maxNameBytes bounds file names (most file systems allow 255 bytes).
const maxNameBytes = 200

// FileName returns the name a bundle downloaded from rawURL is saved under: MVT's name
// (scheme removed, "/" replaced by "_"), with characters other than ASCII letters,
// digits, ".", "-" and "_" replaced by "_", a leading "." replaced, ".stix2" added
// when the name does not end in an extension internal/ioc loads from folders
// (.stix2, .stix, .json), and long names shortened.
func FileName(rawURL string) string {
	s := rawURL
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.ReplaceAll(s, "/", "_")
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	s = string(b)
	if s == "" || s[0] == '.' {
		s = "_" + s
	}
	switch strings.ToLower(path.Ext(s)) {
	case ".stix2", ".stix", ".json":
	default:
		s += ".stix2"
	}
	if len(s) > maxNameBytes {
		ext := path.Ext(s)
		sum := shortHash(s)
		s = s[:maxNameBytes-len(ext)-len(sum)-1] + "_" + sum + ext
	}
	return s
}
